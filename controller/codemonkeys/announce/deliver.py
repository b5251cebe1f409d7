"""One delivery to a webhook or email channel (announcements and notifications share it).

A browser channel is not a delivery target here: its macro posts a release note, not an event.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from codemonkeys.announce.mail import build_email, send_email
from codemonkeys.announce.message import Message
from codemonkeys.announce.webhook import Delivery, body_for, body_from_template, post_webhook
from codemonkeys.kinds.models import EmailChannel, SecretRef, WebhookChannel


def deliver(
    channel: WebhookChannel | EmailChannel,
    message: Message,
    values: Mapping[str, Any],
    *,
    root: Path,
    secret: Callable[[str | SecretRef | None], str | None],
    tls: ssl.SSLContext | None = None,
) -> Delivery:
    """Send ``message`` on ``channel``: a webhook POST in the channel's flavour (or its template, rendered
    with ``values``), signed with its secret; or an email. ``secret(name)`` resolves the channel's secret
    names (environment variables) and ``{secretRef: NAME}``. Failures are values (``Delivery``), never
    carrying a secret."""
    if isinstance(channel, WebhookChannel):
        body = (
            body_from_template((root / channel.template).read_text(), values)
            if channel.template
            else body_for(channel.flavor, message, values)
        )
        ref = channel.key or channel.key_env
        key = secret(ref) if ref else None
        if ref and not key:
            return Delivery(False, None, 0, f"the webhook secret {_name(ref)} is not set")
        return post_webhook(channel.url, body, key, timeout=channel.timeout)
    login: dict[str, str | None] = {}
    for part, env_name, value in (
        ("username", channel.username_env, channel.username),
        ("password", channel.password_env, channel.password),
    ):
        ref = env_name or value
        login[part] = value if isinstance(ref, str) and value is not None else (secret(ref) if ref else None)
        if isinstance(ref, SecretRef) and not login[part]:
            return Delivery(False, None, 0, f"the SMTP {part} secret {ref.secret_ref} cannot be resolved")
    mail = build_email(message, channel.sender, channel.to)
    return send_email(
        mail,
        channel.host,
        channel.port,
        starttls=channel.starttls,
        username=login["username"],
        password=login["password"],
        timeout=channel.timeout,
        tls=tls,
    )


def _name(ref: str | SecretRef) -> str:
    return ref.secret_ref if isinstance(ref, SecretRef) else ref


def smtp_tls(env: Mapping[str, str]) -> ssl.SSLContext:
    """The TLS context for STARTTLS: the system's, or one trusting ``CM_SMTP_CA_FILE`` (a private CA)."""
    ca = env.get("CM_SMTP_CA_FILE")
    return ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
