"""Webhook delivery: a JSON body in a flavour's shape (Slack, Discord, Teams, plain JSON) or rendered from a
Jinja2 template, POSTed with httpx; signed with ``X-CodeMonkeys-Signature-256: sha256=<hex HMAC-SHA256 of
the body>`` when the channel has a secret. A 5xx answer or a transport error is retried with exponential
backoff (tenacity); a 4xx is final at once. Results name the receiver's host only (a webhook URL often
holds a token) and never the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from codemonkeys.announce.message import Message, render
from codemonkeys.kinds.models import WebhookFlavor

SIGNATURE_HEADER = "X-CodeMonkeys-Signature-256"


def body_for(flavor: WebhookFlavor, message: Message, values: Mapping[str, Any]) -> dict[str, Any]:
    """Pure: the JSON body of ``message`` in ``flavor``'s shape (``values``: the release, for ``json``)."""
    if flavor is WebhookFlavor.SLACK:
        return {
            "text": message.subject,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": message.text}}],
        }
    if flavor is WebhookFlavor.DISCORD:
        return {
            "content": message.subject,
            "embeds": [{"title": message.subject, "description": message.text[:4096]}],
        }
    if flavor is WebhookFlavor.TEAMS:
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": message.subject,
            "title": message.subject,
            "text": message.text,
        }
    return {"subject": message.subject, "text": message.text, **values}


def body_from_template(template: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Pure: a body rendered from a Jinja2 template (``tojson`` is available); must be a JSON object."""
    text = render(template, values)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"the webhook template does not render JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    if not isinstance(body, dict):
        raise ValueError("the webhook template must render a JSON object")
    return body


def signature(body: bytes, key: str) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Delivery:
    """How a delivery ended: ok, the last HTTP status (None: no answer), attempts, and what happened."""

    ok: bool
    status: int | None
    attempts: int
    message: str
    transient: bool = False


class _ServerError(Exception):
    """A 5xx answer: worth another attempt."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def post_webhook(
    url: str,
    body: Mapping[str, Any],
    secret: str | None,
    timeout: float = 30.0,
    attempts: int = 4,
    wait: float = 0.5,
) -> Delivery:
    """POST ``body`` to ``url`` (signed with ``secret`` if given); retry 5xx and transport errors with
    exponential backoff up to ``attempts`` times, never a 4xx."""
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "codemonkeys"}
    if secret:
        headers[SIGNATURE_HEADER] = signature(data, secret)
    host = urlsplit(url).netloc or "the webhook"
    retrying = Retrying(
        stop=stop_after_attempt(max(1, attempts)),
        wait=wait_exponential(multiplier=wait, max=30 * wait),
        retry=retry_if_exception_type((_ServerError, httpx.TransportError)),
        reraise=True,
    )
    status: int | None = None
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            for attempt in retrying:
                with attempt:
                    status = client.post(url, content=data, headers=headers).status_code
                    if status >= 500:
                        raise _ServerError(status)
    except _ServerError as exc:
        n = retrying.statistics.get("attempt_number", 1)
        return Delivery(False, exc.status, n, f"{host} answered {exc.status} {n} times", transient=True)
    except httpx.TransportError as exc:
        n = retrying.statistics.get("attempt_number", 1)
        return Delivery(False, None, n, f"cannot reach {host}: {type(exc).__name__}", transient=True)
    n = retrying.statistics.get("attempt_number", 1)
    if status is not None and status >= 400:
        return Delivery(False, status, n, f"{host} refused the announcement: HTTP {status} (not retried)")
    return Delivery(True, status, n, f"{host} accepted the announcement (HTTP {status})")
