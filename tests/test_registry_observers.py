"""Registry observers: pure parses on recorded payloads, the HTTP layer (retries, rate limit, no secrets
in errors) on a mock transport, and fetches against the real local servers of tests/servers/.

Real servers (session fixtures; a missing one fails under CI=true): pypiserver (anonymous reads, and
basic auth), verdaccio (unscoped and scoped packages; packages only a token may read), Distribution
(basic auth; token auth behind our token service, so the observer does the whole 401 -> Bearer
challenge -> token -> retry flow against the real registry). What no real server here can show, OCI
tag pagination, runs on a mock transport; crates, which has no real server here, on a stand-in.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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
from servers.fixtures import serve
from servers.registries import (
    NPM_PRIVATE_PREFIX,
    NPM_PRIVATE_SCOPE,
    Server,
    TokenRegistry,
    npm_publish,
    oci_push_tags,
    start_pypiserver,
)

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


@pytest.mark.parametrize(
    "bad,error",
    [
        (b"[]", "^expected a JSON object$"),
        (b'{"files": 3}', "^`files` is not a list$"),
        (b"not json", "^Expecting value"),
    ],
)
def test_simple_json_rejects_malformed(bad, error):
    with pytest.raises(ValueError, match=error):
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
    with pytest.raises(ValueError, match=f"^invalid crate name {re.escape(repr(bad))}$"):
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


@pytest.mark.parametrize(
    "header,error",
    [
        ("", "^no challenge in WWW-Authenticate$"),
        ('Negotiate realm="x"', "^unsupported auth scheme 'Negotiate'$"),
        ("   ", "^no challenge in WWW-Authenticate$"),
    ],
)
def test_www_authenticate_rejects(header, error):
    with pytest.raises(ValueError, match=error):
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


def mock_http(
    script: Callable[[httpx.Request], httpx.Response], sleeps: list[float] | None = None, **kw
) -> RegistryHttp:
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


# --- OCI pagination on a mock transport ---------------------------------------------------------------
# The one behaviour no real registry here can show: Distribution 2.8 (Debian's docker-registry, the only
# one installable here) answers tags/list whole, ignoring `n`/`last` and never sending `Link` (tag
# pagination came with Distribution 3.0), and observe_oci asks for no page size (`n=`) anyway.


def test_oci_pagination_follows_link_with_the_token():
    issued = "registry-token-abc123"
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        url = request.url
        if url.path == "/token":
            return httpx.Response(200, json={"token": issued})
        if request.headers.get("authorization") != f"Bearer {issued}":
            challenge = 'Bearer realm="https://reg.example/token",service="reg",scope="repository:a/w:pull"'
            return httpx.Response(
                401, content=payload("oci-error-unauthorized.json"), headers={"WWW-Authenticate": challenge}
            )
        if url.path == "/v2/a/w/tags/list" and not url.query:
            link = '</v2/a/w/tags/list?n=2&last=1.1.0>; rel="next"'
            return httpx.Response(
                200, content=payload("oci-tags-acme-widgets.page1.json"), headers={"Link": link}
            )
        if url.path == "/v2/a/w/tags/list" and url.params.get("last") == "1.1.0":
            return httpx.Response(200, content=payload("oci-tags-acme-widgets.page2.json"))
        return httpx.Response(404, content=payload("oci-error-name-unknown.json"))

    with mock_http(handler) as http:
        facts = observe_registry(registry("oci", "https://reg.example"), "o", Language.OTHER, "a/w", {}, http)
    assert facts == RegistryFacts(versions=["1.0.0", "1.1.0", "2.0.0", "latest"])  # both pages
    assert [str(r.url) for r in requests] == [
        "https://reg.example/v2/a/w/tags/list",  # no `n=`: the registry's own page size
        "https://reg.example/token?scope=repository%3Aa%2Fw%3Apull&service=reg",
        "https://reg.example/v2/a/w/tags/list",
        "https://reg.example/v2/a/w/tags/list?n=2&last=1.1.0",
    ]
    assert requests[-1].headers["authorization"] == f"Bearer {issued}"  # the next page goes with the token


@pytest.mark.parametrize(
    ("link", "error"),
    [
        ('<https://elsewhere.example/v2/a/w/tags/list?last=x>; rel="next"', "next page elsewhere"),
        ('</v2/a/w/tags/list>; rel="next"', "pagination does not end"),
    ],
)
def test_oci_pagination_refuses_other_hosts_and_loops(link, error):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=payload("oci-tags-acme-widgets.page1.json"), headers={"Link": link}
        )

    with mock_http(handler) as http:
        facts = observe_registry(registry("oci", "https://reg.example"), "o", Language.OTHER, "a/w", {}, http)
    assert isinstance(facts, Unknown) and error in facts.error


# --- real servers: pypiserver -------------------------------------------------------------------------
# Session fixtures of this module; a missing pypi-server fails under CI=true (servers.fixtures.serve).

PACKAGES = [
    "acme_widgets-1.0.0-py3-none-any.whl",
    "acme-widgets-1.1.0.tar.gz",
    "acme_widgets-1.1.0-py3-none-any.whl",
    "acme_widgets-2.0.0rc1-py3-none-any.whl",
    "other_pkg-0.1-py3-none-any.whl",
]


def seeded_pypiserver(authenticate: tuple[str, ...]) -> Callable[[Path], Server]:
    """pypiserver over a packages dir of dummy files (it lists by file name), with `-a AUTHENTICATE`."""

    def start(workdir: Path) -> Server:
        packages = workdir / "packages"
        packages.mkdir(parents=True, exist_ok=True)
        for name in PACKAGES:
            (packages / name).write_bytes(b"not really a distribution: pypiserver lists by file name")
        return start_pypiserver(workdir, authenticate=authenticate)

    return start


@pytest.fixture(scope="session")
def pypi_open(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """pypiserver: anyone reads."""
    yield from serve(tmp_path_factory, "pypiserver-open", seeded_pypiserver(("update",)))


@pytest.fixture(scope="session")
def pypi_private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """pypiserver: listing and downloading need `username`/`password` (basic auth)."""
    yield from serve(
        tmp_path_factory, "pypiserver-private", seeded_pypiserver(("update", "list", "download"))
    )


def basic_value(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def test_pypiserver_real(pypi_open: Server):
    url = pypi_open.url
    with RegistryHttp() as http:
        reg = registry("pypi", url)
        facts = observe_registry(reg, "pypi-local", Language.PYTHON, "Acme_Widgets", {}, http)
        assert facts == RegistryFacts(versions=["1.0.0", "1.1.0", "2.0.0rc1"])
        assert observe_registry(reg, "pypi-local", Language.PYTHON, "other-pkg", {}, http).versions == ["0.1"]
        assert observe_registry(reg, "pypi-local", Language.PYTHON, "not-there-yet", {}, http).versions == []
        # the index URL given as its /simple/ page works too
        simple = registry("pypi", url + "/simple/")
        assert observe_registry(simple, "p", Language.PYTHON, "acme-widgets", {}, http) == facts


def test_pypiserver_real_with_basic_auth(pypi_private: Server):
    url, user, password = pypi_private.url, pypi_private.username, pypi_private.password
    reg = registry("pypi", url, usernameEnv="PYPI_USER", passwordEnv="PYPI_PASSWORD")
    wrong = "wrong-" + password
    with RegistryHttp() as http:
        good = observe_registry(
            reg, "corp", Language.PYTHON, "acme-widgets", {"PYPI_USER": user, "PYPI_PASSWORD": password}, http
        )
        bad = observe_registry(
            reg, "corp", Language.PYTHON, "acme-widgets", {"PYPI_USER": user, "PYPI_PASSWORD": wrong}, http
        )
        anonymous = observe_registry(registry("pypi", url), "corp", Language.PYTHON, "acme-widgets", {}, http)
    assert good == RegistryFacts(versions=["1.0.0", "1.1.0", "2.0.0rc1"])
    # pypiserver answers a wrong password with 403, no credentials with 401
    assert isinstance(bad, Unknown) and "HTTP 403" in bad.error and f"{url}/simple/acme-widgets/" in bad.error
    no_secret(bad.error, wrong, password, basic_value(user, wrong), basic_value(user, password))
    assert isinstance(anonymous, Unknown) and "HTTP 401" in anonymous.error


# --- real servers: verdaccio (npm) --------------------------------------------------------------------
# Published once per session through verdaccio's publish API (what `npm publish` sends). Packages
# under @cm-private/ and cm-private-* only an authenticated user may read (servers/registries.py).

NPM_PUBLISHED = {
    "cm-observed-widgets": ["1.0.0", "1.0.1", "1.1.0", "2.0.0-beta.1"],
    "@cm-observed/widgets": ["0.1.0", "0.2.0", "1.0.0"],
    f"{NPM_PRIVATE_SCOPE}/observed": ["1.0.0", "1.1.0", "2.0.0"],
    f"{NPM_PRIVATE_PREFIX}observed": ["0.3.0"],
}


def observe(http: RegistryHttp, reg: Registry, package: str, env: dict[str, str] | None = None):
    """observe_registry for the registry named 'corp', in the language its type implies."""
    language = {RegistryType.NPM: Language.NODE, RegistryType.PYPI: Language.PYTHON}.get(reg.type)
    return observe_registry(reg, "corp", language or Language.OTHER, package, env or {}, http)


@pytest.fixture(scope="session")
def npm_published(npm_server: Server) -> Server:
    for name, versions in NPM_PUBLISHED.items():
        for version in versions:
            npm_publish(npm_server, name, version, tag="next" if "-" in version else "latest")
    return npm_server


@pytest.mark.parametrize("name", ["cm-observed-widgets", "@cm-observed/widgets"])
def test_npm_real_versions_unscoped_and_scoped(npm_published: Server, name: str):
    url = npm_published.url
    with RegistryHttp() as http:
        facts = observe(http, registry("npm", url), name)
        slash = observe(http, registry("npm", url + "/"), name)  # as .npmrc files write it
        missing = observe(http, registry("npm", url), name + "-x")
    assert facts == slash == RegistryFacts(versions=sorted(NPM_PUBLISHED[name]))
    assert missing == RegistryFacts()  # not published yet: no versions, not an error


@pytest.mark.parametrize("name", [f"{NPM_PRIVATE_SCOPE}/observed", f"{NPM_PRIVATE_PREFIX}observed"])
def test_npm_real_private_package_needs_the_token(npm_published: Server, name: str):
    url, token, wrong = npm_published.url, npm_published.token or "", "npm_wrongToken0123456789"
    reg = registry("npm", url, tokenEnv="NPM_TOKEN")
    with RegistryHttp() as http:
        good = observe(http, reg, name, {"NPM_TOKEN": token})
        not_yet = observe(http, reg, name + "-x", {"NPM_TOKEN": token})
        bad = observe(http, reg, name, {"NPM_TOKEN": wrong})
        anonymous = observe(http, registry("npm", url), name)
        unset = observe(http, reg, name)
    assert good == RegistryFacts(versions=sorted(NPM_PUBLISHED[name]))
    assert not_yet == RegistryFacts()
    escaped = name.replace("/", "%2f")
    for result in (bad, anonymous):  # verdaccio: "authorization required to access package ..."
        assert isinstance(result, Unknown)
        assert result.error.startswith(f"registry 'corp': GET {url}/{escaped}: HTTP 401"), result.error
        no_secret(result.error, token, wrong)
    assert isinstance(unset, Unknown) and "environment variable NPM_TOKEN" in unset.error


# --- real servers: Distribution (OCI) -----------------------------------------------------------------
# oci_server: basic auth (htpasswd). oci_token_server: token auth, the registry trusting our token
# service (servers/oci_token.py), so the observer does 401 -> Bearer challenge -> token -> retry.

OCI_TAGS = ["1.0.0", "1.1.0", "2.0.0", "latest"]
PRIVATE, PUBLIC = "cm-observed/widgets", "public/cm-observed-tool"


@pytest.fixture(scope="session")
def oci_pushed(oci_server: Server) -> Server:
    auth = "Basic " + basic_value(oci_server.username, oci_server.password)
    oci_push_tags(oci_server.url, PRIVATE, OCI_TAGS, auth)
    return oci_server


@pytest.fixture(scope="session")
def oci_token_pushed(oci_token_server: TokenRegistry) -> TokenRegistry:
    for repository in (PRIVATE, PUBLIC):
        auth = oci_token_server.push_authorization(repository)
        oci_push_tags(oci_token_server.registry.url, repository, OCI_TAGS, auth)
    return oci_token_server


def test_oci_real_basic_auth(oci_pushed: Server):
    url, user, password = oci_pushed.url, oci_pushed.username, oci_pushed.password
    reg = registry("oci", url, usernameEnv="OCI_USER", passwordEnv="OCI_PASSWORD")
    env, wrong = {"OCI_USER": user, "OCI_PASSWORD": password}, "not-" + password
    with RegistryHttp() as http:
        facts = observe(http, reg, PRIVATE, env)
        missing = observe(http, reg, "cm-observed/nothing", env)
        denied = observe(http, reg, PRIVATE, {**env, "OCI_PASSWORD": wrong})
        anonymous = observe(http, registry("oci", url), PRIVATE)
    assert facts == RegistryFacts(versions=OCI_TAGS)
    assert missing == RegistryFacts()  # 404 NAME_UNKNOWN: not pushed yet
    tags = f"{url}/v2/{PRIVATE}/tags/list"
    assert isinstance(denied, Unknown) and denied.error.startswith(f"registry 'corp': GET {tags}: HTTP 401")
    no_secret(denied.error, password, wrong, basic_value(user, wrong), basic_value(user, password))
    assert isinstance(anonymous, Unknown) and "HTTP 401 (basic auth; none configured)" in anonymous.error


def test_oci_real_wrong_url_is_an_error(oci_pushed: Server):
    with RegistryHttp() as http:
        # a 404 that is not the registry's NAME_UNKNOWN: the URL is wrong, not the repository missing
        facts = observe(http, registry("oci", oci_pushed.url + "/not-the-registry"), "a/b")
        bad_name = observe(http, registry("oci", oci_pushed.url), "Acme/../x")
    assert isinstance(facts, Unknown) and "HTTP 404" in facts.error
    assert isinstance(bad_name, Unknown) and "invalid repository name" in bad_name.error


def test_oci_real_token_flow(oci_token_pushed: TokenRegistry):
    server, tokens = oci_token_pushed.registry, oci_token_pushed.tokens
    url, user, password = server.url, server.username, server.password
    reg = registry("oci", url, usernameEnv="OCI_USER", passwordEnv="OCI_PASSWORD")
    env, wrong = {"OCI_USER": user, "OCI_PASSWORD": password}, "not-" + password
    before = len(tokens.issued)
    with RegistryHttp() as http:
        facts = observe(http, reg, PRIVATE, env)
        issued = tokens.issued[before:]
        missing = observe(http, reg, "cm-observed/nothing", env)
        denied = observe(http, reg, PRIVATE, {**env, "OCI_PASSWORD": wrong})
        anonymous = observe(http, registry("oci", url), PRIVATE)
        public = observe(http, registry("oci", url), PUBLIC)
    assert facts == RegistryFacts(versions=OCI_TAGS)
    # one token, asked for with the challenge's scope and granted to the configured user
    assert issued == [(user, [{"type": "repository", "name": PRIVATE, "actions": ["pull"]}])]
    assert missing == RegistryFacts()  # with the token the registry says NAME_UNKNOWN
    # the token service refused the password: the error names the realm, not the secret
    assert isinstance(denied, Unknown) and "HTTP 401" in denied.error, denied
    assert f"GET {tokens.realm}?" in denied.error and tokens.refused[-1] == user
    no_secret(denied.error, password, wrong, basic_value(user, wrong), basic_value(user, password))
    # anonymous: a token without access to a private repository, so the registry still says 401 ...
    tags = f"{url}/v2/{PRIVATE}/tags/list"
    assert isinstance(anonymous, Unknown), anonymous
    assert anonymous.error.startswith(f"registry 'corp': GET {tags}: HTTP 401")
    assert public == RegistryFacts(versions=OCI_TAGS)  # ... and pull access to a public one


def test_oci_real_preissued_token(oci_token_pushed: TokenRegistry):
    """A token configured alone goes as a bearer token on the first request; the registry checks it."""
    server, tokens = oci_token_pushed.registry, oci_token_pushed.tokens
    access = [{"type": "repository", "name": PRIVATE, "actions": ["pull"]}]
    token = tokens.issue("ci-bot", access)
    expired = tokens.issue("ci-bot", access, seconds=-120)  # past Distribution's 60 s leeway
    head, signature = token.rsplit(".", 1)
    tampered = f"{head}.{signature[:10]}{'B' if signature[10] == 'A' else 'A'}{signature[11:]}"
    reg = registry("oci", server.url, tokenEnv="OCI_TOKEN")
    before = len(tokens.issued)
    with RegistryHttp() as http:
        facts = observe(http, reg, PRIVATE, {"OCI_TOKEN": token})
        asked = len(tokens.issued) - before
        refused = [observe(http, reg, PRIVATE, {"OCI_TOKEN": bad}) for bad in (expired, tampered)]
    assert facts == RegistryFacts(versions=OCI_TAGS)
    assert asked == 0  # the registry took the configured token: no round trip to the token service
    for result in refused:  # the registry refused it; the anonymous token it then got has no access
        assert isinstance(result, Unknown) and "HTTP 401" in result.error, result
        no_secret(result.error, token, expired, tampered)


# --- a stand-in for crates (no real crates registry runs here) ----------------------------------------


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
