"""build.run on the local CI runner: run ``build.command`` in a clean worktree of the commit.

Idempotent: a result already recorded for the commit is a noop. A failure leaves a recorded red
result (which the planner shows as a failed build facet) and the log in the journal; the worktree is
removed either way.
"""

from __future__ import annotations

from codemonkeys.act.base import ActContext, ActionResult, Outcome, run_command, worktree
from codemonkeys.swarm.knowledge import learn_from_failure
from codemonkeys.vocab.plan import Action


def build_local(action: Action, ctx: ActContext) -> ActionResult:
    product = ctx.desired.products[action.product]
    commit = action.params["commit"]
    done = ctx.store.build_result(action.product, commit)
    if done is not None:
        return ActionResult(
            Outcome.NOOP,
            f"build of {commit[:12]} already recorded: {done.status}",
            {"status": done.status, "commit": commit},
        )
    build = product.spec.build
    assert build is not None and build.command
    with worktree(ctx.mirror(action.product), commit, ctx.work_dir) as tree:
        cwd = tree / product.spec.source.path if product.spec.source.path else tree
        result = run_command(build.command, cwd, timeout=build.timeout)
    log = ctx.redact(f"$ {' '.join(build.command)}\n{result.output}")
    status = "success" if result.returncode == 0 else "failure"
    ctx.store.record_build(action.product, commit, status, result.duration, log)
    outputs = {"status": status, "commit": commit, "duration": round(result.duration, 3)}
    if result.returncode == 0:
        return ActionResult(
            Outcome.SUCCEEDED, f"build of {commit[:12]} passed in {result.duration:.1f}s", outputs, log
        )
    lesson = learn_from_failure(ctx.store, action.product, commit, "local", log)
    outputs["signatures"] = lesson.outputs()
    why = "timed out" if result.returncode is None else f"exited {result.returncode}"
    if lesson.signatures:
        why += f": {lesson.summary()}"
    return ActionResult(
        Outcome.FAILED, f"build of {commit[:12]} failed: {' '.join(build.command)} {why}", outputs, log
    )
