"""Line and branch coverage of ``controller/codemonkeys`` per package, for a selection of tests (issue 37).

Run from the project root::

    .venv/bin/python benchmarks/coverage_by_package.py [--json] [--workers 2] [TESTS ...]  # default: tests/
    .venv/bin/python benchmarks/coverage_by_package.py --before tests/test_a.py \
        --after tests/test_a.py tests/test_b.py

Runs pytest under coverage.py (``coverage run -m pytest``, by default on two xdist workers with
``--dist loadfile`` as scripts/test does) over the test files or folders given, with branch coverage and
``source`` = ``controller/codemonkeys``. Parallel mode with ``patch = subprocess`` measures every Python
process that inherits the environment: the xdist workers, ``python -m codemonkeys`` run by the CLI tests,
the controller service the end-to-end tests start (``sigterm = true`` saves a process stopped by SIGTERM,
``patch = _exit`` one that leaves through ``os._exit``; each pytest process saves its data as its session
finishes, since execnet kills an xdist worker slow to exit). A process started with an environment of its
own (not the caller's), or killed with SIGKILL, is not measured. The data files, the coverage
configuration and pytest's JUnit report live in a temporary directory (``--keep`` leaves it there for
``coverage html --data-file ...``), never in the repository.

Prints per top-level package or module of ``controller/codemonkeys`` (``act/``, ``cli/``, ``context.py``,
...) its statements, missed statements, branches, partial branches (lines with a branch taken and another
not), line % and branch % (branches taken / branches), then the total, with the tests run, failed and
skipped and the wall time. With ``--before`` and ``--after``, two selections are run one after the other and
reported side by side, with the change per package in percentage points. Nothing is asserted: a test that
fails still counts toward coverage (its count is reported); this is a measure, not a gate.

Coverage runs in subprocesses (``python -m coverage``); this script never imports it. Files never run are
counted (as missed) only in importable packages: ``store/migrations/versions/`` (no ``__init__.py``, loaded
by Alembic) counts only when a selection runs a migration, so compare runs that both do (or neither).
Coverage maps the lines it recorded onto the source as it is when the report is made: the files of the
package changed during a run are named in a warning.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "controller" / "codemonkeys"
FIELDS = ("statements", "missed", "branches", "covered_branches", "partial")

RCFILE = """\
[run]
branch = true
parallel = true
data_file = {data}
source =
    {source}
patch =
    subprocess
    _exit
sigterm = true
disable_warnings =
    no-data-collected
    module-not-imported
    module-not-measured
"""

# An xdist worker still running 10 s after the controller ends the session is killed (execnet), before
# its atexit hooks save coverage's data: each pytest process saves it as its session finishes.
SAVE_PLUGIN = '''"""Save coverage.py's data as the pytest session ends (benchmarks/coverage_by_package.py)."""

import coverage


def pytest_sessionfinish(session):
    """Save now: an xdist worker may be killed before it exits."""
    cov = coverage.Coverage.current()
    if cov is not None:
        cov.save()
