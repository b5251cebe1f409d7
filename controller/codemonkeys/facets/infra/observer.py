"""The infra facet's observer: a Terraform plan of the product's configuration at its HEAD.

Fetch: in a clean worktree of HEAD, ``terraform init`` (once per configuration hash, cached under the
fleet's state directory), ``terraform plan -detailed-exitcode -out=PLANFILE`` against the product's
state, ``terraform show -json PLANFILE``. Parse (pure, ``terraform.parse``): counts, addresses, drift,
outputs and a digest that names the saved plan; the ``infra.apply`` actuator applies that very file.
A failing command becomes an ``Unknown`` fact naming Terraform's first diagnostic (``file:line``).
The state itself is never read nor printed.
"""

from __future__ import annotations

import os
from typing import Any

from codemonkeys.kinds.models import Terraform
from codemonkeys.repos import GitError, Mirror
from codemonkeys.terraform.parse import first_diagnostic, summarize_plan
from codemonkeys.terraform.product import infra_dir, terraform_env, workdir
from codemonkeys.terraform.runner import Workdir
from codemonkeys.vocab.facts import GitFacts, InfraFacts, Unknown


def _redact(text: str, secrets: list[str]) -> str:
    for value in secrets:
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


def plan_infra(wd: Workdir, tf: Terraform, commit: str, secrets: list[str]) -> InfraFacts | Unknown:
    """Init (cached), plan to a saved file and summarize it; the plan file is kept under its digest."""
    if not wd.config_dir.is_dir():
        return Unknown(error=f"infra: no Terraform configuration at {tf.dir!r} in {commit[:12]}")
    init = wd.init()
    if init is not None and init.code != 0:
        return Unknown(error="infra: terraform init: " + _redact(first_diagnostic(init.text), secrets))
    plans = wd.infra_dir / "plans"
    scratch = plans / f"observing-{os.getpid()}-{id(wd)}.tfplan"
    result = wd.plan(scratch, tf.vars, tf.var_files)
    if result.code not in (0, 2):
        scratch.unlink(missing_ok=True)
        return Unknown(error="infra: terraform plan: " + _redact(first_diagnostic(result.text), secrets))
    try:
        doc = wd.show_json(scratch)
    except ValueError as exc:
        scratch.unlink(missing_ok=True)
        return Unknown(error="infra: terraform show: " + _redact(first_diagnostic(str(exc)), secrets))
    summary = summarize_plan(doc, commit)
    plan: str | None = None
    if result.code == 2:
        plan = summary.digest
        scratch.replace(plans / f"{plan}.tfplan")
    else:
        scratch.unlink(missing_ok=True)
    return InfraFacts(
        commit=commit,
        workspace=tf.workspace,
        adds=summary.adds,
        changes=summary.changes,
        destroys=summary.destroys,
        replaces=summary.replaces,
        addresses=list(summary.addresses),
        drift=list(summary.drift),
        outputs=_redact_data(summary.outputs, secrets),
        plan=plan,
    )


def _redact_data(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return _redact(value, secrets)
    if isinstance(value, dict):
        return {k: _redact_data(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_data(v, secrets) for v in value]
    return value


def observe_infra(run, name: str, git: GitFacts | Unknown) -> InfraFacts | Unknown:
    """The infra facts of ``name`` at its HEAD (an ``Unknown`` when git or Terraform fails)."""
    if isinstance(git, Unknown):
        return Unknown(error=git.error)
    product = run.desired.products[name]
    assert product.spec.infra is not None
    tf = product.spec.infra.terraform
    state_dir = run.state_dir.resolve()
    idir = infra_dir(state_dir, name)
    env, missing = terraform_env(
        dict(run.context.tool_env()), tf, idir, run.context.secrets.at(run.desired.root)
    )
    if missing:
        return Unknown(error=f"infra: {missing[0]}")
    secrets = [env[f"TF_VAR_{v}"] for v in tf.secret_vars]
    work = state_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    try:
        with Mirror(run.mirror(name)) as repo, repo.worktree(git.head, work) as tree:
            wd = workdir(product, name, tree.path, state_dir, env, state_dir / "infra")
            with run.lock(("infra", name)):
                facts = plan_infra(wd, tf, git.head, secrets)
    except (GitError, OSError) as exc:
        return Unknown(error=f"infra: {exc}")
    if isinstance(facts, Unknown):
        return facts
    applied = run.store.infra_applied(name, tf.workspace)
    return facts.model_copy(update={"applied_commit": applied.commit if applied else None})
