"""Asking a local model (an Ollama server) for a patch, and finding the patch in what it answers.

``ask_for_patch`` sends chat messages (``heal.prompt.build_messages``) through the real ``ollama`` client
(the optional ``heal`` extra, imported when called) and returns the answer with the diff in it, if any.
Errors become ``LLMError``: ``transient`` when trying again later may help (server down, timeout, a 5xx),
not when it will not (unknown model, a bad request, no client installed). Their messages name the host
(without credentials) and the model, never the prompt.

``extract_diff`` (pure) is tolerant, because small models are sloppy: the diff may be fenced or bare and
wrapped in prose, the ``a/`` ``b/`` prefixes missing, empty context lines without their space, and the
hunk headers' line counts wrong (they are recomputed from the hunk's lines).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_OPTIONS: Mapping[str, Any] = {"temperature": 0, "num_predict": 1024}


@dataclass(frozen=True)
class OllamaSettings:
    """Where the model is and how to ask it: ``host`` (None: the client's default, ``OLLAMA_HOST`` or
    localhost:11434), ``model`` ("qwen2.5-coder:7b"), sampling ``options`` and the ``timeout`` in seconds."""

    host: str | None = None
    model: str = "qwen2.5-coder:1.5b"
    options: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_OPTIONS))
    timeout: float = 300.0


@dataclass(frozen=True)
class LLMAnswer:
    """What the model answered: the ``text``, the ``diff`` found in it (None if none), the model that
    answered, the wall ``duration`` in seconds and the token counts when the server reports them."""

    text: str
    diff: str | None
    model: str
    duration: float
    prompt_tokens: int | None = None
    eval_tokens: int | None = None
    done_reason: str | None = None


class LLMError(Exception):
    """Asking the model failed. ``transient``: trying again later may succeed (server down, timeout)."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


def safe_host(host: str | None) -> str:
    """The host as it may be shown: without user, password, query or fragment."""
    if not host:
        return "the default Ollama host"
    parts = urlsplit(host if "://" in host else f"http://{host}")
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _scrub(text: str, messages: Sequence[Mapping[str, Any]]) -> str:
    """An error text from the server, one line, short, with no line of the prompt in it."""
    text = " ".join(str(text).split())[:300]
    for message in messages:
        for line in str(message.get("content", "")).splitlines():
            if len(line.strip()) >= 12 and line.strip() in text:
                text = text.replace(line.strip(), "<prompt>")
    return text


def ask_for_patch(settings: OllamaSettings, messages: Sequence[Mapping[str, Any]]) -> LLMAnswer:
    """One non-streaming chat with the model; the answer and the diff extracted from it.
    Raises ``LLMError`` when the server cannot be asked or refuses."""
    try:
        import httpx
        import ollama
    except ImportError as e:
        missing = f"the ollama client is not installed ({e.name}): pip install 'codemonkeys[heal]'"
        raise LLMError(missing, False) from None
    where = f"{settings.model} at {safe_host(settings.host)}"
    started = time.monotonic()
    try:
        client = ollama.Client(host=settings.host, timeout=settings.timeout)
        reply = client.chat(
            model=settings.model, messages=list(messages), options=dict(settings.options), stream=False
        )
    except ollama.ResponseError as e:
        status = e.status_code
        transient = status in (408, 429) or status >= 500
        detail = _scrub(e.error, messages)
        raise LLMError(f"ollama answered {status} for {where}: {detail}", transient) from None
    except httpx.TimeoutException:
        raise LLMError(f"no answer from {where} within {settings.timeout:g}s", True) from None
    except (ConnectionError, httpx.TransportError) as e:
        raise LLMError(f"cannot reach {where} ({type(e).__name__})", True) from None
    except ollama.RequestError as e:
        raise LLMError(f"bad request for {where}: {_scrub(e.error, messages)}", False) from None
    duration = time.monotonic() - started
    text = reply.message.content or ""
    return LLMAnswer(
        text=text,
        diff=extract_diff(text),
        model=reply.model or settings.model,
        duration=duration,
        prompt_tokens=reply.prompt_eval_count,
        eval_tokens=reply.eval_count,
        done_reason=reply.done_reason,
    )


# --- the diff in an answer -----------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)[^\n]*\n(.*?)^\s*\1\s*$", re.M | re.S)
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$|^@@(?: .*)?$")
_DIFF_META = re.compile(r"^(?:diff --git |index [0-9a-f]+\.\.|(?:new|deleted) file mode |similarity index )")


def _candidates(text: str) -> list[str]:
    """The fenced blocks that hold a diff (``diff``/``patch`` first), else the whole text."""
    blocks = [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(text)]
    diffs = [body for lang, body in blocks if lang in ("diff", "patch", "udiff")]
    diffs += [body for lang, body in blocks if lang not in ("diff", "patch", "udiff") and "\n@@" in body]
    return diffs or [text]


def _header_path(name: str, prefix: str) -> str:
    name = name.split("\t", 1)[0].strip().strip('"')
    if name == "/dev/null":
        return name
    while name.startswith("./"):
        name = name[2:]
    if name.startswith(("a/", "b/")):
        name = name[2:]
    return f"{prefix}{name.lstrip('/')}"


def _hunk(lines: list[str], i: int) -> tuple[list[str], int]:
    """The lines of a hunk starting at ``i`` (after its header), up to the first line that is not one."""
    body: list[str] = []
    while i < len(lines):
        line = lines[i]
        if _HUNK.match(line) or _DIFF_META.match(line):
            break
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            break
        if line == "" or line.isspace():
            body.append(" ")  # an empty context line that lost its space
        elif line[0] in " +-\\":
            body.append(line)
        else:
            break
        i += 1
    while body and body[-1] == " ":
        body.pop()  # blank lines after the hunk: the prose's paragraph break
    return body, i


def _hunk_header(match: re.Match[str], body: list[str], new_file: bool) -> str:
    old = sum(1 for line in body if line[:1] in (" ", "-"))
    new = sum(1 for line in body if line[:1] in (" ", "+"))
    old_start = int(match.group(1)) if match.group(1) else 1
    new_start = int(match.group(2)) if match.group(2) else old_start
    if new_file:
        old_start, new_start = 0, 1
    elif old == 0:
        old_start = max(old_start - 1, 0)
    return f"@@ -{old_start},{old} +{new_start},{new} @@{match.group(3) or ''}"


def _parse(block: str) -> list[str]:
    """The normalized diff lines of one candidate block: files with at least one hunk that changes."""
    lines = block.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    header: list[str] = []  # the current file's headers, until its first hunk is written
    i, new_file = 0, False
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old, new = _header_path(line[4:], "a/"), _header_path(lines[i + 1][4:], "b/")
            new_file = old == "/dev/null"
            header = [f"--- {old}", f"+++ {new}"]
            i += 2
        elif (header or out) and (m := _HUNK.match(line)):
            body, i = _hunk(lines, i + 1)
            if any(b[:1] in "+-" for b in body):
                out += [*header, _hunk_header(m, body, new_file), *body]
                header = []
        else:
            i += 1
    return out


def extract_diff(text: str) -> str | None:
    """The unified diff in a model's answer, normalized so that ``git apply`` can take it: ``a/``
    ``b/`` prefixes, hunk line counts recomputed, only the diff's lines. None when there is no diff."""
    for block in _candidates(text):
        if lines := _parse(block):
            return "\n".join(lines) + "\n"
    return None
