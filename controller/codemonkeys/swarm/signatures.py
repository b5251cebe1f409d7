"""Failure signatures: what went wrong in a CI console log, normalized so that it can be recognized again.

Where it sits in the data flow: in **observe**, a CI observer (or the build actuator, on the log it has
just captured) calls ``extract_signatures`` on console text; the swarm store keeps the signatures per
product and build, so that a failure seen in one product can be matched, by ``fingerprint``, to the same
failure seen before in another build, product or machine ("I've seen this error before").

Pure: text in, values out, no I/O, no clock. Every regex is compiled once, at import.

What is recognized (``SignatureKind``): pytest failures and errors (the short summary lines, the
``____ test ____`` sections, collection errors), Python tracebacks (chained ones become one signature,
named after the last exception and its innermost frame), npm errors (``npm error`` and the older
``npm ERR!`` spelling) and ``node --test`` failures (TAP and spec reporters), cargo / rustc errors and
panics, gcc / clang errors and undefined references, timeouts (ours, Jenkins, GitLab, GitHub,
pytest-timeout), processes killed for memory (SIGKILL, exit code 137, kernel OOM, ``MemoryError``) and,
only when nothing specific matched, generic error lines (``ERROR:``, ``fatal:``, ``make: ***``, ...) and,
with the ``mining`` extra, templates mined from the other error-looking lines (``swarm/mining.py``).
Consequences (``error: could not compile``, ``collect2: error: ld returned 1``, npm's lifecycle failure,
``make: ***``) are "weak": they are kept only when the log has no specific cause.

Normalization (``normalize``) makes the same failure produce the same text everywhere: ANSI colours,
timestamps, workspace prefixes (the pytest ``rootdir``, cargo's crate dir, CI workspaces, our ``wt-*``
worktrees: paths become repo-relative), other absolute paths (reduced to ``.../basename``), temp dirs,
line and column numbers, hex ids and shas, UUIDs, IP addresses and ports, durations, counts ("3 failed")
and numbers of five digits or more (pids, ports, sizes) are replaced by placeholders (``<n>``,
``<hex>``, ``<time>``, ...). Error codes survive: ``E0308``, ``E404``, ``ENOENT``, ``[Errno 111]``,
``exit code 137``. The summary stays that concrete line (fix templates match on it); the detail is context.

Fleet-wide (``Signature.cause``, ``split_cause``): the root cause, the same in every product. What names the
product is taken out of the summary and kept beside it as the ``location``: the test id (with its
parameters), the frame or file it happened in (a traceback's innermost frame, rustc's ``-->``, a panic's
thread and place, a compiler's file), paths under the product's tree (``<path>``) and its own package and
module names where a message quotes them (``<own>``: inferred from the log, ``own_names``: the files of its
tracebacks and test ids outside site-packages / the stdlib / node_modules, the pytest rootdir's name, the
crate cargo compiles, the npm package that runs). A name missing from a module is one cause however it is
told (``cannot import name 'N' from 'M'``, ``module 'M' has no attribute 'N'``, rustc's unresolved import or
path): ``missing name M.N``; Python's ``Did you mean`` hint is left out. A generic rustc message
(``mismatched types``) takes its primary label (``expected `u32`, found `&str```). A panic of std that names
nothing (``called `Option::unwrap()` on a `None` value``, index out of bounds) in the product's own file is
its own bug: its cause keeps the crate's name, so two products' different bugs stay apart. The fingerprint
hashes the kind's family (pytest and Python tracebacks are one: the same ``ImportError`` at collection, in a
test or in a script) and the cause.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from codemonkeys.swarm import mining

MAX_SIGNATURES = 20  # per log, after deduplication
MAX_LINE = 200  # characters of a summary or detail line
MAX_DETAIL = 8  # lines of detail
MAX_SCAN = 4000  # characters of a log line that are looked at (minified code, progress bars)
_CONTEXT = 5  # lines a signature looks ahead or back for related lines


class SignatureKind(StrEnum):
    """What kind of failure a signature is (the tool or cause it was recognized from)."""

    PYTEST_FAILURE = "pytest_failure"
    PYTEST_ERROR = "pytest_error"
    PYTHON_TRACEBACK = "python_traceback"
    NPM_ERROR = "npm_error"
    CARGO_ERROR = "cargo_error"
    COMPILER_ERROR = "compiler_error"  # gcc / clang / ld
    TIMEOUT = "timeout"
    OOM_KILLED = "oom_killed"
    GENERIC = "generic"
    MINED = "mined"  # a Drain template of an unknown tool's error lines (``swarm/mining.py``)


@dataclass(frozen=True, slots=True)
class Signature:
    """One failure in a log. ``fingerprint`` identifies its cause across logs and products; ``count``:
    occurrences in this log (tests failing of the same cause count as one signature)."""

    kind: SignatureKind
    fingerprint: str
    summary: str  # one normalized line, as concrete as the log (test id, frame)
    detail: tuple[str, ...] = ()  # a few normalized lines of context
    line: int = 1  # 1-based line of the log where it starts
    count: int = 1
    cause: str = ""  # the summary without what names the product: the same in every product
    location: str = ""  # what was taken out of the summary: test id, frame, own paths and names


# The same failure told by pytest or by a plain traceback is one cause.
_FAMILY = {SignatureKind.PYTEST_FAILURE: "python", SignatureKind.PYTEST_ERROR: "python"}
_FAMILY[SignatureKind.PYTHON_TRACEBACK] = "python"


def fingerprint(kind: SignatureKind, cause: str) -> str:
    """The short stable hash of a signature: its kind's family and its fleet-wide cause."""
    family = _FAMILY.get(kind, kind.value)
    return hashlib.sha256(f"{family}\n{cause}".encode()).hexdigest()[:16]


# --- normalization -----------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# A timestamp in front of every line (Jenkins timestamper, GitHub Actions, `ts`); stripped before matching.
_LINE_STAMP = re.compile(
    r"^\s*\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?\s?"
    r"|^\[\d{2}:\d{2}:\d{2}(?:\.\d+)?\]\s?"
    r"|^\[\s*\d+\.\d{6}\]\s?"  # the kernel's (dmesg)
)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})

