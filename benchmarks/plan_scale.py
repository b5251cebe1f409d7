"""Scale benchmark for the planner: pure plan + gate on synthetic fleets, observe + plan on real repos.

Run from the project root::

    .venv/bin/python benchmarks/plan_scale.py                  # sizes 100,1000,10000; repos 50,200
    .venv/bin/python benchmarks/plan_scale.py --quick          # sizes 100,1000; repos 20
    .venv/bin/python benchmarks/plan_scale.py --sizes 100,5000 --repos 10 --json figures.json

Two parts, both printed as tables (nothing is asserted; the figures are for reading):

1. **Pure plan + gate.** ``codemonkeys.plan.planner.plan`` on synthetic fleets: random ``dependsOn`` DAGs
   (each product depends on 0-3 products with a lower index, so the graph is acyclic), mixed observed
   states (in sync, needing a build, needing a release to 1-2 registries, publish-only, failing builds,
   unknown facts) and a constitution of 6 rules (globs, ``require``, an advisory rule, a ``deny``).
   Per size: best-of-N wall time, actions, time per 1,000 products, tracemalloc peak of one plan
   call, and the growth of time per product and per action relative to the smallest size (1.00x =
   linear). A breakdown shows where the time goes (per-product drafts, fingerprint, gate, the rest:
   DAG, waves, ancestry, facts, copies) and how much is cyclic-GC pauses (the same plan timed with
   ``gc`` disabled); the gate is also timed alone over the exact inputs the planner gave it.
2. **Observe + plan on real git repos.** Local repos (conventional commits, a ``v0.1.0`` tag on some,
   ``pyproject.toml``, ``docs/`` + ``mkdocs.yml``), a fleet repo with a ``file`` registry like
   ``fleet-repo-example/``, loaded with ``load_fleet``; ``engine.make_plan`` timed cold (bare-clones
   every mirror) and warm (fetch only), with the default 8 observer workers.

Everything lives in a temporary directory that is removed at the end. Timings are wall-clock
(``time.perf_counter``) on whatever machine runs this; compare ratios within one run, not across
machines.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from codemonkeys.context import Context
from codemonkeys.docsite import STAMP, site_dir
from codemonkeys.engine import make_plan, open_store
from codemonkeys.kinds.models import Constitution, Product
from codemonkeys.load import load_fleet
from codemonkeys.plan.planner import DesiredView, fingerprint, plan, plan_product
from codemonkeys.policy import Gate, PolicyInput
from codemonkeys.repos import IDENTITY
from codemonkeys.repos import run as git
from codemonkeys.vocab.facts import (
    BuildFacts,
    BuildStatus,
    Bump,
    Commit,
    DocsFacts,
    GitFacts,
    ProductFacts,
    RegistryFacts,
    Unknown,
)
from codemonkeys.vocab.plan import FacetState, Plan

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
COMPANIES = ("acme", "globex", "initech")
REGISTRIES = ("local", "mirror")

# The constitution both parts plan against: ~5 rules of every flavour the gate evaluates today.
CONSTITUTION_SPEC: dict[str, Any] = {
    "default": "deny",
    "rules": [
        {  # glob over action kinds: the embedded pipeline may run
            "id": "allow-pipeline",
            "match": {"actions": ["build.*", "docs.*", "release.*"]},
        },
        {  # require on own facts
            "id": "release-needs-green-build",
            "match": {"actions": ["release.*"]},
            "require": ["build.green"],
        },
        {  # require on dependencies' facts
            "id": "cut-needs-deps-published",
            "match": {"actions": ["release.cut"]},
            "require": ["deps.release.published"],
        },
        {  # advisory: reported in the decision, never decides
            "id": "docs-before-release",
            "enforcement": "advisory",
            "match": {"actions": ["release.cut"]},
            "require": ["docs.current"],
        },
        {  # product-name glob + deny
            "id": "legacy-frozen",
            "match": {"products": ["legacy-*"], "actions": ["release.*"]},
            "deny": {"message": "legacy products are frozen"},
        },
        {  # company + label match with a dependency fact
            "id": "initech-apps-need-green-deps",
            "match": {"companies": ["initech"], "labels": {"tier": "app"}, "actions": ["release.publish"]},
            "require": ["deps.build.green"],
        },
    ],
}


def constitution() -> Constitution:
    return Constitution.model_validate(
        {
            "apiVersion": "codemonkeys.dev/v1",
            "kind": "Constitution",
            "metadata": {"name": "bench"},
            "spec": CONSTITUTION_SPEC,
        }
    )


# --- small helpers ----------------------------------------------------------------------------


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time (seconds) of ``repeats`` calls, and the last result. GC runs between calls."""
    best, result = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  " + "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for r in rows:
        print("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def product_name(i: int) -> str:
    # Every 50th product is "legacy-*" so the product-glob deny rule has something to match.
    return f"legacy-{i:05d}" if i % 50 == 7 else f"{COMPANIES[i % len(COMPANIES)]}-{i:05d}"


def product_doc(i: int, rng: random.Random, repo: str, docs: bool) -> dict[str, Any]:
    """A Product document (YAML-shaped dict): 0-3 lower-index dependencies, 1-2 registries."""
    name = product_name(i)
    deps = sorted(product_name(j) for j in rng.sample(range(i), k=min(i, rng.randint(0, 3))))
    publish = [{"registry": r, "package": name} for r in REGISTRIES[: rng.choice((1, 1, 2))]]
    spec: dict[str, Any] = {
        "source": {"repo": repo},
        "language": "python",
        "build": {"command": ["python", "-m", "pytest", "-q"]},
        "release": {"publish": publish},
    }
    if deps:
        spec["dependsOn"] = deps
    if docs:
        spec["docs"] = {"want": "current"}
    return {
        "apiVersion": "codemonkeys.dev/v1",
        "kind": "Product",
        "metadata": {
            "name": name,
            "company": None if name.startswith("legacy-") else COMPANIES[i % len(COMPANIES)],
            "labels": {"tier": "app" if rng.random() < 0.3 else "library"},
        },
        "spec": spec,
    }


# --- part 1: synthetic fleets, pure plan + gate -----------------------------------------------

# Observed-state mix of the synthetic fleets (weights sum to 100).
STATE_WEIGHTS = {
    "in_sync": 45,  # green build, docs current, last version in every registry
    "build": 20,  # no CI result for HEAD (docs stale too when wanted)
    "release": 20,  # releasable commits since the last tag -> cut + publish to 1-2 registries
    "publish": 5,  # tagged but missing from one registry
    "failing": 5,  # red build with releasable commits: release blocked
    "unknown": 5,  # an observer failed: git, build or one registry unknown
}


def synthetic_facts(p: Product, state: str, rng: random.Random) -> ProductFacts:
    """Observed facts for one synthetic product in the given state."""
    name = p.metadata.name
    head = sha(name, "head")
    docs_inputs = sha(name, "docs")[:16]
    minor = rng.randint(0, 9)
    last = f"1.{minor}.0"
    tags = [f"v1.{k}.0" for k in range(minor + 1)]
    registries = [pub.registry for pub in p.spec.release.publish]
    commits: list[Commit] = []
    bump, nxt = Bump.NONE, None
    if state in ("release", "failing"):
        kind = rng.choice(("feat", "fix", "fix"))
        commits = [Commit(sha=sha(name, k), type=kind, subject=f"{kind}: change {k}") for k in range(3)]
        bump = Bump.MINOR if kind == "feat" else Bump.PATCH
        nxt = f"1.{minor + 1}.0" if kind == "feat" else f"1.{minor}.1"
    git_facts: GitFacts | Unknown = GitFacts(
        head=head,
        build_commit=head,
        last_tag=f"v{last}",
        last_version=last,
        tags=tags,
        commits_since=commits,
        bump=bump,
        next_version=nxt,
        file_version=last,
        docs_inputs=docs_inputs,
    )
    status = {
        "in_sync": BuildStatus.SUCCESS,
        "build": BuildStatus.NONE,
        "failing": BuildStatus.FAILURE,
    }.get(state, rng.choice((BuildStatus.SUCCESS, BuildStatus.NONE)))
    build: BuildFacts | Unknown = BuildFacts(commit=head, status=status)
    docs: DocsFacts | Unknown | None = None
    if p.spec.docs is not None:
        current = state in ("in_sync", "publish") or rng.random() < 0.5
        docs = DocsFacts(published_commit=head, published_inputs=docs_inputs if current else "stale")
    regs: dict[str, RegistryFacts | Unknown] = {r: RegistryFacts(versions=[last]) for r in registries}
    if state == "publish":
        regs[registries[-1]] = RegistryFacts(versions=[])
    if state == "unknown":
        which = rng.choice(("git", "build", "registry"))
        if which == "git":
            git_facts = Unknown(error=f"git: cannot read 'main' of /repos/{name}: connection reset")
            build = Unknown(error="build: unknown because the commit to check is unknown")
        elif which == "build":
            build = Unknown(error="build: jenkins unreachable")
        else:
            regs[registries[0]] = Unknown(error=f"registry {registries[0]!r}: timeout")
    return ProductFacts(git=git_facts, build=build, docs=docs, registries=regs)


def synthetic_fleet(n: int, seed: int) -> tuple[DesiredView, dict[str, ProductFacts], Counter]:
    rng = random.Random(seed * 1_000_003 + n)
    states = list(STATE_WEIGHTS)
    weights = list(STATE_WEIGHTS.values())
    products: dict[str, Product] = {}
    observed: dict[str, ProductFacts] = {}
    mix: Counter = Counter()
    for i in range(n):
        doc = product_doc(i, rng, repo=f"/repos/{product_name(i)}", docs=rng.random() < 0.5)
        p = Product.model_validate(doc)
        state = rng.choices(states, weights)[0]
        mix[state] += 1
        products[p.metadata.name] = p
        observed[p.metadata.name] = synthetic_facts(p, state, rng)
    desired = DesiredView(root="/fleet", revision=sha("rev", n), digest=sha("digest", n), products=products)
    return desired, observed, mix


class RecordingGate(Gate):
    """A Gate that keeps every PolicyInput it decides, so the gate can be timed alone afterwards."""

    def __init__(self, c: Constitution):
        super().__init__(c)
        self.inputs: list[PolicyInput] = []

    def decide(self, inp: PolicyInput):
        self.inputs.append(inp)
        return super().decide(inp)


@dataclass
class SyntheticResult:
    products: int
    repeats: int
    actions: int
    waves: int
    verdicts: dict[str, int]
    state_mix: dict[str, int]
    edges: int
    plan_s: float
    plan_gc_off_s: float  # same call with the cyclic GC disabled: the algorithm without GC pauses
    per_1k_products_ms: float
    per_action_us: float
    peak_mib: float
    drafts_s: float
    fingerprint_s: float
    gate_s: float
    gate_decisions: int
    gate_us_per_decision: float
    # Filled in by report_synthetic, relative to the smallest size (1.00x = linear):
    growth_per_product: float = 1.0
    growth_per_action: float = 1.0
    growth_per_action_gc_off: float = 1.0


def bench_synthetic(n: int, seed: int) -> SyntheticResult:
    desired, observed, mix = synthetic_fleet(n, seed)
    gate = Gate(constitution())
    repeats = 3 if n >= 10_000 else 5

    def run() -> Plan:
        return plan(desired, observed, gate, NOW)

    # Warm-up (imports, pydantic/networkx caches), then the timed best-of-N.
    run()
    plan_s, result = best_of(repeats, run)

    # The same with the cyclic GC off: separates the planner's own growth from GC pauses, whose cost
    # grows with everything alive in the process (the fleet, its facts, the plan being built).
    gc.disable()
    try:
        plan_gc_off_s, _ = best_of(repeats, run)
    finally:
        gc.enable()

    # Where the time goes: per-product drafts and the fingerprint are public pieces of plan().
    names = sorted(observed)
    drafts_s, _ = best_of(repeats, lambda: [plan_product(x, desired.products[x], observed[x]) for x in names])
    fingerprint_s, _ = best_of(repeats, lambda: fingerprint(desired, observed))

    # Peak memory of one plan call (tracemalloc slows the call, so it is a separate, untimed run).
    gc.collect()
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    # The gate alone, over exactly the inputs the planner handed it.
    recorder = RecordingGate(constitution())
    plan(desired, observed, recorder, NOW)
    inputs = recorder.inputs
    gate_s, _ = best_of(repeats, lambda: [gate.decide(i) for i in inputs])

    actions = len(result.actions)
    return SyntheticResult(
        products=n,
        repeats=repeats,
        actions=actions,
        waves=max((a.wave for a in result.actions), default=0),
        verdicts=dict(Counter(str(a.decision.verdict) for a in result.actions)),
        state_mix=dict(mix),
        edges=sum(len(p.spec.depends_on) for p in desired.products.values()),
        plan_s=plan_s,
        plan_gc_off_s=plan_gc_off_s,
        per_1k_products_ms=plan_s / n * 1000 * 1000,
        per_action_us=plan_s / max(actions, 1) * 1e6,
        peak_mib=peak / 2**20,
        drafts_s=drafts_s,
        fingerprint_s=fingerprint_s,
        gate_s=gate_s,
        gate_decisions=len(inputs),
        gate_us_per_decision=gate_s / max(len(inputs), 1) * 1e6,
    )


def report_synthetic(results: list[SyntheticResult]) -> None:
    base = results[0]
    for r in results:
        r.growth_per_product = (r.plan_s / r.products) / (base.plan_s / base.products)
        r.growth_per_action = (r.plan_s / r.actions) / (base.plan_s / base.actions)
        r.growth_per_action_gc_off = (r.plan_gc_off_s / r.actions) / (base.plan_gc_off_s / base.actions)
    print_table(
        "Pure plan + gate on synthetic fleets (best of N; growth = time per product or per action "
        f"/ same at {base.products:,} products; 1.00x = linear)",
        [
            "products",
            "N",
            "deps",
            "actions",
            "waves",
            "plan ms",
            "ms/1k prod",
            "us/action",
            "growth/prod",
            "growth/action",
            "peak MiB",
            "KiB/prod",
        ],
        [
            [
                f"{r.products:,}",
                str(r.repeats),
                f"{r.edges:,}",
                f"{r.actions:,}",
                str(r.waves),
                f"{r.plan_s * 1000:,.1f}",
                f"{r.per_1k_products_ms:,.1f}",
                f"{r.per_action_us:,.1f}",
                f"{r.growth_per_product:.2f}x",
                f"{r.growth_per_action:.2f}x",
                f"{r.peak_mib:,.1f}",
                f"{r.peak_mib * 1024 / r.products:,.1f}",
            ]
            for r in results
        ],
    )
    print_table(
        "Where plan() spends it (share of plan time; rest = DAG, waves, ancestry, facts, copies; "
        "GC = share lost to cyclic-GC pauses)",
        ["products", "drafts", "fingerprint", "gate", "rest", "plan ms gc off", "GC", "growth/action gc off"],
        [
            [
                f"{r.products:,}",
                f"{r.drafts_s / r.plan_s:.0%}",
                f"{r.fingerprint_s / r.plan_s:.0%}",
                f"{r.gate_s / r.plan_s:.0%}",
                f"{max(0.0, 1 - (r.drafts_s + r.fingerprint_s + r.gate_s) / r.plan_s):.0%}",
                f"{r.plan_gc_off_s * 1000:,.1f}",
                f"{max(0.0, 1 - r.plan_gc_off_s / r.plan_s):.0%}",
                f"{r.growth_per_action_gc_off:.2f}x",
            ]
            for r in results
        ],
    )
    print_table(
        "Gate alone (Gate.decide over the inputs the planner produced)",
        ["products", "decisions", "gate ms", "us/decision", "vs base", "share of plan"],
        [
            [
                f"{r.products:,}",
                f"{r.gate_decisions:,}",
                f"{r.gate_s * 1000:,.1f}",
                f"{r.gate_us_per_decision:.1f}",
                f"{r.gate_us_per_decision / base.gate_us_per_decision:.2f}x",
                f"{r.gate_s / r.plan_s:.0%}",
            ]
            for r in results
        ],
    )
    for r in results:
        mix = ", ".join(f"{k} {v}" for k, v in sorted(r.state_mix.items()))
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(r.verdicts.items()))
        print(f"  {r.products:>7,} products: states [{mix}]; verdicts [{verdicts}]")


