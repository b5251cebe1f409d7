"""Shell completion without loading the CLI or the fleet: a TAB answers in tens of milliseconds.

Typer's completion imports the whole CLI and the library, and loads the fleet to list its products: about
two seconds a TAB. Here the shell's request (bash, zsh and fish, as typer's completion scripts send it:
``_CMCTL_COMPLETE=complete_<shell>`` with ``COMP_WORDS``/``COMP_CWORD`` or ``_TYPER_COMPLETE_ARGS``) is
answered from two small files, with the standard library only:

* ``completion_tree.json`` beside this module: the commands, their options (which take a value) and
  arguments, and which of them complete products, action ids or held action ids. Generated from the CLI
  (``cli.complete_tree.tree``); a test keeps it equal to the CLI.
* ``<fleet>/.cmctl/completion.json``, the fleet's names: its products, the action ids in its journal and
  the actions its last plans held. The CLI rewrites it whenever it has them at hand (``plan``, ``apply``,
  ``status``, ``approve``, ``reject``, and the full completion); until it exists the full completion answers.

``fast_complete`` returns None for what it does not answer (PowerShell, no index yet), and ``cli.launch``
hands the request to typer then.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TREE = Path(__file__).with_name("completion_tree.json")
INDEX = Path(".cmctl") / "completion.json"
COMPLETE_VAR = "_CMCTL_COMPLETE"
FLEET_ENV = "CMCTL_FLEET"


def _split(line: str) -> list[str]:
    """Words as the shell gave them (an unclosed quote, while typing, is closed)."""
    lex = shlex.shlex(line, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    words: list[str] = []
    try:
        for word in lex:
            words.append(word)
    except ValueError:  # an unclosed quote: what was read so far, and the rest as one word
        if lex.token:
            words.append(lex.token)
    return words


def request(env: Mapping[str, str]) -> tuple[str, list[str], str] | None:
    """(shell, words before the one completed, the word being completed) from the shell's request."""
    shell = env.get(COMPLETE_VAR, "").removeprefix("complete_")
    if shell == "bash":
        words = _split(env.get("COMP_WORDS", ""))
        cword = int(env.get("COMP_CWORD", "0") or 0)
        return shell, words[1:cword], words[cword] if cword < len(words) else ""
    if shell in ("zsh", "fish"):
        line = env.get("_TYPER_COMPLETE_ARGS", "")
        args = _split(line)[1:]
        if args and not line.endswith(" "):
            return shell, args[:-1], args[-1]
        return shell, args, ""
    return None


def _option(node: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((o for o in node["options"] if name in o["names"]), None)


def candidates(
    tree: dict[str, Any], args: list[str], incomplete: str, names: Mapping[str, list[str]] | None
) -> list[tuple[str, str]] | None:
    """(value, help) pairs completing ``incomplete`` after ``args`` in the command ``tree``; ``names`` is
    the fleet's index (products, actions, held), None if there is none (then None for a fleet value)."""
    node, positional, pending, i = tree, 0, None, 0
    while i < len(args):
        word = args[i]
        i += 1
        if word.startswith("-") and word != "-":
            name, eq, _ = word.partition("=")
            opt = _option(node, name)
            if opt is not None and opt["takes_value"] and not eq:
                if i < len(args):
                    i += 1  # its value
                else:
                    pending = opt
            continue
        if word in node.get("commands", {}):
            node, positional = node["commands"][word], 0
            continue
        positional += 1
    if pending is not None:
        return _values(pending.get("complete"), incomplete, names)
    if incomplete.startswith("-"):
        return [(n, o["help"]) for o in node["options"] for n in o["names"] if n.startswith(incomplete)]
    if node.get("commands"):
        return [(n, c["help"]) for n, c in node["commands"].items() if n.startswith(incomplete)]
    arguments = node.get("arguments", [])
    if not arguments:
        return []
    arg = arguments[min(positional, len(arguments) - 1)]
    if positional >= len(arguments) and not arg["many"]:
        return []
    return _values(arg.get("complete"), incomplete, names)


def _values(
    kind: str | None, incomplete: str, names: Mapping[str, list[str]] | None
) -> list[tuple[str, str]] | None:
    if kind is None:
        return []  # a path or free text: the shell's own (files)
    if names is None:
        return None
    if kind == "product":
        pool = names.get("products", [])
    elif kind == "held":
        pool = names.get("held", [])
    else:  # action: the journal's, and PRODUCT/ to start one of any product
        pool = sorted(set(names.get("actions", [])) | {f"{p}/" for p in names.get("products", [])})
    return [(v, "") for v in pool if v.startswith(incomplete)]


def fleet_of(args: list[str], env: Mapping[str, str]) -> Path:
    """The fleet directory the command line names (``--fleet``/``-f``), else ``CMCTL_FLEET``, else here."""
    for i, word in enumerate(args):
        if word in ("--fleet", "-f") and i + 1 < len(args):
            return Path(args[i + 1])
        if word.startswith("--fleet="):
            return Path(word.partition("=")[2])
    return Path(env.get(FLEET_ENV) or ".")


def read_index(fleet: Path) -> dict[str, list[str]] | None:
    """The fleet's completion index, None if it has none (or it cannot be read)."""
    try:
        doc = json.loads((fleet / INDEX).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _format(shell: str, items: list[tuple[str, str]]) -> str:
    if shell == "bash":
        return "\n".join(v for v, _ in items)
    if shell == "fish":
        return "\n".join(f"{v}\t{' '.join(h.split())}" if h else v for v, h in items)

    def esc(s: str) -> str:  # zsh, as typer's script reads it
        for old, new in (('"', '""'), ("'", "''"), ("$", "\\$"), ("`", "\\`"), (":", r"\\:")):
            s = s.replace(old, new)
        return s

    if not items:
        return "_files"
    lines = "\n".join(f'"{esc(v)}":"{esc(h)}"' if h else f'"{esc(v)}"' for v, h in items)
    return f"_arguments '*: :(({lines}))'"


def fast_complete(env: Mapping[str, str]) -> tuple[str, int] | None:
    """The answer to the shell's completion request in ``env`` (what to print, as typer prints it, and
    the exit status), or None when the full completion must answer."""
    asked = request(env)
    if asked is None:
        return None
    shell, args, incomplete = asked
    try:
        tree = json.loads(TREE.read_text())
    except (OSError, ValueError):
        return None
    items = candidates(tree, args, incomplete, read_index(fleet_of(args, env)))
    if items is None:
        return None
    if shell == "fish":
        action = env.get("_TYPER_COMPLETE_FISH_ACTION", "")
        if action == "is-args":  # the exit status says whether to offer these (0) or files (1)
            return "", 0 if items else 1
        return (_format(shell, items) if items else "") + "\n", 0
    return _format(shell, items) + "\n", 0
