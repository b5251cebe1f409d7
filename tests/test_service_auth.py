"""Access to the controller (service/auth.py): the tokens file (roles, companies, tokenRef through the
secret provider, every problem reported, no token ever in a message), where the controller may listen,
sessions, and the event bus of the dashboard's live updates (service/events.py)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
import yaml

from codemonkeys.context import Context
from codemonkeys.secrets import SecretProvider
from codemonkeys.service.auth import (
    AccessError,
    Principal,
    Role,
    Sessions,
    check_listen,
    load_access,
)
from codemonkeys.service.events import EventBus, stream
from codemonkeys.service.runtime import ServiceError, ServiceOptions, serve
from conftest import cmctl

SECRET = "a-token-from-the-environment-42"


def tokens(tmp_path: Path, entries) -> Path:
    path = tmp_path / "tokens.yaml"
    path.write_text(yaml.safe_dump(entries))
    return path


def resolver(tmp_path: Path):
    return SecretProvider.for_fleet({"CMCTL_SECRET_OPS_TOKEN": SECRET}, tmp_path).resolve


def test_a_tokens_file_names_callers_with_roles_and_scopes(tmp_path: Path):
    path = tokens(
        tmp_path,
        [
            {"name": "vic", "role": "viewer", "token": "v" * 20},
            {"name": "ann", "role": "approver", "token": "a" * 20, "companies": ["acme"]},
            {"name": "ops", "role": "admin", "tokenRef": "ops-token"},
        ],
    )
    access = load_access(path, "legacy-api-token", resolver(tmp_path))
    assert access.read_needs_token and access.writable
    assert access.identify("v" * 20) == Principal("vic", Role.viewer)
    ann = access.identify("a" * 20)
    assert ann.may(Role.approver) and not ann.may(Role.admin)
    assert ann.covers("acme") and not ann.covers("globex") and not ann.covers(None)
    assert access.identify(SECRET) == Principal("ops", Role.admin)  # tokenRef, resolved
    assert access.identify("legacy-api-token") == Principal("admin", Role.admin)  # CMCTL_API_TOKEN
    assert access.identify("") is None and access.identify("v" * 19) is None
    assert SECRET not in repr(access) and "v" * 20 not in repr(access)
    # without a tokens file: reading is open (on loopback), the API token alone may write
    plain = load_access(None, "legacy-api-token", resolver(tmp_path))
    assert not plain.read_needs_token and plain.writable
    assert not load_access(None, None, resolver(tmp_path)).writable


def test_a_bad_tokens_file_reports_every_problem_and_no_token(tmp_path: Path):
    path = tokens(
        tmp_path,
        [
            {"name": "vic", "role": "viewer", "token": "short"},
            {"name": "ann", "role": "owner", "token": "a" * 20},
            {"name": "bob", "role": "admin", "token": "b" * 20, "tokenRef": "x"},
            {"name": "ops", "role": "admin", "tokenRef": "missing-token"},
            {"name": "eve", "role": "viewer", "token": "e" * 20, "colour": "red"},
        ],
    )
    with pytest.raises(AccessError) as err:
        load_access(path, None, resolver(tmp_path))
    text = str(err.value)
    where = [line.split(":")[1].strip() for line in text.splitlines()]
    assert where == [f"entry {i} ({n})" for i, n in enumerate(("vic", "ann", "bob", "ops", "eve"), 1)]
    assert "token: String should have at least 16" in text and "role: Input should be 1, 2 or 3" in text
    assert "exactly one of token and tokenRef" in text and "missing-token" in text and "colour" in text
    assert "short" not in text and "b" * 20 not in text
    same = tokens(tmp_path, [{"name": n, "role": "viewer", "token": "s" * 20} for n in ("x", "y")])
    with pytest.raises(AccessError, match="share a token"):
        load_access(same, None, resolver(tmp_path))
    (tmp_path / "tokens.yaml").write_text("{name: x}\n")
    with pytest.raises(AccessError, match="non-empty list"):
        load_access(tmp_path / "tokens.yaml", None, resolver(tmp_path))
    with pytest.raises(AccessError, match="cannot read"):
        load_access(tmp_path / "absent.yaml", None, resolver(tmp_path))


def test_without_tokens_the_controller_listens_on_loopback_only(tmp_path: Path):
    for host in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"):
        assert check_listen(host, None) is None
    for host in ("0.0.0.0", "10.1.2.3", "example.org", "::"):
        assert "refusing to listen" in check_listen(host, None)
        assert check_listen(host, Path("tokens.yaml")) is None
    # the command refuses before it loads anything
    r = cmctl("controller", "run", "--fleet", str(tmp_path), "--listen", "0.0.0.0:8080")
    assert r.returncode == 1 and "refusing to listen on 0.0.0.0" in r.stderr, r.stderr
    # a bad tokens file stops the service before the fleet is even loaded
    bad = tokens(tmp_path, [{"name": "x", "role": "viewer", "token": "t"}])
    options = ServiceOptions(fleet=str(tmp_path), listen="0.0.0.0:1", tokens=bad)
    with pytest.raises(ServiceError, match=r"entry 1 \(x\): token"):
        serve(options, Context(env={}), say=print, warn=print)
    assert not (tmp_path / ".cmctl").exists()


def test_sessions_expire_and_close():
    now = [1000.0]
    sessions = Sessions(lambda: now[0])
    sid, csrf = sessions.open(Principal("ann", Role.approver))
    assert sessions.get(sid) == (Principal("ann", Role.approver), csrf)
    assert sessions.get("forged") is None and sessions.get(None) is None
    now[0] += 13 * 3600
    assert sessions.get(sid) is None  # expired
    sid, _ = sessions.open(Principal("ann", Role.approver))
    sessions.close(sid)
    assert sessions.get(sid) is None


def test_the_event_bus_fans_out_and_drops_the_oldest_for_a_slow_subscriber():
    bus = EventBus(maxsize=2)
    fast, slow = bus.subscribe(), bus.subscribe()
    for n in range(3):
        bus.publish("reconcile.finished", product=f"p{n}")
        if n < 2:
            assert fast.get_nowait()["product"] == f"p{n}"
    assert fast.get_nowait()["product"] == "p2"
    assert [slow.get_nowait()["product"] for _ in range(2)] == ["p1", "p2"]  # p0 dropped, never blocked
    bus.unsubscribe(slow)
    assert bus.subscribers == 1

    stopped = threading.Event()

    async def first_two() -> list[str]:
        out, agen = [], stream(bus, stopped, poll=0.05)
        out.append(await agen.__anext__())  # the greeting: subscribed from here on
        bus.publish("approval.given", product="shop", action="shop/release.cut", by="ann")
        out.append(await agen.__anext__())
        stopped.set()
        await agen.aclose()
        return out

    greeting, event = asyncio.run(first_two())
    assert greeting.startswith("retry: 2000")
    lines = event.splitlines()
    assert lines[0].startswith("id: ") and lines[1] == "event: approval.given"
    assert '"by": "ann"' in lines[2] and event.endswith("\n\n")
    assert bus.subscribers == 1  # the stream unsubscribed when it closed
