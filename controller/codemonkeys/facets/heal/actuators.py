"""build.heal and heal.merge: a red build heals itself on a branch; the constitution decides the merge.

``build.heal`` makes one attempt (the plan names it: attempt ``n``, a fix template or the LLM):

1. the candidate patch: the fix template instantiated on the red commit's files (``swarm/templates``),
   or a unified diff from the local LLM through the ``ollama`` client (``heal/``: the normalized failure,
   the code it points at and its neighbours, the last human commits that touched them);
2. validated before anything runs: allowed paths, never CI config, lockfiles or secrets, the size
   limit, no credential-like strings (``heal.patches.check_patch``), and ``git apply --check``;
3. committed on ``heal/<product>/<short-signature>-<n>`` at the source (the product's branch is never
   touched) and built there with the product's own CI (local runner or Jenkins);
4. green: the attempt waits for ``heal.merge``; red: the branch is deleted, the template's record gets
   a failure, and the next plan tries the next candidate within ``maxAttempts``.

``heal.merge`` fast-forwards the product's branch to the proven commit (or makes a merge commit, per
product), pushes, deletes the heal branch, and teaches the swarm (a template gains a success, an LLM
patch becomes a template).

In pull-request mode (``spec.git.mode``, ``act/pulls.py``) the attempt's branch is also a pull request on
the product's forge, opened before the proof build (found by its branch first: a resumed attempt never
opens a second) and updated with the proof's result; a red attempt's pull request is closed with its
branch. ``heal.merge`` merges it through the forge's merge API at the proven head, or finds it merged by
a person (bookkeeping only) or closed without merging (the attempt is ``closed``: a person said no).

Crash-safe: the attempt is recorded (with its patch) before any side effect; the heal commit has fixed
dates, so a resumed attempt re-creates the very same commit and branch; a merge whose commit is already
on the branch only finishes the bookkeeping. Every attempt and merge is journaled and audited with its
patch, candidate and result (redacted).
"""

from __future__ import annotations

import threading
from contextlib import nullcontext, suppress

from codemonkeys.act import pulls
from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.act.branches import build_commit, commit_on_branch, delete_branch, land
from codemonkeys.facets.heal.candidates import Candidate, llm_candidate, template_candidate, validate
from codemonkeys.facets.heal.learn import HEAL_TRAILER, learn_from_fix, learn_from_heal
from codemonkeys.gitcred import helper_for
from codemonkeys.repos import GitError, Mirror, repo_lock, sync_mirror
from codemonkeys.store.db import HealAttemptRecord, utcnow
from codemonkeys.store.models import EndpointOutage
from codemonkeys.swarm.knowledge import failure_summaries
from codemonkeys.vocab.facts import BuildStatus, HealStatus
from codemonkeys.vocab.plan import Action

PATCH_SHOWN = 8000  # characters of a patch kept in outputs and audit records


def heal_build(action: Action, ctx: ActContext) -> ActionResult:
    """build.heal: one attempt, proven on its branch (see the module docstring)."""
    p, product = action.params, action.product
    rec = _attempt(ctx, product, p["commit"], p["attempt"])
    if rec is not None and rec.status not in (HealStatus.PROVING, ""):
        return ActionResult(
            Outcome.NOOP, f"heal #{rec.n} of {p['commit'][:12]} already {rec.status}", _outputs(rec)
        )
    moved = _sync(action, ctx)
    if moved:
        return ActionResult(Outcome.FAILED, moved)
    supersede_stale(ctx, product, p["commit"])
    if rec is None:
        # one question at a time per LLM endpoint in this process (a model server answers one at a time
        # anyway), so that the first to find it out spares the others the asking
        llm = p["strategy"] == "llm"
        with _asking(_endpoint(ctx)) if llm else nullcontext():
            if llm and (down := ctx.store.outage(_endpoint(ctx))) and down.retry_at > utcnow():
                return _waiting(action, down)  # found out since this plan: do not ask it
            candidate = make_candidate(action, ctx)
            if candidate.outage:
                return _outage(action, ctx, candidate)
            if candidate.llm_calls:
                ctx.store.endpoint_answered(_endpoint(ctx))
        rec = ctx.store.save_heal_attempt(
            product,
            p["commit"],
            p["attempt"],
            strategy=p["strategy"],
            template=p.get("template"),
            signature=p.get("signature") or "",
            summary=_summary(ctx, product, p["commit"]),
            branch=p["branch"],
            status=str(HealStatus.PROVING),
            patch=ctx.redact(candidate.diff),
            lines=candidate.lines,
            files=candidate.files,
            reason=candidate.reason,
            llm_calls=candidate.llm_calls,
        )
        if not candidate.diff:
            return _invalid(action, ctx, rec, candidate.reason)
    if not rec.patch:  # resumed after a crash between recording an attempt without a patch and its end
        return _invalid(action, ctx, rec, rec.reason or "no patch")
    if rec.heal_commit is None:
        made = _commit_and_push(action, ctx, rec)
        if isinstance(made, ActionResult):
            return made
        rec = made
    if pulls.pull_requests(ctx.desired, action.product):
        body = _pull_body(action, rec, "running")
        assert rec.heal_commit is not None
        opened = pulls.propose(ctx, action.product, rec.branch, _title(rec), body, rec.heal_commit)
        if isinstance(opened, ActionResult):
            return opened  # the forge cannot be used: the attempt stays proving and is resumed
    return _prove(action, ctx, rec)


