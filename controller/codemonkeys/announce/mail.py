"""Email delivery: one message with a plain-text and an HTML part, over SMTP with STARTTLS and login
(credentials from the environment variables the channel names). Failures are values; the password is
never part of one.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import make_msgid

from codemonkeys.announce.message import Message
from codemonkeys.announce.webhook import Delivery


def build_email(
    message: Message, sender: str, to: Sequence[str], message_id: str | None = None
) -> EmailMessage:
    """Pure: the MIME message (multipart/alternative: text/plain then text/html)."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Message-ID"] = message_id or make_msgid(domain="codemonkeys.dev")
    mail.set_content(message.text + "\n")
    mail.add_alternative(message.html, subtype="html")
    return mail


def send_email(
    mail: EmailMessage,
    host: str,
    port: int,
    *,
    starttls: bool = True,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 30.0,
    tls: ssl.SSLContext | None = None,
) -> Delivery:
    """Send ``mail`` through ``host:port``: STARTTLS first if asked (``tls``: the context, default the
    system's), then login if credentials are given. A 4xx reply or a lost connection is transient."""
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if starttls:
                smtp.starttls(context=tls or ssl.create_default_context())
                smtp.ehlo()
            if username and password:
                try:
                    smtp.login(username, password)
                except smtplib.SMTPException as exc:  # refused, or the server hung up on a bad login
                    code = getattr(exc, "smtp_code", None)
                    return Delivery(False, code, 1, f"{host} refused the login ({type(exc).__name__})")
            refused = smtp.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        transient = 400 <= exc.smtp_code < 500
        return Delivery(False, exc.smtp_code, 1, f"{host} answered SMTP {exc.smtp_code}", transient=transient)
    except smtplib.SMTPException as exc:
        return Delivery(False, None, 1, f"SMTP with {host} failed: {type(exc).__name__}", transient=True)
    except (OSError, ssl.SSLError) as exc:
        return Delivery(False, None, 1, f"cannot reach {host}:{port}: {type(exc).__name__}", transient=True)
    if refused:
        return Delivery(False, 550, 1, f"{host} refused recipients: {', '.join(sorted(refused))}")
    return Delivery(True, 250, 1, f"sent to {', '.join(mail['To'].split(', '))} through {host}")
