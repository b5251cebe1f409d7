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

import yaml

from codemonkeys.act.base import ActContext, ActionResult, Outcome, telling_line
from codemonkeys.docsite import STAMP, published_docs, site_dir
from codemonkeys.vocab.plan import Action

GENERATED_CONFIG = ".codemonkeys-mkdocs.yml"


def generate_api_reference(ctx: ActContext, action: Action, cwd: Path) -> tuple[str, int]:
    """Write API reference pages from the code graph into the worktree's docs, and a MkDocs config whose
    nav includes them. Returns (config file to build with, number of pages). Without the [oracle] extra,
    or for a config that is not plain YAML, the product's own config is used unchanged."""
    product = ctx.desired.products[action.product]
    docs = product.spec.docs
    assert docs is not None
    try:
        from codemonkeys.oracle.apidocs import render_pages, with_api_nav
        from codemonkeys.oracle.repo import index_commit
        from codemonkeys.oracle.store import load_graphs
    except ImportError:
        return docs.config, 0
    try:
        config = yaml.safe_load((cwd / docs.config).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return docs.config, 0
    url = ctx.desired.oracle_url
    commit = action.params["commit"]
    index_commit(url, action.product, ctx.mirror(action.product), commit, product.spec.source.path)
    pages = render_pages(load_graphs(url, action.product, commit))
    docs_dir = cwd / str(config.get("docs_dir", docs.dir))
    if not docs_dir.resolve().is_relative_to(cwd.resolve()):  # the product's config: never write outside
        return docs.config, 0
    for rel, text in pages.items():
        (docs_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs_dir / rel).write_text(text)
    (cwd / GENERATED_CONFIG).write_text(yaml.safe_dump(with_api_nav(config, pages), sort_keys=False))
    return GENERATED_CONFIG, len(pages)


def mkdocs_cause(output: str, limit: int = 200) -> str:
    """Why ``mkdocs build --strict`` failed: the first line MkDocs logged as an ERROR, else as a WARNING
    (strict mode aborts on warnings, and its last line, "Aborted with N warnings in strict mode!", does not
    say which), with how many more there were; else the output's most telling line."""
    lines = [line.strip() for line in output.splitlines()]
    for level in ("ERROR", "WARNING"):
        logged = [line for line in lines if line.startswith(level)]
        if logged:
            first = logged[0] if len(logged[0]) <= limit else logged[0][: limit - 1] + "…"
            return first + (f" (and {len(logged) - 1} more)" if len(logged) > 1 else "")
    return telling_line(output, limit)


def build_docs(action: Action, ctx: ActContext) -> ActionResult:
    """docs.build: MkDocs (strict) in a worktree of the commit, then swap the site in atomically.

    Idempotent: a site already built from these inputs is a noop. A failure leaves the previous site
    and stamp in place (the staging directory is removed)."""
    product = ctx.desired.products[action.product]
    docs = product.spec.docs
    assert docs is not None
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
    with ctx.checkout(action.product, commit) as checkout:
        cwd = checkout.product_dir
        config_file, api_pages = generate_api_reference(ctx, action, cwd)
        args = [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            config_file,
            "--site-dir",
            str(staging / "site"),
        ]
        result = ctx.run_product(
            action.product,
            args,
            cwd,
            timeout=600,
            on_output=ctx.output(action, "$ mkdocs build --strict\n"),
            writable=[checkout.root, staging],
        )
    if result.refused:
        shutil.rmtree(staging, ignore_errors=True)
        return ActionResult(Outcome.FAILED, f"docs of {commit[:12]} not built: {ctx.redact(result.refused)}")
    log = ctx.redact(f"$ mkdocs build --strict\n{result.output}")
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        cause = mkdocs_cause(result.output)
        return ActionResult(
            Outcome.FAILED, f"mkdocs build --strict failed for {commit[:12]}: {cause}", {}, log
        )
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
        f"docs built from {commit[:12]}: {pages} pages ({api_pages} API reference pages generated)",
        {"site": str(target), "pages": pages, "api_pages": api_pages, "commit": commit},
        log,
    )
