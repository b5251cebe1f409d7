"""Product code under bubblewrap, run for real: its own PID namespace (no controller in /proc), an
allow-listed environment plus what the product declares, the worktree writable and nothing else, the
state directory, secrets, identity, tokens file and home hidden, no network with ``network: none``;
refused where bubblewrap cannot run unless ``--unsandboxed``."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from codemonkeys.context import Context
from codemonkeys.sandbox import Jail, prepare, product_command, status
from codemonkeys.vocab.enums import BuildNetwork
from need import need_program

PROBE = r"""
import json, os, socket, sys
out = {"env": dict(os.environ), "pids": {}, "reads": {}, "writes": {}}
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        out["pids"][pid] = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
    except OSError as exc:
        out["pids"][pid] = type(exc).__name__
for label, path in json.loads(sys.argv[1]).items():
    try:
        out["reads"][label] = os.listdir(path) if os.path.isdir(path) else open(path).read()
    except OSError as exc:
        out["reads"][label] = type(exc).__name__
for label, path in json.loads(sys.argv[2]).items():
    try:
        open(path, "w").write("x")
        out["writes"][label] = "written"
    except OSError as exc:
        out["writes"][label] = type(exc).__name__
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[3])), timeout=3).close()
    out["net"] = "connected"
except OSError as exc:
    out["net"] = type(exc).__name__
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def bwrap() -> str:
    return need_program("bwrap", "apt-get install bubblewrap (scripts/test installs it)")


