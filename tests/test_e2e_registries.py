"""End to end against real registries: the demo fleet published through Ansible to pypiserver,
verdaccio and Debian's docker-registry, observed back through their HTTP APIs.

Covers: convergence (a second plan is in sync because the observers see the versions), the artifacts
are really there (pip, npm view, tags/list), re-apply is a noop, wrong credentials fail clearly naming
the registry and leave nothing half-done (the tag stays, the next run retries only the publish).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import cmctl
from servers.registries import Server, start_pypiserver
from test_e2e_engine import db

pytestmark = pytest.mark.slow


def use_real_registries(ws: Workspace, pypi: Server, npm: Server, oci: Server) -> None:
    """Point acme-text at pypiserver, globex-widgets at verdaccio and globex-hash at the OCI registry.
    The pypi password is a secret by reference: an age-encrypted file committed to the fleet, its key
    outside (``age_identity``); the others are environment variables named in the fleet."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    age_identity(ws).write_text(f"# the test's age key\n{identity}\n")
    (ws.fleet / "secrets").mkdir(exist_ok=True)
    encrypted = pyrage.encrypt(pypi.password.encode(), [identity.to_public()])
    (ws.fleet / "secrets" / "pypi-password.age").write_bytes(encrypted)
    fleet = ws.fleet / "fleet.yaml"
    fleet.write_text(
        fleet.read_text().replace(
            "  ci:\n",
            f"""\
    pypi:
      type: pypi
      url: {pypi.url}
      credentials: {{username: {pypi.username}, password: {{secretRef: pypi-password}}}}
    npm:
      type: npm
      url: {npm.url}
      credentials: {{tokenEnv: CM_TEST_NPM_TOKEN}}
    oci:
      type: oci
      url: {oci.url}
      credentials: {{usernameEnv: CM_TEST_OCI_USER, passwordEnv: CM_TEST_OCI_PASSWORD}}
  ci:
""",
        )
    )
    for path, old, new in [
        (
            "products/acme/acme-text.yaml",
            "registry: local\n        package: acme-text",
            "registry: pypi\n        package: acme-text",
        ),
        ("products/globex/globex-widgets.yaml", "registry: local", "registry: npm"),
        (
            "products/globex/globex-hash.yaml",
            "registry: local\n        package: globex-hash",
            "registry: oci\n        package: globex/hash",
        ),
    ]:
        f = ws.fleet / path
        assert old in f.read_text(), path
        f.write_text(f.read_text().replace(old, new))
    git(["add", "-A"], ws.fleet)
    git(["commit", "-qm", "publish to the real registries"], ws.fleet)


def age_identity(ws: Workspace):
    return ws.root / "age-identity.txt"


def creds(
    ws: Workspace, pypi: Server, npm: Server, oci: Server, pypi_password: str | None = None
) -> dict[str, str]:
    """The environment of a run: the age key for the fleet's pypi password (or a wrong password in
    ``CMCTL_SECRET_PYPI_PASSWORD``, which comes first), the other registries' variables."""
    env = {
        "CMCTL_AGE_IDENTITY": str(age_identity(ws)),
        "CM_TEST_NPM_TOKEN": npm.token,
        "CM_TEST_OCI_USER": oci.username,
        "CM_TEST_OCI_PASSWORD": oci.password,
    }
    return env | ({"CMCTL_SECRET_PYPI_PASSWORD": pypi_password} if pypi_password else {})


PRODUCTS = ["-p", "acme-text", "-p", "globex-widgets", "-p", "globex-hash"]


def test_publish_to_real_registries_converges(workspace: Workspace, pypi_server, npm_server, oci_server):
    use_real_registries(workspace, pypi_server, npm_server, oci_server)
    env = creds(workspace, pypi_server, npm_server, oci_server)
    fleet = str(workspace.fleet)
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", *PRODUCTS, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    secrets = [v for k, v in env.items() if k.endswith(("_TOKEN", "_PASSWORD"))] + [pypi_server.password]
    for secret in secrets:
        assert secret not in r.stdout + r.stderr
    # the age-encrypted password went into a real upload and nowhere the run wrote
    logs = cmctl("logs", "--fleet", fleet, "acme-text/release.publish/pypi", env=env)
    assert logs.returncode == 0, logs.stderr
    written = [logs.stdout, logs.stderr] + [
        p.read_bytes().decode(errors="replace")
        for p in (workspace.fleet / ".cmctl").rglob("*")
        if p.is_file()
    ]
    assert not [w for w in written if pypi_server.password in w]

    r = cmctl("plan", "--fleet", fleet, "--detailed-exitcode", *PRODUCTS, env=env)
    assert r.returncode == 0, r.stdout + r.stderr  # the observers see every version in its registry

    index = pypi_server.authed_url("/simple/")
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "acme-text", "--index-url", index],
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stderr
    assert "0.2.0" in pip.stdout

    view = subprocess.run(
        ["npm", "view", "@globex/widgets", "versions", "--json", "--registry", npm_server.url],
        capture_output=True,
        text=True,
    )
    assert view.returncode == 0, view.stderr
    assert "0.4.0" in json.loads(view.stdout)

    request = urllib.request.Request(
        f"{oci_server.url}/v2/globex/hash/tags/list", headers=oci_server.basic_auth_header()
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read()) == {"name": "globex/hash", "tags": ["0.1.1"]}

    r = cmctl("apply", "--fleet", fleet, "--auto-approve", *PRODUCTS, env=env)
    assert r.returncode == 0 and "nothing to apply" in r.stdout
    with db(workspace) as conn:
        proofs = [
            json.loads(o)["audit"]
            for (o,) in conn.execute("select outputs from actions where kind='release.publish'")
        ]
    assert all(set(p) == {"log", "dry-run"} for p in proofs) and len(proofs) == 3
    # the dry-run proof names the check-mode verification that really ran
    dry = sorted(p["dry-run"] for p in proofs)
    assert dry[0].startswith("check mode of publish-npm.yml passed: Verify that a published version"), dry
    assert dry[1].startswith("check mode of publish-oci.yml passed: Verify that skopeo reads the image"), dry
    assert dry[2].startswith("check mode of publish-pypi.yml passed: Verify that no built file"), dry


