"""The dashboard's HTTP API in process (FastAPI's TestClient over a real controller object, not started):
a kept file of an action (a browser run's screenshot) is served only through its journal entry and only
while unchanged; without tokens reading is open and writing disabled."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.testclient import TestClient

from codemonkeys.context import Context
from codemonkeys.service.api import create_app
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