# --- part 2: real git repos, observe + plan ---------------------------------------------------

# Repo states: each decides the history written, the CI result recorded and what the registry holds.
REPO_STATES = ("in_sync", "needs_build", "needs_release", "never_released", "failing", "publish_missing")


@dataclass
class RepoSpec:
    index: int
    name: str
    state: str
    doc: dict[str, Any]


def _commit(repo: Path, message: str, tick: int, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    stamp = f"@{1_767_225_600 + tick * 3600} +0000"
    env = {**IDENTITY, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    git(["add", "-A"], repo)
    git(["commit", "-q", "-m", message], repo, env=env)


def make_source_repo(repo: Path, spec: RepoSpec) -> str:
    """git init + a few conventional commits (+ v0.1.0 tag unless never released). Returns HEAD."""
    pkg = spec.name.replace("-", "_")
    repo.mkdir(parents=True)
    git(["init", "-q", "-b", "main"], repo)
    _commit(
        repo,
        "feat: initial version",
        1,
        {
            "pyproject.toml": f'[project]\nname = "{spec.name}"\nversion = "0.1.0"\n',
            f"src/{pkg}/__init__.py": "def hello():\n    return 'hello'\n",
            "docs/index.md": f"# {spec.name}\n",
            "mkdocs.yml": f"site_name: {spec.name}\n",
        },
    )
    _commit(repo, "docs: describe usage", 2, {"docs/index.md": f"# {spec.name}\n\nUsage: hello()\n"})
    if spec.state != "never_released":
        stamp = f"@{1_767_225_600 + 3 * 3600} +0000"
        git(
            ["tag", "-a", "v0.1.0", "-m", "Release v0.1.0"],
            repo,
            env={**IDENTITY, "GIT_COMMITTER_DATE": stamp},
        )
    if spec.state in ("needs_release", "failing"):
        fix = {f"src/{pkg}/__init__.py": "def hello(x=''):\n    return x\n"}
        _commit(repo, "fix: handle empty input", 4, fix)
    else:
        _commit(repo, "chore: tidy", 4, {".gitignore": "__pycache__/\n"})
    return git(["rev-parse", "HEAD"], repo)


def write_fleet(root: Path, n: int, seed: int) -> tuple[Path, list[RepoSpec], dict[str, str]]:
    """Source repos under root/repos, registries, and the fleet repo root/fleet. Returns HEADs too."""
    rng = random.Random(seed * 7919 + n)
    fleet = root / "fleet"
    specs: list[RepoSpec] = []
    for i in range(n):
        name = product_name(i)
        doc = product_doc(i, rng, repo=f"../repos/{name}", docs=True)
        specs.append(RepoSpec(i, name, REPO_STATES[i % len(REPO_STATES)], doc))

    with ThreadPoolExecutor(max_workers=8) as pool:  # setup only; not timed
        heads = dict(
            zip(
                (s.name for s in specs),
                pool.map(lambda s: make_source_repo(root / "repos" / s.name, s), specs),
                strict=True,
            )
        )

    (fleet / "products").mkdir(parents=True)
    fleet_doc = {
        "apiVersion": "codemonkeys.dev/v1",
        "kind": "Fleet",
        "metadata": {"name": f"bench-{n}"},
        "spec": {
            "companies": [{"name": c} for c in COMPANIES],
            "registries": {r: {"type": "file", "path": f"../registry-{r}"} for r in REGISTRIES},
            "ci": {"default": "local"},
            "defaults": {"docs": {"want": "current", "engine": "mkdocs"}, "build": {"timeout": "10m"}},
        },
    }
    (fleet / "fleet.yaml").write_text(yaml.safe_dump(fleet_doc, sort_keys=False))
    (fleet / "constitution.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "codemonkeys.dev/v1",
                "kind": "Constitution",
                "metadata": {"name": "bench"},
                "spec": CONSTITUTION_SPEC,
            },
            sort_keys=False,
        )
    )
    for s in specs:
        doc = json.loads(json.dumps(s.doc))  # deep copy; drop the null company of legacy products
        if doc["metadata"]["company"] is None:
            del doc["metadata"]["company"]
        company = doc["metadata"].get("company", "legacy")
        (fleet / "products" / company).mkdir(exist_ok=True)
        (fleet / "products" / company / f"{s.name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (fleet / ".gitignore").write_text(".cmctl/\n")
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "-A"], fleet)
    git(["commit", "-q", "-m", "bench fleet"], fleet, env=IDENTITY)
    return fleet, specs, heads