def _title(rec: HealAttemptRecord) -> str:
    return f"fix: heal {rec.summary or 'the build'}"[:100]


def _pull_body(action: Action, rec: HealAttemptRecord, proof: str) -> str:
    """The pull request's body: why (the red commit, its failure and signature), what (the candidate and
    its record), the proof build's result, and the patch."""
    p = action.params
    if rec.template:
        record = f"{p.get('successes', 0)} success(es), {p.get('failures', 0)} failure(s)"
        what = f"fix template `{rec.template}` ({record})"
    else:
        what = f"a patch from the local LLM ({rec.llm_calls} call(s))"
    return "\n".join(
        [
            f"Code Monkeys heals the red build of **{rec.product}** at `{rec.commit[:12]}`.",
            "",
            f"- **Failure:** {rec.summary or 'unrecognized'} (signature `{rec.signature or 'none'}`)",
            f"- **Attempt:** #{rec.n} with {what}",
            f"- **Proof:** the product's own build of `{(rec.heal_commit or '')[:12]}` on `{rec.branch}`: "
            + proof,
            f"- **Patch:** {rec.lines} line(s) in {', '.join(rec.files or []) or 'no file'}",
            "",
            "```diff",
            rec.patch[:PATCH_SHOWN],
            "```",
            "",
            f"Merged through the forge once the constitution allows `{rec.product}/heal.merge` and the "
            "forge's own checks and reviews pass.",
        ]
    )


_ASKING: dict[str, threading.Lock] = {}
_ASKING_GUARD = threading.Lock()


def _asking(endpoint: str) -> threading.Lock:
    """The lock of one LLM endpoint in this process."""
    with _ASKING_GUARD:
        return _ASKING.setdefault(endpoint, threading.Lock())


def _endpoint(ctx: ActContext) -> str:
    """The LLM's endpoint as outages are recorded by (and shown)."""
    from codemonkeys.facets.heal.llm import llm_endpoint

    return llm_endpoint(ctx.desired, ctx.context.env)


def _waiting(action: Action, down: EndpointOutage) -> ActionResult:
    """The LLM's endpoint is out and its next try is ahead: nothing asked, nothing counted."""
    since, when = down.since.strftime("%H:%M:%S UTC"), down.retry_at.strftime("%H:%M:%S UTC")
    message = (
        f"LLM at {down.endpoint} unavailable since {since} ({down.error}); not asked, not counted as heal "
        f"attempt {action.params['attempt']}; next try after {when}"
    )
    return ActionResult(
        Outcome.FAILED, message, {"outage": down.endpoint, "retry_at": down.retry_at.isoformat()}
    )


def _outage(action: Action, ctx: ActContext, candidate: Candidate) -> ActionResult:
    """The LLM could not be used: no attempt is recorded (``maxAttempts`` untouched), and every product
    waits for the endpoint's next try (backing off) before asking again."""
    config = ctx.desired.fleet.spec.llm.ollama
    assert config is not None
    down = ctx.store.endpoint_failed(candidate.outage, candidate.reason, config.retry_after, config.retry_max)
    ctx.store.audit(
        "heal.llm.unavailable",
        "codemonkeys",
        {"endpoint": candidate.outage, "error": candidate.reason, "failures": down.failures},
        product=action.product,
        action_id=action.id,
    )
    when = down.retry_at.strftime("%H:%M:%S UTC")
    message = (
        f"LLM at {candidate.outage} unavailable since {down.since.strftime('%H:%M:%S UTC')} "
        f"({candidate.reason}); not counted as heal attempt {action.params['attempt']}; next try after {when}"
    )
    return ActionResult(
        Outcome.FAILED, message, {"outage": candidate.outage, "retry_at": down.retry_at.isoformat()}
    )


