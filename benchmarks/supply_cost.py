"""What the supply facet adds to a release: SBOM + checksums + signature + provenance + verification of one
version, against the packaging a publish runs anyway, both measured in this run.

Run from the project root::

    .venv/bin/python benchmarks/supply_cost.py [--runs 5] [--json]

A small Python product (three declared dependencies, a uv-style lock) is packaged with
``python -m build --sdist --wheel --no-isolation`` (the file registry's publisher) ``--runs`` times: the
baseline. The same artifacts are then attested ``--runs`` times as ``supply.attest`` does (``make_sbom``,
``provenance``, ``write_bundle``: sign with ``ssh-keygen -Y sign``, then ``verify_release`` with the
public key) in one process, and verified once more by a fresh process as ``cmctl verify`` would
(interpreter start and imports included). Reported: medians in ms and each as a ratio to the baseline.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codemonkeys.facets.supply.attest import provenance, verify_release, write_bundle
from codemonkeys.facets.supply.sbom import make_sbom

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "bench-product"
version = "1.2.0"
dependencies = ["httpx>=0.27", "pydantic>=2,<3", "rich"]
"""


def product(root: Path) -> Path:
    src = root / "product"
    (src / "src" / "bench_product").mkdir(parents=True)
    (src / "pyproject.toml").write_text(PYPROJECT)
    (src / "src" / "bench_product" / "__init__.py").write_text(
        '"""Bench."""\n\n\ndef hello() -> str:\n    return "hi"\n'
    )
    return src


def package(src: Path, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    args = [
        sys.executable,
        "-m",
        "build",
        "--no-isolation",
        "--sdist",
        "--wheel",
        "--outdir",
        str(out),
        str(src),
    ]
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def attest_once(src: Path, dist: Path, key: str, public: str) -> float:
    for old in dist.glob("bench-product-1.2.0.*"):
        old.unlink()
    artifacts = sorted(p for p in dist.iterdir() if p.suffix in (".whl", ".gz"))
    start = time.perf_counter()
    sbom = make_sbom(src, "python", "bench-product", "1.2.0", artifacts, source_date_epoch=1_700_000_000)
    statement = provenance(
        "bench-product", "1.2.0", "a" * 40, "https://git.example/p", "python -m build", "bench", artifacts
    )
    write_bundle(dist, "bench-product", "1.2.0", artifacts, sbom, statement, key)
    report = verify_release(dist, "bench-product", "1.2.0", public, artifacts=artifacts)
    elapsed = time.perf_counter() - start
    assert report.ok, report.to_dict()
    return elapsed


def verify_process(dist: Path, public: str) -> float:
    code = (
        "import sys; from pathlib import Path; from codemonkeys.facets.supply.attest import verify_release; "
        f"r = verify_release(Path({str(dist)!r}), 'bench-product', '1.2.0', {public!r}); "
        "sys.exit(0 if r.ok else 1)"
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = product(root)
        dist = root / "dist"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "k")], check=True)
        key, public = (root / "k").read_text(), (root / "k.pub").read_text().strip()
        packaging = [package(src, dist) for _ in range(args.runs)]
        attest = [attest_once(src, dist, key, public) for _ in range(args.runs)]
        verify = [verify_process(dist, public) for _ in range(args.runs)]
    base = statistics.median(packaging)
    result = {
        "runs": args.runs,
        "packaging_ms": round(base * 1000, 1),
        "attest_ms": round(statistics.median(attest) * 1000, 1),
        "attest_ratio": round(statistics.median(attest) / base, 3),
        "verify_process_ms": round(statistics.median(verify) * 1000, 1),
        "verify_process_ratio": round(statistics.median(verify) / base, 3),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"packaging (python -m build, the baseline)   median {result['packaging_ms']:8.1f} ms")
        print(
            f"attest (SBOM + provenance + sign + verify) median {result['attest_ms']:8.1f} ms"
            f"  = {result['attest_ratio']:.3f} x packaging"
        )
        print(
            f"verify in a fresh process (cmctl verify)   median {result['verify_process_ms']:8.1f} ms"
            f"  = {result['verify_process_ratio']:.3f} x packaging"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
