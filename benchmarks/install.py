"""What installing Code Monkeys costs (issue 36): the wheel's build time and size, a fresh install of each
extra from a warm pip cache, and ``cmctl --version`` from the installed wheel against the checkout.

Run from the project root::

    .venv/bin/python benchmarks/install.py [--extras core,controller,demo,all] [--runs 10] [--json]

1. Build: ``python -m build --no-isolation`` (an sdist, then the wheel from it) of a copy of the sources,
   timed; the wheel's size and what is in it (files and bytes per top-level part, ``_data/`` by folder).
2. Install per extra: ``pipx install WHEEL[EXTRA]`` into a throwaway ``PIPX_HOME`` when pipx is on
   PATH, else what pipx does (``python -m venv`` + ``pip install WHEEL[EXTRA]``). Each extra is
   installed twice: the first run fills pip's cache (downloads from the index: not timed), the second,
   into a fresh venv (``pipx uninstall`` first), is the measure ("warm cache": pip still asks the index,
   whose pages it caches for a few minutes). ``--extras ''`` skips this part (no network).
3. ``cmctl --version`` wall time, median of ``--runs`` fresh processes: the installed wheel (a fresh venv
   given ``.venv``'s dependencies through a ``.pth``, as tests/test_installed_wheel.py does), the checkout
   (``.venv/bin/cmctl``, the editable install), and ``python -c pass`` as the floor.

Nothing is asserted; results go to stdout (``--json``: one document).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "ARCHITECTURE.md")
SHIPPED = ("resources", "schemas", "fleet-repo-example", "constitution")
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "*.egg-info", "target", "node_modules", "_data")


def _timed(argv: list, **kw) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, **kw)
    return time.perf_counter() - start, done


def _checked(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    if done.returncode != 0:
        raise SystemExit(f"{done.args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def build(tmp: Path) -> dict:
    """Build the sdist and the wheel from a copy of the sources; their sizes and the wheel's contents."""
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, src / name)
    for folder in ("controller", *SHIPPED):
        shutil.copytree(ROOT / folder, src / folder, ignore=NOT_COPIED, symlinks=True)
    argv = [sys.executable, "-m", "build", "--no-isolation", "--skip-dependency-check"]
    seconds, done = _timed([*argv, "--outdir", str(tmp / "dist"), str(src)])
    _checked(done)
    (wheel,) = (tmp / "dist").glob("*.whl")
    (sdist,) = (tmp / "dist").glob("*.tar.gz")
    parts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    with zipfile.ZipFile(wheel) as whl:
        for info in whl.infolist():
            bits = info.filename.split("/")
            if bits[0].endswith(".dist-info"):
                key = bits[0]
            elif bits[1:2] == ["_data"]:
                key = "/".join(bits[:3])  # codemonkeys/_data/<folder>
            else:
                key = "codemonkeys (code, templates, migrations)"
            parts[key][0] += 1
            parts[key][1] += info.file_size
            parts[key][2] += info.compress_size
    return {
        "seconds": round(seconds, 2),
        "wheel": str(wheel),
        "wheel_bytes": wheel.stat().st_size,
        "sdist_bytes": sdist.stat().st_size,
        "contents": {k: {"files": v[0], "bytes": v[1], "compressed": v[2]} for k, v in sorted(parts.items())},
    }


def _pipx_install(pipx: str, spec: str, home: Path) -> float:
    """``pipx install SPEC`` into ``home`` (its shared pip already set up by an earlier install)."""
    env = {**os.environ, "PIPX_HOME": str(home), "PIPX_BIN_DIR": str(home / "bin")}
    env["PIPX_MAN_DIR"] = str(home / "man")
    subprocess.run([pipx, "uninstall", "codemonkeys"], env=env, capture_output=True)
    seconds, done = _timed([pipx, "install", "--python", sys._base_executable, spec], env=env)
    _checked(done)
    return seconds


