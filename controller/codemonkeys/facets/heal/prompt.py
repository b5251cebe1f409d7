"""The prompt that asks a model for a fix: the failure, the code it points at, what people changed lately.

Pure: ``gather_context`` takes the failure's ``Location``s, the repository's files (path -> text, the
caller reads them at the failing commit), the recent human commits, semantic-search hits and the
manifests of a dependency error (``failure.manifests``), and picks code in any language ``oracle.parse``
reads (Python, Rust, JavaScript, TypeScript, ...): the function or class around each location, the
functions it calls and those that call it; for a location outside any function (an ``import`` /
``use`` line) the lines around it and the functions of that file that call a name it imports.
``build_messages`` turns it into Ollama chat messages within a character budget, dropping the least
relevant first: hits from search, then callers, then callees, then the oldest commits, then the
manifests, then the uses of an import; the code at the failure goes last, and is cut rather than dropped.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from codemonkeys.facets.heal.failure import Location
from codemonkeys.oracle.parse import FileGraph, Symbol, SymbolKind, UnsupportedLanguage, parse_file

DEFAULT_BUDGET = 8000  # characters of the user message: small local models have small contexts
MAX_SNIPPET_LINES = 60
WINDOW = 12  # lines either side of a location outside any function
MAX_FILES_PARSED = 400  # callers are searched in at most this many files

SYSTEM = """\
You fix failing builds. Answer with ONE unified diff and nothing else: no explanation, no prose.
Use paths relative to the repository root with a/ and b/ prefixes:
--- a/path/to/file
+++ b/path/to/file
@@ -LINE,COUNT +LINE,COUNT @@
 context line
-removed line
+added line
Change as little as possible. Do not change tests unless the test itself is wrong. Do not touch CI \
configuration, lockfiles (Cargo.lock, package-lock.json, ...) or secrets: a dependency's version is \
changed in its manifest (Cargo.toml, package.json, pyproject.toml), or the code is adapted to the \
dependency. The numbers before '|' in the code are line numbers, not part of the file."""


class Relevance(IntEnum):
    """Why a snippet is in the prompt; the lower, the more relevant (the last to be dropped)."""

    FAILURE = 0  # the code a location points at
    USE = 1  # a function that uses a name the failing line (an import) brings in
    MANIFEST = 2  # the manifest that declares the dependency a dependency error names
    CALLEE = 4  # a function that code calls
    CALLER = 5  # a function that calls it
    NEAR = 6  # supplied by the caller (semantic search)


HISTORY_RANK = 3  # recent commits: dropped after callees, before the manifests


@dataclass(frozen=True)
class Snippet:
    """Lines of a repository file: ``path``, the 1-based ``start`` line, the ``text`` and why it is here."""

    path: str
    start: int
    text: str
    relevance: Relevance = Relevance.NEAR
    label: str = ""  # the symbol's qualified name, when there is one

    @property
    def end(self) -> int:
        """The last line of the snippet."""
        return self.start + max(self.text.count("\n") + (0 if self.text.endswith("\n") else 1), 1) - 1

    def render(self) -> str:
        """The snippet as prompt text: a title and the lines numbered."""
        title = f"{self.path} lines {self.start}-{self.end}" + (f" ({self.label})" if self.label else "")
        body = "\n".join(f"{self.start + n:>5} | {line}" for n, line in enumerate(self.text.splitlines()))
        return f"### {title}\n```\n{body}\n```"


@dataclass(frozen=True)
class Commit:
    """A recent human commit that touched the files: its ``sha``, ``subject`` and a short ``diff``."""

    sha: str
    subject: str
    diff: str = ""

    def render(self, max_chars: int = 1500) -> str:
        """The commit as prompt text, its diff cut at ``max_chars``."""
        diff = self.diff if len(self.diff) <= max_chars else self.diff[:max_chars] + "\n[... cut]"
        return (
            f"### {self.sha[:10]} {self.subject}\n```diff\n{diff.rstrip()}\n```"
            if diff
            else (f"### {self.sha[:10]} {self.subject}")
        )


@dataclass(frozen=True)
class PromptContext:
    """What the prompt shows beside the failure: code ``snippets`` (most relevant first), recent human
    commits (newest first) and the ``budget`` in characters of the user message."""

    snippets: tuple[Snippet, ...] = ()
    history: tuple[Commit, ...] = ()
    budget: int = DEFAULT_BUDGET
    notes: tuple[str, ...] = field(default=(), compare=False)  # what was left out, for the log


