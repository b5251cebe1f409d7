"""Where a red build's console log points into the repository, and the failure told short for a prompt.

Pure: text in, values out. ``locations`` reads the frames and error positions that tools print (Python
tracebacks, pytest's ``path.py:N: Error`` lines; rustc's ``--> src/x.rs:N:M`` of errors (not of
warnings), test panics and backtrace frames; node stack frames, the ``file:///x.js:N`` header of an
error thrown while a module loads (an ESM import of a name the module does not export), the importing file
of a package node cannot find, ``node --test`` locations; tsc's ``src/x.ts(N,M): error TS...`` and its
pretty ``src/x.ts:N:M - error TS...``; gcc / clang ``file.c:N:M: error``) and maps each path onto the
repository's files: an absolute path (a CI workspace, a worktree, a temp dir) becomes the repo-relative
file it ends with; frames outside the repository (site-packages, node_modules, Cargo's registry, the Rust
and Python standard libraries, ``node:internal``) are dropped. ``manifests`` says which manifests
(Cargo.toml, package.json, pyproject.toml) a dependency or version error concerns: a resolver's refusal,
a crate, package or module the error names that a manifest declares. ``excerpt`` keeps what a model
needs from the log (the failing test and its assertion, the exception and its innermost frames, the
compiler error, the error a test file printed before node's TAP report) with line numbers intact.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from codemonkeys.swarm.deps import parse_manifest, resolver_conflicts
from codemonkeys.swarm.signatures import extract_signatures
from codemonkeys.vocab.deps import normalize
from codemonkeys.vocab.enums import Ecosystem


@dataclass(frozen=True, slots=True)
class Location:
    """A line of a repository file (``path`` repo-relative, ``line`` 1-based) that a failure points at."""

    path: str
    line: int


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_STAMP = re.compile(r"^\s*\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?\s?")
_JS_EXT = r"(?:js|mjs|cjs|jsx|ts|mts|cts|tsx)"
_C_EXT = r"(?:c|h|cc|cpp|cxx|c\+\+|hh|hpp|hxx|m|mm|cu)"
_JS_FILE = rf"\S+\.{_JS_EXT}"

# (kind, pattern): kind "py" and "pytest" frames are printed outermost first, the others innermost first.
# A pattern with a ``module`` group and no ``line`` points at the line of ``path`` that names the module.
_FRAMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("py", re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)')),
    ("pytest", re.compile(r"^(?P<path>[^\s:]+\.py):(?P<line>\d+):(?: |$)")),
    ("rust", re.compile(r"^\s*--> (?P<path>[^\s:]+\.rs):(?P<line>\d+)(?::\d+)?\s*$")),
    ("rust", re.compile(r"panicked at (?:'.*', )?(?P<path>[^\s:']+\.rs):(?P<line>\d+)(?::\d+)?")),
    ("rust", re.compile(r"^\s+at (?P<path>[^\s:]+\.rs):(?P<line>\d+):\d+\s*$")),  # a backtrace frame
    ("c", re.compile(rf"^(?P<path>[^\s:]+\.{_C_EXT}):(?P<line>\d+):(?:\d+:)? (?:fatal )?error:")),
    ("tsc", re.compile(rf"^(?P<path>[^\s:()]+\.{_JS_EXT})\((?P<line>\d+),\d+\): error TS\d+:")),
    ("tsc", re.compile(rf"^(?P<path>[^\s:()]+\.{_JS_EXT}):(?P<line>\d+):\d+ - error TS\d+:")),
    ("tap", re.compile(rf"^\s+location: '(?:file://)?(?P<path>[^']+\.{_JS_EXT}):(?P<line>\d+):\d+'")),
    ("js", re.compile(rf"(?:^|[\s(])(?:file://)?(?P<path>[^\s()'\"]+\.{_JS_EXT}):(?P<line>\d+):\d+\)?\s*$")),
    # node's header of an error thrown while a module loads: the file and line, then the source line
    ("js", re.compile(rf"^(?:#\s)?(?:file://)?(?P<path>/[^\s()'\"]+\.{_JS_EXT}):(?P<line>\d+)\s*$")),
    # a package or module node cannot find: the file that imports it (ESM), the require stack (CommonJS)
    (
        "js",
        re.compile(rf"Cannot find (?:package|module) '(?P<module>[^']+)' imported from (?P<path>{_JS_FILE})"),
    ),
)
_REVERSED = frozenset({"py", "pytest"})
# Lines that start a new failure: its frames form one group.
_GROUP_START = re.compile(
    r"^\s*Traceback \(most recent call last\):"  # Python
    r"|^_{3,} .+ _{3,}$"  # a pytest section
    r"|^\s*not ok \d+ "  # TAP
    r"|^error(?:\[E\d+\])?: "  # rustc, cargo
    r"|^thread '.+' (?:\(\d+\) )?panicked at"
    r"|\berror TS\d+: "  # tsc: one error a line
    r"|^(?:#\s)?(?:file:///|/|node:)\S+:\d+\s*$"  # node: where an uncaught error was thrown
    r"|^(?:#\s)?\w*Error(?: \[\w+\])?: "  # node, an uncaught error (its stack follows)
)
# Lines that start a diagnostic whose positions are not a failure (rustc's warnings): skipped.
_SKIP_START = re.compile(r"^warning(?:\[[\w-]+\])?: ")
_REQUIRE = re.compile(r"Cannot find module '(?P<module>[^']+)'")  # CommonJS, then its "Require stack:"
_REQUIRED_BY = re.compile(rf"^(?:#\s)?- (?P<path>/\S+\.{_JS_EXT})\s*$")
_OUTSIDE = (
    "/site-packages/",
    "/dist-packages/",
    "/node_modules/",
    "/.cargo/registry/",
    "/.cargo/git/",
    "/.rustup/",
    "/rustc/",
    "node:",
    "<",
)


def _clean(line: str) -> str:
    return _STAMP.sub("", _ANSI.sub("", line), count=1)


_Frame = tuple[str, int, str]  # raw path, line (0: the line naming the module), module


def _groups(log: str) -> list[list[_Frame]]:
    """The frames of the log, one list per failure, innermost frame first."""
    groups: list[tuple[str, list[_Frame], list[_Frame]]] = []  # kind, frames, late
    new_group, skipping, required = True, False, ""
    for raw in log.splitlines():
        line = _clean(raw)
        if _SKIP_START.search(line):
            new_group, skipping = True, True
            continue
        if _GROUP_START.search(line):
            new_group, skipping = True, False
        if skipping:
            continue
        if m := _REQUIRE.search(line):
            required = m.group("module")
        found = [(kind, m) for kind, pattern in _FRAMES if (m := pattern.search(line))][:1]
        if not found and required and (m := _REQUIRED_BY.search(line)):
            found = [("js", m)]
        for kind, m in found:
            family = "js" if kind in ("tap", "tsc") else kind
            if new_group or groups[-1][0] != family:
                groups.append((family, [], []))
                new_group = False
            named = m.groupdict()
            frame = (named["path"], int(named.get("line") or 0), named.get("module") or required)
            if m.re is _REQUIRED_BY:  # the next file of a require stack requires this one
                required = named["path"]
            # a TAP location names the test, not the failing line: after the stack frames
            (groups[-1][2] if kind == "tap" else groups[-1][1]).append(frame)
    return [(frames[::-1] if kind in _REVERSED else frames) + late for kind, frames, late in groups]


_QUOTED = re.compile(r"""['"`]([^'"`\s]+)['"`]""")


def _naming(text: str, module: str) -> int:
    """The first line of ``text`` that names ``module`` in quotes (an import or require of it; a module
    given as a path: any relative path to that file), else 1."""
    stem = posixpath.splitext(posixpath.basename(module))[0]
    for n, line in enumerate(text.splitlines(), 1):
        for quoted in _QUOTED.findall(line):
            if quoted == module or ("/" in module and posixpath.splitext(quoted)[0].endswith("/" + stem)):
                return n
    return 1


class _Files:
    """The repository's files, and the mapping of a path as a tool printed it onto one of them."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files = set(files)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        for f in self.files:
            self.by_name[posixpath.basename(f)].append(f)

    def resolve(self, raw: str, roots: Collection[str] = ()) -> str | None:
        """The repository file ``raw`` names, None if none or several could be meant (a relative path
        that several subdirectories have: the one under one of ``roots``, the directories other paths of
        the log were found relative to)."""
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
            if len(below) > 1:
                below = [f for f in below if f.removesuffix(path) in roots]
            if len(below) == 1:
                return below[0]
        return None

    def roots(self, raws: Iterable[str]) -> set[str]:
        """The directories (``""``: the repository's) that relative paths among ``raws`` resolve below."""
        out = set()
        for raw in raws:
            if not raw.startswith(("/", "file:")) and (found := self.resolve(raw)) is not None:
                out.add(found.removesuffix(raw.removeprefix("./")))
        return out


def locations(log: str, files: Collection[str] | Mapping[str, str]) -> list[Location]:
    """Where the log's failures point into the repository (``files``: repo-relative paths, or paths ->
    texts), most relevant first: the innermost in-repository frame of each failure in the order the
    failures appear, then the next frames; deduplicated; frames outside the repository dropped. A frame
    that names a file without a line (node: the file importing a package it cannot find) points at the
    line naming the package when ``files`` has the texts, else at line 1."""
    repo = _Files(files)
    texts = files if isinstance(files, Mapping) else {}
    groups = _groups(log)
    roots = repo.roots(raw for group in groups for raw, _, _ in group)
    resolved = []
    for group in groups:
        frames = []
        for raw, n, module in group:
            if (p := repo.resolve(raw, roots)) is not None:
                frames.append(Location(p, n or (_naming(texts[p], module) if p in texts else 1)))
        resolved.append(list(dict.fromkeys(frames)))
    out: dict[Location, None] = {}
    depth = max((len(g) for g in resolved), default=0)
    for i in range(depth):
        for group in resolved:
            if i < len(group):
                out.setdefault(group[i])
    return list(out)


# --- the manifests of a dependency error ---------------------------------------------------------------

# (ecosystem, pattern of a log line naming a package, whether the error is about dependencies even when
# no manifest declares the package: the resolver's refusals and "not found" for a package, not a module)
_NAMED: tuple[tuple[Ecosystem, re.Pattern[str], bool], ...] = (
    (
        Ecosystem.CARGO,
        re.compile(r"failed to select a version for (?:the requirement )?`(?P<pkg>[\w-]+)"),
        True,
    ),
    (
        Ecosystem.CARGO,
        re.compile(r"no matching package (?:named|found)\W+(?:searched package name: )?`(?P<pkg>[\w-]+)`"),
        True,
    ),
    (Ecosystem.CARGO, re.compile(r"failed to load manifest for dependency `(?P<pkg>[\w-]+)`"), True),
    (Ecosystem.CARGO, re.compile(r"^error\[E0463\]: can't find crate for `(?P<pkg>\w+)`"), True),
    (
        Ecosystem.CARGO,
        re.compile(
            r"^error\[E0433\]: failed to resolve: "
            r"use of (?:undeclared|unresolved) (?:crate|module)(?: or module)? `(?P<pkg>\w+)`"
        ),
        True,
    ),
    (
        Ecosystem.CARGO,
        re.compile(r"^error\[E\d+\]: (?:unresolved import|failed to resolve:.*?) `(?:::)?(?P<pkg>\w+)::"),
        False,
    ),
    (
        Ecosystem.CARGO,
        re.compile(r"^error\[E\d+\]: .* in (?:crate|module) `(?:::)?(?P<pkg>\w+)(?:::|`)"),
        False,
    ),
    (Ecosystem.NPM, re.compile(r"No matching version found for (?P<pkg>@?[^@\s]+)@"), True),
    (
        Ecosystem.NPM,
        re.compile(r"404 Not Found - GET \S+/(?P<pkg>@[^/\s]+(?:/|%2[fF])[^/\s]+|[^@/\s]+)\s*(?:-|$)"),
        True,
    ),
    (
        Ecosystem.NPM,  # ENOTCACHED, ECONNREFUSED, ...: the registry request for the package failed
        re.compile(r"request to https?://\S+?/(?P<pkg>@[^/\s]+(?:/|%2[fF])[^/\s]+|[^@/\s]+) failed"),
        True,
    ),
    (Ecosystem.NPM, re.compile(r"Cannot find (?:package|module) '(?P<pkg>[^'.][^']*)'"), True),
    (
        Ecosystem.NPM,
        re.compile(r"The requested module '(?P<pkg>[^']+)' does not provide an export named"),
        False,
    ),
    (Ecosystem.NPM, re.compile(r"error TS\d+: .*?Module '\"(?P<pkg>[^\"]+)\"'"), False),
    (Ecosystem.NPM, re.compile(r"error TS(?:2307|7016): [^']*'(?P<pkg>[^']+)'"), True),
    (Ecosystem.PYPI, re.compile(r"No matching distribution found for (?P<pkg>[\w.-]+)"), True),
    (Ecosystem.PYPI, re.compile(r"No module named '(?P<pkg>\w+)"), False),
    (Ecosystem.PYPI, re.compile(r"cannot import name '\w+' from '(?P<pkg>\w+)"), False),
)
_MANIFEST_OF = {
    Ecosystem.CARGO: ("Cargo.toml",),
    Ecosystem.NPM: ("package.json",),
    Ecosystem.PYPI: ("pyproject.toml",),
}
_TOOLS = {"pip": Ecosystem.PYPI, "npm": Ecosystem.NPM, "cargo": Ecosystem.CARGO}
MAX_MANIFESTS = 2


