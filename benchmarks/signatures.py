"""Failure signatures on the recorded consoles: the hand-written parsers, the log miner, both.

Run from the project root (the miner needs the ``mining`` extra, ``drain3``)::

    .venv/bin/python benchmarks/signatures.py [--json]

For each recorded console pair (``X.log`` and ``X.variant.log``: the same failure, other volatile values)
and each strategy: ``parsers`` (``extract_signatures(mine=False)``: the old behaviour), ``miner`` (the
Drain miner alone on the whole log, ``mined_signatures``) and ``combined`` (``extract_signatures``: the
miner only where the parsers found nothing specific), whether it (a) produces a signature, (b) gives the
variant the same fingerprints, (c) keeps the failure apart: none of its fingerprints is also one of
another failure's, over every failing console recorded (the ways of telling the same failure, ANSI
colours, another reporter, another CI, belong to one failure). Nothing is asserted.

``--corpus``: fleet-wide signatures on the labelled corpus (``benchmarks/signature_corpus/``: real logs of
small products broken by a known root cause, the same cause in differently named products, look-alike
causes beside them). Two logs are grouped when their top signatures (the one heal and ``explain`` name)
share a fingerprint; pairwise precision and recall of "same cause" against the labels, for the dev logs
and each held-out split (never tuned on: ``heldout/`` recorded with the rest, ``heldout2/`` recorded later by
``record_heldout2.py``) apart, with the old fingerprint (kind + summary) beside it::

    .venv/bin/python benchmarks/signatures.py --corpus [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path

from codemonkeys.swarm import mining
from codemonkeys.swarm.signatures import Signature, extract_signatures, mined_signatures

CONSOLES = Path(__file__).resolve().parent.parent / "tests" / "payloads" / "consoles"
CORPUS = Path(__file__).resolve().parent / "signature_corpus"
# The same failure told another way (tests/test_signatures.py): these join their original's failure.
SAME_FAILURE = {
    "pytest-failures.color.log": "pytest-failures.log",
    "pytest-native.log": "pytest-failures.log",
    "pytest-short-rN.log": "pytest-failures.log",
    "npm-test.spec.log": "npm-test.log",
    "npm-install-e404.npm9.log": "npm-install-e404.log",
    "jenkins-timeout.log": "timeout-codemonkeys.log",
}
# Tools the hand-written parsers were written for (the rest are "unknown tools").
KNOWN = ("pytest", "python", "npm", "cargo", "gcc", "jenkins", "timeout", "oom")
STRATEGIES: dict[str, Callable[[str], list[Signature]]] = {
    "parsers": lambda text: extract_signatures(text, mine=False),
    "miner": mined_signatures,
    "combined": extract_signatures,
}


def failure_of(name: str) -> str:
    """The failure a console belongs to (its original's name)."""
    name = name.replace(".variant.log", ".log")
    return SAME_FAILURE.get(name, name)


def measure() -> dict:
    """Per pair and strategy: produces (a), stable (b), apart (c); and the totals."""
    logs = {p.name: p.read_text() for p in sorted(CONSOLES.glob("*.log")) if not p.name.startswith("green-")}
    pairs = sorted(n.replace(".variant", "") for n in logs if n.endswith(".variant.log"))
    rows, totals = [], {}
    for strategy, extract in STRATEGIES.items():
        found = {name: [s.fingerprint for s in extract(text)] for name, text in logs.items()}
        owners: dict[str, set[str]] = {}
        for name, fps in found.items():
            for fp in fps:
                owners.setdefault(fp, set()).add(failure_of(name))
        for pair in pairs:
            original, variant = found[pair], found[pair.replace(".log", ".variant.log")]
            row = {
                "console": pair,
                "tool": "known" if pair.startswith(KNOWN) else "unknown",
                "strategy": strategy,
                "signatures": len(original),
                "produces": bool(original),
                "stable": bool(original) and original == variant,
                "apart": bool(original) and all(owners[fp] == {failure_of(pair)} for fp in original),
            }
            rows.append(row)
            for scope in ("all", row["tool"]):
                t = totals.setdefault(
                    f"{strategy}/{scope}", {"pairs": 0, "produces": 0, "stable": 0, "apart": 0}
                )
                t["pairs"] += 1
                for key in ("produces", "stable", "apart"):
                    t[key] += row[key]
    return {"drain3": mining.available(), "rows": rows, "totals": totals}


def _old_fingerprint(sig: Signature) -> str:
    """The fingerprint before causes: the kind and the concrete summary."""
    return hashlib.sha256(f"{sig.kind.value}\n{sig.summary}".encode()).hexdigest()[:16]


def _pairwise(groups: dict[str, str | None], labels: dict[str, str]) -> dict:
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(groups), 2):
        same = labels[a] == labels[b]
        grouped = groups[a] is not None and groups[a] == groups[b]
        tp, fp, fn = tp + (same and grouped), fp + (grouped and not same), fn + (same and not grouped)
    return {
        "logs": len(groups),
        "causes": len({labels[n] for n in groups}),
        "same_cause_pairs": tp + fn,
        "grouped_pairs": tp + fp,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def measure_corpus() -> dict:
    """Pairwise precision / recall of the top signatures' fingerprints on the labelled corpus, per split,
    now (cause) and before (kind + summary); and each log's top signature."""
    labels = {
        name: v["cause"]
        for path in sorted(CORPUS.glob("labels*.json"))  # labels.json, labels_heldout2.json (recorded later)
        for name, v in json.loads(path.read_text()).items()
    }
    logs, result = [], {}
    for name in sorted(labels):
        found = extract_signatures((CORPUS / name).read_text())
        top = found[0] if found else None
        logs.append(
            {
                "log": name,
                "label": labels[name],
                "fingerprint": top.fingerprint if top else None,
                "old_fingerprint": _old_fingerprint(top) if top else None,
                "cause": top.cause if top else None,
                "location": top.location if top else None,
            }
        )
    for split in (*dict.fromkeys(n.split("/", 1)[0] for n in sorted(labels)), "all"):
        rows = [r for r in logs if split == "all" or r["log"].startswith(f"{split}/")]
        result[split] = {
            "cause": _pairwise({r["log"]: r["fingerprint"] for r in rows}, labels),
            "before": _pairwise({r["log"]: r["old_fingerprint"] for r in rows}, labels),
        }
    return {"splits": result, "logs": logs}


def print_corpus(result: dict) -> None:
    for r in result["logs"]:
        print(f"{r['log']:<26} {r['label'][:38]:<38} {(r['fingerprint'] or '-')[:8]}  {r['cause']}")
    print(
        f"\n{'split':<8} {'fingerprint':<12} {'logs':>4} {'causes':>6} {'pairs':>5} {'grouped':>7} "
        f"{'precision':>9} {'recall':>6}"
    )
    for split, per in result["splits"].items():
        for how, m in per.items():
            print(
                f"{split:<8} {how:<12} {m['logs']:>4} {m['causes']:>6} {m['same_cause_pairs']:>5} "
                f"{m['grouped_pairs']:>7} {m['precision']!s:>9} {m['recall']!s:>6}"
            )


def main() -> None:
    """Print the table and the totals (or the JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--corpus", action="store_true", help="fleet-wide signatures on the labelled corpus")
    args = parser.parse_args()
    if args.corpus:
        found = measure_corpus()
        if args.json:
            sys.stdout.write(json.dumps(found, indent=2) + "\n")
        else:
            print_corpus(found)
        return
    result = measure()
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    if not result["drain3"]:
        print("drain3 is not installed (pip install -e '.[mining]'): the miner finds nothing")
    mark = {True: "yes", False: "-"}
    print(f"{'console pair':<28} {'tool':<8} " + " ".join(f"{s + ' a/b/c':>18}" for s in STRATEGIES))
    by_pair: dict[str, dict[str, dict]] = {}
    for row in result["rows"]:
        by_pair.setdefault(row["console"], {})[row["strategy"]] = row
    for pair, per in by_pair.items():
        cells = [
            "/".join(mark[per[s][k]] for k in ("produces", "stable", "apart")) + f" ({per[s]['signatures']})"
            for s in STRATEGIES
        ]
        tool = next(iter(per.values()))["tool"]
        print(f"{pair:<28} {tool:<8} " + " ".join(f"{c:>18}" for c in cells))
    print("\n(a) produces a signature, (b) the variant has the same fingerprints, (c) no fingerprint shared")
    print("with another failure; (n) signatures on the original\n")
    print(f"{'strategy/tools':<22} {'pairs':>5} {'(a)':>5} {'(b)':>5} {'(c)':>5}")
    for key, t in sorted(result["totals"].items()):
        print(f"{key:<22} {t['pairs']:>5} {t['produces']:>5} {t['stable']:>5} {t['apart']:>5}")


if __name__ == "__main__":
    main()
