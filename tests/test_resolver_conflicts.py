"""Resolver conflicts in REAL build logs: pip's ResolutionImpossible (a local wheel directory, no index),
npm's ERESOLVE (local tarballs, offline) and cargo's "failed to select a version" (a vendored directory
source and path dependencies, offline), each produced here by running the tool. They are recognized
with the versions involved, recorded where red builds are learned from (``learn_from_failure``) and
listed by ``cmctl swarm conflicts``."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.swarm.deps import resolver_conflicts
from codemonkeys.swarm.knowledge import learn_from_failure
from conftest import cmctl
from need import need_module, need_program
from test_deps_e2e import _fleet


def _run(args: list[str], cwd: Path, env: dict | None = None) -> str:
    """Run a tool that must fail, its output as a console log has it (stderr into stdout)."""
    env = {**os.environ, **(env or {})}
    done = subprocess.run(
        args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, env=env
    )
    assert done.returncode != 0, done.stdout
    return done.stdout


def _wheel(where: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> None:
    dist = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        f"{name}/__init__.py": "",
        f"{dist}/METADATA": meta,
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }

    def digest(text: str) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()

    record = "".join(f"{p},sha256={digest(c)},{len(c)}\n" for p, c in files.items()) + f"{dist}/RECORD,,\n"
    with zipfile.ZipFile(where / f"{name}-{version}-py3-none-any.whl", "w") as z:
        for p, c in {**files, f"{dist}/RECORD": record}.items():
            z.writestr(p, c)


def pip_log(tmp: Path) -> str:
    """pip refuses acme-core 2.0.0 next to acme-web 1.0.0, which depends on acme-core>=1.2,<2."""
    need_module("pip", "pip ships with the venv")
    wheels = tmp / "wheels"
    wheels.mkdir()
    _wheel(wheels, "acme_core", "1.4.0")
    _wheel(wheels, "acme_core", "2.0.0")
    _wheel(wheels, "acme_web", "1.0.0", ("acme-core<2,>=1.2",))
    args = ["--isolated", "--no-index", "--find-links", str(wheels), "acme-core==2.0.0", "acme-web"]
    return _run([sys.executable, "-m", "pip", "install", "--dry-run", *args], tmp)


def npm_log(tmp: Path) -> str:
    """npm refuses @acme/core 2.0.0 for an app whose @acme/web 1.0.0 has the peer @acme/core ^1.2.0."""
    npm = need_program("npm", "apt-get install npm")
    env = {"npm_config_cache": str(tmp / "npm-cache"), "npm_config_update_notifier": "false"}
    tarballs = {}
    for name, doc in {
        "core": {"name": "@acme/core", "version": "2.0.0"},
        "web": {"name": "@acme/web", "version": "1.0.0", "peerDependencies": {"@acme/core": "^1.2.0"}},
    }.items():
        (tmp / name).mkdir()
        (tmp / name / "package.json").write_text(json.dumps(doc))
        out = subprocess.run(
            [npm, "pack", "--silent"],
            cwd=tmp / name,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        tarballs[doc["name"]] = f"file:../{name}/{out.stdout.strip().splitlines()[-1]}"
    (tmp / "app").mkdir()
    (tmp / "app" / "package.json").write_text(
        json.dumps({"name": "acme-app", "version": "0.1.0", "dependencies": tarballs})
    )
    return _run([npm, "install", "--offline", "--no-audit", "--no-fund"], tmp / "app", env)


def _crate(where: Path, name: str, version: str, deps: str = "", checksum: bool = False) -> None:
    where.mkdir(parents=True)
    (where / "src").mkdir()
    (where / "src" / "lib.rs").write_text("")
    (where / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2021"\n\n[dependencies]\n{deps}'
    )
    if checksum:
        (where / ".cargo-checksum.json").write_text('{"files": {}, "package": null}')


def cargo_log(tmp: Path) -> str:
    """cargo cannot unify acme-core 1.x: the app wants ^1.6, acme-web pins =1.4.0 (a vendored directory
    source stands in for crates.io, offline)."""
    cargo = need_program("cargo", "install a Rust toolchain (rustup)")
    vendor = tmp / "vendor"
    _crate(vendor / "acme-core-1.4.0", "acme-core", "1.4.0", checksum=True)
    _crate(vendor / "acme-core-1.6.0", "acme-core", "1.6.0", checksum=True)
    _crate(vendor / "acme-web-1.0.0", "acme-web", "1.0.0", 'acme-core = "=1.4.0"\n', checksum=True)
    _crate(tmp / "app", "acme-app", "0.1.0", 'acme-core = "1.6"\nacme-web = "1"\n')
    (tmp / "app" / ".cargo").mkdir()
    (tmp / "app" / ".cargo" / "config.toml").write_text(
        f'[source.crates-io]\nreplace-with = "vendored"\n[source.vendored]\ndirectory = "{vendor}"\n'
    )
    env = {"CARGO_HOME": str(tmp / "cargo-home"), "CARGO_TERM_COLOR": "never"}
    return _run([cargo, "generate-lockfile", "--offline"], tmp / "app", env)


def test_pip_resolution_impossible(tmp_path: Path):
    log = pip_log(tmp_path)
    assert "ResolutionImpossible" in log
    (c,) = resolver_conflicts(log)
    assert (c.tool, c.package) == ("pip", "acme-core")
    assert c.involved == (
        "The user requested acme-core==2.0.0",
        "acme-web 1.0.0 depends on acme-core<2 and >=1.2",
    )


def test_npm_eresolve(tmp_path: Path):
    log = npm_log(tmp_path)
    assert "ERESOLVE" in log
    (c,) = resolver_conflicts(log)
    assert (c.tool, c.package) == ("npm", "@acme/core")
    assert c.involved == ("found @acme/core@2.0.0", 'peer @acme/core@"^1.2.0" from @acme/web@1.0.0')


def test_cargo_failed_to_select_a_version(tmp_path: Path):
    log = cargo_log(tmp_path)
    assert "failed to select a version for `acme-core`" in log
    (c,) = resolver_conflicts(log)
    assert (c.tool, c.package) == ("cargo", "acme-core")
    assert "versions that meet the requirements `=1.4.0` are: 1.4.0" in c.involved
    assert "previously selected package `acme-core v1.6.0`" in c.involved
    assert "... required by package `acme-web v1.0.0`" in c.involved


def test_cargo_path_dependency_that_does_not_match(tmp_path: Path):
    need_program("cargo", "install a Rust toolchain (rustup)")
    _crate(tmp_path / "core", "acme-core", "2.0.0")
    _crate(tmp_path / "web", "acme-web", "1.0.0", 'acme-core = { path = "../core", version = "^1.2" }\n')
    _crate(tmp_path / "app", "acme-app", "0.1.0", 'acme-web = { path = "../web" }\n')
    log = _run(
        ["cargo", "generate-lockfile", "--offline"], tmp_path / "app", {"CARGO_HOME": str(tmp_path / "h")}
    )
    (c,) = resolver_conflicts(log)
    assert (c.tool, c.package) == ("cargo", "acme-core")
    assert c.involved[:2] == ('acme-core = "^1.2"', "candidate versions found which didn't match: 2.0.0")


def test_pip_stderr_before_stdout_still_names_the_versions(tmp_path: Path):
    log = pip_log(tmp_path)
    errors = [ln for ln in log.splitlines() if ln.startswith("ERROR:")]
    rest = [ln for ln in log.splitlines() if not ln.startswith("ERROR:")]
    (c,) = resolver_conflicts("\n".join(errors + rest))
    assert c.package == "acme-core" and len(c.involved) == 2


def test_a_log_without_a_resolver_conflict_has_none():
    assert (
        resolver_conflicts("ERROR: tests failed\nnpm error code E404\nerror[E0308]: mismatched types\n") == []
    )


def test_conflicts_are_learned_from_red_builds_and_listed(tmp_path: Path):
    fleet = _fleet(tmp_path / "fleet-home", "python")
    fs = FleetSession.open(fleet, Context.from_environ())
    (tmp_path / "pip").mkdir()
    (tmp_path / "npm").mkdir()
    learn_from_failure(fs.store, "app", "a" * 40, "local", pip_log(tmp_path / "pip"))
    lesson = learn_from_failure(fs.store, "web", "b" * 40, "local", npm_log(tmp_path / "npm"))
    assert [c.package for c in lesson.conflicts] == ["@acme/core"]
    learn_from_failure(fs.store, "cli", "c" * 40, "local", "all tests passed, then a flaky failure\n")
    rows = fs.conflicts()
    assert [(r["product"], r["tool"], r["package"]) for r in rows] == [
        ("app", "pip", "acme-core"),
        ("web", "npm", "@acme/core"),
    ]
    assert rows[0]["involved"][1] == "acme-web 1.0.0 depends on acme-core<2 and >=1.2"
    listed = cmctl("swarm", "conflicts", "--json", "-f", str(fleet))
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == rows
    text = cmctl("swarm", "conflicts", "web", "-f", str(fleet))
    assert text.returncode == 0, text.stderr
    assert "web @ bbbbbbbbbbbb npm: @acme/core cannot be resolved" in text.stdout
    assert 'peer @acme/core@"^1.2.0" from @acme/web@1.0.0' in text.stdout
