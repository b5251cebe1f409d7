"""change.propose and change.merge: a cross-repo change, proven per product on its own branch with the
product's CI, and landed when green and the constitution allows it (the heal machinery: ``branches``).

``change.propose`` commits the proposal's diff on its base commit as ``change/<change>/<product>``
(fixed dates: a resumed proposal re-creates the very same commit), pushes that branch (the product's
branch is never touched), and builds it: green waits for ``change.merge``; red deletes the branch.
What a failure leaves: a diff that no longer applies or a refused push leaves the proposal ``red`` with
git's reason and nothing at the source; an unreachable CI leaves it ``building`` (committed and pushed),
and the next plan resumes it with the same commit; a red build leaves it ``red``, the branch deleted.

``change.merge`` lands the proven commit on the product's branch (a fast-forward when the branch has
not moved since the proposal, else a merge commit), pushes, and deletes the change branch. A commit
already on the branch only finishes the bookkeeping. A change that no longer merges (the branch moved
and conflicts with it, checked in the mirror before anything is written) becomes ``conflict``: it is
not planned again until someone drops it or proposes it anew; its change branch stays for a look. What
a failure leaves: a refused push leaves the proposal ``green`` and the branch as it was (the failure
says why); a conflict leaves the product's branch untouched.

In pull-request mode (``spec.git.mode``, ``act/pulls.py``) the change branch is also a pull request on the
product's forge, opened before the build and updated with its result; a red change's pull request is
closed. ``change.merge`` merges it through the forge's merge API at the proven commit, or finds it merged
by a person, or closed without merging: the proposal is then ``dropped``.

A dependency update (``kind: update``, planned from the fleet's releases, see the facet) has no record
until its ``change.propose`` makes one: the manifests rewritten at the branch head (``swarm.deps.retarget``);
from there it is a change like any other. Lock files are not rewritten yet. When its proof build is red
and the product heals with templates (``spec.build.heal``), the best fitting fix template of the fleet is
committed on top of the update on the same branch and built (``_heal_update``): green, the proposal carries
both commits; red, it is red as before.

Every step is recorded on the proposal and audited (``change.proposed``, ``change.green``,
``change.red``, ``change.conflict``, ``change.merged``) with the diff's size, files and the selector;
the diff itself is in the store, redacted.
"""

from __future__ import annotations

from contextlib import suppress

from codemonkeys.act import pulls
from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.act.branches import build_commit, commit_on_branch, delete_branch, land
from codemonkeys.facets.change.plugin import AUTHOR, OPEN, UPDATE, branch_name
from codemonkeys.facets.heal.failure import locations
from codemonkeys.facets.heal.patches import check_patch
from codemonkeys.gitcred import helper_for
from codemonkeys.kinds.models import HealStrategy
from codemonkeys.repos import GitError, Mirror, repo_lock, sync_mirror
from codemonkeys.store.db import ChangeProposalRecord
from codemonkeys.swarm.deps import manifest_diff, parse_manifest, retarget
from codemonkeys.swarm.knowledge import failure_summaries, fitting_templates
from codemonkeys.swarm.templates import instantiate_fitting
from codemonkeys.vocab.enums import CIKind, Ecosystem
from codemonkeys.vocab.facts import BuildStatus, ChangeStatus
from codemonkeys.vocab.plan import Action
from codemonkeys.vocab.updates import bump_range, takes

DIFF_SHOWN = 8000  # characters of a diff kept in outputs


def _record(ctx: ActContext, action: Action) -> ChangeProposalRecord | None:
    change = action.params["change"]
    return next(iter(ctx.store.change_proposals(product=action.product, change=change)), None)


def _outputs(rec: ChangeProposalRecord) -> dict:
    return {
        "change": rec.change,
        "status": rec.status,
        "branch": rec.branch,
        "base": rec.base_commit,
        "commit": rec.commit,
        "files": list(rec.files or []),
        "lines": rec.lines,
        "selector": rec.selector,
        "author": rec.author,
        "reason": rec.reason,
    }


def _save(
    ctx: ActContext, action: Action, rec: ChangeProposalRecord, event: str, **fields
) -> ChangeProposalRecord:
    rec = ctx.store.save_change_proposal(rec.change, rec.product, **fields)
    ctx.store.audit(
        event, "codemonkeys", ctx.redact.data(_outputs(rec)), product=action.product, action_id=action.id
    )
    return rec


