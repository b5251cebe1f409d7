"""The loader's cache of validated product files (.cmctl/load-cache.pickle): same results as without it."""

from __future__ import annotations

import os
import pickle
import shutil
import time
from pathlib import Path

import pytest
import yaml

from codemonkeys.kinds import cache, loader
from codemonkeys.kinds.cache import CACHE_FILE, DELTA_FILE
from codemonkeys.load import load_fleet

CASES = Path(__file__).parent / "cases" / "loader"
CACHE = Path(".cmctl") / CACHE_FILE


def _fleet(tmp_path: Path, monkeypatch) -> Path:
    fleet = tmp_path / "fleet"
    shutil.copytree(CASES / "_base", fleet)
    monkeypatch.chdir(fleet)
    return fleet


@pytest.mark.parametrize("case", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_loader_case_with_a_warm_cache(case: Path, tmp_path: Path, monkeypatch):
    """Every loader case gives the same diagnostics from a cache filled by the valid base fleet."""
    spec = yaml.safe_load(case.read_text())
    fleet = _fleet(tmp_path, monkeypatch)
    state, diags = load_fleet(Path("."))
    assert state is not None and not diags
    assert CACHE.is_file()
    for rel, content in spec["files"].items():
        if content is None:
            (fleet / rel).unlink()
        else:
            (fleet / rel).parent.mkdir(parents=True, exist_ok=True)
            (fleet / rel).write_text(content)
    for _ in range(2):  # the cache as the first load left it, then as this load left it
        state, diags = load_fleet(Path("."))
        assert [str(d) for d in diags] == spec["expected"], spec["description"]


def test_a_changed_file_is_validated_again(tmp_path: Path, monkeypatch):
    fleet = _fleet(tmp_path, monkeypatch)
    state, _ = load_fleet(Path("."))
    assert state is not None
    path = fleet / state.entries[sorted(state.entries)[0]].file
    name = sorted(state.entries)[0]
    doc = yaml.safe_load(path.read_text())
    doc["metadata"]["labels"] = {"tier": "changed"}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    state2, diags = load_fleet(Path("."))
    assert not diags and state2 is not None
    assert state2.products[name].metadata.labels == {"tier": "changed"}
    assert state2.digest != state.digest

    doc["spec"]["timeoutz"] = 1  # now invalid: the cached version of the file must not be used
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    state3, diags = load_fleet(Path("."))
    assert state3 is None
    assert [d.message for d in diags] == ["spec.timeoutz: unknown field 'timeoutz'"]
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip().startswith("timeoutz:"))
    assert (diags[0].file, diags[0].line, diags[0].col) == (str(path.relative_to(fleet)), line, 3)


