"""Conditional requests of the registry observers against a real registry (verdaccio sends an ETag on
its packuments): the second observation is a 304 answered from the kept document, a version published
meanwhile shows at once, another Accept is another document, and the kept files hold no credential."""

from __future__ import annotations

from pathlib import Path

import httpx

from codemonkeys.registries.http import Auth, RegistryHttp
from codemonkeys.registries.npm import observe_npm
from servers.registries import Server, npm_publish


def test_an_unchanged_packument_is_revalidated_and_a_new_version_shows(npm_server: Server, tmp_path: Path):
    name = "cm-conditional"
    npm_publish(npm_server, name, "1.0.0")
    auth = Auth(token=npm_server.token)
    cache = tmp_path / "http-documents"

    with RegistryHttp(cache_dir=cache) as http:
        first = observe_npm(http, npm_server.url, name, auth)
        assert http.not_modified == 0
    assert first.versions == ["1.0.0"]
    assert list(cache.glob("*.body")), "verdaccio's packument carries an ETag: it is kept"

    with RegistryHttp(cache_dir=cache) as http:  # the next run: a 304, the kept document parsed
        again = observe_npm(http, npm_server.url, name, auth)
        assert http.not_modified == 1
    assert again == first

    npm_publish(npm_server, name, "1.1.0")
    with RegistryHttp(cache_dir=cache) as http:  # moved: fetched in full, never the stale copy
        moved = observe_npm(http, npm_server.url, name, auth)
        assert http.not_modified == 0
    assert moved.versions == ["1.0.0", "1.1.0"]

    with RegistryHttp(cache_dir=cache) as http:  # the same URL asked for another representation
        full = http.get(
            f"{npm_server.url}/{name}", auth=auth, headers={"Accept": "application/json"}, conditional=True
        )
        assert http.not_modified == 0 and full.json()["name"] == name

    for path in cache.iterdir():  # what is kept: documents and validators, never the token
        assert npm_server.token.encode() not in path.read_bytes(), path


def test_a_corrupt_kept_document_is_fetched_again(tmp_path: Path):
    """A kept body that does not match its hash is a miss: the request goes out unconditional."""
    seen: list[dict] = []

    def registry(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.headers))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, json={"versions": {"1.0.0": {}}}, headers={"ETag": '"v1"'})

    cache = tmp_path / "kept"
    with RegistryHttp(cache_dir=cache, transport=httpx.MockTransport(registry)) as http:
        assert observe_npm(http, "http://r.test", "p").versions == ["1.0.0"]
        assert observe_npm(http, "http://r.test", "p").versions == ["1.0.0"] and http.not_modified == 1
        (body,) = cache.glob("*.body")
        body.write_bytes(b'{"versions": {"6.6.6": {}}}')  # tampered: its hash no longer matches
        assert observe_npm(http, "http://r.test", "p").versions == ["1.0.0"] and http.not_modified == 1
    assert "if-none-match" not in seen[-1]
