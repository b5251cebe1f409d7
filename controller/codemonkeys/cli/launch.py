"""The ``cmctl`` entry point: shell completion (``cli.complete``) and ``cmctl oracle search`` are answered
before the rest of the CLI is imported.

Importing the whole CLI loads the library (engine, store, loader: most of a second); a search needs none of
it. Every other command line goes to ``cli.main.app`` unchanged.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Run ``cmctl`` on ``argv`` (default: the process arguments)."""
    from codemonkeys.context import Context  # light: no models, no fleet

    env = Context.from_environ().env
    if "_CMCTL_COMPLETE" in env:  # a TAB: answered from small files (cli/complete.py) when it can be
        from codemonkeys.cli.complete import fast_complete

        answered = fast_complete(env)
        if answered is not None:
            sys.stdout.write(answered[0])
            sys.stdout.flush()
            raise SystemExit(answered[1])
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:  # as the full CLI says it, without loading it
        import codemonkeys

        sys.stdout.write(f"cmctl {codemonkeys.__version__}\n")
        return
    if args[:2] == ["oracle", "search"]:
        from codemonkeys.cli.oracle_search import search_app

        search_app()(args=args, prog_name="cmctl")
        return
    from codemonkeys.cli.main import app

    app(args=args, prog_name="cmctl")
