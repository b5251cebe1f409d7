"""No-change observation: what observing N products costs when nothing moved, before and after the
cheap checks of ``observe/gitcache.py`` (issue 21), in one run on the same fleet.

Run from the project root::

    PYTHONPATH=controller .venv/bin/python benchmarks/observe_nochange.py             # N = 1,000
    PYTHONPATH=controller .venv/bin/python benchmarks/observe_nochange.py --products 200 --rounds 3

N real local git repositories (a template repo with a few conventional commits, a version tag and a
``pyproject.toml``, copied N times), a fleet of N python products (build, release to a file registry)
and its state store. One untimed observation clones the mirrors. Then, alternately, ``--rounds`` times:

* **before**: the observation as it was: every mirror fetched (``git fetch``) and every product's git
  state read and parsed (the ref check and the kept facts switched off);
* **after**: a ref read per local repository (no git process) and the kept ``GitFacts``
  (``<state>/git-facts/``) reused when the refs, the spec and the fleet's packages are unchanged.

Every facet observer runs in both (local CI results, the file registry). Medians per product are
printed with the ratio; the facts of both are checked equal.

Then the controller's unit of work, planning one product (``FleetSession.plan([name])``, what
``reconcile`` does before applying; these products need a build, so nothing is applied), for
``--resync-sample`` products: **before**, a new session each time (every plan observed the git facts
of all the other products, what their manifests require); **after**, one session for all (it keeps
them: ``FleetSession.known_git``). The cost of a resync of the whole fleet is N times the median.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@b",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@b",
}


def git(args: list[str], cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True)


def template_repo(path: Path) -> None:
    path.mkdir(parents=True)
    git(["init", "-q", "-b", "main"], path)
    (path / "pyproject.toml").write_text('[project]\nname = "tpl"\nversion = "0.1.0"\n')
    (path / "lib.py").write_text("def f():\n    return 1\n")
    git(["add", "-A"], path)
    git(["commit", "-qm", "feat: first"], path)
    git(["tag", "v0.1.0"], path)
    (path / "lib.py").write_text("def f():\n    return 2\n")
    git(["commit", "-qam", "fix: second"], path)


def write_fleet(root: Path, n: int) -> Path:
    import yaml

    fleet, repos = root / "fleet", root / "repos"
    (fleet / "products").mkdir(parents=True)
    (root / "registry").mkdir()
    template_repo(root / "template")
    env = {"apiVersion": "codemonkeys.dev/v1"}
    (fleet / "fleet.yaml").write_text(
        yaml.safe_dump(
            {
                **env,
                "kind": "Fleet",
                "metadata": {"name": f"observe-{n}"},
                "spec": {"registries": {"local": {"type": "file", "path": "../registry"}}},
            }
        )
    )
    (fleet / "constitution.yaml").write_text(
        yaml.safe_dump(
            {**env, "kind": "Constitution", "metadata": {"name": "c"}, "spec": {"default": "allow"}}
        )
    )
    for i in range(n):
        name = f"p{i:05d}"
        shutil.copytree(root / "template", repos / name, symlinks=True)
        doc = {
            **env,
            "kind": "Product",
            "metadata": {"name": name},
            "spec": {
                "source": {"repo": f"../repos/{name}"},
                "language": "python",
                "build": {"command": ["true"]},
                "release": {"publish": [{"registry": "local", "package": name}]},
            },
        }
        (fleet / "products" / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return fleet


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--resync-sample", type=int, default=20, help="products planned one by one")
    args = ap.parse_args(argv)

    from codemonkeys.api import FleetSession
    from codemonkeys.context import Context
    from codemonkeys.engine import open_store
    from codemonkeys.load import load_fleet_or_raise
    from codemonkeys.observe import Observer, gitcache

    with tempfile.TemporaryDirectory(prefix="cm-observe-") as tmp:
        t0 = time.perf_counter()
        fleet = write_fleet(Path(tmp), args.products)
        desired = load_fleet_or_raise(fleet)
        store = open_store(desired)
        context = Context.from_environ()
        names = sorted(desired.products)
        setup = time.perf_counter() - t0

        def observe() -> tuple[float, dict[str, Any]]:
            start = time.perf_counter()
            facts = Observer(desired, store, context, workers=args.workers).observe(names)
            return time.perf_counter() - start, facts

        cold, _ = observe()  # clones every mirror, keeps the facts
        real_source_refs, real_get = gitcache.source_refs, gitcache.GitFactsCache.get
        before, after = [], []
        facts_before: dict[str, Any] = {}
        facts_after: dict[str, Any] = {}
        for _ in range(args.rounds):
            gitcache.source_refs = lambda url: None  # type: ignore[assignment]  # fetch every mirror
            gitcache.GitFactsCache.get = lambda self, product, key, *alternatives: None  # type: ignore[method-assign]
            try:
                seconds, facts_before = observe()
                before.append(seconds)
            finally:
                gitcache.source_refs, gitcache.GitFactsCache.get = real_source_refs, real_get  # type: ignore[method-assign]
            seconds, facts_after = observe()
            after.append(seconds)
        same = {n: f.model_dump() for n, f in facts_before.items()} == {
            n: f.model_dump() for n, f in facts_after.items()
        }
        sample = names[:: max(1, len(names) // args.resync_sample)][: args.resync_sample]
        fresh, kept = [], []
        for name in sample:
            start = time.perf_counter()
            FleetSession(desired, store, context).plan([name])
            fresh.append(time.perf_counter() - start)
        session = FleetSession(desired, store, context)
        session.plan([sample[0]])  # the session's first plan observes the others once
        for name in sample:
            start = time.perf_counter()
            session.plan([name])
            kept.append(time.perf_counter() - start)
    n = args.products
    b, a = statistics.median(before), statistics.median(after)
    print(
        f"no-change observation of {n:,} products with real local git repos ({args.workers} workers, "
        f"{os.cpu_count()} CPUs; setup {setup:.1f} s, first observation with clones {cold:.1f} s)"
    )
    print(f"  before (fetch + read + parse every repo): {b:7.2f} s = {b / n * 1e3:6.2f} ms/product")
    print(f"  after  (ref read, kept facts):            {a:7.2f} s = {a / n * 1e3:6.2f} ms/product")
    print(f"  ratio before / after: {b / a:.1f}x; facts equal: {same}")
    print(
        "  rounds: before "
        + ", ".join(f"{x:.2f}" for x in before)
        + "; after "
        + ", ".join(f"{x:.2f}" for x in after)
    )
    f, k = statistics.median(fresh), statistics.median(kept)
    print(f"planning one product (a reconcile's plan), median of {len(sample)}:")
    print(f"  before (a session per plan, others' git observed): {f * 1e3:8.1f} ms -> resync {n * f:7.1f} s")
    print(f"  after  (one session, others' git facts kept):      {k * 1e3:8.1f} ms -> resync {n * k:7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
