"""The Oracle's search-quality sets (tests/oracle/: the tuning sets, the need-phrased tuning sets and the
held-out ones) stay answerable: every library is installed, every set has 30+ questions, and every
question names at least one symbol that the real chunker finds in the installed library (so
benchmarks/oracle_search.py measures search, not typos). Tree-sitter only: fast.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from need import missing, need_module

need_module("tree_sitter", "the oracle needs the [oracle] extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import oracle_search as bench  # noqa: E402  (benchmarks/ is not a package)

from codemonkeys.oracle.chunks import chunks_from_files  # noqa: E402

SETS = {f"{kind}/{p.stem}": p for kind, paths in bench.SETS.items() for p in paths}


def test_four_libraries_in_at_least_two_languages():
    specs = [bench.load_set(p) for p in bench.SETS["tuning"]]
    assert len(specs) >= 4
    assert {s.get("language", "python") for s in specs} >= {"python", "javascript"}


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_question_has_an_answer_in_the_installed_library(name: str):
    spec = bench.load_set(SETS[name])
    top = spec["root"].split("/")[0]
    if importlib.util.find_spec(top) is None:
        missing(
            f"{spec.get('distribution', top)} is not installed",
            "pip install -e '.[test]'",
        )
    chunks = chunks_from_files(spec["library"], bench.library_files(spec))
    known = {c.symbol for c in chunks}
    assert len(spec["queries"]) >= 30
    unanswerable = [q["q"] for q in spec["queries"] if not set(q["expect"]) & known]
    assert unanswerable == []
    # written from the documentation, not from identifiers: no question spells an expected symbol's name
    for q in spec["queries"]:
        names = {e.rsplit(".", 1)[-1] for e in q["expect"]}
        assert not any(n in q["q"].split() for n in names if "_" in n or n != n.lower()), q
