"""How long a TAB takes: the fast shell completion (``cli/complete.py``: the shipped command tree and the
fleet's completion index) against typer's own completion (the whole CLI imported, the fleet loaded),
and against a bare interpreter start, all measured in this run.

Run from the project root::

    .venv/bin/python benchmarks/completion.py [--runs 15] [--json]

A demo workspace is made (``cmctl demo init``) and its index written (``cmctl status``). Each request
(bash's ``COMP_WORDS``/``COMP_CWORD``, as typer's completion script sends them) is answered ``--runs``
times by a fresh process each way: ``python -m codemonkeys`` (the fast path of ``cli.launch``) and
``python -c "from codemonkeys.cli.main import app; app()"`` (typer's path). Both print the same
answer (checked). Reported: medians in ms, and each as a ratio to ``python -c pass``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REQUESTS = ["cmctl explain acme", "cmctl plan -p glo", "cmctl ap", "cmctl logs acme-text/"]
FULL = "from codemonkeys.cli.main import app; app(prog_name='cmctl')"


def _time(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    """Measure and print (or ``--json``) the medians and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        cmctl = [sys.executable, "-m", "codemonkeys"]
        subprocess.run([*cmctl, "demo", "init", str(ws)], check=True, capture_output=True)
        fleet = ws / "fleet"
        subprocess.run([*cmctl, "status"], cwd=fleet, check=True, capture_output=True)
        base = [_time([sys.executable, "-c", "pass"], dict(os.environ), fleet)[0] for _ in range(args.runs)]
        rows = []
        for line in REQUESTS:
            words = line.split()
            env = {**os.environ, "_CMCTL_COMPLETE": "complete_bash", "COMP_WORDS": line}
            env["COMP_CWORD"] = str(len(words) - 1)
            fast, full = [], []
            for _ in range(args.runs):
                t, fast_out = _time(cmctl, env, fleet)
                fast.append(t)
                t, full_out = _time([sys.executable, "-c", FULL], env, fleet)
                full.append(t)
                if fast_out != full_out:
                    raise SystemExit(f"{line!r}: the answers differ: {fast_out!r} vs {full_out!r}")
            rows.append(
                {
                    "request": line,
                    "fast_ms": statistics.median(fast) * 1e3,
                    "full_ms": statistics.median(full) * 1e3,
                }
            )
    base_ms = statistics.median(base) * 1e3
    doc = {"python_start_ms": round(base_ms, 1), "runs": args.runs, "requests": []}
    for r in rows:
        doc["requests"].append(
            {
                "request": r["request"],
                "fast_ms": round(r["fast_ms"], 1),
                "full_ms": round(r["full_ms"], 1),
                "fast_vs_python_start": round(r["fast_ms"] / base_ms, 2),
                "full_vs_fast": round(r["full_ms"] / r["fast_ms"], 1),
            }
        )
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"python -c pass: {base_ms:.0f} ms (median of {args.runs})")
    for r in doc["requests"]:
        print(
            f"{r['request']:<24} fast {r['fast_ms']:>6.0f} ms ({r['fast_vs_python_start']:.1f}x python start)"
            f"   typer {r['full_ms']:>6.0f} ms ({r['full_vs_fast']:.0f}x the fast one)"
        )


if __name__ == "__main__":
    main()