def _package(ecosystem: Ecosystem, name: str) -> str | None:
    """The package a module specifier or path names (``@scope/pkg/sub`` -> ``@scope/pkg``, ``a.b`` ->
    ``a``); None for what no manifest declares (a relative or absolute path, ``node:``, ``crate``)."""
    if ecosystem is Ecosystem.NPM:
        if name.startswith((".", "/", "#", "node:")) or ":" in name:
            return None
        parts = name.replace("%2f", "/").replace("%2F", "/").split("/")
        return "/".join(parts[:2] if name.startswith("@") else parts[:1])
    if ecosystem is Ecosystem.CARGO and name in ("crate", "self", "super", "std", "core", "alloc"):
        return None
    return name.split(".")[0]


def _dependency_errors(log: str) -> tuple[dict[Ecosystem, set[str]], set[Ecosystem]]:
    """The packages a log's errors name per ecosystem, and the ecosystems whose errors are about
    dependencies whatever the manifests declare (a resolver's refusal, a package that is not there)."""
    named: dict[Ecosystem, set[str]] = defaultdict(set)
    certain: set[Ecosystem] = set()
    for raw in log.splitlines():
        line = _clean(raw).removeprefix("# ")
        for ecosystem, pattern, sure in _NAMED:
            if (m := pattern.search(line)) and (package := _package(ecosystem, m.group("pkg"))):
                named[ecosystem].add(normalize(ecosystem, package))
                if sure:
                    certain.add(ecosystem)
    for conflict in resolver_conflicts(log):
        if (ecosystem := _TOOLS.get(conflict.tool)) is not None:
            certain.add(ecosystem)
            named[ecosystem].add(normalize(ecosystem, conflict.package))
    return named, certain


