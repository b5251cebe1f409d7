"""`cmctl demo init`: materialize a self-contained workspace from ``fleet-repo-example/``.

Layout written::

    DIR/fleet/              git repo of the example fleet (sources point at ../repos/<product>)
    DIR/repos/<product>/    git repos replayed from ``sources/<product>.history.yaml``
    DIR/registry/           the `file` registry the example fleet publishes to
    DIR/schemas/            JSON Schemas, so the editor modelines in the fleet files resolve
    DIR/hosts/<host>/       the deploy hosts of the fleet's inventories (Ansible's local connection): a
                            directory each, its service's port in ``port`` (a free one, picked here)

Histories are replayed with fixed dates, so two workspaces have identical commit ids.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import yaml

from codemonkeys import repos
from codemonkeys.context import PROJECT_DIR_ENV, Resources
from codemonkeys.repos import IDENTITY

EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z: replayed commits are spaced an hour apart from here


class DemoError(Exception):
    """The workspace cannot be created (not empty, template missing, broken history script)."""


def example_dir(resources: Resources) -> Path:
    """The example fleet shipped with the project."""
    path = resources.path("fleet-repo-example")
    if not (path / "fleet.yaml").is_file():
        raise DemoError(
            f"example fleet not found at {path}: run from a source checkout (pip install -e .) "
            f"or set {PROJECT_DIR_ENV}"
        )
    return path


@dataclass(frozen=True)
class Missing:
    """A tool the demo's products need that is not installed, and how to install it."""

    what: str
    install: str


# What the example products' builds, docs and file-registry publishing run, and where it comes from.
_PYTHON_MODULES = {
    "pytest": "pip install 'codemonkeys[demo]'  (the Python products' tests)",
    "mkdocs": "pip install 'codemonkeys[demo]'  (docs.build)",
    "build": "pip install 'codemonkeys[demo]'  (Python artifacts for the file registry)",
    "ansible_runner": "pip install 'codemonkeys[demo]'  (acme-web's deploys: Ansible)",
}
_PROGRAMS = {
    "node": "apt-get install nodejs  (globex-widgets)",
    "npm": "apt-get install npm  (globex-widgets)",
    "cargo": "apt-get install cargo  (globex-hash)",
    "git": "apt-get install git",
}


def missing_prerequisites(tool_env: Mapping[str, str]) -> list[Missing]:
    """What the demo needs and cannot find: Python modules in this interpreter, programs on the build
    tools' PATH (``tool_env``, see ``Context.tool_env``)."""
    out = [Missing(f"python module {m}", how) for m, how in _PYTHON_MODULES.items() if find_spec(m) is None]
    path = tool_env.get("PATH", "")
    return out + [
        Missing(f"program {p}", how) for p, how in _PROGRAMS.items() if shutil.which(p, path=path) is None
    ]


@dataclass(frozen=True)
class Workspace:
    """A demo workspace: the fleet repo, the product repos and the file registry under one root."""

    root: Path

    @property
    def fleet(self) -> Path:
        """The example fleet's git repo."""
        return self.root / "fleet"

    @property
    def repos(self) -> Path:
        """The directory of the product repos (one git repo each)."""
        return self.root / "repos"

    @property
    def registry(self) -> Path:
        """The ``file`` registry the example fleet publishes to."""
        return self.root / "registry"

    @property
    def hosts(self) -> Path:
        """The directory of the deploy hosts (one directory each, see ``pick_ports``)."""
        return self.root / "hosts"


class _Replayer:
    def __init__(self, repo: Path):
        self.repo = repo
        self.tick = 0

    def env(self) -> dict[str, str]:
        self.tick += 1
        stamp = f"@{EPOCH + self.tick * 3600} +0000"
        return {
            **IDENTITY,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
            "GIT_AUTHOR_NAME": "Demo Maintainer",
            "GIT_AUTHOR_EMAIL": "maintainer@example.com",
        }

    def run(self, *args: str) -> str:
        return repos.run(list(args), self.repo, env=self.env())


_COMPILED = shutil.ignore_patterns("__pycache__", "*.pyc")  # pip compiles an installed copy's sources


def _compiled(rel: Path) -> bool:
    return "__pycache__" in rel.parts or rel.suffix == ".pyc"


