"""The publishing playbooks under resources/ansible/, run for real through ansible-runner.

crates.io has no local server here: publish-crate.yml runs in check mode (ansible-playbook --check),
which parses and templates it and reports the publish it would make. The OCI layout helper is checked
for reproducibility (same tree -> same digests) and for a layout skopeo can read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from codemonkeys.act.base import Redactor
from codemonkeys.context import Context
from codemonkeys.facets.release.publish_ansible import playbook_dir, run_playbook
from need import need_program

CONTEXT = Context.from_environ()

ROOT = Path(__file__).resolve().parents[1]
CRATE = ROOT / "fleet-repo-example" / "sources" / "globex-hash"


def test_publish_crate_playbook_in_check_mode(tmp_path: Path):
    secret = "crate-token-0123456789"
    run = run_playbook(
        playbook_dir(CONTEXT.resources) / "publish-crate.yml",
        {
            "product_dir": str(CRATE),
            "work_dir": str(tmp_path),
            "package": "globex-hash",
            "version": "0.1.0",
            "registry_url": "https://index.crates.example/",
            "registry_name": "company-crates",
        },
        {"CM_REGISTRY_TOKEN": secret},
        Redactor([secret]),
        CONTEXT.tool_env(),
        check=True,
    )
    log = run.log
    assert run.status == "successful", log
    assert "TASK [Publish the crate]" in log
    assert "skipping: [localhost]" in log  # the command would have run outside check mode
    assert secret not in log
    assert run.stats["failures"] == {}
    # the dry run verified something real: cargo listed the crate's files
    assert run.verified == ("Verify that cargo can package the crate (manifest and file list)",)


def test_a_failing_playbook_reports_failed_and_redacts(tmp_path: Path):
    secret = "hunter2-hunter2"
    book = tmp_path / "fail.yml"
    book.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.fail:\n        msg: \"refused for {{ lookup('env', 'CM_REGISTRY_TOKEN') }}\"\n"
    )
    run = run_playbook(book, {}, {"CM_REGISTRY_TOKEN": secret}, Redactor([secret]), CONTEXT.tool_env())
    assert run.status == "failed" and not run.ok
    assert "refused for ***" in run.log and secret not in run.log


def test_oci_layout_is_reproducible(tmp_path: Path):
    script = playbook_dir(CONTEXT.resources) / "files" / "oci_layout.py"
    digests = []
    for n in range(2):
        out = subprocess.run(
            [sys.executable, str(script), str(CRATE), str(tmp_path / f"l{n}"), "0.1.0"],
            capture_output=True,
            text=True,
            check=True,
        )
        digests.append(out.stdout.strip())
    assert digests[0] == digests[1] and digests[0].startswith("sha256:")
    index = json.loads((tmp_path / "l0" / "index.json").read_text())
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "0.1.0"
    skopeo = need_program("skopeo", "scripts/install-test-servers installs it (Debian package skopeo)")
    inspect = subprocess.run(
        [skopeo, "inspect", "--raw", f"oci:{tmp_path / 'l0'}:0.1.0"], capture_output=True, text=True
    )
    assert inspect.returncode == 0, inspect.stderr
    assert json.loads(inspect.stdout)["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