def _nearness(path: str, near: Iterable[str]) -> int:
    """How many leading directories ``path`` shares with the closest of ``near`` (a manifest governs the
    files below its directory)."""
    here = posixpath.dirname(path)
    best = -1
    for other in near:
        if here == "" or other.startswith(here + "/"):
            best = max(best, here.count("/") + (1 if here else 0))
    return best


def manifests(log: str, files: Mapping[str, str], near: Iterable[str] = ()) -> list[Location]:
    """The manifests (Cargo.toml, package.json, pyproject.toml) that a dependency or version error in
    ``log`` concerns, each at the line that declares the package the error names (line 1 when none
    does), at most ``MAX_MANIFESTS``: those that declare a package the error names, the closest to the
    failure (``near``: repo-relative paths) first; for a resolver's refusal or a package that is not
    there, else the manifest that governs the failing files (or the repository's own). Empty when the
    log shows no dependency error; lock files are never manifests (a heal may not change them)."""
    named, certain = _dependency_errors(log)
    if not named and not certain:
        return []
    near = list(near)
    found: list[tuple[tuple[int, int, str], Location]] = []
    governing: list[tuple[tuple[int, int, str], Location]] = []
    for path, text in files.items():
        base = posixpath.basename(path)
        ecosystem = next((e for e, names in _MANIFEST_OF.items() if base in names), None)
        if ecosystem is None or "/node_modules/" in f"/{path}":
            continue
        rank = (-_nearness(path, near), path.count("/"), path)
        wanted = named.get(ecosystem, set())
        declared = {r.package for r in parse_manifest(path, text)} & wanted
        if declared:
            found.append((rank, Location(path, _declaring(text, ecosystem, declared))))
        elif ecosystem in certain:
            governing.append((rank, Location(path, 1)))
    chosen = sorted(found) or sorted(governing)
    return [loc for _, loc in chosen[:MAX_MANIFESTS]]


