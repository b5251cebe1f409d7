"""The supply facet with real registries that cannot hold the evidence themselves: acme-text publishes to
pypiserver and globex-widgets to verdaccio (through their Ansible playbooks), both declare ``spec.supply``
with ``store: local`` (the demo's file registry). The attest downloads the published artifacts from the
registry, signs them, and keeps the evidence in the store; the observer and ``cmctl verify`` download them
again and check; an artifact replaced in the registry after signing is caught by both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import cmctl
from servers.registries import Server, start_pypiserver
from test_e2e_supply import keypair

pytestmark = pytest.mark.slow

PRODUCTS = ["-p", "acme-text", "-p", "globex-widgets"]


def publish_to_registries_with_supply(ws: Workspace, pypi: Server, npm: Server, public_key: str) -> None:
    fleet = ws.fleet / "fleet.yaml"
    fleet.write_text(
        fleet.read_text().replace(
            "  ci:\n",
            f"""\
    pypi:
      type: pypi
      url: {pypi.url}
      credentials: {{usernameEnv: CM_TEST_PYPI_USER, passwordEnv: CM_TEST_PYPI_PASSWORD}}
    npm:
      type: npm
      url: {npm.url}
      credentials: {{tokenEnv: CM_TEST_NPM_TOKEN}}
  ci:
""",
        )
    )
    supply = (
        "  supply:\n    store: local\n    sign:\n      key: {secretRef: release-key}\n"
        f'      publicKey: "{public_key}"\n'
    )
    for path, old, new in [
        (
            "products/acme/acme-text.yaml",
            "registry: local\n        package: acme-text",
            "registry: pypi\n        package: acme-text",
        ),
        ("products/globex/globex-widgets.yaml", "registry: local", "registry: npm"),
    ]:
        f = ws.fleet / path
        assert old in f.read_text(), path
        f.write_text(f.read_text().replace(old, new) + supply)
    git(["add", "-A"], ws.fleet)
    git(
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "publish to registries, signed"],
        ws.fleet,
    )


def test_evidence_of_pypi_and_npm_releases_is_kept_in_the_store_and_verified_against_downloads(
    workspace: Workspace, npm_server: Server, tmp_path: Path
):
    # a fresh pypiserver: its wheel is replaced below (verdaccio is the session's: only read here)
    with start_pypiserver(tmp_path / "pypi") as pypi_server:
        run_the_scenario(workspace, pypi_server, npm_server, tmp_path)


def run_the_scenario(workspace: Workspace, pypi_server: Server, npm_server: Server, tmp_path: Path) -> None:
    private, public = keypair(tmp_path / "rel")
    publish_to_registries_with_supply(workspace, pypi_server, npm_server, public)
    env = {
        "CMCTL_SECRET_RELEASE_KEY": private,
        "CM_TEST_PYPI_USER": pypi_server.username,
        "CM_TEST_PYPI_PASSWORD": pypi_server.password,
        "CM_TEST_NPM_TOKEN": npm_server.token,
    }
    fleet = str(workspace.fleet)
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", *PRODUCTS, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout + r.stderr
    assert "signed acme-text 0.2.0 in pypi (evidence in" in out, out
    assert "signed @globex/widgets 0.4.0 in npm (evidence in" in out, out

    store = workspace.registry / "supply"
    assert sorted(p.name for p in (store / "pypi" / "acme-text").iterdir()) == [
        "acme-text-0.2.0.SHA256SUMS",
        "acme-text-0.2.0.SHA256SUMS.sig",
        "acme-text-0.2.0.cdx.json",
        "acme-text-0.2.0.intoto.json",
    ]
    sums = (store / "pypi" / "acme-text" / "acme-text-0.2.0.SHA256SUMS").read_text()
    assert "acme_text-0.2.0-py3-none-any.whl" in sums and "acme_text-0.2.0.tar.gz" in sums
    npm_sums = (store / "npm" / "@globex%2fwidgets" / "globex-widgets-0.4.0.SHA256SUMS").read_text()
    assert "  widgets-0.4.0.tgz\n" in npm_sums  # the tarball as verdaccio names it (scope dropped)

    # the observers download the artifacts again and find the evidence verified: in sync
    r = cmctl("plan", "--fleet", fleet, "--detailed-exitcode", *PRODUCTS, env=env)
    assert r.returncode == 0, r.stdout + r.stderr

    for product in ("acme-text", "globex-widgets"):
        r = cmctl("verify", product, "--json", "--fleet", fleet, env=env)
        doc = json.loads(r.stdout)
        assert r.returncode == 0 and doc["ok"], doc
        assert any(c["name"].startswith("artifact ") for c in doc["registries"][0]["checks"])

    # the wheel is replaced in the registry after signing (pypiserver serves files from its directory)
    wheel = next(pypi_server.workdir.rglob("acme_text-0.2.0-py3-none-any.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    r = cmctl("verify", "acme-text", "--json", "--fleet", fleet, env=env)
    doc = json.loads(r.stdout)
    failed = [c["detail"] for c in doc["registries"][0]["checks"] if not c["ok"]]
    assert r.returncode == 1 and any("acme_text-0.2.0-py3-none-any.whl" in d for d in failed), doc
    r = cmctl("plan", "--json", "--fleet", fleet, *PRODUCTS, env=env)
    supply = json.loads(r.stdout)["products"]["acme-text"]["facets"]["supply"]
    assert supply["state"] == "failed" and "acme_text-0.2.0-py3-none-any.whl" in supply["message"], supply
