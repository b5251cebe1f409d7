"""docs.publish/<target>: put the site where readers get it.

* **A branch** of the product's repository (``gh-pages``): the branch's files are exported to a scratch
  directory, the update applied there (the whole tree replaced by the site; versioned: the version's folder
  replaced, ``versions.json``, the alias's redirect pages and the root redirect rewritten), and one commit
  made of it on the branch's head through a private index (no worktree). It is pushed with a lease on the
  head it was made on, so a push someone made since is never overwritten (the action fails, transient, and
  the next round starts from their commit). Nothing is pushed when the branch already shows the update.
  In pull-request mode (``spec.git.mode``: the branch is protected) the commit goes to Code Monkeys' own
  branch and lands through a pull request the forge merges (a branch not there yet is created by a push).
  Crash-safe: the branch is read back from the source before anything is made, so a run killed after its
  push is a noop next time, and one killed before it makes the same change once.
* **Web hosts** over SSH with Ansible (``docs-publish.yml``): a ``.tar.gz`` of the site unpacked into a new
  release directory on each host, then ``current`` switched to it with one rename; a host killed mid-way
  keeps its previous site and the next run finishes it (an unpacked release is reused).

The site is the preview ``docs.build`` made when it was built from these docs inputs, else built here
(``mkdocs build --strict`` under the product sandbox); a released version is always built from its tag.
Every copy carries the stamp the observer reads back (commit, inputs, API fingerprint, version).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from codemonkeys.act import pulls
from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.docsite import (
    STAMP,
    VERSIONS,
    parse_versions,
    publish_branch,
    published_docs,
    read_branch,
    redirect_page,
    site_dir,
    stamp_text,
    with_version,
)
from codemonkeys.facets.docs.site import build_site
from codemonkeys.forges.base import PullState
from codemonkeys.gitcred import helper_for
from codemonkeys.gitrev import GitError
from codemonkeys.kinds.models import DocsBranchTarget, DocsSshTarget
from codemonkeys.repos import Mirror, repo_lock, sync_mirror
from codemonkeys.vocab.facts import DocsTargetFacts
from codemonkeys.vocab.plan import Action

PUBLISH_PLAYBOOK = "docs-publish.yml"


def publish_docs(action: Action, ctx: ActContext) -> ActionResult:
    """docs.publish/<target> (see the module docstring)."""
    docs = ctx.desired.products[action.product].spec.docs
    key = action.params["target"]
    if docs is None or key not in {t.key for t in docs.publish}:
        return ActionResult(Outcome.FAILED, f"docs.publish: {action.product} has no publish target {key!r}")
    target = docs.target(key)
    with tempfile.TemporaryDirectory(prefix="cm-docs-", dir=ctx.work_dir) as scratch:
        if isinstance(target, DocsSshTarget):
            return _publish_hosts(action, ctx, target, Path(scratch))
        return _publish_branch(action, ctx, target, Path(scratch))


def _site(
    action: Action, ctx: ActContext, commit: str, dest: Path, version: str | None
) -> ActionResult | None:
    """The site of ``commit`` at ``dest`` with its stamp: the preview when it was built from the planned
    inputs (HEAD's docs), else a strict build here, in a directory of its own (the only one the sandboxed
    build may write). A site holding a symbolic link is refused: product code made it, and a link could
    point the controller's copy at its own files. A failure is the result to return."""
    inputs = action.params["inputs"] if commit == action.params["commit"] else None
    preview = published_docs(ctx.desired.state_dir, action.product)
    if inputs is not None and preview.published_inputs == inputs:
        shutil.copytree(site_dir(ctx.desired.state_dir, action.product), dest, symlinks=True)
    else:
        build = Path(tempfile.mkdtemp(prefix="build-", dir=dest.parent))
        built = build_site(ctx, action, commit, build / "site")
        if built.error is not None:
            shutil.rmtree(build, ignore_errors=True)
            return ActionResult(Outcome.FAILED, built.error, {}, built.log)
        shutil.move(build / "site", dest)
        shutil.rmtree(build, ignore_errors=True)
    links = symlinks(dest)
    if links:
        shutil.rmtree(dest, ignore_errors=True)
        message = f"the site of {commit[:12]} holds symbolic links ({', '.join(links[:3])}): not published"
        return ActionResult(Outcome.FAILED, message)
    api = action.params.get("api") if inputs is not None else None
    (dest / STAMP).write_text(stamp_text(commit, inputs, api, version))
    return None


def symlinks(root: Path) -> list[str]:
    """The symbolic links under ``root`` (paths relative to it), never followed."""
    found = []
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            if (Path(folder) / name).is_symlink():
                found.append((Path(folder) / name).relative_to(root).as_posix())
    return sorted(found)


# --- a branch ---------------------------------------------------------------------------------------


