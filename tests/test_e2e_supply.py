"""The supply facet end to end on a demo workspace with the real CLI: acme-text declares
``spec.supply`` with an SSH key (by secretRef) and its public half; a real apply publishes the release to
the file registry and signs it (a CycloneDX SBOM, SHA-256 checksums, ``ssh-keygen -Y sign``, an in-toto
provenance statement) beside the artifacts; ``cmctl verify`` checks it as a consumer would; a tampered
artifact and another key are refused and never signed over; a signature lost to a crash (the bundle's
last write) is written again by the next apply, once; a key that does not match the declared public key
writes nothing; the private key appears nowhere (state database, plan, audit, logs)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import cmctl
from need import need_program

pytestmark = pytest.mark.slow

VERSION = "0.2.0"  # what the demo releases acme-text as
FILES = [
    "acme-text-0.2.0.SHA256SUMS",
    "acme-text-0.2.0.SHA256SUMS.sig",
    "acme-text-0.2.0.cdx.json",
    "acme-text-0.2.0.intoto.json",
]


def keypair(path: Path) -> tuple[str, str]:
    need_program("ssh-keygen", "apt install openssh-client")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True
    )
    return path.read_text(), path.with_suffix(".pub").read_text().strip()


def declare_supply(ws: Workspace, public_key: str) -> None:
    product = ws.fleet / "products" / "acme" / "acme-text.yaml"
    product.write_text(
        product.read_text()
        + f'  supply:\n    sign:\n      key: {{secretRef: release-key}}\n      publicKey: "{public_key}"\n'
    )
    git(["add", "-A"], ws.fleet)
    git(
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "acme-text signs its releases"],
        ws.fleet,
    )


def package_dir(ws: Workspace) -> Path:
    return ws.registry / "simple" / "acme-text"


def actions_of(ws: Workspace, env: dict) -> list[str]:
    r = cmctl("plan", "--json", "-p", "acme-text", "--fleet", str(ws.fleet), env=env)
    assert r.returncode == 0, r.stderr
    return [a["id"] for a in json.loads(r.stdout)["actions"] if a["product"] == "acme-text"]


def verify(ws: Workspace, *args: str, env: dict | None = None) -> tuple[int, dict]:
    r = cmctl("verify", "acme-text", *args, "--json", "--fleet", str(ws.fleet), env=env)
    return r.returncode, json.loads(r.stdout)


def failed_checks(doc: dict) -> list[str]:
    return [c["detail"] for reg in doc["registries"] for c in reg["checks"] if not c["ok"]]


def test_a_release_is_signed_verified_refused_when_tampered_and_resigned_after_a_crash(
    workspace: Workspace, tmp_path: Path
):
    private, public = keypair(tmp_path / "release")
    declare_supply(workspace, public)
    env = {"CMCTL_SECRET_RELEASE_KEY": private}

    planned = actions_of(workspace, env)
    assert "acme-text/supply.attest/local" in planned, planned

    r = cmctl("apply", "--auto-approve", "-p", "acme-text", "--fleet", str(workspace.fleet), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "signed acme-text 0.2.0 in local" in r.stdout + r.stderr
    assert sorted(p.name for p in package_dir(workspace).glob("acme-text-*")) == FILES

    # what was written: the SBOM names the product and hashes each artifact; the provenance names the tag's
    # commit; the checksums cover the artifacts and both documents
    sbom = json.loads((package_dir(workspace) / "acme-text-0.2.0.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    assert sbom["metadata"]["component"]["purl"] == "pkg:pypi/acme-text@0.2.0"
    statement = json.loads((package_dir(workspace) / "acme-text-0.2.0.intoto.json").read_text())
    tag_commit = git(["rev-parse", "v0.2.0^{commit}"], workspace.repos / "acme-text")
    assert statement["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"] == {
        "gitCommit": tag_commit
    }
    sums = (package_dir(workspace) / "acme-text-0.2.0.SHA256SUMS").read_text()
    artifacts = sorted(p.name for p in package_dir(workspace).iterdir() if p.name.startswith("acme_text-"))
    assert len(artifacts) == 2 and all(a in sums for a in artifacts)
    assert {s["name"] for s in statement["subject"]} == set(artifacts)

    code, doc = verify(workspace)
    assert code == 0 and doc["ok"], doc
    assert actions_of(workspace, env) == []  # in sync: nothing to sign again

    # another key: refused
    _, other = keypair(tmp_path / "other")
    (tmp_path / "other.pub").write_text(other + "\n")
    code, doc = verify(workspace, "--key", str(tmp_path / "other.pub"))
    assert code == 1 and any("does not verify" in d for d in failed_checks(doc)), doc

    # a tampered artifact: refused by verify, and the controller does not sign over it
    wheel = next(package_dir(workspace).glob("*.whl"))
    original = wheel.read_bytes()
    wheel.write_bytes(original + b"\0")
    code, doc = verify(workspace)
    assert code == 1 and any(wheel.name in d and "sha256" in d for d in failed_checks(doc)), doc
    r = cmctl("plan", "--json", "-p", "acme-text", "--fleet", str(workspace.fleet), env=env)
    plan = json.loads(r.stdout)
    supply = plan["products"]["acme-text"]["facets"]["supply"]
    assert supply["state"] == "failed" and wheel.name in supply["message"], supply
    assert not [a for a in plan["actions"] if a["product"] == "acme-text"]
    wheel.write_bytes(original)

    # a crash before the bundle's last write leaves no signature: the next apply signs again, once
    (package_dir(workspace) / "acme-text-0.2.0.SHA256SUMS.sig").unlink()
    assert actions_of(workspace, env) == ["acme-text/supply.attest/local"]
    r = cmctl("apply", "--auto-approve", "-p", "acme-text", "--fleet", str(workspace.fleet), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(list(package_dir(workspace).glob("*.sig"))) == 1
    assert verify(workspace)[0] == 0

    # the private key is nowhere: not in the state database, the audit log, the plan or the logs
    needle = private.strip().splitlines()[1]  # a line of the key's base64 body
    state = (workspace.fleet / ".cmctl" / "state.db").read_bytes()
    assert needle.encode() not in state
    with sqlite3.connect(workspace.fleet / ".cmctl" / "state.db") as conn:
        attests = conn.execute(
            "SELECT status FROM actions WHERE action_id = 'acme-text/supply.attest/local' ORDER BY id"
        ).fetchall()
    assert [o for (o,) in attests] == ["succeeded", "succeeded"]
    for path in (workspace.fleet / ".cmctl").rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert needle.encode() not in path.read_bytes(), path


def test_a_key_that_is_not_the_declared_one_signs_nothing(workspace: Workspace, tmp_path: Path):
    _, public = keypair(tmp_path / "declared")
    wrong, _ = keypair(tmp_path / "wrong")
    declare_supply(workspace, public)
    r = cmctl(
        "apply",
        "--auto-approve",
        "-p",
        "acme-text",
        "--fleet",
        str(workspace.fleet),
        env={"CMCTL_SECRET_RELEASE_KEY": wrong},
    )
    assert r.returncode == 1
    assert "does not match spec.supply.sign.publicKey" in r.stdout + r.stderr
    assert not list(package_dir(workspace).glob("acme-text-*"))  # nothing written
    assert list(package_dir(workspace).glob("acme_text-*.whl"))  # the release itself went out
    code, doc = verify(workspace)
    assert code == 1 and any("missing" in d for d in failed_checks(doc)), doc
