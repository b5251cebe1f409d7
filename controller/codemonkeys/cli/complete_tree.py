"""The two files the fast shell completion (``cli.complete``) reads, written from the full CLI:

* ``tree(app)``: the CLI's commands, options and arguments as JSON, shipped as ``completion_tree.json``
  (``write_tree`` regenerates it; a test keeps it equal to the CLI);
* ``write_index(fs, plan)``: the fleet's names in ``<fleet>/.cmctl/completion.json``: products, action
  ids in the journal, and the actions the last plans held (``plan`` updates them for its products).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import typer
import typer.main

from codemonkeys.cli.complete import INDEX, TREE
from codemonkeys.vocab.plan import Plan, Verdict

# the CLI's completion functions (cli.common), by what they complete
COMPLETERS = {"complete_product": "product", "complete_action": "action", "complete_held": "held"}


def _completes(param: Any) -> str | None:
    """What ``param``'s typer autocompletion completes (the wrapped function's name), None for none."""
    todo, seen = [getattr(param, "_custom_shell_complete", None)], set()
    while todo:  # typer wraps the function (twice): look through the wrappers' closures
        fn = todo.pop()
        if not callable(fn) or id(fn) in seen:
            continue
        seen.add(id(fn))
        code = getattr(fn, "__code__", None)  # a lambda calling one names it
        for name in (getattr(fn, "__name__", ""), *(code.co_names if code else ())):
            if name in COMPLETERS:
                return COMPLETERS[name]
        todo.extend(c.cell_contents for c in getattr(fn, "__closure__", None) or ())
    return None


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n")[0].strip()


def _node(cmd: Any, ctx: Any) -> dict[str, Any]:
    """One command (typer's own click classes: read by their attributes)."""
    options, arguments = [], []
    for p in cmd.params:
        if getattr(p, "hidden", False):
            continue
        if p.param_type_name == "option":
            names = [*p.opts, *p.secondary_opts]
            takes = not p.is_flag and not p.count
            options.append(
                {"names": names, "takes_value": takes, "complete": _completes(p), "help": _first_line(p.help)}
            )
        elif p.param_type_name == "argument":
            arguments.append({"complete": _completes(p), "many": p.nargs != 1})
    options.append({"names": ["--help"], "takes_value": False, "complete": None, "help": "Show help."})
    node: dict[str, Any] = {"options": options, "arguments": arguments}
    if hasattr(cmd, "list_commands"):
        node["commands"] = {
            name: {**_node(sub, ctx), "help": _first_line(sub.get_short_help_str(limit=45))}
            for name in cmd.list_commands(ctx)
            if (sub := cmd.get_command(ctx, name)) is not None and not sub.hidden
        }
    return node


def tree(app: typer.Typer) -> dict[str, Any]:
    """The command tree of ``app`` as the fast completion reads it."""
    cmd = typer.main.get_command(app)
    return _node(cmd, cmd.make_context("cmctl", [], resilient_parsing=True))


def render_tree(app: typer.Typer) -> str:
    """``tree(app)`` as the text of ``completion_tree.json``."""
    return json.dumps(tree(app), indent=1) + "\n"


def write_tree() -> Path:
    """Regenerate ``completion_tree.json`` from the CLI (after adding or changing a command)."""
    from codemonkeys.cli.main import app

    TREE.write_text(render_tree(app))
    return TREE


def write_index(fs, plan: Plan | None = None) -> None:
    """Rewrite the fleet's completion index (never fails a command: completion is a convenience).
    The held actions are those the stored statuses of the last plans mark held, with ``plan``'s own
    (fresher) verdicts for its products."""
    try:
        held = set(fs.store.held_action_ids())
        if plan is not None:
            held = {a for a in held if a.split("/", 1)[0] not in plan.products}
            held |= {a.id for a in plan.actions if a.decision.verdict is Verdict.HOLD}
        doc = {
            "products": sorted(fs.desired.products),
            "actions": sorted(fs.store.action_ids()),
            "held": sorted(held),
        }
        path = fs.desired.root / INDEX
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".completion.")
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, path)
    except Exception:  # a read-only fleet, a store being migrated: no index, the full completion answers
        return
