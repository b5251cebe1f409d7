"""The release facet's failure paths, planned by a ``FleetSession`` on a one-product fleet (a real git repo, a
``file`` registry, real packaging with ``python -m build``) and applied by the engine (``apply_plan``, or
the session's ``apply``, which observes again after):

- release.publish whose packaging fails (the product's setup.py exits) is a failed publish naming the
  packaging's own error, and the registry is left as it was (nothing staged, nothing published);
- release.publish whose artifacts are not the planned version (the product's packaging reads another
  version than the release's version file) is refused before anything is copied;
- release.cut that cannot fetch its source is a transient failure (retried) that pushes nothing;
- release.cut whose branch moved since the plan refuses to release, pushes nothing, and says to plan again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.engine.apply import apply_plan
from codemonkeys.repos import mirror_path
from codemonkeys.repos import run as git
from solo_fleet import IDENT

pytestmark = pytest.mark.slow

PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "solo"
version = "{version}"

[tool.setuptools]
py-modules = ["solo"]
"""
BROKEN_SETUP = (
    'raise SystemExit("error: solo cannot be packaged: the generated parser is missing (run make first)")\n'
)


def release_fleet(root: Path, files: dict[str, str], release: str = "") -> tuple[FleetSession, Path]:
    """A fleet of one product, ``solo`` (a Python repo of ``files``), released (conventional versioning)
    and published to the file registry ``local``; extra ``release`` settings as YAML lines. Returns a
    session on it and the product's repo."""
    repo = root / "repos" / "solo"
    repo.mkdir(parents=True)
    for name, text in {"solo.py": '"""Solo."""\n', **files}.items():
        (repo / name).write_text(text)
    git(["init", "-q", "-b", "main"], repo)
    git(["add", "-A"], repo)
    git([*IDENT, "commit", "-qm", "feat: solo"], repo)
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\n"
        "spec:\n  registries:\n    local: {type: file, path: ../registry}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec:\n  default: deny\n"
        "  rules:\n    - id: allow-release\n      match: {actions: [release.cut, release.publish]}\n"
    )
    (fleet / "products" / "solo.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: solo}\nspec:\n"
        "  source: {repo: ../repos/solo}\n  language: python\n"
        "  release:\n    want: released\n    versioning: conventional\n"
        f"    publish: [{{registry: local, package: solo}}]\n{release}"
    )
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "-A"], fleet)
    git([*IDENT, "commit", "-qm", "fleet"], fleet)
    return FleetSession.open(fleet, Context.from_environ()), repo


def planned(fs: FleetSession):
    """The plan: a cut of 0.1.0 and its publish."""
    plan = fs.plan()
    assert [a.id for a in plan.actions] == ["solo/release.cut", "solo/release.publish/local"], plan.actions
    assert all(a.decision.verdict == "allow" for a in plan.actions)
    assert plan.actions[0].params["version"] == "0.1.0", plan.actions[0].params
    return plan


def journal(fs: FleetSession) -> dict[str, tuple]:
    """Each journaled action: (status, attempts, message, log)."""
    with sqlite3.connect(fs.desired.state_dir / "state.db") as conn:
        rows = conn.execute("select action_id, status, attempts, message, log from actions order by id")
        return {row[0]: row[1:] for row in rows}


def registry_files(fs: FleetSession) -> list[str]:
    """Every file in the registry (hidden staging files included)."""
    root = fs.desired.registry_path("local")
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_packaging_failure_is_a_failed_publish_naming_it_and_the_registry_is_untouched(tmp_path: Path):
    fs, repo = release_fleet(
        tmp_path, {"pyproject.toml": PYPROJECT.format(version="0.0.0"), "setup.py": BROKEN_SETUP}
    )
    applied = fs.apply(planned(fs), retries=3, retry_wait=0.01)
    done = journal(fs)
    assert done["solo/release.cut"][:2] == ("succeeded", 1), done  # the tag is cut: publishing is apart
    status, attempts, message, log = done["solo/release.publish/local"]
    assert (status, attempts) == ("failed", 1), done  # a build error is not transient
    assert message == (
        "packaging solo 0.1.0 failed: error: solo cannot be packaged: the generated parser is missing "
        "(run make first)"
    ), message
    assert log.startswith("$ ") and " -m build --no-isolation --sdist --wheel" in log.splitlines()[0], log
    assert applied.report.outcomes["solo/release.publish/local"].message == message
    assert registry_files(fs) == []  # nothing staged, nothing published
    assert git(["tag", "--list"], repo) == "v0.1.0"
    (again,) = applied.after.actions  # the publish is still to do
    assert again.id == "solo/release.publish/local", applied.after.actions


