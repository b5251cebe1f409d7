"""announce.post by email against a real SMTP server in the test process (aiosmtpd): STARTTLS with a
certificate the test makes, login required, one message with a text and an HTML part, parsed and checked."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest

from announce_fleet import write_fleet
from conftest import cmctl
from need import need_module

need_module("aiosmtpd", "pip install -e '.[test]'")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-pass-9876"


def _certificate(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class Inbox:
    """The aiosmtpd handler: keeps every message's envelope."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


def _auth(server, session, envelope, mechanism, data) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@pytest.fixture(scope="session")
def smtp(tmp_path_factory) -> Iterator[tuple[Controller, Inbox, Path]]:
    """A real SMTP server (aiosmtpd) with STARTTLS and login, once per session."""
    cert, key = _certificate(tmp_path_factory.mktemp("smtp"))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        authenticator=_auth,
        auth_require_tls=True,
    )
    controller.start()
    yield controller, inbox, cert
    controller.stop()


def test_apply_sends_a_text_and_html_email_over_starttls_with_login(tmp_path: Path, smtp):
    controller, inbox, cert = smtp
    inbox.messages.clear()
    channels = {
        "mail": {
            "type": "email",
            "host": "127.0.0.1",
            "port": controller.port,
            "from": "releases@example.com",
            "to": ["team@example.com", "ops@example.com"],
            "usernameEnv": "SMTP_USER",
            "passwordEnv": "SMTP_PASSWORD",
        }
    }
    announce = {
        "channels": ["mail"],
        "template": "{{ product }} {{ version }} is out <b>now</b>\n\n{{ changelog }}",
    }
    fleet = write_fleet(tmp_path, channels, announce)
    env = {"SMTP_USER": SMTP_USER, "SMTP_PASSWORD": SMTP_PASSWORD, "CM_SMTP_CA_FILE": str(cert)}
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(inbox.messages) == 1
    sender, rcpts, raw = inbox.messages[0]
    assert sender == "releases@example.com" and rcpts == ["team@example.com", "ops@example.com"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "shop 1.0.0 released" and msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "shop 1.0.0 is out <b>now</b>" in text and "checkout page" in text
    assert "is out &lt;b&gt;now&lt;/b&gt;" in html and "<h2>shop 1.0.0 released</h2>" in html
    audit = cmctl("audit", "--fleet", str(fleet), "--json", "--limit", "0").stdout
    assert SMTP_PASSWORD not in audit and SMTP_PASSWORD not in raw.decode()


def test_a_wrong_password_fails_and_says_so_without_it(tmp_path: Path, smtp):
    controller, inbox, cert = smtp
    inbox.messages.clear()
    channels = {
        "mail": {
            "type": "email",
            "host": "127.0.0.1",
            "port": controller.port,
            "from": "releases@example.com",
            "to": ["team@example.com"],
            "usernameEnv": "SMTP_USER",
            "passwordEnv": "SMTP_PASSWORD",
        }
    }
    fleet = write_fleet(tmp_path, channels, {"channels": ["mail"]})
    env = {"SMTP_USER": SMTP_USER, "SMTP_PASSWORD": "wrong-password-1", "CM_SMTP_CA_FILE": str(cert)}
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", env=env)
    assert r.returncode == 1 and inbox.messages == []
    doc = json.loads(cmctl("logs", "shop/announce.post/mail", "--fleet", str(fleet), "--json").stdout)
    assert "refused the login" in doc["message"] and "wrong-password-1" not in json.dumps(doc)
