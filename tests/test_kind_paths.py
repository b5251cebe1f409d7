"""Paths in kinds stay inside their roots (kinds.models.inside, RepoPath / FleetPath): what escapes and
what does not, and `cmctl validate` on the issue's `source.path: ../../..` (exit 1, FILE:LINE:COL at the
value). Every field's case, with positions: tests/cases/loader/paths_inside.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codemonkeys.kinds.models import inside
from conftest import CASES, cmctl


@pytest.mark.parametrize(
    "path", ["docs", "a/b/c.yml", "a/../b", "./x", "a/./b/../c", "a//b", "..x", "x..", "a/.../b"]
)
def test_relative_paths_that_stay_inside_pass(path: str):
    assert inside(path, "the root") == path


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("..", "climbs out"),
        ("../x", "climbs out"),
        ("a/../../x", "climbs out"),
        ("a/b/../../..", "climbs out"),
        ("..\\x", "climbs out"),
        ("a\\..\\..\\x", "climbs out"),
        ("/etc/passwd", "is absolute"),
        ("\\server\\share", "is absolute"),
        ("C:/x", "is absolute"),
        ("c:x", "is absolute"),
        ("~/x", "home path"),
        ("", "empty"),
        ("  ", "empty"),
        ("a\x00b", "NUL byte"),
    ],
)
def test_escapes_are_refused_saying_how(path: str, says: str):
    with pytest.raises(ValueError, match=says):
        inside(path, "the root")


def test_validate_refuses_a_source_path_that_climbs_out(tmp_path: Path):
    fleet = tmp_path / "fleet"
    shutil.copytree(CASES / "loader" / "_base", fleet)
    product = fleet / "products" / "alpha.yaml"
    product.write_text(
        product.read_text().replace("repo: ../repos/alpha", "repo: ../repos/alpha\n    path: ../../..")
    )
    r = cmctl("validate", cwd=fleet)
    assert r.returncode == 1, r.stdout
    assert r.stderr.splitlines()[0] == (
        "products/alpha.yaml:9:11: error: spec.source.path: '../../..' climbs out of the repository ('..'): "
        "name a path inside it"
    )
