"""A hostile product against a real controller (issue 29): someone who can commit to one product repo
makes its build print the environment, read ``/proc/<ppid>/environ``, walk ``/proc``, read ``~/.cmctl``,
the fleet's ``.cmctl/``, the age identity, the secrets directory and the tokens file, print the secrets
it knows or guessed raw and encoded, and connect to an address it did not declare (``network: none``).

The controller (``cmctl controller run --once --tokens FILE``) holds secrets from the environment, an age
file, a secrets directory and the tokens file. Each read fails, and no secret, in any encoding, reaches
the controller's output, the store (the whole SQLite file), ``cmctl logs`` or ``cmctl audit``."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from codemonkeys.repos import run as git
from conftest import cmctl
from need import need_module, need_program

pytestmark = pytest.mark.slow

CANARIES = {  # name -> value; every one must stay out of every output
    "env": "canary-env-secret-7f3a",  # CMCTL_SECRET_OPS_TOKEN
    "api": "canary-api-token-51c9",  # CMCTL_API_TOKEN
    "webhook": "canary-webhook-secret-0d2e",  # CMCTL_WEBHOOK_SECRET
    "age": "canary-age-secret-9b41",  # <fleet>/secrets/registry-password.age
    "dir": "canary-dir-secret-c8e0",  # CMCTL_SECRETS_DIR/build-key (declared in spec.build.env)
    "viewer": "canary-viewer-token-aa17",  # tokens file, a raw token
    "approver": "canary-approver-token-3e55",  # tokens file, tokenRef to the secrets directory
}

HOSTILE = r"""
import base64, json, os, socket, sys

PATHS = json.loads(%(paths)r)
GUESSED = json.loads(%(guessed)r)  # what an attacker guessed or read elsewhere, printed as-is and encoded
print("HOSTILE env:", json.dumps(dict(os.environ), sort_keys=True))
for name, value in os.environ.items():
    print("HOSTILE env-b64", name, base64.b64encode(value.encode()).decode())
for pid in sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int):
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
    except OSError as exc:
        cmd = type(exc).__name__
    print("HOSTILE pid", pid, cmd)
    try:
        environ = open(f"/proc/{pid}/environ", "rb").read()
        print("HOSTILE environ", pid, base64.b64encode(environ).decode(), environ.hex())
    except OSError as exc:
        print("HOSTILE environ", pid, type(exc).__name__)
for label, path in PATHS.items():
    try:
        if os.path.isdir(path):
            found = []
            for root, dirs, files in os.walk(path):
                found += [os.path.join(root, f) for f in files]
            for f in found:
                try:
                    print("HOSTILE file", f, base64.b64encode(open(f, "rb").read()).decode())
                except OSError as exc:
                    print("HOSTILE file", f, type(exc).__name__)
            print("HOSTILE read", label, "listed", len(found))
        else:
            data = open(path, "rb").read()
            print("HOSTILE read", label, "ok" if data else "empty", base64.b64encode(data).decode())
    except OSError as exc:
        print("HOSTILE read", label, "failed", type(exc).__name__)
for value in GUESSED + [os.environ.get("BUILD_KEY", "")]:
    raw = value.encode()
    print("HOSTILE canary", value, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(),
          raw.hex(), "%%".join(f"{b:02X}" for b in raw), base64.b64encode(b"x:" + raw).decode())
try:
    socket.create_connection(("127.0.0.1", %(port)d), timeout=3).close()
    print("HOSTILE net connected")
except OSError as exc:
    print("HOSTILE net failed", type(exc).__name__)
