"""The checks a proposed patch passes before anything applies it: what it touches, its size, what it adds.

Pure: a unified diff (text) in, facts and problems out. ``inspect_patch`` reads the files, the added and
removed line counts (strictly: hunk headers must count their lines, as ``extract_diff`` makes them);
``check_patch`` lists what is wrong with a patch for a self-healing build: paths outside the allowed
globs, protected paths (CI configuration, lockfiles, secrets), paths that leave the repository, a patch
too big, binary patches, symlinks, and added lines that look like credentials. The problems never quote
a credential.

Globs: a pattern without ``/`` matches a file's name anywhere (``*.lock``, ``Jenkinsfile``); one with
``/`` matches the whole repo-relative path, ``**`` standing for any number of directories and ``*`` for
any part of one name (``.github/**``, ``**/secrets/**``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

CI_CONFIG = ("Jenkinsfile", ".github/**", ".gitlab-ci.yml", ".circleci/**")
LOCKFILES = (
    "*.lock",
    "package-lock.json",
    "poetry.lock",
    "Cargo.lock",
    "uv.lock",
    "pnpm-lock.yaml",
    "yarn.lock",
)
SECRET_FILES = (".env*", "*.pem", "*.key", "id_rsa*", "**/secrets/**")
DEFAULT_PROTECTED: tuple[str, ...] = (*CI_CONFIG, *LOCKFILES, *SECRET_FILES)


@dataclass(frozen=True, slots=True)
class PatchInfo:
    """What a patch touches: repo-relative ``files`` (old and new names), added and removed lines,
    whether it has binary parts, the files it makes symlinks, and the added lines (new line number, text)."""

    files: tuple[str, ...]
    added: int
    removed: int
    binary: bool = False
    symlinks: tuple[str, ...] = ()
    added_lines: tuple[tuple[str, int, str], ...] = ()  # (path, new line number, text)


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_GIT_HEADER = re.compile(r"^diff --git (\S+) (\S+)$")
_BINARY = re.compile(r"^(?:GIT binary patch|Binary files .* differ)$")
_SYMLINK = re.compile(r"^(?:new file mode|new mode) 120000$")


def _path(header: str) -> str | None:
    """The repo-relative path of a ``---``/``+++``/``diff --git`` name; None for /dev/null."""
    name = header.split("\t", 1)[0].strip()
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1]
    if name == "/dev/null":
        return None
    return name[2:] if name[:2] in ("a/", "b/") else name


class _Reader:
    """Reads a unified diff line by line, strictly."""

    def __init__(self, diff: str) -> None:
        self.lines = diff.splitlines()
        self.files: dict[str, None] = {}
        self.added: list[tuple[str, int, str]] = []
        self.removed = 0
        self.binary = False
        self.symlinks: list[str] = []

    def read(self) -> PatchInfo:
        i, current = 0, ""
        while i < len(self.lines):
            line = self.lines[i]
            if m := _GIT_HEADER.match(line):
                old, new = _path(m.group(1)), _path(m.group(2))  # a rename touches both
                if old and old != new:
                    self._touch(old)
                current = self._touch(new or old)
            elif line.startswith("--- ") and i + 1 < len(self.lines) and self.lines[i + 1].startswith("+++ "):
                old, new = _path(line[4:]), _path(self.lines[i + 1][4:])
                if old:
                    self._touch(old)
                current = self._touch(new) if new else old or ""
                i += 1
            elif m := _HUNK.match(line):
                if not current:
                    raise ValueError(f"line {i + 1}: a hunk before any file header (--- a/PATH, +++ b/PATH)")
                i = self._hunk(m, i + 1, current)
                continue
            elif _BINARY.match(line):
                self.binary = True
            elif _SYMLINK.match(line) and current:
                self.symlinks.append(current)
            i += 1
        if not self.files:
            raise ValueError("not a unified diff: no file headers (--- a/PATH, +++ b/PATH or diff --git)")
        return PatchInfo(
            tuple(self.files),
            len(self.added),
            self.removed,
            self.binary,
            tuple(self.symlinks),
            tuple(self.added),
        )

    def _touch(self, path: str | None) -> str:
        if not path:
            raise ValueError("a file header names no file")
        self.files.setdefault(path)
        return path

    def _hunk(self, m: re.Match[str], i: int, path: str) -> int:
        header = i
        old = int(m.group(2)) if m.group(2) is not None else 1
        new = int(m.group(4)) if m.group(4) is not None else 1
        number = int(m.group(3))
        while old > 0 or new > 0:
            if i >= len(self.lines):
                raise ValueError(f"line {header}: the hunk of {path} ends before the lines its header counts")
            line = self.lines[i]
            tag, text = (line[:1], line[1:]) if line else (" ", "")
            if tag == " ":
                old, new, number = old - 1, new - 1, number + 1
            elif tag == "-":
                old, self.removed = old - 1, self.removed + 1
            elif tag == "+":
                self.added.append((path, number, text))
                new, number = new - 1, number + 1
            elif tag != "\\":
                raise ValueError(f"line {i + 1}: {line[:60]!r} is not a line of a hunk of {path}")
            if old < 0 or new < 0:
                raise ValueError(f"line {i + 1}: the hunk of {path} has more lines than its header counts")
            i += 1
        while i < len(self.lines) and self.lines[i].startswith("\\"):
            i += 1
        return i


def inspect_patch(diff: str) -> PatchInfo:
    """The files a unified diff touches and its size. Raises ``ValueError`` (saying where and why) for
    text that is not a unified diff, or whose hunks do not hold the lines their headers count."""
    return _Reader(diff).read()


@cache
def _glob(pattern: str) -> re.Pattern[str]:
    anchored = "/" in pattern.rstrip("/")
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    return re.compile(body + r"\Z" if anchored else r"(?:.*/)?" + body + r"\Z")


def matches(path: str, patterns: Sequence[str]) -> str | None:
    """The first of ``patterns`` (globs, see the module docstring) that ``path`` matches, None if none."""
    return next((p for p in patterns if _glob(p.lstrip("/")).match(path)), None)


def _outside(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return path.startswith(("/", "\\", "~")) or bool(re.match(r"[A-Za-z]:", path)) or ".." in parts


# Added lines that look like credentials: (what, pattern). Values of assignments are judged by _real.
_SECRETS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}")),
    (
        "a Slack token",
        re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}|hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    ),
)
_ASSIGNED = re.compile(
    r"(?i)\b[\w.-]*(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key|auth[_-]?token"
    r"|access[_-]?token|token|private[_-]?key|client[_-]?secret)[\w-]*[\"']?\s*(?::=|=>|[:=])\s*"
    r"(?:(?P<q>[\"'])(?P<quoted>[^\"'\n]*)(?P=q)|(?P<bare>[^\s\"'#;,()\[\]{}]+)\s*(?:[#;,]|$))"
)
_PLACEHOLDER = re.compile(
    r"(?i)^(?:x+|\*+|\.+|changeme|change[_-]?me|password|secret|none|null|nil|todo|redacted|test|dummy\w*"
    r"|example\w*|placeholder\w*|your[_-]\w+|<[^>]*>|\$\{?[\w.]+\}?|\{\{.*\}\}|%\(.*\)s)$"
)


def _real(value: str, quoted: bool) -> bool:
    """Whether an assigned value looks like a real secret, not a placeholder or an expression."""
    if len(value) < 8 or _PLACEHOLDER.match(value) or "${" in value or "{{" in value:
        return False
    if quoted:
        return not value.isspace()
    # a bare value: a literal of letters and digits (a real password), not a name (an expression)
    return bool(re.search(r"\d", value) and re.search(r"[A-Za-z]", value)) and not re.fullmatch(
        r"[A-Za-z_][\w.]*", value
    )


def credential(text: str) -> str | None:
    """What credential an added line seems to hold ("an AWS access key", ...), None if it looks clean."""
    for what, pattern in _SECRETS:
        if pattern.search(text):
            return what
    for m in _ASSIGNED.finditer(text):
        if m.group("quoted") is not None and _real(m.group("quoted"), True):
            return "a secret literal assigned"
        if m.group("bare") is not None and _real(m.group("bare"), False):
            return "a secret literal assigned"
    return None


def check_patch(
    diff: str,
    *,
    allowed: Sequence[str] = ("**",),
    protected: Sequence[str] = DEFAULT_PROTECTED,
    max_lines: int = 200,
) -> list[str]:
    """The problems of a proposed patch, empty when it may be tried: not a diff, paths outside the
    repository, outside ``allowed`` or matching ``protected`` globs, more than ``max_lines`` changed lines,
    binary parts, symlinks, added lines that look like credentials (named by file and line, not quoted)."""
    try:
        info = inspect_patch(diff)
    except ValueError as e:
        return [str(e)]
    problems: list[str] = []
    for path in info.files:
        if _outside(path):
            problems.append(f"{path}: outside the repository (absolute, home or '..' path)")
            continue
        if (guard := matches(path, protected)) is not None:
            problems.append(f"{path}: protected (matches {guard!r}): CI configuration, lockfiles and secrets")
        if matches(path, allowed) is None:
            problems.append(f"{path}: not among the allowed paths ({', '.join(allowed)})")
    changed = info.added + info.removed
    if changed > max_lines:
        problems.append(
            f"too big: {changed} changed lines (+{info.added} -{info.removed}), at most {max_lines}"
        )
    if info.binary:
        problems.append("binary patch: only text changes are accepted")
    problems += [f"{path}: makes a symlink" for path in info.symlinks]
    for path, number, text in info.added_lines:
        if (what := credential(text)) is not None:
            problems.append(f"{path}:{number}: added line looks like a credential ({what})")
    return problems
