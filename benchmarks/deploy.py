"""Deploy cost over real SSH: a 5-host rolling deploy (batch 1 vs batch 2) and the observation per host.

Run from the project root, as root (it starts five Debian sshd on 127.0.0.61-65)::

    PYTHONPATH=controller:tests .venv/bin/python benchmarks/deploy.py

Two wheels of the example web service (fleet-repo-example/sources/acme-web, versions 1.0.0 and 1.1.0)
are rolled out with the shipped deploy.yml exactly as deploy.run runs it (same extravars, serial
batches, health check after each batch): every measured deploy changes all five hosts (install,
switch, restart, wait for health). The probe (deploy-probe.yml, the observer's one run per
environment) is timed on 1 and on 5 hosts: the difference per extra host is the marginal cost, the
1-host figure the fixed cost of one Ansible run. Nothing is asserted; wall-clock on this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codemonkeys.hosts.runner import run_hosts_playbook
from servers.sshhosts import start_hosts

ROOT = Path(__file__).resolve().parents[1]
ANSIBLE = ROOT / "resources" / "ansible"
HEALTH = {"kind": "http", "path": "/healthz", "port": 18090, "expect": "ok {version}"}


def wheel(version: str, out: Path) -> Path:
    """A wheel of the example service at ``version``."""
    src = out / f"src-{version}"
    shutil.copytree(ROOT / "fleet-repo-example" / "sources" / "acme-web", src)
    pyproject = src / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', f'version = "{version}"'))
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=src,
        check=True,
        capture_output=True,
    )
    return next(out.glob(f"acme_web-{version}-*.whl"))


def deploy(inv: Path, artifact: Path, version: str, batch: int, env: dict) -> float:
    """One rolling deploy of every host; its wall-clock seconds."""
    extravars = {
        "cm_product": "acme-web",
        "cm_health": HEALTH,
        "cm_retries": 20,
        "cm_delay": 0.25,
        "cm_module": "acme_web",
        "cm_version": version,
        "cm_artifact": str(artifact),
        "cm_batch": batch,
        "cm_settings": {},
        "cm_action": "deploy",
    }
    start = time.monotonic()
    run = run_hosts_playbook(ANSIBLE / "deploy.yml", inv, extravars, {}, env, lambda s: s)
    assert run.ok, run.log[-2000:]
    return time.monotonic() - start


def probe(inv: Path, env: dict) -> float:
    """One probe run; its wall-clock seconds."""
    start = time.monotonic()
    run = run_hosts_playbook(
        ANSIBLE / "deploy-probe.yml",
        inv,
        {"cm_product": "acme-web", "cm_health": HEALTH},
        {},
        env,
        lambda s: s,
    )
    assert run.ok, run.log[-2000:]
    return time.monotonic() - start


def main() -> None:
    """Start the hosts, measure, print."""
    base = Path(tempfile.mkdtemp(prefix="cm-bench-deploy-"))
    hosts = start_hosts(base / "ssh", 5, first_octet=61)
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        names = [h.name for h in hosts.hosts]
        inv5, inv1 = base / "all.yml", base / "one.yml"
        inv5.write_text(hosts.inventory(names))
        inv1.write_text(hosts.inventory(names[:1]))
        a, b = wheel("1.0.0", base), wheel("1.1.0", base)
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"first deploy 1.0.0, batch 5:        {deploy(inv5, a, '1.0.0', 5, env):6.1f} s")
        batch1 = deploy(inv5, b, "1.1.0", 1, env)
        print(f"rolling 1.0.0 -> 1.1.0, batch 1:    {batch1:6.1f} s")
        batch2 = deploy(inv5, a, "1.0.0", 2, env)
        print(f"rolling 1.1.0 -> 1.0.0, batch 2:    {batch2:6.1f} s  ({batch2 / batch1:.2f} x batch 1)")
        print(f"re-apply 1.0.0, batch 2 (no change): {deploy(inv5, a, '1.0.0', 2, env):6.1f} s")
        one = min(probe(inv1, env) for _ in range(3))
        five = min(probe(inv5, env) for _ in range(3))
        print(
            f"probe 1 host: {one:.2f} s; 5 hosts: {five:.2f} s; marginal per host: {(five - one) / 4:.2f} s; "
            f"per host at 5: {five / 5:.2f} s"
        )
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        hosts.close()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
