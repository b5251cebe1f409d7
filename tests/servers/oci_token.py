"""A token service of ours for the real Distribution registry's token auth (`auth: token`).

Distribution 2.8 checks a bearer token itself: a JWT whose `x5c` header carries a certificate that
chains to its `rootcertbundle`, whose `iss`/`aud` are its `issuer`/`service`, that has not expired,
and whose `access` claim grants the scope the request needs. What it does not do is issue them: the
401 challenge sends clients to the `realm`, a token service. This is that service, and the only part
of the flow that is ours:

    GET /token?service=SERVICE&scope=repository:NAME:pull[,push]   (Authorization: Basic, optional)

- right credentials: a token granting every requested `repository` action;
- no credentials: a token granting `pull` on repositories under `public/` and nothing else (as public
  registries answer anonymous clients), so the registry still refuses anything private;
- wrong credentials: 401 (JSON error body, `WWW-Authenticate: Basic`), as docker's token services do.

It runs as a thread of the test process on 127.0.0.1 and a free port. The ES256 key and its
self-signed certificate (the registry's `rootcertbundle`) are made per start with `cryptography`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
TOKEN_SECONDS = 300
PUBLIC_PREFIX = "public/"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _key_and_certificate(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def parse_scope(scope: str) -> tuple[str, str, list[str]] | None:
    """`repository:acme/widgets:pull,push` -> ("repository", "acme/widgets", ["pull", "push"])."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not kind or not name or not actions:
        return None
    return kind, name, [a for a in actions.split(",") if a]


@dataclass
class TokenService:
    """The running token service. `issued` records (subject, access) of every token it gave out."""

    url: str  # http://127.0.0.1:PORT
    service: str
    issuer: str
    rootcertbundle: Path
    users: dict[str, str]
    issued: list[tuple[str, list[dict]]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # usernames (or "") whose credentials were wrong
    _key: ec.EllipticCurvePrivateKey | None = field(default=None, repr=False)
    _cert_der: bytes = field(default=b"", repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)

    @property
    def realm(self) -> str:
        return f"{self.url}/token"

    def registry_auth_config(self) -> dict:
        """The registry's `auth:` section that trusts this service."""
        return {
            "token": {
                "realm": self.realm,
                "service": self.service,
                "issuer": self.issuer,
                "rootcertbundle": str(self.rootcertbundle),
            }
        }

    def issue(self, subject: str, access: list[dict], seconds: int = TOKEN_SECONDS) -> str:
        """A signed JWT (ES256, the certificate in `x5c`) granting `access` to `subject`."""
        assert self._key is not None
        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(self._cert_der).decode("ascii")]}
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + seconds,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        der = self._key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)  # JWS wants r || s, 32 bytes each
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        self.issued.append((subject, access))
        return f"{signing_input}.{_b64url(signature)}"

    def grant(self, subject: str, scopes: list[str]) -> list[dict]:
        """What `subject` ("" for anonymous) gets of the requested scopes."""
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None or parsed[0] != "repository":
                continue
            kind, name, actions = parsed
            if not subject:
                actions = ["pull"] if name.startswith(PUBLIC_PREFIX) and "pull" in actions else []
            if actions:
                access.append({"type": kind, "name": name, "actions": actions})
        return access

    def authenticate(self, header: str | None) -> str | None:
        """The username of a right Basic header, "" without one, None for wrong credentials."""
        if not header:
            return ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            username, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if username in self.users and secrets.compare_digest(self.users[username], password):
            return username
        self.refused.append(username)
        return None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TokenService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_token_service(
    workdir: Path,
    users: dict[str, str],
    *,
    service: str = "codemonkeys-test-registry",
    issuer: str = "codemonkeys-test-token-service",
) -> TokenService:
    """Make the key and certificate (WORKDIR/token-ca.pem), then serve `/token` from a thread."""
    key, cert = _key_and_certificate(issuer)
    bundle = Path(workdir) / "token-ca.pem"
    bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    holder: list[TokenService] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            tokens = holder[0]
            parts = urlsplit(self.path)
            if parts.path != "/token":
                self._answer(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
                return
            query = parse_qs(parts.query)
            if query.get("service") != [tokens.service]:
                self._answer(400, {"errors": [{"code": "DENIED", "message": "unknown service"}]})
                return
            subject = tokens.authenticate(self.headers.get("Authorization"))
            if subject is None:
                self._answer(
                    401,
                    {"errors": [{"code": "UNAUTHORIZED", "message": "incorrect username or password"}]},
                    {"WWW-Authenticate": 'Basic realm="codemonkeys-test-token-service"'},
                )
                return
            token = tokens.issue(subject, tokens.grant(subject, query.get("scope", [])))
            issued_at = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
            self._answer(
                200,
                {"token": token, "access_token": token, "expires_in": TOKEN_SECONDS, "issued_at": issued_at},
            )

        def _answer(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    server.daemon_threads = True
    tokens = TokenService(
        url=f"http://{HOST}:{server.server_address[1]}",
        service=service,
        issuer=issuer,
        rootcertbundle=bundle,
        users=dict(users),
        _key=key,
        _cert_der=cert.public_bytes(serialization.Encoding.DER),
        _server=server,
    )
    holder.append(tokens)
    threading.Thread(target=server.serve_forever, name="oci-token-service", daemon=True).start()
    return tokens
