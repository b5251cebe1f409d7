"""The patch checks read a diff's paths as git does (codemonkeys.facets.heal.gitdiff): a property test that
crafts diffs (git and traditional headers, a/ b/ and other prefixes or none, C-quoted and raw names with
spaces, tabs, quotes, backslashes and non-ASCII letters, timestamps, renames, copies, creations, deletions,
mode changes, prose between parts) and gives each to real git in a fresh repository: `git apply -v --check`
names what git reads (its "Checking patch OLD => NEW..." lines), the preimage is written there, then `git
apply` writes, and the files that changed on disk must be among what `inspect_patch` says the patch writes
(the rest written back as they were), all of them among the paths `check_patch` judges."""

from __future__ import annotations

import codecs
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from codemonkeys.facets.heal.gitdiff import parse_diff
from codemonkeys.facets.heal.patches import check_patch, inspect_patch

ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "LC_ALL": "C"}
LETTERS = 'abcxyz.-_ é\t"\\'
STAMPS = ("", "\t2026-01-01 10:00:00.000000000 +0000", " 2026-01-01 10:00:00", "\t1970-01-01 00:00:00 +0000")


@dataclass(frozen=True)
class Part:
    """One file's part of a crafted diff: its text and whether git needs a preimage for it."""

    text: str
    needs_old: bool


