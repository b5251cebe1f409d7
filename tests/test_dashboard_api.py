"""The dashboard's HTTP API in process (FastAPI's TestClient over a real controller object, not started):
a kept file of an action (a browser run's screenshot) is served only through its journal entry and only
while unchanged; without tokens reading is open and writing disabled; cross-repo changes are listed
with the rule that blocked them and dropped by an admin of their company (CSRF-checked)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.testclient import TestClient

from codemonkeys.context import Context
from codemonkeys.engine.changes import Replace
from codemonkeys.service.api import create_app
from codemonkeys.service.auth import Access, Principal, Role
from codemonkeys.service.controller import Controller, ControllerConfig
from dashboard_fleet import write_dashboard_fleet

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32  # served as bytes: the endpoint never decodes a picture


def test_kept_files_are_served_through_the_journal_and_reading_is_open_without_tokens(tmp_path: Path):
    fleet = write_dashboard_fleet(tmp_path)
    ctl = Controller(ControllerConfig(fleet=fleet, watch=False), Context(env={}, home_dir=tmp_path / "home"))
    shot, notes = tmp_path / "kept" / "01-posted.png", tmp_path / "kept" / "notes.txt"
    shot.parent.mkdir()
    shot.write_bytes(PNG)
    notes.write_text("x")
    kept = {
        p.name: {"path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in (shot, notes)
    }
    run = ctl.store.start_run("rev", "fp")
    action = "shop/announce.post/site"
    ctl.store.add_actions(
        run.id,
        [
            {
                "action_id": action,
                "product": "shop",
                "kind": "announce.post",
                "status": "succeeded",
                "outputs": {"artifacts": kept},
            }
        ],
    )
    client = TestClient(create_app(ctl))

    got = client.get("/api/artifact", params={"action": action, "run": run.id, "name": shot.name})
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    [attempt] = client.get("/api/products/shop/attempts").json()
    assert attempt["artifacts"] == ["01-posted.png", "notes.txt"] and attempt["run"] == run.id
    for params, status in [
        ({"action": action, "run": run.id, "name": "../../etc/passwd"}, 404),  # not kept: never a path
        ({"action": action, "run": run.id + 1, "name": shot.name}, 404),  # another run
        ({"action": action, "run": run.id, "name": notes.name}, 404),  # not a picture, video or trace
    ]:
        assert client.get("/api/artifact", params=params).status_code == status, params
    shot.write_bytes(PNG + b"changed")
    changed = client.get("/api/artifact", params={"action": action, "run": run.id, "name": shot.name})
    assert changed.status_code == 409 and "changed since" in changed.json()["detail"]

    # no tokens at all: reading is open (the controller listens on loopback only), writing is disabled
    assert client.get("/api/fleet").status_code == 200
    assert client.get("/ui/session").json()["writable"] is False
    refused = client.post("/api/products/shop/reconcile")
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    assert client.post("/ui/login", json={"token": "anything"}).status_code == 401


def test_changes_are_listed_with_their_rule_and_dropped_by_an_admin_with_csrf(tmp_path: Path):
    fleet = write_dashboard_fleet(tmp_path)
    ctl = Controller(ControllerConfig(fleet=fleet, watch=False), Context(env={}, home_dir=tmp_path / "home"))
    tokens = {"vic": Role.viewer, "ann": Role.approver, "ada": Role.admin, "gus": Role.admin}
    scope = {"gus": ("globex",)}
    access = Access(
        [(f"{n}-token-0123456789", Principal(n, r, scope.get(n, ()))) for n, r in tokens.items()],
        read_needs_token=True,
    )
    client = TestClient(create_app(ctl, access))
    bus = ctl.events.subscribe()
    made = ctl.session.propose_change(["shop", "hash"], Replace("more", "less", ("more.txt",)), author="ann")
    ctl.session.apply(ctl.session.plan(["hash"]))  # the default denies change.*: journaled blocked
    change = made.change

    assert client.get("/api/changes").status_code == 401  # reading needs a viewer
    rows = client.get("/api/changes", headers=_bearer("vic")).json()
    got = {r["product"]: (r["change"], r["state"], r["rule"], r["files"]) for r in rows}
    assert got == {
        "shop": (change, "proposed", "", ["more.txt"]),
        "hash": (change, "denied", "default", ["more.txt"]),
    }
    assert "no rule allows change.propose" in next(r for r in rows if r["product"] == "hash")["blocked"]
    assert all("-more\n+less" in r["diff"] for r in rows)
    only = client.get("/api/changes", params={"select": "company=acme"}, headers=_bearer("vic")).json()
    assert [r["product"] for r in only] == ["shop"]

    drop = f"/api/changes/{change}/drop"
    assert client.post(drop, json={}, headers=_bearer("vic")).status_code == 403
    assert client.post(drop, json={}, headers=_bearer("ann")).status_code == 403  # an approver
    scoped = client.post(drop, json={}, headers=_bearer("gus"))  # an admin of globex: shop is acme's
    assert scoped.status_code == 403 and "acme" in scoped.json()["detail"]
    assert client.post(drop, json={"products": ["ledger"]}, headers=_bearer("ada")).status_code == 404
    assert client.post("/api/changes/nope/drop", json={}, headers=_bearer("ada")).status_code == 404
    assert client.post("/ui/login", json={"token": "ada-token-0123456789"}).status_code == 200
    assert client.post(drop, json={}).status_code == 403  # a session without its CSRF token
    csrf = client.get("/ui/session").json()["csrf"]
    done = client.post(drop, json={"products": ["hash"]}, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.json() == {"change": change, "dropped": ["hash"], "by": "ada"}
    states = {r["product"]: r["state"] for r in client.get("/api/changes").json()}
    assert states == {"shop": "proposed", "hash": "dropped"}
    assert bus.get_nowait() | {"id": 0, "at": ""} == {
        "id": 0,
        "at": "",
        "event": "change.dropped",
        "product": "hash",
        "change": change,
        "by": "ada",
    }
    [said] = [r for r in ctl.session.audit(product="hash") if r["event"] == "change.dropped"]
    assert said["actor"] == "ada"


def _bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {name}-token-0123456789"}


def test_a_proposal_the_gate_denies_says_so_before_any_apply_and_reconcile_is_audited(tmp_path: Path):
    """The controller's plan denies the proposal (the default rule) and applies nothing: the Changes view
    says denied, with the rule, as the product page does. An admin's reconcile request is audited with
    its requester and published."""
    fleet = write_dashboard_fleet(tmp_path)
    ctl = Controller(ControllerConfig(fleet=fleet, watch=False), Context(env={}, home_dir=tmp_path / "home"))
    access = Access([("ada-token-0123456789", Principal("ada", Role.admin, ()))], read_needs_token=True)
    client = TestClient(create_app(ctl, access))
    made = ctl.session.propose_change(["shop"], Replace("more", "less", ("more.txt",)), author="ann")
    [before] = client.get("/api/changes", headers=_bearer("ada")).json()
    assert (before["state"], before["verdict"], before["rule"]) == ("proposed", "", "")
    bus = ctl.events.subscribe()
    r = client.post("/api/products/shop/reconcile", headers=_bearer("ada"))
    assert r.status_code == 202 and r.json() == {"queued": "shop"}
    [said] = [a for a in ctl.session.audit(product="shop") if a["event"] == "product.reconcile_requested"]
    assert (said["actor"], said["data"]) == ("ada", {"source": "api"})
    assert bus.get_nowait()["event"] == "reconcile.queued"
    assert ctl.reconcile("shop")  # what the worker does with the queued request
    [row] = client.get("/api/changes", headers=_bearer("ada")).json()
    assert (row["change"], row["state"], row["verdict"], row["rule"]) == (
        made.change,
        "denied",
        "deny",
        "default",
    )
    assert "no rule allows change.propose" in row["blocked"]
    assert not ctl.store.actions(product="shop")  # nothing was applied: the plan alone says denied
    change = ctl.session.plan(["shop"]).products["shop"].facets["change"]  # settled: not drifting for it
    assert change.in_sync and f"shop/change.propose/{made.change} denied by default" in change.message
