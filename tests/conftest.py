"""Shared fixtures: demo workspaces (real git repos) and a way to run the real `cmctl`; and what makes a
green CI run mean something: under CI=true (``need.in_ci``) a skipped test fails the run
(``need.pytest_terminal_summary``, on pytest-xdist too) and ``CM_UPDATE_GOLDEN`` is refused
(``golden.refuse_in_ci``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace, init_workspace, pick_ports, stop_services
from golden import refuse_in_ci
from need import pytest_sessionstart, pytest_terminal_summary  # noqa: F401  (CI=true: skips fail)
from servers.fixtures import (  # noqa: F401  (real registries; forge servers)
    gh_server,
    gl_server,
    gt_server,
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
# the products of the `workspace` fixture: the demo without acme-web
LITE_PRODUCTS = ["acme-cli", "acme-report", "acme-text", "globex-hash", "globex-widgets"]
CASES = Path(__file__).parent / "cases"


def pytest_configure(config: pytest.Config) -> None:
    """Refuse ``CM_UPDATE_GOLDEN`` under CI=true before anything runs."""
    refuse_in_ci()


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


@pytest.fixture(scope="session")
def demo_template_lite(demo_template: Workspace, tmp_path_factory) -> Workspace:
    """The demo without ``acme-web``: its three deploys over Ansible and its two probes per plan are
    most of a demo apply's time, and only the tests about deploys need them."""
    ws = Workspace(tmp_path_factory.mktemp("template-lite") / "ws")
    shutil.copytree(demo_template.root, ws.root, symlinks=True)
    git = ["git", "-C", str(ws.fleet)]
    subprocess.run([*git, "rm", "-q", "products/acme/acme-web.yaml"], check=True)
    subprocess.run(
        [*git, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "Tests: without acme-web"],
        check=True,
        env={
            **os.environ,
            "GIT_AUTHOR_DATE": "2026-01-02T00:00:00Z",
            "GIT_COMMITTER_DATE": "2026-01-02T00:00:00Z",
        },
    )
    return ws


@pytest.fixture
def workspace(demo_template_lite: Workspace, tmp_path: Path):
    """A copy of the demo without ``acme-web`` (five products, no deploys)."""
    with workspace_copy(demo_template_lite, tmp_path / "ws") as ws:
        yield ws


@pytest.fixture
def full_workspace(demo_template: Workspace, tmp_path: Path):
    """A copy of the whole demo, ``acme-web`` and its local deploy hosts included."""
    with workspace_copy(demo_template, tmp_path / "ws") as ws:
        yield ws
