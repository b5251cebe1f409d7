"""Bounded input and the security headers of every answer (service/limits.py), safe redirect targets
(pages.local), no API docs from a CDN.

In process (FastAPI's TestClient over a real controller object, not started): a body over its limit is
refused with 413 and a message before any route reads it (the webhook's HMAC is never computed, the form
never parsed); one within it goes on; every answer, JSON, HTML, 404, 401 and 413 alike, carries nosniff,
no framing, no referrer and the CSP; ``/docs`` and ``/redoc`` are gone, ``/openapi.json`` stays; a form's
``back=`` that would leave the site (a tab, a backslash, //host, a scheme) redirects to ``/``.

As a real process (`cmctl controller run`, uvicorn): 50 MB posted to the unauthenticated git webhook, the
dashboard's decide form and the JSON approve endpoint, with a Content-Length and chunked without one, are
each answered 413, and the controller's peak resident memory (VmHWM, reset before) stays within a few MiB.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from codemonkeys.context import Context
from codemonkeys.service.api import create_app
from codemonkeys.service.controller import Controller, ControllerConfig
from codemonkeys.service.limits import SECURITY_HEADERS, BodyLimits
from codemonkeys.service.pages import local
from dashboard_fleet import write_dashboard_fleet
from test_e2e_controller import SECRET, TOKEN, free_port, wait_for

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("limits")
    fleet = write_dashboard_fleet(root)
    config = ControllerConfig(fleet=fleet, watch=False, api_token=TOKEN, webhook_secret=SECRET)
    ctl = Controller(config, Context(env={}, home_dir=root / "home"))
    yield TestClient(create_app(ctl, limits=BodyLimits(webhook=1000, form=500, json=800)))


def secure(response: httpx.Response) -> bool:
    return all(response.headers.get(name) == value for name, value in SECURITY_HEADERS.items())


def test_bodies_over_their_limit_are_refused_before_any_route_reads_them(client: TestClient):
    # over: by Content-Length, each kind its own limit and its name in the message
    for path, body, headers, what in [
        (
            "/hooks/git",
            b"x" * 1001,
            {"X-Hub-Signature-256": "sha256=00"},
            "a webhook body may hold at most 1000 B",
        ),
        ("/ui/decide", b"a=" + b"x" * 499, {"Content-Type": "application/x-www-form-urlencoded"}, "form"),
        ("/api/actions/shop/release.cut/approve", b" " * 801, {"Content-Type": "application/json"}, "JSON"),
        ("/api/products/shop/reconcile", b"{}" + b" " * 900, {}, "at most 800 B"),
    ]:
        got = client.post(path, content=body, headers=headers)
        assert got.status_code == 413, (path, got.text)
        assert what in got.json()["detail"] and secure(got), (path, got.json())
        assert got.headers["connection"] == "close"
    # streamed without a Content-Length: counted as it comes
    chunks = (b"x" * 100 for _ in range(20))
    got = client.post("/hooks/git", content=chunks, headers={"X-Hub-Signature-256": "sha256=00"})
    assert got.status_code == 413 and "1000 B" in got.json()["detail"]
    # within the limit: the route reads it (a wrong signature is the webhook's own 401)
    got = client.post("/hooks/git", content=b"{}", headers={"X-Hub-Signature-256": "sha256=00"})
    assert got.status_code == 401 and secure(got)
    got = client.post("/api/actions/shop/release.cut/approve", json={"comment": "x" * 700})
    assert got.status_code == 401  # no token: refused by the route, not by the size


def test_every_answer_carries_the_security_headers_and_no_docs_come_from_a_cdn(client: TestClient):
    for path, status in [
        ("/healthz", 200),
        ("/api/products", 200),
        ("/api/products/nope", 404),
        ("/", 200),
        ("/approvals", 200),
        ("/ui/app.js", 200),
        ("/openapi.json", 200),
        ("/docs", 404),
        ("/redoc", 404),
        ("/docs/oauth2-redirect", 404),
    ]:
        got = client.get(path)
        assert got.status_code == status, path
        assert secure(got), (path, dict(got.headers))
    for path in ("/openapi.json", "/docs", "/"):
        assert "cdn.jsdelivr.net" not in client.get(path).text and "unpkg.com" not in client.get(path).text
    assert client.get("/").headers["cache-control"] == "no-store"  # the page's own header kept


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
        "/ /evil.example",
        "/\n/evil.example",
        "/\x00",
        "/\u00a0/evil.example",
        "/\u3000/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "",
        "/%09/ok-but-encoded\\",
    ],
)
def test_a_redirect_target_that_could_leave_the_site_becomes_the_root(target: str):
    assert local(target) == "/"


def test_a_path_of_the_site_stays_a_redirect_target():
    for target in ("/", "/approvals", "/products/shop?x=1&y=%2F", "/?state=failed#top"):
        assert local(target) == target


def test_forms_redirect_back_only_within_the_site(client: TestClient):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for back in ("/\t/evil.example", "/\\evil.example", "//evil.example", "/approvals"):
        body = httpx.QueryParams({"product": "shop", "do": "maybe", "back": back})
        got = client.post("/ui/product", content=str(body).encode(), headers=form, follow_redirects=False)
        assert got.status_code == 400 and secure(got)  # refused: the error page links back
        href = local(back)
        assert f'<a href="{href}">' in got.text, got.text
        assert "evil.example" not in got.text


def test_body_limits_are_configured_by_kind():
    assert BodyLimits.parse(None) == BodyLimits() == BodyLimits(1 * MIB, 64 * 1024, 256 * 1024)
    assert BodyLimits.parse("webhook=2MiB, json=512KiB") == BodyLimits(2 * MIB, 64 * 1024, 512 * 1024)
    assert BodyLimits.parse("form=1000").form == 1000
    for bad in ("webhook", "webhooks=1MiB", "json=0", "form=1GB", "json=-1"):
        with pytest.raises(ValueError, match=r"expected|size"):
            BodyLimits.parse(bad)
    limits = BodyLimits()
    assert limits.limit("/hooks/jenkins", "application/json") == (MIB, "webhook")
    assert limits.limit("/ui/login", "application/json") == (64 * 1024, "form")
    assert limits.limit("/api/x", "application/x-www-form-urlencoded; charset=utf-8")[1] == "form"
    assert limits.limit("/api/x", "") == (256 * 1024, "JSON")


# --- a real controller process under 50 MB bodies ------------------------------------------------------

BIG = 50 * MIB
CHUNK = 64 * 1024


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def reset_peak(pid: int) -> None:
    """Reset the process's peak resident set (VmHWM) to its current one (Linux ``clear_refs`` 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def post_big(port: int, path: str, headers: dict[str, str], chunked: bool) -> tuple[int, bytes, int]:
    """POST 50 MB to ``path`` on a raw socket: with a Content-Length, or chunked without one. Sends until
    the server answers or stops reading; returns (status, body, bytes sent)."""
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {BIG}")
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        piece = (f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n") if chunked else b"x" * CHUNK
        try:
            while sent < BIG and not select.select([sock], [], [], 0)[0]:
                sock.sendall(piece)
                sent += CHUNK
            if chunked and sent >= BIG:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: what it said is read below
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 "), answer[:200]
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2], sent