def _attempt(ctx: ActContext, product: str, commit: str, n: int) -> HealAttemptRecord | None:
    return next((a for a in ctx.store.heal_attempts(product, commit) if a.n == n), None)


def _summary(ctx: ActContext, product: str, commit: str) -> str:
    sigs = failure_summaries(ctx.store, product, commit)
    return f"{sigs[0].kind}: {sigs[0].summary}" if sigs else ""


def _sync(action: Action, ctx: ActContext) -> str:
    """Fetch the product's repo; a message when its branch moved since the plan (the heal is stale)."""
    product = ctx.desired.products[action.product]
    url = ctx.desired.repo_location(action.product)
    with repo_lock(ctx.mirror(action.product)) as mirror:
        try:
            sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
        except GitError as exc:
            return f"cannot fetch {url}: {ctx.redact(exc.stderr)}"
        with Mirror(mirror) as repo:
            head = repo.branch_head(product.spec.source.branch)
            if repo.moved_since(action.params["commit"], head, product.spec.source.path):
                branch = product.spec.source.branch
                return f"{branch} moved to {head[:12]} since the plan: this heal is superseded"
    return ""


def make_candidate(action: Action, ctx: ActContext) -> Candidate:
    """The attempt's patch: from its fix template or from the LLM, validated (``Candidate.reason`` says
    why there is none)."""

    product = ctx.desired.products[action.product]
    heal = product.spec.build.heal if product.spec.build else None
    assert heal is not None
    commit = action.params["commit"]
    with Mirror(ctx.mirror(action.product)) as repo:
        files = repo.text_files(commit, product.spec.source.path)
    log = (ctx.store.build_result(action.product, commit) or _NoLog).log
    if action.params["strategy"] == "template":
        candidate = template_candidate(action, ctx, files, log)
    else:
        candidate = llm_candidate(action, ctx, files, log)
    if candidate.diff:
        problems = validate(action, ctx, candidate.diff, heal)
        if problems:
            candidate.reason = "; ".join(problems)
            candidate.diff = ""
    return candidate


class _NoLog:
    log = ""


def _invalid(action: Action, ctx: ActContext, rec: HealAttemptRecord, reason: str) -> ActionResult:
    rec = ctx.store.save_heal_attempt(
        rec.product, rec.commit, rec.n, status=str(HealStatus.INVALID), reason=reason, finished_at=utcnow()
    )
    _audit(ctx, action, "heal.attempt.invalid", rec)
    what = f"{rec.strategy}{' ' + rec.template if rec.template else ''}"
    return ActionResult(Outcome.FAILED, f"heal #{rec.n} ({what}): no valid patch: {reason}", _outputs(rec))


def _commit_and_push(
    action: Action, ctx: ActContext, rec: HealAttemptRecord
) -> HealAttemptRecord | ActionResult:
    """Commit the attempt's patch on the red commit (fixed dates: the same commit on a resume) and push
    it to the attempt's branch."""
    subject = f"fix: heal {rec.summary or 'the build'}"[:100]
    body = "\n".join(
        [
            f"{HEAL_TRAILER} {rec.n}",
            f"Heal-Strategy: {rec.strategy}",
            *([f"Heal-Template: {rec.template}"] if rec.template else []),
            f"Heal-Signature: {rec.signature or 'unrecognized'}",
        ]
    )
    date = rec.started_at.isoformat(timespec="seconds")
    try:
        heal_commit = commit_on_branch(
            ctx, action.product, rec.commit, rec.patch, rec.files or [], subject, body, date, rec.branch
        )
    except GitError as exc:
        return _invalid(action, ctx, rec, f"git: {ctx.redact(exc.stderr)}")
    rec = ctx.store.save_heal_attempt(rec.product, rec.commit, rec.n, heal_commit=heal_commit)
    _audit(ctx, action, "heal.attempt.proposed", rec)
    return rec