def c_quote(name: str) -> str:
    """A name as git quotes it (``"..."`` with C escapes, bytes over 0x7f as octal)."""
    out = []
    for byte in name.encode():
        ch = chr(byte)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\t":
            out.append("\\t")
        elif byte < 0x20 or byte >= 0x7F:
            out.append(f"\\{byte:03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


component = st.text(LETTERS, min_size=1, max_size=6).filter(lambda c: c.strip(". ") != "" and c != ".git")
words = st.sampled_from(["src", ".github", "workflows", "a", "b", "dev", "null", "ci.yml", "go.sum"])
names = st.lists(st.one_of(words, component), min_size=1, max_size=4).map("/".join)
prefixes = st.sampled_from(["a/", "b/", "", "x/y/", "/"])


@st.composite
def written(draw, name: str, side: str, style: str) -> str:
    """``name`` on a header line: a/ or b/ prefixed as git writes it, no prefix, another prefix (the
    same on both sides) or any prefix; quoted or not."""
    fixed = {"git": side, "none": "", "other": "x/y/"}
    prefix = fixed[style] if style in fixed else draw(prefixes)
    full = prefix + name
    return c_quote(full) if draw(st.booleans()) else full


@st.composite
def parts(draw) -> Part:
    kind = draw(st.sampled_from(["git", "traditional", "new", "delete", "rename", "copy", "mode"]))
    name, other = draw(names), draw(names)
    style = draw(st.sampled_from(["git", "none", "other", "any"]))
    old, new = draw(written(name, "a/", style)), draw(written(name, "b/", style))
    hunk = "@@ -1 +1 @@\n-old\n+new\n"
    if kind == "git":
        text = f"diff --git {old} {new}\nindex 1111111..2222222 100644\n--- {old}\n+++ {new}\n{hunk}"
    elif kind == "traditional":
        text = f"--- {old}{draw(st.sampled_from(STAMPS))}\n+++ {new}{draw(st.sampled_from(STAMPS))}\n{hunk}"
    elif kind == "new":
        text = f"diff --git {old} {new}\nnew file mode 100644\n--- /dev/null\n+++ {new}\n"
        text += "@@ -0,0 +1 @@\n+new\n"
    elif kind == "delete":
        text = f"diff --git {old} {new}\ndeleted file mode 100644\n--- {old}\n+++ /dev/null\n"
        text += "@@ -1 +0,0 @@\n-old\n"
    elif kind in ("rename", "copy"):
        verb = "rename" if kind == "rename" else "copy"
        src = c_quote(name) if draw(st.booleans()) else name
        dst = c_quote(other) if draw(st.booleans()) else other
        moved = draw(written(other, "b/", style))
        text = f"diff --git {old} {moved}\nsimilarity index 90%\n{verb} from {src}\n{verb} to {dst}\n"
        if kind == "copy" or draw(st.booleans()):
            text += f"--- {old}\n+++ {moved}\n{hunk}"
    else:
        text = f"diff --git {old} {new}\nold mode 100644\nnew mode 100755\n"
    prose = draw(st.sampled_from(["", "Some words between parts.\n", "-- \n"]))
    return Part(prose + text, needs_old=kind != "new")


def git(repo: Path, *args: str, diff: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-C", str(repo), *args], input=diff.encode(), capture_output=True, env=ENV, timeout=30
    )


def unquote(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        raw = codecs.escape_decode(name[1:-1].encode("latin-1"))[0]
        return raw.decode("utf-8", "surrogateescape")
    return name


def git_names(repo: Path, diff: str) -> list[tuple[str, str]] | None:
    """(old, new) of each part as git reads them (``git apply -v --check`` says each before checking it),
    None when git refuses the diff as a whole."""
    done = git(repo, "apply", "-v", "--check", "--whitespace=nowarn", "-", diff=diff)
    said = [
        line.decode("utf-8", "surrogateescape").removeprefix("Checking patch ").removesuffix("...")
        for line in done.stderr.splitlines()
        if line.startswith(b"Checking patch ")
    ]
    if not said:
        return None
    pairs = []
    for text in said:
        old, _, new = text.partition(" => ")
        pairs.append((unquote(old), unquote(new or old)))
    return pairs


def snapshot(root: Path) -> dict[str, tuple[bool, int, bytes]]:
    files = {}
    for path in root.rglob("*"):
        if ".git" in path.relative_to(root).parts or (path.is_dir() and not path.is_symlink()):
            continue
        st_ = path.lstat()
        body = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        files[os.fsdecode(path.relative_to(root))] = (path.is_symlink(), st_.st_mode & 0o111, body)
    return files


STATS = {"applied": 0, "refused": 0}


def agree_with_git(diff_parts: list[Part]) -> None:
    diff = "".join(p.text for p in diff_parts)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q", str(repo)], check=True, env=ENV)
        pairs = git_names(repo, diff)
        if pairs is None or len(pairs) != len(diff_parts):
            STATS["refused"] += 1
            return
        for part, (old, _new) in zip(diff_parts, pairs, strict=True):
            target = repo / old
            if part.needs_old and ".." not in Path(old).parts and not old.startswith("/"):
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text("old\n")
                except OSError:  # a name that is another part's directory: no preimage for both
                    STATS["refused"] += 1
                    return
        before = snapshot(repo)
        applied = git(repo, "apply", "--whitespace=nowarn", "-", diff=diff)
        if applied.returncode != 0:
            STATS["refused"] += 1
            return
        after = snapshot(repo)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    info = inspect_patch(diff)  # git applied it: ours must read it too
    ours = {name for part in parse_diff(diff) for name in part.written}
    assert changed <= ours <= set(info.files), (diff, ours, changed)
    # what git wrote back unchanged (a rename onto itself) is on disk as it was
    assert all(before.get(path) == after.get(path) is not None for path in ours - changed), (diff, ours)
    assert {new for _old, new in pairs} <= set(info.files)
    STATS["applied"] += 1


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(parts(), min_size=1, max_size=4))
# shapes the search may not reach: a traditional diff of a top-level file (git reads -p0 for the rest of
# the input), no b/ prefix, a name with a tab, a quoted rename, a rename onto a protected path
@example([Part("--- src\n+++ src\n@@ -1 +1 @@\n-old\n+new\n", True)])
@example([Part("--- src/.github/ci.yml\n+++ src/.github/ci.yml\n@@ -1 +1 @@\n-old\n+new\n", True)])
@example([Part("--- a/x\ty\n+++ b/x\ty\n@@ -1 +1 @@\n-old\n+new\n", True)])
@example([Part('diff --git a/m b/n\nrename from "a\\tb"\nrename to .github/w.yml\n', True)])
@example(
    [
        Part("--- x.txt\n+++ x.txt\n@@ -1 +1 @@\n-old\n+new\n", True),
        Part("--- d/.ci/run\n+++ d/.ci/run\n@@ -1 +1 @@\n-old\n+new\n", True),
    ]
)
def _crafted(diff_parts: list[Part]) -> None:
    agree_with_git(diff_parts)


def test_crafted_diffs_touch_what_git_apply_touches() -> None:
    STATS.update(applied=0, refused=0)
    _crafted()
    # most crafted diffs are ones git applies: the agreement is tested, not vacuously true
    assert STATS["applied"] >= 100, STATS
    print(f"crafted diffs: {STATS}")


def test_the_issue_examples_read_as_git_writes_them() -> None:
    """The three readings the issue found: a header without the b/ prefix, a rename, a ``:/``-style
    name; each names the protected file git writes."""
    no_prefix = "--- src/.github/workflows/ci.yml\n+++ src/.github/workflows/ci.yml\n@@ -1 +1 @@\n-a\n+b\n"
    assert inspect_patch(no_prefix).files == (".github/workflows/ci.yml",)
    rename = "diff --git a/x b/y\nsimilarity index 100%\nrename from notes.md\nrename to .github/ci.yml\n"
    assert inspect_patch(rename).files == ("notes.md", ".github/ci.yml")
    colon = "--- a/:/.github/workflows/x.yml\n+++ b/:/.github/workflows/x.yml\n@@ -1 +1 @@\n-a\n+b\n"
    assert inspect_patch(colon).files == (":/.github/workflows/x.yml",)
    for diff in (no_prefix, rename, colon):
        assert any("protected" in p for p in check_patch(diff)), diff


def test_a_change_proposal_names_the_files_git_writes(tmp_path: Path) -> None:
    """What the constitution sees of a cross-repo change (engine.changes.changed_files) is git's reading:
    a quoted non-ASCII name, a name with a space, a rename, a deletion, from a diff git made."""
    from codemonkeys.engine.changes import changed_files

    run = {"cwd": tmp_path, "check": True, "env": ENV, "capture_output": True}
    subprocess.run(["git", "init", "-q"], **run)
    for name in ("café.txt", "with space.txt", "old.txt", "gone.txt"):
        (tmp_path / name).write_text(f"the old {name}\n" * 5)
    subprocess.run(["git", "add", "-A"], **run)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "i"], **run
    )
    (tmp_path / "café.txt").write_text("new\n")
    (tmp_path / "with space.txt").write_text("new\n")
    subprocess.run(["git", "mv", "old.txt", ".github-new.txt"], **run)
    subprocess.run(["git", "rm", "-q", "gone.txt"], **run)
    subprocess.run(["git", "add", "-A"], **run)
    diff = subprocess.run(["git", "diff", "--cached", "-M"], **run).stdout.decode()
    assert '"a/caf\\303\\251.txt"' in diff  # git quotes it
    assert changed_files(diff) == [".github-new.txt", "café.txt", "gone.txt", "with space.txt"]
