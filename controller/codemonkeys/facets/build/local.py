"""build.run on the local CI runner: run ``build.command`` in a clean worktree of the commit.

Idempotent: a result already recorded for the commit is a noop. A failure leaves a recorded red
result (which the planner shows as a failed build facet) and the log in the journal; the worktree is
removed either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from codemonkeys.act import run_hooks
from codemonkeys.act.base import ActContext, ActionResult, CommandResult, Outcome, telling_line
from codemonkeys.ci import local
from codemonkeys.swarm.knowledge import is_test_failure, learn_from_failure, record_flaky
from codemonkeys.swarm.signatures import extract_signatures
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.facts import BuildStatus
from codemonkeys.vocab.plan import Action


@dataclass(frozen=True)
class LocalBuild:
    """A finished local build: status, duration, the redacted log, how the command ended."""

    status: BuildStatus
    duration: float
    log: str
    why: str  # "" when it passed, else "exited 1" / "timed out" plus the telling line
    signatures: tuple[dict, ...] = ()  # of a red build, for the action's outputs
    flaky: bool = False  # red first, green on a re-run of the same commit


def run_local_build(action: Action, ctx: ActContext, commit: str) -> LocalBuild | ActionResult:
    """Run ``build.command`` of the action's product in a clean worktree of ``commit`` (in the sandbox)
    and record the result (a red one with its failure signatures); the output streams into the action's
    journal. A red build whose failures are all test failures is built again up to ``build.confirmRed``
    times: a pass on a re-run makes it green and its failures are recorded as flaky. A failed
    ``ActionResult``, nothing recorded, when the sandbox refuses to run it."""
    build = ctx.desired.products[action.product].spec.build
    assert build is not None and build.command
    header = f"$ {' '.join(build.command)}\n"
    result = _run(action, ctx, commit, header)
    if result.refused:
        return ActionResult(Outcome.FAILED, f"build of {commit[:12]} not run: {ctx.redact(result.refused)}")
    log, duration = ctx.redact(header + result.output), result.duration
    flaky: list = []
    for n in range(1, build.confirm_red + 1):
        signatures = extract_signatures(log) if result.returncode != 0 else []
        if not is_test_failure(signatures):
            break
        again = f"\n--- re-run {n} of {commit[:12]} to confirm the red build ---\n{header}"
        result = _run(action, ctx, commit, again)
        log, duration = log + ctx.redact(again + result.output), duration + result.duration
        if result.returncode == 0:
            flaky = signatures
    status = BuildStatus.SUCCESS if result.returncode == 0 else BuildStatus.FAILURE
    local.record(ctx.store, action.product, commit, status, duration, log)
    if flaky:
        record_flaky(ctx.store, action.product, commit, CIKind.LOCAL, flaky)
        why = f"flaky: passed on a re-run after {flaky[0].kind}: {flaky[0].summary}"
        return LocalBuild(status, duration, log, why, flaky=True)
    if status is BuildStatus.SUCCESS:
        return LocalBuild(status, duration, log, "")
    lesson = learn_from_failure(ctx.store, action.product, commit, CIKind.LOCAL, log)
    why = "timed out" if result.returncode is None else f"exited {result.returncode}"
    why += f": {lesson.summary()}" if lesson.signatures else f": {telling_line(result.output)}"
    return LocalBuild(status, duration, log, why, tuple(lesson.outputs()))


def _run(action: Action, ctx: ActContext, commit: str, header: str) -> CommandResult:
    build = ctx.desired.products[action.product].spec.build
    assert build is not None and build.command
    with ctx.checkout(action.product, commit) as checkout:
        return ctx.run_product(
            action.product,
            build.command,
            checkout.product_dir,
            build.timeout,
            on_output=ctx.output(action, header),
            writable=[checkout.root],
        )


def build_local(action: Action, ctx: ActContext) -> ActionResult:
    """build.run on the local runner (see the module docstring for what a failure leaves)."""
    product = ctx.desired.products[action.product]
    commit = action.params["commit"]
    done = local.result(ctx.store, action.product, commit)
    if done.status is not BuildStatus.NONE:
        return ActionResult(
            Outcome.NOOP,
            f"build of {commit[:12]} already recorded: {done.status}",
            {"status": str(done.status), "commit": commit},
        )
    run = run_local_build(action, ctx, commit)
    if isinstance(run, ActionResult):
        return run
    outputs = {"status": str(run.status), "commit": commit, "duration": round(run.duration, 3)}
    if run.flaky:
        outputs["flaky"] = True
    command = " ".join(product.spec.build.command or []) if product.spec.build else ""
    if run.status is BuildStatus.SUCCESS:
        learned = "; ".join(str(r) for r in run_hooks("build.green", action, ctx, commit) if r)
        message = f"build of {commit[:12]} passed in {run.duration:.1f}s"
        message += f" ({run.why})" if run.flaky else ""
        message += f"; {learned}" if learned else ""
        return ActionResult(Outcome.SUCCEEDED, message, outputs, run.log)
    outputs["signatures"] = list(run.signatures)
    return ActionResult(
        Outcome.FAILED, f"build of {commit[:12]} failed: {command} {run.why}", outputs, run.log
    )
