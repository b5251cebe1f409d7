"""docs.build: ``mkdocs build --strict`` of a commit, published with a stamp next to the site.

Idempotent: a published stamp with the same docs inputs is a noop. The new site is built in a
temporary directory and swapped in with renames, so a failure (or a crash) leaves the previously
published site and stamp untouched.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from codemonkeys.act.base import ActContext, ActionResult, Outcome, run_command, worktree
from codemonkeys.observe.docs import STAMP, observe_docs, site_dir
from codemonkeys.plan.model import Action


def build_docs(action: Action, ctx: ActContext) -> ActionResult:
    product = ctx.desired.products[action.product]
    docs = product.spec.docs
    assert docs is not None
    commit, inputs = action.params["commit"], action.params["inputs"]
    state_dir = ctx.desired.state_dir
    current = observe_docs(state_dir, action.product)
    if current.published_inputs == inputs:
        return ActionResult(
            Outcome.NOOP,
            f"docs already published from these inputs ({current.published_commit})",
            {"site": str(site_dir(state_dir, action.product))},
        )
    target = site_dir(state_dir, action.product)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{action.product}-", dir=target.parent))
    with worktree(ctx.mirror(action.product), commit, ctx.work_dir) as tree:
        cwd = tree / product.spec.source.path if product.spec.source.path else tree
        args = [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            docs.config,
            "--site-dir",
            str(staging / "site"),
        ]
        result = run_command(args, cwd, timeout=600)
    log = ctx.redact(f"$ mkdocs build --strict\n{result.output}")
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        return ActionResult(Outcome.FAILED, f"mkdocs build --strict failed for {commit[:12]}", {}, log)
    site = staging / "site"
    stamp = {"commit": commit, "inputs": inputs, "api": action.params.get("api")}
    (site / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
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
        f"docs built from {commit[:12]}: {pages} pages",
        {"site": str(target), "pages": pages, "commit": commit},
        log,
    )