def _pending(target: DocsBranchTarget, facts: DocsTargetFacts, update: dict, inputs: str) -> bool:
    """Whether the branch (``facts``) still lacks ``update``."""
    folder = update["folder"]
    if "tag" not in update:
        have = facts.versions.get(folder)
        return have is None or have.inputs != inputs
    alias = update.get("alias")
    return folder not in facts.versions or (
        alias is not None and (facts.aliases.get(alias) != folder or facts.default != alias)
    )


def _publish_branch(action: Action, ctx: ActContext, target: DocsBranchTarget, scratch: Path) -> ActionResult:
    url = ctx.desired.repo_location(action.product)
    with repo_lock(ctx.mirror(action.product)) as mirror:
        try:
            sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
        except GitError as exc:
            return ActionResult(
                Outcome.FAILED, f"cannot fetch {url}: {ctx.redact(exc.stderr)}", transient=True
            )
        with Mirror(mirror) as repo:
            try:
                head = repo.fetch_branch(target.branch)
                facts = read_branch(repo, target)
            except (GitError, ValueError) as exc:
                return ActionResult(Outcome.FAILED, ctx.redact(f"cannot read branch {target.branch}: {exc}"))
            inputs = action.params["inputs"]
            todo = [u for u in action.params["updates"] if _pending(target, facts, u, inputs)]
            if not todo:
                return ActionResult(
                    Outcome.NOOP,
                    f"{target.branch} already shows these docs",
                    {"head": head, "branch": target.branch},
                )
            files = scratch / "tree"
            files.mkdir()
            if head is not None:
                repo.export(head, files)
                for link in symlinks(files):  # someone's links on the branch: never written through
                    (files / link).unlink()
            done, failures = [], []
            for (
                update
            ) in todo:  # HEAD's docs first: a release folder that cannot be built holds back no other
                failed = _apply(action, ctx, repo, target, files, update, scratch)
                if failed is not None:
                    failures.append(failed)
                    continue
                done.append(update["folder"] or "the site")
            if not done:
                return failures[0]
            subject = (
                f"docs: publish {', '.join(done)} of {action.product} from {action.params['commit'][:12]}"
            )
            by_pull = head is not None and pulls.pull_requests(ctx.desired, action.product)
            date = repo.commit_date(action.params["commit"]) if by_pull else None
            commit = repo.snapshot(files, head, subject, "[skip ci]", date=date)
            if commit == head:
                return ActionResult(Outcome.NOOP, f"{target.branch} already has these files", {"head": head})
            if by_pull:
                landed = _by_pull_request(action, ctx, repo, target, commit, subject)
                if isinstance(landed, ActionResult):
                    return landed
                commit = landed
            else:
                try:
                    repo.push_commit(commit, target.branch, head)
                except GitError as exc:
                    message = (
                        f"push of {target.branch} to {url} refused (moved since it was read?): {exc.stderr}"
                    )
                    return ActionResult(Outcome.FAILED, ctx.redact(message), transient=True)
            repo.set_branch(target.branch, commit)
    pages = sum(1 for _ in files.rglob("*.html"))
    message = f"published {', '.join(done)} to {target.branch} ({commit[:12]}, {pages} pages on the branch)"
    outputs = {"branch": target.branch, "commit": commit, "published": done, "url": target.url}
    if failures:
        why = "; ".join(f.message for f in failures)
        return ActionResult(Outcome.FAILED, f"{message}; not published: {why}", outputs, failures[0].log)
    return ActionResult(Outcome.SUCCEEDED, message, outputs)


def _by_pull_request(
    action: Action, ctx: ActContext, repo: Mirror, target: DocsBranchTarget, commit: str, title: str
) -> str | ActionResult:
    """Pull-request mode: the publish commit on Code Monkeys' own branch ``codemonkeys/docs-<target>``, a
    pull request of it into the target branch (opened or updated), merged through the forge at that commit
    (the forge checks its protection's reviews and checks). The merge commit, or why not: the forge's
    refusal (the pull request stays open; the same docs make the same commit next round) or a person's
    close."""
    own = publish_branch(target)
    try:
        repo.push_commit(commit, own, None, force=True)
    except GitError as exc:
        return ActionResult(Outcome.FAILED, ctx.redact(f"push of {own} failed: {exc.stderr}"), transient=True)
    body = f"The docs of {action.product} at {action.params['commit'][:12]}, built by Code Monkeys."
    opened = pulls.propose(ctx, action.product, own, title, body, commit, base=target.branch)
    if isinstance(opened, ActionResult):
        return opened
    settled = pulls.settle(ctx, action.product, own, commit, title)
    if isinstance(settled, ActionResult):
        return settled
    if settled.state is not PullState.MERGED or settled.commit is None:
        return ActionResult(
            Outcome.FAILED, f"pull request #{settled.number} of {own} was closed by a person: not published"
        )
    try:
        landed = repo.fetch_branch(target.branch)
    except GitError as exc:
        return ActionResult(
            Outcome.FAILED, ctx.redact(f"cannot fetch {target.branch}: {exc}"), transient=True
        )
    repo.delete_branch_at_source(own)
    return landed or settled.commit