def seed_observed_state(desired, store, specs: list[RepoSpec], heads: dict[str, str], root: Path) -> None:
    """CI results, registry files and docs stamps so the repo states plan differently."""
    for s in specs:
        head = heads[s.name]
        status = {
            "in_sync": "success",
            "needs_release": "success",
            "publish_missing": "success",
            "failing": "failure",
        }.get(s.state)
        if status:
            store.record_build(s.name, head, status, 1.0, "")
        publish = [p.registry for p in desired.products[s.name].spec.release.publish]
        have = {
            "in_sync": publish,
            "needs_build": publish,
            "needs_release": publish,
            "publish_missing": publish[:-1],
            "failing": publish,
        }.get(s.state, [])
        wheel = f"{s.name.replace('-', '_')}-0.1.0-py3-none-any.whl"
        for r in have:
            d = root / f"registry-{r}" / "simple" / s.name
            d.mkdir(parents=True, exist_ok=True)
            (d / wheel).write_bytes(b"")
        if s.state in ("in_sync", "publish_missing"):  # docs published from HEAD's inputs
            repo = root / "repos" / s.name
            ids = [git(["rev-parse", f"HEAD:{p}"], repo) for p in ("docs", "mkdocs.yml")]
            inputs = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
            site = site_dir(desired.state_dir, s.name)
            site.mkdir(parents=True, exist_ok=True)
            (site / STAMP).write_text(json.dumps({"commit": head, "inputs": inputs}))


