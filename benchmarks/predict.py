"""Build-time prediction against Jenkins' own estimate (the mean of the last three successful builds).

Run from the project root::

    .venv/bin/python benchmarks/predict.py                  # real demo builds + a synthetic long history
    .venv/bin/python benchmarks/predict.py --rounds 8       # fewer real rounds
    .venv/bin/python benchmarks/predict.py --skip-real      # the synthetic history only (seconds)

Two recorded histories, both scored walk-forward (each run predicted only from the runs recorded before
it; the fleet parameters refitted as the history grows) by the median absolute percentage error
(MdAPE), ours and Jenkins' on exactly the same runs (those with at least three successful runs of the
product and kind before them), measured in the same run:

1. **Real builds** of the example products (pytest, node --test, cargo test, mkdocs, releases) in a
   fresh demo workspace: converge, then ``--rounds`` rounds of one commit per product whose size cycles
   through 1 / 10 / 100 / 1000 generated lines the build really processes (test functions, Rust
   functions), each round planned with predictions and applied at parallelism 2. The durations are
   what the journal recorded, change sizes from git. Also scored: the plan's whole-apply prediction
   (critical path at parallelism 2) against the journaled run's wall time, with Jenkins' estimates through the
   same critical path as the baseline.
2. **A synthetic long history**: ``--products`` products x ``--runs`` builds, each with its own base time
   (log-uniform 10 s .. 20 min), a change-size effect (a product-specific slope around a fleet-wide
   one), lognormal noise, 4% outliers (cold caches: x2-x4), a working-hours slowdown on Jenkins
   products, a slow drift on a fifth of the products and a step change on a tenth.

Nothing is asserted; read the ratios (below 1: we beat Jenkins).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from statistics import median

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.demo import init_workspace
from codemonkeys.engine.durations import history
from codemonkeys.engine.scheduler import simulate
from codemonkeys.repos import run as git
from codemonkeys.swarm.predict import Change, Predictor, Sample, ape, jenkins_estimate

SIZES = (1, 10, 100, 1000)
MIN_BEFORE = 3  # Jenkins' estimate is the mean of three


def walk_forward(samples: list[Sample], refit_every: int = 1) -> dict[str, tuple[list[float], list[float]]]:
    """Score every successful run that has MIN_BEFORE successful runs of its product and kind before it:
    kind -> (our errors, Jenkins' errors), in order."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    groups: dict[tuple[str, str], list[Sample]] = {}
    fitted = Predictor()
    for i, s in enumerate(samples):
        if i % refit_every == 0:
            fitted = Predictor.fit(samples[:i])
        before = groups.setdefault((s.product, s.kind), [])
        if s.ok and len(before) >= MIN_BEFORE:
            live = Predictor(fitted.beta, fitted.hours, groups, {}, fitted.window, fitted.pace)
            est = live.estimate(s.product, s.kind, Change(s.files, s.lines, s.hour), s.ci)
            jenkins = jenkins_estimate(before)
            assert est.seconds is not None and jenkins is not None
            mine, theirs = out.setdefault(s.kind, ([], []))
            mine.append(ape(est.seconds, s.seconds))
            theirs.append(ape(jenkins, s.seconds))
        if s.ok:
            before.append(s)
    return out


def report(title: str, scores: dict[str, tuple[list[float], list[float]]]) -> None:
    """One line per kind and one for all: runs scored, MdAPE ours and Jenkins', the ratio."""
    print(title)
    print(f"  {'kind':<18}{'runs':>6}{'ours':>9}{'jenkins':>9}{'ratio':>8}{'we win':>8}")
    rows = sorted(scores.items())
    every = ([e for _, (m, _) in rows for e in m], [e for _, (_, j) in rows for e in j])
    for kind, (mine, theirs) in [*rows, ("all", every)]:
        if not mine:
            continue
        ours, jenkins = median(mine), median(theirs)
        wins = sum(a < b for a, b in zip(mine, theirs, strict=True)) / len(mine)
        ratio = ours / jenkins if jenkins else float("nan")
        print(f"  {kind:<18}{len(mine):>6}{ours:>9.1%}{jenkins:>9.1%}{ratio:>8.2f}{wins:>8.0%}")


# --- real builds ------------------------------------------------------------------------------------------


def change_files(product: str, lines: int, nonce: int) -> dict[str, str]:
    """``lines`` generated lines the product's build really processes."""
    if product.startswith("acme-"):
        tests = range(max(1, lines // 2))  # two lines each
        body = "".join(f"def test_g{nonce}_{i}():\n    assert {i} + 1 > {i}\n" for i in tests)
        return {"tests/test_generated.py": body}
    if product == "globex-widgets":
        head = 'import { test } from "node:test";\nimport assert from "node:assert";\n'
        body = "".join(f'test("g{nonce}_{i}", () => assert.ok({i} >= 0));\n' for i in range(lines))
        return {"test/generated.test.js": head + body}
    body = "".join(f"pub fn g{nonce}_{i}(x: u64) -> u64 {{ x.wrapping_add({i}) }}\n" for i in range(lines))
    return {"src/generated.rs": body}


def commit(repo: Path, files: dict[str, str], message: str) -> None:
    """Write ``files`` and commit them in the maintainer's checkout."""
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(["add", "-A"], repo)
    git(["commit", "-q", "-m", message], repo)


def real_builds(rounds: int, seed: int, save: Path | None = None) -> None:
    """Converge the demo fleet, then ``rounds`` rounds of commits of several sizes, planned and applied."""
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="cm-predict-") as tmp:
        ws = init_workspace(Path(tmp) / "ws")
        lib = ws.repos / "globex-hash" / "src" / "lib.rs"
        lib.write_text(lib.read_text() + "\nmod generated;\n")
        (lib.parent / "generated.rs").write_text("")
        git(["add", "-A"], lib.parent.parent)
        git(["commit", "-q", "-m", "chore: generated module"], lib.parent.parent)
        fs = FleetSession.open(ws.fleet, Context.from_environ())
        products = sorted(fs.desired.products)
        whole: list[tuple[float, float, float]] = []  # (ours, jenkins', wall time)
        started = time.monotonic()
        for r in range(rounds + 1):
            if r:
                for p in products:
                    size = rnd.choice(SIZES)
                    commit(ws.repos / p, change_files(p, size, r), f"chore: {size} generated lines")
            plan = fs.plan(parallelism=2)
            jenkins = jenkins_makespan(fs, plan)
            applied = fs.apply(plan, parallelism=2)
            run = fs.store.runs(limit=1)[0]  # the apply itself, without the refresh after it
            wall = (run.finished_at - run.started_at).total_seconds()
            if not applied.report.ok:
                print(f"round {r}: apply failed: {applied.report.counts()}", file=sys.stderr)
            if plan.forecast is not None and plan.forecast.unpredicted == 0 and jenkins is not None:
                whole.append((plan.forecast.predicted_s, jenkins, wall))
            print(f"  round {r}: {len(plan.runnable)} actions in {wall:.1f}s", file=sys.stderr)
        samples = history(fs.store)
        if save is not None:
            save.write_text("".join(json.dumps(asdict(s)) + "\n" for s in samples))
        print(f"real builds: {len(samples)} recorded runs in {time.monotonic() - started:.0f}s")
        report("per action (real builds of the demo products):", walk_forward(samples))
        if whole:
            ours = median(ape(o, w) for o, _, w in whole)
            theirs = median(ape(j, w) for _, j, w in whole)
            print(
                f"  whole apply at parallelism 2 ({len(whole)} applies): ours {ours:.1%}, "
                f"jenkins {theirs:.1%}, ratio {ours / theirs:.2f}"
            )


def jenkins_makespan(fs: FleetSession, plan) -> float | None:
    """The same critical path with Jenkins' estimate per action (None when one has no history)."""
    runs: dict[tuple[str, str], list[Sample]] = {}
    for s in history(fs.store):
        runs.setdefault((s.product, s.kind), []).append(s)
    seconds = {}
    for a in plan.runnable:
        est = jenkins_estimate(runs.get((a.product, str(a.kind)), []))
        if est is None:
            return None
        seconds[a.id] = est
    return simulate(plan, seconds, 2)[0]


# --- a synthetic long history -------------------------------------------------------------------------------


def synthetic(products: int, runs: int, seed: int) -> list[Sample]:
    """A fleet's interleaved build history (see the module docstring for what is in it)."""
    rnd = random.Random(seed)
    fleet_beta = 0.10
    specs = []
    for i in range(products):
        ci = "jenkins" if i % 2 else "local"
        drift = rnd.uniform(0.003, 0.01) if rnd.random() < 0.2 else 0.0
        step = rnd.randrange(runs // 4, runs) if rnd.random() < 0.1 else None
        base = math.exp(rnd.uniform(math.log(10), math.log(1200)))
        beta = max(0.0, rnd.gauss(fleet_beta, 0.04))
        specs.append((f"p{i:03d}", ci, base, beta, rnd.uniform(0.05, 0.2), drift, step))
    out = []
    for n in range(runs):
        for name, ci, base, beta, noise, drift, step in specs:
            if rnd.random() < 0.3:
                continue  # not every product builds every round
            lines = int(rnd.lognormvariate(3.5, 1.8))
            hour = rnd.randrange(24)
            log_s = math.log(base) + beta * math.log1p(lines) + drift * n + rnd.gauss(0, noise)
            log_s += 0.3 if ci == "jenkins" and 8 <= hour < 18 else 0.0
            log_s += 0.4 if step is not None and n >= step else 0.0
            if rnd.random() < 0.04:
                log_s += math.log(rnd.uniform(2, 4))
            ok = rnd.random() > 0.05
            out.append(Sample(name, "build.run", ci, math.exp(log_s), 1 + lines // 40, lines, hour, ok))
    return out


def main() -> None:
    """Parse the arguments, run both histories, print the comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=12, help="rounds of real commits and applies")
    parser.add_argument("--products", type=int, default=60, help="synthetic products")
    parser.add_argument("--runs", type=int, default=200, help="synthetic build rounds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-real", action="store_true", help="only the synthetic history")
    parser.add_argument("--save", type=Path, help="write the real builds' recorded runs here (JSON lines)")
    parser.add_argument("--load", type=Path, help="score recorded runs saved with --save instead of building")
    args = parser.parse_args()
    if args.load:
        samples = [Sample(**json.loads(line)) for line in args.load.read_text().splitlines()]
        report(f"per action (recorded runs from {args.load}):", walk_forward(samples))
    elif not args.skip_real:
        real_builds(args.rounds, args.seed, args.save)
    started = time.monotonic()
    samples = synthetic(args.products, args.runs, args.seed)
    scores = walk_forward(samples, refit_every=250)
    took = time.monotonic() - started
    print(f"synthetic: {len(samples)} runs of {args.products} products, scored in {took:.0f}s")
    report("per build (synthetic long history):", scores)


if __name__ == "__main__":
    main()