'''


def fingerprints() -> dict[str, str]:
    """The SHA-1 of every source file of the package: one changed while it ran makes its figures wrong
    (coverage maps the lines it recorded onto the file as it is when the report is made)."""
    return {
        str(p.relative_to(PACKAGE)): hashlib.sha1(p.read_bytes()).hexdigest() for p in PACKAGE.rglob("*.py")
    }


def package_of(path: Path) -> str:
    """The top-level package (``act/``) or module (``context.py``) of a file of ``controller/codemonkeys``."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) == 1 else parts[0] + "/"


def coverage_cmd(*args: str) -> list[str]:
    """``python -m coverage ...`` with this interpreter (run from the project root)."""
    return [sys.executable, "-m", "coverage", *args]


def measure(tests: list[str], workers: int, pytest_args: list[str], tmp: Path) -> dict:
    """Run pytest under coverage over ``tests`` and return the per-package figures and the test counts."""
    tmp.mkdir(parents=True)
    rc = tmp / "coveragerc"
    rc.write_text(RCFILE.format(data=tmp / ".coverage", source=PACKAGE))
    (tmp / "cm_coverage_save.py").write_text(SAVE_PLUGIN)
    junit = tmp / "junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp), env.get("PYTHONPATH")) if p)
    xdist = ["-n", str(workers), "--dist", "loadfile"] if workers else []
    argv = coverage_cmd("run", f"--rcfile={rc}", "-m", "pytest", "-p", "cm_coverage_save", *xdist)
    argv.append(f"--junitxml={junit}")
    argv += [*pytest_args, *tests]
    print(f"$ {shlex.join(argv)}", file=sys.stderr, flush=True)
    sources = fingerprints()
    start = time.perf_counter()
    exit_code = subprocess.run(argv, cwd=ROOT, env=env, stdout=sys.stderr, check=False).returncode
    wall = time.perf_counter() - start

    data_files = len(list(tmp.glob(".coverage.*")))
    report = tmp / "coverage.json"
    for step in (["combine", "-q"], ["json", "-q", "-o", str(report)]):
        subprocess.run(coverage_cmd(*step, f"--rcfile={rc}"), cwd=ROOT, env=env, check=True)
    files = json.loads(report.read_text())["files"]
    now = fingerprints()
    changed = sorted(p for p in sources.keys() | now.keys() if sources.get(p) != now.get(p))

    packages: dict[str, dict[str, int]] = {}
    for name, data in files.items():
        path = Path(name) if Path(name).is_absolute() else ROOT / name
        s = data["summary"]
        row = packages.setdefault(package_of(path.resolve()), dict.fromkeys(FIELDS, 0))
        row["statements"] += s["num_statements"]
        row["missed"] += s["missing_lines"]
        row["branches"] += s.get("num_branches", 0)
        row["covered_branches"] += s.get("covered_branches", 0)
        row["partial"] += s.get("num_partial_branches", 0)

    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if junit.exists():
        for suite in ET.parse(junit).getroot().iter("testsuite"):
            for key in counts:
                counts[key] += int(suite.get(key, 0))
    return {
        "tests_selected": tests,
        "pytest_exit_code": exit_code,
        "wall_s": round(wall, 1),
        "data_files": data_files,  # one per measured process (that ran any of the package)
        "files_measured": len(files),
        "changed_during_run": changed,
        **counts,
        "packages": dict(sorted(packages.items())),
        "total": {f: sum(p[f] for p in packages.values()) for f in FIELDS},
    }


def line_pct(row: dict[str, int]) -> float:
    """Statements run / statements, in percent."""
    return 100.0 * (row["statements"] - row["missed"]) / row["statements"] if row["statements"] else 100.0


def branch_pct(row: dict[str, int]) -> float:
    """Branches taken / branches, in percent."""
    return 100.0 * row["covered_branches"] / row["branches"] if row["branches"] else 100.0


def with_percents(run: dict) -> dict:
    """The run with line % and branch % added to each package and the total (for ``--json``)."""
    for row in [*run["packages"].values(), run["total"]]:
        row["line_pct"] = round(line_pct(row), 2)
        row["branch_pct"] = round(branch_pct(row), 2)
    return run


def header(run: dict, label: str) -> str:
    """One line about a run: what was selected, the test counts, the wall time."""
    failed = run["failures"] + run["errors"]
    return (
        f"{label}: {len(run['tests_selected'])} selections, {run['tests']} tests ({failed} failed, "
        f"{run['skipped']} skipped), pytest exit {run['pytest_exit_code']}, {run['wall_s']:.0f} s, "
        f"{run['data_files']} processes measured"
    )


def warn_changed(run: dict, label: str) -> None:
    """Name the package's files that changed while a run measured them (their figures are not right)."""
    if run["changed_during_run"]:
        names = ", ".join(run["changed_during_run"])
        print(f"WARNING ({label}): changed during the run, figures of these files unreliable: {names}")


def print_one(run: dict) -> None:
    """The table of one run."""
    print(header(run, "run"))
    warn_changed(run, "run")
    print(f"{'controller/codemonkeys/':24} {'stmts':>6} {'missed':>6} {'branches':>8} {'partial':>7}", end="")
    print(f" {'line %':>7} {'branch %':>8}")
    rows = [*run["packages"].items(), ("TOTAL", run["total"])]
    for name, r in rows:
        print(
            f"{name:24} {r['statements']:6d} {r['missed']:6d} {r['branches']:8d} {r['partial']:7d}"
            f" {line_pct(r):7.1f} {branch_pct(r):8.1f}"
        )


def print_compare(before: dict, after: dict) -> None:
    """The two runs side by side, with the change per package in percentage points."""
    print(header(before, "before"))
    print(header(after, "after"))
    warn_changed(before, "before")
    warn_changed(after, "after")
    print(
        f"{'controller/codemonkeys/':24} {'stmts':>6} {'missed':>13} {'line %':>20}"
        f" {'branches':>8} {'partial':>11} {'branch %':>20}"
    )
    print(f"{'':24} {'':>6} {'before after':>13} {'before  after  delta':>20} {'':>8}", end="")
    print(f" {'bef. after':>11} {'before  after  delta':>20}")
    empty = dict.fromkeys(FIELDS, 0)
    names = sorted(set(before["packages"]) | set(after["packages"]))
    rows = [(n, before["packages"].get(n, empty), after["packages"].get(n, empty)) for n in names]
    for name, b, a in [*rows, ("TOTAL", before["total"], after["total"])]:
        dl, db = line_pct(a) - line_pct(b), branch_pct(a) - branch_pct(b)
        print(
            f"{name:24} {a['statements']:6d} {b['missed']:6d} {a['missed']:6d}"
            f" {line_pct(b):6.1f} {line_pct(a):6.1f} {dl:+6.1f} {a['branches']:8d}"
            f" {b['partial']:5d} {a['partial']:5d} {branch_pct(b):6.1f} {branch_pct(a):6.1f} {db:+6.1f}"
        )


def deltas(before: dict, after: dict) -> dict[str, dict[str, float]]:
    """Line and branch % of ``after`` minus those of ``before``, per package and in total (points)."""
    empty = dict.fromkeys(FIELDS, 0)
    names = sorted(set(before["packages"]) | set(after["packages"]))
    pairs = [(n, before["packages"].get(n, empty), after["packages"].get(n, empty)) for n in names]
    return {
        name: {
            "line": round(line_pct(a) - line_pct(b), 2),
            "branch": round(branch_pct(a) - branch_pct(b), 2),
        }
        for name, b, a in [*pairs, ("TOTAL", before["total"], after["total"])]
    }


def main() -> None:
    """Measure one selection (or two with ``--before``/``--after``) and print the tables or JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tests", nargs="*", help="test files or folders for pytest (default: tests/)")
    parser.add_argument("--before", nargs="+", metavar="TEST", help="the first of two selections")
    parser.add_argument("--after", nargs="+", metavar="TEST", help="the second of two selections")
    parser.add_argument("--workers", type=int, default=2, help="xdist workers (0: no xdist)")
    parser.add_argument("--pytest-args", default="", help="more pytest arguments, as one shell string")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if (args.before is None) != (args.after is None):
        parser.error("--before and --after go together")
    if args.before is not None and args.tests:
        parser.error("give either TESTS or --before/--after")

    extra = shlex.split(args.pytest_args)
    tmp = Path(tempfile.mkdtemp(prefix="cm-coverage-"))
    try:
        if args.before is not None:
            runs = {
                "before": measure(args.before, args.workers, extra, tmp / "before"),
                "after": measure(args.after, args.workers, extra, tmp / "after"),
            }
        else:
            runs = {"run": measure(args.tests or ["tests"], args.workers, extra, tmp / "run")}
    finally:
        if args.keep:
            print(f"data kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        out = {name: with_percents(run) for name, run in runs.items()}
        if "before" in runs:
            out["delta_pp"] = deltas(out["before"], out["after"])
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    elif "before" in runs:
        print_compare(runs["before"], runs["after"])
    else:
        print_one(runs["run"])


if __name__ == "__main__":
    main()