@pytest.mark.slow
def test_the_controller_memory_stays_flat_under_50_mb_bodies(tmp_path: Path):
    fleet = write_dashboard_fleet(tmp_path)
    port = free_port()
    log = tmp_path / "controller.log"
    env = {**os.environ, "CMCTL_API_TOKEN": TOKEN, "CMCTL_WEBHOOK_SECRET": SECRET, "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "codemonkeys", "controller", "run", "--fleet", str(fleet)]
    argv += ["--listen", f"127.0.0.1:{port}", "--interval", "1h"]
    proc = subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(f"{url}/readyz").status_code == 200, 60, proc, log)
        targets = [
            ("/hooks/git", {"X-Hub-Signature-256": "sha256=00", "Content-Type": "application/json"}),
            ("/ui/decide", {"Content-Type": "application/x-www-form-urlencoded"}),
            (
                "/api/actions/shop/release.cut/approve",
                {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            ),
        ]
        for path, headers in targets:  # warm up every route's code once (imports, first allocations)
            httpx.post(f"{url}{path}", content=b"{}", headers=headers)
        time.sleep(1.0)
        rss_before = status_kib(proc.pid, "VmRSS")
        reset_peak(proc.pid)
        peak_before = status_kib(proc.pid, "VmHWM")
        sent_total = 0
        for path, headers in targets:
            for chunked in (False, True):
                status, body, sent = post_big(port, path, headers, chunked)
                sent_total += sent
                assert status == 413, (path, chunked, body)
                assert b"request body too large" in body, body
        peak_after = status_kib(proc.pid, "VmHWM")
        rss_after = status_kib(proc.pid, "VmRSS")
        growth = peak_after - peak_before
        print(
            f"\ncontroller RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MiB, peak during six 50 MB "
            f"posts {peak_before / 1024:.1f} -> {peak_after / 1024:.1f} MiB (+{growth / 1024:.1f} MiB); "
            f"{sent_total / MIB:.1f} MiB sent before the 413s"
        )
        assert growth < 8 * 1024, f"peak resident memory grew by {growth} KiB"
        assert httpx.get(f"{url}/healthz").status_code == 200  # still serving
    finally:
        proc.terminate()
        proc.wait(timeout=30)
