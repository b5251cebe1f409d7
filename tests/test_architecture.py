"""The house rules that make the layers worth having, checked on the real code:

* importing the pure planner or the gate loads no SQLAlchemy, httpx, GitPython or subprocess-running module;
* every facet's observer and actuators resolve to real functions, and every action kind a facet plans
  has an actuator;
* the gate is pure: the same inputs decide the same, in any order (budgets come from its inputs);
* CEL sees the product as its document (``product.metadata.name``, ``product.spec.language``) and by
  its short names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from codemonkeys.facets import FACETS
from codemonkeys.kinds.models import Constitution, Product
from codemonkeys.policy.gate import Gate, PolicyInput
from codemonkeys.vocab.plan import ActionKind, Verdict
from codemonkeys.vocab.policy import HistoryEntry

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HEAVY = [
    "sqlalchemy",
    "httpx",
    "git",
    "subprocess",
    "codemonkeys.store",
    "codemonkeys.observe",
    "codemonkeys.act",
    # a facet's runtime sits in its folder next to its planner: importing the planner loads none of it
    "codemonkeys.facets.build.actuators",
    "codemonkeys.facets.build.observer",
    "codemonkeys.facets.heal.actuators",
    "codemonkeys.facets.supply.actuators",
    "codemonkeys.facets.supply.attest",
    "cyclonedx",
]


def loaded_after(statement: str) -> dict[str, bool]:
    code = (
        f"import sys; {statement}; import json; print(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_importing_the_planner_and_the_gate_loads_nothing_heavy():
    for statement in ("import codemonkeys.plan.planner", "import codemonkeys.policy.gate"):
        loaded = loaded_after(statement)
        assert not any(loaded.values()), (statement, {m for m, v in loaded.items() if v})


def test_loading_a_fleet_loads_no_gitpython_store_or_http():
    """``cmctl plan``'s first stage reads the fleet repo's revision with three plain git processes:
    importing GitPython would cost more than they do."""
    fleet = Path(__file__).resolve().parents[1] / "fleet-repo-example"
    loaded = loaded_after(f"from codemonkeys.load import load_fleet; assert load_fleet({str(fleet)!r})[0]")
    assert not any(v for m, v in loaded.items() if m != "subprocess"), loaded


def test_the_check_itself_sees_heavy_modules():
    # the probe would miss nothing: importing the store does load SQLAlchemy
    assert loaded_after("import codemonkeys.store.db")["sqlalchemy"] is True


def test_every_facet_reference_resolves_and_every_kind_has_an_actuator():
    owned: set[ActionKind] = set()
    for facet in FACETS.facets:
        assert facet.observer is None or callable(facet.observer.load()), facet.name
        # a facet is a folder: its references go to its observer and actuators modules (the build facet's
        # heal kinds to its strategy's folder, facets/heal/)
        folders = {f"codemonkeys.facets.{facet.name}"} | (
            {"codemonkeys.facets.heal"} if facet.name == "build" else set()
        )
        assert facet.observer is None or facet.observer.module == f"codemonkeys.facets.{facet.name}.observer"
        for kind, ref in facet.actuators.items():
            assert callable(ref.load()), (facet.name, kind)
            assert ref.module.rpartition(".")[::2] in {(f, "actuators") for f in folders}, (
                facet.name,
                str(ref),
            )
            owned.add(kind)
        assert facet.establishes in owned
    for kind in (
        ActionKind.BUILD_RUN,
        ActionKind.DOCS_BUILD,
        ActionKind.RELEASE_CUT,
        ActionKind.RELEASE_PUBLISH,
    ):
        assert FACETS.for_kind(kind).actuators[kind]


def _product(name: str, company: str = "acme", language: str = "python") -> Product:
    return Product.model_validate(
        {
            "apiVersion": "codemonkeys.dev/v1",
            "kind": "Product",
            "metadata": {"name": name, "company": company, "labels": {"tier": "gold"}},
            "spec": {"source": {"repo": f"../{name}", "branch": "main"}, "language": language},
        }
    )


def _constitution(rules: list[dict]) -> Constitution:
    return Constitution.model_validate(
        {
            "apiVersion": "codemonkeys.dev/v1",
            "kind": "Constitution",
            "metadata": {"name": "c"},
            "spec": {"default": "allow", "rules": rules},
        }
    )


def test_gate_decisions_do_not_depend_on_call_order():
    gate = Gate(
        _constitution([{"id": "two-cuts-per-company", "match": {"actions": ["release.cut"]},
                        "limit": {"count": 2, "per": "1d", "scope": "company"}}]),
        history=[HistoryEntry("release.cut", "old", "acme", NOW)],
    )  # fmt: skip
    a, b = _product("a"), _product("b")
    first = PolicyInput("a/release.cut", "release.cut", a, now=NOW)
    second_after_first = PolicyInput(
        "b/release.cut", "release.cut", b, now=NOW, earlier=(HistoryEntry("release.cut", "a", "acme", NOW),)
    )
    forward = [gate.decide(first).verdict, gate.decide(second_after_first).verdict]
    backward = [gate.decide(second_after_first).verdict, gate.decide(first).verdict][::-1]
    assert forward == backward == [Verdict.ALLOW, Verdict.DENY]  # 1 in history + 1 earlier = budget spent
    again = gate.decide(first)
    assert again.verdict is Verdict.ALLOW and again.input_hash == gate.decide(first).input_hash


def test_cel_sees_the_product_document_and_its_short_names():
    gate = Gate(
        _constitution(
            [
                {"id": "no-rust", "deny": {"message": "no rust", "when": 'product.spec.language == "rust"'}},
                {"id": "no-b", "deny": {"message": "no b", "when": 'product.metadata.name == "b"'}},
                {"id": "gold", "deny": {"message": "gold", "when": 'product.metadata.labels.tier == "gold" '
                                        '&& product.name == "c" && product.labels.tier == "gold"'}},
            ]
        )
    )  # fmt: skip
    products = {n: _product(n) for n in "abc"} | {"r": _product("r", language="rust")}
    verdict = {
        n: gate.decide(PolicyInput(f"{n}/build.run", "build.run", p, now=NOW)) for n, p in products.items()
    }
    assert verdict["a"].verdict is Verdict.ALLOW
    assert (verdict["b"].verdict, verdict["b"].rule) == (Verdict.DENY, "no-b")
    assert (verdict["c"].verdict, verdict["c"].rule) == (Verdict.DENY, "gold")
    assert (verdict["r"].verdict, verdict["r"].rule) == (Verdict.DENY, "no-rust")


def test_fleet_revision_in_a_subdirectory_of_its_repository(tmp_path):
    """A fleet below its repository's root still has a revision (and +dirty when edited)."""
    from codemonkeys.repos import revision, revisions, run

    fleet = tmp_path / "repo" / "ops" / "fleet"
    fleet.mkdir(parents=True)
    (fleet / "fleet.yaml").write_text("x: 1\n")
    (fleet / "constitution.yaml").write_text("y: 1\n")
    run(["init", "-q", "-b", "main"], tmp_path / "repo")
    run(["add", "-A"], tmp_path / "repo")
    ident = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    run(["commit", "-qm", "fleet"], tmp_path / "repo", env=ident)
    head = run(["rev-parse", "HEAD"], tmp_path / "repo")
    watched = ("fleet.yaml", "constitution.yaml", "products")
    assert revision(fleet, (), watched) == head
    assert revision(fleet, ("constitution.yaml",), watched) == head
    (fleet / "constitution.yaml").write_text("y: 2\n")
    assert revision(fleet, ("constitution.yaml",), watched) == head + "+dirty"
    assert revisions(fleet, [(), ("constitution.yaml",), ("fleet.yaml",)], watched) == [
        head + "+dirty",
        head + "+dirty",
        head,  # one status for all: each group sees only its paths
    ]
    (fleet / "products").mkdir()
    (fleet / "products" / "new.yaml").write_text("z: 1\n")  # untracked
    (fleet / "constitution.yaml").write_text("y: 1\n")  # back as committed
    (tmp_path / "repo" / "constitution.yaml").write_text("outside the fleet\n")
    assert revisions(fleet, [(), ("fleet.yaml",)], watched) == [head + "+dirty", head]
    assert revision(fleet, ("products",), watched) == "uncommitted+dirty"  # as revision() says
    run(["mv", "fleet.yaml", "renamed.yaml"], fleet)  # a rename: both its paths are changed
    assert revisions(fleet, [("fleet.yaml",)], watched) == [head + "+dirty"]
    assert revision(tmp_path / "missing", (), watched) == "unversioned"
    assert revisions(tmp_path / "missing", [(), ("x",)], watched) == ["unversioned", "unversioned"]
    (tmp_path / "plain").mkdir()
    assert revision(tmp_path / "plain", (), watched) == "unversioned"  # a directory outside any repo
