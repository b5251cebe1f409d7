"""`cmctl demo init`: the workspace layout, the scripted histories and tags, refusal of non-empty dirs."""

from __future__ import annotations

from pathlib import Path

from codemonkeys.demo import Workspace
from codemonkeys.load import load_fleet
from codemonkeys.repos import run as git
from conftest import cmctl

PRODUCTS = ["acme-cli", "acme-report", "acme-text", "acme-web", "globex-hash", "globex-widgets"]


def _subjects(repo: Path) -> list[str]:
    return git(["log", "--format=%s", "--reverse"], repo).splitlines()


def test_workspace_layout_and_histories(workspace: Workspace):
    assert sorted(p.name for p in workspace.repos.iterdir()) == PRODUCTS
    assert workspace.registry.is_dir() and not any(workspace.registry.iterdir())
    assert git(["status", "--porcelain"], workspace.fleet) == ""
    tags = {name: git(["tag", "--list"], workspace.repos / name).split() for name in PRODUCTS}
    assert tags == {
        "acme-cli": ["v1.0.0"],
        "acme-report": [],
        "acme-text": ["v0.1.0"],
        "acme-web": [],
        "globex-hash": ["v0.1.0"],
        "globex-widgets": ["v0.3.0"],
    }
    text = _subjects(workspace.repos / "acme-text")
    assert text[0].startswith("feat") and len(text) == 4
    assert [s.split(":")[0].split("(")[0] for s in text[1:]] == ["feat", "fix", "docs"]
    # the tag sits on the first commit, and the version file there matches it
    tagged = git(["rev-list", "-n1", "v0.1.0"], workspace.repos / "acme-text")
    assert tagged == git(["rev-list", "--max-parents=0", "HEAD"], workspace.repos / "acme-text")
    assert 'version = "0.1.0"' in git(["show", "v0.1.0:pyproject.toml"], workspace.repos / "acme-text")
    for name in PRODUCTS:  # every product repo is clean and on main
        assert git(["status", "--porcelain"], workspace.repos / name) == ""
        assert git(["rev-parse", "--abbrev-ref", "HEAD"], workspace.repos / name) == "main"


def test_deploy_hosts_get_their_own_free_ports(workspace: Workspace):
    from codemonkeys.demo import pick_ports

    hosts = ["production-1", "production-2", "staging-1"]
    assert sorted(p.name for p in workspace.hosts.iterdir()) == hosts
    ports = {h: int((workspace.hosts / h / "port").read_text()) for h in hosts}
    assert len(set(ports.values())) == 3 and all(p > 1024 for p in ports.values())
    assert pick_ports(workspace) == {h: int((workspace.hosts / h / "port").read_text()) for h in hosts}
    assert git(["status", "--porcelain"], workspace.fleet) == ""  # the ports are outside the fleet repo


def test_histories_are_reproducible(demo_template: Workspace, tmp_path: Path):
    from codemonkeys.demo import init_workspace

    again = init_workspace(tmp_path / "again")
    for name in PRODUCTS:
        assert git(["rev-parse", "HEAD"], again.repos / name) == git(
            ["rev-parse", "HEAD"], demo_template.repos / name
        )


def test_validate_passes_on_the_workspace(workspace: Workspace):
    state, diags = load_fleet(workspace.fleet)
    assert diags == [] and state is not None
    assert state.repo_location("acme-text") == str(workspace.repos / "acme-text")
    assert state.registry_path("local") == workspace.registry


def test_demo_init_refuses_non_empty_dir_unless_forced(tmp_path: Path):
    target = tmp_path / "ws"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    r = cmctl("demo", "init", str(target))
    assert r.returncode == 1
    assert "not empty" in r.stderr
    assert (target / "keep.txt").read_text() == "mine"
    r = cmctl("demo", "init", str(target), "--force")
    assert r.returncode == 0, r.stderr
    assert not (target / "keep.txt").exists()
    assert cmctl("validate", "--fleet", str(target / "fleet")).returncode == 0