def _copy_path(src_root: Path, dst_root: Path, rel: str) -> None:
    src, dst = src_root / rel, dst_root / rel
    if not src.exists():
        raise DemoError(f"history names {rel!r}, which is not in {src_root}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True, ignore=_COMPILED)
    else:
        shutil.copy2(src, dst)


def replay_history(source: Path, history_file: Path, repo: Path) -> None:
    """Create ``repo`` by replaying the scripted steps over the final tree in ``source``."""
    steps = (yaml.safe_load(history_file.read_text()) or {}).get("steps", [])
    repo.mkdir(parents=True)
    r = _Replayer(repo)
    r.run("init", "-q", "-b", "main")
    for i, step in enumerate(steps):
        if "tag" in step:
            r.run("tag", "-a", step["tag"], "-m", f"Release {step['tag']}")
            continue
        if i == 0:
            without = {Path(p) for p in step.get("without", [])}
            for path in sorted(source.rglob("*")):
                rel = path.relative_to(source)
                skipped = _compiled(rel) or any(rel == w or w in rel.parents for w in without)
                if path.is_file() and not skipped:
                    _copy_path(source, repo, str(rel))
        for rel in step.get("add", []):
            _copy_path(source, repo, rel)
        for rel in step.get("remove", []):
            target = repo / rel
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        for rel, content in (step.get("override") or {}).items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(content)
        r.run("add", "-A")
        r.run("commit", "-q", "--allow-empty", "-m", step["commit"])
    # The controller pushes release commits back here while the maintainer's checkout stays current.
    repos.run(["config", "receive.denyCurrentBranch", "updateInstead"], repo)


def _inventory_hosts(inventory: Path) -> list[str]:
    """The host names of a demo inventory (``all.hosts``; the demo's inventories are plain YAML)."""
    doc = yaml.safe_load(inventory.read_text()) or {}
    return sorted(((doc.get("all") or {}).get("hosts") or {}).keys())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pick_ports(ws: Workspace) -> dict[str, int]:
    """Give every host of the fleet's ``inventories/`` a directory under ``DIR/hosts`` and a free port
    (``DIR/hosts/<host>/port``, which the inventories read), distinct across hosts. Called by
    ``init_workspace``; call it again on a copy of a workspace so that the copy serves on its own ports."""
    ports: dict[str, int] = {}
    for inventory in sorted((ws.fleet / "inventories").glob("*.yml")):
        for host in _inventory_hosts(inventory):
            port = _free_port()
            while port in ports.values():
                port = _free_port()
            ports[host] = port
            (ws.hosts / host).mkdir(parents=True, exist_ok=True)
            (ws.hosts / host / "port").write_text(f"{port}\n")
    return ports


def stop_services(ws: Workspace) -> list[str]:
    """Stop the service processes the demo's deploys started (``DIR/hosts/*/service.pid``); returns the
    hosts whose process was stopped. A demo leaves them running so they can be visited."""
    stopped = []
    for pid_file in sorted(ws.hosts.glob("*/service.pid")) if ws.hosts.is_dir() else []:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            stopped.append(pid_file.parent.name)
        pid_file.unlink(missing_ok=True)
    return stopped


def init_workspace(root: Path, force: bool = False, resources: Resources | None = None) -> Workspace:
    """Write a fresh demo workspace into ``root`` (refusing a non-empty one unless ``force``); the
    example fleet and schemas come from ``resources`` (default: this checkout)."""
    resources = resources or Resources.default()
    ws = Workspace(root.resolve())
    if ws.root.exists() and any(ws.root.iterdir()):
        if not force:
            raise DemoError(f"{root} is not empty (use --force to replace it)")
        stop_services(ws)  # the web service a previous demo deployed there
        shutil.rmtree(ws.root)
    example = example_dir(resources)
    ws.root.mkdir(parents=True, exist_ok=True)
    ws.registry.mkdir()
    shutil.copytree(resources.path("schemas"), ws.root / "schemas")

    shutil.copytree(example, ws.fleet, ignore=shutil.ignore_patterns("sources", ".cmctl"))
    (ws.fleet / ".gitignore").write_text(".cmctl/\n")
    fleet = _Replayer(ws.fleet)
    fleet.run("init", "-q", "-b", "main")
    fleet.run("add", "-A")
    fleet.run("commit", "-q", "-m", "Initial fleet: two companies, six products")

    sources = example / "sources"
    for history in sorted(sources.glob("*.history.yaml")):
        name = history.name.removesuffix(".history.yaml")
        replay_history(sources / name, history, ws.repos / name)
    pick_ports(ws)
    return ws
