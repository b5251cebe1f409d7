"""Real package registries for the tests: pypiserver, verdaccio (npm) and Distribution (OCI).

Each `start_*` helper runs the real server as a subprocess on 127.0.0.1 and a free port, with its
storage, config, credentials and log file inside the given work dir, waits until it answers HTTP,
and returns a `Server`. Nothing is downloaded here: `scripts/install-test-servers` installs the
programs. A missing program raises `ServerUnavailable`; a program that does not come up raises
`ServerStartError` with the tail of its log.

Distribution also runs with token auth (`start_oci_token_registry`) behind a token service of ours
(oci_token.py). `npm_publish` and `oci_push_tags` publish through the registries' own HTTP APIs.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin

import bcrypt

from servers.process import ManagedProcess, tail

if TYPE_CHECKING:
    from servers.oci_token import TokenService

HOST = "127.0.0.1"
VERDACCIO_DIR = Path(__file__).resolve().parent / "verdaccio"
DOCKER_REGISTRY = Path("/usr/bin/docker-registry")
INSTALL_HINT = "run scripts/install-test-servers"
# verdaccio: packages only an authenticated user may read (everything else: anyone reads)
NPM_PRIVATE_SCOPE = "@cm-private"
NPM_PRIVATE_PREFIX = "cm-private-"


class ServerUnavailable(RuntimeError):
    """The server's program is not installed on this machine."""


class ServerStartError(RuntimeError):
    """The server's program is installed but did not come up."""


@dataclass
class Server(ManagedProcess):
    """A running registry. `password` is the user's password (verdaccio also has a `token`)."""

    name: str
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    username: str
    password: str
    process: subprocess.Popen
    workdir: Path
    log_path: Path
    startup_seconds: float = 0.0
    token: str | None = None  # npm: bearer token of `username`
    npmrc: Path | None = None  # npm: a userconfig file with the registry and its token
    _log_file: object = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def npmrc_text(self) -> str | None:
        return self.npmrc.read_text() if self.npmrc else None

    def authed_url(self, path: str = "/") -> str:
        """The URL with the credentials in it (http://USER:PASS@127.0.0.1:PORT/PATH)."""
        return f"http://{self.username}:{self.password}@{HOST}:{self.port}{path}"

    def basic_auth_header(self) -> dict[str, str]:
        raw = f"{self.username}:{self.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


# --- helpers ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of GET url, or None when nothing answers yet."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def _bcrypt_hash(password: str) -> str:
    # Cost 6: every request to the OCI registry checks the password, keep it cheap (Go's minimum is 4).
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=6)).decode()


