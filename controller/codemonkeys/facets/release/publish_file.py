"""release.publish to a `file` registry: build the artifact from the tag and place it in the layout.

Idempotent: a version already in the registry is a noop. Artifacts are built in a temporary
directory and moved in with an atomic rename, under a lock per registry, so a failure leaves the
registry as it was (never a half-written file). Python artifacts get PEP 503 ``index.html`` pages so
``pip install --index-url file://<registry>/simple`` works.

Progress: the packaging's output (``python -m build``, ``npm pack``, ``cargo package``) goes line by
line, redacted, to the action's live log as it comes (``cmctl logs --follow``, the dashboard), then a
line per artifact copied; the journal's final log is the packaging's.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from filelock import FileLock

from codemonkeys.act.base import ActContext, ActionResult, Outcome, ProductCheckout, telling_line
from codemonkeys.kinds.models import Language
from codemonkeys.registries.file import (
    ecosystem,
    list_files,
    observe_file_registry,
    package_dir,
    parse_versions,
)
from codemonkeys.vocab.plan import Action
from codemonkeys.vocab.versioning import version_in


def _build_artifacts(
    ctx: ActContext, action: Action, language: Language, checkout: ProductCheckout, out: Path
) -> tuple[int | None, str]:
    """Package ``action``'s product in its checkout into ``out`` (sdist + wheel, npm tarball, or crate), in
    the sandbox (its packaging runs the product's code: setup.py, npm scripts, build.rs); its output
    streams to the action's live log as it comes."""
    cwd = checkout.product_dir
    eco = ecosystem(language)
    if eco == "python":
        args = [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(out)]
    elif eco == "node":
        args = ["npm", "pack", "--pack-destination", str(out)]
    elif eco == "rust":
        args = ["cargo", "package", "--offline", "--allow-dirty", "--target-dir", str(out / "target")]
    else:
        return 1, f"no file-registry packaging for language {language}"
    header = f"$ {' '.join(args)}\n"  # as the final log starts
    result = ctx.run_product(
        action.product,
        args,
        cwd,
        timeout=900,
        on_output=ctx.output(action, header),
        writable=[checkout.root, out],
    )
    if result.refused:
        return None, f"not packaged: {result.refused}"
    if eco == "rust" and result.returncode == 0:
        for crate in (out / "target" / "package").glob("*.crate"):
            shutil.move(str(crate), out / crate.name)
        shutil.rmtree(out / "target", ignore_errors=True)
    return result.returncode, f"{header}{result.output}"


# ``python -m build``'s own lines around a backend's failure: they name no cause (the backend's error does)
_BUILD_WRAPPER = re.compile(
    r"^(ERROR Backend subprocess exited when trying to invoke \w+|TIP pass --env-dir)"
)


def packaging_cause(log: str) -> str:
    """The most telling line of a packaging log, not counting ``python -m build``'s wrapper lines
    ("ERROR Backend subprocess exited when trying to invoke ...") that follow the backend's own error."""
    lines = [line for line in log.splitlines() if not _BUILD_WRAPPER.match(line.strip())]
    return telling_line("\n".join(lines) if any(line.strip() for line in lines) else log)


def write_simple_index(root: Path) -> None:
    """PEP 503 pages: /simple/index.html and /simple/<project>/index.html."""
    simple = root / "simple"
    projects = sorted(p.name for p in simple.iterdir() if p.is_dir())
    for project in projects:
        files = sorted(f for f in os.listdir(simple / project) if f != "index.html" and not f.startswith("."))
        links = "\n".join(f'<a href="{html.escape(f)}">{html.escape(f)}</a><br/>' for f in files)
        _atomic_write(
            simple / project / "index.html",
            f"<!DOCTYPE html>\n<html><body><h1>Links for {project}</h1>\n{links}\n</body></html>\n",
        )
    links = "\n".join(f'<a href="{p}/">{p}</a><br/>' for p in projects)
    _atomic_write(simple / "index.html", f"<!DOCTYPE html>\n<html><body>\n{links}\n</body></html>\n")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def publish_file(action: Action, ctx: ActContext) -> ActionResult:
    """release.publish to a ``file`` registry: package the tag, check the version, copy atomically.

    Idempotent: a version already in the registry is a noop. A failure leaves the registry as it was
    (artifacts are staged and renamed into place under the registry's lock)."""
    name = action.product
    product = ctx.desired.products[name]
    registry, package, version, tag = (action.params[k] for k in ("registry", "package", "version", "tag"))
    root = ctx.desired.registry_path(registry)
    language = product.spec.language
    if version_in(version, observe_file_registry(root, language, package).versions):
        return ActionResult(Outcome.NOOP, f"{package} {version} is already in {registry}")
    with (
        tempfile.TemporaryDirectory(dir=ctx.work_dir) as tmp,
        ctx.checkout(name, tag) as checkout,
    ):
        out = Path(tmp)
        code, log = _build_artifacts(ctx, action, language, checkout, out)
        log = ctx.redact(log)
        if code != 0:
            why = packaging_cause(log)
            return ActionResult(Outcome.FAILED, f"packaging {package} {version} failed: {why}", {}, log)
        artifacts = sorted(p.name for p in out.iterdir() if p.is_file())
        built = parse_versions(artifacts, language, package).versions
        if len(built) != 1 or not version_in(version, built):
            return ActionResult(
                Outcome.FAILED,
                f"the artifacts built from {tag} are version(s) {built}, not {version}: {artifacts}",
                {},
                log,
            )
        dest = package_dir(root, language, package)
        root.mkdir(parents=True, exist_ok=True)
        sink = ctx.output(action)
        with FileLock(str(root / ".lock")):
            dest.mkdir(parents=True, exist_ok=True)
            for artifact in artifacts:
                staged = dest / f".{artifact}.tmp"
                shutil.copy2(out / artifact, staged)
                staged.replace(dest / artifact)
                if sink:
                    sink(f"copied {artifact} ({(dest / artifact).stat().st_size} bytes) to {registry}\n")
            if ecosystem(language) == "python":
                write_simple_index(root)
    present = list_files(root, language, package)
    dry_run = f"built {', '.join(artifacts)} from {tag} and verified version {version} before publishing"
    return ActionResult(
        Outcome.SUCCEEDED,
        f"published {package} {version} to {registry}",
        {"registry": registry, "files": artifacts, "present": len(present)},
        log,
        evidence={"dry-run": dry_run},
    )
