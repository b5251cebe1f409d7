"""A fleet of one product, ``solo`` (a real git repo with one commit), for tests of failure paths that need
a valid fleet and nothing else: ``solo_fleet(root, rules=..., labels=...)``."""

from __future__ import annotations

from pathlib import Path

from codemonkeys.repos import run as git

IDENT = ["-c", "user.name=t", "-c", "user.email=t@t"]


def solo_fleet(root: Path, rules: str = "", labels: str = "") -> Path:
    """``root/fleet`` (committed) with the product ``solo`` of ``root/repos/solo`` and a constitution of
    ``default: deny`` and ``rules`` (YAML list items, indented for ``spec.rules``; none: nothing is
    allowed); ``labels`` the product's labels as a flow mapping (``{chaos: 'yes'}``)."""
    repo = root / "repos" / "solo"
    repo.mkdir(parents=True)
    git(["init", "-q", "-b", "main"], repo)
    (repo / "README.md").write_text("solo\n")
    git(["add", "-A"], repo)
    git([*IDENT, "commit", "-qm", "feat: solo"], repo)
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec: {}\n"
    )
    spec = f"  default: deny\n  rules:\n{rules}" if rules else "  default: deny\n"
    (fleet / "constitution.yaml").write_text(
        f"apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {{name: c}}\nspec:\n{spec}"
    )
    meta = f"{{name: solo, labels: {labels}}}" if labels else "{name: solo}"
    (fleet / "products" / "solo.yaml").write_text(
        f"apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {meta}\n"
        "spec:\n  source: {repo: ../repos/solo}\n  language: python\n"
    )
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "-A"], fleet)
    git([*IDENT, "commit", "-qm", "fleet"], fleet)
    return fleet
