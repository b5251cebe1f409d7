"""release.cut: bump the version file, write the CHANGELOG section, commit, tag, push to the source.

Idempotent: if the tag already exists (locally or at the source) the cut is a noop. The release
commit and tag are pushed together with ``git push --atomic``; if the push fails nothing reached the
source, and the next sync of the mirror drops the local tag, so the next run cuts again cleanly.
The release commit carries ``[skip ci]``: CI results of its parent stand for it (as semantic-release).
release.publish is ``publish`` (``publish.py``: a file registry, or the registry's Ansible playbook).

In pull-request mode (``spec.git.mode``) the release commit goes to ``release/<product>`` (replaced as the
release moves) as a pull request with the changelog section, not to the branch; the parent's green
build is posted as the release commit's ``codemonkeys/build`` status (the forge's required check). The
plan then carries the pull request (``Action.pull``) and the cut merges it through the forge (or finds it
merged by a person), tags the merge commit, pushes the tag alone and deletes the release branch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import tomlkit

from codemonkeys.act import pulls
from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.facets.release import release_branch
from codemonkeys.facets.release.publish import publish as publish  # the release.publish actuator
from codemonkeys.gitcred import helper_for
from codemonkeys.kinds.models import Product
from codemonkeys.repos import (
    GitError,
    Mirror,
    Worktree,
    is_working_copy,
    push_refused_for_dirty_tree,
    repo_lock,
    sync_mirror,
)
from codemonkeys.vocab.facts import Bump, Commit
from codemonkeys.vocab.plan import Action
from codemonkeys.vocab.versionfiles import read_version, version_file_for, write_version
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
    """release.cut, one at a time per repository: products of a monorepo commit to the same branch."""
    with repo_lock(ctx.mirror(action.product)) as mirror:
        url = ctx.desired.repo_location(action.product)
        try:
            sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
        except GitError as exc:
            return ActionResult(Outcome.FAILED, f"cannot fetch {url}: {exc.stderr}", transient=True)
        with Mirror(mirror) as repo:
            if pulls.pull_requests(ctx.desired, action.product):
                return _by_pull_request(action, ctx, repo, mirror)
            return _cut_release(action, ctx, repo)


def _push_failed(url: str, branch: str, exc: GitError, ctx: ActContext) -> ActionResult:
    """A refused push as a result: plainly when a local working copy has uncommitted changes."""
    if push_refused_for_dirty_tree(exc):
        message = (
            f"{url} is a working copy with uncommitted changes on {branch}: commit or stash them, then "
            "apply again (nothing was pushed: no release commit, no tag)"
        )
        return ActionResult(Outcome.FAILED, message)
    return ActionResult(Outcome.FAILED, f"push to {url} failed: {ctx.redact(exc.stderr)}", transient=True)


def _release_commits(action: Action, product: Product, repo: Mirror, head: str) -> list[Commit]:
    """The releasable commits since the previous version's tag (what the changelog lists)."""
    previous = action.params.get("previous")
    prev_tag = format_tag(product.spec.tag_format, product.metadata.name, previous) if previous else None
    commits = [parse_commit(*r) for r in repo.commits_since(prev_tag, head, product.spec.source.path or None)]
    return [c for c in commits if commit_bump(c) is not Bump.NONE or c.breaking]


def _planned_head(action: Action, ctx: ActContext, repo: Mirror) -> tuple[str, list[Commit]] | ActionResult:
    """The product's branch head and the releasable commits since the previous version; a failure when
    the branch moved since the plan."""
    product = ctx.desired.products[action.product]
    branch, planned_head = product.spec.source.branch, action.params["commit"]
    head = repo.branch_head(branch)
    if repo.moved_since(planned_head, head, product.spec.source.path):
        return ActionResult(
            Outcome.FAILED,
            f"{branch} moved from {planned_head[:12]} to {head[:12]} since the plan; plan again",
        )
    return head, _release_commits(action, product, repo, head)