def _record_update(action: Action, ctx: ActContext) -> ChangeProposalRecord | ActionResult:
    """Record a dependency update the planner proposed (``params.update``): each manifest that names the
    package, read at the product's branch head, every entry of the package rewritten from its range as
    written (``vocab.updates.bump_range``: its style and clause order kept), one diff per file; audited as
    ``change.recorded``. Open updates of the same package it supersedes are dropped. NOOP when the head
    takes the version already (someone bumped it since the plan); recorded ``red`` with why when an entry
    cannot be rewritten or the diff would hold a secret's value, so it is not proposed again."""
    update = action.params["update"]
    product = ctx.desired.products[action.product]
    sub = product.spec.source.path.strip("/") if product.spec.source.path else ""
    ecosystem, package, version = Ecosystem(update["ecosystem"]), update["package"], update["version"]
    pieces: list[str] = []
    files: list[str] = []
    behind: list[str] = []  # manifests whose entry still excludes the version after the rewrite
    url = ctx.desired.repo_location(action.product)
    try:
        with repo_lock(ctx.mirror(action.product)) as mirror:
            sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
            with Mirror(mirror) as repo:
                head = repo.branch_head(product.spec.source.branch)
                for manifest in dict.fromkeys(e["manifest"] for e in update["manifests"]):
                    path = f"{sub}/{manifest}" if sub else manifest
                    old = repo.read_text(head, path)
                    if old is None:
                        continue
                    new = retarget(path, old, ecosystem, package, lambda w: bump_range(ecosystem, w, version))
                    if any(
                        r.package == package and not takes(ecosystem, r.range, version)
                        for r in parse_manifest(path, new)
                    ):
                        behind.append(manifest)
                    if diff := manifest_diff(path, old, new):
                        pieces.append(diff)
                        files.append(path)
    except GitError as exc:
        return ActionResult(Outcome.FAILED, f"git: {ctx.redact(exc.stderr)}", transient=True)
    if not pieces and not behind:
        said = f"{action.product} takes {package} {version} already at {head[:12]}"
        return ActionResult(Outcome.NOOP, said)
    diff = "".join(pieces)
    lines = sum(1 for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++ ", "--- ")))
    why = ""
    if behind:
        why = f"cannot rewrite the entry of {package} in {', '.join(behind)}: take {version} by hand"
    elif ctx.redact(diff) != diff:
        why, diff = "the diff holds a secret's value: not proposed", ""
    change = action.params["change"]
    rec = ctx.store.save_change_proposal(
        change,
        action.product,
        kind=UPDATE,
        selector=action.params.get("selector", action.product),
        message=action.params.get("message", ""),
        command=[],
        author=AUTHOR,
        diff=diff,
        files=files,
        lines=lines,
        base_commit=head,
        branch=branch_name(change, action.product),
        status=str(ChangeStatus.RED if why else ChangeStatus.PROPOSED),
        reason=why,
        takes=update,
    )
    data = {"change": change, "selector": rec.selector, "kind": UPDATE, "files": files, "lines": lines}
    ctx.store.audit("change.recorded", AUTHOR, data | {"update": update}, product=action.product)
    if why:
        return ActionResult(Outcome.FAILED, f"change {change}: {why}", _outputs(rec))
    _supersede(action, ctx, change, package)
    return rec


def _supersede(action: Action, ctx: ActContext, change: str, package: str) -> None:
    """Drop the product's open updates of ``package`` older than ``change`` (their branches deleted, a
    pull request closed): a newer version replaces them, and two would conflict."""
    older = [
        r
        for r in ctx.store.change_proposals(product=action.product, statuses=OPEN, kind=UPDATE)
        if r.change != change and (r.takes or {}).get("package") == package
    ]
    for r in older:
        if pulls.pull_requests(ctx.desired, action.product):
            pulls.close(ctx, action.product, r.branch)
        delete_branch(ctx, action.product, r.branch)
        why = f"superseded by {change}"
        _save(ctx, action, r, "change.dropped", status=str(ChangeStatus.DROPPED), reason=why)


def propose_change(action: Action, ctx: ActContext) -> ActionResult:
    """change.propose: commit the proposal on its branch, push it, build it (see the module docstring);
    a dependency update the planner proposed is recorded first (``_record_update``)."""
    rec = _record(ctx, action)
    if rec is None and action.params.get("kind") == UPDATE and "update" in action.params:
        made = _record_update(action, ctx)
        if isinstance(made, ActionResult):
            return made
        rec = made
    if rec is None:
        return ActionResult(Outcome.FAILED, f"no proposal of change {action.params['change']} on record")
    if rec.status not in (ChangeStatus.PROPOSED, ChangeStatus.BUILDING):
        return ActionResult(Outcome.NOOP, f"change {rec.change} is already {rec.status}", _outputs(rec))
    if rec.commit is None:
        url = ctx.desired.repo_location(action.product)
        try:
            with repo_lock(ctx.mirror(action.product)) as mirror:
                sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
            subject = (rec.message or f"chore: change {rec.change}").splitlines()[0][:100]
            body = f"Change: {rec.change}\nChange-Selector: {rec.selector}\nChange-Author: {rec.author}"
            date = rec.created_at.isoformat(timespec="seconds")
            commit = commit_on_branch(
                ctx,
                action.product,
                rec.base_commit,
                rec.diff,
                rec.files or [],
                subject,
                body,
                date,
                rec.branch,
            )
        except GitError as exc:
            why = f"git: {ctx.redact(exc.stderr)}"
            _save(ctx, action, rec, "change.red", status=str(ChangeStatus.RED), reason=why[:500])
            return ActionResult(Outcome.FAILED, f"change {rec.change} cannot be committed: {why}")
        rec = _save(ctx, action, rec, "change.proposed", commit=commit, status=str(ChangeStatus.BUILDING))
    assert rec.commit is not None
    in_pull = pulls.pull_requests(ctx.desired, action.product)
    if in_pull:
        body = _pull_body(rec, "running")
        opened = pulls.propose(ctx, action.product, rec.branch, _title(rec), body, rec.commit)
        if isinstance(opened, ActionResult):
            return opened  # the forge cannot be used: the proposal stays building and is resumed
    done = None
    if ctx.desired.ci_kind(action.product) is CIKind.LOCAL:  # built before an interruption: no rebuild
        row = ctx.store.build_result(action.product, rec.commit)
        done = (BuildStatus(row.status), row.log, "exited non-zero") if row is not None else None
    if done is None:
        run = build_commit(action, ctx, rec.commit)
        if isinstance(run, ActionResult):
            return run  # the CI is unreachable: the proposal stays building and is resumed
        done = (run.status, run.log, run.why)
    status, log, why = done
    if status is not BuildStatus.SUCCESS and rec.kind == UPDATE:
        healed = _heal_update(action, ctx, rec, log)
        if isinstance(healed, ActionResult):
            return healed  # the CI is unreachable: the proposal stays building and is resumed
        if healed is not None:
            rec, status, log, why = healed
    built = f"--- build of {rec.commit[:12]} on {rec.branch} ---"
    shown = f"--- change {rec.change} ---\n{rec.diff[:DIFF_SHOWN]}\n{built}\n{log}"
    if status is BuildStatus.SUCCESS:
        if in_pull:
            body = _pull_body(rec, "green")
            opened = pulls.propose(ctx, action.product, rec.branch, _title(rec), body, rec.commit)
            if isinstance(opened, ActionResult):
                return opened
        kept = rec.reason if rec.reason.startswith("healed by") else ""  # the heal stays said
        rec = _save(ctx, action, rec, "change.green", status=str(ChangeStatus.GREEN), reason=kept)
        message = f"change {rec.change} is green on {rec.branch}: change.merge is next"
        return ActionResult(Outcome.SUCCEEDED, message, _outputs(rec), shown)
    if in_pull and (problem := pulls.close(ctx, action.product, rec.branch)) is not None:
        message = f"change {rec.change} is red; closing its pull request failed: {problem}"
        return ActionResult(Outcome.FAILED, message, transient=True)
    if (problem := delete_branch(ctx, action.product, rec.branch)) is not None:
        return ActionResult(
            Outcome.FAILED,
            f"change {rec.change} is red; deleting {rec.branch} failed: {problem}",
            transient=True,
        )
    rec = _save(ctx, action, rec, "change.red", status=str(ChangeStatus.RED), reason=why[:500])
    message = (
        f"change {rec.change} is red on its branch ({why}); {rec.branch} deleted, "
        "the product's branch untouched"
    )
    return ActionResult(Outcome.FAILED, message, _outputs(rec), shown)


def _heal_update(
    action: Action, ctx: ActContext, rec: ChangeProposalRecord, log: str
) -> tuple[ChangeProposalRecord, BuildStatus, str, str] | ActionResult | None:
    """A red dependency update healed on its own branch, when the product heals with templates
    (``spec.build.heal``): the best fitting fix template of the fleet (the heal pillar's ranking) that
    makes a valid patch on the update commit is committed on top of it (``Heal-Attempt:`` trailer, fixed
    dates) and built with the product's CI; its record counts the result. Returns the proposal with the
    build's (status, log, why), None when no template applies (the update stays red)."""
    product = ctx.desired.products[action.product]
    heal = product.spec.build.heal if product.spec.build is not None else None
    if heal is None or HealStrategy.TEMPLATE not in heal.strategies or rec.commit is None:
        return None
    summaries = [s.summary for s in failure_summaries(ctx.store, action.product, rec.commit)]
    fits = fitting_templates(ctx.store.templates(), summaries)
    if not fits:
        return None
    with Mirror(ctx.mirror(action.product)) as repo:
        files = repo.text_files(rec.commit, product.spec.source.path)
    hints = [loc.path for loc in locations(log, files)]
    for fit in fits[: heal.max_attempts]:
        patch = instantiate_fitting(fit.template, summaries, files, hints)
        if patch is None or check_patch(patch.diff, allowed=heal.paths, max_lines=heal.max_lines):
            continue
        subject = f"fix(deps): adapt to {rec.change} with fix template {fit.record.id}"[:100]
        body = f"Heal-Attempt: {rec.change}\nFix-Template: {fit.record.id}"
        date = rec.created_at.isoformat(timespec="seconds")
        try:
            commit = commit_on_branch(
                ctx, action.product, rec.commit, patch.diff, patch.files, subject, body, date, rec.branch
            )
        except GitError:
            continue  # does not apply on the update commit after all: the next template
        run = build_commit(action, ctx, commit)
        if isinstance(run, ActionResult):
            return run
        ok = run.status is BuildStatus.SUCCESS
        ctx.store.template_result(fit.record.id, ok=ok)
        tried = f"--- fix template {fit.record.id} ({fit.record.description}) on {commit[:12]} ---"
        log = f"{log}\n{tried}\n{run.log}"
        if not ok:
            return rec, run.status, log, f"{run.why} (after fix template {fit.record.id})"
        rec = _save(
            ctx,
            action,
            rec,
            "change.healed",
            commit=commit,
            diff=rec.diff + ctx.redact(patch.diff),
            files=sorted({*(rec.files or []), *patch.files}),
            lines=rec.lines + patch.lines,
            reason=f"healed by fix template {fit.record.id}",
            takes={**(rec.takes or {}), "healed_by": fit.record.id},  # CEL: action.params.update.healed_by
        )
        return rec, run.status, log, ""
    return None


def _title(rec: ChangeProposalRecord) -> str:
    return (rec.message or f"chore: change {rec.change}").splitlines()[0][:100]


def _pull_body(rec: ChangeProposalRecord, proof: str) -> str:
    """The pull request's body: who proposed the change to which products, its proof build, the diff."""
    return "\n".join(
        [
            f"Code Monkeys proposes change `{rec.change}` to **{rec.product}**.",
            "",
            f"- **Proposed by:** {rec.author or 'someone'} for the products `{rec.selector}`",
            f"- **Proof:** the product's own build of `{(rec.commit or '')[:12]}` on `{rec.branch}`: {proof}",
            f"- **Diff:** {rec.lines} line(s) in {', '.join(rec.files or []) or 'no file'}",
            "",
            "```diff",
            rec.diff[:DIFF_SHOWN],
            "```",
        ]
    )


def merge_change(action: Action, ctx: ActContext) -> ActionResult:
    """change.merge: land the proven change on the product's branch (see the module docstring)."""
    rec = _record(ctx, action)
    if rec is None or rec.commit is None:
        return ActionResult(Outcome.FAILED, f"no proven change {action.params['change']} on record")
    if rec.status == ChangeStatus.MERGED:
        return ActionResult(Outcome.NOOP, f"change {rec.change} already merged", _outputs(rec))
    if rec.status == ChangeStatus.DROPPED:  # withdrawn, or superseded by a newer update, since the plan
        return ActionResult(Outcome.NOOP, f"change {rec.change} was dropped: {rec.reason}", _outputs(rec))
    if rec.status != ChangeStatus.GREEN:
        return ActionResult(Outcome.FAILED, f"change {rec.change} is {rec.status}, not green: not merged")
    if action.params.get("kind") == UPDATE and action.params.get("commit") is None:  # gated before the record
        said = ""
        if pulls.pull_requests(ctx.desired, action.product):
            said = "its pull request merges in a later round, once the forge saw it"
        elif sorted(rec.files or []) != sorted(action.params.get("files", [])):
            said = f"it changes {', '.join(rec.files or [])} now ({rec.reason}): merged once gated so"
        if said:
            return ActionResult(Outcome.NOOP, f"change {rec.change}: {said}", _outputs(rec))
    if pulls.pull_requests(ctx.desired, action.product):
        return _merge_pull(action, ctx, rec)
    product = ctx.desired.products[action.product]
    branch, url = product.spec.source.branch, ctx.desired.repo_location(action.product)
    clash: list[str] = []
    with repo_lock(ctx.mirror(action.product)) as mirror:
        try:
            sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
            with Mirror(mirror) as repo:
                head = repo.branch_head(branch)
                landed = head
                if not repo.is_ancestor(rec.commit, head):
                    clash = repo.conflicts(head, rec.commit)  # checked before anything is written
                    if not clash:
                        subject = f"Merge change {rec.change}: {(rec.message or rec.branch).splitlines()[0]}"
                        landed = land(
                            ctx, repo, rec.commit, rec.base_commit, head, "fast-forward", branch, url, subject
                        )
                if not clash:
                    repo.delete_branch_at_source(rec.branch)
        except GitError as exc:
            why = f"merging {rec.branch} failed: {ctx.redact(exc.stderr)}"
            ctx.store.save_change_proposal(rec.change, rec.product, reason=why[:500])
            return ActionResult(Outcome.FAILED, why)
    if clash:
        shown = ", ".join(clash[:20]) + (f" and {len(clash) - 20} more" if len(clash) > 20 else "")
        why = f"{branch} moved to {head[:12]} and conflicts with the change in {shown}"
        rec = _save(ctx, action, rec, "change.conflict", status=str(ChangeStatus.CONFLICT), reason=why[:500])
        message = f"change {rec.change} no longer merges: {why}; drop it or propose it again"
        return ActionResult(Outcome.FAILED, message, _outputs(rec))
    rec = _save(ctx, action, rec, "change.merged", status=str(ChangeStatus.MERGED))
    message = f"change {rec.change} merged: {branch} is at {landed[:12]}, {rec.branch} deleted"
    return ActionResult(Outcome.SUCCEEDED, message, _outputs(rec) | {"head": landed}, rec.diff[:DIFF_SHOWN])


def _merge_pull(action: Action, ctx: ActContext, rec: ChangeProposalRecord) -> ActionResult:
    """change.merge in pull-request mode: the forge merges the change's pull request at the proven commit
    (or a person merged it, or closed it: then the proposal is dropped)."""
    assert rec.commit is not None
    title = f"Merge change {rec.change}: {_title(rec)}"[:100]
    if ctx.store.pull_of(action.product, rec.branch) is None:  # proven before pull-request mode
        body = _pull_body(rec, "green")
        return pulls.open_late(ctx, action.product, rec.branch, _title(rec), body, rec.commit, _outputs(rec))
    pulls.audit_reviews(ctx, action)
    settled = pulls.settle(ctx, action.product, rec.branch, rec.commit, title)
    if isinstance(settled, ActionResult):
        if not settled.transient:
            ctx.store.save_change_proposal(rec.change, rec.product, reason=settled.message[:500])
        return settled
    problem = delete_branch(ctx, action.product, rec.branch)  # the forge may have deleted it already
    gone = f"{rec.branch} deleted" if problem is None else f"{rec.branch} left: {problem}"
    if settled.state is pulls.PullState.CLOSED:
        why = f"pull request #{settled.number} was closed without merging"
        rec = _save(ctx, action, rec, "change.dropped", status=str(ChangeStatus.DROPPED), reason=why)
        return ActionResult(Outcome.NOOP, f"change {rec.change}: {why}; {gone}", _outputs(rec))
    url = ctx.desired.repo_location(action.product)
    with suppress(GitError), repo_lock(ctx.mirror(action.product)) as mirror:  # the mirror follows
        sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
    landed = settled.commit or rec.commit
    rec = _save(ctx, action, rec, "change.merged", status=str(ChangeStatus.MERGED))
    message = f"change {rec.change} merged: pull request #{settled.number} at {landed[:12]}, {gone}"
    return ActionResult(Outcome.SUCCEEDED, message, _outputs(rec) | {"head": landed}, rec.diff[:DIFF_SHOWN])
