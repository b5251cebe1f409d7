"""docs.build's failure path, through the real `cmctl apply` on a demo workspace and the real MkDocs: a
page with a broken link fails ``mkdocs build --strict``, which is a red docs.build whose message names the
cause (MkDocs' own line), journaled with MkDocs' output; the site published before stays as it was (its
stamp still names the commit it was built from) and what waits for the docs (the release) does not run.
"""

from __future__ import annotations

import json

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.docsite import STAMP, site_dir
from codemonkeys.facets.docs.actuators import mkdocs_cause
from conftest import cmctl
from test_e2e_engine import commit, db

pytestmark = pytest.mark.slow

BROKEN = "# Usage\n\nSee [the missing page](missing.md) for the details.\n"


def test_a_broken_link_is_a_red_docs_build_naming_it_and_the_published_site_stays(workspace: Workspace):
    fleet = str(workspace.fleet)
    first = cmctl("apply", "--auto-approve", "-p", "acme-text", "--fleet", fleet)
    assert first.returncode == 0, first.stdout + first.stderr
    stamp_file = site_dir(workspace.fleet / ".cmctl", "acme-text") / STAMP
    published = json.loads(stamp_file.read_text())

    repo = workspace.repos / "acme-text"
    broken = commit(repo, {"docs/usage.md": BROKEN}, "feat: point to the details")  # a release is due
    r = cmctl("apply", "--auto-approve", "--json", "-p", "acme-text", "--fleet", fleet)
    assert r.returncode == 1, r.stdout + r.stderr
    done = {e["action"]: e for e in map(json.loads, r.stdout.splitlines()) if e["type"] == "action_done"}
    docs = done["acme-text/docs.build"]
    assert docs["status"] == "failed", docs
    cause = (
        "WARNING -  Doc file 'usage.md' contains a link 'missing.md', but the target is not found among "
        "documentation files."
    )
    assert docs["message"] == f"mkdocs build --strict failed for {broken[:12]}: {cause}", docs["message"]
    assert {a: e["status"] for a, e in done.items()} == {
        "acme-text/build.run": "succeeded",
        "acme-text/docs.build": "failed",
        "acme-text/release.cut": "skipped",  # the release waits for the docs
        "acme-text/release.publish/local": "skipped",
    }, done

    with db(workspace) as conn:
        (status, message, log) = conn.execute(
            "select status, message, log from actions where action_id = 'acme-text/docs.build' "
            "order by id desc limit 1"
        ).fetchone()
    assert (status, message) == ("failed", docs["message"])
    assert log.startswith("$ mkdocs build --strict\n"), log
    assert "Aborted with 1 warnings in strict mode!" in log, log
    assert json.loads(stamp_file.read_text()) == published  # the previous site, untouched
    assert published["commit"] != broken


def test_the_cause_is_mkdocs_first_error_else_its_first_warning():
    """What MkDocs logs (``LEVEL -  message``): its abort line names no cause, the first ERROR or WARNING
    does; several warnings are counted; output without either falls back to the most telling line."""
    warned = (
        "INFO    -  Building documentation...\n"
        "WARNING -  Doc file 'a.md' contains a link 'x.md', but the target is not found among documentation "
        "files.\nWARNING -  Doc file 'b.md' contains a link 'y.md', but the target is not found among "
        "documentation files.\n\nAborted with 2 warnings in strict mode!\n"
    )
    assert mkdocs_cause(warned) == (
        "WARNING -  Doc file 'a.md' contains a link 'x.md', but the target is not found among documentation "
        "files. (and 1 more)"
    )
    errored = (
        "WARNING -  Config value 'x': unknown\nERROR   -  Config value 'nav': expected a list\n"
        "Aborted with a configuration error!\n"
    )
    assert mkdocs_cause(errored) == "ERROR   -  Config value 'nav': expected a list"
    assert mkdocs_cause(
        "Traceback (most recent call last):\nModuleNotFoundError: No module named 'mkdocs'\n"
    ) == ("ModuleNotFoundError: No module named 'mkdocs'")