def _commit_release(
    tree: Worktree, action: Action, ctx: ActContext, commits: list[Commit], head: str
) -> str | ActionResult:
    """The release commit (version file, changelog; ``[skip ci]``) made in ``tree`` on ``head``."""
    name, version = action.product, action.params["version"]
    changed = _write_release_files(tree.path, ctx.desired.products[name], version, commits, head)
    if isinstance(changed, ActionResult):
        return changed
    return tree.commit(changed, f"chore(release): {name} {version}", "[skip ci]")


def _cut_release(action: Action, ctx: ActContext, repo: Mirror) -> ActionResult:
    name = action.product
    product = ctx.desired.products[name]
    version, tag = action.params["version"], action.params["tag"]
    if repo.has_tag(tag):
        return ActionResult(Outcome.NOOP, f"{tag} already exists", {"tag": tag, "version": version})
    branch = product.spec.source.branch
    planned = _planned_head(action, ctx, repo)
    if isinstance(planned, ActionResult):
        return planned
    head, commits = planned
    with repo.worktree(head, ctx.work_dir) as tree:
        release_commit = _commit_release(tree, action, ctx, commits, head)
        if isinstance(release_commit, ActionResult):
            return release_commit
        tree.tag(tag, f"{name} {version}")
        url = ctx.desired.repo_location(name)
        try:
            tree.push(release_commit, branch, tag, update_instead=is_working_copy(url))
        except GitError as exc:
            repo.delete_tag(tag)
            return _push_failed(url, branch, exc, ctx)
    repo.set_branch(branch, release_commit)
    return ActionResult(
        Outcome.SUCCEEDED,
        f"released {version} as {tag} ({release_commit[:12]}, {len(commits)} changes)",
        {"version": version, "tag": tag, "commit": release_commit, "changes": len(commits)},
    )


def _write_release_files(
    tree: Path, product: Product, version: str, commits: list[Commit], head: str
) -> list[str] | ActionResult:
    """Bump the version file (and Cargo.lock) and prepend the changelog section; returns changed paths."""
    release = product.spec.release
    assert release is not None
    base = Path(product.spec.source.path or ".")
    vfile = base / version_file_for(product.spec.language, release.version_file)
    vpath = tree / vfile
    if not vpath.is_file():
        return ActionResult(Outcome.FAILED, f"version file {vfile} not found at {head[:12]}")
    vpath.write_text(write_version(vfile.name, vpath.read_text(), version))
    changed = [str(vfile)]
    if vfile.name == "Cargo.toml" and (tree / base / "Cargo.lock").is_file():
        _bump_cargo_lock(tree / base / "Cargo.lock", name_in_cargo(vpath), version)
        changed.append(str(base / "Cargo.lock"))
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    cl = tree / base / CHANGELOG
    section = render_changelog_section(version, date, commits)
    cl.write_text(insert_section(cl.read_text() if cl.is_file() else None, section))
    changed.append(str(base / CHANGELOG))
    return changed


def name_in_cargo(cargo_toml: Path) -> str:
    """The crate name a Cargo.toml declares."""
    return tomlkit.parse(cargo_toml.read_text())["package"]["name"]  # type: ignore[index,return-value]


# --- pull-request mode -------------------------------------------------------------------------------