sys.exit(1)
"""


def forms(value: str) -> list[str]:
    raw = value.encode()
    b64 = base64.b64encode(raw).decode()
    return [
        value,
        b64.rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
        quote(value),
    ]


def leaked(text: str) -> list[str]:
    return [f"{name}:{form}" for name, value in CANARIES.items() for form in forms(value) if form in text]


@pytest.fixture
def outside_tmp():
    """A directory outside /tmp: the sandbox's own /tmp would hide what is under the host's anyway, and
    this test is about what the sandbox hides by name (the fleet's state, secrets, identity, home)."""
    path = Path(tempfile.mkdtemp(prefix="cm-hostile-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_hostile_build_reaches_no_secret(outside_tmp: Path):
    tmp_path = outside_tmp
    need_program("bwrap", "apt-get install bubblewrap (scripts/test installs it)")
    pyrage = need_module("pyrage", "pip install 'codemonkeys[deploy]'")
    home = tmp_path / "home"  # the controller user's home: ~/.cmctl holds a file of its own
    (home / ".cmctl").mkdir(parents=True)
    (home / ".cmctl" / "credentials").write_text(f"token={CANARIES['env']}\n")
    cache = tmp_path / "cache-home"
    (cache / "fleets").mkdir(parents=True)
    (cache / "fleets" / "note").write_text("cached fleet")
    fleet, repo, secrets_dir = tmp_path / "fleet", tmp_path / "repos" / "evil", tmp_path / "secrets.d"
    (fleet / "products").mkdir(parents=True)
    secrets_dir.mkdir()
    (secrets_dir / "build-key").write_text(CANARIES["dir"] + "\n")
    (secrets_dir / "approver-token").write_text(CANARIES["approver"] + "\n")
    ident = pyrage.x25519.Identity.generate()
    (fleet / "secrets").mkdir()
    encrypted = pyrage.encrypt(CANARIES["age"].encode(), [ident.to_public()])
    (fleet / "secrets" / "registry-password.age").write_bytes(encrypted)
    identity = tmp_path / "age-identity.txt"
    identity.write_text(f"{ident}\n")
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        f"- {{name: viewer, role: viewer, token: {CANARIES['viewer']}}}\n"
        "- {name: approver, role: approver, tokenRef: approver-token}\n"
    )
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: hostile}\nspec:\n"
        "  registries:\n    files: {type: file, path: registry,"
        " credentials: {password: {secretRef: registry-password}}}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\n"
        "spec: {default: deny, rules: [{id: builds, match: {actions: ['build.*']}}]}\n"
    )
    (fleet / "products" / "evil.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: evil}\nspec:\n"
        "  source: {repo: ../repos/evil}\n  language: python\n"
        "  build: {command: [python, hostile.py], confirmRed: 0, network: none,"
        " env: {BUILD_KEY: {secretRef: build-key}}}\n"
    )
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "-A"], fleet)
    git(["-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qm", "fleet"], fleet)

    hits: list[str] = []
    with socket.socket() as listener:  # an address the product did not declare
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        stop = threading.Event()

        def accept() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                    hits.append("connected")
                    conn.close()
                except OSError:
                    pass

        acceptor = threading.Thread(target=accept, daemon=True)
        acceptor.start()
        paths = {
            "home-cmctl": str(home / ".cmctl"),
            "fleet-state": str(fleet / ".cmctl"),
            "state-db": str(fleet / ".cmctl" / "state.db"),
            "fleet-secrets": str(fleet / "secrets"),
            "identity": str(identity),
            "secrets-dir": str(secrets_dir),
            "tokens-file": str(tokens),
            "cache-home": str(cache),
        }
        guessed = [CANARIES["env"], CANARIES["viewer"], CANARIES["webhook"]]
        script = HOSTILE % {"paths": json.dumps(paths), "guessed": json.dumps(guessed), "port": port}
        repo.mkdir(parents=True)
        (repo / "hostile.py").write_text(script)
        git(["init", "-q", "-b", "main"], repo)
        git(["add", "-A"], repo)
        git(["-c", "user.name=M", "-c", "user.email=m@example.com", "commit", "-qm", "feat: build"], repo)

        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CMCTL_")},
            "NO_COLOR": "1",
            "HOME": str(home),
            "CMCTL_HOME": str(cache),
            "CMCTL_SECRET_OPS_TOKEN": CANARIES["env"],
            "CMCTL_API_TOKEN": CANARIES["api"],
            "CMCTL_WEBHOOK_SECRET": CANARIES["webhook"],
            "CMCTL_AGE_IDENTITY": str(identity),
            "CMCTL_SECRETS_DIR": str(secrets_dir),
        }
        argv = [sys.executable, "-m", "codemonkeys", "controller", "run", "--once", "--fleet", str(fleet)]
        ctl = subprocess.run(
            [*argv, "--tokens", str(tokens)], env=env, capture_output=True, text=True, timeout=600
        )
        stop.set()
        acceptor.join(timeout=5)
    output = ctl.stdout + ctl.stderr

    logs = cmctl("logs", "evil/build.run", "--fleet", str(fleet), env=env)
    log = logs.stdout + logs.stderr
    assert "HOSTILE net failed" in log, log[-3000:]  # the build ran, and its output was journaled
    audit = cmctl("audit", "--fleet", str(fleet), env=env)
    status = cmctl("status", "--json", "--fleet", str(fleet), env=env)

    # each read failed
    assert not hits and "HOSTILE net connected" not in log
    for label in ("home-cmctl", "state-db", "fleet-secrets", "secrets-dir", "cache-home"):
        assert (
            f"HOSTILE read {label} failed FileNotFoundError" in log or f"HOSTILE read {label} listed 0" in log
        ), (
            label,
            log[-4000:],
        )
    assert "HOSTILE read identity ok" not in log and "HOSTILE read tokens-file ok" not in log
    assert "HOSTILE read fleet-state listed" in log  # only its own worktree and mirror are in there
    assert "state.db" not in log
    pids = [line for line in log.splitlines() if line.startswith("HOSTILE pid ")]
    assert pids and len(pids) <= 4, pids  # bubblewrap's init, the build, nothing of the controller
    assert not [p for p in pids if "controller run" in p or "codemonkeys" in p], pids
    env_line = next(line for line in log.splitlines() if line.startswith("HOSTILE env: "))
    seen_env = json.loads(env_line.removeprefix("HOSTILE env: "))
    assert not [k for k in seen_env if k.startswith("CMCTL_")], seen_env
    assert seen_env["BUILD_KEY"] == "***"  # declared, given, and redacted in the log

    # nothing of any secret anywhere
    state = fleet / ".cmctl"
    stored = b"".join(p.read_bytes() for p in state.glob("state.db*"))
    for where, text in {
        "controller output": output,
        "cmctl logs": log,
        "cmctl audit": audit.stdout + audit.stderr,
        "cmctl status": status.stdout,
        "store": stored.decode("utf-8", errors="replace"),
    }.items():
        assert not leaked(text), (where, leaked(text))
    assert "HOSTILE canary ***" in log  # the guessed ones were printed, and masked