_PATH_CHARS = r"[\w.@+~%,=-]"
# Workspaces whose prefix is noise: CI checkouts and our worktrees (paths under them become repo-relative).
_WORKSPACE = re.compile(
    rf"(?<![\w.:/~-])/(?:{_PATH_CHARS}+/)*?"
    r"(?:wt-\w{8}"  # codemonkeys worktrees (act/base.py: mkdtemp(prefix="wt-"))
    r"|workspace/[^/\s'\"`)]+"  # Jenkins
    r"|home/runner/work/[^/\s'\"`)]+/[^/\s'\"`)]+"  # GitHub Actions
    r"|github/workspace"
    r"|builds/[^/\s'\"`)]+/[^/\s'\"`)]+)"  # GitLab
    r"(?![\w.@+~%-])(/)?"
)
_PYTEST_TMP = re.compile(
    rf"(?<![\w.:/~-])/(?:{_PATH_CHARS}+/)*?pytest-of-[^/\s]+/pytest-(?:\d+|current)(?:/|(?![\w-]))"
)
_TMP_NAME = re.compile(r"\btmp(?=[a-z_]*\d)[a-z0-9_]{8}\b")  # tempfile's names
_SITE = re.compile(rf"(?<![\w.:/~-])/(?:{_PATH_CHARS}+/)*?(?:site|dist)-packages/")
_STDLIB = re.compile(rf"(?<![\w.:/~-])/(?:{_PATH_CHARS}+/)*?lib/python\d\.\d+/")
_NODE_MODULES = re.compile(rf"(?<![\w.:/~-])/(?:{_PATH_CHARS}+/)*?node_modules/")
_ABS_PATH = re.compile(rf"(?<![\w.:/~<>-])/(?:{_PATH_CHARS}+/)+({_PATH_CHARS}*)")
_WIN_PATH = re.compile(r"\b[A-Za-z]:\\(?:[\w.@+~%-]+\\)+")
_DOT_SLASH = re.compile(r"(?<![\w./])\./(?=\w)")

_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_ISO_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T _]\d{2}[:_]\d{2}[:_]\d{2}(?:[.,_]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w:])"
)
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b")
_HEX_ADDR = re.compile(r"\b0x[0-9a-fA-F]+\b")
_HEX_ID = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b")
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_PORT = re.compile(r"(?<![\w.-])(localhost|<ip>|\[::1?\]):\d{1,5}\b")
_DURATION = re.compile(
    r"\b\d+(?:\.\d+)?\s?(?:ms|us|µs|ns|secs?|seconds?|mins?|minutes?|hours?|hr)\b"
    r"|\b\d+(?:\.\d+)?s\b|\b\d+m\s?\d+(?:\.\d+)?s\b|\b\d+h\d+m\d+s\b"
)
# file:LINE[:COL] (also Makefile:7, node:internal/x:12:5); a letter or bracket before keeps times out.
_LOCATION = re.compile(r"(?<=[A-Za-z_)\]>])(?::\d+){1,2}(?![\w.])")
_FRAME_LINE = re.compile(r"\bline \d+\b")
_GUTTER = re.compile(r"^\s*\d+\s+\|")  # rustc / gcc source snippets: `16 |     let x = ...`
_COUNT = re.compile(
    r"\b\d+(?= (?:passed|failed|errors?|warnings?|skipped|deselected|xfailed|xpassed|tests?|items?"
    r"|suites?|previous errors?|subtests?|files?|packages?|documents?|vulnerabilit(?:y|ies))\b)"
)
_BIG_NUMBER = re.compile(r"(?<![\w.])\d{5,}(?![\d.])")  # pids, ports, sizes (3145728kB)
_PID = re.compile(
    r"(?<![\w.])\d+(?= +(?:Killed|Terminated|Aborted|Segmentation fault|Hangup|Quit)\b)"  # bash job status
    r"|(?<=\b(?:pid|PID) )\d+|(?<=\bprocess )\d+|(?<=\bpid=)\d+"
)
_SPACES = re.compile(r"\s+")

_Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]
_RULES_AFTER_PATHS: tuple[_Rule, ...] = (
    (_UUID, "<uuid>"),
    (_ISO_TIME, "<time>"),
    (_CLOCK, "<time>"),
    (_HEX_ADDR, "0x<hex>"),
    (_HEX_ID, "<hex>"),
    (_IP, "<ip>"),
    (_PORT, r"\1:<port>"),
    (_DURATION, "<dur>"),
    (_LOCATION, ""),
    (_FRAME_LINE, "line <n>"),
    (_GUTTER, "|"),
    (_COUNT, "<n>"),
    (_PID, "<n>"),
    (_BIG_NUMBER, "<n>"),
)


def _workspace(m: re.Match[str]) -> str:
    return "" if m.group(1) else "<root>"


def normalize(text: str, roots: Sequence[str] = (), *, clip: bool = True) -> str:
    """One line, normalized (see the module docstring). ``roots``: absolute workspace dirs of the log;
    ``clip=False`` keeps it whole (a cause is cut after the product's parts are taken out)."""
    text = _ANSI.sub("", text[: 4 * MAX_LINE]).translate(_QUOTES)  # the output is clipped anyway
    for root in sorted(roots, key=len, reverse=True):
        text = re.sub(re.escape(root.rstrip("/")) + r"(?![\w.@+~%-])(/)?", _workspace, text)
    text = _WORKSPACE.sub(_workspace, text)
    text = _PYTEST_TMP.sub("<tmp>/", text)
    text = _SITE.sub("", text)
    text = _STDLIB.sub("", text)
    text = _NODE_MODULES.sub("node_modules/", text)
    text = _ABS_PATH.sub(lambda m: ".../" + m.group(1), text)
    text = _WIN_PATH.sub(".../", text)
    text = _DOT_SLASH.sub("", text)
    text = _TMP_NAME.sub("<tmp>", text)
    for pattern, repl in _RULES_AFTER_PATHS:
        text = pattern.sub(repl, text)
    text = _SPACES.sub(" ", text).strip()
    return _clip(text) if clip else text


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 3] + "..."


# Where the workspace of this log is, as the tools print it.
_ROOT_HINTS = (
    re.compile(r"^rootdir: (/\S+?)/?(?:,|$)"),  # pytest
    re.compile(r"^\s+(?:Compiling|Checking|Documenting) \S+ v\S+ \((/[^)]+)\)"),  # cargo
    re.compile(r"Entering directory ['`\u2018](/[^'\u2019]+)['\u2019]"),  # make
    re.compile(r"^npm (?:error|ERR!) path (/\S+?)(?:/package\.json)?$"),
    re.compile(r"^Running on .+ in (/\S+)$"),  # Jenkins
)


def _roots(lines: Iterable[str]) -> list[str]:
    found: list[str] = []
    for line in lines:
        for hint in _ROOT_HINTS:
            if (m := hint.search(line)) and m.group(1) not in found and m.group(1).count("/") >= 2:
                found.append(m.group(1))
    return found


# --- the cause: fleet-wide -----------------------------------------------------------------------------

