"""The constitution governing a real demo workspace: denies, holds and approvals (and their lapse),
budgets counted from the real journal, audit duties, fail-closed loading, explain, policy tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import LITE_PRODUCTS, ROOT, cmctl
from test_e2e_engine import db, plan_json

pytestmark = pytest.mark.slow


def add_rules(ws: Workspace, text: str, message: str = "constitution: new rules") -> None:
    path = ws.fleet / "constitution.yaml"
    path.write_text(path.read_text().rstrip("\n") + "\n" + text)
    git(["commit", "-qam", message], ws.fleet)


def action(doc: dict, action_id: str) -> dict:
    return next(a for a in doc["actions"] if a["id"] == action_id)


def test_deny_blocks_a_release_and_the_plan_says_why(workspace: Workspace):
    add_rules(
        workspace,
        """\
    - id: globex-publishes-by-hand
      match: {actions: [release.publish], companies: [globex]}
      deny: {message: Globex releases are published by hand}
""",
    )
    doc = plan_json(workspace)
    denied = action(doc, "globex-hash/release.publish/local")["decision"]
    assert denied["verdict"] == "deny" and denied["rule"] == "globex-publishes-by-hand"
    assert denied["message"] == "Globex releases are published by hand"
    assert action(doc, "acme-text/release.publish/local")["decision"]["verdict"] == "allow"
    r = cmctl("plan", "--fleet", str(workspace.fleet))
    assert "deny (globex-publishes-by-hand): Globex releases are published by hand" in r.stdout
    assert "(2 denied)" in r.stdout

    r = cmctl("apply", "--fleet", str(workspace.fleet), "--auto-approve", "--product", "globex-hash")
    assert r.returncode == 0, r.stdout + r.stderr  # denied actions are not failures
    assert git(["tag", "--list", "v0.1.1"], workspace.repos / "globex-hash") == "v0.1.1"  # the cut ran
    assert not (workspace.registry / "crates").exists()  # the publish did not
    with db(workspace) as conn:
        row = conn.execute(
            "select status, verdict, rule, message from actions"
            " where action_id='globex-hash/release.publish/local'"
        )
        journaled = row.fetchone()
    assert journaled == (
        "blocked",
        "deny",
        "globex-publishes-by-hand",
        "Globex releases are published by hand",
    )

    explain = cmctl("policy", "explain", "globex-hash/release.publish/local", "--fleet", str(workspace.fleet))
    assert explain.returncode == 0
    assert "deny globex-publishes-by-hand" in explain.stdout
    assert "pass allow-pipeline" in explain.stdout


def test_hold_waits_for_approval_then_apply_runs_it_and_approval_lapses(workspace: Workspace):
    fleet = str(workspace.fleet)
    add_rules(
        workspace,
        """\
    - id: text-releases-need-owner
      match: {actions: [release.cut], products: [acme-text]}
      hold: {approvals: 1, approvers: [maintainers]}
""",
    )
    doc = plan_json(workspace)
    held = action(doc, "acme-text/release.cut")["decision"]
    assert held["verdict"] == "hold" and held["rule"] == "text-releases-need-owner"
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", "--product", "acme-text")
    assert r.returncode == 0
    assert git(["tag", "--list"], workspace.repos / "acme-text").split() == ["v0.1.0"]  # held: not run

    r = cmctl("approve", "acme-text/release.cut", "--as", "mallory", "--fleet", fleet)
    assert r.returncode == 1 and "may not approve" in r.stderr
    r = cmctl(
        "reject", "acme-text/release.cut", "--as", "owner", "--comment", "not yet", "--json", "--fleet", fleet
    )
    assert r.returncode == 0, r.stderr
    said = json.loads(r.stdout)  # a rejection leaves it held
    assert (said["verdict"], said["rule"], said["rejected_by"]) == (
        "hold",
        "text-releases-need-owner",
        "owner",
    )
    r = cmctl("approve", "acme-text/release.cut", "--as", "owner", "--comment", "ship it", "--fleet", fleet)
    assert r.returncode == 0, r.stderr
    assert "now allowed" in r.stdout
    assert action(plan_json(workspace), "acme-text/release.cut")["decision"]["verdict"] == "allow"

    # an unrelated fleet commit (a note, another product's file) keeps the approval
    (workspace.fleet / "README.md").write_text("notes\n")
    other = workspace.fleet / "products" / "globex" / "globex-hash.yaml"
    other.write_text(
        other.read_text().replace("name: globex-hash", "name: globex-hash\n  annotations: {n: '1'}")
    )
    git(["add", "README.md", str(other)], workspace.fleet)
    git(["commit", "-qm", "docs: notes"], workspace.fleet)
    assert action(plan_json(workspace), "acme-text/release.cut")["decision"]["verdict"] == "allow"
    # a change to the product's own document lapses it, and the plan says why
    own = workspace.fleet / "products" / "acme" / "acme-text.yaml"
    own.write_text(own.read_text().replace("name: acme-text", "name: acme-text\n  annotations: {n: '1'}"))
    git(["commit", "-qam", "acme-text: annotate"], workspace.fleet)
    lapsed = action(plan_json(workspace), "acme-text/release.cut")["decision"]
    assert lapsed["verdict"] == "hold" and "approval by owner lapsed: acme-text changed" in lapsed["message"]
    assert cmctl("approve", "acme-text/release.cut", "--as", "owner", "--fleet", fleet).returncode == 0

    r = cmctl("apply", "--fleet", fleet, "--auto-approve", "--product", "acme-text")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "v0.2.0" in git(["tag", "--list"], workspace.repos / "acme-text").split()
    audit = json.loads(cmctl("audit", "--json", "--limit", "0", "--fleet", fleet).stdout)
    approvals = [a for a in audit if a["event"] == "approval.given"]
    assert [a["actor"] for a in approvals] == ["owner", "owner"]
    [rejected] = [a for a in audit if a["event"] == "approval.rejected"]
    assert (rejected["actor"], rejected["data"]["comment"]) == ("owner", "not yet")
    assert approvals[0]["data"]["comment"] == "ship it"


def test_budget_is_counted_from_the_journal(workspace: Workspace):
    fleet = str(workspace.fleet)
    assert cmctl("apply", "--fleet", fleet, "--auto-approve", "--product", "globex-hash").returncode == 0
    path = workspace.fleet / "constitution.yaml"
    path.write_text(
        path.read_text().replace(
            "limit: {count: 50, per: 1h, scope: fleet}", "limit: {count: 1, per: 1h, scope: fleet}"
        )
    )
    git(["commit", "-qam", "one publish per hour"], workspace.fleet)
    doc = plan_json(workspace)
    publish = action(doc, "globex-widgets/release.publish/local")["decision"]
    assert publish["verdict"] == "deny" and publish["rule"] == "publish-budget"
    assert "budget spent: 1 of 1 per 1h" in publish["message"]


def test_an_unprovable_audit_duty_fails_the_action(workspace: Workspace):
    add_rules(
        workspace,
        """\
    - id: docs-need-a-screenshot
      match: {actions: [docs.build], products: [acme-text]}
      audit: [screenshot]