def _declaring(text: str, ecosystem: Ecosystem, packages: set[str]) -> int:
    """The line of a manifest that declares one of ``packages`` (normalized), else 1."""
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"""\s*["']?(@?[\w./-]+)["']?\s*[:=]""", line)
        if m and normalize(ecosystem, m.group(1)) in packages:
            return n
    return 1


# --- the excerpt ---------------------------------------------------------------------------------------

_ROOTS = (
    re.compile(r"^rootdir: (/\S+?)/?(?:,|$)"),  # pytest
    re.compile(r"^\s+(?:Compiling|Checking) \S+ v\S+ \((/[^)]+)\)"),  # cargo
)
_END = re.compile(
    r"^(?:={3,}|_{3,}|-{3,}).*$|^\s*\.\.\.\s*$|^# (?:Subtest|tests \d)"
    r"|^warning(?:\[[\w-]+\])?: "  # rustc: a warning is not part of the error before it
)
# The diagnostics a node test file printed before its TAP report ("# " lines above "# Subtest:")
_TAP_REPORT = re.compile(r"^(?:not )?ok \d+ |^# Subtest: ")
_TAP_NOTE = re.compile(r"^# (?!Subtest: |(?:tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) )")
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


def _preamble(lines: list[str], start: int, share: int) -> list[str]:
    """What a node test file printed before the TAP report that starts at ``start`` (an error thrown
    while it loaded, which the report only calls "test failed"): its telling lines, at most ``share``."""
    if not _TAP_REPORT.match(lines[start] if start < len(lines) else ""):
        return []
    i = start - 1
    while i >= 0 and _TAP_REPORT.match(lines[i]):
        i -= 1
    notes: list[str] = []
    while i >= 0 and _TAP_NOTE.match(lines[i]):
        notes.append(lines[i][2:].rstrip())
        i -= 1
    return [line for line in reversed(notes) if _telling(line)][:share]


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
        before = _preamble(lines, starts[n], share // 2)
        out += before + _block(lines, starts[n], starts[n + 1], share - len(before))
    return "\n".join(out[:limit])
