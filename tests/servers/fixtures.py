"""Session-scoped pytest fixtures for the real local registries (see registries.py).

Use them from a test module with
`from servers.fixtures import npm_server, oci_server, pypi_server  # noqa: F401`.
A registry whose program is not installed skips its tests, except under CI=true where it fails:
CI must have run scripts/install-test-servers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.registries import (
    Server,
    ServerUnavailable,
    start_oci_registry,
    start_pypiserver,
    start_verdaccio,
)


def _serve(
    tmp_path_factory: pytest.TempPathFactory, name: str, start: Callable[[Path], Server]
) -> Iterator[Server]:
    try:
        server = start(tmp_path_factory.mktemp(name))
    except ServerUnavailable as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name}: {e} (CI=true: a missing registry fails instead of skipping)")
        pytest.skip(f"{name}: {e}")
    with server:
        yield server


@pytest.fixture(scope="session")
def pypi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """pypiserver: upload/download/list all need `username`/`password` (see Server.authed_url)."""
    yield from _serve(tmp_path_factory, "pypiserver", start_pypiserver)


@pytest.fixture(scope="session")
def npm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """verdaccio: anyone reads, `token` (also written in the `npmrc` userconfig file) publishes."""
    yield from _serve(tmp_path_factory, "verdaccio", start_verdaccio)


@pytest.fixture(scope="session")
def oci_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Distribution 2.8 over plain HTTP: basic auth with `username`/`password` for pull and push."""
    yield from _serve(tmp_path_factory, "oci-registry", start_oci_registry)