def _lines(text: str, start: int, end: int) -> str:
    return "\n".join(text.splitlines()[start - 1 : end])


def _enclosing(graph: FileGraph | None, line: int) -> Symbol | None:
    if graph is None:
        return None
    around = [
        s for s in graph.symbols if s.kind is not SymbolKind.MODULE and s.start_line <= line <= s.end_line
    ]
    return min(around, key=lambda s: s.end_line - s.start_line, default=None)


def _symbol_snippet(path: str, text: str, symbol: Symbol, relevance: Relevance, focus: int = 0) -> Snippet:
    """A symbol's lines; a long one is cut to MAX_SNIPPET_LINES around ``focus`` (or its start)."""
    start, end = symbol.start_line, symbol.end_line
    if end - start + 1 > MAX_SNIPPET_LINES:
        centre = focus or start + MAX_SNIPPET_LINES // 2
        start = max(start, centre - MAX_SNIPPET_LINES // 2)
        end = min(end, start + MAX_SNIPPET_LINES - 1)
    return Snippet(path, start, _lines(text, start, end), relevance, symbol.qualname)


class _Graphs:
    """The given files parsed once each, on demand (files without a grammar have no graph)."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = files
        self.cache: dict[str, FileGraph | None] = {}

    def get(self, path: str) -> FileGraph | None:
        if path not in self.cache:
            try:
                self.cache[path] = parse_file(path, self.files[path].encode())
            except UnsupportedLanguage:
                self.cache[path] = None
        return self.cache[path]

    def all(self) -> Iterable[tuple[str, FileGraph]]:
        for path in list(self.files)[:MAX_FILES_PARSED]:
            if (graph := self.get(path)) is not None:
                yield path, graph


def _related(graphs: _Graphs, path: str, symbol: Symbol) -> list[Snippet]:
    """The definitions ``symbol`` calls, then the functions that call it, across the given files."""
    graph = graphs.get(path)
    called = {c.callee_name for c in graph.calls if c.caller == symbol.qualname} if graph else set()
    callees: list[Snippet] = []
    callers: list[Snippet] = []
    for other_path, other in graphs.all():
        text = graphs.files[other_path]
        for s in other.symbols:
            if s.kind is not SymbolKind.MODULE and s.name in called and s != symbol:
                callees.append(_symbol_snippet(other_path, text, s, Relevance.CALLEE))
        for call in other.calls:
            caller = other.symbol(call.caller) if call.callee_name == symbol.name else None
            if caller is not None and caller.kind is not SymbolKind.MODULE and caller != symbol:
                callers.append(_symbol_snippet(other_path, text, caller, Relevance.CALLER, call.line))
    return callees + callers


_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_NOT_NAMES = frozenset(
    {"use", "import", "from", "as", "crate", "self", "super", "pub", "mod", "extern", "let"}
)
MAX_USES = 3  # functions shown that use what a failing import line names


def _uses(graphs: _Graphs, path: str, line: int) -> list[Snippet]:
    """The functions of ``path`` that mention a name its line ``line`` brings in (an import or ``use``
    outside any function: where the imported names are used), the innermost ones, at most ``MAX_USES``.
    A mention, not only a call the graph saw: a call inside a Rust macro (``format!``) is not one."""
    graph = graphs.get(path)
    if graph is None:
        return []
    text = graphs.files[path]
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    names = {n for n in _NAME.findall(source) if n not in _NOT_NAMES and not keyword.iskeyword(n)}
    if not names:
        return []
    mention = re.compile(r"(?<![\w$])(?:" + "|".join(map(re.escape, sorted(names))) + r")(?![\w$])")
    using = [
        s
        for s in graph.symbols
        if s.kind is not SymbolKind.MODULE
        and not s.start_line <= line <= s.end_line
        and mention.search("\n".join(lines[s.start_line - 1 : s.end_line]))
    ]
    innermost = [
        s
        for s in using
        if not any(o != s and s.start_line <= o.start_line and o.end_line <= s.end_line for o in using)
    ]
    return [_symbol_snippet(path, text, s, Relevance.USE) for s in innermost[:MAX_USES]]


def _manifest_snippet(path: str, text: str, line: int) -> Snippet:
    """A manifest whole, or MAX_SNIPPET_LINES of it around ``line`` (the declaration)."""
    count = len(text.splitlines())
    start = 1 if count <= MAX_SNIPPET_LINES else max(1, min(line - 10, count - MAX_SNIPPET_LINES + 1))
    end = start + MAX_SNIPPET_LINES - 1
    return Snippet(path, start, _lines(text, start, end), Relevance.MANIFEST, "manifest")


def _covered(snippet: Snippet, kept: Sequence[Snippet]) -> bool:
    return any(k.path == snippet.path and k.start <= snippet.start and snippet.end <= k.end for k in kept)


def gather_context(
    locations: Sequence[Location],
    files: Mapping[str, str],
    history: Iterable[Commit | tuple[str, str, str]] = (),
    near: Iterable[Snippet | tuple[str, int, str]] = (),
    budget: int = DEFAULT_BUDGET,
    manifests: Iterable[Location] = (),
) -> PromptContext:
    """The code around each location (its enclosing function or class, else a window of lines and the
    functions of that file that use what the line names), what it calls and what calls it within
    ``files``, the ``manifests`` of a dependency error (at their declaration), the ``history`` and the
    ``near`` chunks, deduplicated and ordered by relevance (``Relevance``, then the order of the
    locations)."""
    graphs = _Graphs(files)
    failures: list[Snippet] = []
    related: list[Snippet] = []
    for loc in locations:
        if loc.path not in files:
            continue
        text = files[loc.path]
        symbol = _enclosing(graphs.get(loc.path), loc.line)
        if symbol is None:
            start = max(1, loc.line - WINDOW)
            failures.append(
                Snippet(loc.path, start, _lines(text, start, loc.line + WINDOW), Relevance.FAILURE)
            )
            related += _uses(graphs, loc.path, loc.line)
            continue
        failures.append(_symbol_snippet(loc.path, text, symbol, Relevance.FAILURE, loc.line))
        related += _related(graphs, loc.path, symbol)
    related += [_manifest_snippet(m.path, files[m.path], m.line) for m in manifests if m.path in files]
    extra = [n if isinstance(n, Snippet) else Snippet(n[0], n[1], n[2], Relevance.NEAR) for n in near]
    ordered = sorted([*failures, *related, *extra], key=lambda s: s.relevance)  # stable: location order
    kept: list[Snippet] = []
    for snippet in ordered:
        if not _covered(snippet, kept):
            kept.append(snippet)
    commits = tuple(c if isinstance(c, Commit) else Commit(*c) for c in history)
    return PromptContext(tuple(kept), commits, budget)


def _sections(context: PromptContext) -> list[tuple[tuple[int, int], str, str]]:
    """(rank, section, text) of every piece; the lower the rank, the later it is dropped."""
    pieces = [((int(s.relevance), n), "code", s.render()) for n, s in enumerate(context.snippets)]
    pieces += [((HISTORY_RANK, n), "history", c.render()) for n, c in enumerate(context.history)]
    return pieces


def build_messages(failure_excerpt: str, context: PromptContext) -> list[dict[str, str]]:
    """The chat messages asking for one unified diff: the system rules, then the failure, the code and
    the recent commits, trimmed to ``context.budget`` characters (least relevant pieces first)."""
    budget = context.budget
    failure = failure_excerpt.strip()
    if len(failure) > budget // 2:
        failure = failure[: budget // 2] + "\n[... cut]"
    head = f"The build fails:\n```\n{failure}\n```\n"
    tail = "\nReply with the unified diff that fixes the failure."
    room = budget - len(head) - len(tail)
    chosen: list[tuple[tuple[int, int], str, str]] = []
    for rank, section, text in sorted(_sections(context), key=lambda p: p[0]):
        cost = len(text) + 2 + (30 if not any(c[1] == section for c in chosen) else 0)
        if cost > room:  # this and everything less relevant is left out
            if not chosen and rank[0] == Relevance.FAILURE and room > 200:  # cut the most relevant piece
                chosen.append((rank, section, text[: room - 40] + "\n[... cut]\n```"))
            break
        chosen.append((rank, section, text))
        room -= cost
    code = [text for rank, section, text in chosen if section == "code"]
    history = [text for _, section, text in sorted(chosen, key=lambda c: c[0][1]) if section == "history"]
    body = head
    if code:
        body += "\n## The code\n" + "\n\n".join(code) + "\n"
    if history:
        body += "\n## Recent commits to these files\n" + "\n\n".join(history) + "\n"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": body + tail}]
