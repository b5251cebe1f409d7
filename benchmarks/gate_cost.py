"""Gating cost: every action of a large fleet through a 20-rule constitution.

Run from the project root::

    .venv/bin/python benchmarks/gate_cost.py                 # 10,000 products x 6 actions x 20 rules
    .venv/bin/python benchmarks/gate_cost.py --products 1000

Reports the total and per-decision time of ``Gate.decide`` over products x action kinds, against a
baseline measured in the same run: the same inputs through a constitution with no rules (default
allow), so the ratio is the price of the rules. Also reports how many CEL compilations happened (the
conditions compile once per process, not per decision) and the cost of one CEL evaluation alone.
Nothing is asserted; the machine is noisy, read the ratios.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from codemonkeys.kinds.models import Constitution, Product
from codemonkeys.policy import cel
from codemonkeys.policy.gate import Approval, FactValue, Gate, HistoryEntry, PolicyInput

KINDS = ["build.run", "build.heal", "docs.build", "release.cut", "release.publish", "announce.post"]
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def rules() -> list[dict]:
    """Twenty rules exercising every effect, four of them with CEL conditions."""
    return [
        {"id": "allow-pipeline", "match": {"actions": ["build.*", "docs.build", "release.*"]}},
        {"id": "allow-announce", "match": {"actions": ["announce.post"], "labels": {"tier": "app"}}},
        {"id": "green-before-release", "match": {"actions": ["release.*"]}, "require": ["build.green"]},
        {"id": "deps-first", "match": {"actions": ["release.cut"]}, "require": ["deps.release.published"]},
        {
            "id": "docs-advice",
            "enforcement": "advisory",
            "match": {"actions": ["release.cut"]},
            "require": ["docs.current"],
        },
        {
            "id": "major-hold",
            "match": {"actions": ["release.cut"]},
            "hold": {
                "when": 'has(action.params.bump) && action.params.bump == "major"',
                "approvers": ["owners"],
            },
        },
        {
            "id": "no-friday-infra",
            "match": {"actions": ["infra.apply"]},
            "deny": {"when": 'now.getDayOfWeek("Europe/Berlin") == 5', "message": "no infra on Fridays"},
        },
        {
            "id": "frozen-label",
            "match": {"labels": {"frozen": "yes"}},
            "deny": {"when": 'product.labels.frozen == "yes"', "message": "frozen"},
        },
        {
            "id": "legacy-company",
            "match": {"companies": ["legacy"], "actions": ["release.publish"]},
            "deny": {
                "when": 'product.company == "legacy" && !facts.build.green',
                "message": "legacy needs green",
            },
        },
        {
            "id": "publish-budget",
            "match": {"actions": ["release.publish"]},
            "limit": {"count": 200, "per": "1h", "scope": "fleet"},
        },
        {"id": "heal-budget", "match": {"actions": ["build.heal"]}, "limit": {"count": 3, "per": "24h"}},
        {
            "id": "company-budget",
            "match": {"actions": ["release.cut"]},
            "limit": {"count": 50, "per": "1h", "scope": "company"},
        },
        {
            "id": "weekend-freeze",
            "match": {"actions": ["release.publish", "announce.post"]},
            "freeze": {"start": "fri 16:00", "end": "mon 08:00", "timezone": "Europe/Berlin"},
        },
        {
            "id": "year-end",
            "match": {"actions": ["release.*"]},
            "freeze": {"start": "2026-12-23", "end": "2027-01-02", "timezone": "Europe/Berlin"},
        },
        {
            "id": "office-hours-announce",
            "match": {"actions": ["announce.post"]},
            "window": {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "08:00",
                "end": "18:00",
                "timezone": "America/New_York",
            },
        },
        {"id": "audit-publish", "match": {"actions": ["release.publish"]}, "audit": ["log", "dry-run"]},
        {"id": "audit-builds", "match": {"actions": ["build.*"]}, "audit": ["log"]},
        {"id": "apps-by-glob", "match": {"products": ["app-*"], "actions": ["docs.build"]}},
        {
            "id": "tier-advice",
            "enforcement": "advisory",
            "match": {"labels": {"tier": "library"}},
            "require": ["docs.current"],
        },
        {
            "id": "announce-needs-publish",
            "match": {"actions": ["announce.post"]},
            "require": ["release.published"],
        },
    ]


def constitution(rule_docs: list[dict], default: str) -> Constitution:
    return Constitution.model_validate(
        {
            "apiVersion": "codemonkeys.dev/v1",
            "kind": "Constitution",
            "metadata": {"name": "bench"},
            "spec": {"default": default, "groups": {"owners": ["owner"]}, "rules": rule_docs},
        }
    )


def inputs(n: int, seed: int) -> list[PolicyInput]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        tier = rng.choice(["library", "app", "service"])
        labels = {"tier": tier, **({"frozen": "yes"} if rng.random() < 0.02 else {})}
        company = rng.choice(["acme", "globex", "initech", "legacy"])
        name = f"{'app' if tier == 'app' else 'lib'}-{i:05d}"
        product = Product.model_validate(
            {
                "apiVersion": "codemonkeys.dev/v1",
                "kind": "Product",
                "metadata": {"name": name, "company": company, "labels": labels},
                "spec": {"source": {"repo": f"../repos/{name}"}, "language": "python"},
            }
        )
        facts = {
            f: rng.choice([FactValue.TRUE, FactValue.TRUE, FactValue.PENDING, FactValue.FALSE])
            for f in ("build.green", "docs.current", "release.published", "deps.release.published")
        }
        for kind in KINDS:
            params = {"bump": rng.choice(["minor", "patch", "major"])} if kind == "release.cut" else {}
            approvals = (Approval("owner", "rev", "fp"),) if rng.random() < 0.5 else ()
            out.append(
                PolicyInput(
                    action_id=f"{name}/{kind}",
                    kind=kind,
                    product=product,
                    facts=facts,
                    now=NOW,
                    params=params,
                    fleet="bench",
                    revision="rev",
                    product_fingerprint="fp",
                    approvals=approvals,
                )
            )
    return out


def run(gate_factory, items: list[PolicyInput]) -> tuple[float, dict[str, int]]:
    gate = gate_factory()
    verdicts: dict[str, int] = {}
    start = time.perf_counter()
    for inp in items:
        v = gate.decide(inp).verdict
        verdicts[v] = verdicts.get(v, 0) + 1
    return time.perf_counter() - start, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rule_docs = rules()
    items = inputs(args.products, args.seed)
    history = [
        HistoryEntry("release.publish", f"lib-{i:05d}", "acme", NOW - timedelta(minutes=i % 90))
        for i in range(150)
    ]
    print(
        f"gating {len(items):,} decisions: {args.products:,} products x {len(KINDS)} actions x "
        f"{len(rule_docs)} rules ({sum(1 for r in rule_docs if 'when' in str(r))} with CEL conditions)"
    )

    cel.compile_condition.cache_clear()
    full = constitution(rule_docs, "deny")
    empty = constitution([], "allow")
    base_s, _ = run(lambda: Gate(empty), items)
    full_s, verdicts = run(lambda: Gate(full, history=history), items)
    compiles = cel.compile_condition.cache_info()

    expr = 'product.company == "legacy" && !facts.build.green'
    ctx = {
        "action": {"id": "x", "kind": "release.publish", "params": {}},
        "now": NOW,
        "fleet": {},
        "product": {"company": "legacy", "labels": {}},
        "facts": {"build": {"green": False}},
    }
    reps = 20_000
    start = time.perf_counter()
    for _ in range(reps):
        cel.evaluate(expr, ctx)
    cel_us = (time.perf_counter() - start) / reps * 1e6

    n = len(items)
    print(
        f"  baseline (no rules, default allow): {base_s * 1e3:8.1f} ms  {base_s / n * 1e6:6.1f} us/decision"
    )
    print(
        f"  20-rule constitution:               {full_s * 1e3:8.1f} ms  {full_s / n * 1e6:6.1f} us/decision"
        f"  ({full_s / base_s:.1f}x baseline)"
    )
    print(f"  verdicts: {dict(sorted((str(k), v) for k, v in verdicts.items()))}")
    print(
        f"  CEL: {compiles.misses} compilations for {n:,} decisions (cache hits {compiles.hits:,}); "
        f"one evaluation alone {cel_us:.1f} us"
    )


if __name__ == "__main__":
    main()