def test_a_playbook_that_verifies_nothing_cannot_prove_a_dry_run(
    workspace: Workspace, npm_server, oci_server, tmp_path
):
    """A product's own playbook that succeeds without any `Verify...` task: the constitution's dry-run
    duty cannot be proven, so the publish fails before the playbook runs for real (no marker file)."""
    marker = workspace.root / "published-by-own-playbook"
    (workspace.fleet / "playbooks").mkdir()
    (workspace.fleet / "playbooks" / "own.yml").write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
        f"    - name: Publish my way\n      ansible.builtin.command:\n        argv: [touch, {marker}]\n"
    )
    with start_pypiserver(tmp_path / "pypi") as pypi:  # a fresh registry: acme-text is not in it yet
        use_real_registries(workspace, pypi, npm_server, oci_server)
        product = workspace.fleet / "products" / "acme" / "acme-text.yaml"
        old = "registry: pypi\n        package: acme-text"
        product.write_text(product.read_text().replace(old, old + "\n        playbook: playbooks/own.yml"))
        git(["add", "-A"], workspace.fleet)
        git(["commit", "-qm", "acme-text publishes with its own playbook"], workspace.fleet)
        env = creds(workspace, pypi, npm_server, oci_server)
        r = cmctl("apply", "--fleet", str(workspace.fleet), "--auto-approve", "-p", "acme-text", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no 'Verify...' task of own.yml ran in check mode" in r.stderr
    assert not marker.exists()  # the check-mode run skipped the command and the real run never happened
    with db(workspace) as conn:
        (status,) = conn.execute(
            "select status from actions where action_id='acme-text/release.publish/pypi'"
        ).fetchone()
    assert status == "failed"


def test_wrong_credentials_fail_clearly_and_leave_nothing_half_done(
    workspace: Workspace, npm_server, oci_server, tmp_path
):
    # A registry that anyone may read but only the user may upload to: the observer sees it, the upload fails.
    with start_pypiserver(tmp_path / "pypi", authenticate=("update",)) as pypi:
        use_real_registries(workspace, pypi, npm_server, oci_server)
        fleet = str(workspace.fleet)
        wrong = creds(workspace, pypi, npm_server, oci_server, pypi_password="not-the-password")
        r = cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "acme-text", env=wrong)
        assert r.returncode == 1
        assert "acme-text/release.publish/pypi" in r.stderr
        assert f"to pypi ({pypi.url}) failed" in r.stderr
        assert "not-the-password" not in r.stdout + r.stderr
        assert "v0.2.0" in git(["tag", "--list"], workspace.repos / "acme-text").split()  # the tag stays
        assert not list((pypi.workdir / "packages").iterdir())  # nothing half-uploaded

        doc = json.loads(cmctl("plan", "--json", "--fleet", fleet, "-p", "acme-text", env=wrong).stdout)
        assert [a["id"] for a in doc["actions"]] == [
            "acme-text/release.publish/pypi"
        ]  # only the publish is left

        r = cmctl(
            "apply",
            "--fleet",
            fleet,
            "--auto-approve",
            "-p",
            "acme-text",
            env=creds(workspace, pypi, npm_server, oci_server),
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "published acme-text 0.2.0 to pypi" in r.stderr


def test_unreadable_registry_is_an_unknown_fact_naming_it(
    workspace: Workspace, pypi_server, npm_server, oci_server
):
    """With wrong credentials a private registry cannot even be observed: its publish waits, said why."""
    use_real_registries(workspace, pypi_server, npm_server, oci_server)
    wrong = creds(workspace, pypi_server, npm_server, oci_server, pypi_password="not-the-password")
    doc = json.loads(
        cmctl("plan", "--json", "--fleet", str(workspace.fleet), "-p", "acme-text", env=wrong).stdout
    )
    release = doc["products"]["acme-text"]["facets"]["release"]
    assert "registry 'pypi'" in release["message"] and "HTTP 403" in release["message"]  # pypiserver: 403
    assert "not-the-password" not in json.dumps(doc)
    assert "acme-text/release.publish/pypi" not in [a["id"] for a in doc["actions"]]

    # without the age key the secret cannot be decrypted: the error names it, and blocks only the
    # publish that needs it (the other registries' products still plan theirs)
    no_key = {k: v for k, v in creds(workspace, pypi_server, npm_server, oci_server).items()}
    no_key["CMCTL_AGE_IDENTITY"] = ""
    doc = json.loads(cmctl("plan", "--json", "--fleet", str(workspace.fleet), *PRODUCTS, env=no_key).stdout)
    release = doc["products"]["acme-text"]["facets"]["release"]
    assert "secret pypi-password" in release["message"] and "CMCTL_AGE_IDENTITY" in release["message"]
    ids = [a["id"] for a in doc["actions"]]
    assert "acme-text/release.publish/pypi" not in ids and "globex-widgets/release.publish/npm" in ids
