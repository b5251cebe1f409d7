"""The ``cmctl`` entry point: ``cmctl oracle search`` is dispatched before the rest of the CLI is imported.

Importing the whole CLI loads the library (engine, store, loader: most of a second); a search needs none of
it. Every other command line goes to ``cli.main.app`` unchanged.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Run ``cmctl`` on ``argv`` (default: the process arguments)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:2] == ["oracle", "search"]:
        from codemonkeys.cli.oracle_search import search_app

        search_app()(args=args, prog_name="cmctl")
        return
    from codemonkeys.cli.main import app

    app(args=args, prog_name="cmctl")