""",
    )
    r = cmctl(
        "apply", "--fleet", str(workspace.fleet), "--auto-approve", "-p", "acme-text", "-p", "globex-hash"
    )
    assert r.returncode == 1
    assert "audit duty screenshot" in r.stderr
    with db(workspace) as conn:
        rows = dict(conn.execute("select action_id, status from actions"))
        outputs = conn.execute(
            "select outputs from actions where action_id='globex-hash/release.publish/local'"
        )
        proof = json.loads(outputs.fetchone()[0])["audit"]
    assert rows["acme-text/docs.build"] == "failed"
    assert rows["acme-text/build.run"] == "succeeded"
    assert rows["acme-text/release.cut"] == "skipped"
    assert rows["globex-hash/docs.build"] == "succeeded"
    assert set(proof) == {"log", "dry-run"}


def test_a_constitution_that_fails_to_load_stops_everything(workspace: Workspace):
    path = workspace.fleet / "constitution.yaml"
    path.write_text(path.read_text().replace("default: deny", "default: deny\n  bogus: 1"))
    r = cmctl("apply", "--fleet", str(workspace.fleet), "--auto-approve")
    assert r.returncode == 1
    assert "constitution.yaml:10:3: error: spec.bogus: unknown field 'bogus'" in r.stderr
    assert not (workspace.fleet / ".cmctl").exists()  # nothing observed, nothing changed


def test_decision_log_records_every_verdict(workspace: Workspace):
    add_rules(
        workspace,
        """\
    - id: globex-publishes-by-hand
      match: {actions: [release.publish], companies: [globex]}
      deny: {message: Globex releases are published by hand}
    - id: text-releases-need-owner
      match: {actions: [release.cut], products: [acme-text]}
      hold: {approvals: 1, approvers: [maintainers]}
""",
    )
    doc = plan_json(workspace)
    with db(workspace) as conn:
        rows = conn.execute(
            "select decision_id, action_id, verdict, constitution_revision, input_hash from decisions"
        )
        logged = {r[1]: r for r in rows}
    # the demo's plan (four actions per product) with one verdict of each kind beside the allowed ones
    kinds = ("build.run", "docs.build", "release.cut", "release.publish/local")
    verdicts = {f"{p}/{k}": "allow" for p in LITE_PRODUCTS for k in kinds}
    verdicts |= {f"{p}/release.publish/local": "deny" for p in ("globex-hash", "globex-widgets")}
    verdicts["acme-text/release.cut"] = "hold"
    assert {a["id"]: a["decision"]["verdict"] for a in doc["actions"]} == verdicts
    assert {action_id: row[2] for action_id, row in logged.items()} == verdicts
    for a in doc["actions"]:
        decision_id, _, verdict, revision, input_hash = logged[a["id"]]
        assert decision_id == a["decision"]["id"] and verdict == a["decision"]["verdict"]
        assert input_hash == a["decision"]["input_hash"] and len(input_hash) == 64
        assert revision == git(["log", "-1", "--format=%H", "--", "constitution.yaml"], workspace.fleet)


def test_shipped_policy_tests_pass_and_a_wrong_expectation_fails(tmp_path: Path):
    r = cmctl("policy", "test", str(ROOT / "constitution"))
    assert r.returncode == 0, r.stdout
    assert "FAIL" not in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"constitution: {ROOT / 'constitution' / 'default.yaml'}\n"
        "cases:\n  - name: wrong\n    action: deploy.run\n    product: x\n    expect: {verdict: allow}\n"
    )
    r = cmctl("policy", "test", str(bad))
    assert r.returncode == 1
    assert "FAIL" in r.stdout and "verdict: want 'allow', got 'deny'" in r.stdout
