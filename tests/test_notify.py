"""Notifications: the events of an apply (a failed build, an action held by the constitution) reach the
subscribed webhook once per triggering state, signed, with no secret in them; unsubscribed products and
events send nothing; a failed delivery is retried by the next apply. Real HTTP receiver, real builds.
Cross-repo changes add change.merged and change.failed (the pure events of an apply)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from pathlib import Path

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.engine.journal import ActionOutcome, ApplyReport
from codemonkeys.engine.notify import events
from codemonkeys.repos import run as git
from codemonkeys.store.db import ActionStatus
from codemonkeys.vocab.plan import Action, ActionKind, Plan
from test_announce_webhook import Receiver, receiver, receiver_server  # noqa: F401  (fixtures)

KEY = "notify-key-0123456789"
CANARY = "s3cr3t-canary-value"


def make_fleet(tmp: Path, url: str) -> Path:
    fleet = tmp / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: notify}\nspec:\n"
        "  announce:\n"
        f"    channels: {{ops: {{type: webhook, url: '{url}', flavor: json, keyEnv: HOOK_KEY}}}}\n"
        "    notifications:\n"
        "      - {on: [action.failed, action.held], channels: [ops], products: [red, held]}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\n"
        "spec:\n  default: deny\n  groups: {maintainers: [owner]}\n  rules:\n"
        "    - {id: builds, match: {actions: ['build.*']}}\n"
        "    - id: held-needs-a-person\n      match: {actions: [build.run], products: [held]}\n"
        "      hold: {approvals: 1, approvers: [maintainers]}\n"
    )
    tests = {
        "red": "def test_it():\n    assert 1 == 2\n",
        "held": "def test_it():\n    assert True\n",
        "quiet": "def test_it():\n    assert 1 == 2\n",  # red too, but nobody subscribed to it
    }
    for name, test in tests.items():
        repo = tmp / "repos" / name
        (repo / "tests").mkdir(parents=True)
        (repo / "tests" / "test_it.py").write_text(test)
        git(["init", "-q", "-b", "main"], repo)
        git(["add", "-A"], repo)
        git(["-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qm", "feat: it"], repo)
        (fleet / "products" / f"{name}.yaml").write_text(
            "apiVersion: codemonkeys.dev/v1\nkind: Product\n"
            f"metadata: {{name: {name}}}\nspec:\n  source: {{repo: ../repos/{name}}}\n  language: python\n"
            "  build: {command: [python, -m, pytest, -q, -p, no:cacheprovider], confirmRed: 0}\n"
        )
    return fleet


def test_events_reach_the_subscribed_webhook_once(tmp_path: Path, receiver: Receiver):  # noqa: F811
    fleet = make_fleet(tmp_path, receiver.url)
    base = Context.from_environ()
    fs = FleetSession.open(fleet, replace(base, env={**base.env, "HOOK_KEY": KEY, "UNRELATED": CANARY}))
    receiver.statuses.extend([400])  # the first delivery is refused: tried again by the next apply
    fs.apply(fs.plan(), parallelism=1, retries=1, retry_wait=0)
    assert len(receiver.requests) == 2
    fs.apply(fs.plan(), parallelism=1, retries=1, retry_wait=0)
    bodies = []
    for headers, raw in receiver.requests:
        expected = "sha256=" + hmac.new(KEY.encode(), raw, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-codemonkeys-signature-256"], expected)
        assert KEY.encode() not in raw and CANARY.encode() not in raw
        bodies.append(json.loads(raw))
    delivered = sorted({(b["event"], b["action"]) for b in bodies})
    assert delivered == [("action.failed", "red/build.run"), ("action.held", "held/build.run")]
    # the refused one was retried once; nothing else was sent twice, and quiet sent nothing
    assert len(bodies) == 3
    events = [r["event"] for r in fs.audit(limit=None)]
    assert events.count("notification.sent") == 2 and events.count("notification.failed") == 1
    fs.apply(fs.plan(), parallelism=1, retries=1, retry_wait=0)
    assert len(receiver.requests) == 3  # still held, same state: not announced again


def test_a_key_named_on_is_a_name_not_a_boolean():
    from codemonkeys.kinds.yamlpos import load_yaml, load_yaml_fast

    text = "on: [action.failed]\nyes: 1\nsuspend: true\n"
    (doc,), diags = load_yaml(text, "f.yaml")
    assert not diags and doc.data == {"on": ["action.failed"], "yes": 1, "suspend": True}
    (fast,) = load_yaml_fast(text, "f.yaml") or [None]
    assert fast is not None and fast.data == doc.data


def test_changes_notify_when_merged_and_when_failed():
    def outcome(kind: ActionKind, status: ActionStatus, message: str) -> ActionOutcome:
        action = Action(id=f"shop/{kind}/c1", product="shop", kind=kind, reason="change c1")
        return ActionOutcome(action, status, message)

    report = ApplyReport(1)
    for o in (
        outcome(ActionKind.CHANGE_MERGE, ActionStatus.SUCCEEDED, "change c1 merged"),
        outcome(ActionKind.CHANGE_PROPOSE, ActionStatus.FAILED, "change c1 is red on its branch"),
        outcome(ActionKind.CHANGE_PROPOSE, ActionStatus.SUCCEEDED, "change c1 is green"),
        outcome(ActionKind.BUILD_RUN, ActionStatus.FAILED, "build red"),
    ):
        report.outcomes[o.action.id + o.message] = o
    said = [(str(e.kind), e.action.id) for e in events(Plan.model_construct(actions=[], products={}), report)]
    assert said == [
        ("change.merged", "shop/change.merge/c1"),
        ("action.failed", "shop/change.propose/c1"),
        ("change.failed", "shop/change.propose/c1"),
        ("action.failed", "shop/build.run/c1"),
    ]
