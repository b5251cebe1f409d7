"""Where a red build's console log points into the repository, and the failure told short for a prompt.

Pure: text in, values out. ``locations`` reads the frames and error positions that tools print (Python
tracebacks, pytest's ``path.py:N: Error`` lines, rustc's ``--> src/x.rs:N:M`` and panics, node stack
frames and ``node --test`` locations, gcc / clang ``file.c:N:M: error``) and maps each path onto the
repository's files: an absolute path (a CI workspace, a worktree, a temp dir) becomes the repo-relative
file it ends with; frames outside the repository (site-packages, node_modules, the standard library,
``node:internal``) are dropped. ``excerpt`` keeps what a model needs from the log (the failing test and
its assertion, the exception and its innermost frames, the compiler error) with line numbers intact.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from codemonkeys.swarm.signatures import extract_signatures


@dataclass(frozen=True, slots=True)
class Location:
    """A line of a repository file (``path`` repo-relative, ``line`` 1-based) that a failure points at."""

    path: str
    line: int


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_STAMP = re.compile(r"^\s*\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?\s?")
_JS_EXT = r"(?:js|mjs|cjs|jsx|ts|mts|cts|tsx)"
_C_EXT = r"(?:c|h|cc|cpp|cxx|c\+\+|hh|hpp|hxx|m|mm|cu)"

# (kind, pattern): kind "py" and "pytest" frames are printed outermost first, the others innermost first.
_FRAMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("py", re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)')),
    ("pytest", re.compile(r"^(?P<path>[^\s:]+\.py):(?P<line>\d+):(?: |$)")),
    ("rust", re.compile(r"^\s*--> (?P<path>[^\s:]+\.rs):(?P<line>\d+)(?::\d+)?\s*$")),
    ("rust", re.compile(r"panicked at (?:'.*', )?(?P<path>[^\s:']+\.rs):(?P<line>\d+)(?::\d+)?")),
    ("c", re.compile(rf"^(?P<path>[^\s:]+\.{_C_EXT}):(?P<line>\d+):(?:\d+:)? (?:fatal )?error:")),
    ("tap", re.compile(rf"^\s+location: '(?:file://)?(?P<path>[^']+\.{_JS_EXT}):(?P<line>\d+):\d+'")),
    ("js", re.compile(rf"(?:^|[\s(])(?:file://)?(?P<path>[^\s()'\"]+\.{_JS_EXT}):(?P<line>\d+):\d+\)?\s*$")),
)
_REVERSED = frozenset({"py", "pytest"})
# Lines that start a new failure: its frames form one group.
_GROUP_START = re.compile(
    r"^\s*Traceback \(most recent call last\):"  # Python
    r"|^_{3,} .+ _{3,}$"  # a pytest section
    r"|^\s*not ok \d+ "  # TAP
    r"|^error(?:\[E\d+\])?: "  # rustc
    r"|^thread '.+' (?:\(\d+\) )?panicked at"
)
_OUTSIDE = ("/site-packages/", "/dist-packages/", "/node_modules/", "node:", "<")


def _clean(line: str) -> str:
    return _STAMP.sub("", _ANSI.sub("", line), count=1)


def _groups(log: str) -> list[list[tuple[str, int]]]:
    """The frames of the log as (raw path, line), one list per failure, innermost frame first."""
    groups: list[tuple[str, list[tuple[str, int]], list[tuple[str, int]]]] = []  # kind, frames, late
    new_group = True
    for raw in log.splitlines():
        line = _clean(raw)
        if _GROUP_START.search(line):
            new_group = True
        for kind, pattern in _FRAMES:
            if not (m := pattern.search(line)):
                continue
            family = "js" if kind == "tap" else kind
            if new_group or groups[-1][0] != family:
                groups.append((family, [], []))
                new_group = False
            # a TAP location names the test, not the failing line: after the stack frames
            (groups[-1][2] if kind == "tap" else groups[-1][1]).append(
                (m.group("path"), int(m.group("line")))
            )
            break
    return [(frames[::-1] if kind in _REVERSED else frames) + late for kind, frames, late in groups]


class _Files:
    """The repository's files, and the mapping of a path as a tool printed it onto one of them."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files = set(files)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        for f in self.files:
            self.by_name[posixpath.basename(f)].append(f)

    def resolve(self, raw: str) -> str | None:
        path = raw.strip().removeprefix("file://").replace("\\", "/")
        if any(mark in path for mark in _OUTSIDE):
            return None
        while path.startswith("./"):
            path = path[2:]
        if path in self.files:
            return path
        candidates = self.by_name.get(posixpath.basename(path), [])
        # an absolute or prefixed path: the longest repository path it ends with
        ends = [f for f in candidates if path.endswith("/" + f)]
        if ends:
            return max(ends, key=len)
        # a path relative to a subdirectory (the tool ran below the repository root): only when unambiguous
        if not path.startswith("/") and ".." not in path.split("/"):
            below = [f for f in candidates if f.endswith("/" + path)]
            if len(below) == 1:
                return below[0]
        return None