def _venv_install(spec: str, venv: Path) -> float:
    """What pipx does: a venv, then ``pip install SPEC`` into it."""
    shutil.rmtree(venv, ignore_errors=True)
    start = time.perf_counter()
    _checked(subprocess.run([sys._base_executable, "-m", "venv", str(venv)], capture_output=True, text=True))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", spec]
    _checked(subprocess.run(pip, capture_output=True, text=True))
    return time.perf_counter() - start


def installs(wheel: Path, extras: list[str], tmp: Path) -> dict:
    """Per extra: a warming install (untimed: fills pip's cache), then the timed one, fresh, from it."""
    pipx = shutil.which("pipx")
    out: dict = {"tool": "pipx" if pipx else "python -m venv + pip install (what pipx runs)"}
    for extra in extras:
        spec = f"{wheel}[{extra}]" if extra != "core" else str(wheel)
        if pipx:
            _pipx_install(pipx, spec, tmp / "pipx")
            out[extra] = round(_pipx_install(pipx, spec, tmp / "pipx"), 2)
        else:
            _venv_install(spec, tmp / "venv")
            out[extra] = round(_venv_install(spec, tmp / "venv"), 2)
    return out


def _median_run(argv: list, runs: int, env: dict, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        seconds, done = _timed(argv, env=env, cwd=cwd)
        _checked(done)
        times.append(seconds)
    return round(statistics.median(times) * 1000, 1)


def version_times(wheel: Path, runs: int, tmp: Path) -> dict:
    """``cmctl --version`` (ms, median): the installed wheel, the checkout, and a bare interpreter."""
    venv = tmp / "wheel-venv"
    _checked(subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)]))
    python = venv / "bin" / "python"
    site = _checked(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
        )
    ).stdout.strip()
    (Path(site) / "zz-project-venv-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)]
    _checked(subprocess.run(pip, capture_output=True, text=True))
    env = {k: v for k, v in os.environ.items() if k not in ("CMCTL_PROJECT_DIR", "PYTHONPATH")}
    cwd = tmp / "empty"
    cwd.mkdir()
    return {
        "installed_wheel_ms": _median_run([venv / "bin" / "cmctl", "--version"], runs, env, cwd),
        "checkout_ms": _median_run([Path(sys.executable).parent / "cmctl", "--version"], runs, env, cwd),
        "python_c_pass_ms": _median_run([sys.executable, "-c", "pass"], runs, env, cwd),
    }


def main() -> None:
    """Measure and print (or ``--json``) the build, the installs and ``cmctl --version``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--extras", default="core,controller", help="comma-separated; '' skips installs")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cm-install-bench-") as name:
        tmp = Path(name)
        doc = {"build": build(tmp)}
        wheel = Path(doc["build"]["wheel"])
        doc["cmctl_version"] = version_times(wheel, args.runs, tmp)
        extras = [e for e in args.extras.split(",") if e.strip()]
        doc["install_seconds"] = installs(wheel, extras, tmp) if extras else {}
        doc["build"]["wheel"] = wheel.name
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    b = doc["build"]
    print(
        f"build (sdist + wheel): {b['seconds']} s; wheel {b['wheel_bytes'] / 1024:.0f} KiB, "
        f"sdist {b['sdist_bytes'] / 1024:.0f} KiB"
    )
    for part, c in b["contents"].items():
        print(
            f"  {part:40} {c['files']:4} files {c['bytes'] / 1024:8.1f} KiB "
            f"({c['compressed'] / 1024:.1f} zipped)"
        )
    v = doc["cmctl_version"]
    print(
        f"cmctl --version: installed wheel {v['installed_wheel_ms']} ms, checkout {v['checkout_ms']} ms, "
        f"python -c pass {v['python_c_pass_ms']} ms (median of {args.runs})"
    )
    for extra, seconds in doc["install_seconds"].items():
        print(f"install {extra}: {seconds}" + (" s (warm cache)" if extra != "tool" else ""))


if __name__ == "__main__":
    main()
