"""End to end on PostgreSQL: the demo fleet with ``spec.state.url`` on a real throwaway cluster, the
database user named by a secret reference (an environment variable), migrated with ``cmctl db upgrade``
and applied by the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.store.db import Store
from conftest import cmctl

pytestmark = pytest.mark.slow


def point_state_at(fleet: Path, url: str) -> None:
    """Give the fleet a ``spec.state`` on ``url`` (without its user) with credentials by reference."""
    host_part = url.replace("postgres@", "")
    doc = (fleet / "fleet.yaml").read_text()
    state = f"spec:\n  state:\n    url: {host_part}\n    credentials:\n      usernameEnv: CM_TEST_PG_USER\n"
    (fleet / "fleet.yaml").write_text(doc.replace("spec:\n", state, 1))


def test_apply_converges_with_state_on_postgresql(workspace: Workspace, postgres_url: str):
    fleet = str(workspace.fleet)
    point_state_at(workspace.fleet, postgres_url)
    env = {"CM_TEST_PG_USER": "postgres"}
    assert cmctl("validate", "--fleet", fleet).returncode == 0
    refused = cmctl("apply", "--fleet", fleet, "--auto-approve", env=env)
    assert refused.returncode == 1 and "run `cmctl db upgrade`" in refused.stderr, refused.stderr
    assert cmctl("db", "current", "--fleet", fleet, env=env).returncode == 1
    up = cmctl("db", "upgrade", "--fleet", fleet, env=env)
    assert up.returncode == 0 and "upgraded unmigrated ->" in up.stdout, up.stdout + up.stderr
    current = cmctl("db", "current", "--fleet", fleet, env=env)
    assert current.returncode == 0 and "(up to date)" in current.stdout, current.stdout
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", "--parallelism", "3", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    again = cmctl("plan", "--fleet", fleet, "--detailed-exitcode", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "5 products in sync, 0 drifting" in again.stdout
    verify = cmctl("audit", "verify", "--fleet", fleet, env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert not (workspace.fleet / ".cmctl" / "state.db").exists()  # nothing went to SQLite

    # without the secret the database refuses the default user: an error, not a traceback
    r = cmctl("status", "--fleet", fleet, env={"CM_TEST_PG_USER": "", "USER": "nobody-here"})
    assert r.returncode != 0
    assert "Traceback" not in r.stderr


def test_the_controller_refuses_an_unmigrated_database(workspace: Workspace, postgres_url: str):
    point_state_at(workspace.fleet, postgres_url)
    env = {"CM_TEST_PG_USER": "postgres"}
    r = cmctl("controller", "run", "--fleet", str(workspace.fleet), "--once", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not migrated: run `cmctl db upgrade`" in r.stderr
    assert "Traceback" not in r.stderr
    bad = cmctl("db", "current", "--fleet", str(workspace.fleet / "products"), env=env)
    assert bad.returncode == 1 and "invalid" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr


def test_applies_lock_products_in_the_database(workspace: Workspace, postgres_url: str):
    point_state_at(workspace.fleet, postgres_url)
    env = {"CM_TEST_PG_USER": "postgres"}
    fleet = str(workspace.fleet)
    assert cmctl("db", "upgrade", "--fleet", fleet, env=env).returncode == 0
    holder = Store(postgres_url)  # another machine's apply of acme-text
    with holder.lock_products({"acme-text"}):
        busy = cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "acme-text", env=env)
        assert busy.returncode == 1
        assert "another apply is running on product acme-text" in busy.stderr, busy.stderr
        other = cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "globex-hash", env=env)
        assert other.returncode == 0, other.stdout + other.stderr
    holder.engine.dispose()