def test_artifacts_of_another_version_are_refused_before_anything_is_published(tmp_path: Path):
    # the release bumps VERSION, but the packaging reads pyproject.toml's own version
    files = {"pyproject.toml": PYPROJECT.format(version="9.9.9"), "VERSION": "0.0.0\n"}
    fs, repo = release_fleet(tmp_path, files, release="    versionFile: VERSION\n")
    plan = planned(fs)
    apply_plan(plan, fs.desired, fs.store, fs.context, retries=3, retry_wait=0.01)
    done = journal(fs)
    assert done["solo/release.cut"][:2] == ("succeeded", 1), done
    assert git(["show", "v0.1.0:VERSION"], repo) == "0.1.0"
    status, attempts, message, log = done["solo/release.publish/local"]
    assert (status, attempts) == ("failed", 1), done
    assert message == (
        "the artifacts built from v0.1.0 are version(s) ['9.9.9'], not 0.1.0: "
        "['solo-9.9.9-py3-none-any.whl', 'solo-9.9.9.tar.gz']"
    ), message
    assert "Successfully built solo-9.9.9.tar.gz and solo-9.9.9-py3-none-any.whl" in log, log
    assert registry_files(fs) == []  # refused before the copy


def test_a_cut_that_cannot_fetch_its_source_is_retried_and_pushes_nothing(tmp_path: Path):
    fs, repo = release_fleet(tmp_path, {"pyproject.toml": PYPROJECT.format(version="0.0.0")})
    plan = planned(fs)
    away = repo.with_name("solo-away")
    repo.rename(away)  # the source is gone (a server down, a repo moved) after the plan
    try:
        report = apply_plan(plan, fs.desired, fs.store, fs.context, retries=2, retry_wait=0.01)
    finally:
        away.rename(repo)
    done = journal(fs)
    status, attempts, message, _ = done["solo/release.cut"]
    assert (status, attempts) == ("failed", 2), done  # transient: retried
    assert message.startswith(
        f"cannot fetch {repo}: fatal: '{repo}' does not appear to be a git repository"
    ), message
    assert done["solo/release.publish/local"][0] == "skipped", done
    assert report.outcomes["solo/release.cut"].attempts == 2
    assert git(["tag", "--list"], repo) == "" and git(["log", "--format=%s"], repo) == "feat: solo"
    mirror = mirror_path(fs.desired.state_dir, str(repo))
    assert (
        git(["tag", "--list"], mirror) == ""
        and git(["rev-parse", "main"], mirror) == plan.actions[0].params["commit"]
    )
    assert registry_files(fs) == []


def test_a_cut_whose_branch_moved_since_the_plan_releases_nothing(tmp_path: Path):
    fs, repo = release_fleet(tmp_path, {"pyproject.toml": PYPROJECT.format(version="0.0.0")})
    plan = planned(fs)
    planned_head = plan.actions[0].params["commit"]
    (repo / "solo.py").write_text('"""Solo, fixed."""\n')
    git(["add", "-A"], repo)
    git([*IDENT, "commit", "-qm", "fix: a late fix"], repo)  # pushed after the plan was made
    moved = git(["rev-parse", "HEAD"], repo)
    applied = fs.apply(plan, retries=3, retry_wait=0.01)
    done = journal(fs)
    status, attempts, message, _ = done["solo/release.cut"]
    assert (status, attempts) == ("failed", 1), done  # not transient: the plan is out of date
    assert message == f"main moved from {planned_head[:12]} to {moved[:12]} since the plan; plan again"
    assert done["solo/release.publish/local"][0] == "skipped", done
    assert git(["tag", "--list"], repo) == "" and git(["rev-parse", "HEAD"], repo) == moved  # nothing pushed
    assert registry_files(fs) == []
    cut = applied.after.actions[0]  # the next plan releases the new head
    assert (cut.id, cut.params["commit"]) == ("solo/release.cut", moved), applied.after.actions
