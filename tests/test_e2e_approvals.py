"""Approvals a person can trust (issue 28): an approval binds to what it approves (the product's
document, its dependencies' documents, its observed state, the action's params, the matching rules), not
to the spelling of the fleet path or to unrelated fleet commits; it lapses, with the reason shown, when
what it approved changes; the controller sees every fleet commit (edit, commit, pull) and acts on an
approval given from another process; "held" is a state; a failure retires once a later run succeeds."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import httpx

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from codemonkeys.vocab.plan import Verdict
from conftest import cmctl
from test_e2e_controller import log_events, start, wait_for
from test_e2e_engine import commit, db

HOLD_CUTS = """\
    - id: cuts-need-owner
      description: Releases wait for the owner
      match: {actions: [release.cut], products: [acme-text, acme-report, globex-hash]}
      hold: {approvals: 1, approvers: [maintainers]}
"""


def add_rules(ws: Workspace, text: str) -> None:
    path = ws.fleet / "constitution.yaml"
    path.write_text(path.read_text().rstrip("\n") + "\n" + text)
    git(["commit", "-qam", "constitution: hold the cuts"], ws.fleet)


def annotate(ws: Workspace, product: str, company: str, value: str, message: str) -> None:
    """Commit an annotation to ``product``'s document in the fleet repo (a one-line change)."""
    path = ws.fleet / "products" / company / f"{product}.yaml"
    text = path.read_text()
    if "  annotations:" not in text:
        text = text.replace(f"  name: {product}\n", f"  name: {product}\n  annotations:\n    note: '0'\n")
    lines = [f"    note: '{value}'" if line.startswith("    note: ") else line for line in text.splitlines()]
    path.write_text("\n".join(lines) + "\n")
    git(["commit", "-qam", message], ws.fleet)


def decision(root: Path | str, action_id: str):
    """The action's decision in a fresh plan of its product, the fleet opened as ``root`` is spelled."""
    fs = FleetSession.open(root, Context.from_environ())
    try:
        return fs.plan([action_id.split("/", 1)[0]]).action(action_id).decision
    finally:
        fs.store.engine.dispose()


def fingerprint(root: Path | str, action_id: str) -> tuple[str, str]:
    """The product's fingerprint and the one an approval of ``action_id`` binds to."""
    product = action_id.split("/", 1)[0]
    fs = FleetSession.open(root, Context.from_environ())
    try:
        plan = fs.plan([product])
        return plan.products[product].fingerprint, plan.action(action_id).decision.fingerprint
    finally:
        fs.store.engine.dispose()