def locations(log: str, files: Collection[str]) -> list[Location]:
    """Where the log's failures point into the repository (``files``: repo-relative paths), most relevant
    first: the innermost in-repository frame of each failure in the order the failures appear, then the
    next frames; deduplicated; frames outside the repository dropped."""
    repo = _Files(files)
    resolved = []
    for group in _groups(log):
        frames = [Location(p, n) for raw, n in group if (p := repo.resolve(raw)) is not None]
        resolved.append(list(dict.fromkeys(frames)))
    out: dict[Location, None] = {}
    depth = max((len(g) for g in resolved), default=0)
    for i in range(depth):
        for group in resolved:
            if i < len(group):
                out.setdefault(group[i])
    return list(out)


# --- the excerpt ---------------------------------------------------------------------------------------

_ROOTS = (
    re.compile(r"^rootdir: (/\S+?)/?(?:,|$)"),  # pytest
    re.compile(r"^\s+(?:Compiling|Checking) \S+ v\S+ \((/[^)]+)\)"),  # cargo
)
_END = re.compile(r"^(?:={3,}|_{3,}|-{3,}).*$|^\s*\.\.\.\s*$|^# (?:Subtest|tests \d)")
_KEEP = re.compile(
    r"^E\s|^>|^\S+\.\w+:\d+:|^\s*File \"|^\s*Traceback|^\s*-->|^\s*\d+\s*\|"
    r"|\b(?:error|Error|ERROR|panicked|assert|Assert|Exception|Expected|expected|actual|not ok)\b"
    r"|^[A-Z]\w*(?:Error|Exception|Exit|Interrupt)\b|\.\w+:\d+:\d+\)?$"
)
_NOISE = re.compile(r"\(node:|^\s*node:|/site-packages/|/dist-packages/|^\s*duration_ms:")
_ABS = re.compile(r"(?:file://)?/[\w.@+~%,=/-]+")
_BLOCK = 60  # lines a failure's block may span at most


def _strip_roots(lines: list[str]) -> list[str]:
    roots = sorted({m.group(1) for line in lines for r in _ROOTS if (m := r.search(line))}, key=len)
    for root in reversed(roots):
        lines = [line.replace(root.rstrip("/") + "/", "") for line in lines]
    return lines


def _block(lines: list[str], start: int, stop: int, share: int) -> list[str]:
    """The lines of one failure from ``start``, shortened to ``share`` lines: the telling ones, the last
    ones (innermost frames, the assertion) before the first ones."""
    end = start + 1
    while end < min(stop, start + _BLOCK, len(lines)) and not _END.match(lines[end]):
        end += 1
    body = [(i, lines[i]) for i in range(start, end) if _telling(lines[i])]
    if len(body) > share:
        telling = [(i, text) for i, text in body[1:] if _KEEP.search(text)]
        body = [body[0], *telling[-(share - 1) :]] if share > 1 else body[:1]
    out, previous = [], None
    for i, text in body:
        if previous is not None and any(_telling(lines[j]) for j in range(previous + 1, i)):
            out.append("    ...")  # lines left out
        out.append(text.rstrip())
        previous = i
    return out if len(out) <= share else [text.rstrip() for _, text in body]


def _telling(line: str) -> bool:
    return bool(line.strip()) and not _NOISE.search(line)


def excerpt(log: str, limit: int = 40, files: Collection[str] = ()) -> str:
    """The failure of ``log`` told short for a prompt (at most ``limit`` lines): per recognized failure
    (``extract_signatures``) its summary line and the telling lines of the log around it, line numbers
    kept, workspace prefixes removed (and, given the repository's ``files``, any absolute path of one of
    them made repo-relative); the log's last lines when nothing was recognized."""
    lines = _strip_roots([_clean(line) for line in log.splitlines()])
    if files:
        repo = _Files(files)
        lines = [_ABS.sub(lambda m: repo.resolve(m.group(0)) or m.group(0), line) for line in lines]
    signatures = extract_signatures(log)
    if not signatures:
        tail = [line.rstrip() for line in lines if line.strip()]
        return "\n".join(tail[-limit:])
    signatures = signatures[: max(1, limit // 6)]
    starts = [s.line - 1 for s in signatures] + [len(lines)]
    share = max(2, (limit - len(signatures)) // len(signatures))
    out: list[str] = []
    for n, signature in enumerate(signatures):
        out.append(f"[{signature.kind.value}] {signature.summary}")
        out += _block(lines, starts[n], starts[n + 1], share)
    return "\n".join(out[:limit])
