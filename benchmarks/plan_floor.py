"""The floor under ``cmctl plan`` of N products: what a CPython process must spend before planning
anything, measured on this machine in one run (issue 21's goals: cold <= 1.2 s, warm <= 0.2 s, peak
<= 200 MiB at 10,000 products).

Run from the project root::

    PYTHONPATH=controller .venv/bin/python benchmarks/plan_floor.py                  # N = 10,000
    PYTHONPATH=controller .venv/bin/python benchmarks/plan_floor.py --products 1000 --runs 5

It writes the fleet ``plan_vs_terraform.py`` plans (one seed, one product file each) and measures,
each ``--runs`` times (medians):

* as whole processes: the interpreter alone; ``import pydantic``; the product models
  (``codemonkeys.kinds.models``); everything ``cmctl plan`` imports to load, plan and gate;
* in one process: reading every product file; parsing them with libyaml's C loader (``yaml.CSafeLoader``,
  what the loader's fast path builds on) and, if installed, with ``yaml_rs`` (a Rust YAML parser, the
  fastest on PyPI we found; ``pip install yaml-rs``: only for this comparison); validating the parsed
  documents as pydantic ``Product``s; unpickling them (what a warm start reads from the load cache);
  the memory 10,000 validated ``Product``s hold (tracemalloc).

The **cold floor** is start + imports + read + the fastest parse + validation (no planning, no gating,
no facts); the **warm floor** is start + imports + the faster of unpickling the products and validating
their JSON. Each is printed against
its goal. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMPORTS = {
    "interpreter alone": "pass",
    "import pydantic": "import pydantic",
    "the product models": "import codemonkeys.kinds.models",
    "load + plan + gate": "import codemonkeys.load, codemonkeys.plan.planner, codemonkeys.plancache, "
    "codemonkeys.policy.gate, codemonkeys.vocab.facts",
}


def process_s(statement: str, runs: int) -> float:
    """Median wall time of ``python -c statement`` as a whole process."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    """Median seconds of ``fn()`` and its last result."""
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def measure(fleet: Path, runs: int) -> dict[str, float]:
    import yaml

    from codemonkeys.kinds.models import Product

    files = sorted((fleet / "products").glob("*/*.yaml"))
    out = {f"start: {k}": process_s(v, runs) for k, v in IMPORTS.items()}
    out["read the files"], texts = timed(lambda: [f.read_bytes() for f in files], runs)
    out["parse: libyaml C loader"], docs = timed(
        lambda: [yaml.load(t, Loader=yaml.CSafeLoader) for t in texts], runs
    )
    try:
        import yaml_rs  # type: ignore[import-not-found]

        strings = [t.decode() for t in texts]
        out["parse: yaml_rs (Rust)"], fast = timed(lambda: [yaml_rs.loads(s) for s in strings], runs)
        assert fast == docs, "yaml_rs parsed the files differently"
    except ImportError:
        pass
    out["validate as Products"], products = timed(lambda: [Product.model_validate(d) for d in docs], runs)
    blob = pickle.dumps(products, protocol=pickle.HIGHEST_PROTOCOL)
    out["unpickle the Products"], _ = timed(lambda: pickle.loads(blob), runs)
    kept_json = [p.model_dump_json(by_alias=True, round_trip=True) for p in products]  # the load cache's
    out["validate the Products' JSON"], _ = timed(
        lambda: [Product.model_validate_json(j) for j in kept_json], runs
    )
    tracemalloc.start()
    kept = [Product.model_validate(d) for d in docs]
    out["memory of the Products (MiB)"] = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del kept
    return out


def report(n: int, m: dict[str, float]) -> None:
    print(f"\nfloor under a plan of {n:,} products (medians)")
    for key, value in m.items():
        unit = "" if "MiB" in key else " s"
        print(f"  {key:<34} {value:8.3f}{unit}")
    start = m["start: load + plan + gate"]
    parse = min(v for k, v in m.items() if k.startswith("parse:"))
    cold = start + m["read the files"] + parse + m["validate as Products"]
    warm = start + min(m["unpickle the Products"], m["validate the Products' JSON"])
    print(f"  cold floor (start, imports, read, fastest parse, validate): {cold:.2f} s (goal 1.2 s)")
    print(f"  warm floor (start, imports, products from the load cache):  {warm:.2f} s (goal 0.2 s)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--products", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from plan_vs_terraform import dag, write_fleet

    with tempfile.TemporaryDirectory(prefix="cm-floor-") as tmp:
        fleet = write_fleet(Path(tmp), dag(args.products, args.seed), args.seed)
        report(args.products, measure(fleet, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