def run(prepared, cwd: Path) -> subprocess.CompletedProcess:
    assert prepared.refused is None, prepared.refused
    return subprocess.run(
        prepared.args, cwd=cwd, env=prepared.env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def outside_tmp():
    """A directory outside /tmp (the sandbox's own /tmp hides the host's anyway): what is hidden here is
    hidden by name."""
    path = Path(tempfile.mkdtemp(prefix="cm-sandbox-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_sandbox_hides_the_controller(outside_tmp: Path, bwrap: str):
    tmp_path = outside_tmp
    home, state, secrets = tmp_path / "home", tmp_path / "fleet" / ".cmctl", tmp_path / "secrets.d"
    for d in (home / ".cmctl", state, secrets, tmp_path / "work"):
        d.mkdir(parents=True)
    (home / ".cmctl" / "token").write_text("home-canary")
    (state / "state.db").write_text("state-canary")
    (secrets / "db").write_text("dir-canary")
    identity = tmp_path / "age.key"
    identity.write_text("AGE-SECRET-KEY-CANARY")
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("- {name: ops, role: admin, token: tokens-file-canary}")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    work = tmp_path / "work"
    env = {
        **os.environ,
        "HOME": str(home),
        "CMCTL_SECRET_OPS": "env-canary",
        "CMCTL_API_TOKEN": "api-canary",
        "CMCTL_SECRETS_DIR": str(secrets),
        "CMCTL_AGE_IDENTITY": str(identity),
    }
    context = Context.from_environ(env).holding(["tokens-file-canary"], [tokens])
    from codemonkeys.sandbox import secret_places

    hidden = (*secret_places(context, None), state)
    jail = Jail(writable=(work,), hidden=hidden, env={"DECLARED": "yes"}, network=BuildNetwork.NONE)
    reads = {
        "home": str(home / ".cmctl" / "token"),
        "state": str(state / "state.db"),
        "secrets": str(secrets / "db"),
        "identity": str(identity),
        "tokens": str(tokens),
        "parent-environ": f"/proc/{os.getpid()}/environ",
    }
    writes = {"worktree": str(work / "out.txt"), "elsewhere": str(elsewhere / "x"), "usr": "/usr/x"}
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        args = [sys.executable, "-c", PROBE, json.dumps(reads), json.dumps(writes), str(port)]
        done = run(prepare(context, args, jail), work)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)

    assert set(seen["env"]) <= {
        *("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "PYTHONDONTWRITEBYTECODE", "DECLARED", "PWD"),
        *("RUSTUP_HOME", "CARGO_HOME", "PYENV_ROOT", "RUSTUP_TOOLCHAIN", "PYENV_VERSION", "NVM_DIR"),
    }, seen["env"]
    assert seen["env"]["DECLARED"] == "yes" and seen["env"]["HOME"] == "/tmp/home"
    assert "canary" not in json.dumps(seen["env"])
    # its own processes only: bubblewrap's init and the probe, never this test's process (the "controller")
    assert all(c.startswith((bwrap, f"{sys.executable} -c")) for c in seen["pids"].values()), seen["pids"]
    assert len(seen["pids"]) <= 3
    assert seen["reads"]["home"] == "FileNotFoundError"  # the real home is an empty directory
    assert seen["reads"]["state"] == "FileNotFoundError"
    assert seen["reads"]["secrets"] == "FileNotFoundError"
    assert seen["reads"]["identity"] in ("", "PermissionError")  # /dev/null over them (a nodev mount)
    assert seen["reads"]["tokens"] in ("", "PermissionError")
    assert seen["reads"]["parent-environ"] == "FileNotFoundError"  # not in its /proc
    assert seen["writes"] == {"worktree": "written", "elsewhere": "OSError", "usr": "OSError"}  # read-only
    assert (work / "out.txt").read_text() == "x" and not (elsewhere / "x").exists()
    assert seen["net"] != "connected"


def test_network_is_shared_unless_none(tmp_path: Path, bwrap: str):
    context = Context.from_environ()
    code = (
        "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=3); print('ok')"
    )
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = str(listener.getsockname()[1])
        shared = run(prepare(context, [sys.executable, "-c", code, port], Jail((tmp_path,))), tmp_path)
        none = Jail((tmp_path,), network=BuildNetwork.NONE)
        cut = run(prepare(context, [sys.executable, "-c", code, port], none), tmp_path)
    assert shared.stdout.strip() == "ok"  # registries (the default): the host's network
    assert cut.returncode != 0 and "ConnectionRefused" in cut.stderr


def test_refused_without_bubblewrap_unless_unsandboxed(tmp_path: Path):
    context = Context.from_environ({**os.environ, "CMCTL_BWRAP": str(tmp_path / "no-bwrap")})
    refused = prepare(context, ["true"], Jail((tmp_path,)))
    assert refused.refused and "not installed" in refused.refused and "--unsandboxed" in refused.refused
    assert "refused" in status(context) and "--unsandboxed" in status(context)
    loose = prepare(context.without_sandbox(), ["true"], Jail((tmp_path,), env={"DECLARED": "1"}))
    assert loose.refused is None and not loose.sandboxed and loose.args == ["true"]
    assert loose.env["DECLARED"] == "1" and loose.env["CMCTL_BWRAP"]  # as before: the controller's env
    assert "UNSANDBOXED" in status(context.without_sandbox())
    assert Context.from_environ({"CMCTL_UNSANDBOXED": "1"}).unsandboxed


def test_a_declared_secret_that_does_not_resolve_refuses(tmp_path: Path, bwrap: str):
    from codemonkeys.load import load_fleet

    fleet = tmp_path / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec: {}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {}\n"
    )
    (fleet / "products" / "p.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: p}\nspec:\n"
        "  source: {repo: ../repo}\n  language: python\n"
        "  build: {command: [env], env: {KEY: {secretRef: build-key}}, network: none}\n"
    )
    desired, diags = load_fleet(fleet)
    assert desired is not None, diags
    missing = product_command(Context.from_environ(), desired, "p", ["env"], [tmp_path])
    assert missing.refused and "spec.build.env.KEY" in missing.refused and "build-key" in missing.refused
    context = Context.from_environ({**os.environ, "CMCTL_SECRET_BUILD_KEY": "resolved-key"})
    found = product_command(context, desired, "p", ["env"], [tmp_path])
    out = run(found, tmp_path).stdout
    assert "KEY=resolved-key" in out and "CMCTL_SECRET_BUILD_KEY" not in out
    assert "--unshare-net" in found.args  # network: none


def test_tools_under_tmp_are_reexposed_read_only(bwrap: str, tmp_path: Path):
    """A checkout's virtual environment (or any PATH directory) under /tmp stays usable in the fresh /tmp
    of the sandbox, read-only; the rest of the host's /tmp stays out of sight."""
    tools = tmp_path / "venv" / "bin"
    tools.mkdir(parents=True)
    (tools / "hello-tool").write_text("#!/bin/sh\necho hello from $0\n")
    (tools / "hello-tool").chmod(0o755)
    (tmp_path / "elsewhere.txt").write_text("not for the product")
    work = tmp_path / "wt"
    work.mkdir()
    context = Context(env={"PATH": f"{tools}:/usr/bin:/bin", "HOME": str(tmp_path / "home")})
    script = f"hello-tool; cat {tmp_path / 'elsewhere.txt'} || echo hidden; touch {tools}/x || echo read-only"
    done = run(prepare(context, ["sh", "-c", script], Jail(writable=(work,))), work)
    assert f"hello from {tools}/hello-tool" in done.stdout, done.stdout + done.stderr
    assert "hidden" in done.stdout and "not for the product" not in done.stdout
    assert "read-only" in done.stdout and not (tools / "x").exists()
