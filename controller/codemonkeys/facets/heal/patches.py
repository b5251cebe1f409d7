"""The checks a proposed patch passes before anything applies it: what it touches, its size, what it adds.

Pure: a unified diff (text) in, facts and problems out. ``inspect_patch`` reads the files as ``git apply``
reads the headers (facets/heal/gitdiff.py: one component stripped, C-quoted names, renames, copies, modes,
``/dev/null``), the added and removed line counts (strictly: hunk headers must count their lines, as
``extract_diff`` makes them); ``check_patch`` lists what is wrong with a patch for a self-healing build:
paths outside the allowed globs, protected paths (CI definitions, lock files, git's own files, secrets;
matched without regard to case), paths that leave the repository or enter ``.git``, a patch too big,
binary patches, symlinks, and added lines that look like credentials. The problems never quote a
credential.

Globs: a pattern without ``/`` matches a file's name anywhere (``*.lock``, ``Jenkinsfile``); one with
``/`` matches the whole repo-relative path, ``**`` standing for any number of directories and ``*`` for
any part of one name (``.github/**``, ``**/secrets/**``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from codemonkeys.facets.heal.gitdiff import parse_diff

# What runs the product's CI, wherever a monorepo keeps it (matched without regard to case: a lower-case
# ``jenkinsfile`` is Jenkins' too, and on a case-insensitive file system ``.GITHUB`` is ``.github``).
CI_CONFIG = (
    "Jenkinsfile",
    "Jenkinsfile.*",
    "*.jenkinsfile",
    "**/.github/**",  # GitHub Actions (workflows, composite actions)
    "**/.gitea/**",
    "**/.forgejo/**",
    ".gitlab-ci.yml",
    ".gitlab-ci.yaml",
    "**/.gitlab/**",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    "**/.azure-pipelines/**",
    "**/.circleci/**",
    ".travis.yml",
    ".travis.yaml",
    "**/.buildkite/**",
    "buildkite.yml",
    "buildkite.yaml",
    ".drone.yml",
    ".drone.yaml",
    ".drone.jsonnet",
    ".drone.star",
    ".woodpecker.yml",
    "**/.woodpecker/**",
    "**/.ci/**",  # the local runner's scripts (this project's own CI is .ci/run)
)
# Lock files: what a heal may not change under the build (a new pin is a person's change). pip-tools'
# compiled requirements cannot be told from hand-written ones by a diff: every requirements*.txt is kept.
LOCKFILES = (
    "*.lock",  # Poetry, uv, PDM, Pipenv (Pipfile.lock), Cargo, Bundler (Gemfile.lock), Composer, Yarn
    "requirements*.txt",  # pip-tools
    "**/requirements/*.txt",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "bun.lockb",
    "go.sum",
    "go.work.sum",
)
# What changes how git itself treats the repository, or runs on a developer's machine.
GIT_FILES = (
    ".gitattributes",
    ".gitmodules",
    "**/.githooks/**",
    "**/.husky/**",
    ".pre-commit-config.yaml",
    "lefthook.yml",
    ".lefthook.yml",
)
SECRET_FILES = (".env*", "*.pem", "*.key", "id_rsa*", "**/secrets/**")
DEFAULT_PROTECTED: tuple[str, ...] = (*CI_CONFIG, *LOCKFILES, *GIT_FILES, *SECRET_FILES)


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


def inspect_patch(diff: str) -> PatchInfo:
    """The files a unified diff touches, as ``git apply`` reads its headers (facets/heal/gitdiff.py), and its
    size. Raises ``ValueError`` (saying where and why) for text git would not apply as a patch, or whose
    hunks do not hold the lines their headers count."""
    parts = parse_diff(diff)
    files = dict.fromkeys(name for part in parts for name in part.touched)
    added = [(path, n, text) for part in parts for path in part.written[-1:] for n, text in part.added]
    symlinks = [part.new_name or part.old_name or "" for part in parts if part.symlink]
    return PatchInfo(
        tuple(files),
        len(added),
        sum(part.removed for part in parts),
        any(part.binary for part in parts),
        tuple(symlinks),
        tuple(added),
    )


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


def matches(path: str, patterns: Sequence[str], fold: bool = False) -> str | None:
    """The first of ``patterns`` (globs, see the module docstring) that ``path`` matches, None if none;
    ``fold``: without regard to case."""
    if fold:
        return next((p for p in patterns if _glob(p.lstrip("/").casefold()).match(path.casefold())), None)
    return next((p for p in patterns if _glob(p.lstrip("/")).match(path)), None)


def _outside(path: str) -> bool:
    """Absolute, home, drive, ``..`` or inside ``.git``: git would refuse it, or write outside the tree."""
    parts = path.replace("\\", "/").split("/")
    return (
        path.startswith(("/", "\\", "~"))
        or bool(re.match(r"[A-Za-z]:", path))
        or ".." in parts
        or any(part.casefold().rstrip(". ") == ".git" for part in parts)
    )


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
            problems.append(f"{path}: outside the repository (absolute, home, '..' or .git path)")
            continue
        if (guard := matches(path, protected, fold=True)) is not None:
            problems.append(
                f"{path}: protected (matches {guard!r}): CI configuration, lock files, git's own files and "
                "secrets"
            )
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
