"""Building a product's MkDocs site: the API reference pages from the code graph, ``mkdocs build --strict``
of a commit in a worktree under the product sandbox, and why a build failed. Used by ``docs.build`` (the
preview) and ``docs.publish`` (a released version built from its tag)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from codemonkeys.act.base import ActContext, telling_line
from codemonkeys.repos import Mirror
from codemonkeys.vocab.plan import Action

GENERATED_CONFIG = ".codemonkeys-mkdocs.yml"


def generate_api_reference(ctx: ActContext, name: str, commit: str, cwd: Path) -> tuple[str, int]:
    """Write API reference pages from the code graph of ``name`` at ``commit`` into the worktree's docs, and
    a MkDocs config whose nav includes them. Returns (config file to build with, number of pages). Without
    the [oracle] extra, or for a config that is not plain YAML, the product's own config is used unchanged."""
    product = ctx.desired.products[name]
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
    index_commit(url, name, ctx.mirror(name), commit, product.spec.source.path)
    pages = render_pages(load_graphs(url, name, commit))
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


@dataclass(frozen=True)
class Built:
    """A site built by ``build_site``: its failure (None: built), the redacted log, API pages generated."""

    error: str | None
    log: str = ""
    api_pages: int = 0


def build_site(ctx: ActContext, action: Action, commit: str, site: Path) -> Built:
    """``mkdocs build --strict`` of ``action.product`` at ``commit`` into ``site`` (a new directory), in a
    worktree of the commit, under the product sandbox; the output streams into ``action``'s log. Built as
    of the commit's time (``SOURCE_DATE_EPOCH``: the sitemap's dates), so the same commit builds the same
    site on any day."""
    with Mirror(ctx.mirror(action.product)) as repo:
        epoch = int(datetime.fromisoformat(repo.commit_date(commit)).timestamp())
    with ctx.checkout(action.product, commit) as checkout:
        cwd = checkout.product_dir
        config_file, api_pages = generate_api_reference(ctx, action.product, commit, cwd)
        mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", config_file]
        args = ["env", f"SOURCE_DATE_EPOCH={epoch}", *mkdocs]
        result = ctx.run_product(
            action.product,
            [*args, "--site-dir", str(site)],
            cwd,
            timeout=600,
            on_output=ctx.output(action, f"$ mkdocs build --strict ({commit[:12]})\n"),
            writable=[checkout.root, site.parent],
        )
    if result.refused:
        return Built(f"docs of {commit[:12]} not built: {ctx.redact(result.refused)}")
    log = ctx.redact(f"$ mkdocs build --strict\n{result.output}")
    if result.returncode != 0:
        return Built(f"mkdocs build --strict failed for {commit[:12]}: {mkdocs_cause(result.output)}", log)
    return Built(None, log, api_pages)
