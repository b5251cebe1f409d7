"""Cross-repo operations as governed changes: ``cmctl fleet patch`` and ``cmctl fleet exec`` make one
change proposal per selected product that actually changes; ``cmctl fleet changes`` lists them.

A proposal is made in a clean, throwaway worktree of the product's branch head (from the product's
mirror: a maintainer's checkout is never touched) by one of

* ``patch``: a unified diff applied with ``git apply`` (paths relative to the product's directory);
* ``replace``: every occurrence of a string replaced in the product's text files (``--glob``: only the
  files matching one of the globs, relative to the product's directory, e.g. ``pyproject.toml``);
* ``exec``: a command (an argument list, never a shell string) run in the product's directory.

The resulting diff (``git diff`` of the worktree, limited to the product's path) is recorded with the
selector, the command, who and when (``change_proposals``); nothing is committed, pushed or built here:
that is ``change.propose``, planned and gated like every action. A product whose patch does not apply,
whose command fails, whose diff carries a secret's value, or whose diff fails the checks a heal patch
passes (``heal.patches.check_patch``: no secret files, nothing outside the repository, no binary parts,
symlinks or credential-like lines) is reported and gets no proposal; the others still do. Unlike a heal,
a person's change may touch CI configuration and lockfiles and be of any size (a dependency bump across
the fleet does): the constitution decides on them, as CEL sees ``files`` and ``lines``. A product the
change leaves unchanged gets none either.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from codemonkeys.act.base import Redactor, run_command
from codemonkeys.context import Context
from codemonkeys.facets.change.plugin import branch_name
from codemonkeys.facets.heal.gitdiff import parse_diff
from codemonkeys.facets.heal.patches import SECRET_FILES, check_patch
from codemonkeys.gitcred import helper_for
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.repos import GitError, Mirror, mirror_path, repo_lock, sync_mirror
from codemonkeys.repos import run as git
from codemonkeys.sandbox import product_command
from codemonkeys.store.db import Store
from codemonkeys.vocab.facts import ChangeStatus

EXEC_TIMEOUT = 600.0  # seconds a `fleet exec` command may run per product


@dataclass(frozen=True)
class Patch:
    """A unified diff to apply (its text)."""

    diff: str
    kind: str = "patch"


@dataclass(frozen=True)
class Replace:
    """Replace ``old`` by ``new`` in the text files matching ``globs`` (every text file if none)."""

    old: str
    new: str
    globs: tuple[str, ...] = ()
    kind: str = "replace"


@dataclass(frozen=True)
class Exec:
    """Run ``command`` (an argument list) in the product's directory."""

    command: tuple[str, ...]
    timeout: float = EXEC_TIMEOUT
    kind: str = "exec"


How = Patch | Replace | Exec


@dataclass
class Outcome:
    """What a change did to one product: ``proposed``, ``unchanged`` or ``failed`` (``reason`` says why)."""

    product: str
    status: str
    files: list[str] = field(default_factory=list)
    lines: int = 0
    branch: str = ""
    reason: str = ""
    diff: str = field(default="", repr=False)
    base: str = ""  # the branch head the diff was made on


@dataclass
class Proposed:
    """A change: its id and one outcome per selected product."""

    change: str
    outcomes: list[Outcome]

    @property
    def proposed(self) -> list[Outcome]:
        """The products that got a proposal."""
        return [o for o in self.outcomes if o.status == "proposed"]


def describe(how: How) -> str:
    """The change as one line (the default commit subject)."""
    if isinstance(how, Replace):
        return f"chore: replace {how.old!r} with {how.new!r}"
    if isinstance(how, Exec):
        return f"chore: run {' '.join(how.command)}"[:100]
    return "chore: apply a fleet patch"


def changed_files(diff: str) -> list[str]:
    """The files a unified diff changes (their new path; the old one for a deletion), named as
    ``git apply`` reads the headers (quoted names, names with spaces: facets/heal/gitdiff.py)."""
    names = (part.new_name or part.old_name for part in parse_diff(diff))
    return sorted(dict.fromkeys(name for name in names if name))


def propose_changes(
    desired: DesiredState,
    store: Store,
    context: Context,
    products: Sequence[str],
    how: How,
    selector: str,
    author: str,
    message: str = "",
) -> Proposed:
    """Make and record one proposal per product of ``products`` that ``how`` changes (see the module
    docstring); audited as ``change.recorded`` per product."""
    change = uuid.uuid4().hex[:8]
    redact = Redactor.for_fleet(desired, context.secrets)
    work = desired.state_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    message = message or describe(how)
    outcomes = []
    for name in products:
        outcome = _one(desired, context, redact, work, name, change, how)
        if outcome.status == "proposed":
            outcome.branch = branch_name(change, name)
            store.save_change_proposal(
                change,
                name,
                kind=how.kind,
                selector=selector,
                message=message,
                command=list(how.command) if isinstance(how, Exec) else [],
                author=author,
                diff=outcome.diff,
                files=outcome.files,
                lines=outcome.lines,
                base_commit=outcome.base,
                branch=outcome.branch,
                status=str(ChangeStatus.PROPOSED),
            )
            data = {"change": change, "selector": selector, "kind": how.kind, "files": outcome.files}
            store.audit("change.recorded", author, data | {"lines": outcome.lines}, product=name)
        outcomes.append(outcome)
    return Proposed(change, outcomes)