# Names too common to say which product it is (directories of every layout, entry modules).
_COMMON_NAMES = frozenset(
    {
        "src",
        "lib",
        "libs",
        "tests",
        "test",
        "testing",
        "spec",
        "specs",
        "bin",
        "main",
        "index",
        "app",
        "mod",
        "__init__",
        "__main__",
        "conftest",
        "setup",
        "build",
        "target",
        "dist",
        "node_modules",
        "work",
        "tmp",
    }
)
_SOURCE_EXT = r"(?:py|pyx|pyi|js|mjs|cjs|jsx|ts|mts|cts|tsx|rs|c|h|cc|cpp|cxx|hpp|go|java|kt|rb)"
_PATH_TOKEN = re.compile(
    rf"(?<![\w.@+~%/<-])((?:/|\.{{1,3}}/|<root>/)?(?:{_PATH_CHARS}+/)*[\w.@+~%-]+\.{_SOURCE_EXT})\b"
)
# Files that are not the product's: installed packages, the standard libraries, toolchains.
_FOREIGN = re.compile(
    r"(?:^|/)(?:site-packages|dist-packages|node_modules|lib/python\d(?:\.\d+)?|\.cargo|\.rustup|rustc"
    r"|\.pyenv|\.nvm|usr/(?:lib|include|local/lib|share))/|^<frozen|^node:"
)
# Where the product says its name: the pytest rootdir (not a generated worktree name), the crate cargo
# builds from a path, the package npm runs a script of.
_OWN_HINTS = (
    re.compile(r"^rootdir: /\S*?/([A-Za-z_][\w-]*?)/?(?:,|$)"),
    re.compile(r"^error: could not compile `([\w-]+)`"),
    re.compile(r"^> ((?:@[\w.-]+/)?[\w.-]+)@\S+ \w"),
    re.compile(r"^npm (?:error|ERR!) (?:in )?workspace ((?:@[\w.-]+/)?[\w.-]+)@"),
)
# Cargo builds path dependencies (fleet crates) from a path too: the product is the last crate built.
_CARGO_BUILDS = re.compile(r"^\s+(?:Compiling|Checking|Documenting) ([\w-]+) v\S+ \(/")
# The directory above a layout's folders is the product's checkout (named after it unless generated).
_CHECKOUT = re.compile(r"/([A-Za-z_][\w-]*)/(?:src|tests?|lib|app|spec)/")
_GENERATED = re.compile(r"^(?:wt|tmp|job|build|ws)[-_]|\d.*\d|^[a-z0-9]{8}$")
_IDENT = re.compile(r"^[A-Za-z_][\w-]*$")
# A normalized path that surely is the product's (what a stored row still shows of it).
_OWN_NORMALIZED = re.compile(r"^(?:<root>/|\.\.\./|src/|tests?/|test_|lib/|app/)")


@dataclass(frozen=True, slots=True)
class Own:
    """What names the product in a log: its files (as normalized) and its package and module names."""

    paths: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    crate: str = ""  # the crate cargo compiled last (a cargo log's own)


def own_names(lines: Iterable[str], *, normalized: bool = False) -> Own:
    """The product's own files and package / module names, inferred from a log (see the module
    docstring). ``normalized``: the lines are already normalized (a stored summary and detail): only the
    paths that surely are the product's count."""
    paths: set[str] = set()
    hinted: list[str] = []
    names: set[str] = set()
    built = ""
    for line in lines:
        hinted += [m.group(1) for hint in _OWN_HINTS if (m := hint.search(line))]
        built = m.group(1) if (m := _CARGO_BUILDS.search(line)) else built
        for m in _PATH_TOKEN.finditer(line[:MAX_SCAN]):
            path = m.group(1)
            if _FOREIGN.search(path) or (normalized and not _OWN_NORMALIZED.match(path)):
                continue
            paths.add(path if normalized else normalize(path, clip=False))
            parts = path.split("/")
            names.update(n for n in (parts[-1].split(".", 1)[0], parts[-2] if len(parts) > 1 else "") if n)
            hinted += [m.group(1) for m in _CHECKOUT.finditer(path)]
    for name in [*hinted, built]:
        if name and not _GENERATED.search(name.rsplit("/", 1)[-1]):
            names.update({name, name.rsplit("/", 1)[-1], name.rsplit("/", 1)[-1].replace("-", "_")})
    keep = {n for n in names if _IDENT.match(n.rsplit("/", 1)[-1]) and n not in _COMMON_NAMES and len(n) > 2}
    return Own(frozenset(p for p in paths if p), frozenset(keep), built)


_TEST_ID_MESSAGE = re.compile(r"^(\S*?(?:\[[^\]]*\])?\S*?) - (.*)$")
_TEST_PARAMS = re.compile(r"\[[^\]]*\]$")
_PY_FRAME = re.compile(r"^(.*) \((\S+(?: in [^()]+)?)\)$")
_JS_TEST = re.compile(r"^(.*?) - ([A-Za-z_$][\w$.]*(?: \[[^\]]*\])?: .*)$")
_PANIC_CAUSE = re.compile(r"^(.+?) panicked: (.*?)(?: \(([^()]*)\))?$")
# std's panics that name nothing: in the product's own code they are its own bug, not a fleet-wide cause
_GENERIC_PANIC = re.compile(
    r"^(?:called `(?:Option|Result)::(?:unwrap|expect)\(\)` on an? `None` value|index out of bounds\b.*"
    r"|attempt to \w+ with overflow|explicit panic|not (?:yet )?implemented|assertion failed\b.*"
    r"|internal error: entered unreachable code.*|(?:begin|end|byte) index .* out of (?:range|bounds).*)$"
)
# Python's hint after a missing attribute or name (``. Did you mean: '_append'?``): how it is told, not what
_DID_YOU_MEAN = re.compile(r"\.? Did you (?:mean|forget)\b.*$|\. Or did you forget .*$")
_RUST_WHERE = re.compile(r"^(error.*?) \(([^()\s]*(?:\.rs|/)[^()\s]*)\)$")
_RUST_LABEL = re.compile(r"\^+ (.+)$")
_C_CAUSE = re.compile(r"^(\S+): ((?:fatal )?error: .*)$")
_QUOTED = re.compile(r"(['\"`])([^'\"`\s]+)\1")
_NAME_PARTS = re.compile(r"(\.|::|/)")
_OWN_PLACE = re.compile(r"<root>(?:/\S*[\w>])?|\.\.\./[\w.@+~%-]+|<tmp>(?:/\S*[\w>])?")
_MISSING = (
    re.compile(r"^(?:[\w.]*Error): cannot import name '([^']+)' from '([^']+)'.*$"),  # N, M
    re.compile(r"^AttributeError: module '([^']+)' has no attribute '([^']+)'.*$"),  # M, N
    re.compile(r"^error\[E0432\]: unresolved imports? `([^`]+)`.*$"),  # M::N
    re.compile(r"^error\[E04\d\d\]: cannot find \w+(?: \w+)? `([^`]+)` in (?:crate|module) `([^`]+)`.*$"),
    re.compile(r"^error\[E0433\]: failed to resolve: could not find `([^`]+)` in `([^`]+)`.*$"),
)


def _missing_name(cause: str) -> str:
    """``missing name M.N`` (``M::N`` in Rust) for a name missing from a module, however it is told."""
    for n, pattern in enumerate(_MISSING):
        if m := pattern.match(cause):
            if n == 0:
                return f"missing name {m.group(2)}.{m.group(1)}"
            if n == 1:
                return f"missing name {m.group(1)}.{m.group(2)}"
            if n == 2:
                return f"missing name {m.group(1)}"
            return f"missing name {m.group(2)}::{m.group(1)}"
    return cause