def _prove(action: Action, ctx: ActContext, rec: HealAttemptRecord) -> ActionResult:
    """Build the heal commit with the product's CI; green waits for heal.merge, red deletes the branch."""
    assert rec.heal_commit is not None
    run = build_commit(action, ctx, rec.heal_commit)
    if isinstance(run, ActionResult):
        return run  # the CI is unreachable: the attempt stays proving and is resumed
    status, log, why = run.status, run.log, run.why
    what = f"heal #{rec.n} ({rec.strategy}{' ' + rec.template if rec.template else ''})"
    shown = f"--- patch ---\n{rec.patch}\n--- build of {rec.heal_commit[:12]} on {rec.branch} ---\n{log}"
    in_pull = pulls.pull_requests(ctx.desired, action.product)
    if status is BuildStatus.SUCCESS:
        if in_pull:
            body = _pull_body(action, rec, "green")
            opened = pulls.propose(ctx, action.product, rec.branch, _title(rec), body, rec.heal_commit)
            if isinstance(opened, ActionResult):
                return opened  # built green (kept by the local runner): the next run updates the body
        rec = ctx.store.save_heal_attempt(
            rec.product, rec.commit, rec.n, status=str(HealStatus.GREEN), finished_at=utcnow()
        )
        _audit(ctx, action, "heal.attempt.green", rec)
        message = f"{what} is green on {rec.branch}: heal.merge is next"
        return ActionResult(Outcome.SUCCEEDED, message, _outputs(rec), shown)
    if in_pull and (problem := pulls.close(ctx, action.product, rec.branch)) is not None:
        return ActionResult(
            Outcome.FAILED, f"{what} is red; closing its pull request failed: {problem}", transient=True
        )
    if (problem := delete_branch(ctx, action.product, rec.branch)) is not None:
        return ActionResult(
            Outcome.FAILED, f"{what} is red; deleting {rec.branch} failed: {problem}", transient=True
        )
    if rec.template:
        ctx.store.template_result(rec.template, ok=False)
    rec = ctx.store.save_heal_attempt(
        rec.product, rec.commit, rec.n, status=str(HealStatus.RED), reason=why[:500], finished_at=utcnow()
    )
    _audit(ctx, action, "heal.attempt.red", rec)
    message = f"{what} is red on its branch ({why}); {rec.branch} deleted, the product's branch untouched"
    return ActionResult(Outcome.FAILED, message, _outputs(rec), shown)


def _outputs(rec: HealAttemptRecord) -> dict:
    return {
        "attempt": rec.n,
        "strategy": rec.strategy,
        "template": rec.template,
        "branch": rec.branch,
        "heal_commit": rec.heal_commit,
        "status": rec.status,
        "lines": rec.lines,
        "files": list(rec.files or []),
        "reason": rec.reason,
        "llm_calls": rec.llm_calls,
        "patch": rec.patch[:PATCH_SHOWN],
    }


def _audit(ctx: ActContext, action: Action, event: str, rec: HealAttemptRecord) -> None:
    ctx.store.audit(
        event, "codemonkeys", ctx.redact.data(_outputs(rec)), product=action.product, action_id=action.id
    )


def supersede_stale(ctx: ActContext, product: str, current: str) -> int:
    """Heals of earlier red commits that never merged (green or still proving) are superseded by the
    newer commit ``current``: their branches are deleted. A heal already in ``current``'s history landed
    (its merge was interrupted) and is left for ``heal.merge`` to finish. Returns how many."""
    open_heals = [
        a
        for a in ctx.store.heal_attempts(product)
        if a.commit != current and a.status in (HealStatus.GREEN, HealStatus.PROVING)
    ]
    if not open_heals:
        return 0
    with repo_lock(ctx.mirror(product)) as mirror, Mirror(mirror) as repo:
        stale = [a for a in open_heals if not (a.heal_commit and repo.is_ancestor(a.heal_commit, current))]
        for a in stale:
            if a.branch:
                pulls.close(ctx, product, a.branch)  # best effort: deleting the branch closes it too
                repo.delete_branch_at_source(a.branch)
            ctx.store.save_heal_attempt(
                product,
                a.commit,
                a.n,
                status=str(HealStatus.SUPERSEDED),
                reason=f"superseded by {current[:12]}",
            )
    return len(stale)


def after_green_build(action: Action, ctx: ActContext, commit: str) -> str:
    """After a green build of the product's branch head: heal branches of older red commits are
    superseded, and a person's fix of a red build becomes a fix template. Returns what was learned."""
    if commit not in {a.heal_commit for a in ctx.store.heal_attempts(action.product)}:
        with suppress(GitError):  # a branch left behind is deleted by the next heal or green build
            supersede_stale(ctx, action.product, commit)
    return learn_from_fix(action, ctx, commit)


# --- heal.merge --------------------------------------------------------------------------------------