def _launch(
    name: str,
    argv: Sequence[str],
    workdir: Path,
    port: int,
    ready_path: str,
    *,
    ready: Callable[[int], bool] = lambda status: True,
    env: dict[str, str] | None = None,  # the whole environment (default: ours)
    timeout: float = 60.0,
    username: str,
    password: str,
) -> Server:
    """Start argv, log to workdir/NAME.log, poll http://127.0.0.1:PORT/READY_PATH until it answers."""
    log_path = workdir / f"{name}.log"
    log_file = open(log_path, "ab")  # noqa: SIM115 - closed by Server.stop()
    started = time.monotonic()
    process = subprocess.Popen(
        list(argv),
        cwd=workdir,
        env=dict(os.environ) if env is None else env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(
        name=name,
        url=f"http://{HOST}:{port}",
        username=username,
        password=password,
        process=process,
        workdir=workdir,
        log_path=log_path,
        _log_file=log_file,
    )
    deadline = started + timeout
    while True:
        if process.poll() is not None:
            server.stop()
            raise ServerStartError(
                f"{name} exited with code {process.returncode} before it was ready "
                f"(port {port}); last lines of {log_path}:\n{tail(log_path, 40)}"
            )
        status = _http_status(server.url + ready_path)
        if status is not None and ready(status):
            server.startup_seconds = time.monotonic() - started
            return server
        if time.monotonic() > deadline:
            server.stop()
            raise ServerStartError(
                f"{name} did not answer on {server.url}{ready_path} within {timeout:.0f}s "
                f"(last status {status}); last lines of {log_path}:\n{tail(log_path, 40)}"
            )
        time.sleep(0.1)


def _with_port_retries(start: Callable[[int], Server], attempts: int = 3) -> Server:
    """Another process may take the free port between our probe and the server's bind: try again."""
    for attempt in range(attempts):
        try:
            return start(free_port())
        except ServerStartError as e:
            text = str(e).lower()
            busy = "address already in use" in text or "eaddrinuse" in text or "errno 98" in text
            if not busy or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


# --- pypiserver --------------------------------------------------------------------------------------


def pypiserver_program() -> Path:
    """pypi-server next to the running Python (the venv), else on PATH."""
    candidate = Path(sys.executable).parent / "pypi-server"
    if candidate.exists():
        return candidate
    found = shutil.which("pypi-server")
    if not found:
        raise ServerUnavailable(f"pypi-server is not installed ({INSTALL_HINT})")
    return Path(found)


def start_pypiserver(
    workdir: Path,
    *,
    username: str = "cm",
    authenticate: Sequence[str] = ("update", "download", "list"),
    timeout: float = 60.0,
) -> Server:
    """pypiserver with packages in WORKDIR/packages and an htpasswd (apr1) user.

    With the default `authenticate`, reading (`/simple/`) needs the credentials too: use
    `server.authed_url("/simple/")`. Pass `authenticate=("update",)` for anonymous reads.
    """
    program = pypiserver_program()
    workdir = Path(workdir)
    packages = workdir / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(16)
    htpasswd = workdir / "htpasswd"
    # bcrypt, which pypiserver verifies through passlib's HtpasswdFile.
    htpasswd.write_text(f"{username}:{_bcrypt_hash(password)}\n")

    def start(port: int) -> Server:
        argv = [str(program), "run", "-i", HOST, "-p", str(port)]
        argv += ["-P", str(htpasswd), "-a", ",".join(authenticate) or "."]
        argv += ["--disable-fallback", "--hash-algo", "sha256", str(packages)]
        return _launch(
            "pypiserver",
            argv,
            workdir,
            port,
            "/health",
            ready=lambda status: status == 200,
            timeout=timeout,
            username=username,
            password=password,
        )

    return _with_port_retries(start)


# --- verdaccio ---------------------------------------------------------------------------------------


def verdaccio_program() -> list[str]:
    node = shutil.which("node")
    script = VERDACCIO_DIR / "node_modules" / "verdaccio" / "bin" / "verdaccio"
    if not node:
        raise ServerUnavailable(f"node is not installed ({INSTALL_HINT})")
    if not script.exists():
        raise ServerUnavailable(f"verdaccio is not installed in {VERDACCIO_DIR} ({INSTALL_HINT})")
    return [node, str(script)]


def _verdaccio_config(workdir: Path, port: int) -> str:
    # JSON is YAML: no quoting surprises with '$all' and '**'.
    private = {"access": "$authenticated", "publish": "$authenticated", "unpublish": "$authenticated"}
    config = {
        "storage": str(workdir / "storage"),
        "plugins": str(workdir / "plugins"),
        "auth": {"htpasswd": {"file": str(workdir / "htpasswd"), "max_users": 100}},
        "uplinks": {},
        # The first pattern that matches a package name decides (JSON keeps this order).
        "packages": {
            f"{NPM_PRIVATE_SCOPE}/*": private,
            f"{NPM_PRIVATE_PREFIX}*": private,
            "@*/*": {"access": "$all", "publish": "$authenticated", "unpublish": "$authenticated"},
            "**": {"access": "$all", "publish": "$authenticated", "unpublish": "$authenticated"},
        },
        "listen": f"{HOST}:{port}",
        "web": {"enable": False},
        "publish": {"allow_offline": True},
        "max_body_size": "50mb",
        "log": {"type": "stdout", "format": "pretty", "level": "warn"},
    }
    return json.dumps(config, indent=2) + "\n"


def _add_npm_user(url: str, username: str, password: str, timeout: float = 30.0) -> str:
    """Create the user as `npm adduser` does; returns its token."""
    body = json.dumps({"name": username, "password": password, "type": "user", "roles": []}).encode()
    req = urllib.request.Request(
        f"{url}/-/user/org.couchdb.user:{username}",
        data=body,
        method="PUT",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        token = json.loads(resp.read()).get("token")
    if not token:
        raise ServerStartError(f"verdaccio at {url} created user {username!r} but returned no token")
    return token


def start_verdaccio(workdir: Path, *, username: str = "cm", timeout: float = 90.0) -> Server:
    """verdaccio with storage in WORKDIR/storage, no uplinks, and one user with a token.

    `server.npmrc` is a userconfig for `npm publish --registry URL --userconfig NPMRC`.
    """
    program = verdaccio_program()
    workdir = Path(workdir)
    (workdir / "plugins").mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(16)

    def start(port: int) -> Server:
        config = workdir / "config.yaml"
        config.write_text(_verdaccio_config(workdir, port))
        return _launch(
            "verdaccio",
            [*program, "--config", str(config)],
            workdir,
            port,
            "/-/ping",
            ready=lambda status: status == 200,
            # No telemetry, no update checks, no colours in the log.
            env={**os.environ, "NODE_ENV": "production", "NO_COLOR": "1", "FORCE_COLOR": "0"},
            timeout=timeout,
            username=username,
            password=password,
        )

    server = _with_port_retries(start)
    try:
        server.token = _add_npm_user(server.url, username, password)
    except (urllib.error.URLError, OSError, ServerStartError) as e:
        server.stop()
        raise ServerStartError(
            f"verdaccio is up at {server.url} but creating user {username!r} failed: {e}; "
            f"last lines of {server.log_path}:\n{server.log_tail()}"
        ) from e
    server.npmrc = workdir / "npmrc"
    server.npmrc.write_text(npmrc_text(server.url, server.token))
    return server


def npmrc_text(url: str, token: str) -> str:
    """An npm userconfig that points at the registry and authenticates with the token."""
    hostpath = url.split("://", 1)[1].rstrip("/")
    return f"registry={url}/\n//{hostpath}/:_authToken={token}\n"


def npm_tarball(name: str, version: str) -> bytes:
    """A minimal package tarball (package/package.json, package/index.js), as `npm pack` lays it out."""
    manifest = {"name": name, "version": version, "main": "index.js", "license": "MIT"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, data in (
            ("package/package.json", json.dumps(manifest, indent=2).encode() + b"\n"),
            ("package/index.js", b"module.exports = 'hello';\n"),
        ):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue(), mtime=0)


def npm_publish(server: Server, name: str, version: str, *, tag: str = "latest", timeout: float = 30) -> None:
    """Publish NAME@VERSION to verdaccio with the server's token, as `npm publish` (libnpmpublish) does:
    `PUT /NAME` (scoped names escaped) with the version's manifest and its tarball attached."""
    tarball = npm_tarball(name, version)
    tarball_name = f"{name}-{version}.tgz"
    manifest = {
        "name": name,
        "version": version,
        "main": "index.js",
        "license": "MIT",
        "_id": f"{name}@{version}",
        "dist": {
            "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode(),
            "shasum": hashlib.sha1(tarball).hexdigest(),
            "tarball": f"{server.url}/{name}/-/{tarball_name}",
        },
    }
    body = {
        "_id": name,
        "name": name,
        "dist-tags": {tag: version},
        "versions": {version: manifest},
        "access": None,
        "_attachments": {
            tarball_name: {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(tarball).decode(),
                "length": len(tarball),
            }
        },
    }
    escaped = quote(name, safe="@")  # @scope/name -> @scope%2Fname
    req = urllib.request.Request(
        f"{server.url}/{escaped}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {server.token}"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        if resp.status not in (200, 201):
            raise AssertionError(f"publishing {name}@{version}: HTTP {resp.status}")


# --- OCI registry (Distribution 2.8, Debian docker-registry) -----------------------------------------


def start_oci_registry(
    workdir: Path,
    *,
    username: str = "cm",
    timeout: float = 60.0,
    token_service: TokenService | None = None,
) -> Server:
    """Distribution with filesystem storage in WORKDIR/storage and htpasswd (bcrypt) basic auth, or,
    given a `token_service`, token auth trusting it (`username` must be one of its users).

    Push: `skopeo copy --dest-creds USER:PASS --dest-tls-verify=false oci:DIR:TAG
    docker://127.0.0.1:PORT/NAME:TAG`, or `oci_push_tags`. Plain HTTP, so clients must treat it as
    insecure.
    """
    if not DOCKER_REGISTRY.exists():
        raise ServerUnavailable(f"{DOCKER_REGISTRY} is not installed ({INSTALL_HINT})")
    workdir = Path(workdir)
    (workdir / "storage").mkdir(parents=True, exist_ok=True)
    if token_service is None:
        password = secrets.token_hex(16)
        htpasswd = workdir / "htpasswd"
        htpasswd.write_text(f"{username}:{_bcrypt_hash(password)}\n")
        auth: dict = {"htpasswd": {"realm": "codemonkeys-test", "path": str(htpasswd)}}
    else:
        password = token_service.users[username]
        auth = token_service.registry_auth_config()

    def start(port: int) -> Server:
        config = workdir / "config.yml"
        config.write_text(
            json.dumps(
                {
                    "version": "0.1",
                    "log": {"level": "info", "fields": {"service": "registry"}},
                    "storage": {
                        "filesystem": {"rootdirectory": str(workdir / "storage")},
                        "delete": {"enabled": True},
                        "cache": {"blobdescriptor": "inmemory"},
                    },
                    "http": {
                        "addr": f"{HOST}:{port}",
                        "secret": secrets.token_hex(16),
                        "headers": {"X-Content-Type-Options": ["nosniff"]},
                    },
                    "auth": auth,
                },
                indent=2,
            )
            + "\n"
        )
        # REGISTRY_* variables override the config file: keep the caller's out.
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        return _launch(
            "oci-registry",
            [str(DOCKER_REGISTRY), "serve", str(config)],
            workdir,
            port,
            "/v2/",
            # /v2/ answers 401 without credentials once the registry is up.
            ready=lambda status: status in (200, 401),
            env=env,
            timeout=timeout,
            username=username,
            password=password,
        )

    return _with_port_retries(start)


@dataclass
class TokenRegistry:
    """Distribution with token auth (`registry`) and the token service of ours it trusts (`tokens`).

    `registry.username`/`registry.password` are the token service's user.
    """

    registry: Server
    tokens: TokenService

    def stop(self) -> None:
        try:
            self.registry.stop()
        finally:
            self.tokens.stop()

    def __enter__(self) -> TokenRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def push_authorization(self, repository: str) -> str:
        """An `Authorization` value that may push to and pull from `repository` (issued directly)."""
        access = [{"type": "repository", "name": repository, "actions": ["pull", "push"]}]
        return "Bearer " + self.tokens.issue(self.registry.username, access)


def start_oci_token_registry(workdir: Path, *, username: str = "cm", timeout: float = 60.0) -> TokenRegistry:
    """Our token service (a thread of this process), then Distribution with `auth: token` trusting it."""
    if not DOCKER_REGISTRY.exists():
        raise ServerUnavailable(f"{DOCKER_REGISTRY} is not installed ({INSTALL_HINT})")
    try:
        from servers.oci_token import start_token_service
    except ImportError as e:  # cryptography signs the tokens
        raise ServerUnavailable(f"the OCI token service needs {e.name or e} ({INSTALL_HINT})") from e
    workdir = Path(workdir)
    tokens = start_token_service(workdir, {username: secrets.token_hex(16)})
    try:
        registry = start_oci_registry(workdir, username=username, timeout=timeout, token_service=tokens)
    except BaseException:
        tokens.stop()
        raise
    return TokenRegistry(registry, tokens)


OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = json.dumps(
    {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
)


def oci_push_tags(
    url: str, repository: str, tags: Sequence[str], authorization: str, *, timeout: float = 30
) -> str:
    """Push a tiny image (a config blob, no layers) to URL/REPOSITORY under each tag with plain HTTP,
    as the distribution spec's push goes: `POST blobs/uploads/`, `PUT <location>&digest=`, then
    `PUT manifests/<tag>` per tag. Returns the manifest digest."""
    config = OCI_CONFIG.encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": len(config),
            },
            "layers": [],
        }
    ).encode()

    def call(method: str, target: str, data: bytes | None, content_type: str | None = None):
        headers = {"Authorization": authorization}
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(urljoin(url, target), data=data, method=method, headers=headers)
        try:
            return urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise AssertionError(f"{method} {target}: HTTP {e.code}: {detail}") from None

    with call("POST", f"/v2/{repository}/blobs/uploads/", b"") as resp:
        location = resp.headers["Location"]
    sep = "&" if "?" in location else "?"
    upload = f"{location}{sep}digest={quote(config_digest)}"
    with call("PUT", upload, config, "application/octet-stream"):
        pass
    for tag in tags:
        with call("PUT", f"/v2/{repository}/manifests/{tag}", manifest, OCI_MANIFEST):
            pass
    return "sha256:" + hashlib.sha256(manifest).hexdigest()
