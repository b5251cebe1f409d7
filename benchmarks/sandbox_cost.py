"""What the sandbox costs a build: the same small local build, sandboxed (bubblewrap) and not, in the
same run, interleaved (sandboxed, plain, sandboxed, ...), so that the machine's load touches both alike.

Run from the project root::

    .venv/bin/python benchmarks/sandbox_cost.py [--runs 20]

Each build is what the local runner does for ``build.run``: a clean worktree of the product's commit
(``ActContext.checkout``), the build command through ``ActContext.run_product`` (``python -m pytest -q``
over one test file), the worktree removed. A second series runs ``python -c pass`` in the same worktree,
to show the fixed cost of starting bubblewrap apart from the build. Reported: the median of each series
and the ratio sandboxed / plain. Nothing is asserted; figures are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from codemonkeys.act.base import ActContext, Redactor
from codemonkeys.context import Context
from codemonkeys.engine.planning import open_store
from codemonkeys.load import load_fleet
from codemonkeys.repos import run as git
from codemonkeys.sandbox import status

TEST = "def add(a, b):\n    return a + b\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def make_fleet(tmp: Path) -> Path:
    fleet, repo = tmp / "fleet", tmp / "repos" / "small"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: b}\nspec: {}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {}\n"
    )
    (fleet / "products" / "small.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: small}\nspec:\n"
        "  source: {repo: ../repos/small}\n  language: python\n"
        "  build: {command: [python, -m, pytest, -q, -p, no:cacheprovider]}\n"
    )
    repo.mkdir(parents=True)
    (repo / "test_small.py").write_text(TEST)
    git(["init", "-q", "-b", "main"], repo)
    git(["add", "-A"], repo)
    git(["-c", "user.name=B", "-c", "user.email=b@example.com", "commit", "-qm", "feat: small"], repo)
    return fleet


def one(ctx: ActContext, commit: str, args: list[str]) -> float:
    start = time.perf_counter()
    with ctx.checkout("small", commit) as checkout:
        result = ctx.run_product("small", args, checkout.product_dir, 300, writable=[checkout.root])
    elapsed = time.perf_counter() - start
    if result.refused or result.returncode != 0:
        sys.exit(f"the build failed: {result.refused or result.output[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    base = Context.from_environ()
    print(status(base))
    with tempfile.TemporaryDirectory() as tmp:
        fleet = make_fleet(Path(tmp))
        desired, diags = load_fleet(fleet)
        assert desired is not None, diags
        from codemonkeys.repos import Mirror, mirror_path, sync_mirror

        url = desired.repo_location("small")
        sync_mirror(url, mirror_path(desired.state_dir, url))
        with Mirror(mirror_path(desired.state_dir, url)) as mirror:
            commit = mirror.branch_head("main")
        store = open_store(desired)
        contexts = {
            "sandboxed": ActContext(desired, store, Redactor(), base),
            "plain": ActContext(desired, store, Redactor(), base.without_sandbox()),
        }
        build = desired.products["small"].spec.build
        assert build is not None and build.command
        series = {"build": list(build.command), "python -c pass": [sys.executable, "-c", "pass"]}
        for name, args in series.items():
            times: dict[str, list[float]] = {k: [] for k in contexts}
            for ctx in contexts.values():  # warm both (imports, page cache) before measuring
                one(ctx, commit, args)
            for _ in range(runs):
                for mode, ctx in contexts.items():
                    times[mode].append(one(ctx, commit, args))
            sandboxed, plain = (statistics.median(times[k]) for k in ("sandboxed", "plain"))
            print(
                f"{name}: median of {runs} sandboxed {sandboxed * 1000:.0f} ms, plain {plain * 1000:.0f} ms, "
                f"ratio {sandboxed / plain:.2f}, +{(sandboxed - plain) * 1000:.0f} ms per build"
            )


if __name__ == "__main__":
    main()