def merge_heal(action: Action, ctx: ActContext) -> ActionResult:
    """heal.merge: land the proven heal commit on the product's branch (see the module docstring)."""
    p, product = action.params, ctx.desired.products[action.product]
    rec = _attempt(ctx, action.product, p["commit"], p["attempt"])
    if rec is None or rec.heal_commit is None:
        return ActionResult(Outcome.FAILED, f"no proven heal #{p['attempt']} of {p['commit'][:12]} on record")
    if rec.status == HealStatus.MERGED:
        return ActionResult(Outcome.NOOP, f"heal #{rec.n} already merged", _outputs(rec))
    if pulls.pull_requests(ctx.desired, action.product):
        return _merge_pull(action, ctx, rec)
    branch, url = product.spec.source.branch, ctx.desired.repo_location(action.product)
    with repo_lock(ctx.mirror(action.product)) as mirror:
        try:
            sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
            with Mirror(mirror) as repo:
                head = repo.branch_head(branch)
                landed = head if repo.is_ancestor(rec.heal_commit, head) else None
                if landed is None:
                    if repo.moved_since(rec.commit, head, product.spec.source.path):
                        return ActionResult(
                            Outcome.FAILED,
                            f"{branch} moved to {head[:12]} since the heal was proven: superseded",
                        )
                    landed = _land(ctx, repo, rec, head, p.get("merge", "fast-forward"), branch, url)
                repo.delete_branch_at_source(rec.branch)
        except GitError as exc:
            return ActionResult(
                Outcome.FAILED, f"merging {rec.branch} failed: {ctx.redact(exc.stderr)}", transient=True
            )
    return _merged(action, ctx, rec, f"{branch} is at {landed[:12]}, {rec.branch} deleted", landed)


def _merge_pull(action: Action, ctx: ActContext, rec: HealAttemptRecord) -> ActionResult:
    """heal.merge in pull-request mode: the forge merges the attempt's pull request at the proven head
    (or a person already merged or closed it); the mirror follows, the branch is deleted."""
    assert rec.heal_commit is not None
    title = f"Merge heal #{rec.n}: {rec.summary or rec.branch}"[:100]
    if ctx.store.pull_of(action.product, rec.branch) is None:  # proven before pull-request mode
        body, outputs = _pull_body(action, rec, "green"), _outputs(rec)
        return pulls.open_late(ctx, action.product, rec.branch, _title(rec), body, rec.heal_commit, outputs)
    pulls.audit_reviews(ctx, action)
    settled = pulls.settle(ctx, action.product, rec.branch, rec.heal_commit, title)
    if isinstance(settled, ActionResult):
        return settled
    problem = delete_branch(ctx, action.product, rec.branch)  # the forge may have deleted it already
    gone = f"{rec.branch} deleted" if problem is None else f"{rec.branch} left: {problem}"
    if settled.state is pulls.PullState.CLOSED:
        rec = ctx.store.save_heal_attempt(
            rec.product,
            rec.commit,
            rec.n,
            status=str(HealStatus.CLOSED),
            reason=f"pull request #{settled.number} was closed without merging",
            finished_at=utcnow(),
        )
        _audit(ctx, action, "heal.attempt.closed", rec)
        message = f"heal #{rec.n}: pull request #{settled.number} was closed without merging; {gone}"
        return ActionResult(Outcome.NOOP, message, _outputs(rec))
    url = ctx.desired.repo_location(action.product)
    with suppress(GitError), repo_lock(ctx.mirror(action.product)) as mirror:  # the mirror follows
        sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
    landed = settled.commit or rec.heal_commit
    return _merged(
        action, ctx, rec, f"pull request #{settled.number} merged at {landed[:12]}, {gone}", landed
    )


def _merged(action: Action, ctx: ActContext, rec: HealAttemptRecord, how: str, landed: str) -> ActionResult:
    """The bookkeeping of a landed heal: its status, the swarm's lesson, the audit record."""
    assert rec.heal_commit is not None
    rec = ctx.store.save_heal_attempt(rec.product, rec.commit, rec.n, status=str(HealStatus.MERGED))
    if rec.template:
        ctx.store.template_result(rec.template, ok=True)
        learned = f"template {rec.template} gains a success"
    else:
        learned = (
            learn_from_heal(action, ctx, rec.commit, rec.heal_commit, rec.patch) or "no template learned"
        )
    _audit(ctx, action, "heal.merged", rec)
    message = f"heal #{rec.n} merged: {how}; {learned}"
    return ActionResult(Outcome.SUCCEEDED, message, _outputs(rec) | {"head": landed}, rec.patch)


def _land(
    ctx: ActContext, repo: Mirror, rec: HealAttemptRecord, head: str, how: str, branch: str, url: str
) -> str:
    """Push the heal to ``branch``: a fast-forward when the branch is still at the red commit, else (or
    when the product asks for it) a merge commit."""
    assert rec.heal_commit is not None
    subject = f"Merge heal #{rec.n}: {rec.summary or rec.branch}"
    return land(ctx, repo, rec.heal_commit, rec.commit, head, how, branch, url, subject)
