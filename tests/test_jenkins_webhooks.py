"""Pure parts of the Jenkins backend and the webhooks: batch-observation parsing on a recorded folder
answer, HMAC verification (constant time, refusals as 401), event parsing and product matching."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from codemonkeys.ci.jenkins import build_facts, parse_folder
from codemonkeys.load import load_fleet
from codemonkeys.service.webhooks import (
    EventKind,
    WebhookError,
    parse_git_push,
    parse_jenkins_notification,
    products_for,
    verify_signature,
)
from codemonkeys.vocab.facts import BuildStatus

PAYLOADS = Path(__file__).parent / "payloads" / "jenkins"
ROOT = Path(__file__).resolve().parents[1]


def test_batch_folder_answer_to_build_facts():
    jobs = parse_folder(json.loads((PAYLOADS / "folder-acme.json").read_text()))
    assert sorted(jobs) == ["acme-cli", "acme-report", "acme-text"]
    text = jobs["acme-text"]
    assert build_facts(text, "aaa").status is BuildStatus.SUCCESS
    assert build_facts(text, "aaa").duration == 3.0
    assert build_facts(text, "bbb").status is BuildStatus.FAILURE
    assert build_facts(text, "ccc").status is BuildStatus.RUNNING
    assert build_facts(text, "zzz").status is BuildStatus.NONE
    # an aborted newer build says nothing about the code: the older result of the commit stands
    assert build_facts(jobs["acme-cli"], "ddd").status is BuildStatus.SUCCESS
    assert build_facts(jobs["acme-report"], "aaa").status is BuildStatus.NONE
    assert build_facts(None, "aaa").status is BuildStatus.NONE


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_signature_verification():
    body = b'{"ref": "refs/heads/main"}'
    verify_signature("s3cret", body, sign("s3cret", body))
    for header in (None, "", "sha1=abc", sign("other", body), sign("s3cret", body + b" ")):
        with pytest.raises(WebhookError) as err:
            verify_signature("s3cret", body, header)
        assert err.value.status == 401
    with pytest.raises(WebhookError):  # no secret configured: never accept
        verify_signature("", body, sign("", body))


def test_git_push_maps_to_the_products_of_that_repo_and_branch():
    desired, diags = load_fleet(ROOT / "fleet-repo-example")
    assert desired is not None, diags
    repo = desired.repo_location("acme-text")
    body = json.dumps(
        {
            "ref": "refs/heads/main",
            "after": "abc123",
            "repository": {"clone_url": repo + ".git", "html_url": "https://example/x"},
        }
    ).encode()
    event = parse_git_push(body)
    assert event.kind is EventKind.GIT_PUSH and event.commit == "abc123" and event.branch == "main"
    assert products_for(desired, event) == ["acme-text"]
    other = json.dumps({"ref": "refs/heads/dev", "repository": {"clone_url": repo}}).encode()
    assert products_for(desired, parse_git_push(other)) == []
    with pytest.raises(WebhookError):
        parse_git_push(b'{"ref": "refs/tags/v1", "repository": {"clone_url": "x"}}')
    with pytest.raises(WebhookError):
        parse_git_push(b"not json")


def test_jenkins_notification_maps_to_the_product_of_the_job():
    desired, _ = load_fleet(ROOT / "fleet-repo-example")
    body = json.dumps(
        {
            "name": "acme-cli",
            "url": "job/acme/job/acme-cli/",
            "build": {
                "number": 7,
                "phase": "COMPLETED",
                "status": "FAILURE",
                "full_url": "http://ci/job/acme/job/acme-cli/7/",
                "scm": {"commit": "abc", "branch": "main"},
            },
        }
    ).encode()
    event = parse_jenkins_notification(body)
    assert (event.job, event.phase, event.status, event.commit) == (
        "acme/acme-cli",
        "COMPLETED",
        "FAILURE",
        "abc",
    )
    assert products_for(desired, event) == ["acme-cli"]
    with pytest.raises(WebhookError):
        parse_jenkins_notification(b'{"name": "x"}')


@pytest.mark.parametrize(
    "body",
    [
        b'{"ref": "refs/heads/main", "repository": "not-an-object"}',
        b'{"ref": 7, "repository": {"clone_url": "x"}}',
    ],
)
def test_malformed_push_events_are_400_not_crashes(body: bytes):
    with pytest.raises(WebhookError) as err:
        parse_git_push(body)
    assert err.value.status == 400


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "job", "build": {"phase": "COMPLETED", "scm": "not-an-object"}}',
        b'{"name": ["a"], "build": {"phase": "COMPLETED"}, "url": "job/a/"}',
    ],
)
def test_malformed_jenkins_notifications_are_400_not_crashes(body: bytes):
    with pytest.raises(WebhookError) as err:
        parse_jenkins_notification(body)
    assert err.value.status == 400