def _one(
    desired: DesiredState,
    context: Context,
    redact: Redactor,
    work: Path,
    name: str,
    change: str,
    how: How,
) -> Outcome:
    """The diff ``how`` makes in ``name`` at its branch head."""
    product = desired.products[name]
    url = desired.repo_location(name)
    sub = product.spec.source.path.strip("/") if product.spec.source.path else ""
    try:
        with repo_lock(mirror_path(desired.state_dir, url)) as mirror:
            sync_mirror(url, mirror, helper_for(desired, name))
            with Mirror(mirror) as repo:
                head = repo.branch_head(product.spec.source.branch)
                with repo.worktree(head, work) as tree:
                    where = tree.path / sub if sub else tree.path
                    failed = _make(
                        how, where, work, name, change, sub, redact, context, repo, head, desired, tree.path
                    )
                    if failed:
                        return Outcome(name, "failed", reason=failed)
                    git(["add", "--all", "--", "."], where)
                    diff = git(["diff", "--cached", "--no-color", "--no-ext-diff", "--", "."], where)
    except GitError as exc:
        return Outcome(name, "failed", reason=f"git: {redact(exc.stderr)}")
    if not diff.strip():
        return Outcome(name, "unchanged")
    if redact(diff) != diff:
        return Outcome(name, "failed", reason="the diff holds a secret's value: not proposed")
    diff += "\n"
    problems = check_patch(diff, protected=SECRET_FILES, max_lines=sys.maxsize)
    if problems:
        return Outcome(name, "failed", reason="refused by the patch checks: " + "; ".join(problems))
    files = changed_files(diff)
    lines = sum(1 for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++ ", "--- ")))
    return Outcome(name, "proposed", files=files, lines=lines, diff=diff, base=head)


def _make(
    how: How,
    where: Path,
    work: Path,
    name: str,
    change: str,
    sub: str,
    redact: Redactor,
    context: Context,
    repo: Mirror,
    head: str,
    desired: DesiredState,
    root: Path,
) -> str:
    """Change the worktree at ``where`` (in the worktree ``root``); a message when it cannot (nothing is
    proposed then). A command (``fleet exec``) runs in the product's sandbox, its worktree writable."""
    if isinstance(how, Patch):
        path = work / f"change-{change}-{name}.patch"
        path.write_text(how.diff if how.diff.endswith("\n") else how.diff + "\n")
        try:
            git(["apply", "--whitespace=nowarn", str(path)], where)
        except GitError as exc:
            return f"the patch does not apply: {redact(exc.stderr).strip()}"
        finally:
            path.unlink(missing_ok=True)
        return ""
    if isinstance(how, Replace):
        for rel, text in repo.text_files(head, sub or None).items():
            inner = rel[len(sub) + 1 :] if sub else rel
            if how.globs and not any(
                fnmatchcase(inner, g) or PurePosixPath(inner).match(g) for g in how.globs
            ):
                continue
            if how.old in text:
                (where / inner).write_text(text.replace(how.old, how.new))
        return ""
    prepared = product_command(context, desired, name, how.command, [root])
    if prepared.refused:
        return f"{' '.join(how.command)} not run: {redact(prepared.refused)}"
    result = run_command(prepared.args, where, how.timeout, prepared.env)
    if result.returncode != 0:
        what = "timed out" if result.returncode is None else f"exited {result.returncode}"
        tail = redact(result.output.strip().splitlines()[-1]) if result.output.strip() else ""
        return f"{' '.join(how.command)} {what}" + (f": {tail}" if tail else "")
    return ""


def drop_change(
    desired: DesiredState, store: Store, change: str, products: Sequence[str], actor: str
) -> list[str]:
    """Withdraw the open proposals of ``change`` for ``products`` (``cmctl fleet drop``): each change
    branch still at the source is deleted, the proposal becomes ``dropped`` (audited). Returns the
    products dropped. A failure deleting a branch (``GitError``) leaves that proposal open: run it again."""
    done = []
    open_ = (
        ChangeStatus.PROPOSED,
        ChangeStatus.BUILDING,
        ChangeStatus.GREEN,
        ChangeStatus.RED,
        ChangeStatus.CONFLICT,
    )
    for rec in store.change_proposals(change=change, statuses=open_):
        if rec.product not in products:
            continue
        url = desired.repo_location(rec.product)
        if rec.commit is not None:
            with repo_lock(mirror_path(desired.state_dir, url)) as mirror:
                sync_mirror(url, mirror, helper_for(desired, rec.product))
                with Mirror(mirror) as repo:
                    repo.delete_branch_at_source(rec.branch)
        store.save_change_proposal(
            change, rec.product, status=str(ChangeStatus.DROPPED), reason=f"dropped by {actor}"
        )
        store.audit("change.dropped", actor, {"change": change, "branch": rec.branch}, product=rec.product)
        done.append(rec.product)
    return done
