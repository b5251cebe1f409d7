"""release.cut: bump the version file, write the CHANGELOG section, commit, tag, push to the source.

Idempotent: if the tag already exists (locally or at the source) the cut is a noop. The release
commit and tag are pushed together with ``git push --atomic``; if the push fails nothing reached the
source, and the next sync of the mirror drops the local tag, so the next run cuts again cleanly.
The release commit carries ``[skip ci]``: CI results of its parent stand for it (as semantic-release).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import tomlkit

from codemonkeys.act.base import ActContext, ActionResult, Outcome, moved_since, repo_lock, worktree
from codemonkeys.gitutil import IDENTITY, GitError, git
from codemonkeys.observe.git import LOG_FORMAT, _records, sync_mirror
from codemonkeys.vocab.facts import Bump, Commit
from codemonkeys.vocab.plan import Action
from codemonkeys.vocab.versionfiles import version_file_for, write_version
from codemonkeys.vocab.versioning import commit_bump, format_tag, parse_commit

CHANGELOG = "CHANGELOG.md"
_HEADER = "# Changelog\n\nAll notable changes to this project are documented here by Code Monkeys.\n"
_SECTIONS = [
    ("BREAKING CHANGES", lambda c: c.breaking),
    ("Features", lambda c: c.type == "feat" and not c.breaking),
    ("Bug Fixes", lambda c: c.type == "fix" and not c.breaking),
    ("Performance", lambda c: c.type == "perf" and not c.breaking),
]


def render_changelog_section(version: str, date: str, commits: list[Commit]) -> str:
    """Pure: one release's CHANGELOG section, commits grouped by type, with short shas."""
    lines = [f"## {version} ({date})", ""]
    for title, pick in _SECTIONS:
        chosen = [c for c in commits if pick(c)]
        if chosen:
            lines += [f"### {title}", ""]
            for c in chosen:
                desc = c.subject.split(":", 1)[1].strip() if ":" in c.subject else c.subject
                scope = f"**{c.scope}:** " if c.scope else ""
                lines.append(f"- {scope}{desc} ({c.sha[:7]})")
            lines.append("")
    if len(lines) == 2:
        lines += ["- Release.", ""]
    return "\n".join(lines) + "\n"


def insert_section(existing: str | None, section: str) -> str:
    """Put ``section`` above the newest release of an existing changelog (or start one)."""
    if not existing:
        return _HEADER + "\n" + section
    marker = existing.find("\n## ")
    if marker == -1:
        return existing.rstrip("\n") + "\n\n" + section
    return existing[: marker + 1] + section + "\n" + existing[marker + 1 :]


def _bump_cargo_lock(path: Path, crate: str, version: str) -> None:
    if not path.is_file():
        return
    doc = tomlkit.parse(path.read_text())
    for pkg in doc.get("package", []):
        if pkg.get("name") == crate and "source" not in pkg:
            pkg["version"] = version
    path.write_text(tomlkit.dumps(doc))


def cut_release(action: Action, ctx: ActContext) -> ActionResult:
    """One cut at a time per repository: products of a monorepo commit to the same branch."""
    with repo_lock(ctx, action.product):
        return _cut_release(action, ctx)


def _cut_release(action: Action, ctx: ActContext) -> ActionResult:
    name = action.product
    product = ctx.desired.products[name]
    release = product.spec.release
    assert release is not None
    version, tag, planned_head = action.params["version"], action.params["tag"], action.params["commit"]
    mirror = ctx.mirror(name)
    url = ctx.desired.repo_location(name)
    try:
        sync_mirror(url, mirror)
    except GitError as exc:
        return ActionResult(Outcome.FAILED, f"cannot fetch {url}: {exc.stderr}", transient=True)
    if git(["tag", "--list", tag], mirror):
        return ActionResult(Outcome.NOOP, f"{tag} already exists", {"tag": tag, "version": version})
    branch = product.spec.source.branch
    head = git(["rev-parse", f"refs/heads/{branch}"], mirror)
    pathspec = ["--", product.spec.source.path] if product.spec.source.path else []
    if moved_since(mirror, planned_head, head, product.spec.source.path):
        return ActionResult(
            Outcome.FAILED,
            f"{branch} moved from {planned_head[:12]} to {head[:12]} since the plan; plan again",
        )
    previous = action.params.get("previous")
    prev_tag = None
    if previous:
        prev_tag = format_tag(product.spec.tag_format, name, previous)
    rng = [f"{prev_tag}..{head}"] if prev_tag else [head]
    commits = [
        parse_commit(*r) for r in _records(git(["log", f"--format={LOG_FORMAT}", *rng, *pathspec], mirror))
    ]
    commits = [c for c in commits if commit_bump(c) is not Bump.NONE or c.breaking]

    base = Path(product.spec.source.path or ".")
    vfile = base / version_file_for(product.spec.language, release.version_file)
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    with worktree(mirror, head, ctx.work_dir) as tree:
        vpath = tree / vfile
        if not vpath.is_file():
            return ActionResult(Outcome.FAILED, f"version file {vfile} not found at {head[:12]}")
        vpath.write_text(write_version(vfile.name, vpath.read_text(), version))
        changed = [str(vfile)]
        if vfile.name == "Cargo.toml":
            _bump_cargo_lock(tree / base / "Cargo.lock", name_in_cargo(vpath), version)
            if (tree / base / "Cargo.lock").is_file():
                changed.append(str(base / "Cargo.lock"))
        cl = tree / base / CHANGELOG
        cl.write_text(
            insert_section(
                cl.read_text() if cl.is_file() else None, render_changelog_section(version, date, commits)
            )
        )
        changed.append(str(base / CHANGELOG))
        git(["add", "--", *changed], tree)
        git(
            ["commit", "--quiet", "-m", f"chore(release): {name} {version}", "-m", "[skip ci]"],
            tree,
            env=IDENTITY,
        )
        git(["tag", "-a", tag, "-m", f"{name} {version}"], tree, env=IDENTITY)
        release_commit = git(["rev-parse", "HEAD"], tree)
        try:
            git(
                [
                    "push",
                    "--atomic",
                    "--quiet",
                    "origin",
                    f"{release_commit}:refs/heads/{branch}",
                    f"refs/tags/{tag}",
                ],
                tree,
            )
        except GitError as exc:
            git(["tag", "-d", tag], mirror, check=False)
            return ActionResult(
                Outcome.FAILED, f"push to {url} failed: {ctx.redact(exc.stderr)}", transient=True
            )
    git(["update-ref", f"refs/heads/{branch}", release_commit], mirror)
    return ActionResult(
        Outcome.SUCCEEDED,
        f"released {version} as {tag} ({release_commit[:12]}, {len(commits)} changes)",
        {"version": version, "tag": tag, "commit": release_commit, "changes": len(commits)},
    )


def name_in_cargo(cargo_toml: Path) -> str:
    return tomlkit.parse(cargo_toml.read_text())["package"]["name"]  # type: ignore[index,return-value]