def test_an_approval_binds_to_what_it_approves(workspace: Workspace, tmp_path: Path, monkeypatch):
    ws = workspace
    add_rules(ws, HOLD_CUTS)
    fleet = ws.fleet.resolve()
    link = tmp_path / "fleet-link"
    link.symlink_to(fleet)

    # one fingerprint whatever the spelling of the fleet path
    monkeypatch.chdir(fleet)
    spelled = {
        ".": fingerprint(".", "acme-text/release.cut"),
        "abs": fingerprint(fleet, "acme-text/release.cut"),
    }
    spelled["symlink"] = fingerprint(link, "acme-text/release.cut")
    monkeypatch.chdir(ws.repos)
    spelled["../fleet"] = fingerprint(Path("..") / fleet.name, "acme-text/release.cut")
    assert len(set(spelled.values())) == 1, spelled

    # approved with one spelling, allowed under every other
    monkeypatch.chdir(fleet)
    r = cmctl("approve", "acme-text/release.cut", "--as", "owner", "--json", "--fleet", ".", cwd=fleet)
    assert r.returncode == 0, r.stderr
    said = json.loads(r.stdout)
    assert said["fingerprint"] == spelled["."][1] and said["params"]["version"] == "0.2.0"
    assert said["verdict"] == "allow" and said["controller_will_act"] is None  # no controller runs
    for root in (fleet, link, Path("..") / fleet.name):
        monkeypatch.chdir(ws.repos if str(root).startswith("..") else fleet)
        assert decision(root, "acme-text/release.cut").verdict is Verdict.ALLOW, root
    monkeypatch.chdir(fleet)

    # twenty unrelated fleet commits (another product's document, a note) keep it
    for i in range(20):
        if i % 2:
            annotate(ws, "globex-hash", "globex", str(i), f"globex-hash: note {i}")
        else:
            (fleet / "NOTES.md").write_text(f"note {i}\n")
            git(["add", "NOTES.md"], fleet)
            git(["commit", "-qm", f"notes {i}"], fleet)
    assert decision(fleet, "acme-text/release.cut").verdict is Verdict.ALLOW

    # the product's own document lapses it, and the plan says why
    annotate(ws, "acme-text", "acme", "1", "acme-text: a note")
    held = decision(fleet, "acme-text/release.cut")
    assert held.verdict is Verdict.HOLD
    assert "approval by owner lapsed: acme-text changed since" in held.message

    # a dependency's document lapses an approval of its dependent
    assert (
        cmctl("approve", "acme-report/release.cut", "--as", "owner", "--fleet", ".", cwd=fleet).returncode
        == 0
    )
    assert decision(fleet, "acme-report/release.cut").verdict is Verdict.ALLOW
    annotate(ws, "acme-text", "acme", "2", "acme-text: another note")
    held = decision(fleet, "acme-report/release.cut")
    assert held.verdict is Verdict.HOLD and "approval by owner lapsed: acme-report changed" in held.message

    # a change to a rule that matches the action lapses it
    assert (
        cmctl("approve", "globex-hash/release.cut", "--as", "owner", "--fleet", ".", cwd=fleet).returncode
        == 0
    )
    assert decision(fleet, "globex-hash/release.cut").verdict is Verdict.ALLOW
    path = fleet / "constitution.yaml"
    path.write_text(path.read_text().replace("Releases wait for the owner", "Releases wait for the owner!"))
    git(["commit", "-qam", "constitution: reword"], fleet)
    held = decision(fleet, "globex-hash/release.cut")
    assert held.verdict is Verdict.HOLD
    assert "lapsed: the constitution rules that match the action changed" in held.message

    # a new version lapses it and names the version
    assert (
        cmctl("approve", "globex-hash/release.cut", "--as", "owner", "--fleet", ".", cwd=fleet).returncode
        == 0
    )
    commit(ws.repos / "globex-hash", {"src/extra.rs": "// extra\n"}, "feat: an extra module")
    held = decision(fleet, "globex-hash/release.cut")
    assert held.verdict is Verdict.HOLD and "release.cut now has" in held.message
    assert "version 0.2.0, not 0.1.1" in held.message

    # `cmctl approvals` lists what is held, for whom and what it would do
    listed = json.loads(cmctl("approvals", "--json", "--fleet", ".", cwd=fleet).stdout)
    rows = {row["action"]: row for row in listed}
    assert set(rows) == {"acme-text/release.cut", "acme-report/release.cut", "globex-hash/release.cut"}
    assert rows["globex-hash/release.cut"]["approvers"] == ["owner"]
    assert rows["globex-hash/release.cut"]["params"]["version"] == "0.2.0"
    # held is a state: status (text, JSON, --held)
    status = json.loads(cmctl("status", "--json", "--held", "--fleet", ".", cwd=fleet).stdout)
    assert set(status["products"]) == {"acme-text", "acme-report", "globex-hash"}
    assert "cuts-need-owner" in status["products"]["acme-text"]["held"]["release"]
    assert status["products"]["acme-text"]["facets"]["release"] == "held"


def test_an_approval_given_before_the_build_runs_stands_when_it_turns_green(workspace: Workspace):
    """The cut is held in the first plan, while the build and the docs before it have not run: approved
    then, it is bound to what the cut acts on (the product's documents, its git state and its release
    facts), not to the build's result, so the same apply builds, documents and cuts."""
    ws = workspace
    add_rules(ws, HOLD_CUTS)
    fleet = str(ws.fleet)
    assert decision(fleet, "acme-text/release.cut").verdict is Verdict.HOLD
    assert cmctl("approve", "acme-text/release.cut", "--as", "owner", "--fleet", fleet).returncode == 0
    r = cmctl("apply", "--auto-approve", "-p", "acme-text", "--fleet", fleet)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "v0.2.0" in git(["tag", "--list"], ws.repos / "acme-text").split()
    # a new commit to the product changes what the cut acts on: a new approval is needed
    commit(ws.repos / "acme-text", {"src/acme_text/more.py": '"""more."""\n'}, "feat: more")
    held = decision(fleet, "acme-text/release.cut")
    assert held.verdict is Verdict.HOLD and "version 0.3.0, not 0.2.0" in held.message


