"""Session-scoped pytest fixtures for the real local registries (see registries.py).

Use them from a test module with
`from servers.fixtures import npm_server, oci_server, oci_token_server, pypi_server  # noqa: F401`
(tests/conftest.py does).
A registry whose program is not installed skips its tests, except under CI=true where it fails
(`need.missing`: one definition of CI): CI must have run scripts/install-test-servers. `serve` does the
same for a test module's own servers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

import pytest

from need import missing
from servers.forges import ForgeServer
from servers.registries import (
    Server,
    ServerUnavailable,
    TokenRegistry,
    start_oci_registry,
    start_oci_token_registry,
    start_pypiserver,
    start_verdaccio,
)

S = TypeVar("S", bound=AbstractContextManager)


def serve(tmp_path_factory: pytest.TempPathFactory, name: str, start: Callable[[Path], S]) -> Iterator[S]:
    """Start a server in a fresh temp dir for the fixture's scope; stop it after. A missing program
    skips, or fails under CI=true."""
    try:
        server = start(tmp_path_factory.mktemp(name))
    except ServerUnavailable as e:
        missing(f"{name}: {e}", "run scripts/install-test-servers")
    with server:
        yield server


@pytest.fixture(scope="session")
def pypi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """pypiserver: upload/download/list all need `username`/`password` (see Server.authed_url)."""
    yield from serve(tmp_path_factory, "pypiserver", start_pypiserver)


@pytest.fixture(scope="session")
def npm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """verdaccio: anyone reads (except @cm-private/* and cm-private-*: `token` only), `token` (also
    written in the `npmrc` userconfig file) publishes."""
    yield from serve(tmp_path_factory, "verdaccio", start_verdaccio)


@pytest.fixture(scope="session")
def oci_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Distribution 2.8 over plain HTTP: basic auth with `username`/`password` for pull and push."""
    yield from serve(tmp_path_factory, "oci-registry", start_oci_registry)


@pytest.fixture(scope="session")
def oci_token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """Distribution 2.8 with token auth behind our token service (servers/oci_token.py): `registry`
    (its `username`/`password` get tokens for any repository), `tokens` (anonymous: pull public/*)."""
    yield from serve(tmp_path_factory, "oci-token-registry", start_oci_token_registry)


# --- forges (servers/forges.py): one started server per test -------------------------------------------

FORGE_TOKEN = "cm-forge-token-0123456789"  # the one token the forge fixtures' servers accept


def _forge(kind: str) -> Iterator[ForgeServer]:
    server = ForgeServer(kind, FORGE_TOKEN)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gh_server() -> Iterator[ForgeServer]:
    """A started GitHub server (token ``FORGE_TOKEN``), stopped after the test."""
    yield from _forge("github")


@pytest.fixture
def gl_server() -> Iterator[ForgeServer]:
    """A started GitLab server (token ``FORGE_TOKEN``), stopped after the test."""
    yield from _forge("gitlab")


@pytest.fixture
def gt_server() -> Iterator[ForgeServer]:
    """A started Gitea server (token ``FORGE_TOKEN``), stopped after the test."""
    yield from _forge("gitea")