def _own_quoted(text: str, own: Own, taken: list[str]) -> str:
    def name(m: re.Match[str]) -> str:
        parts = _NAME_PARTS.split(m.group(2))
        if not any(p in own.names for p in parts[::2]):
            return m.group(0)
        taken.append(m.group(2))
        out = ["<own>" if i % 2 == 0 and p in own.names else p for i, p in enumerate(parts)]
        return m.group(1) + "".join(out) + m.group(1)

    return _QUOTED.sub(name, text)


def split_cause(
    kind: SignatureKind, summary: str, detail: Sequence[str] = (), own: Own = Own()
) -> tuple[str, str]:
    """(cause, location) of a normalized summary (see the module docstring): the cause names no product,
    the location is what was taken out of the summary to get it."""
    cause, taken = summary, []
    if kind in (SignatureKind.PYTEST_FAILURE, SignatureKind.PYTEST_ERROR) or (
        kind is SignatureKind.TIMEOUT and ".py" in summary.split(" ", 1)[0]
    ):
        if m := _TEST_ID_MESSAGE.match(summary):
            taken.append(m.group(1))
            cause = m.group(2)
        else:
            taken.append(summary)
            cause = _TEST_PARAMS.sub("", summary.rsplit("::", 1)[-1])
    if kind in (SignatureKind.PYTHON_TRACEBACK, SignatureKind.OOM_KILLED):
        if (m := _PY_FRAME.match(cause)) and " in " in m.group(2):
            taken.append(m.group(2))
            cause = m.group(1)
    elif kind is SignatureKind.NPM_ERROR and not summary.startswith("npm "):
        if m := _JS_TEST.match(summary):
            taken.append(m.group(1))
            cause = m.group(2)
    elif kind is SignatureKind.CARGO_ERROR:
        if m := _PANIC_CAUSE.match(summary):
            taken += [x for x in (m.group(1), m.group(3)) if x]
            cause = f"panicked: {m.group(2)}"
            if m.group(3) in own.paths and own.crate and _GENERIC_PANIC.match(m.group(2)):
                cause = f"panicked in {own.crate}: {m.group(2)}"  # its own bug
        elif m := _RUST_WHERE.match(summary):
            taken.append(m.group(2))
            cause = m.group(1)
        if "`" not in cause and (label := next((m for d in detail if (m := _RUST_LABEL.search(d))), None)):
            cause += f": {label.group(1)}"
    elif kind is SignatureKind.COMPILER_ERROR and (m := _C_CAUSE.match(summary)):
        taken.append(m.group(1))
        cause = m.group(2)
    if kind in (SignatureKind.PYTHON_TRACEBACK, SignatureKind.PYTEST_FAILURE, SignatureKind.PYTEST_ERROR):
        cause = _DID_YOU_MEAN.sub("", cause)
    for path in sorted(own.paths, key=len, reverse=True):
        if path in cause:
            taken.append(path)
            cause = cause.replace(path, "<path>")
    cause = _OWN_PLACE.sub(lambda m: taken.append(m.group(0)) or "<path>", cause)
    cause = _missing_name(_own_quoted(cause, own, taken))
    location = "; ".join(dict.fromkeys(x for x in taken if x))
    return _clip(cause), _clip(location)


def cause_of_record(kind: str, summary: str, detail: str = "") -> tuple[str, str, str]:
    """(cause, location, fingerprint) of a signature stored before causes were (its normalized summary
    and detail: the product's names are inferred from them alone). For the store's migration 0005."""
    try:
        sig_kind = SignatureKind(kind)
    except ValueError:
        sig_kind = SignatureKind.GENERIC
    lines = detail.split("\n") if detail else []
    cause, location = split_cause(sig_kind, summary, lines, own_names([summary, *lines], normalized=True))
    return cause, location, fingerprint(sig_kind, cause)


# --- the log and the hits of the recognizers ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hit:
    kind: SignatureKind
    summary: str  # normalized
    detail: tuple[str, ...]
    start: int  # 0-based line index
    end: int  # exclusive: the lines this hit claims
    weak: bool = False  # a consequence (could not compile, make ***): kept only without a specific cause
    claim_only: bool = False  # lines that belong to another hit (pytest's summary line of a section)
    cause: str = ""
    location: str = ""


class _Log:
    """The lines to match (stamps and colours stripped) and the normalizer for this log's workspaces."""

    def __init__(self, text: str) -> None:
        raw = text.replace("\r\n", "\n").split("\n")
        lines = []
        for line in raw:
            line = line.rstrip("\r").rsplit("\r", 1)[-1]  # a progress line rewritten in place: its last state
            line = _ANSI.sub("", line[:MAX_SCAN])
            lines.append(_LINE_STAMP.sub("", line, count=1))
        self.lines = lines
        self.roots = _roots(lines)
        self.own = own_names(lines)

    def norm(self, text: str, *, clip: bool = True) -> str:
        return normalize(text, self.roots, clip=clip)

    def detail(self, texts: Iterable[str]) -> tuple[str, ...]:
        out: list[str] = []
        for text in texts:
            if (n := self.norm(text)) and len(out) < MAX_DETAIL:
                out.append(n)
        return tuple(out)


def _hit(
    log: _Log,
    kind: SignatureKind,
    summary: str,
    detail: Iterable[str],
    start: int,
    end: int,
    *,
    weak: bool = False,
) -> _Hit:
    details = log.detail(detail)
    cause, location = split_cause(kind, log.norm(summary, clip=False), details, log.own)
    return _Hit(
        kind, log.norm(summary), details, start, max(end, start + 1), weak, cause=cause, location=location
    )


# --- pytest --------------------------------------------------------------------------------------------

_PYTEST_SECTION = re.compile(r"^_{3,} (.+?) _{3,}$")
_PYTEST_BANNER = re.compile(r"^(?:={3,}|!{3,}) ?.*? ?(?:={3,}|!{3,})$")
_PYTEST_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+?\.py\b(?:::[^\s\[]+)?(?:\[[^\]]*\])?)(?: - (.*))?$")
_PYTEST_VERBOSE = re.compile(r"^(\S+?\.py::([^\s\[]+(?:\[[^\]]*\])?)) (?:FAILED|ERROR)\b")  # -v progress
_PYTEST_E = re.compile(r"^E {2,}(.*)$|^E$")
_PYTEST_WHERE = re.compile(r"^(\S+?):(\d+): ?(.*)$")
_PYTEST_SETUP = re.compile(r"^ERROR at (?:setup|teardown) of (.+)$")
_PYTEST_COLLECT = re.compile(r"^ERROR collecting (.+)$")
_PYTEST_TIMEOUT = re.compile(r"^Failed: Timeout \(>")


@dataclass(frozen=True, slots=True)
class _Section:
    start: int
    end: int
    messages: tuple[str, ...]  # the E lines
    where: str | None  # the innermost `file:line: Exception` line


