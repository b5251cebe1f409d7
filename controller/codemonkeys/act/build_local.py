"""build.run on the local CI runner: run ``build.command`` in a clean worktree of the commit.

Idempotent: a result already recorded for the commit is a noop. A failure leaves a recorded red
result (which the planner shows as a failed build facet) and the log in the journal; the worktree is
removed either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from codemonkeys.act.base import ActContext, ActionResult, Outcome, run_command, telling_line
from codemonkeys.act.heal import after_green_build
from codemonkeys.ci import local
from codemonkeys.swarm.knowledge import learn_from_failure
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


def run_local_build(action: Action, ctx: ActContext, commit: str) -> LocalBuild:
    """Run ``build.command`` of the action's product in a clean worktree of ``commit`` and record the
    result (a red one with its failure signatures); the output streams into the action's journal."""
    build = ctx.desired.products[action.product].spec.build
    assert build is not None and build.command
    with ctx.checkout(action.product, commit) as checkout:
        result = run_command(
            build.command,
            checkout.product_dir,
            build.timeout,
            ctx.tool_env(),
            on_output=ctx.output(action, f"$ {' '.join(build.command)}\n"),
        )
    log = ctx.redact(f"$ {' '.join(build.command)}\n{result.output}")
    status = BuildStatus.SUCCESS if result.returncode == 0 else BuildStatus.FAILURE
    local.record(ctx.store, action.product, commit, status, result.duration, log)
    if status is BuildStatus.SUCCESS:
        return LocalBuild(status, result.duration, log, "")
    lesson = learn_from_failure(ctx.store, action.product, commit, CIKind.LOCAL, log)
    why = "timed out" if result.returncode is None else f"exited {result.returncode}"
    why += f": {lesson.summary()}" if lesson.signatures else f": {telling_line(result.output)}"
    return LocalBuild(status, result.duration, log, why, tuple(lesson.outputs()))


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
    outputs = {"status": str(run.status), "commit": commit, "duration": round(run.duration, 3)}
    command = " ".join(product.spec.build.command or []) if product.spec.build else ""
    if run.status is BuildStatus.SUCCESS:
        learned = after_green_build(action, ctx, commit)
        message = f"build of {commit[:12]} passed in {run.duration:.1f}s" + (
            f"; {learned}" if learned else ""
        )
        return ActionResult(Outcome.SUCCEEDED, message, outputs, run.log)
    outputs["signatures"] = list(run.signatures)
    return ActionResult(
        Outcome.FAILED, f"build of {commit[:12]} failed: {command} {run.why}", outputs, run.log
    )