@dataclass
class RepoResult:
    repos: int
    setup_s: float
    load_s: float
    cold_s: float
    warm_s: float
    actions: int
    in_sync: int
    unknown_facets: int
    verdicts: dict[str, int]
    cold_ms_per_repo: float = 0.0
    warm_ms_per_repo: float = 0.0


def bench_repos(n: int, seed: int) -> RepoResult:
    with tempfile.TemporaryDirectory(prefix=f"cm-bench-{n}-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        fleet, specs, heads = write_fleet(root, n, seed)
        setup_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        desired, diags = load_fleet(fleet)
        load_s = time.perf_counter() - t0
        if desired is None:
            raise SystemExit("bench fleet does not load:\n" + "\n".join(map(str, diags)))
        store = open_store(desired)
        seed_observed_state(desired, store, specs, heads, root)

        gc.collect()
        t0 = time.perf_counter()
        make_plan(desired, store, Context.from_environ())  # cold: bare clone + fetch of every mirror
        cold_s = time.perf_counter() - t0
        gc.collect()
        t0 = time.perf_counter()
        result, _ = make_plan(desired, store, Context.from_environ())  # warm: fetch only
        warm_s = time.perf_counter() - t0
        store.engine.dispose()

    unknown = sum(
        1 for p in result.products.values() for f in p.facets.values() if f.state is FacetState.UNKNOWN
    )
    return RepoResult(
        repos=n,
        setup_s=setup_s,
        load_s=load_s,
        cold_s=cold_s,
        warm_s=warm_s,
        actions=len(result.actions),
        in_sync=sum(1 for p in result.products.values() if p.in_sync),
        unknown_facets=unknown,
        verdicts=dict(Counter(str(a.decision.verdict) for a in result.actions)),
        cold_ms_per_repo=cold_s / n * 1000,
        warm_ms_per_repo=warm_s / n * 1000,
    )


def report_repos(results: list[RepoResult]) -> None:
    base = results[0]
    print_table(
        "Observe + plan (engine.make_plan, 8 observer workers) on real local git repos "
        f"(x = per-repo time / same at {base.repos} repos)",
        [
            "repos",
            "load ms",
            "cold s",
            "cold ms/repo",
            "cold x",
            "warm s",
            "warm ms/repo",
            "warm x",
            "warm/cold",
            "actions",
            "in sync",
            "unknown",
        ],
        [
            [
                str(r.repos),
                f"{r.load_s * 1000:,.0f}",
                f"{r.cold_s:.2f}",
                f"{r.cold_ms_per_repo:.1f}",
                f"{r.cold_ms_per_repo / base.cold_ms_per_repo:.2f}x",
                f"{r.warm_s:.2f}",
                f"{r.warm_ms_per_repo:.1f}",
                f"{r.warm_ms_per_repo / base.warm_ms_per_repo:.2f}x",
                f"{r.warm_s / r.cold_s:.2f}",
                str(r.actions),
                str(r.in_sync),
                str(r.unknown_facets),
            ]
            for r in results
        ],
    )
    for r in results:
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(r.verdicts.items()))
        print(f"  {r.repos:>4} repos: setup (not timed above) {r.setup_s:.1f}s; verdicts [{verdicts}]")


