"""Webhook handlers (pure): verify, parse, and map an event to the products it concerns.

* Forge events at ``/hooks/git``: pushes, pull / merge requests and reviews from GitHub, GitLab and Gitea /
  Forgejo, each verified the way its forge signs them before anything is parsed (``verify_forge``:
  GitHub's ``X-Hub-Signature-256: sha256=<hex>`` and Gitea's ``X-Gitea-Signature: <hex>``, HMAC-SHA256 of
  the raw body, compared in constant time; GitLab's ``X-Gitlab-Token``, the shared secret itself, compared
  in constant time). A push concerns the products of its repository and branch; a pull request or a
  review, every product of its repository; other events (GitHub's ``ping``) concern none. A replay only
  queues a reconcile again: harmless.
* The Jenkins Notification plugin: ``{"name", "url", "build": {"number", "phase", "status", "full_url",
  "scm": {"commit", "branch"}}}``.

An event re-observes only the products it concerns (``products_for``); the service queues those.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from enum import StrEnum

from codemonkeys.api import DesiredState
from codemonkeys.api.tools import job_name


class WebhookError(Exception):
    """A request that must be refused: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class EventKind(StrEnum):
    """Where a webhook event came from: a git push, a pull request (or its review), or a CI build."""

    GIT_PUSH = "git.push"
    PULL_REQUEST = "git.pull_request"
    CI_BUILD = "ci.build"


@dataclass(frozen=True)
class Event:
    """A parsed webhook event: repository URLs, branch and commit of a push, or job and state of a build."""

    kind: EventKind
    repos: tuple[str, ...] = ()  # git: every URL the repository is known by
    branch: str | None = None
    commit: str | None = None
    job: str | None = None  # ci: the Jenkins job (full name)
    phase: str | None = None
    status: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """Raise WebhookError(401) unless ``header`` is ``sha256=`` + HMAC-SHA256(secret, body)."""
    if not secret:
        raise WebhookError(401, "webhook secret is not configured: refusing unsigned events")
    if not header or not header.startswith("sha256="):
        raise WebhookError(401, "missing X-Hub-Signature-256")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().encode()):
        raise WebhookError(401, "bad signature")


def verify_forge(secret: str, body: bytes, headers) -> str:
    """Verify a forge's event as its forge signs it; returns the forge (``github``, ``gitea``,
    ``gitlab``). ``WebhookError(401)`` when no signature is there or it does not match."""
    if not secret:
        raise WebhookError(401, "webhook secret is not configured: refusing unsigned events")
    if headers.get("x-hub-signature-256"):
        verify_signature(secret, body, headers.get("x-hub-signature-256"))
        return "gitea" if headers.get("x-gitea-event") or headers.get("x-forgejo-event") else "github"
    signed = headers.get("x-gitea-signature") or headers.get("x-forgejo-signature")
    if signed:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signed.strip().lower().encode()):
            raise WebhookError(401, "bad signature")
        return "gitea"
    token = headers.get("x-gitlab-token")
    if token:
        if not hmac.compare_digest(secret.encode(), token.encode()):
            raise WebhookError(401, "bad X-Gitlab-Token")
        return "gitlab"
    raise WebhookError(401, "missing signature: X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token")


PR_EVENTS = {  # each forge's name for a pull request event and its reviews
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "pull_request_approved",
    "pull_request_rejected",
    "pull_request_review_approved",
    "pull_request_review_rejected",
    "merge request hook",
    "note hook",
}
PUSH_EVENTS = {"push", "push hook"}


def parse_forge_event(body: bytes, headers) -> Event | None:
    """A forge's event (its kind from ``X-GitHub-Event`` / ``X-Gitea-Event`` / ``X-Gitlab-Event``, a push
    without one): a push, a pull request or review (its repository), or None for any other (a ping)."""
    name = (
        headers.get("x-github-event")
        or headers.get("x-gitea-event")
        or headers.get("x-forgejo-event")
        or headers.get("x-gitlab-event")
        or "push"
    ).lower()
    if name in PUSH_EVENTS:
        return parse_git_push(body)
    if name not in PR_EVENTS:
        return None
    try:
        data = _json(body)
        urls = _urls(data.get("repository") or {}) + _urls(data.get("project") or {})
    except (AttributeError, TypeError) as exc:
        raise WebhookError(400, f"malformed {name} event: {exc}") from None
    if not urls:
        raise WebhookError(400, f"a {name} event without its repository's URLs")
    return Event(EventKind.PULL_REQUEST, repos=urls, extra={"event": name, **_pull(data)})