def controller_log_events(log: Path, event: str) -> list[dict]:
    return log_events(log.read_text(errors="replace"), event)


def test_the_controller_sees_every_fleet_commit_and_acts_on_an_approval(workspace: Workspace, tmp_path: Path):
    ws = workspace
    add_rules(ws, HOLD_CUTS)
    fleet = ws.fleet.resolve()
    log = tmp_path / "controller.log"
    proc, url = start(fleet, log, interval="600s")
    try:
        # edit -> reload at +dirty; commit -> reload at the commit; a pull that moves HEAD -> reload
        path = fleet / "products" / "globex" / "globex-hash.yaml"
        path.write_text(
            path.read_text().replace(
                "  name: globex-hash\n", "  name: globex-hash\n  annotations: {a: '1'}\n"
            )
        )
        wait_for(
            lambda: any(e["revision"].endswith("+dirty") for e in controller_log_events(log, "fleet.loaded")),
            30,
            proc,
            log,
        )
        git(["commit", "-qam", "globex-hash: annotate"], fleet)
        head = git(["rev-parse", "HEAD"], fleet)
        wait_for(lambda: controller_log_events(log, "fleet.loaded")[-1]["revision"] == head, 30, proc, log)

        other = tmp_path / "other-clone"
        git(["clone", "-q", str(fleet), str(other)], tmp_path)
        (other / "NOTES.md").write_text("pulled\n")
        git(["add", "NOTES.md"], other)
        git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "notes"], other)
        git(["pull", "-q", "--ff-only", str(other), "HEAD"], fleet)
        pulled = git(["rev-parse", "HEAD"], fleet)
        assert pulled != head
        wait_for(lambda: controller_log_events(log, "fleet.loaded")[-1]["revision"] == pulled, 30, proc, log)

        # as soon as the cut shows as held (its build may still run: the approval binds to what the cut
        # acts on, not to the build's result)
        def held() -> bool:
            row = next(p for p in httpx.get(f"{url}/api/products").json() if p["name"] == "acme-text")
            return row["facets"].get("release", {}).get("state") == "held"

        wait_for(held, 180, proc, log)

        # approved from another process with another spelling of the path: the controller acts on it
        r = cmctl("approve", "acme-text/release.cut", "--as", "owner", "--json", "--fleet", ".", cwd=fleet)
        assert r.returncode == 0, r.stderr
        said = json.loads(r.stdout)
        assert said["controller_will_act"] is True and str(proc.pid) in said["why"]
        wait_for(lambda: "v0.2.0" in git(["tag", "--list"], ws.repos / "acme-text").split(), 120, proc, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert not (fleet / ".cmctl" / "controller.json").exists()  # a clean stop removes its record


def test_a_failure_retires_once_a_later_run_succeeds(workspace: Workspace):
    ws = workspace
    fleet = str(ws.fleet)
    repo = ws.repos / "globex-widgets"
    commit(
        repo,
        {
            "test/broken.test.js": "import test from 'node:test';\nimport assert from 'node:assert';\n"
            "test('broken', () => assert.equal(1, 2));\n"
        },
        "feat: a feature with a failing test",
    )
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", "--product", "globex-widgets")
    assert r.returncode == 1
    status = json.loads(cmctl("status", "--json", "--fleet", fleet).stdout)["products"]["globex-widgets"]
    assert status["last_failure"]["action"] == "globex-widgets/build.run"

    os.remove(repo / "test" / "broken.test.js")
    git(["add", "-A"], repo)
    git(["commit", "-qm", "fix: drop the broken test"], repo)
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", "--product", "globex-widgets")
    assert r.returncode == 0, r.stdout + r.stderr
    status = json.loads(cmctl("status", "--json", "--fleet", fleet).stdout)["products"]["globex-widgets"]
    assert status["last_failure"] is None
    why = json.loads(cmctl("explain", "globex-widgets", "--json", "--fleet", fleet).stdout)
    assert not [o for o in why.get("obstacles", []) if o["kind"] == "last failure"]
    with db(ws) as conn:
        (failed_run,) = conn.execute("select min(run_id) from actions where status='failed'").fetchone()
    r = cmctl("logs", "globex-widgets/build.run", "--json", "--run", str(failed_run), "--fleet", fleet)
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "failed"  # kept as history
