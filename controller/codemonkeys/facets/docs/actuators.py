"""The docs facet's actuators: ``docs.build`` (the preview: ``mkdocs build --strict`` of a commit, kept with a
stamp under the state dir) and ``docs.publish`` (``publish.py``: the site where readers get it).

Idempotent: a published stamp with the same docs inputs is a noop. The new site is built in a
temporary directory and swapped in with renames, so a failure (or a crash) leaves the previously
published site and stamp untouched.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.docsite import STAMP, published_docs, site_dir, stamp_text
from codemonkeys.facets.docs.publish import publish_docs
from codemonkeys.facets.docs.site import build_site, mkdocs_cause
from codemonkeys.vocab.plan import Action

__all__ = ["build_docs", "mkdocs_cause", "publish_docs"]


def build_docs(action: Action, ctx: ActContext) -> ActionResult:
    """docs.build: MkDocs (strict) in a worktree of the commit, then swap the site in atomically.

    Idempotent: a site already built from these inputs is a noop. A failure leaves the previous site
    and stamp in place (the staging directory is removed)."""
    commit, inputs = action.params["commit"], action.params["inputs"]
    state_dir = ctx.desired.state_dir
    current = published_docs(state_dir, action.product)
    if current.published_inputs == inputs:
        return ActionResult(
            Outcome.NOOP,
            f"docs already published from these inputs ({current.published_commit})",
            {"site": str(site_dir(state_dir, action.product))},
        )
    target = site_dir(state_dir, action.product)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{action.product}-", dir=target.parent))
    site = staging / "site"
    built = build_site(ctx, action, commit, site)
    if built.error is not None:
        shutil.rmtree(staging, ignore_errors=True)
        return ActionResult(Outcome.FAILED, built.error, {}, built.log)
    (site / STAMP).write_text(stamp_text(commit, inputs, action.params.get("api")))
    old = target.with_name(f".{action.product}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    site.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    pages = sum(1 for _ in target.rglob("*.html"))
    return ActionResult(
        Outcome.SUCCEEDED,
        f"docs built from {commit[:12]}: {pages} pages ({built.api_pages} API reference pages generated)",
        {"site": str(target), "pages": pages, "api_pages": built.api_pages, "commit": commit},
        built.log,
    )
