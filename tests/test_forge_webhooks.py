"""Forge webhooks at /hooks/git (issue 33), in process over a real controller object (not started): each
forge's event verified the way that forge signs it (GitHub's X-Hub-Signature-256, Gitea's
X-Gitea-Signature, GitLab's X-Gitlab-Token), refused unsigned or wrongly signed before anything is
parsed; a push queues the products of its repository and branch, a pull request or review every product
of its repository, a ping nothing; a replay only queues again."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from codemonkeys.context import Context
from codemonkeys.service.api import create_app
from codemonkeys.service.controller import Controller, ControllerConfig
from codemonkeys.service.webhooks import EventKind, WebhookError, parse_forge_event, verify_forge
from dashboard_fleet import write_dashboard_fleet

SECRET = "forge-webhook-secret-0123"


def _hub(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _gitea(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def app(tmp_path: Path):
    fleet = write_dashboard_fleet(tmp_path)
    ctl = Controller(
        ControllerConfig(fleet=fleet, watch=False, webhook_secret=SECRET),
        Context(env={}, home_dir=tmp_path / "home"),
    )
    queued: list[tuple[str, str]] = []
    ctl.event = lambda name, reason: queued.append((name, reason))  # what the worker would pick up
    return TestClient(create_app(ctl)), tmp_path, queued


def test_each_forge_signs_its_own_way(app):
    client, root, queued = app
    shop = str(root / "shop-src")
    github = json.dumps(
        {"ref": "refs/heads/main", "after": "a" * 40, "repository": {"clone_url": shop}}
    ).encode()
    gitlab = json.dumps(
        {
            "object_kind": "push",
            "ref": "refs/heads/main",
            "after": "b" * 40,
            "project": {"git_http_url": shop, "git_ssh_url": "git@gitlab.example:acme/shop.git"},
            "repository": {"name": "shop", "git_http_url": shop},
        }
    ).encode()
    gitea = json.dumps(
        {"ref": "refs/heads/main", "after": "c" * 40, "repository": {"clone_url": shop}}
    ).encode()
    cases = [
        (github, {"X-GitHub-Event": "push", "X-Hub-Signature-256": _hub(github)}),
        (gitlab, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET}),
        (gitea, {"X-Gitea-Event": "push", "X-Gitea-Signature": _gitea(gitea)}),
    ]
    for body, headers in cases:
        r = client.post("/hooks/git", content=body, headers=headers)
        assert r.status_code == 202 and r.json() == {"queued": ["shop"], "fleet": False}, (headers, r.text)
    assert [n for n, _ in queued] == ["shop", "shop", "shop"]
    r = client.post("/hooks/git", content=github, headers=cases[0][1])  # a replay: queued again, harmless
    assert r.status_code == 202 and len(queued) == 4

    refused = [
        (github, {"X-GitHub-Event": "push"}, "missing signature"),
        (github, {"X-GitHub-Event": "push", "X-Hub-Signature-256": _hub(github + b" ")}, "bad signature"),
        (gitlab, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET + "x"}, "bad X-Gitlab-Token"),
        (gitea, {"X-Gitea-Event": "push", "X-Gitea-Signature": _gitea(gitea)[:-1] + "0"}, "bad signature"),
    ]
    for body, headers, said in refused:
        r = client.post("/hooks/git", content=body, headers=headers)
        assert r.status_code == 401 and said in r.json()["detail"], (headers, r.text)
    assert len(queued) == 4  # nothing refused was queued


def test_pull_requests_and_reviews_concern_their_repository_and_a_ping_nothing(app):
    client, root, queued = app
    hash_repo = str(root / "hash-src")
    pr = json.dumps(
        {
            "action": "opened",
            "number": 7,
            "pull_request": {"number": 7},
            "repository": {"clone_url": hash_repo},
        }
    ).encode()
    r = client.post(
        "/hooks/git", content=pr, headers={"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": _hub(pr)}
    )
    assert r.status_code == 202 and r.json() == {"queued": ["hash"], "fleet": False, "forge": "github"}
    mr = json.dumps({"object_kind": "merge_request", "project": {"git_http_url": hash_repo}}).encode()
    r = client.post(
        "/hooks/git", content=mr, headers={"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": SECRET}
    )
    assert r.status_code == 202 and r.json()["queued"] == ["hash"] and r.json()["forge"] == "gitlab"
    review = json.dumps(
        {
            "action": "reviewed",
            "review": {"type": "pull_request_review_approved"},
            "repository": {"clone_url": hash_repo},
        }
    ).encode()
    headers = {"X-Gitea-Event": "pull_request_review_approved", "X-Gitea-Signature": _gitea(review)}
    assert client.post("/hooks/git", content=review, headers=headers).json()["queued"] == ["hash"]
    ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    r = client.post(
        "/hooks/git", content=ping, headers={"X-GitHub-Event": "ping", "X-Hub-Signature-256": _hub(ping)}
    )
    assert r.status_code == 202 and r.json() == {"queued": [], "fleet": False, "forge": "github"}
    assert [n for n, _ in queued] == ["hash", "hash", "hash"]
    assert queued[0][1] == "github pull_request"


def test_the_parsers_refuse_what_they_cannot_read():
    with pytest.raises(WebhookError) as unsigned:
        verify_forge("", b"{}", {})
    assert unsigned.value.status == 401
    with pytest.raises(WebhookError) as bad:
        parse_forge_event(b"not json", {"x-github-event": "pull_request"})
    assert bad.value.status == 400
    with pytest.raises(WebhookError) as nowhere:
        parse_forge_event(b'{"action": "opened"}', {"x-github-event": "pull_request"})
    assert nowhere.value.status == 400 and "repository" in str(nowhere.value)
    tag = json.dumps({"ref": "refs/tags/v1", "repository": {"clone_url": "https://x/a/b.git"}}).encode()
    with pytest.raises(WebhookError):
        parse_forge_event(tag, {"x-gitea-event": "push"})
    event = parse_forge_event(
        json.dumps({"repository": {"html_url": "https://x/a/b"}}).encode(),
        {"x-github-event": "pull_request_review"},
    )
    assert event is not None and event.kind is EventKind.PULL_REQUEST and event.repos == ("https://x/a/b",)
