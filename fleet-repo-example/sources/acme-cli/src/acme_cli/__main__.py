"""Entry point for the ``acme`` console script (and ``python -m acme_cli``)."""

import argparse
import sys
from typing import List, Optional, TextIO, Tuple

from acme_cli import __version__

Counts = Tuple[int, int, int]


def count_stream(stream: TextIO) -> Counts:
    """Return ``(lines, words, characters)`` for a text stream."""
    lines = words = chars = 0
    for line in stream:
        lines += 1
        words += len(line.split())
        chars += len(line)
    return lines, words, chars


def _row(counts: Counts, label: str) -> str:
    return "".join(f"{n:8d}" for n in counts) + f" {label}"


def cmd_greet(args: argparse.Namespace) -> int:
    message = f"Hello, {args.name}!"
    print(message.upper() if args.shout else message)
    return 0


def cmd_count(args: argparse.Namespace) -> int:
    status = 0
    totals = [0, 0, 0]
    names = args.files or ["-"]
    for name in names:
        try:
            if name == "-":
                counts = count_stream(sys.stdin)
            else:
                with open(name, encoding="utf-8") as fh:
                    counts = count_stream(fh)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"acme: {name}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
            status = 1
            continue
        totals = [t + c for t, c in zip(totals, counts)]
        print(_row(counts, name))
    if len(names) > 1:
        print(_row(tuple(totals), "total"))
    return status


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for ``acme``."""
    parser = argparse.ArgumentParser(prog="acme", description="ACME command-line tool.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    greet = sub.add_parser("greet", help="print a greeting")
    greet.add_argument("name")
    greet.add_argument("--shout", action="store_true", help="print in upper case")
    greet.set_defaults(func=cmd_greet)

    count = sub.add_parser("count", help="count lines, words and characters")
    count.add_argument("files", nargs="*", metavar="FILE", help="files to read ('-' for stdin)")
    count.set_defaults(func=cmd_count)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run ``acme`` with *argv* (default: ``sys.argv[1:]``) and return the exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
