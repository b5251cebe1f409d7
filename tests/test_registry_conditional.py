"""Conditional requests of the registry observers against a real registry (verdaccio sends an ETag on
its packuments): the second observation is a 304 answered from the kept document, a version published
meanwhile shows at once, another Accept is another document, the kept files hold no credential, and a
kept document that was tampered with is asked for again in full (the requests' headers are recorded on
their way to verdaccio through httpx's real transport)."""

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


class Recording(httpx.BaseTransport):
    """The real HTTP transport, keeping each request's headers (what the registry was asked)."""

    def __init__(self) -> None:
        self.real = httpx.HTTPTransport()
        self.asked: list[dict[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Note the request's headers, then send it."""
        self.asked.append(dict(request.headers))
        return self.real.handle_request(request)

    def close(self) -> None:
        """Close the real transport."""
        self.real.close()


def test_a_corrupt_kept_document_is_fetched_again(npm_server: Server, tmp_path: Path):
    """A kept body that does not match its hash is a miss: the request to the real registry goes out
    unconditional, the full answer is kept again, and the next observation is a 304 once more."""
    name = "cm-conditional-corrupt"
    npm_publish(npm_server, name, "1.0.0")
    auth = Auth(token=npm_server.token)
    cache = tmp_path / "kept"

    def observe() -> tuple[list[str], int, dict[str, str]]:
        sent = Recording()
        with RegistryHttp(cache_dir=cache, transport=sent) as http:
            versions = observe_npm(http, npm_server.url, name, auth).versions
        (asked,) = sent.asked
        return versions, http.not_modified, asked

    versions, not_modified, asked = observe()
    assert (versions, not_modified, "if-none-match" in asked) == (["1.0.0"], 0, False)
    versions, not_modified, asked = observe()  # kept: asked conditionally, verdaccio answers 304
    assert (versions, not_modified, asked.get("if-none-match", "")[:1]) == (["1.0.0"], 1, '"')
    (body,) = cache.glob("*.body")
    body.write_bytes(b'{"versions": {"6.6.6": {}}}')  # tampered: its hash no longer matches
    versions, not_modified, asked = observe()
    assert (versions, not_modified, "if-none-match" in asked) == (["1.0.0"], 0, False)
    versions, not_modified, asked = observe()  # kept again, whole
    assert (versions, not_modified, "if-none-match" in asked) == (["1.0.0"], 1, True)
