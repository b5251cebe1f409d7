"""Registry observers: pure parses on recorded payloads, the HTTP layer (retries, rate limit, no secrets
in errors) on a mock transport, and fetches against real local servers.

Real servers: pypiserver (a real PyPI-compatible index, with and without basic auth) when it is
installed. For npm, crates and OCI a small ``http.server`` stands in for the registry: it serves the
recorded payloads at the paths the real APIs use and, for OCI, implements exactly the 401 challenges
and the token endpoint of the distribution spec's token flow (it stands in for the token service).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from codemonkeys.kinds.models import Credentials, Language, Registry, RegistryType
from codemonkeys.registries import observe_registry, resolve_auth
from codemonkeys.registries.crates import index_path, parse_sparse_index
from codemonkeys.registries.http import Auth, RateLimiter, RegistryError, RegistryHttp, safe_url
from codemonkeys.registries.npm import escape_name, parse_dist_tags, parse_packument
from codemonkeys.registries.oci import (
    ChallengeScheme,
    parse_errors,
    parse_tags,
    parse_www_authenticate,
)
from codemonkeys.registries.pypi import (
    index_urls,
    parse_pypi_json,
    parse_simple_html,
    parse_simple_json,
)
from codemonkeys.vocab.facts import RegistryFacts, Unknown

PAYLOADS = Path(__file__).parent / "payloads" / "registries"
USER, PASSWORD, TOKEN = "ci-bot", "s3cret-Pa55word", "tok-9f8e7d6c5b4a"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def no_secret(text: str, *secrets: str) -> None:
    for s in (*secrets, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()):
        assert s not in text


# --- pure parses on recorded payloads -----------------------------------------------------------------


def test_pypi_json_recorded_from_pypiserver():
    assert parse_pypi_json(payload("pypiserver-acme-widgets.json")).versions == ["1.0.0", "1.1.0", "2.0.0rc1"]


def test_pypi_json_keeps_yanked_and_drops_releases_without_files():
    facts = parse_pypi_json(payload("pypi-json-acme-widgets.json"))
    assert facts.versions == [
        "0.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0b1",
    ]  # 1.0.1 is yanked; 0.9.0 has no file


def test_pypi_json_without_releases_uses_info_version_and_normalizes():
    assert parse_pypi_json(b'{"info": {"version": "2.0.0-RC1"}}').versions == ["2.0.0rc1"]


def test_simple_html_recorded_from_pypiserver():
    text = payload("pypiserver-simple-acme-widgets.html").decode()
    assert parse_simple_html(text, "acme-widgets").versions == ["1.0.0", "1.1.0", "2.0.0rc1"]
    assert parse_simple_html(text, "Acme_Widgets").versions == ["1.0.0", "1.1.0", "2.0.0rc1"]
    assert parse_simple_html(text, "other-pkg").versions == []  # files of another project are ignored


def test_simple_html_and_json_agree_and_keep_yanked():
    html = parse_simple_html(payload("pypi-simple-acme-widgets.html").decode(), "acme-widgets")
    pep691 = parse_simple_json(payload("pypi-simple-acme-widgets.v1.json"), "acme-widgets")
    # the .exe (0.1) is not a wheel or sdist; 0.9.0 is in PEP 700 `versions` but has no file
    assert html.versions == pep691.versions == ["1.0.0", "1.0.1", "1.1.0", "2.0.0b1"]


@pytest.mark.parametrize("bad", [b"[]", b'{"files": 3}', b"not json"])
def test_simple_json_rejects_malformed(bad):
    with pytest.raises(ValueError):
        parse_simple_json(bad, "x")


def test_pypi_index_urls():
    assert index_urls("https://pypi.org", "Acme_Widgets") == (
        "https://pypi.org/pypi/acme-widgets/json",
        "https://pypi.org/simple/acme-widgets/",
    )
    assert index_urls("https://nexus.example/repository/pypi/simple/", "a.b")[1] == (
        "https://nexus.example/repository/pypi/simple/a-b/"
    )


def test_npm_recorded_packuments():
    assert parse_packument(payload("npm-is-number.json")).versions == [
        "0.1.0", "0.1.1", "1.0.0", "1.1.0", "1.1.1", "1.1.2", "2.0.0", "2.0.1", "2.0.2", "2.1.0",
        "3.0.0", "4.0.0", "5.0.0", "6.0.0", "7.0.0",
    ]  # fmt: skip
    assert parse_dist_tags(payload("npm-is-number.json")) == {"latest": "7.0.0"}
    scoped = payload("npm-npmcli-name-from-folder.json")
    assert parse_packument(scoped).versions == ["1.0.1", "2.0.0", "3.0.0", "4.0.0", "5.0.0"]


def test_npm_abbreviated_keeps_deprecated_and_reads_dist_tags():
    doc = payload("npm-acme-widgets.install-v1.json")
    assert parse_packument(doc).versions == ["1.0.0", "1.0.1", "1.1.0", "2.0.0-beta.1"]
    assert parse_dist_tags(doc) == {"latest": "1.1.0", "next": "2.0.0-beta.1"}


def test_npm_unpublished_has_no_versions():
    assert parse_packument(payload("npm-acme-gone.unpublished.json")).versions == []
    assert parse_dist_tags(payload("npm-acme-gone.unpublished.json")) == {}


def test_npm_escape_name():
    assert escape_name("@acme/widgets") == "@acme%2fwidgets"
    assert escape_name("is-number") == "is-number"
    assert escape_name("../etc") == "..%2Fetc"


@pytest.mark.parametrize(
    ("name", "path"),
    [("a", "1/a"), ("ab", "2/ab"), ("abc", "3/a/abc"), ("serde", "se/rd/serde"), ("Acme_W", "ac/me/acme_w")],
)
def test_crates_index_path(name, path):
    assert index_path(name) == path


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "x" * 65])
def test_crates_index_path_rejects_bad_names(bad):
    with pytest.raises(ValueError):
        index_path(bad)


def test_crates_sparse_index_excludes_yanked_unless_asked():
    text = payload("crates-acme-widgets.sparse").decode()
    assert parse_sparse_index(text).versions == ["0.1.0", "0.2.1", "1.0.0", "1.0.0-rc.1", "1.1.0"]
    assert "0.2.0" in parse_sparse_index(text, include_yanked=True).versions


def test_crates_sparse_index_malformed_line():
    with pytest.raises(ValueError, match="line 2"):
        parse_sparse_index('{"vers": "1.0.0"}\n{oops\n')


def test_oci_tags():
    assert parse_tags(payload("oci-tags-acme-widgets.json")).versions[:3] == ["1.0.0", "1.1.0", "latest"]
    assert parse_tags(payload("oci-tags-empty.json")).versions == []
    assert parse_errors(payload("oci-error-name-unknown.json")) == ["NAME_UNKNOWN"]
    assert parse_errors(b"<html>") == []


@pytest.mark.parametrize(
    ("header", "scheme", "params"),
    [
        ('Basic realm="Registry Realm"', ChallengeScheme.BASIC, {"realm": "Registry Realm"}),
        (
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:library/ubuntu:pull"',
            ChallengeScheme.BEARER,
            {
                "realm": "https://auth.docker.io/token",
                "service": "registry.docker.io",
                "scope": "repository:library/ubuntu:pull",
            },
        ),
        (
            'bearer Realm="https://ghcr.io/token", service=ghcr.io, scope="repository:a/b:pull,push"',
            ChallengeScheme.BEARER,
            {"realm": "https://ghcr.io/token", "service": "ghcr.io", "scope": "repository:a/b:pull,push"},
        ),
        ('Basic realm="say \\"hi\\"", Bearer realm="x"', ChallengeScheme.BASIC, {"realm": 'say "hi"'}),
    ],
)
def test_www_authenticate(header, scheme, params):
    challenge = parse_www_authenticate(header)
    assert challenge.scheme is scheme
    assert dict(challenge.params) == params


@pytest.mark.parametrize("header", ["", 'Negotiate realm="x"', "   "])
def test_www_authenticate_rejects(header):
    with pytest.raises(ValueError):
        parse_www_authenticate(header)


# --- the HTTP layer on a mock transport ---------------------------------------------------------------


@dataclass
class Script:
    """A MockTransport handler answering from a list, counting requests."""

    answers: list[Callable[[httpx.Request], httpx.Response] | int]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, int):
            return httpx.Response(answer, json={"echo": request.headers.get("authorization")})
        return answer(request)


class FakeTime:
    """A clock that only moves when slept on; records the sleeps."""

    def __init__(self, sleeps: list[float]):
        self.now, self.sleeps = 1000.0, sleeps

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def mock_http(script: Script, sleeps: list[float] | None = None, **kw) -> RegistryHttp:
    fake = FakeTime(sleeps if sleeps is not None else [])
    kw.setdefault("clock", fake.clock)
    return RegistryHttp(transport=httpx.MockTransport(script), sleep=fake.sleep, **kw)


def test_retries_5xx_then_succeeds_with_backoff():
    script, sleeps = Script([503, 502, 200]), []
    with mock_http(script, sleeps) as http:
        assert http.get("https://reg.example/x").status_code == 200
    assert len(script.requests) == 3
    assert sleeps == [0.5, 1.0]  # exponential backoff (the rate limit never waited: 10/s, backoff > 0.1s)


def test_retries_429_and_connect_errors():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    script = Script([429, refuse, 200])
    with mock_http(script) as http:
        assert http.get("https://reg.example/x").status_code == 200
    assert len(script.requests) == 3


def test_no_retry_on_4xx():
    script = Script([404])
    with mock_http(script) as http:
        assert http.get("https://reg.example/x", expect={404}).status_code == 404
        with pytest.raises(RegistryError) as err:
            http.get("https://reg.example/x")
    assert len(script.requests) == 2
    assert err.value.status == 404


def test_gives_up_after_three_attempts_and_never_names_a_credential():
    script = Script([500])
    url = f"https://{USER}:{PASSWORD}@reg.example/simple/x/"
    with mock_http(script) as http, pytest.raises(RegistryError) as err:
        http.get(url, auth=Auth(USER, PASSWORD))
    assert len(script.requests) == 3
    message = str(err.value)
    assert "https://reg.example/simple/x/" in message and "HTTP 500" in message
    assert err.value.status == 500
    no_secret(message, PASSWORD, TOKEN)


def test_timeouts_become_registry_errors():
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    script = Script([slow])
    with mock_http(script) as http, pytest.raises(RegistryError, match="timed out after 3 attempts"):
        http.get("https://reg.example/x", auth=Auth(token=TOKEN))
    assert len(script.requests) == 3


def test_auth_headers():
    script = Script([200])
    with mock_http(script) as http:
        http.get("https://a.example/", auth=Auth(USER, PASSWORD))
        http.get("https://a.example/", auth=Auth(token=TOKEN))
        http.get("https://a.example/", auth=Auth(USER, token=TOKEN))
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert [r.headers["authorization"] for r in script.requests] == [
        basic,
        f"Bearer {TOKEN}",
        "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode(),
    ]
    assert PASSWORD not in repr(Auth(USER, PASSWORD, TOKEN)) and TOKEN not in repr(Auth(token=TOKEN))


def test_rate_limiter_spaces_requests_per_host():
    now = [100.0]
    limiter = RateLimiter(rate=10, clock=lambda: now[0])
    assert [round(limiter.delay("a"), 3) for _ in range(4)] == [0.0, 0.1, 0.2, 0.3]
    assert limiter.delay("b") == 0.0  # hosts are independent
    now[0] += 10
    assert limiter.delay("a") == 0.0  # the bucket refilled


def test_rate_limiter_burst():
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: 0.0)
    assert [limiter.delay("h") for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 1.0]


def test_rate_limit_applies_to_requests():
    script, sleeps = Script([200]), []
    with mock_http(script, sleeps, rate=5) as http:
        for _ in range(3):
            http.get("https://reg.example/x")
        http.get("https://other.example/x")
    assert [round(s, 3) for s in sleeps] == [0.2, 0.2]  # 5/s on reg.example; other.example went at once


def test_safe_url():
    assert safe_url("https://u:p@h.example:8080/a?b=1#frag") == "https://h.example:8080/a?b=1"


# --- the dispatcher -----------------------------------------------------------------------------------


def registry(type_: str, url: str, **creds: str) -> Registry:
    return Registry.model_validate({"type": type_, "url": url, **({"credentials": creds} if creds else {})})


def test_resolve_auth():
    creds = Credentials(username_env="U", password_env="P")
    assert resolve_auth(creds, {"U": USER, "P": PASSWORD}) == Auth(USER, PASSWORD)
    assert resolve_auth(None, {}) is None
    with pytest.raises(RegistryError, match="environment variable P"):
        resolve_auth(creds, {"U": USER})


def test_dispatcher_file_registry(tmp_path: Path):
    (tmp_path / "simple" / "acme-widgets").mkdir(parents=True)
    (tmp_path / "simple" / "acme-widgets" / "acme_widgets-1.2.0-py3-none-any.whl").write_text("x")
    reg = Registry(type=RegistryType.FILE, path="registry")
    facts = observe_registry(reg, "local", Language.PYTHON, "acme-widgets", {}, None, file_root=tmp_path)
    assert facts == RegistryFacts(versions=["1.2.0"])
    missing = observe_registry(reg, "local", Language.PYTHON, "acme-widgets", {}, None)
    assert isinstance(missing, Unknown) and "'local'" in missing.error


def test_dispatcher_turns_errors_into_unknown_without_secrets():
    script = Script([500])
    reg = registry("npm", "https://npm.example", usernameEnv="U", passwordEnv="P")
    env = {"U": USER, "P": PASSWORD}
    with mock_http(script) as http:
        facts = observe_registry(reg, "npm-corp", Language.NODE, "@acme/widgets", env, http)
        unset = observe_registry(reg, "npm-corp", Language.NODE, "@acme/widgets", {}, http)
    assert isinstance(facts, Unknown)
    assert facts.error.startswith("registry 'npm-corp': GET https://npm.example/@acme%2fwidgets: HTTP 500")
    no_secret(facts.error, PASSWORD)
    assert isinstance(unset, Unknown) and "environment variable U" in unset.error
    assert len(script.requests) == 3


def test_dispatcher_payload_errors_are_unknown():
    script = Script([lambda r: httpx.Response(200, text="<html>not a packument</html>")])
    with mock_http(script) as http:
        facts = observe_registry(registry("npm", "https://npm.example"), "n", Language.NODE, "x", {}, http)
    assert isinstance(facts, Unknown) and "unexpected payload" in facts.error


# --- real servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


PACKAGES = [
    "acme_widgets-1.0.0-py3-none-any.whl",
    "acme-widgets-1.1.0.tar.gz",
    "acme_widgets-1.1.0-py3-none-any.whl",
    "acme_widgets-2.0.0rc1-py3-none-any.whl",
    "other_pkg-0.1-py3-none-any.whl",
]


@pytest.fixture(scope="module")
def pypiserver(tmp_path_factory) -> Iterator[Callable[[bool], str]]:
    """Start pypiserver (no auth, or basic auth on list + download) on demand; yields its base URL."""
    if importlib.util.find_spec("pypiserver") is None:
        pytest.skip("pypiserver is not installed (pip install pypiserver passlib)")
    root = tmp_path_factory.mktemp("pypiserver")
    packages = root / "packages"
    packages.mkdir()
    for name in PACKAGES:
        (packages / name).write_bytes(b"not really a distribution: pypiserver lists by file name")
    procs: dict[bool, tuple[subprocess.Popen, str]] = {}

    def start(with_auth: bool) -> str:
        if with_auth in procs:
            return procs[with_auth][1]
        port = free_port()
        tail = ["--disable-fallback", str(packages)]
        if with_auth:
            with warnings.catch_warnings():  # passlib imports the deprecated `crypt`
                warnings.simplefilter("ignore", DeprecationWarning)
                from passlib.apache import HtpasswdFile

                htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
                htpasswd.set_password(USER, PASSWORD)
                htpasswd.save()
            auth_args = ["-P", str(root / "htpasswd"), "-a", "list,download"]
        else:
            auth_args = ["-P", ".", "-a", "."]
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pypiserver",
                "run",
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
                *auth_args,
                *tail,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        procs[with_auth] = (proc, url)
        wait_until_up(url + "/health", proc)
        return url

    yield start
    for proc, _ in procs.values():
        proc.terminate()
        proc.wait(timeout=10)


def test_pypiserver_real(pypiserver):
    url = pypiserver(False)
    with RegistryHttp() as http:
        reg = registry("pypi", url)
        facts = observe_registry(reg, "pypi-local", Language.PYTHON, "Acme_Widgets", {}, http)
        assert facts == RegistryFacts(versions=["1.0.0", "1.1.0", "2.0.0rc1"])
        assert observe_registry(reg, "pypi-local", Language.PYTHON, "other-pkg", {}, http).versions == ["0.1"]
        assert observe_registry(reg, "pypi-local", Language.PYTHON, "not-there-yet", {}, http).versions == []
        # the index URL given as its /simple/ page works too
        simple = registry("pypi", url + "/simple/")
        assert observe_registry(simple, "p", Language.PYTHON, "acme-widgets", {}, http) == facts


def test_pypiserver_real_with_basic_auth(pypiserver):
    url = pypiserver(True)
    reg = registry("pypi", url, usernameEnv="PYPI_USER", passwordEnv="PYPI_PASSWORD")
    with RegistryHttp() as http:
        good = observe_registry(
            reg, "corp", Language.PYTHON, "acme-widgets", {"PYPI_USER": USER, "PYPI_PASSWORD": PASSWORD}, http
        )
        assert good == RegistryFacts(versions=["1.0.0", "1.1.0", "2.0.0rc1"])
        wrong = "wrong-" + PASSWORD
        bad = observe_registry(
            reg, "corp", Language.PYTHON, "acme-widgets", {"PYPI_USER": USER, "PYPI_PASSWORD": wrong}, http
        )
        anonymous = observe_registry(registry("pypi", url), "corp", Language.PYTHON, "acme-widgets", {}, http)
    # pypiserver answers a wrong password with 403, no credentials with 401
    assert isinstance(bad, Unknown) and "HTTP 403" in bad.error and f"{url}/simple/acme-widgets/" in bad.error
    no_secret(bad.error, wrong, PASSWORD)
    assert isinstance(anonymous, Unknown) and "HTTP 401" in anonymous.error


@dataclass
class Served:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[str, dict[str, str]], Served]


@pytest.fixture
def stand_in() -> Iterator[Callable[[Route], tuple[str, list[tuple[str, dict[str, str]]]]]]:
    """A local HTTP server answering ``route(path, headers)``; records (path, headers) of each request."""
    servers: list[ThreadingHTTPServer] = []

    def start(route: Route) -> tuple[str, list[tuple[str, dict[str, str]]]]:
        seen: list[tuple[str, dict[str, str]]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen.append((self.path, headers))
                answer = route(self.path, headers)
                self.send_response(answer.status)
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


JSON = {"Content-Type": "application/json"}


def test_npm_fetch(stand_in):
    def route(path: str, headers: dict[str, str]) -> Served:
        if path == "/@npmcli%2fname-from-folder":
            return Served(200, payload("npm-npmcli-name-from-folder.json"), JSON)
        return Served(404, b'{"error":"Not found"}', JSON)

    url, seen = stand_in(route)
    reg = registry("npm", url + "/", tokenEnv="NPM_TOKEN")
    with RegistryHttp() as http:
        facts = observe_registry(
            reg, "npm", Language.NODE, "@npmcli/name-from-folder", {"NPM_TOKEN": TOKEN}, http
        )
        missing = observe_registry(reg, "npm", Language.NODE, "@acme/nothing", {"NPM_TOKEN": TOKEN}, http)
    assert facts.versions == ["1.0.1", "2.0.0", "3.0.0", "4.0.0", "5.0.0"]
    assert missing == RegistryFacts()
    assert seen[0][1]["accept"].startswith("application/vnd.npm.install-v1+json")
    assert seen[0][1]["authorization"] == f"Bearer {TOKEN}"


def test_crates_fetch(stand_in):
    def route(path: str, headers: dict[str, str]) -> Served:
        if path == "/index/ac/me/acme-widgets":
            return Served(200, payload("crates-acme-widgets.sparse"), {"Content-Type": "text/plain"})
        return Served(404)

    url, seen = stand_in(route)
    reg = registry("crates", f"sparse+{url}/index/", tokenEnv="CARGO_TOKEN")
    env = {"CARGO_TOKEN": TOKEN}
    with RegistryHttp() as http:
        facts = observe_registry(reg, "crates", Language.RUST, "Acme-Widgets", env, http)
        missing = observe_registry(reg, "crates", Language.RUST, "nothing", env, http)
        bad = observe_registry(reg, "crates", Language.RUST, "../x", env, http)
    # the yanked 0.2.0 counts: a yanked version can never be published again
    assert facts.versions == ["0.1.0", "0.2.0", "0.2.1", "1.0.0", "1.0.0-rc.1", "1.1.0"]
    assert missing == RegistryFacts()
    assert isinstance(bad, Unknown) and "invalid crate name" in bad.error
    assert seen[0][1]["authorization"] == TOKEN  # Cargo sends the token as is
    assert [p for p, _ in seen] == ["/index/ac/me/acme-widgets", "/index/no/th/nothing"]


SCOPE = "repository:acme/widgets:pull"


def oci_route(url_box: list[str], scheme: str, tokens_issued: list[dict[str, list[str]]]) -> Route:
    """The registry side: tags in two pages behind a Basic or Bearer challenge; plus the token endpoint."""
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    issued = "registry-token-abc123"

    def route(path: str, headers: dict[str, str]) -> Served:
        parts = urlsplit(path)
        if parts.path == "/token":
            if headers.get("authorization") != basic:
                return Served(401, b'{"details":"incorrect username or password"}', JSON)
            tokens_issued.append(parse_qs(parts.query))
            return Served(200, json.dumps({"token": issued, "expires_in": 300}).encode(), JSON)
        good = basic if scheme == "basic" else f"Bearer {issued}"
        if headers.get("authorization") != good:
            challenge = (
                'Basic realm="Registry Realm"'
                if scheme == "basic"
                else f'Bearer realm="{url_box[0]}/token",service="stand-in",scope="{SCOPE}"'
            )
            return Served(
                401, payload("oci-error-unauthorized.json"), {**JSON, "WWW-Authenticate": challenge}
            )
        if parts.path == "/v2/acme/widgets/tags/list" and not parts.query:
            link = '</v2/acme/widgets/tags/list?n=2&last=1.1.0>; rel="next"'
            return Served(200, payload("oci-tags-acme-widgets.page1.json"), {**JSON, "Link": link})
        if parts.path == "/v2/acme/widgets/tags/list" and parse_qs(parts.query).get("last") == ["1.1.0"]:
            return Served(200, payload("oci-tags-acme-widgets.page2.json"), JSON)
        return Served(404, payload("oci-error-name-unknown.json"), JSON)

    return route


@pytest.mark.parametrize("scheme", ["basic", "bearer"])
def test_oci_fetch_challenge_flow(stand_in, scheme):
    url_box: list[str] = []
    tokens: list[dict[str, list[str]]] = []
    url, seen = stand_in(oci_route(url_box, scheme, tokens))
    url_box.append(url)
    reg = registry("oci", url, usernameEnv="OCI_USER", passwordEnv="OCI_PASSWORD")
    env = {"OCI_USER": USER, "OCI_PASSWORD": PASSWORD}
    with RegistryHttp() as http:
        facts = observe_registry(reg, "oci", Language.OTHER, "acme/widgets", env, http)
        missing = observe_registry(reg, "oci", Language.OTHER, "acme/nothing", env, http)
        wrong = {**env, "OCI_PASSWORD": "not-" + PASSWORD}
        denied = observe_registry(reg, "oci", Language.OTHER, "acme/widgets", wrong, http)
        anonymous = observe_registry(registry("oci", url), "oci", Language.OTHER, "acme/widgets", {}, http)
    assert facts == RegistryFacts(versions=["1.0.0", "1.1.0", "2.0.0", "latest"])  # both pages
    assert missing == RegistryFacts()  # 404 NAME_UNKNOWN: not pushed yet
    assert "authorization" not in seen[0][1]  # the first request goes without credentials
    for result in (denied, anonymous):
        assert isinstance(result, Unknown) and "HTTP 401" in result.error and "'oci'" in result.error
        no_secret(result.error, PASSWORD, "not-" + PASSWORD, "registry-token-abc123")
    if scheme == "bearer":
        assert tokens[0] == {"scope": ["repository:acme/widgets:pull"], "service": ["stand-in"]}
        assert f"{url}/token" in denied.error  # the token service refused


def test_oci_other_404_is_an_error(stand_in):
    url, _ = stand_in(
        lambda path, headers: Served(404, b"404 page not found", {"Content-Type": "text/plain"})
    )
    with RegistryHttp() as http:
        facts = observe_registry(registry("oci", url), "oci", Language.OTHER, "acme/widgets", {}, http)
        bad_name = observe_registry(registry("oci", url), "oci", Language.OTHER, "Acme/../x", {}, http)
    assert isinstance(facts, Unknown) and "HTTP 404" in facts.error
    assert isinstance(bad_name, Unknown) and "invalid repository name" in bad_name.error
