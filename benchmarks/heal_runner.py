"""Run a heal-corpus pair's commands for real: the environment its ``env.yaml`` describes, provisioned once.

``benchmarks/heal_corpus.py --run`` uses this to judge a template's patch by the consumer's own build (its
``pair.yaml`` command against the new version), as the controller does before it merges a heal, instead of
by comparing the patched files with the expected fix. ``env.yaml`` (beside ``pair.yaml``)::

    python: "3.12"                  # pythonX.Y on PATH: a venv with the pins below
    pip: ["PyYAML==6.0.4"]
    npm: ["commander@12.1.0"]       # node_modules in the work tree's parent and grandparent directories
    cargo: true                     # cargo --offline, path dependencies vendored in the tree
    unverifiable: "why"             # the new version cannot be installed here: not run

Environments are cached by their contents under ``~/.cache/codemonkeys-bench/heal-envs/`` (a venv or a
``node_modules`` per distinct list), so a second run installs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

KEPT = {"HOME", "LANG", "LC_ALL", "TMPDIR", "TERM", "USER", "CARGO_HOME", "RUSTUP_HOME"}
CACHE = Path.home() / ".cache" / "codemonkeys-bench" / "heal-envs"
TIMEOUT_S = 300


@dataclass(frozen=True)
class Outcome:
    """A command's result on one tree: green or not, and the tail of its output."""

    green: bool
    tail: str
    seconds: float


def load_env(pair: Path) -> dict | None:
    """The pair's env.yaml, or None when it has none or says it cannot run here."""
    path = pair / "env.yaml"
    if not path.is_file():
        return None
    env = yaml.safe_load(path.read_text()) or {}
    return None if env.get("unverifiable") else env


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _interpreter(version: str) -> str:
    """pythonX.Y: pyenv's build if any (its shims run only the selected version), else PATH's."""
    builds = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    return str(builds[-1]) if builds else shutil.which(f"python{version}") or f"python{version}"


def _provision_python(version: str, pins: list[str]) -> Path:
    """A venv for the interpreter and pins, made once; its bin directory."""
    venv = CACHE / f"py{version}-{_key(version, sorted(pins))}"
    ready = venv / ".ready"
    if not ready.is_file():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([_interpreter(version), "-m", "venv", str(venv)], check=True, capture_output=True)
        if pins:
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", *pins],
                check=True,
                capture_output=True,
            )
        ready.write_text("\n".join(pins))
    return venv / "bin"


def _provision_npm(packages: list[str]) -> Path:
    """A directory with node_modules holding the packages, made once; trees go in its subdirectories."""
    root = CACHE / f"npm-{_key(sorted(packages))}"
    ready = root / ".ready"
    if not ready.is_file():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        (root / "package.json").write_text('{"private": true}\n')
        subprocess.run(
            ["npm", "install", "--no-save", "--no-audit", "--no-fund", "--silent", *packages],
            cwd=root,
            check=True,
            capture_output=True,
        )
        ready.write_text("\n".join(packages))
    return root


def run(env: dict, files: dict[str, str], command: str) -> Outcome:
    """Write ``files`` as a work tree in the environment ``env`` describes; run ``command`` from its root."""
    path = os.pathsep.join(  # not the harness's own venv: a pair without a ``python`` key gets the system's
        p for p in os.environ.get("PATH", "").split(os.pathsep) if not (Path(p) / "activate").is_file()
    )
    parent: Path | None = None
    if env.get("python"):
        path = f"{_provision_python(str(env['python']), list(env.get('pip') or []))}{os.pathsep}{path}"
    if env.get("npm"):
        parent = _provision_npm(list(env["npm"]))
    if parent is not None:  # the packages' commands (tsc, or node itself from the npm package) come first
        path = f"{parent / 'node_modules' / '.bin'}{os.pathsep}{path}"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=parent, prefix="tree-") as tmp:
        root = Path(tmp) / "work"  # ../node_modules and ../../node_modules both find the packages
        if parent is not None:
            (Path(tmp) / "node_modules").symlink_to(parent / "node_modules")
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        environ = {k: v for k, v in os.environ.items() if k in KEPT}  # not the harness's tokens or venv
        environ.update(PATH=path, PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.Popen(
            ["bash", "-c", command],
            cwd=root,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a timeout ends node, cargo or pytest too, not only bash
        )
        try:
            output, _ = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return Outcome(False, f"timed out after {TIMEOUT_S} s", time.perf_counter() - start)
    tail = "\n".join(output.strip().splitlines()[-3:])
    return Outcome(proc.returncode == 0, tail, time.perf_counter() - start)
