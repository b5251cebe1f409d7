"""`cmctl swarm signatures`: the top failure signatures of the fleet, through the real CLI on a real store.

The demo workspace's store gets signatures the way the build actuators record them
(``swarm.knowledge.learn_from_failure`` on recorded consoles), a fix template learned for one of them and
a merged heal attempt; then the real `cmctl` (a subprocess) reads them back, as a table and as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.demo import Workspace
from codemonkeys.swarm.knowledge import learn_from_failure
from conftest import cmctl

CONSOLES = Path(__file__).parent / "payloads" / "consoles"


def log(name: str) -> str:
    return (CONSOLES / name).read_text()


def test_signatures_across_the_fleet(workspace: Workspace) -> None:
    fleet = str(workspace.fleet)
    empty = cmctl("swarm", "signatures", "--fleet", fleet)
    assert empty.returncode == 0, empty.stderr
    assert "no failure signatures yet" in empty.stdout
    store = FleetSession.open(workspace.fleet, Context.from_environ()).store
    # the same Python failure in two products (two builds), a cargo failure in one
    first = learn_from_failure(store, "acme-text", "a" * 40, "local", log("python-traceback.log"))
    learn_from_failure(store, "globex-hash", "b" * 40, "local", log("python-traceback.variant.log"))
    learn_from_failure(store, "globex-hash", "c" * 40, "local", log("cargo-test.log"))
    (traceback,) = first.signatures
    store.save_template(
        {
            "id": "t" * 16,
            "pattern": traceback.summary,
            "kind": str(traceback.kind),
            "signature": traceback.fingerprint,
            "description": "add docs/manifest.json",
            "data": {},
            "origin": "human",
            "origin_product": "acme-text",
            "origin_commit": "d" * 40,
            "successes": 2,
            "failures": 1,
        }
    )
    store.save_heal_attempt(
        "globex-hash",
        "b" * 40,
        1,
        strategy="template",
        template="t" * 16,
        signature=traceback.fingerprint,
        status="merged",
        heal_commit="e" * 40,
    )
    store.save_heal_attempt(  # a red attempt fixed nothing
        "globex-hash", "c" * 40, 1, strategy="llm", signature="x", status="red"
    )

    done = cmctl("swarm", "signatures", "--fleet", fleet, "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["builds"] for r in rows] == [2, 1]
    top = rows[0]
    assert (top["fingerprint"], top["kind"], top["summary"]) == (
        traceback.fingerprint,
        "python_traceback",
        traceback.summary,
    )
    assert top["products"] == ["acme-text", "globex-hash"]
    assert top["first_seen"] <= top["last_seen"]
    assert [t["id"] for t in top["fixed_by"]["templates"]] == ["t" * 16]
    assert top["fixed_by"]["heals"] == [
        {
            "product": "globex-hash",
            "commit": "b" * 40,
            "strategy": "template",
            "template": "t" * 16,
            "heal_commit": "e" * 40,
        }
    ]
    assert rows[1]["kind"] == "cargo_error"
    assert rows[1]["fixed_by"] == {"templates": [], "heals": []}

    table = cmctl("swarm", "signatures", "--fleet", fleet, "-n", "1")
    assert table.returncode == 0, table.stderr
    assert "RuntimeError: no docs manifest" in table.stdout
    assert "template tttttttttttt (human, 2✓ 1✗); heal template in globex-hash @ eeeeeeeeeeee" in table.stdout
    assert "  RuntimeError: no docs manifest under <path>\n" in table.stdout  # the cause, then e.g. summary
    assert "in acme-text (tools/gen_docs.py in read_manifest; <root>), globex-hash (" in table.stdout
    assert (
        "fixed in 2 of 2 product(s): acme-text (by a person: template tttttttttttt learned), "
        "globex-hash (template tttttttttttt)"
    ) in table.stdout
    assert "cargo" not in table.stdout  # --limit 1


CORPUS = Path(__file__).parent.parent / "benchmarks" / "signature_corpus" / "dev"


def test_one_row_per_cause_with_the_products_and_where(workspace: Workspace) -> None:
    """One ImportError in three differently named products (a pytest collection error, a traceback of
    ``python -m``, a parametrized test) is one row; a look-alike (another name) is another."""
    session = FleetSession.open(workspace.fleet, Context.from_environ())
    store = session.store
    for product, name in [("acme-text", "books"), ("globex-hash", "inventory"), ("acme-web", "ledger")]:
        learn_from_failure(store, product, "a" * 40, "local", (CORPUS / f"{name}.log").read_text())
    learn_from_failure(store, "acme-web", "b" * 40, "local", (CORPUS / "hermes.log").read_text())
    store.record_build("acme-text", "c" * 40, "success", 1.0, "")  # a person fixed it there

    done = cmctl("swarm", "signatures", "--fleet", str(workspace.fleet), "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["cause"], r["products"]) for r in rows] == [
        ("missing name collections.Mapping", ["acme-text", "acme-web", "globex-hash"]),
        ("missing name collections.Callable", ["acme-web"]),
    ]
    assert rows[0]["locations"] == {
        "acme-text": ["tests/test_shelf.py"],
        # the parametrized failures of one cause are one signature: every location is kept
        "acme-web": [
            "tests/test_journal.py::test_journal_run[1-2]; tests/test_journal.py::test_journal_run[3-4]; "
            "tests/test_journal.py::test_journal_run[0.5-7]"
        ],
        "globex-hash": [".../stock.py in <module>"],
    }
    assert rows[0]["fixed_in"] == {"acme-text": "by a person"}
    table = cmctl("swarm", "signatures", "--fleet", str(workspace.fleet))
    assert "in acme-text (tests/test_shelf.py), acme-web (" in table.stdout
    assert "fixed in 1 of 3 product(s): acme-text (by a person)" in table.stdout
    assert session._signature("globex-hash") == {
        "signature": "python_traceback: ImportError: cannot import name 'Mapping' from 'collections' "
        "(collections/__init__.py) (.../stock.py in <module>); seen before in acme-text, acme-web",
        "cause": "missing name collections.Mapping",
        "fleet": "seen in 3 products, fixed in 1 (acme-text: by a person)",
    }