def _pytest_sections(lines: list[str]) -> dict[str, _Section]:
    sections: dict[str, _Section] = {}
    heads = [(i, m.group(1)) for i, line in enumerate(lines) if (m := _PYTEST_SECTION.match(line))]
    for n, (start, title) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        for i in range(start + 1, end):
            if _PYTEST_BANNER.match(lines[i]):
                end = i
                break
        body = lines[start + 1 : end]
        messages = tuple((m.group(1) or "").strip() for line in body if (m := _PYTEST_E.match(line)))
        if not messages:  # --tb=native: a Python traceback instead of E lines
            messages = _native_exception(body)
        wheres = [line for line in body if _PYTEST_WHERE.match(line) and not line.startswith(" ")]
        key = title
        if (m := _PYTEST_SETUP.match(title)) or (m := _PYTEST_COLLECT.match(title)):
            key = m.group(1)
        sections.setdefault(key, _Section(start, end, messages, wheres[-1] if wheres else None))
    return sections


def _native_exception(body: list[str]) -> tuple[str, ...]:
    starts = [i for i, line in enumerate(body) if _TB_START.match(line)]
    for line in body[starts[-1] + 1 :] if starts else []:
        if line.strip() and not _indent(line):
            return (line.strip(),) if _EXCEPTION.match(line.strip()) else ()
    return ()


def _pytest_kind(outcome: str, message: str) -> SignatureKind:
    if _PYTEST_TIMEOUT.match(message):
        return SignatureKind.TIMEOUT
    return SignatureKind.PYTEST_FAILURE if outcome == "FAILED" else SignatureKind.PYTEST_ERROR


def _section_detail(section: _Section) -> list[str]:
    return [*section.messages[: MAX_DETAIL - 1], *([section.where] if section.where else [])]


def _scan_pytest(log: _Log) -> list[_Hit]:
    lines = log.lines
    sections = _pytest_sections(lines)
    hits: list[_Hit] = []
    used: set[str] = set()
    for i, line in enumerate(lines):
        if not (m := _PYTEST_SUMMARY.match(line)):
            continue
        outcome, test_id, short = m.group(1), m.group(2), (m.group(3) or "").strip()
        path, _, name = test_id.partition("::")
        key = name.replace("::", ".") if name else path
        section = sections.get(key)
        message = section.messages[0] if section and section.messages else short.removesuffix("...")
        summary = f"{test_id} - {message}" if message else test_id
        kind = _pytest_kind(outcome, message)
        if section is None:
            hits.append(_hit(log, kind, summary, [short] if short else [], i, i + 1))
            continue
        used.add(key)
        hits.append(_hit(log, kind, summary, _section_detail(section), section.start, section.end))
        hits.append(_Hit(kind, "", (), i, i + 1, claim_only=True))
    # sections without a summary line (-rN, a cut log): named by the -v progress line when there is one
    verbose = {
        m.group(2).replace("::", "."): m.group(1) for line in lines if (m := _PYTEST_VERBOSE.match(line))
    }
    for key, section in sections.items():
        if key in used or not section.messages:
            continue
        title = lines[section.start]
        outcome = "ERROR" if "ERROR" in title.split()[:3] else "FAILED"
        summary = f"{verbose.get(key, key)} - {section.messages[0]}"
        kind = _pytest_kind(outcome, section.messages[0])
        hits.append(_hit(log, kind, summary, _section_detail(section), section.start, section.end))
    return hits


# --- Python tracebacks ---------------------------------------------------------------------------------

_TB_START = re.compile(r"^(\s*)Traceback \(most recent call last\):\s*$")
_TB_FILE = re.compile(r'^\s*File "(.+?)", line \d+(?:, in (.+))?$')
_TB_CHAIN = re.compile(
    r"^\s*(?:The above exception was the direct cause of the following exception:"
    r"|During handling of the above exception, another exception occurred:)\s*$"
)
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(?::\s.*|:)?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


# Python's own messages, printed without their exception (a program that caught it and printed ``str(e)``)
_PY_MESSAGES = (
    (re.compile(r"^'[\w.]+' object has no attribute '\w+'(?:\. Did you mean: '\w+'\?)?$"), "AttributeError"),
    (re.compile(r"^module '[\w.]+' has no attribute '\w+'(?:\. Did you mean: '\w+'\?)?$"), "AttributeError"),
    (re.compile(r"^No module named '[\w.]+'$"), "ModuleNotFoundError"),
    (re.compile(r"^cannot import name '\w+' from '[\w.]+'(?: \(.*\))?$"), "ImportError"),
)


def _scan_python_messages(log: _Log) -> list[_Hit]:
    """A line that is one of Python's own error messages, whole, without its exception's name (``'Config
    Parser' object has no attribute 'readfp'`` printed by the program that caught it): the error it names."""
    hits = []
    for i, line in enumerate(log.lines):
        text = line.strip()
        for pattern, error in _PY_MESSAGES:
            if pattern.match(text):
                hits.append(_hit(log, SignatureKind.PYTHON_TRACEBACK, f"{error}: {text}", [line], i, i + 1))
                break
    return hits


