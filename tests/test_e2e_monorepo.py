"""A monorepo: two products at two paths of one repository (release-please manifest style).

Only commits under a product's path count for it (its build commit and its releases), tags default to
``{product}-v{version}``, and two release cuts in one apply commit to the same branch one after the
other. A pre-release channel gives ``-rc.N`` versions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codemonkeys.repos import run as git
from conftest import cmctl

pytestmark = pytest.mark.slow

PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "0.1.0"

[tool.pytest.ini_options]
pythonpath = ["src"]
"""


def package(root: Path, name: str) -> None:
    mod = name.replace("-", "_")
    (root / "src" / mod).mkdir(parents=True)
    (root / "src" / mod / "__init__.py").write_text(f'"""{name}."""\n\n\ndef hello():\n    return "{name}"\n')
    (root / "tests").mkdir()
    (root / "tests" / "test_it.py").write_text(
        f"from {mod} import hello\n\n\ndef test_hello():\n    assert hello() == '{name}'\n"
    )
    (root / "pyproject.toml").write_text(PYPROJECT.format(name=name))


def product(name: str, path: str, extra: str = "") -> str:
    return f"""apiVersion: codemonkeys.dev/v1
kind: Product
metadata: {{name: {name}}}
spec:
  source: {{repo: ../mono, path: {path}}}
  language: python
  build: {{command: [python, -m, pytest, -q, -p, no:cacheprovider]}}
  release:
    publish: [{{registry: local, package: {name}}}]{extra}
"""


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    repo = tmp_path / "mono"
    repo.mkdir()
    git(["init", "-q", "-b", "main"], repo)
    package(repo / "packages" / "alpha", "alpha")
    package(repo / "packages" / "beta", "beta")
    git(["add", "-A"], repo)
    git(["commit", "-qm", "feat: two packages"], repo)
    git(["config", "receive.denyCurrentBranch", "updateInstead"], repo)
    fleet = tmp_path / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: mono}\n"
        "spec:\n  registries:\n    local: {type: file, path: ../registry}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {default: allow}\n"
    )
    (fleet / "products" / "alpha.yaml").write_text(product("alpha", "packages/alpha"))
    (fleet / "products" / "beta.yaml").write_text(product("beta", "packages/beta", "\n    prerelease: rc"))
    return tmp_path


def plan(root: Path) -> dict:
    r = cmctl("plan", "--json", "--fleet", str(root / "fleet"))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_monorepo_products_release_independently(mono: Path):
    repo = mono / "mono"
    r = cmctl("apply", "--fleet", str(mono / "fleet"), "--auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(git(["tag", "--list"], repo).split()) == ["alpha-v0.1.0", "beta-v0.1.0-rc.1"]
    subjects = git(["log", "--format=%s"], repo).splitlines()
    assert sorted(subjects[:2]) == ["chore(release): alpha 0.1.0", "chore(release): beta 0.1.0-rc.1"]
    assert (repo / "packages" / "alpha" / "CHANGELOG.md").is_file()
    assert 'version = "0.1.0-rc.1"' in (repo / "packages" / "beta" / "pyproject.toml").read_text()
    assert plan(mono)["actions"] == []

    # a fix under alpha's path: only alpha builds and releases
    init = repo / "packages" / "alpha" / "src" / "alpha" / "__init__.py"
    init.write_text(init.read_text() + "\n\ndef bye():\n    return 'bye'\n")
    git(["commit", "-qam", "fix(alpha): say bye"], repo)
    doc = plan(mono)
    assert [a["id"] for a in doc["actions"]] == [
        "alpha/build.run",
        "alpha/release.cut",
        "alpha/release.publish/local",
    ]
    assert doc["products"]["beta"]["in_sync"]
    cut = next(a for a in doc["actions"] if a["id"] == "alpha/release.cut")
    assert cut["params"]["version"] == "0.1.1" and cut["params"]["tag"] == "alpha-v0.1.1"

    # a feat under beta's path: the next pre-release of the next minor
    init = repo / "packages" / "beta" / "src" / "beta" / "__init__.py"
    init.write_text(init.read_text() + "\n\ndef more():\n    return 1\n")
    git(["commit", "-qam", "feat(beta): more"], repo)
    doc = plan(mono)
    beta_cut = next(a for a in doc["actions"] if a["id"] == "beta/release.cut")
    assert beta_cut["params"]["version"] == "0.1.0-rc.2"  # still aiming at 0.1.0: the next rc
    r = cmctl("apply", "--fleet", str(mono / "fleet"), "--auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    assert {"alpha-v0.1.1", "beta-v0.1.0-rc.2"} <= set(git(["tag", "--list"], repo).split())
    assert plan(mono)["actions"] == []