def _apply(
    action: Action,
    ctx: ActContext,
    repo: Mirror,
    target: DocsBranchTarget,
    files: Path,
    update: dict,
    scratch: Path,
) -> ActionResult | None:
    """Apply one update to the branch's files; a failure is the result to return."""
    folder = update["folder"]
    if not target.versions:
        site = scratch / "site"
        failed = _site(action, ctx, action.params["commit"], site, None)
        if failed is not None:
            return failed
        shutil.rmtree(files)
        shutil.move(site, files)
        (files / ".nojekyll").write_text("")
        return None
    entries = parse_versions((files / VERSIONS).read_text() if (files / VERSIONS).is_file() else None)
    if "tag" not in update or update.get("build"):
        commit = action.params["commit"]
        if "tag" in update:
            try:
                commit = repo.rev(f"{update['tag']}^{{commit}}")
            except GitError as exc:
                message = f"no tag {update['tag']} to build {folder} from: {exc}"
                return ActionResult(Outcome.FAILED, ctx.redact(message))
        site = scratch / f"site-{folder}"
        failed = _site(action, ctx, commit, site, folder)
        if failed is not None:
            return failed
        shutil.rmtree(files / folder, ignore_errors=True)
        shutil.move(site, files / folder)
    alias = update.get("alias")
    entries = with_version(entries, folder, (alias,) if alias else ())
    if alias:
        _redirects(files, folder, alias)
    (files / VERSIONS).write_text(_versions_json(entries))
    default = next((a for e in entries for a in e["aliases"] if a == target.alias), None) or target.dev
    (files / "index.html").write_text(redirect_page(f"{default}/"))
    (files / ".nojekyll").write_text("")
    return None


def _versions_json(entries: list[dict]) -> str:
    return json.dumps(entries, indent=2) + "\n"


def _redirects(files: Path, version: str, alias: str) -> None:
    """The alias's folder as redirect pages, one per page of ``version`` (mike's ``redirect`` aliases)."""
    shutil.rmtree(files / alias, ignore_errors=True)
    for page in sorted((files / version).rglob("*.html")):
        rel = page.relative_to(files / version)
        out = files / alias / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(redirect_page("../" * len(rel.parts) + f"{version}/{rel.as_posix()}"))


# --- web hosts ----------------------------------------------------------------------------------------


def _archive(site: Path, dest: Path) -> None:
    """A reproducible ``.tar.gz`` of ``site`` (sorted, fixed times and owners)."""

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        return info

    with tarfile.open(dest, "w:gz", compresslevel=6) as tar:
        for path in sorted(site.rglob("*")):
            tar.add(path, arcname=path.relative_to(site).as_posix(), recursive=False, filter=clean)


def _publish_hosts(action: Action, ctx: ActContext, target: DocsSshTarget, scratch: Path) -> ActionResult:
    from codemonkeys.hosts.inventory import InventoryError, applied_outputs, resolve
    from codemonkeys.hosts.runner import run_hosts_playbook

    try:
        outputs = applied_outputs(ctx.desired, ctx.store, action.product)
        inv = resolve(target, ctx.desired.root, outputs, scratch / "inventory")
    except InventoryError as exc:
        return ActionResult(Outcome.FAILED, f"docs.publish {target.key}: {exc}")
    site = scratch / "site"
    failed = _site(action, ctx, action.params["commit"], site, None)
    if failed is not None:
        return failed
    archive = scratch / "site.tar.gz"
    _archive(site, archive)
    release = hashlib.sha256((site / STAMP).read_bytes()).hexdigest()[:16]
    hosts = [h for h in action.params["updates"][0]["hosts"] if h in inv.hosts] or list(inv.hosts)
    sink = ctx.output(action, f"[publish docs to {', '.join(hosts)}:{target.path}]\n")
    run = run_hosts_playbook(
        ctx.context.resources.ansible / PUBLISH_PLAYBOOK,
        inv.path,
        {"cm_path": target.path, "cm_archive": str(archive), "cm_release": release},
        {},
        ctx.tool_env(),
        ctx.redact,
        limit=hosts,
        last_task="Report the site",
        on_line=sink,
    )
    bad = {h: r.unreachable or r.failed for h, r in run.hosts.items() if r.unreachable or r.failed}
    missing = [h for h in hosts if h not in run.hosts]
    if bad or missing or not run.ok:
        why = "; ".join(
            [*(f"{h}: {w}" for h, w in sorted(bad.items())), *(f"{h}: no result" for h in missing)]
        )
        message = f"docs.publish {target.key} failed: {why or run.log.strip()[-300:]} (hosts keep their site)"
        return ActionResult(Outcome.FAILED, ctx.redact(message), {"failed": sorted(bad)}, run.log)
    changed = sorted(h for h, r in run.hosts.items() if r.changed)
    size = archive.stat().st_size
    return ActionResult(
        Outcome.SUCCEEDED,
        f"published the docs to {', '.join(hosts)}:{target.path} ({size} bytes sent per host)",
        {"hosts": hosts, "changed": changed, "release": release, "bytes": size, "url": target.url},
        run.log,
    )