_V8_MESSAGES = (
    (re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+ is not a (?:function|constructor)$"), "TypeError"),
    (re.compile(r"^Cannot read properties of (?:undefined|null) \(reading '[\w$]+'\)$"), "TypeError"),
)


def _scan_v8_messages(log: _Log) -> list[_Hit]:
    """A line that is one of V8's own error messages, whole, without its error's name (``program.version
    is not a function`` printed by a CLI's handler that shows only ``err.message``): the error it names.
    Only messages no other runtime prints (a dotted callee; ``x is not defined`` could be anyone's)."""
    hits = []
    for i, line in enumerate(log.lines):
        text = line.strip()
        for pattern, error in _V8_MESSAGES:
            if pattern.match(text):
                hits.append(_hit(log, SignatureKind.NPM_ERROR, f"{error}: {text}", [line], i, i + 1))
                break
    return hits


def _scan_tracebacks(log: _Log) -> list[_Hit]:
    lines, n = log.lines, len(log.lines)
    hits: list[_Hit] = []
    i = 0
    while i < n:
        if not (m := _TB_START.match(lines[i])):
            i += 1
            continue
        start, causes = i, []
        while True:
            base = len(m.group(1))
            frames: list[tuple[str, str | None, str | None]] = []  # file, function, source
            j = i + 1
            while j < n and lines[j].strip() and _indent(lines[j]) > base:
                if f := _TB_FILE.match(lines[j]):
                    frames.append((f.group(1), f.group(2), None))
                elif frames and frames[-1][2] is None and not set(lines[j].strip()) <= set("^~ "):
                    frames[-1] = (frames[-1][0], frames[-1][1], lines[j].strip())
                j += 1
            exception = lines[j].strip() if j < n and _EXCEPTION.match(lines[j].strip()) else None
            end = j + 1 if exception else j
            k = end
            while k < n and not lines[k].strip():
                k += 1
            if exception and k < n and _TB_CHAIN.match(lines[k]):
                k += 1
                while k < n and not lines[k].strip():
                    k += 1
                if k < n and (m := _TB_START.match(lines[k])):
                    causes.append(exception)
                    i = k
                    continue
            break
        i = max(end, i + 1)
        exception = exception or "Traceback (incomplete)"
        where = ""
        if frames:
            file, function, _ = frames[-1]
            where = f" ({file} in {function})" if function else f" ({file})"
        memory = exception.startswith("MemoryError")
        kind = SignatureKind.OOM_KILLED if memory else SignatureKind.PYTHON_TRACEBACK
        detail = [f"{f} in {fn}: {src}" if src else f"{f} in {fn}" for f, fn, src in frames[-3:]]
        detail += [f"caused by {c}" for c in causes]
        hits.append(_hit(log, kind, exception + where, detail, start, end))
    return hits


# --- npm and node --test -------------------------------------------------------------------------------

_NPM = re.compile(r"^npm (?:ERR!|error)(?: (.*))?$")
_NPM_CODE = re.compile(r"^code (\S+)$")
_NPM_COMMAND = re.compile(r"^command (?!failed$)(.+)$")
_NPM_NOISE = re.compile(
    r"^(?:$|code |errno |syscall |path |dest |command |workspace |location |signal |cwd |in workspace"
    r"|at location|A complete log|Log files were not written|You can rerun|\s*/\S+\.log$|\d{3}$"
    r"|\d{3}  |\d{3} Note that|\d{3} tarball|Error: command failed|Test failed\.)"
)
_NPM_WEAK = re.compile(r"^(?:Lifecycle script|Test failed|command failed)")
_TAP_NOT_OK = re.compile(r"^(\s*)not ok \d+ - (.+?)(?: # .*)?$")
_TAP_FIELD = re.compile(r"^\s+(error|name|failureType|code|location): ?(.*)$")
_SPEC_FAIL = re.compile(r"^(\s*)\u2716 (.+?) \(\d[\d.]*m?s\)$")
_SPEC_RECAP = re.compile(r"^\u2716 failing tests:$")
_JS_ERROR = re.compile(r"^\s+([A-Za-z_$][\w$]*)(?: \[[^\]]*\])?: (.*)$")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _scan_npm(log: _Log) -> list[_Hit]:
    lines, n = log.lines, len(log.lines)
    hits: list[_Hit] = []
    i = 0
    while i < n:
        if not _NPM.match(lines[i]):
            i += 1
            continue
        start, block = i, []
        while i < n and ((m := _NPM.match(lines[i])) or not lines[i].strip()):
            if m:
                block.append((m.group(1) or "").strip())
            i += 1
        code = next((c.group(1) for text in block if (c := _NPM_CODE.match(text))), None)
        command = next((c.group(1) for text in block if (c := _NPM_COMMAND.match(text))), None)
        message = next((text for text in block if not _NPM_NOISE.match(text)), "")
        if not (code or message):
            continue
        weak = bool(_NPM_WEAK.match(message)) or code == "ELIFECYCLE" or (code or "x").isdigit()
        if code and not code.isdigit():
            summary = f"npm {code}: {message}" if message else f"npm {code}"
        else:
            summary = message or "npm failed"
            summary += f" {command}" if command and weak else ""
            summary += f" (exit code {code})" if code else ""
        hits.append(_hit(log, SignatureKind.NPM_ERROR, summary, block, start, i, weak=weak))
    return hits


_TAP_CRASH = re.compile(r"^# ((?:[A-Za-z_$][\w$]*)?(?:Error|Exception)(?: \[[^\]]*\])?): (.+)$")
_TAP_RESULT = re.compile(r"^\s*(?:not )?ok \d+ |^TAP version")


def _file_crash(lines: list[str], i: int) -> re.Match[str] | None:
    """The error a test file printed (TAP comments) when it died before its tests ran (``not ok`` with
    ``error: 'test failed'``): ``Error [ERR_MODULE_NOT_FOUND]: Cannot find package ...``."""
    j = i - 1
    while j >= 0 and not _TAP_RESULT.match(lines[j]):
        j -= 1
    return next((m for line in reversed(lines[j + 1 : i]) if (m := _TAP_CRASH.match(line))), None)


def _scan_node_tests(log: _Log) -> list[_Hit]:
    lines, n = log.lines, len(log.lines)
    hits: list[_Hit] = []
    for i, line in enumerate(lines):
        if _SPEC_RECAP.match(line):
            break  # the spec reporter repeats every failure after this line
        if m := _TAP_NOT_OK.match(line):
            fields: dict[str, str] = {}
            j = i + 1
            if j < n and lines[j].strip() == "---":
                j += 1
                while j < n and lines[j].strip() != "...":
                    if (f := _TAP_FIELD.match(lines[j])) and f.group(1) not in fields:
                        value = f.group(2).strip()
                        if value in ("|-", "|", ">-", ">") and j + 1 < n:
                            value = lines[j + 1].strip()
                        fields[f.group(1)] = _unquote(value)
                    j += 1
            if _unquote(fields.get("failureType", "")) == "subtestsFailed":
                continue
            name, error = fields.get("name", "Error"), fields.get("error", "")
            if error == "test failed" and (crash := _file_crash(lines, i)):  # the file died loading
                name, error = crash.group(1), crash.group(2)
            summary = f"{m.group(2)} - {name}: {error}" if error else m.group(2)
            detail = [f"{k}: {v}" for k, v in fields.items() if k != "error"]
            hits.append(_hit(log, SignatureKind.NPM_ERROR, summary, [error, *detail], i, j + 1))
        elif (m := _SPEC_FAIL.match(line)) and i + 1 < n and (e := _JS_ERROR.match(lines[i + 1])):
            summary = f"{m.group(2)} - {e.group(1)}: {e.group(2)}"
            j = i + 2
            while j < n and lines[j].strip() and j < i + 2 + MAX_DETAIL:
                j += 1
            hits.append(_hit(log, SignatureKind.NPM_ERROR, summary, lines[i + 1 : j], i, j))
    return hits


# Node's report of an uncaught exception: where it was thrown (``file.js:12`` or ``node:internal/x:541``),
# the source line and a caret, a blank line, then the error and its stack (``    at ...``).
_NODE_THROWN = re.compile(r"^((?:[A-Za-z_$][\w$]*)?(?:Error|Exception))(?: \[([A-Z0-9_]+)\])?: (.+)$")
_NODE_FRAME = re.compile(r"^\s+at \S")
_NODE_HEADER = re.compile(r"^(?:node:[\w/]+|\S+\.[cm]?[jt]sx?):\d+$")


def _scan_node_uncaught(log: _Log) -> list[_Hit]:
    """Node's uncaught exceptions: ``TypeError: mime.lookup is not a function`` (with its code, as
    ``TypeError [ERR_INVALID_ARG_TYPE]: ...``), the stack frames as its detail, and the lines above it
    that say where it was thrown claimed with it (not a failure of their own)."""
    lines, n = log.lines, len(log.lines)
    hits: list[_Hit] = []
    for i, line in enumerate(lines):
        m = _NODE_THROWN.match(line)
        if m is None or i + 1 >= n or not _NODE_FRAME.match(lines[i + 1]):
            continue
        j = i + 1
        while j < n and _NODE_FRAME.match(lines[j]) and j < i + 1 + MAX_DETAIL:
            j += 1
        start = next((k for k in range(i - 1, max(-1, i - 6), -1) if _NODE_HEADER.match(lines[k])), i)
        summary = f"{m.group(1)}{f' [{m.group(2)}]' if m.group(2) else ''}: {m.group(3)}"
        hits.append(_hit(log, SignatureKind.NPM_ERROR, summary, lines[i:j], start, j))
    return hits


# --- cargo / rustc -------------------------------------------------------------------------------------

_CARGO_CONTEXT = re.compile(
    r"^\s+(?:Compiling|Checking|Downloaded|Documenting|Fresh|Locking|Adding) \S+ v\d"
    r"|^\s+Updating (?:crates\.io|git repository|`)|^\s+Finished (?:`\w+` profile|\w+ \[)"
    r"|^\s+Running (?:unittests |`|tests/|benches/)|rustc --explain E\d{4}|^\$ cargo |could not compile `"
)
_RUST_ERROR = re.compile(r"^error(\[E\d{4}\])?: (.+)$")
_RUST_ARROW = re.compile(r"^\s*--> (.+?)(?::\d+){0,2}$")
_CARGO_WEAK = re.compile(
    r"^(?:could not compile `[^`]+`[^;]*?|test failed, to rerun pass .+|build failed|aborting due to .+"
    r"|process didn't exit successfully: .+)$"
)
_CARGO_TAIL = re.compile(r" due to \d+ previous errors?.*$|; \d+ warnings? emitted$")
_PANIC = re.compile(r"^thread '(.+?)'(?: \(\d+\))? panicked at (?:'(.*)', )?(.+?)(?::\d+){0,2}:?$")


def _scan_cargo(log: _Log) -> list[_Hit]:
    lines, n = log.lines, len(log.lines)
    cargo = any(_CARGO_CONTEXT.search(line) for line in lines)
    hits: list[_Hit] = []
    for i, line in enumerate(lines):
        if m := _PANIC.match(line):
            message, where = m.group(2), m.group(3)
            j = i + 1
            if message is None:  # Rust >= 1.73: the message is on the next lines
                message = lines[j].strip() if j < n else ""
                j += 1
            body = []
            while j < n and lines[j].strip() and not lines[j].startswith(("stack backtrace:", "note: ")):
                body.append(lines[j])
                j += 1
            summary = f"{m.group(1)} panicked: {message} ({where})"
            hits.append(_hit(log, SignatureKind.CARGO_ERROR, summary, body, i, j))
            continue
        if not (m := _RUST_ERROR.match(line)):
            continue
        arrow = next(
            (a for a in lines[i + 1 : i + 3] if _RUST_ARROW.match(a)),
            None,
        )
        j = i + 1
        while j < n and lines[j].strip() and j < i + 1 + MAX_DETAIL:
            j += 1
        # cargo's own error and its reason (a manifest that does not parse): "Caused by:" and an indented line
        cause = next((k for k in range(j, min(j + 2, n)) if lines[k].strip() == "Caused by:"), None)
        caused = not arrow and cause is not None and cause + 1 < n and lines[cause + 1][:1].isspace()
        if not (cargo or arrow or caused):
            continue
        code, message = m.group(1) or "", _CARGO_TAIL.sub("", m.group(2))
        where = f" ({_RUST_ARROW.match(arrow).group(1)})" if arrow else ""  # type: ignore[union-attr]
        weak = not arrow and bool(_CARGO_WEAK.match(message))
        if caused and cause is not None:
            message = f"{message}: {lines[cause + 1].strip()}"
            j = cause + 2
        summary = f"error{code}: {message}{where}"
        hits.append(_hit(log, SignatureKind.CARGO_ERROR, summary, lines[i + 1 : j], i, j, weak=weak))
    return hits


# --- gcc / clang / ld ----------------------------------------------------------------------------------

_C_FILE = r"\S+?\.(?:c|h|cc|cp|cpp|cxx|c\+\+|hh|hpp|hxx|h\+\+|m|mm|s|S|cu|ino|i|ii|inl|tcc)"
_C_ERROR = re.compile(rf"^({_C_FILE})(?::\d+){{1,2}}: (?:fatal )?error: (.+)$")
_C_FUNCTION = re.compile(rf"^{_C_FILE}: (?:In (?:member )?function|In constructor|At top level)")
_UNDEFINED = re.compile(r"undefined reference to [`'](.+)'$|^\s*\"(.+)\", referenced from:$")
_LD_MISSING = re.compile(r"\bld(?:\.\w+)?: cannot find (-l\S+|\S+)")
_LD_WEAK = re.compile(
    r"^collect2: error: ld returned \d+ exit status$|error: linker command failed with exit code \d+"
)


def _scan_compiler(log: _Log) -> list[_Hit]:
    lines, n = log.lines, len(log.lines)
    hits: list[_Hit] = []
    for i, line in enumerate(lines):
        if m := _C_ERROR.match(line):
            context = [lines[i - 1]] if i and _C_FUNCTION.match(lines[i - 1]) else []
            j = i + 1
            while j < n and (_GUTTER.match(lines[j]) or lines[j].lstrip().startswith("|")):
                j += 1
            summary = f"{m.group(1)}: error: {m.group(2)}"
            hits.append(_hit(log, SignatureKind.COMPILER_ERROR, summary, [*context, *lines[i + 1 : j]], i, j))
        elif m := _UNDEFINED.search(line):
            symbol = m.group(1) or m.group(2)
            context = [lines[i - 1]] if i and "in function" in lines[i - 1] else []
            summary = f"undefined reference to `{symbol}'"
            hits.append(_hit(log, SignatureKind.COMPILER_ERROR, summary, [*context, line], i, i + 1))
        elif m := _LD_MISSING.search(line):
            summary = f"ld: cannot find {m.group(1)}"
            hits.append(_hit(log, SignatureKind.COMPILER_ERROR, summary, [line], i, i + 1))
        elif _LD_WEAK.search(line):
            hits.append(_hit(log, SignatureKind.COMPILER_ERROR, line.strip(), [], i, i + 1, weak=True))
    return hits


# --- timeouts ------------------------------------------------------------------------------------------

_TIMEOUTS = (
    re.compile(r"^\[codemonkeys\] killed after the .+ timeout$"),  # act/base.py:run_command
    re.compile(r"^Timeout has been exceeded$"),  # Jenkins Pipeline `timeout`
    re.compile(r"^Build timed out \(after .+\)\. Marking the build as \w+\.?$"),  # Jenkins build-timeout
    re.compile(r"execution took longer than \S+ seconds"),  # GitLab
    re.compile(r"has exceeded the maximum execution time of"),  # GitHub Actions
    re.compile(r"^timeout: sending signal \w+ to command"),  # coreutils timeout --verbose
)
_TIMEOUT_WEAK = re.compile(r"\bexit (?:code|status) 124\b")
_COMMAND = re.compile(r"^(?:\$|\+) (.+)$")  # our `$ cmd` header, `sh -x` traces (Jenkins sh steps)


def _last_command(lines: list[str], before: int) -> str | None:
    return next((m.group(1) for line in reversed(lines[:before]) if (m := _COMMAND.match(line))), None)


def _scan_timeouts(log: _Log) -> list[_Hit]:
    lines = log.lines
    hits: list[_Hit] = []
    for i, line in enumerate(lines):
        if any(t.search(line) for t in _TIMEOUTS):
            weak = False
        elif _TIMEOUT_WEAK.search(line):
            weak = True
        else:
            continue
        command = _last_command(lines, i)
        summary = f"timed out running `{command}`" if command else line.strip()
        before = [text for text in lines[max(0, i - _CONTEXT) : i] if text.strip()][-3:]
        hits.append(_hit(log, SignatureKind.TIMEOUT, summary, [*before, line], i, i + 1, weak=weak))
    return hits


# --- killed for memory ---------------------------------------------------------------------------------

_OOM_KILLED_CMD = re.compile(r"^(?:.*: )?(?:line \d+: )?\s*\d+ Killed\s+(.+)$")  # bash
_OOM = re.compile(
    r"^Killed$"  # sh
    r"|Killed signal terminated program \S+"  # gcc
    r"|\*\*\* \[.+\] Killed$"  # make
    r"|\(signal: 9, SIGKILL: kill\)|\bsignal:? 9\b|\bsignal: killed$|\b(?:killed|terminated) by SIGKILL\b"
    r"|\bexit(?:ed with)? (?:code|status):? 137\b|returned non-zero exit status 137"
    r"|Out of memory: Killed process|\b(?i:out of memory)\b|\bOOMKilled\b"
    r"|^MemoryError\b|std::bad_alloc|memory allocation of \d+ bytes failed|Cannot allocate memory"
)


def _scan_oom(log: _Log) -> list[_Hit]:
    lines, n = log.lines, len(log.lines)
    hits: list[_Hit] = []
    i = 0
    while i < n:
        line = lines[i]
        killed = _OOM_KILLED_CMD.match(line)
        if not (killed or _OOM.search(line)):
            i += 1
            continue
        j = i + 1  # related lines close by (`Killed` then `exit code 137`) are the same event
        while (
            j < n
            and j < i + _CONTEXT
            and (_OOM_KILLED_CMD.match(lines[j]) or _OOM.search(lines[j]) or not lines[j].strip())
        ):
            j += 1
        summary = f"Killed: {killed.group(1).strip()}" if killed else line.strip()
        hits.append(_hit(log, SignatureKind.OOM_KILLED, summary, lines[i:j], i, j))
        i = j
    return hits


# --- generic (only when nothing specific matched) -------------------------------------------------------

_GENERIC = re.compile(
    r"^##\[error\](.+)$"
    r"|^(?:ERROR|FATAL|Error|fatal|error)(?:\[\w+\])?: (.+)$"
    r"|^(make(?:\[\d+\])?: \*\*\* .+)$"
    r"|^(.+: command not found)$"
    r"|^(Process completed with exit code \d+\.?)$"
)


def _scan_generic(log: _Log) -> list[_Hit]:
    hits = []
    for i, line in enumerate(log.lines):
        if m := _GENERIC.match(line):
            text = next(g for g in m.groups() if g)
            hits.append(_hit(log, SignatureKind.GENERIC, text, [line], i, i + 1, weak=True))
    return hits


# In priority order: a hit that starts on a line an earlier hit claimed is part of that earlier one.
_SCANNERS: tuple[Callable[[_Log], list[_Hit]], ...] = (
    _scan_pytest,
    _scan_tracebacks,
    _scan_node_tests,
    _scan_npm,
    _scan_node_uncaught,
    _scan_cargo,
    _scan_compiler,
    _scan_python_messages,
    _scan_v8_messages,
    _scan_timeouts,
    _scan_oom,
    _scan_generic,
)


def _scan_mined(log: _Log, claimed: set[int]) -> list[_Hit]:
    """One hit per line of each template mined from the lines no parser claimed (one signature each)."""
    hits = []
    for m in mining.mine(log.lines, log.norm, claimed):
        cause, location = split_cause(SignatureKind.MINED, m.template, m.examples, log.own)
        hits += [
            _Hit(
                SignatureKind.MINED,
                _clip(m.template),
                m.examples,
                i,
                i + 1,
                True,
                cause=cause,
                location=location,
            )
            for i in m.lines
        ]
    return hits


def _merge(signatures: dict[str, Signature], hit: _Hit) -> None:
    """Add a hit to the log's signatures: a cause already found counts once more (and names the other
    location too)."""
    fp = fingerprint(hit.kind, hit.cause)
    if (seen := signatures.get(fp)) is None:
        signatures[fp] = Signature(
            hit.kind, fp, hit.summary, hit.detail, hit.start + 1, 1, hit.cause, hit.location
        )
        return
    location = seen.location
    if hit.location and hit.location not in location.split("; "):
        location = _clip(f"{location}; {hit.location}" if location else hit.location)
    signatures[fp] = replace(seen, count=seen.count + 1, detail=seen.detail or hit.detail, location=location)


def extract_signatures(log: str, *, limit: int = MAX_SIGNATURES, mine: bool = True) -> list[Signature]:
    """The failures in a console log, in the order they appear, one per fingerprint (``count`` repeats).
    When the parsers found nothing specific (only ``GENERIC`` lines, or nothing), ``mine`` adds the
    templates the log miner finds in the other error-looking lines (``MINED``; needs ``drain3``)."""
    parsed = _Log(log)
    claimed: set[int] = set()
    hits: list[_Hit] = []
    for scan in _SCANNERS:
        found = [hit for hit in scan(parsed) if hit.start not in claimed]
        claimed.update(i for hit in found for i in range(hit.start, hit.end))
        hits += found
    hits = [hit for hit in hits if not hit.claim_only]
    if any(not hit.weak for hit in hits):
        hits = [hit for hit in hits if not hit.weak]
    elif mine and all(hit.kind is SignatureKind.GENERIC for hit in hits):
        hits += _scan_mined(parsed, claimed)
    signatures: dict[str, Signature] = {}
    for hit in sorted(hits, key=lambda h: h.start):
        _merge(signatures, hit)
    return list(signatures.values())[:limit]


def mined_signatures(log: str, *, limit: int = MAX_SIGNATURES) -> list[Signature]:
    """The miner alone on a whole log, no parser first (to measure it against the parsers); ``[]``
    without ``drain3``."""
    parsed = _Log(log)
    signatures: dict[str, Signature] = {}
    for hit in _scan_mined(parsed, set()):
        _merge(signatures, hit)
    return list(signatures.values())[:limit]
