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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from codemonkeys.kinds.loader import DesiredState

DEFAULT_OPTIONS: Mapping[str, Any] = {"temperature": 0, "num_predict": 1024}


@dataclass(frozen=True)
class OllamaSettings:
    """Where the model is and how to ask it: ``host`` (None: the client's default, ``OLLAMA_HOST`` or
    localhost:11434), ``model`` ("qwen2.5-coder:7b"), sampling ``options``, the ``timeout`` in seconds and
    a bearer ``token`` (sent as ``Authorization``, never shown)."""

    host: str | None = None
    model: str = "qwen2.5-coder:1.5b"
    options: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_OPTIONS))
    timeout: float = 300.0
    token: str | None = field(default=None, repr=False)  # a bearer token (an authenticating proxy)


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
    """Asking the model failed. ``transient``: trying again later may succeed (server down, timeout);
    ``missing_model``: the server does not have the model (it may be pulled meanwhile)."""

    def __init__(self, message: str, transient: bool, missing_model: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.missing_model = missing_model  # the server answers but lacks the model (404): an outage too


DEFAULT_HOST = "http://127.0.0.1:11434"


def llm_endpoint(desired: DesiredState, env: Mapping[str, str]) -> str:
    """The fleet's LLM server as it is shown and its outages are recorded: ``spec.llm.ollama.host``, else
    ``$OLLAMA_HOST``, else Ollama's default, without credentials."""
    config = desired.fleet.spec.llm.ollama
    return safe_host((config.host if config else None) or env.get("OLLAMA_HOST") or DEFAULT_HOST)


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


def ask_for_patch(
    settings: OllamaSettings,
    messages: Sequence[Mapping[str, Any]],
    files: Mapping[str, str] | None = None,
) -> LLMAnswer:
    """One non-streaming chat with the model; the answer and the diff extracted from it (placed in
    ``files``, path -> current text, when given: see ``extract_diff``).
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
        headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else None
        client = ollama.Client(host=settings.host, timeout=settings.timeout, headers=headers)
        reply = client.chat(
            model=settings.model, messages=list(messages), options=dict(settings.options), stream=False
        )
    except ollama.ResponseError as e:
        status = e.status_code
        transient = status in (408, 429) or status >= 500
        detail = _scrub(e.error, messages)
        raise LLMError(f"ollama answered {status} for {where}: {detail}", transient, status == 404) from None
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
        diff=extract_diff(text, files),
        model=reply.model or settings.model,
        duration=duration,
        prompt_tokens=reply.prompt_eval_count,
        eval_tokens=reply.eval_count,
        done_reason=reply.done_reason,
    )


# --- the diff in an answer -----------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)[^\n]*\n(.*?)^\s*\1\s*$", re.M | re.S)
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$|^@@(?: .*)?$")
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


def _counts(body: Sequence[str]) -> tuple[int, int]:
    """The old and new line counts of a hunk's lines."""
    return sum(1 for b in body if b[:1] in (" ", "-")), sum(1 for b in body if b[:1] in (" ", "+"))


def _hunk(lines: list[str], i: int, declared: tuple[int, int] | None) -> tuple[list[str], int]:
    """The lines of a hunk starting at ``i`` (after its header), up to the first line that is not one.
    Blank lines at its end are the prose's paragraph break, unless the header counted them."""
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
        old, new = _counts(body)
        if declared is not None and old <= declared[0] and new <= declared[1]:
            break
        body.pop()
    return body, i


def _anchor(body: list[str], start: int, text: str) -> tuple[int, list[str]]:
    """The hunk placed where its old lines are in the file (the match nearest ``start``, whitespace at
    line ends ignored), its old lines as the file has them, and up to 3 lines of context either side."""
    file = text.splitlines()
    old = [b[1:].rstrip() for b in body if b[:1] in (" ", "-")]
    if not old:
        return start, body
    hits = [p for p in range(len(file) - len(old) + 1) if [x.rstrip() for x in file[p : p + len(old)]] == old]
    if not hits:
        return start, body
    p = min(hits, key=lambda h: abs(h - (start - 1)))
    lead = next((n for n, b in enumerate(body) if b[:1] != " "), len(body))
    trail = next((n for n, b in enumerate(reversed(body)) if b[:1] != " "), len(body))
    before = file[max(0, p - max(0, 3 - lead)) : p]
    after = file[p + len(old) : p + len(old) + max(0, 3 - trail)]
    exact, k = [], p
    for b in body:
        if b[:1] in (" ", "-"):
            exact.append(b[0] + file[k])
            k += 1
        else:
            exact.append(b)
    return p - len(before) + 1, [*(" " + x for x in before), *exact, *(" " + x for x in after)]


def _declared(m: re.Match[str]) -> tuple[int, int] | None:
    if m.group(1) is None:
        return None
    return int(m.group(2) or 1), int(m.group(4) or 1)


class _File:
    """One file of the diff being rebuilt: its headers, the text it has (if given), its hunks so far."""

    def __init__(self, old: str, new: str, text: str | None) -> None:
        self.headers = [f"--- {old}", f"+++ {new}"]
        self.new_file = old == "/dev/null"
        self.text = text
        self.delta = 0  # lines added minus removed by the hunks before
        self.lines: list[str] = []

    def add(self, m: re.Match[str], body: list[str]) -> None:
        start = int(m.group(1)) if m.group(1) is not None else 1
        if self.text is not None and not self.new_file:
            start, body = _anchor(body, start, self.text)
        old, new = _counts(body)
        if self.new_file:
            start = 0
        elif old == 0 and m.group(2) != "0":  # an insertion: the header names the line before it
            start = max(start - 1, 0)
        new_start = start + self.delta + (1 if old == 0 else 0)
        if new == 0:  # a deletion: the header names the line before it
            new_start = max(new_start - 1, 0)
        self.lines += [f"@@ -{start},{old} +{new_start},{new} @@{m.group(5) or ''}", *body]
        self.delta += new - old


def _parse(block: str, files: Mapping[str, str]) -> list[str]:
    """The normalized diff lines of one candidate block: files with at least one hunk that changes."""
    lines = block.replace("\r\n", "\n").split("\n")
    done: list[_File] = []
    current: _File | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old, new = _header_path(line[4:], "a/"), _header_path(lines[i + 1][4:], "b/")
            path = old[2:] if new == "/dev/null" else new[2:]
            current = _File(old, new, files.get(path))
            done.append(current)
            i += 2
        elif current is not None and (m := _HUNK.match(line)):
            body, i = _hunk(lines, i + 1, _declared(m))
            if any(b[:1] in "+-" for b in body):
                current.add(m, body)
        else:
            i += 1
    return [line for f in done if f.lines for line in (*f.headers, *f.lines)]


def extract_diff(text: str, files: Mapping[str, str] | None = None) -> str | None:
    """The unified diff in a model's answer, normalized so that ``git apply`` can take it: ``a/`` ``b/``
    prefixes, hunk line counts and starts recomputed, only the diff's lines. Given the files' current
    ``files`` (path -> text), hunks are also placed where their lines are and get 3 lines of context.
    None when there is no diff."""
    for block in _candidates(text):
        if lines := _parse(block, files or {}):
            return "\n".join(lines) + "\n"
    return None
