"""A small fleet for the dashboard's in-process API tests and the overlay tests: three products of two
companies (labels tier=web|core), each a repo with tag v1.0.0 and a feat commit after it (so each wants a
release.cut); shop's release.cut is held by the constitution (anyone may approve), the others are
allowed. (The dashboard's browser test runs on the demo fleet: tests/test_dashboard.py.)"""

from __future__ import annotations

from pathlib import Path

import yaml

from announce_fleet import git

PRODUCTS = {"shop": ("acme", "web"), "ledger": ("acme", "core"), "hash": ("globex", "core")}


def _repo(root: Path, name: str) -> None:
    repo = root / f"{name}-src"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "VERSION").write_text("1.0.0\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "feat: first")
    git(repo, "tag", "-a", "v1.0.0", "-m", f"{name} 1.0.0")
    (repo / "more.txt").write_text("more\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "feat: more")


def write_dashboard_fleet(root: Path) -> Path:
    """Write the repos and the fleet (git-committed) under ``root``; returns the fleet directory."""
    env = {"apiVersion": "codemonkeys.dev/v1"}
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    companies = [{"name": c} for c in sorted({c for c, _ in PRODUCTS.values()})]
    fleet_doc = {**env, "kind": "Fleet", "metadata": {"name": "dash"}, "spec": {"companies": companies}}
    (fleet / "fleet.yaml").write_text(yaml.safe_dump(fleet_doc))
    rules = [
        {
            "id": "shop-releases-need-approval",
            "match": {"actions": ["release.cut"], "products": ["shop"]},
            "hold": {"approvals": 1},
        },
        {"id": "allow-releases", "match": {"actions": ["release.*"]}},
    ]
    constitution = {
        **env,
        "kind": "Constitution",
        "metadata": {"name": "c"},
        "spec": {"default": "deny", "rules": rules},
    }
    (fleet / "constitution.yaml").write_text(yaml.safe_dump(constitution))
    for name, (company, tier) in PRODUCTS.items():
        _repo(root, name)
        product = {
            **env,
            "kind": "Product",
            "metadata": {"name": name, "company": company, "labels": {"tier": tier}},
            "spec": {
                "source": {"repo": f"../{name}-src", "branch": "main"},
                "language": "other",
                "release": {"want": "released"},
            },
        }
        (fleet / "products" / f"{name}.yaml").write_text(yaml.safe_dump(product))
    git(fleet, "init", "-q", "-b", "main")
    git(fleet, "add", ".")
    git(fleet, "commit", "-qm", "fleet")
    return fleet
