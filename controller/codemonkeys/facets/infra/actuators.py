"""infra.apply: apply the saved Terraform plan the observation made, never a fresh one.

In a clean worktree of the planned commit, with the init cache of that configuration, ``terraform apply
PLANFILE`` runs exactly what the plan showed (and the constitution allowed). Idempotent: a plan already
recorded as applied is a noop. Terraform refuses a plan whose state changed since it was made (stale):
then nothing is applied, the plan file is dropped and the next reconcile observes again. A failure
leaves what Terraform did before it (state saved by Terraform, locks released by Terraform; a lock held
by another run is reported as such) and the redacted log in the journal. The state file is never
printed; outputs are recorded in the store with sensitive values redacted.
"""

from __future__ import annotations

from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.terraform.parse import first_diagnostic, is_lock_error, is_stale_plan
from codemonkeys.terraform.product import plan_path, terraform_env, workdir
from codemonkeys.vocab.plan import Action


def apply_infra(action: Action, ctx: ActContext) -> ActionResult:
    """infra.apply (see the module docstring for what a failure leaves)."""
    product = ctx.desired.products[action.product]
    assert product.spec.infra is not None
    tf = product.spec.infra.terraform
    commit, plan = action.params["commit"], action.params["plan"]
    workspace = action.params.get("workspace", tf.workspace)
    done = ctx.store.infra_applied(action.product, workspace)
    if done is not None and done.plan == plan:
        return ActionResult(Outcome.NOOP, f"plan {plan} of {commit[:12]} already applied", {"commit": commit})
    state_dir = ctx.desired.state_dir.resolve()
    planfile = plan_path(state_dir, action.product, plan)
    if not planfile.exists():
        return ActionResult(
            Outcome.FAILED,
            f"the saved plan {plan} is gone (a newer observation replaced it): nothing applied; "
            "the next reconcile plans again",
            {"commit": commit, "stale": True},
        )
    env, missing = terraform_env(
        ctx.tool_env(), tf, state_dir / "infra" / action.product, ctx.context.secrets.at(ctx.desired.root)
    )
    if missing:
        return ActionResult(Outcome.FAILED, f"nothing applied: {missing[0]}", {"commit": commit})
    with ctx.checkout(action.product, commit) as checkout:
        wd = workdir(product, action.product, checkout.root, state_dir, env, state_dir / "infra")
        init = wd.init()
        if init is not None and init.code != 0:
            message = f"terraform init of {commit[:12]} failed: {first_diagnostic(init.text)}"
            return ActionResult(
                Outcome.FAILED, ctx.redact(message), {"commit": commit}, ctx.redact(init.text)
            )
        result = wd.apply(planfile, ctx.output(action, f"$ terraform apply {planfile.name}\n"))
        log = ctx.redact(f"$ terraform apply {planfile.name}\n{result.text}")
        if result.code == 0:
            outputs = ctx.redact.data(wd.outputs())
    return _result(action, ctx, result.code, result.text, log, outputs if result.code == 0 else {})


def _result(
    action: Action, ctx: ActContext, code: int | None, text: str, log: str, outputs: dict
) -> ActionResult:
    """The outcome of ``terraform apply``: record a success, explain a failure."""
    p = action.params
    commit, plan = p["commit"], p["plan"]
    planfile = plan_path(ctx.desired.state_dir.resolve(), action.product, plan)
    counts = {k: p.get(k, 0) for k in ("adds", "changes", "destroys", "replaces")}
    if code == 0:
        ctx.store.record_infra_apply(action.product, commit, p.get("workspace", "default"), plan, outputs)
        planfile.unlink(missing_ok=True)
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "outputs"
        return ActionResult(
            Outcome.SUCCEEDED,
            f"applied the terraform plan of {commit[:12]}: {summary}",
            {"commit": commit, "plan": plan, **counts, "outputs": outputs},
            log,
        )
    if is_stale_plan(text):
        planfile.unlink(missing_ok=True)
        message = (
            f"the saved plan of {commit[:12]} is stale (the state changed since it was observed): "
            "nothing applied; the next reconcile plans again"
        )
        return ActionResult(Outcome.FAILED, message, {"commit": commit, "stale": True}, log)
    if is_lock_error(text):
        message = (
            f"the Terraform state of {action.product} is locked by another run: {first_diagnostic(text)}"
        )
        return ActionResult(Outcome.FAILED, ctx.redact(message), {"commit": commit}, log, transient=True)
    why = "timed out" if code is None else f"exited {code}"
    message = f"terraform apply of {commit[:12]} {why}: {first_diagnostic(text)}"
    return ActionResult(Outcome.FAILED, ctx.redact(message), {"commit": commit}, log)
