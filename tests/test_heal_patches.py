"""The checks every proposed patch passes (codemonkeys.facets.heal.patches): data-driven cases under
tests/cases/patches/ and real diffs made by git, read back and compared with `git apply --numstat`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from codemonkeys.facets.heal.patches import DEFAULT_PROTECTED, check_patch, credential, inspect_patch, matches

CASES = sorted((Path(__file__).parent / "cases" / "patches").glob("*.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_check_patch_cases(case: Path) -> None:
    data = yaml.safe_load(case.read_text())
    options = {k: data[k] for k in ("allowed", "protected", "max_lines") if k in data}
    problems = check_patch(data["diff"], **options)
    expected = data["expect"]
    assert len(problems) == len(expected), problems
    for want, got in zip(expected, problems, strict=True):
        assert want in got, (want, problems)


def test_problems_never_quote_the_credential() -> None:
    diff = "--- a/x.py\n+++ b/x.py\n@@ -0,0 +1 @@\n+TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ0123456789'\n"
    (problem,) = check_patch(diff)
    assert "ghp_" not in problem and problem.startswith("x.py:1:")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("".join(f"line {n}\n" for n in range(1, 30)))
    (tmp_path / "notes.md").write_text("# Notes\n\n-- a dashed line\nend\n")
    (tmp_path / "old.txt").write_text("".join(f"keep {n}\n" for n in range(20)))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "init")
    return tmp_path


def test_inspect_patch_agrees_with_git_on_a_real_diff(repo: Path) -> None:
    a = repo / "src" / "a.py"
    lines = a.read_text().splitlines(keepends=True)
    lines[3] = "changed 4\n"
    lines.insert(20, "inserted\n")
    del lines[25]
    a.write_text("".join(lines))
    (repo / "notes.md").write_text("# Notes\n\nend\n")  # removes the line "-- a dashed line": "--- a..."
    (repo / "new.py").write_text("x = 1\ny = 2\n")
    git(repo, "mv", "old.txt", "renamed.txt")
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached", "-M")
    info = inspect_patch(diff)
    numstat = subprocess.run(
        ["git", "-C", str(repo), "apply", "--numstat"], input=diff, capture_output=True, text=True, check=True
    ).stdout
    added = sum(int(row.split("\t")[0]) for row in numstat.splitlines())
    removed = sum(int(row.split("\t")[1]) for row in numstat.splitlines())
    assert (info.added, info.removed) == (added, removed) == (4, 3)
    assert set(info.files) == {"src/a.py", "notes.md", "new.py", "old.txt", "renamed.txt"}
    assert check_patch(diff) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no file headers"),
        ("Just change line 3.\n", "no file headers"),
        ("@@ -1 +1 @@\n-a\n+b\n", "a hunk before any file header"),
        ("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-a\n+b\n", "ends before the lines its header counts"),
        ("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\nprose after\n", "is not a line of a hunk"),
    ],
)
def test_inspect_patch_rejects_what_is_not_a_unified_diff(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        inspect_patch(text)


def test_globs_match_names_anywhere_and_paths_from_the_root() -> None:
    assert matches("crates/core/Cargo.lock", DEFAULT_PROTECTED) == "*.lock"
    assert matches("Cargo.lock", ["Cargo.lock"]) == "Cargo.lock"
    assert matches(".github/workflows/ci.yml", DEFAULT_PROTECTED) == "**/.github/**"
    assert matches("docs/.github/x", [".github/**"]) is None  # anchored at the root
    assert matches("secrets/prod.txt", DEFAULT_PROTECTED) == "**/secrets/**"
    assert matches("keys/server.pem", DEFAULT_PROTECTED) == "*.pem"
    assert matches("src/app/main.py", ["src/**"]) == "src/**"
    assert matches("src/main.py", ["src/*.py"]) == "src/*.py"
    assert matches("src/app/main.py", ["src/*.py"]) is None
    assert matches("src/keyboard.py", DEFAULT_PROTECTED) is None
    assert matches("tests/test_env.py", DEFAULT_PROTECTED) is None


@pytest.mark.parametrize(
    "line",
    [
        'password = os.environ["PASSWORD"]',
        "password: ${{ secrets.DB_PASSWORD }}",
        'api_key = config["api_key"]',
        "token = request.headers.get('Authorization')",
        'password = "xxxxxxxx"',
        "def check_password(password: str) -> bool:",
        "# the api_key is read from the environment",
    ],
)
def test_what_is_not_a_credential(line: str) -> None:
    assert credential(line) is None
