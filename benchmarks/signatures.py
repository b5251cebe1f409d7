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
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from codemonkeys.swarm import mining
from codemonkeys.swarm.signatures import Signature, extract_signatures, mined_signatures

CONSOLES = Path(__file__).resolve().parent.parent / "tests" / "payloads" / "consoles"
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


def main() -> None:
    """Print the table and the totals (or the JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    result = measure()
    if parser.parse_args().json:
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
