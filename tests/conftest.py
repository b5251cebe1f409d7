"""Shared fixtures: demo workspaces (real git repos) and a way to run the real `cmctl`."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace, init_workspace, pick_ports, stop_services
from servers.fixtures import (  # noqa: F401  (real registries)
    npm_server,
    oci_server,
    oci_token_server,
    pypi_server,
)
from servers.ollama.fixtures import (  # noqa: F401  (the Ollama-compatible server: real model, scripted)
    ollama_real,
    ollama_scripted,
    ollama_scripted_server,
    ollama_server,
)
from servers.postgres import postgres_cluster, postgres_url  # noqa: F401  (a throwaway PostgreSQL cluster)

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).parent / "cases"


def cmctl(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600):
    """Run the real CLI in a subprocess (as a user would)."""
    return subprocess.run(
        [sys.executable, "-m", "codemonkeys", *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Workspace:
    """One replayed demo workspace per session; tests get copies of it."""
    return init_workspace(tmp_path_factory.mktemp("template") / "ws")


@contextlib.contextmanager
def workspace_copy(template: Workspace, dest: Path):
    """A copy of a demo workspace with its own free ports for acme-web's local deploy hosts; the
    service processes its deploys start are stopped afterwards."""
    shutil.copytree(template.root, dest, symlinks=True)
    ws = Workspace(dest)
    pick_ports(ws)
    try:
        yield ws
    finally:
        stop_services(ws)


@pytest.fixture
def workspace(demo_template: Workspace, tmp_path: Path):
    with workspace_copy(demo_template, tmp_path / "ws") as ws:
        yield ws
