"""Log template mining: failure signatures for tools the hand-written parsers do not know.

``signatures.extract_signatures`` asks the miner only when its parsers found nothing specific (no hit,
or only ``GENERIC`` lines): the output of an unknown tool (a JVM stack trace, javac, a shell script under
``set -e``, Maven, ``prove``, Ansible...). The miner is Drain (He et al., ICWS 2017) as the ``drain3``
package implements it, the ``mining`` extra; without it ``available()`` is false and nothing is mined (the
old behaviour).

How: the error-looking lines of the log (an error word, not a ``[INFO]`` / ``[WARNING]`` line, not a
line a parser claimed) are normalized like every summary (``signatures.normalize``: workspaces, paths,
times, ids), then fed to a fresh Drain miner whose masks replace the numbers left (``build 41``,
``got: '3000000'``, ``ok=1``) by ``<n>``. Each resulting template is one signature (its lines counted),
so the same failure in two runs gives the same templates, and different failures different ones. Lines
that only say that something failed (``BUILD FAILURE``, ``exit status 1``, ``Result: FAIL``) are
consequences: they are kept only when a log has no other mined line. A fresh miner per log keeps this
pure: the same text, the same signatures, whatever the fleet saw before.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

MAX_MINED = 5  # templates per log
SIMILARITY = 0.5  # Drain's similarity threshold: share of equal tokens for two lines to be one template

_ERROR_WORDS = re.compile(
    r"(?i)error|exception|fail|fatal|panic|abort|denied|refused|killed|timed out|traceback"
    r"|\b(?:cannot|can't|could not|couldn't|unable to|not found|no such|undeclared|undefined|unbound"
    r"|invalid|missing|not ok|died)\b"
)
# Log levels that are not failures: "[INFO] ...", "WARNING: ...", "warn ...".
_NOT_AN_ERROR = re.compile(r"(?i)^\W*(?:info|debug|trace|notice|warn(?:ing)?)\b|^\$ |^\+ ")
# Lines that only say that something failed, without the cause.
_CONSEQUENCE = re.compile(
    r"(?i)^\W*(?:\[\w+\]:? ?)?(?:build fail\w*|fail(?:ed|ure)?|result: fail|finished: \w+|"
    r"|.*\bexit(?:ed)? (?:status|code):? <n>\W*|.*\bnon-zero (?:exit|return) (?:status|code).*"
    r"|<n> errors?|.*failed <n>/<n> .*"
    r"|.*(?:\b\w+[=:] ?<n>.*){3,})\W*$"  # a recap of counters: ok=1 changed=0 failed=1, Tests: 2 Failed: 1
)
# What is still volatile after normalization: numbers, and the long digit runs inside tokens (temp names).
_MASKS = ((r"\d{5,}", "n"), (r"(?<![\w<.-])\d+(?:\.\d+)?(?![\w>]|\.\d)", "n"))  # versions stay


def available() -> bool:
    """Whether the miner can run: ``drain3`` (the ``mining`` extra) is installed."""
    return importlib.util.find_spec("drain3") is not None


@dataclass(frozen=True, slots=True)
class Mined:
    """One mined template: its text (``<*>`` where the lines differ), the log lines it covers (0-based)."""

    template: str
    lines: tuple[int, ...]
    examples: tuple[str, ...]  # the normalized and masked lines, a few
    consequence: bool = False


def error_lines(lines: Sequence[str], skip: Collection[int] = ()) -> list[int]:
    """The indexes of the lines that look like errors (see the module docstring), claimed ones skipped."""
    return [
        i
        for i, line in enumerate(lines)
        if i not in skip and line.strip() and _ERROR_WORDS.search(line) and not _NOT_AN_ERROR.match(line)
    ]


def _miner():  # a fresh drain3 TemplateMiner (no persistence) with our masks
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    logging.getLogger("drain3").setLevel(logging.WARNING)  # it announces every miner at INFO
    config = TemplateMinerConfig()
    config.drain_sim_th = SIMILARITY
    config.masking_instructions = [MaskingInstruction(pattern, mask) for pattern, mask in _MASKS]
    config.profiling_enabled = False
    return TemplateMiner(config=config)


def mine(
    lines: Sequence[str], norm: Callable[[str], str], skip: Collection[int] = (), limit: int = MAX_MINED
) -> list[Mined]:
    """The templates of the error-looking lines of a log, in the order they first appear; consequences
    only when nothing else was mined. Empty when ``drain3`` is missing or no line looks like an error."""
    if not available():
        return []
    miner = _miner()
    picked = [(i, miner.masker.mask(text)) for i in error_lines(lines, skip) if (text := norm(lines[i]))]
    if not picked:
        return []
    clusters = {i: miner.add_log_message(text)["cluster_id"] for i, text in picked}
    templates = {c.cluster_id: " ".join(c.get_template().split()) for c in miner.drain.clusters}
    found: dict[int, list[tuple[int, str]]] = {}
    for i, text in picked:
        found.setdefault(clusters[i], []).append((i, text))
    mined = [
        Mined(
            templates[cid],
            tuple(i for i, _ in members),
            tuple(text for _, text in members[:3]),
            bool(_CONSEQUENCE.match(templates[cid])),
        )
        for cid, members in found.items()
    ]
    causes = [m for m in mined if not m.consequence]
    return sorted(causes or mined, key=lambda m: m.lines[0])[:limit]
