"""build.run on the local CI runner: run ``build.command`` in a clean worktree of the commit.

Idempotent: a result already recorded for the commit is a noop. A failure leaves a recorded red
result (which the planner shows as a failed build facet) and the log in the journal; the worktree is
removed either way.
"""

from __future__ import annotations

from codemonkeys.act.base import ActContext, ActionResult, Outcome, run_command, telling_line
from codemonkeys.ci import local
from codemonkeys.swarm.knowledge import learn_from_failure
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.facts import BuildStatus
from codemonkeys.vocab.plan import Action


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
    build = product.spec.build
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
    outputs = {"status": str(status), "commit": commit, "duration": round(result.duration, 3)}
    if result.returncode == 0:
        return ActionResult(
            Outcome.SUCCEEDED, f"build of {commit[:12]} passed in {result.duration:.1f}s", outputs, log
        )
    lesson = learn_from_failure(ctx.store, action.product, commit, CIKind.LOCAL, log)
    outputs["signatures"] = lesson.outputs()
    why = "timed out" if result.returncode is None else f"exited {result.returncode}"
    why += f": {lesson.summary()}" if lesson.signatures else f": {telling_line(result.output)}"
    return ActionResult(
        Outcome.FAILED, f"build of {commit[:12]} failed: {' '.join(build.command)} {why}", outputs, log
    )