def _pull(data: dict) -> dict:
    """The pull request an event is about: its number, base branch, head commit and what happened
    (GitHub and Gitea: ``pull_request`` and ``action``; GitLab: ``object_attributes``); empty for a
    review or a comment that names none."""
    pr = data.get("pull_request")
    if isinstance(pr, dict) and isinstance(pr.get("number"), int):
        base, head = _dict(pr.get("base")), _dict(pr.get("head"))
        home = _dict(base.get("repo")).get("full_name") or _dict(data.get("repository")).get("full_name")
        return {
            "pull": pr["number"],
            "base": _text(base.get("ref")),
            "head": _text(head.get("sha")),
            "action": _text(data.get("action")),
            # a fork's head (or one whose repository is not said) is not the fleet's own branch
            "fork": not home or _dict(head.get("repo")).get("full_name") != home,
        }
    attrs = data.get("object_attributes")
    if (
        data.get("object_kind") == "merge_request"
        and isinstance(attrs, dict)
        and isinstance(attrs.get("iid"), int)
    ):
        source, target = attrs.get("source_project_id"), attrs.get("target_project_id")
        return {
            "pull": attrs["iid"],
            "base": _text(attrs.get("target_branch")),
            "head": _text(_dict(attrs.get("last_commit")).get("id")),
            "action": _text(attrs.get("action")),
            "fork": source is None or source != target,
        }
    return {}


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


_URL_KEYS = ("clone_url", "ssh_url", "git_url", "html_url", "url", "git_http_url", "git_ssh_url", "web_url")


def _urls(repo: dict) -> tuple[str, ...]:
    return tuple(u for u in (repo.get(k) for k in _URL_KEYS) if isinstance(u, str) and u)


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookError(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookError(400, "body is not a JSON object")
    return data


def parse_git_push(body: bytes) -> Event:
    """A push event from its JSON body. Raises ``WebhookError(400)`` unless it is a branch push."""
    try:
        return _git_push(_json(body))
    except (AttributeError, TypeError) as exc:  # JSON of the wrong shape
        raise WebhookError(400, f"malformed push event: {exc}") from None


def _git_push(data: dict) -> Event:
    urls = _urls(data.get("repository") or {}) + _urls(data.get("project") or {})  # GitLab: both
    ref = data.get("ref") or ""
    if not urls or not ref.startswith("refs/heads/"):
        raise WebhookError(400, "not a branch push event (needs ref refs/heads/... and repository urls)")
    return Event(
        EventKind.GIT_PUSH, repos=urls, branch=ref.removeprefix("refs/heads/"), commit=data.get("after")
    )


def parse_jenkins_notification(body: bytes) -> Event:
    """A Jenkins Notification plugin event from its JSON body. Raises ``WebhookError(400)`` if not one."""
    try:
        return _jenkins_notification(_json(body))
    except (AttributeError, TypeError) as exc:  # JSON of the wrong shape
        raise WebhookError(400, f"malformed Jenkins notification: {exc}") from None


def _jenkins_notification(data: dict) -> Event:
    build = data.get("build") or {}
    if (
        not isinstance(data.get("name"), str)
        or not data["name"]
        or not isinstance(build, dict)
        or "phase" not in build
    ):
        raise WebhookError(400, "not a Jenkins Notification plugin event")
    scm = build.get("scm") or {}
    job = data.get("fullName") or data.get("name")
    url = data.get("url") or ""
    if "/" not in job and url.startswith("job/"):  # the plugin's url is the job's path: job/a/job/b/
        job = "/".join(p for p in url.strip("/").split("/") if p != "job")
    return Event(
        EventKind.CI_BUILD,
        job=job,
        phase=build.get("phase"),
        status=build.get("status"),
        commit=scm.get("commit"),
        branch=scm.get("branch"),
    )


def same_repo(a: str, b: str) -> bool:
    """Whether two git URLs name the same repository (scheme, user, ``.git`` and case ignored)."""

    def norm(u: str) -> str:
        u = u.strip().rstrip("/").removesuffix(".git")
        for prefix in ("https://", "http://", "ssh://", "git://", "git@"):
            u = u.removeprefix(prefix)
        return u.replace(":", "/").lower()

    return norm(a) == norm(b)


def products_for(desired: DesiredState, event: Event) -> list[str]:
    """The products an event concerns (sorted); empty if none."""
    out = []
    for name, product in desired.products.items():
        if event.kind is EventKind.GIT_PUSH:
            location = desired.repo_location(name)
            if (
                any(same_repo(location, r) for r in event.repos)
                and product.spec.source.branch == event.branch
            ):
                out.append(name)
        elif event.kind is EventKind.PULL_REQUEST:
            if any(same_repo(desired.repo_location(name), r) for r in event.repos):
                out.append(name)
        elif event.job is not None and job_name(product) == event.job:
            out.append(name)
    return sorted(out)
