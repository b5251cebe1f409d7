"""Everything git, in one place, on GitPython: mirrors, fetch, worktrees, repo locks, commit logs,
object reads, revisions, and the atomic push of a release commit with its tag.

Observers read through a ``Mirror`` (a bare clone per repository URL under ``<fleet>/.cmctl/repos/``);
actuators change repositories through a ``Worktree`` of a mirror and push back to the source. Objects
(files at a commit, tree ids) are read through GitPython's persistent ``cat-file`` processes, so reading
several files of a commit costs no extra process per file. Commands that GitPython runs through the git
CLI get argument lists, never shell strings, with a deterministic, non-interactive environment.

Failures raise ``GitError`` carrying git's own message; callers turn them into facts or results.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from codemonkeys.gitrev import GitError, revision, revisions

if TYPE_CHECKING:
    import git as gitpython

# Deterministic, non-interactive git: no pager, no prompts, C locale for parseable messages.
BASE_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}
IDENTITY = {
    "GIT_AUTHOR_NAME": "Code Monkeys",
    "GIT_AUTHOR_EMAIL": "bot@codemonkeys.dev",
    "GIT_COMMITTER_NAME": "Code Monkeys",
    "GIT_COMMITTER_EMAIL": "bot@codemonkeys.dev",
}
SKIP_CI = ("[skip ci]", "[ci skip]")
# receive-pack run by the receiving side of a local push: a checked-out branch is updated with its files
UPDATE_INSTEAD = "git -c receive.denyCurrentBranch=updateInstead receive-pack"
DIRTY_TARGET = (
    "Working directory has unstaged changes",
    "uncommitted changes",
    "Could not update working tree",
)
_REC, _FLD = "\x1e", "\x1f"
LOG_FORMAT = f"%H{_FLD}%s{_FLD}%b{_REC}"


@cache
def _gitpython() -> gitpython:
    """GitPython, imported on first use: it refuses to import without a ``git`` executable, and commands
    that never touch git (``cmctl --version``, ``schema export``) must work without one."""
    try:
        import git
    except ImportError as exc:
        raise GitError(["--version"], 127, f"git is not usable: {exc}") from None
    return git


def _error(exc: Exception) -> GitError:
    argv = [str(a) for a in (exc.command if isinstance(exc.command, list) else [exc.command])]
    stderr = exc.stderr if isinstance(exc.stderr, str) else str(exc.stderr or "")
    stderr = stderr.strip().removeprefix("stderr:").strip().strip("'").strip()
    status = exc.status if isinstance(exc.status, int) else 1
    return GitError(argv[1:] if argv and argv[0] == "git" else argv, status, stderr)


def _execute(cmd, args: Sequence[str], env: Mapping[str, str] | None, check: bool) -> str:
    """``git ARGS`` through a GitPython command runner: stdout stripped; ``GitError`` (or "" unless
    ``check``) on failure. Every git command of this module goes through here (but ``Mirror.conflicts``,
    which reads git merge-tree's exit status and output together)."""
    git = _gitpython()
    try:
        out = cmd.execute(["git", *args], env={**BASE_ENV, **(env or {})}, strip_newline_in_stdout=True)
    except git.CommandError as exc:
        if check:
            raise _error(exc) from None
        return ""
    return out if isinstance(out, str) else out.decode()


def run(
    args: Sequence[str], cwd: Path | str, env: Mapping[str, str] | None = None, check: bool = True
) -> str:
    """Run ``git ARGS`` in ``cwd`` (through GitPython's command runner) and return stdout, stripped."""
    if not Path(cwd).is_dir():  # GitPython would silently run in the process's cwd instead
        raise GitError(list(args), 128, f"no such directory: {cwd}")
    return _execute(_gitpython().Git(str(cwd)), args, env, check)


def records(log: str) -> list[tuple[str, str, str]]:
    """``LOG_FORMAT`` output -> ``(sha, subject, body)`` per commit, newest first."""
    out = []
    for rec in log.split(_REC):
        rec = rec.strip("\n")
        if rec:
            sha, subject, body = [*rec.split(_FLD), "", ""][:3]
            out.append((sha, subject, body))
    return out


def mirror_path(state_dir: Path, url: str) -> Path:
    """One mirror per repository URL (products of a monorepo share it)."""
    base = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "repo"
    return state_dir / "repos" / f"{base}-{hashlib.sha256(url.encode()).hexdigest()[:8]}.git"


HELPER_MARK = "cm-credential-helper"  # in a mirror: the credential helper its config holds


def sync_mirror(url: str, mirror: Path, helper: str | None = None) -> None:
    """Create or update the bare mirror of ``url``: branches and tags as the source has them.

    A new mirror is cloned and configured under a temporary name, then renamed into place, so a
    process reading or fetching it (another controller on the same state directory) never sees a
    half-made one (a process killed mid-clone leaves a ``*.tmp-*`` directory beside it that nothing
    reads). Of two processes cloning at once, the first rename wins.

    ``helper``: the ``credential.helper`` of a repository that needs a login (``gitcred.helper_for``:
    it names secrets, never values); kept in the mirror's config, alone (helpers configured elsewhere
    are not asked), so fetches, pushes and ``ls-remote`` of the mirror and its worktrees use it, and
    removed when the fleet no longer gives one."""
    if not (mirror / "HEAD").exists():
        mirror.parent.mkdir(parents=True, exist_ok=True)
        tmp = mirror.with_name(f"{mirror.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        shutil.rmtree(tmp, ignore_errors=True)
        auth = ["-c", "credential.helper=", "-c", f"credential.helper={helper}"] if helper else []
        try:
            run([*auth, "clone", "--bare", "--quiet", url, str(tmp)], mirror.parent)
            run(["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], tmp)
            _keep_helper(tmp, helper)
            try:
                tmp.rename(mirror)
            except OSError:
                if not (mirror / "HEAD").exists():  # not another process's mirror in place: a real error
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _keep_helper(mirror, helper)
    with tree_lock(mirror):  # a worktree half added or removed fails a fetch ("bad object worktrees/...")
        run(["fetch", "--quiet", "--prune", "--prune-tags", "--tags", "--force", "origin"], mirror)


def tree_lock(mirror: Path) -> FileLock:
    """The lock that keeps a mirror's fetch and the adding and removing of its worktrees apart (held for
    those git calls only; taken inside ``repo_lock``, never around it)."""
    return FileLock(str(mirror.parent / f"{mirror.name}.tree.lock"))


def _keep_helper(mirror: Path, helper: str | None) -> None:
    """Make the mirror's credential helper ``helper`` (none: no process is run when nothing changes)."""
    mark = mirror / HELPER_MARK
    kept = mark.read_text() if mark.exists() else None
    if kept == helper:
        return
    run(["config", "--unset-all", "credential.helper"], mirror, check=False)
    if helper is None:
        mark.unlink()
        return
    run(["config", "--add", "credential.helper", ""], mirror)  # reset: only the fleet's helper answers
    run(["config", "--add", "credential.helper", helper], mirror)
    mark.write_text(helper)


class Mirror:
    """Reads (and the few ref updates actuators need) on one mirror (or any repository), through
    GitPython's command runner. Objects at a commit (files, tree ids, blobs) are read in one
    ``git cat-file --batch`` per call, however many are asked for."""

    def __init__(self, path: Path):
        self.path = path
        if not path.is_dir():
            raise GitError(["open", str(path)], 128, f"no repository at {path}")
        self._cmd = _gitpython().Git(str(path))

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing stays running between calls (kept so callers can use ``with``)."""

    def _git(self, *args: str, check: bool = True) -> str:
        return _execute(self._cmd, args, None, check)

    def cat(self, specs: Sequence[str]) -> dict[str, tuple[str, str, bytes] | None]:
        """``git cat-file --batch`` over ``specs`` (``commit:path`` or object ids) in one process:
        spec -> (object id, type, contents), None when missing."""
        if not specs:
            return {}
        # keep GitPython's handle alive while talking to the process: dropping it kills the process
        handle = self._cmd.execute(
            ["git", "cat-file", "--batch"], istream=subprocess.PIPE, as_process=True, env=BASE_ENV
        )
        proc = handle.proc
        data, err = proc.communicate(("\n".join(specs) + "\n").encode())
        if proc.returncode != 0:
            raise GitError(["cat-file", "--batch"], proc.returncode, err.decode("utf-8", "replace"))
        out: dict[str, tuple[str, str, bytes] | None] = {}
        pos = 0
        for spec in specs:
            end = data.index(b"\n", pos)
            header = data[pos:end].decode().split()
            if len(header) != 3 or header[-1] == "missing" or not header[2].isdigit():
                out[spec], pos = None, end + 1
                continue
            size = int(header[2])
            out[spec] = (header[0], header[1], data[end + 1 : end + 1 + size])
            pos = end + 1 + size + 1  # contents end with a newline
        return out

    def branch_head(self, branch: str) -> str:
        """The commit id at the tip of ``branch``."""
        return self._git("rev-parse", "--verify", f"refs/heads/{branch}^{{commit}}")

    def rev(self, spec: str) -> str:
        """The object id ``spec`` names (``v1.0^{commit}``, a branch, ...); ``GitError`` if none."""
        return self._git("rev-parse", "--verify", spec)

    def commit_date(self, commit: str) -> str:
        """The committer date of ``commit`` (ISO 8601)."""
        return self._git("log", "-1", "--format=%cI", commit)

    def tags(self) -> list[str]:
        """Every tag name."""
        return self._git("tag", "--list").split()

    def merged_tags(self, commit: str) -> list[str]:
        """Tags reachable from ``commit``."""
        return self._git("tag", "--merged", commit).split()

    def has_tag(self, tag: str) -> bool:
        """Whether tag ``tag`` exists in the mirror."""
        return bool(self._git("tag", "--list", tag))

    def log(self, rev: str, path: str | None = None, limit: int | None = None) -> list[tuple[str, str, str]]:
        """Commits of ``rev`` (a commit or ``A..B``), newest first, touching ``path`` if given."""
        args = ["log", f"--format={LOG_FORMAT}", *(["-n", str(limit)] if limit else []), rev]
        return records(self._git(*args, *(["--", path] if path else [])))

    def commits_since(
        self, tag: str | None, head: str, path: str | None = None
    ) -> list[tuple[str, str, str]]:
        """Commits after ``tag`` up to ``head`` (all of them without a tag), touching ``path`` if given."""
        return self.log(f"{tag}..{head}" if tag else head, path)

    def moved_since(self, planned: str, head: str, path: str | None) -> bool:
        """Whether the branch moved from ``planned`` to ``head`` in a way that concerns the product: any
        move for a whole-repo product; only commits under ``path`` for a monorepo product."""
        if head == planned:
            return False
        if not path:
            return True
        return bool(self._git("log", "--format=%H", f"{planned}..{head}", "--", path))

    def at(self, commit: str, paths: Sequence[str]) -> dict[str, tuple[str, str, bytes] | None]:
        """The objects at ``paths`` of ``commit`` (one process for all): path -> (id, type, contents)."""
        specs = [f"{commit}:{p.strip('/')}" for p in paths]
        found = self.cat(list(dict.fromkeys(specs)))
        return {p: found[spec] for p, spec in zip(paths, specs, strict=True)}

    def object_id(self, commit: str, path: str) -> str:
        """The object id of ``path`` at ``commit`` (a blob or a tree), "" if it does not exist."""
        obj = self.at(commit, [path])[path]
        return obj[0] if obj else ""

    def read_text(self, commit: str, path: str) -> str | None:
        """The text of file ``path`` at ``commit``, None if there is no such file."""
        obj = self.at(commit, [path])[path]
        return obj[2].decode("utf-8", "replace") if obj and obj[1] == "blob" else None

    def read_blobs(self, blobs: Sequence[str]) -> dict[str, bytes]:
        """Blob id -> contents; ``GitError`` naming the first missing object."""
        found = self.cat(list(blobs))
        missing = [b for b in blobs if found.get(b) is None]
        if missing:
            raise GitError(["cat-file", "--batch"], 1, f"{missing[0]}: missing object")
        return {b: found[b][2] for b in blobs}

    def set_branch(self, branch: str, commit: str) -> None:
        """Point the mirror's ``branch`` at ``commit`` (after a push the source accepted)."""
        self._git("update-ref", f"refs/heads/{branch}", commit)

    def delete_tag(self, tag: str) -> None:
        """Drop a local tag (e.g. after a refused push); missing tags are fine."""
        self._git("tag", "-d", tag, check=False)

    def branches(self, prefix: str) -> dict[str, str]:
        """Branches whose name starts with ``prefix``: name -> commit id."""
        out = self._git("for-each-ref", "--format=%(refname:lstrip=2) %(objectname)", f"refs/heads/{prefix}")
        return dict(line.split(" ", 1) for line in out.splitlines() if line)

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        """Whether ``ancestor`` is ``commit`` or one of its ancestors (False if either is unknown)."""
        base = self._git("merge-base", ancestor, commit, check=False)
        return bool(base) and base == self._git(
            "rev-parse", "--verify", f"{ancestor}^{{commit}}", check=False
        )

    def conflicts(self, ours: str, theirs: str) -> list[str]:
        """The files a merge of ``theirs`` into ``ours`` would leave conflicting; empty when it merges
        cleanly (``git merge-tree --write-tree`` in the mirror: no worktree, nothing written but objects)."""
        args = ["merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs]
        status, out, err = self._cmd.execute(
            ["git", *args], env=BASE_ENV, with_extended_output=True, with_exceptions=False
        )
        if status == 0:
            return []
        if status == 1:  # conflicts: the tree's id, then the conflicting files
            return sorted(set(str(out).splitlines()[1:]))
        raise GitError(args, status, str(err))

    def text_files(self, commit: str, path: str | None = None, max_bytes: int = 200_000) -> dict[str, str]:
        """The text files at ``commit`` (under ``path`` if given), repo-relative path -> contents; binary
        files and files over ``max_bytes`` are left out. One ``ls-tree`` and one ``cat-file`` in all."""
        listing = self._git("ls-tree", "-r", "--long", commit, *(["--", path.strip("/")] if path else []))
        blobs: dict[str, str] = {}
        for line in listing.splitlines():
            meta, _, name = line.partition("\t")
            parts = meta.split()
            if len(parts) == 4 and parts[1] == "blob" and parts[3].isdigit() and int(parts[3]) <= max_bytes:
                blobs[name] = parts[2]
        contents = self.read_blobs(list(dict.fromkeys(blobs.values()))) if blobs else {}
        out = {}
        for name, blob in blobs.items():
            data = contents[blob]
            if b"\0" not in data[:8000]:
                out[name] = data.decode("utf-8", "replace")
        return out

    def diff(self, old: str, new: str, path: str | None = None) -> str:
        """The unified diff from ``old`` to ``new`` (under ``path`` if given), with a/ and b/ prefixes."""
        return self._git("diff", "--no-color", "--no-ext-diff", old, new, *(["--", path] if path else []))

    def diff_stat(self, old: str, new: str, path: str | None = None) -> tuple[int, int]:
        """Files changed and lines added plus deleted from ``old`` to ``new`` (under ``path`` if given):
        one ``git diff --shortstat``, no file contents leave git."""
        stat = self._git("diff", "--shortstat", "--no-ext-diff", old, new, *(["--", path] if path else []))
        numbers = {word.rstrip("(),+-s"): int(n) for n, word in re.findall(r"(\d+) (\w+)", stat)}
        return numbers.get("file", 0), numbers.get("insertion", 0) + numbers.get("deletion", 0)

    def delete_branch_at_source(self, branch: str) -> None:
        """Delete ``branch`` at the source and in the mirror; a branch already gone is fine."""
        if self._git("ls-remote", "--heads", "origin", f"refs/heads/{branch}", check=False):
            self._git("push", "--quiet", "origin", f":refs/heads/{branch}")
        self._git("update-ref", "-d", f"refs/heads/{branch}", check=False)

    def export(self, rev: str, dest: Path) -> None:
        """Write the files of ``rev`` under ``dest`` (through a private index: no worktree, no lock)."""
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="cm-index-") as tmp:
            env = {"GIT_INDEX_FILE": f"{tmp}/index", "GIT_WORK_TREE": str(dest.resolve())}
            _execute(self._cmd, ["read-tree", rev], env, True)
            _execute(self._cmd, ["checkout-index", "--all", "--force"], env, True)

    def snapshot(
        self, files: Path, parent: str | None, subject: str, body: str = "", date: str | None = None
    ) -> str:
        """A commit (on ``parent``, or a root commit) whose tree is exactly the files under ``files``,
        made through a private index (no worktree, no branch moved); ``parent`` itself when its tree is
        already that tree (nothing to commit). With ``date`` (ISO 8601) the same files on the same parent
        always make the same commit id."""
        with tempfile.TemporaryDirectory(prefix="cm-index-") as tmp:
            env = {"GIT_INDEX_FILE": f"{tmp}/index", "GIT_WORK_TREE": str(files.resolve())}
            _execute(self._cmd, ["add", "--all", "--force", "."], env, True)
            tree = _execute(self._cmd, ["write-tree"], env, True)
        if parent is not None and self._git("rev-parse", f"{parent}^{{tree}}") == tree:
            return parent
        message = subject + (f"\n\n{body}" if body else "")
        args = ["commit-tree", tree, *(["-p", parent] if parent else []), "-m", message]
        dates = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {}
        return _execute(self._cmd, args, {**IDENTITY, **dates}, True)

    def push_commit(self, commit: str, branch: str, expect: str | None, force: bool = False) -> None:
        """Push ``commit`` to ``branch`` at the source, only if the branch is still at ``expect`` there
        (None: it must not exist): a lease, so a push made by someone else since is never overwritten.
        ``force``: the branch is Code Monkeys' own, replaced whatever it holds."""
        lease = "--force" if force else f"--force-with-lease=refs/heads/{branch}:{expect or ''}"
        self._git("push", "--quiet", lease, "origin", f"{commit}:refs/heads/{branch}")

    def fetch_branch(self, branch: str) -> str | None:
        """Fetch ``branch`` from the source into the mirror; its commit, None when the source has none."""
        found = self._git("ls-remote", "--heads", "origin", f"refs/heads/{branch}")
        if not found:
            self._git("update-ref", "-d", f"refs/heads/{branch}", check=False)
            return None
        with tree_lock(self.path):
            self._git("fetch", "--quiet", "origin", f"+refs/heads/{branch}:refs/heads/{branch}")
        return self.branch_head(branch)

    @contextmanager
    def worktree(self, commit: str, work_dir: Path) -> Iterator[Worktree]:
        """A clean, detached worktree of ``commit``; removed afterwards (a crash leaves it for prune)."""
        path = Path(tempfile.mkdtemp(prefix="wt-", dir=work_dir))
        path.rmdir()
        with tree_lock(self.path):
            self._git("worktree", "add", "--quiet", "--detach", str(path), commit)
        try:
            yield Worktree(path)
        finally:
            with tree_lock(self.path):
                self._git("worktree", "remove", "--force", str(path), check=False)
                self._git("worktree", "prune", check=False)


class Worktree:
    """A checkout where an actuator changes files, commits, tags and pushes to the source."""

    def __init__(self, path: Path):
        self.path = path
        self._cmd = _gitpython().Git(str(path))

    def _git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        return _execute(self._cmd, args, env, True)

    def has_file(self, path: str) -> bool:
        """Whether ``path`` exists in the checkout."""
        return (self.path / path).exists()

    def commit(self, paths: Sequence[str], subject: str, body: str = "", date: str | None = None) -> str:
        """Stage ``paths`` and commit them as the Code Monkeys bot; returns the new commit id. With
        ``date`` (ISO 8601) as author and committer date, the same change on the same parent always
        makes the same commit id (a resumed actuator re-creates the commit it made before)."""
        self._git("add", "--all", "--", *paths)
        env = {**IDENTITY, **({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {})}
        self._git("commit", "--quiet", "-m", subject, *(["-m", body] if body else []), env=env)
        return self._git("rev-parse", "HEAD")

    def apply(self, patch: Path, check: bool = False) -> None:
        """Apply the unified diff in file ``patch`` to the checkout (``check``: only test that it applies);
        ``GitError`` with git's reason when it does not."""
        self._git("apply", *(["--check"] if check else []), "--whitespace=nowarn", str(patch))

    def merge(self, commit: str, subject: str, date: str | None = None) -> str:
        """A merge commit of ``commit`` into HEAD (never fast-forward); returns its id."""
        env = {**IDENTITY, **({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {})}
        self._git("merge", "--no-ff", "--quiet", "-m", subject, commit, env=env)
        return self._git("rev-parse", "HEAD")

    def tag(self, tag: str, message: str) -> None:
        """An annotated tag at HEAD."""
        self._git("tag", "-a", tag, "-m", message, env=IDENTITY)

    def push(
        self,
        commit: str,
        branch: str,
        tag: str | None = None,
        update_instead: bool = False,
        force: bool = False,
    ) -> None:
        """Push ``commit`` to ``branch`` at the source, with ``tag`` in the same atomic push if given:
        either both land or neither does. ``update_instead``: the source is a local working copy with the
        branch checked out; git updates its files too (and refuses if they have uncommitted changes).
        ``force``: the branch is Code Monkeys' own (a release pull request's), replaced as it moves."""
        refs = [f"{'+' if force else ''}{commit}:refs/heads/{branch}", *([f"refs/tags/{tag}"] if tag else [])]
        receive = ["--receive-pack", UPDATE_INSTEAD] if update_instead else []
        self._git("push", *(["--atomic"] if tag else []), *receive, "--quiet", "origin", *refs)

    def push_tag(self, tag: str) -> None:
        """Push ``tag`` alone to the source (a release merged through a pull request)."""
        self._git("push", "--quiet", "origin", f"refs/tags/{tag}")


def is_working_copy(location: str) -> bool:
    """Whether a product's repository is a local, non-bare checkout (pushes must use ``update_instead``)."""
    path = Path(location)
    return path.is_absolute() and (path / ".git").exists()


def push_refused_for_dirty_tree(error: GitError) -> bool:
    """Whether a push was refused because the receiving working copy has uncommitted changes."""
    return any(marker in error.stderr for marker in DIRTY_TARGET)


@contextmanager
def repo_lock(mirror: Path) -> Iterator[Path]:
    """Serialize commits to one repository (products of a monorepo share its branch); yields the mirror."""
    mirror.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(mirror.parent / f"{mirror.name}.commit.lock")):
        yield mirror


@dataclass
class FollowedClone:
    """A working clone that follows one branch of a remote (a fleet repo followed by URL)."""

    url: str
    branch: str
    root: Path

    def sync(self) -> bool:
        """Clone or fetch; make the checkout the remote branch. Returns whether the commit changed."""
        if not (self.root / ".git").exists():
            self.root.parent.mkdir(parents=True, exist_ok=True)
            run(["clone", "--quiet", "--branch", self.branch, self.url, str(self.root)], self.root.parent)
            return True
        before = run(["rev-parse", "HEAD"], self.root)
        run(["fetch", "--quiet", "--prune", "origin", self.branch], self.root)
        run(["reset", "--quiet", "--hard", f"origin/{self.branch}"], self.root)
        return run(["rev-parse", "HEAD"], self.root) != before


def local_ref_state(repo: Path | str) -> str | None:
    """A digest of a local repository's refs (``HEAD``, ``packed-refs``, loose refs) read as files, with
    no git process: equal digests, equal branches and tags. None when ``repo`` is not a plain local
    repository (a URL, a worktree's ``.git`` file, unreadable), where only git can tell."""
    root = Path(repo)
    gitdir = root / ".git" if (root / ".git").is_dir() else root
    h = hashlib.sha256()
    try:
        h.update(b"HEAD\0" + (gitdir / "HEAD").read_bytes())
        packed = gitdir / "packed-refs"
        if packed.is_file():
            h.update(b"packed-refs\0" + packed.read_bytes())
        refs = gitdir / "refs"
        for dirpath, dirnames, filenames in os.walk(refs):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                with open(path, "rb") as fh:
                    h.update(os.path.relpath(path, gitdir).encode() + b"\0" + fh.read())
    except OSError:
        return None
    return h.hexdigest()


__all__ = [
    "IDENTITY",
    "LOG_FORMAT",
    "SKIP_CI",
    "FollowedClone",
    "GitError",
    "Mirror",
    "Worktree",
    "local_ref_state",
    "mirror_path",
    "records",
    "repo_lock",
    "revision",
    "revisions",
    "run",
    "sync_mirror",
]
