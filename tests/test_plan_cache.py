"""Kept drafts (plan/drafts.py, plancache.py) and the planner's spliced encodings: same plans as without.

A plan made with kept drafts must equal the plan made from scratch, every input a draft depends on must
void its entry (the product's document, its facts, its CI, what facets read across products, the
code), and the files on disk are an optimisation: corrupt or foreign ones are ignored.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from codemonkeys import plancache
from codemonkeys.facets import FACETS
from codemonkeys.facets.base import FacetPlugin, FleetMemo
from codemonkeys.facets.release import plugin as release_facet
from codemonkeys.kinds.models import Product
from codemonkeys.load import load_fleet
from codemonkeys.plan.drafts import DraftCache
from codemonkeys.plan.planner import DesiredView, fingerprint, plan, product_fingerprint
from codemonkeys.plancache import DELTA_FILE, MAIN_FILE, DraftFiles
from codemonkeys.policy.gate import PolicyInput
from codemonkeys.vocab.facts import Requirement
from codemonkeys.vocab.policy import Approval, FactValue, HistoryEntry
from test_plan_golden import CASES, NOW, load_case

LOADER_BASE = Path(__file__).parent / "cases" / "loader" / "_base"


def _canonical_sha(doc) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def test_spliced_encodings_hash_what_the_documented_json_would():
    """input_hash and both fingerprints splice pre-encoded parts: the hashes are those of the canonical
    JSON of the whole document (what the decision log and approvals are bound to)."""
    _, desired, observed, _ = load_case(CASES / "cross_product.yaml")
    product = next(iter(desired.products.values()))
    facts = {"build.green": FactValue.TRUE, "deps.build.green": FactValue.PENDING}
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    earlier = (HistoryEntry("build.run", "b", None, now - timedelta(hours=1), "b/build.run", ()),)
    approvals = (Approval("zoe", "r", "f", "", "{}", "rr"), Approval("al", "r", "f"))
    for extra, timed, revision in (
        ({}, True, True),
        ({"earlier": earlier, "approvals": approvals}, False, False),
    ):
        inp = PolicyInput(
            "a/build.run", "build.run", product, facts, now, {"x": [1, "é"]}, "f", "r", "fp", **extra
        )
        doc = {
            "action": inp.action_id,
            "approvals": sorted(a.identity() for a in inp.approvals),
            "facts": {k: str(v) for k, v in facts.items()},
            "fingerprint": "fp",
            "fleet": "f",
            "kind": "build.run",
            "params": {"x": [1, "é"]},
            "product": product.metadata.model_dump(mode="json"),
            "rules": "digest",
        }
        if timed:
            doc["now"] = now.isoformat()
        if revision:
            doc["revision"] = "r"
        if extra:
            doc["earlier"] = ["build.run:b:b/build.run"]
            doc["approvals"].append("legacy-fingerprint|")  # al's approval is a legacy one
        expected = _canonical_sha(doc)
        assert inp.input_hash("digest", timed, revision) == expected
        pre = json.dumps(facts, sort_keys=True, separators=(",", ":"))
        assert (
            PolicyInput(**{**inp.__dict__, "facts_json": pre}).input_hash("digest", timed, revision)
            == expected
        )

    dumps = {n: f.model_dump(mode="json") for n, f in observed.items()}
    name = sorted(observed)[0]
    docs = {
        n: hashlib.sha256(p.model_dump_json(by_alias=True).encode()).hexdigest()
        for n, p in desired.products.items()
    }
    deps = {d: docs[d] for d in sorted(desired.products[name].spec.depends_on)}
    assert (
        product_fingerprint(desired, name, observed[name], "tok")
        == _canonical_sha(
            {"dependencies": deps, "document": docs[name], "facts": dumps[name], "fleet": "tok"}
        )[:16]
    )
    assert fingerprint(desired, observed) == _canonical_sha(
        {"revision": desired.revision, "digest": desired.digest, "facts": dumps}
    )


def _with_sources(desired: DesiredView, **changed: str) -> DesiredView:
    sources = {n: f"src-{n}" for n in desired.products} | changed
    return DesiredView(
        desired.root, desired.revision, desired.digest, desired.products, desired.name, desired.ci, sources
    )


def test_kept_drafts_give_the_same_plan_and_every_input_voids_its_entry():
    _, desired, observed, gate = load_case(CASES / "cross_product.yaml")
    fresh = plan(desired, observed, gate, NOW).model_dump_json()
    desired = _with_sources(desired)
    names = set(observed)
    cache = DraftCache("v1")
    assert plan(desired, observed, gate, NOW, drafts=cache).model_dump_json() == fresh
    assert cache.changed == names and cache.hits == 0

    def replan(d=desired, o=observed, c=None):
        c = c or DraftCache(cache.version, dict(cache.entries))
        out = plan(d, o, gate, NOW, drafts=c)
        return c, out

    again, result = replan()
    assert result.model_dump_json() == fresh and again.changed == set() and again.hits == len(names)

    lib = "lib"  # its facts change: only its draft is made again
    changed = dict(observed)
    changed[lib] = observed[lib].model_copy(
        update={
            "registries": {"local": observed[lib].registries["local"].model_copy(update={"versions": []})}
        }
    )
    c, result = replan(o=changed)
    assert c.changed == {lib}
    assert result.model_dump_json() == plan(desired, changed, gate, NOW).model_dump_json()

    c, _ = replan(d=_with_sources(desired, **{lib: "edited"}))  # its document changed
    assert c.changed == {lib}
    ci = DesiredView(
        *[getattr(desired, f) for f in ("root", "revision", "digest", "products", "name")],
        {lib: "jenkins"},
        desired.sources,
    )
    c, _ = replan(d=ci)
    assert c.changed == {lib}
    c, _ = replan(c=DraftCache("v2", dict(cache.entries)))  # another code version
    assert c.changed == names

    # what the release facet reads across products (who requires a product's packages, with what) voids
    # the entries of the products whose requirers changed, and no other
    other = sorted(names - {lib})[0]

    def requiring(package: str) -> dict:
        git = changed[other].git.model_copy(
            update={"requires": [Requirement(ecosystem="pypi", package=package, range=">=1")]}
        )
        return {**observed, other: observed[other].model_copy(update={"git": git})}

    c, result = replan(o=requiring("zzz"))  # no fleet product publishes zzz: only its own facts changed
    assert c.changed == {other}
    c, result = replan(o=requiring("lib"))  # now it requires lib: lib's cut reads that
    assert c.changed == {other, lib}
    assert result.model_dump_json() == plan(desired, requiring("lib"), gate, NOW).model_dump_json()


def test_facets_that_read_the_fleet_declare_it():
    """A facet whose planner reads ``inp.fleet`` overrides ``fleet_inputs`` (kept drafts key on it)."""
    import inspect

    readers = {
        str(facet.name): type(facet)
        for facet in FACETS.facets
        if ".fleet" in inspect.getsource(inspect.getmodule(type(facet))).replace("FleetView", "")
    }
    # the check sees the facet known to read the fleet (release: who requires its packages), so it is
    # not vacuous; every facet it sees declares what it reads
    assert "release" in readers, sorted(readers)
    undeclared = sorted(name for name, cls in readers.items() if cls.fleet_inputs is FacetPlugin.fleet_inputs)
    assert undeclared == [], f"these facets read inp.fleet but do not override fleet_inputs: {undeclared}"


def test_draft_files_round_trip_and_ignore_corrupt_or_foreign_files(tmp_path: Path):
    _, desired, observed, gate = load_case(CASES / "cross_product.yaml")
    desired = _with_sources(desired)
    fresh = plan(desired, observed, gate, NOW).model_dump_json()

    files = DraftFiles(tmp_path)
    cache = files.open()
    assert cache.entries == {}
    plan(desired, observed, gate, NOW, drafts=cache)
    files.save(cache, desired.products)
    assert (tmp_path / MAIN_FILE).is_file() and not (tmp_path / DELTA_FILE).exists()

    files = DraftFiles(tmp_path)
    cache = files.open()
    assert plan(desired, observed, gate, NOW, drafts=cache).model_dump_json() == fresh
    assert cache.hits == len(observed) and not cache.changed
    files.save(cache)  # nothing changed: nothing written
    assert not (tmp_path / DELTA_FILE).exists()

    for junk in (b"not a pickle", pickle.dumps({"version": "other", "drafts": {}}), pickle.dumps([1, 2])):
        (tmp_path / MAIN_FILE).write_bytes(junk)
        cache = DraftFiles(tmp_path).open()
        assert cache.entries == {}
        assert plan(desired, observed, gate, NOW, drafts=cache).model_dump_json() == fresh


def test_one_changed_draft_writes_a_delta_and_a_code_change_voids_the_files(tmp_path: Path, monkeypatch):
    _, desired, observed, gate = load_case(CASES / "cross_product.yaml")
    desired = _with_sources(desired)
    files = DraftFiles(tmp_path)
    cache = files.open()
    plan(desired, observed, gate, NOW, drafts=cache)
    files.save(cache)
    main = (tmp_path / MAIN_FILE).read_bytes()
    monkeypatch.setattr(plancache, "COMPACT_RATIO", 0.5)  # 1 of 3 products changed: a delta
    files = DraftFiles(tmp_path)
    cache = files.open()
    plan(_with_sources(desired, lib="edited"), observed, gate, NOW, drafts=cache)
    assert cache.changed == {"lib"}
    files.save(cache)
    assert (tmp_path / MAIN_FILE).read_bytes() == main and (tmp_path / DELTA_FILE).is_file()
    cache = DraftFiles(tmp_path).open()
    plan(_with_sources(desired, lib="edited"), observed, gate, NOW, drafts=cache)
    assert not cache.changed  # main + delta: everything kept

    monkeypatch.setattr(plancache, "code_version", lambda: "another build")
    assert DraftFiles(tmp_path).open().entries == {}


def test_loader_source_keys_follow_the_document_cold_and_warm(tmp_path: Path):
    fleet = tmp_path / "fleet"
    shutil.copytree(LOADER_BASE, fleet)
    cold, diags = load_fleet(fleet)
    assert cold is not None and not diags
    warm, _ = load_fleet(fleet)  # from the load cache
    assert warm is not None
    sources = {n: e.source for n, e in cold.entries.items()}
    assert all(sources.values()) and len(set(sources.values())) == len(sources)
    assert {n: e.source for n, e in warm.entries.items()} == sources
    name = sorted(cold.entries)[0]
    path = Path(cold.entries[name].file)
    path.write_text(path.read_text() + "\n# edited\n")
    edited, _ = load_fleet(fleet)
    assert edited is not None
    assert {n for n, e in edited.entries.items() if e.source != sources[n]} == {
        n for n, e in cold.entries.items() if e.file == str(path)
    }
    assert isinstance(edited.products[name], Product)


def test_a_fleet_memo_keeps_what_facets_derive_per_product_between_plans(monkeypatch):
    """A long-lived caller's ``FleetMemo``: plans equal those without it; between plans only the
    products whose facts changed are derived again (who requires what, for release)."""
    _, desired, observed, gate = load_case(CASES / "cross_product.yaml")
    git = observed["app"].git.model_copy(
        update={"requires": [Requirement(ecosystem="pypi", package="lib", range="<0.0.1")]}
    )
    moved = {**observed, "app": observed["app"].model_copy(update={"git": git})}
    expected = [plan(desired, o, gate, NOW) for o in (observed, observed, moved, {"lib": moved["lib"]})]
    assert expected[2] != expected[0]  # what app requires shows in lib's plan

    memo, derived = FleetMemo(), []
    real = release_facet._requires
    monkeypatch.setattr(release_facet, "_requires", lambda n, f: derived.append(n) or real(n, f))
    runs = []
    for o, want in zip((observed, observed, moved, {"lib": moved["lib"]}), expected, strict=True):
        derived.clear()
        assert plan(desired, o, gate, NOW, fleet_memo=memo) == want
        runs.append(sorted(derived))
    # first plan: every product; unchanged: none; app's facts moved: app; app gone: nothing to derive
    assert runs == [sorted(observed), [], ["app"], []]
