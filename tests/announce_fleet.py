"""A tiny fleet for announce tests: one product repo with a released version (tag v1.0.0, a CHANGELOG),
no build, docs or registry, an announce section, and the fleet's channels and constitution as given."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

CHANGELOG = "# Changelog\n\n## 1.0.0 (2026-11-20)\n\n### Features\n\n- checkout page (abc1234)\n"


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` (a fixed identity) and return its output."""
    env_args = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    return subprocess.run(
        ["git", *env_args, *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def product_repo(root: Path, commits_after_tag: int = 0) -> Path:
    """A product repo on main: a VERSION file, a CHANGELOG, tag v1.0.0, then ``feat:`` commits if asked."""
    repo = root / "shop-src"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "VERSION").write_text("1.0.0\n")
    (repo / "CHANGELOG.md").write_text(CHANGELOG)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "feat: checkout page")
    git(repo, "tag", "-a", "v1.0.0", "-m", "shop 1.0.0")
    for n in range(commits_after_tag):
        (repo / f"f{n}.txt").write_text(str(n))
        git(repo, "add", ".")
        git(repo, "commit", "-qm", f"feat: feature {n}")
    git(repo, "config", "receive.denyCurrentBranch", "updateInstead")
    return repo


def write_fleet(
    root: Path,
    channels: dict[str, Any],
    announce: dict[str, Any],
    rules: list[dict[str, Any]] | None = None,
    commits_after_tag: int = 0,
    notifications: list[dict[str, Any]] | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """Write the fleet under ``root/fleet`` (git-committed) and return its directory."""
    product_repo(root, commits_after_tag)
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    env = {"apiVersion": "codemonkeys.dev/v1"}
    spec: dict[str, Any] = {"announce": {"channels": channels, "notifications": notifications or []}}
    (fleet / "fleet.yaml").write_text(
        yaml.safe_dump({**env, "kind": "Fleet", "metadata": {"name": "f"}, "spec": spec})
    )
    rules = rules or [{"id": "allow-all", "match": {"actions": ["release.*", "announce.post"]}}]
    constitution = {"default": "deny", "rules": rules}
    (fleet / "constitution.yaml").write_text(
        yaml.safe_dump({**env, "kind": "Constitution", "metadata": {"name": "c"}, "spec": constitution})
    )
    product = {
        **env,
        "kind": "Product",
        "metadata": {"name": "shop"},
        "spec": {
            "source": {"repo": "../shop-src", "branch": "main"},
            "language": "other",
            "release": {"want": "released"},
            "announce": announce,
        },
    }
    (fleet / "products" / "shop.yaml").write_text(yaml.safe_dump(product))
    for rel, text in (files or {}).items():
        (fleet / rel).parent.mkdir(parents=True, exist_ok=True)
        (fleet / rel).write_text(text)
    git(fleet, "init", "-q", "-b", "main")
    git(fleet, "add", ".")
    git(fleet, "commit", "-qm", "fleet")
    return fleet
