"""Proving a patch on a branch and landing it, shared by heal (``build.heal``, ``heal.merge``) and
cross-repo changes (``change.propose``, ``change.merge``).

* ``commit_on_branch``: apply a unified diff to a clean worktree of a base commit, commit it (fixed
  dates: the same patch on the same base is the same commit, so a resumed action re-creates it) and push
  it to a branch at the source; the product's branch is never touched.
* ``build_commit``: build a commit with the product's own CI (local runner or Jenkins).
* ``delete_branch``: delete a red attempt's branch at the source.
* ``land``: push a proven commit to the product's branch: a fast-forward when the branch is still at
  the base (and the product asks for one), else a merge commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codemonkeys.act.base import ActContext, ActionResult
from codemonkeys.repos import GitError, Mirror, is_working_copy, repo_lock
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.facts import BuildStatus
from codemonkeys.vocab.plan import Action

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class BranchBuild:
    """A finished build of a branch commit: status, the (redacted) log, why it failed ("" if green)."""

    status: BuildStatus
    log: str
    why: str


def commit_on_branch(
    ctx: ActContext,
    product: str,
    base: str,
    patch: str,
    files: Sequence[str],
    subject: str,
    body: str,
    date: str,
    branch: str,
) -> str:
    """Commit ``patch`` on ``base`` and push it to ``branch`` at the source; returns the commit id.
    ``GitError`` when the patch does not apply or the push is refused (nothing is left at the source)."""
    url = ctx.desired.repo_location(product)
    with repo_lock(ctx.mirror(product)) as mirror, Mirror(mirror) as repo:
        with repo.worktree(base, ctx.work_dir) as tree:
            path = ctx.work_dir / f"{branch.replace('/', '-')}.patch"
            path.write_text(patch if patch.endswith("\n") else patch + "\n")
            try:
                tree.apply(path)
                commit = tree.commit(list(files) or ["."], subject, body, date=date)
                tree.push(commit, branch, update_instead=is_working_copy(url))
            finally:
                path.unlink(missing_ok=True)
        repo.set_branch(branch, commit)
    return commit


def build_commit(action: Action, ctx: ActContext, commit: str) -> BranchBuild | ActionResult:
    """Build ``commit`` with the product's CI; an ``ActionResult`` when the CI cannot be reached (the
    caller's record stays as it was, and the next plan resumes it). With a forge that takes statuses,
    the commit gets its ``codemonkeys/build`` status (a pull request's required check)."""
    from codemonkeys.facets.build.actuators import proof_status
    from codemonkeys.forges import StatusState

    status = proof_status(action, ctx, commit)
    if status is not None:
        status.post(StatusState.PENDING, "proving")
    run = _build_commit(action, ctx, commit)
    if status is not None and isinstance(run, BranchBuild):
        ok = run.status is BuildStatus.SUCCESS
        said = "the build passed" if ok else ctx.redact(run.why or "the build failed")
        status.post(StatusState.SUCCESS if ok else StatusState.FAILURE, said)
    elif status is not None:
        status.post(StatusState.ERROR, "the build could not run")
    return run


def _build_commit(action: Action, ctx: ActContext, commit: str) -> BranchBuild | ActionResult:
    if ctx.desired.ci_kind(action.product) is CIKind.JENKINS:
        from codemonkeys.facets.build.jenkins import run_jenkins_build

        run = run_jenkins_build(action, ctx, commit)
        if isinstance(run, ActionResult):
            return run
        return BranchBuild(run.status, run.log, run.summary or str(run.result))
    from codemonkeys.facets.build.local import run_local_build

    local = run_local_build(action, ctx, commit)
    if isinstance(local, ActionResult):  # the sandbox refused: nothing was built
        return local
    return BranchBuild(local.status, local.log, local.why)


def delete_branch(ctx: ActContext, product: str, branch: str) -> str | None:
    """Delete ``branch`` at the product's source; None when done, else git's (redacted) complaint."""
    try:
        with repo_lock(ctx.mirror(product)) as mirror, Mirror(mirror) as repo:
            repo.delete_branch_at_source(branch)
    except GitError as exc:
        return ctx.redact(exc.stderr)
    return None


def land(
    ctx: ActContext,
    repo: Mirror,
    commit: str,
    base: str,
    head: str,
    how: str,
    branch: str,
    url: str,
    subject: str,
) -> str:
    """Push ``commit`` (made on ``base``) to ``branch``, now at ``head``: a fast-forward when ``head`` is
    still ``base`` and ``how`` is ``fast-forward``, else a merge commit. Returns the new head."""
    with repo.worktree(head, ctx.work_dir) as tree:
        new = commit
        if how != "fast-forward" or head != base:
            new = tree.merge(commit, subject[:100])
        tree.push(new, branch, update_instead=is_working_copy(url))
    repo.set_branch(branch, new)
    return new
