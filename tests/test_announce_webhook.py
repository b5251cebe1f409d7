"""announce.post to webhooks, against a real HTTP receiver in the test: the HMAC signature verifies, each
flavour has its shape, a Jinja2 template renders the body, a 503 is retried with backoff, a 400 is not."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from announce_fleet import write_fleet
from codemonkeys.announce.message import Release, message_for
from codemonkeys.announce.webhook import SIGNATURE_HEADER, body_for, post_webhook
from codemonkeys.kinds.models import WebhookFlavor
from conftest import cmctl

KEY = "whsec-0123456789abcdef"


class Receiver(ThreadingHTTPServer):
    """Records every POST (headers, body); answers the scripted statuses in turn, then 200."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        return

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.shutdown()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.requests.clear()
    receiver_server.statuses.clear()
    return receiver_server


RELEASE = Release("shop", "1.0.0", "v1.0.0", "## 1.0.0\n\n- checkout page", {"docs": "https://docs/shop"})


@pytest.mark.parametrize("flavor", list(WebhookFlavor))
def test_each_flavour_has_its_shape(receiver: Receiver, flavor: WebhookFlavor):
    message = message_for(RELEASE, None)
    sent = post_webhook(receiver.url, body_for(flavor, message, RELEASE.values()), None)
    assert sent.ok and sent.attempts == 1
    headers, raw = receiver.requests[-1]
    body = json.loads(raw)
    assert headers["content-type"] == "application/json" and SIGNATURE_HEADER.lower() not in headers
    if flavor is WebhookFlavor.SLACK:
        assert body["text"] == "shop 1.0.0 released"
        assert body["blocks"][0]["type"] == "section" and "checkout page" in body["blocks"][0]["text"]["text"]
    elif flavor is WebhookFlavor.DISCORD:
        assert (
            body["content"] == "shop 1.0.0 released" and "checkout page" in body["embeds"][0]["description"]
        )
    elif flavor is WebhookFlavor.TEAMS:
        assert body["@type"] == "MessageCard" and body["title"] == "shop 1.0.0 released"
    else:
        assert body["product"] == "shop" and body["version"] == "1.0.0" and body["links"]["docs"]


def test_a_503_is_retried_with_backoff_and_a_400_is_not(receiver: Receiver):
    receiver.statuses = [503, 503]
    sent = post_webhook(receiver.url, {"x": 1}, None, wait=0.05)
    assert sent.ok and sent.attempts == 3 and len(receiver.requests) == 3
    receiver.requests.clear()
    receiver.statuses = [503] * 10
    sent = post_webhook(receiver.url, {"x": 1}, None, attempts=3, wait=0.05)
    assert not sent.ok and sent.transient and sent.status == 503 and len(receiver.requests) == 3
    receiver.requests.clear()
    receiver.statuses = [400]
    sent = post_webhook(receiver.url, {"x": 1}, None, wait=0.05)
    assert not sent.ok and not sent.transient and sent.status == 400 and len(receiver.requests) == 1
    assert "not retried" in sent.message


def webhook_fleet(tmp_path: Path, receiver: Receiver, **channel) -> Path:
    channels = {"hook": {"type": "webhook", "url": receiver.url, **channel}}
    files = {"templates/hook.json.j2": '{"release": {{ (product ~ "@" ~ version) | tojson }}, "n": 1}'}
    return write_fleet(tmp_path, channels, {"channels": ["hook"]}, files=files)


def test_apply_posts_a_signed_announcement_once(tmp_path: Path, receiver: Receiver):
    fleet = webhook_fleet(tmp_path, receiver, flavor="slack", keyEnv="HOOK_KEY")
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", env={"HOOK_KEY": KEY})
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(receiver.requests) == 1
    headers, raw = receiver.requests[0]
    expected = "sha256=" + hmac.new(KEY.encode(), raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER.lower()], expected)
    assert "checkout page" in json.loads(raw)["blocks"][0]["text"]["text"]  # the CHANGELOG section
    audit = cmctl("audit", "--fleet", str(fleet), "--json", "--limit", "0").stdout
    assert KEY not in audit and KEY not in r.stdout + r.stderr
    again = cmctl("plan", "--fleet", str(fleet), "--detailed-exitcode", env={"HOOK_KEY": KEY})
    assert again.returncode == 0, again.stdout  # recorded: announced once
    assert len(receiver.requests) == 1


def test_apply_renders_a_template_and_a_400_fails_without_retry(tmp_path: Path, receiver: Receiver):
    fleet = webhook_fleet(tmp_path, receiver, template="templates/hook.json.j2")
    receiver.statuses = [400]
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve")
    assert r.returncode == 1
    assert len(receiver.requests) == 1 and json.loads(receiver.requests[0][1]) == {
        "release": "shop@1.0.0",
        "n": 1,
    }
    doc = json.loads(cmctl("logs", "shop/announce.post/hook", "--fleet", str(fleet), "--json").stdout)
    assert doc["status"] == "failed" and "HTTP 400 (not retried)" in doc["message"]
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve")
    assert r.returncode == 0 and len(receiver.requests) == 2  # not recorded as announced: posted again