def _by_pull_request(action: Action, ctx: ActContext, repo: Mirror, mirror: Path) -> ActionResult:
    """release.cut in pull-request mode: open or update the release pull request (the plan carries none),
    else merge it through the forge (or find it merged) and tag the merge (see the module docstring)."""
    name, tag, version = action.product, action.params["tag"], action.params["version"]
    branch = release_branch(name)
    if repo.has_tag(tag):
        ctx.store.forget_pull(name, branch)
        return ActionResult(Outcome.NOOP, f"{tag} already exists", {"tag": tag, "version": version})
    if action.pull is None:
        return _open_release_pull(action, ctx, repo, branch)
    pulls.audit_reviews(ctx, action)
    settled = pulls.settle(ctx, name, branch, None, f"chore(release): {name} {version}")
    if isinstance(settled, ActionResult):
        return settled
    if settled.state is pulls.PullState.CLOSED:
        message = f"release pull request #{settled.number} was closed without merging: {version} not released"
        return ActionResult(Outcome.FAILED, message)
    url = ctx.desired.repo_location(name)
    try:
        sync_mirror(url, mirror, helper_for(ctx.desired, name))  # the forge's merge commit
        landed = settled.commit or repo.branch_head(ctx.desired.products[name].spec.source.branch)
        product = ctx.desired.products[name]
        assert product.spec.release is not None
        vfile = Path(product.spec.source.path or ".") / version_file_for(
            product.spec.language, product.spec.release.version_file
        )
        if read_version(vfile.name, repo.read_text(landed, str(vfile)) or "") != version:
            message = (
                f"the merge of release pull request #{settled.number} ({landed[:12]}) does not carry "
                f"version {version} in {vfile}: not tagged; plan again"
            )
            return ActionResult(Outcome.FAILED, message)
        with repo.worktree(landed, ctx.work_dir) as tree:
            tree.tag(tag, f"{name} {version}")
            tree.push_tag(tag)
        repo.delete_branch_at_source(branch)
    except GitError as exc:
        repo.delete_tag(tag)
        return ActionResult(Outcome.FAILED, f"tagging {tag} failed: {ctx.redact(exc.stderr)}", transient=True)
    ctx.store.forget_pull(name, branch)
    return ActionResult(
        Outcome.SUCCEEDED,
        f"released {version} as {tag} on {landed[:12]} (release pull request #{settled.number} merged)",
        {"version": version, "tag": tag, "commit": landed, "pull": settled.number},
    )


def _open_release_pull(action: Action, ctx: ActContext, repo: Mirror, branch: str) -> ActionResult:
    """Commit the release (version bump and changelog) on the branch's head, push it to ``branch`` (it
    replaces an older one) and open or update its pull request."""
    name = action.product
    version, tag = action.params["version"], action.params["tag"]
    planned = _planned_head(action, ctx, repo)
    if isinstance(planned, ActionResult):
        return planned
    head, commits = planned
    with repo.worktree(head, ctx.work_dir) as tree:
        release_commit = _commit_release(tree, action, ctx, commits, head)
        if isinstance(release_commit, ActionResult):
            return release_commit
        try:
            tree.push(release_commit, branch, force=True)
        except GitError as exc:
            return ActionResult(
                Outcome.FAILED, f"pushing {branch} failed: {ctx.redact(exc.stderr)}", transient=True
            )
    _parent_build_stands(action, ctx, head, release_commit)
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    body = (
        f"Code Monkeys releases **{name} {version}** ({len(commits)} change(s) since "
        f"{action.params.get('previous') or 'the start'}). Merging this pull request releases it: the "
        f"merge is tagged `{tag}` and published.\n\n" + render_changelog_section(version, date, commits)
    )
    opened = pulls.propose(ctx, name, branch, f"chore(release): {name} {version}", body, release_commit)
    if isinstance(opened, ActionResult):
        return opened
    return ActionResult(
        Outcome.SUCCEEDED,
        f"release pull request #{opened.number} for {version} is open: merging it releases {tag}",
        {"version": version, "pull": opened.number, "url": opened.url, "commit": release_commit},
    )


def _parent_build_stands(action: Action, ctx: ActContext, parent: str, release_commit: str) -> None:
    """The release commit is ``[skip ci]``: its parent's green build stands for it, posted as its
    commit status where the product's forge takes statuses (best effort: the log says nothing more)."""
    from codemonkeys.facets.build.actuators import proof_status
    from codemonkeys.forges import StatusState
    from codemonkeys.vocab.facts import BuildStatus

    built = ctx.store.build_result(action.product, parent)
    status = proof_status(action, ctx, release_commit)
    if status is not None and built is not None and built.status == BuildStatus.SUCCESS:
        status.post(StatusState.SUCCESS, f"release commit: the build of {parent[:12]} passed")
