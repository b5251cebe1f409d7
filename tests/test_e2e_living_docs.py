"""Living docs: the docs facet follows the public API (the oracle's fingerprint) and the docs sources.
A body-only change keeps the published docs current; a changed public signature makes them stale."""

from __future__ import annotations

import json

import pytest

from codemonkeys.demo import Workspace
from conftest import cmctl
from test_e2e_engine import commit

pytestmark = pytest.mark.slow


def docs_facet(ws: Workspace) -> dict:
    r = cmctl("plan", "--json", "--fleet", str(ws.fleet), "-p", "acme-text")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    return doc["products"]["acme-text"]["facets"]["docs"], [
        a for a in doc["actions"] if a["kind"] == "docs.build"
    ]


def test_docs_follow_the_public_api(workspace: Workspace):
    fleet = str(workspace.fleet)
    assert cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "acme-text").returncode == 0
    facet, builds = docs_facet(workspace)
    assert facet["state"] == "in_sync" and not builds

    slug = workspace.repos / "acme-text" / "src" / "acme_text" / "slug.py"
    text = slug.read_text()
    # a body-only change (a comment and an internal helper): the public API is the same
    commit(
        workspace.repos / "acme-text",
        {
            "src/acme_text/slug.py": text
            + "\n\ndef _internal_helper(x):\n    # private: not API\n    return x\n"
        },
        "fix: internal helper",
    )
    facet, builds = docs_facet(workspace)
    assert facet["state"] == "in_sync" and not builds

    # a new public function changes the API: the docs are stale
    commit(
        workspace.repos / "acme-text",
        {
            "src/acme_text/slug.py": slug.read_text()
            + "\n\ndef shout(text: str) -> str:\n    return text.upper()\n"
        },
        "feat: shout",
    )
    facet, builds = docs_facet(workspace)
    assert facet["state"] == "drift"
    assert [b["reason"] for b in builds] and "the public API changed" in builds[0]["reason"]
