"""The CLI's consoles, its error exit and the ``--fleet`` / ``--json`` options, without the library.

``cli.common`` re-exports all of these; commands that must start fast (``cmctl oracle search``, dispatched
by ``cli.launch`` before the rest of the CLI is imported) take them from here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperArgument, TyperOption

# NO_COLOR (no-color.org): no colour and no other styling either (rich, which reads it, keeps bold and dim)
NO_COLOR = Console().no_color
_PLAIN = {"color_system": None} if NO_COLOR else {}
out = Console(highlight=False, soft_wrap=True, **_PLAIN)
err = Console(stderr=True, highlight=False, soft_wrap=True, **_PLAIN)
if not out.is_terminal:  # piped or redirected: tables as wide as their content, never cut to 80 columns
    out = Console(highlight=False, soft_wrap=True, width=100_000, **_PLAIN)

FleetOpt = Annotated[
    Path,
    typer.Option(
        "--fleet", "-f", envvar="CMCTL_FLEET", help="Fleet repo directory.", show_default="current dir"
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
FORMATS = ("text", "wide", "json", "yaml", "name")
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="json|yaml|name|wide",
        help="Output format (kubectl): json or yaml (the --json document), name (one name per line), wide.",
    ),
]


def output_format(output: str | None, as_json: bool = False) -> str:
    """The format asked for: ``--json`` is ``json``; ``text`` by default; an unknown one is an error."""
    if as_json:
        return "json"
    fmt = (output or "text").lower()
    if fmt not in FORMATS:
        raise fail(f"unknown output format {output!r}: one of {', '.join(FORMATS[1:])}")
    return fmt


def emit(doc: object, fmt: str, names: list[str]) -> bool:
    """Write ``doc`` on stdout in a machine format (``json``, ``yaml``) or ``names`` one per line (``name``);
    False for the text formats, which the command renders itself."""
    if fmt == "json":
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif fmt == "yaml":
        import yaml  # only here: the fast commands (oracle search) do not load it

        sys.stdout.write(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    elif fmt == "name":
        sys.stdout.write("".join(f"{n}\n" for n in names))
    else:
        return False
    return True


_TYPE_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "Path": "PATH"}


def _help_type(shown: str | None, flag: bool) -> str | None:
    """A value's type in ``--help`` as click and kubectl show it (``PATH``, ``TEXT``, ``TEXT...``, a choice
    as ``json|yaml``) and nothing for a flag, for typer's Python types (``<bool>``, ``<list[str]>``)."""
    if flag or not shown:
        return None
    name = shown.strip("<>")
    many = name.startswith("list[")
    name = name.removeprefix("list[").removesuffix("]")
    label = name if "|" in name else _TYPE_NAMES.get(name, name.upper())
    return label + ("..." if many else "")


def _install_help_types() -> None:
    for cls in (TyperOption, TyperArgument):
        shown = cls.display_type_rich

        def display_type_rich(self, ctx, shown=shown):
            if self.metavar is not None:
                return self.metavar
            return _help_type(
                shown(self, ctx), bool(getattr(self, "is_flag", False) or getattr(self, "count", False))
            )

        cls.display_type_rich = display_type_rich  # type: ignore[method-assign]


_install_help_types()


def _plain_typer_help() -> None:
    """NO_COLOR for typer's own rich output (``--help``, usage errors) too: its consoles get no colour
    system, so neither colours nor bold and dim reach the terminal."""
    import typer.rich_utils

    typer.rich_utils.COLOR_SYSTEM = None


if NO_COLOR:
    _plain_typer_help()


def fleet_dir(fleet: Path) -> Path:
    """``fleet``, or ``error: not a fleet repo`` and exit 1 when it holds neither a ``fleet.yaml`` nor a
    ``constitution.yaml`` (a directory that is not a fleet at all, not a fleet with a problem to report)."""
    if not (fleet / "fleet.yaml").is_file() and not (fleet / "constitution.yaml").is_file():
        where = "the current directory" if str(fleet) == "." else str(fleet)
        raise fail(f"not a fleet repo: {where} has no fleet.yaml (use --fleet DIR or set CMCTL_FLEET)")
    return fleet


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises the returned exit (code 1)."""
    err.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(1)