# --- main -------------------------------------------------------------------------------------


def parse_ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=parse_ints, default=[100, 1000, 10_000], help="synthetic fleet sizes")
    ap.add_argument("--repos", type=parse_ints, default=[50, 200], help="real-repo fleet sizes (0: skip)")
    ap.add_argument("--quick", action="store_true", help="sizes 100,1000 and repos 20")
    ap.add_argument("--seed", type=int, default=42, help="RNG seed for the fleets")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.repos = [100, 1000], [20]
    sizes, repos = sorted(args.sizes), sorted(r for r in args.repos if r > 0)

    started = time.perf_counter()
    print(
        f"codemonkeys plan scale benchmark: Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, seed {args.seed}"
    )
    print(f"synthetic sizes {sizes}; real repos {repos}")

    synthetic = [bench_synthetic(n, args.seed) for n in sizes]
    if synthetic:
        report_synthetic(synthetic)
    real = [bench_repos(n, args.seed) for n in repos]
    if real:
        report_repos(real)

    total = time.perf_counter() - started
    print(f"\ntotal benchmark time {total:.1f}s")
    if args.json:
        doc = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "seed": args.seed,
            "synthetic": [r.__dict__ for r in synthetic],
            "repos": [r.__dict__ for r in real],
            "total_s": total,
        }
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