def test_a_deleted_or_corrupt_cache_is_rebuilt(tmp_path: Path, monkeypatch):
    _fleet(tmp_path, monkeypatch)
    first, _ = load_fleet(Path("."))
    blob = CACHE.read_bytes()
    CACHE.unlink()
    again, diags = load_fleet(Path("."))
    assert not diags and again is not None and CACHE.is_file()
    assert again.products == first.products and again.digest == first.digest
    CACHE.write_bytes(blob[: len(blob) // 2])  # truncated
    third, diags = load_fleet(Path("."))
    assert not diags and third is not None and third.products == first.products
    assert pickle.loads(CACHE.read_bytes())["files"].keys() == pickle.loads(blob)["files"].keys()


def test_defaults_change_voids_the_cache(tmp_path: Path, monkeypatch):
    fleet = _fleet(tmp_path, monkeypatch)
    state, _ = load_fleet(Path("."))
    assert state is not None
    doc = yaml.safe_load((fleet / "fleet.yaml").read_text())
    defaults = doc["spec"].setdefault("defaults", {})
    defaults.setdefault("build", {})["timeout"] = "7m"
    (fleet / "fleet.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    state2, diags = load_fleet(Path("."))
    assert not diags and state2 is not None
    assert {str(p.spec.build.timeout) for p in state2.products.values() if p.spec.build} != set()
    cold = tmp_path / "cold"
    shutil.copytree(fleet, cold, ignore=shutil.ignore_patterns(".cmctl"))
    state3, _ = load_fleet(cold)
    assert state3 is not None and state3.products == state2.products


def test_a_bad_file_points_at_its_line_cold_and_warm(tmp_path: Path, monkeypatch):
    fleet = _fleet(tmp_path, monkeypatch)
    bad = fleet / "products" / "zz-bad.yaml"
    bad.write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata:\n  name: zz-bad\n"
        "spec:\n  source:\n    repo: ../x\n  language: cobol\n"
    )
    expected = None
    for _ in range(3):  # no cache, then the cache the previous loads left
        state, diags = load_fleet(Path("."))
        assert state is None
        got = [str(d) for d in diags]
        assert any(g.startswith("products/zz-bad.yaml:8:13: spec.language") for g in got), got
        expected = expected or got
        assert got == expected


def _age(fleet: Path, seconds: float = 3600) -> None:
    """Every fleet file as if written ``seconds`` ago (older than the racy window)."""
    then = time.time() - seconds
    for path in fleet.rglob("*.yaml"):
        os.utime(path, (then, then))


def test_unchanged_files_are_not_read_and_one_change_writes_a_small_delta(tmp_path: Path, monkeypatch):
    fleet = _fleet(tmp_path, monkeypatch)
    _age(fleet)
    first, _ = load_fleet(Path("."))
    assert first is not None
    main = CACHE.read_bytes()
    reads: list[str] = []
    real_read = loader._read
    monkeypatch.setattr(loader, "_read", lambda path, *a: reads.append(str(path)) or real_read(path, *a))
    again, diags = load_fleet(Path("."))
    assert not diags and again is not None and again.digest == first.digest
    assert not [r for r in reads if "products" in r]  # every product file known by its stat
    assert again.products == first.products

    name = sorted(first.entries)[0]
    path = fleet / first.entries[name].file
    doc = yaml.safe_load(path.read_text())
    doc["metadata"]["labels"] = {"tier": "changed"}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    reads.clear()
    monkeypatch.setattr(cache, "COMPACT_RATIO", 10.0)  # a small fleet: one file is a large share
    third, diags = load_fleet(Path("."))
    assert not diags and third is not None and third.products[name].metadata.labels == {"tier": "changed"}
    assert [r for r in reads if "products" in r] == [str(first.entries[name].file)]
    assert CACHE.read_bytes() == main  # the main file untouched, the change in the delta
    delta = pickle.loads((CACHE.parent / DELTA_FILE).read_bytes())
    assert len(delta["files"]) == 1
    cold = tmp_path / "cold"
    shutil.copytree(fleet, cold, ignore=shutil.ignore_patterns(".cmctl"))
    monkeypatch.chdir(cold)  # the digest covers the paths as shown: the same relative ones
    fresh, _ = load_fleet(Path("."))
    assert fresh is not None and fresh.products == third.products
    assert fresh.digest == third.digest


def test_a_file_modified_within_the_racy_window_is_hashed_at_every_load(tmp_path: Path, monkeypatch):
    """Its stat could be the same after another edit in the same clock tick: no stat is kept for it."""
    fleet = _fleet(tmp_path, monkeypatch)
    _age(fleet)
    state, _ = load_fleet(Path("."))
    assert state is not None
    fresh, *old = sorted(str(e.file) for e in state.entries.values())
    (fleet / fresh).write_text((fleet / fresh).read_text())  # rewritten now, same bytes
    for _ in range(2):
        again, diags = load_fleet(Path("."))
        assert not diags and again is not None and again.digest == state.digest
        main = pickle.loads(CACHE.read_bytes())
        delta = CACHE.parent / DELTA_FILE
        stats = {**main["stats"], **(pickle.loads(delta.read_bytes())["stats"] if delta.exists() else {})}
        stats = {path: v for path, v in stats.items() if v is not None}  # None: removed by the delta
        assert fresh not in stats and all(path in stats for path in old)
