"""Migration 0005: signatures stored before causes get their cause, location and fleet-wide fingerprint
(from their stored summary and detail), and what was keyed by an old fingerprint (fix templates, heal
attempts, flaky records) follows it, so the history of one cause in several products joins."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from codemonkeys.store.db import Store
from codemonkeys.store.migrate import upgrade
from codemonkeys.swarm.signatures import extract_signatures

CORPUS = Path(__file__).parent.parent / "benchmarks" / "signature_corpus" / "dev"


def old_fingerprint(kind: str, summary: str) -> str:
    """How fingerprints were computed before 0005: the kind and the concrete summary."""
    return hashlib.sha256(f"{kind}\n{summary}".encode()).hexdigest()[:16]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("postgres_url")


def test_old_signatures_join_by_cause_and_their_templates_and_attempts_follow(url: str) -> None:
    engine = create_engine(url)
    upgrade(engine, "0004")
    rows = []  # one ImportError in three products (pytest error, traceback, parametrized); another cause
    for product in ("books", "inventory", "ledger", "relay"):
        top = extract_signatures((CORPUS / f"{product}.log").read_text())[0]
        rows.append((product, str(top.kind), top.summary, "\n".join(top.detail)))
    olds = [old_fingerprint(kind, summary) for _, kind, summary, _ in rows]
    assert len(set(olds)) == 4  # before: one fingerprint per product
    with engine.begin() as conn:
        for (product, kind, summary, detail), old in zip(rows, olds, strict=True):
            conn.execute(
                text(
                    'INSERT INTO signatures (product, "commit", ci, kind, fingerprint, summary, detail,'
                    " count, at)"
                    " VALUES (:p, 'c1', 'local', :k, :f, :s, :d, 1, '2026-01-01')"
                ),
                {"p": product, "k": kind, "f": old, "s": summary, "d": detail},
            )
        conn.execute(
            text(
                "INSERT INTO fix_templates (id, pattern, kind, signature, description, data, origin,"
                " origin_product, origin_commit, successes, failures, learned_at)"
                " VALUES ('t1', 'p', 'k', :f, 'd', '{}', 'human', 'books', 'c2', 1, 0, '2026-01-02')"
            ),
            {"f": olds[0]},
        )
        conn.execute(
            text(
                'INSERT INTO heal_attempts (product, "commit", n, strategy, signature, summary, branch,'
                " status, patch, lines, files, reason, llm_calls, started_at)"
                " VALUES ('inventory', 'c1', 1, 'template', :f, 's', 'b', 'merged', '', 1, '[]', '', 0,"
                " '2026-01-03')"
            ),
            {"f": olds[1]},
        )
        conn.execute(
            text(
                'INSERT INTO heal_attempts (product, "commit", n, strategy, signature, summary, branch,'
                " status, patch, lines, files, reason, llm_calls, started_at)"
                " VALUES ('other', 'c9', 1, 'llm', 'ffffffffffffffff', 's', 'b', 'red', '', 1, '[]', '', 0,"
                " '2026-01-03')"
            )
        )
        conn.execute(
            text(
                'INSERT INTO flaky_builds (product, "commit", ci, fingerprint, kind, summary, at)'
                " VALUES ('ledger', 'c1', 'local', :f, :k, :s, '2026-01-04')"
            ),
            {"f": olds[2], "k": rows[2][1], "s": rows[2][2]},
        )
    upgrade(engine)
    store = Store(url)
    sigs = {r.product: r for r in store.signatures()}
    joined = {sigs[p].fingerprint for p in ("books", "inventory", "ledger")}
    assert len(joined) == 1  # one cause, three products
    (new,) = joined
    assert sigs["relay"].fingerprint != new  # another cause stays apart
    assert {sigs[p].cause for p in ("books", "inventory", "ledger")} == {"missing name collections.Mapping"}
    assert sigs["books"].location == "tests/test_shelf.py"
    assert sigs["inventory"].location == ".../stock.py in <module>"
    assert sigs["ledger"].summary == rows[2][2]  # the concrete summary is kept
    assert [t.signature for t in store.templates()] == [new]
    attempts = {a.product: a.signature for a in store.all_heal_attempts()}
    assert attempts == {"inventory": new, "other": "ffffffffffffffff"}  # unknown: left as it was
    assert [f.fingerprint for f in store.flaky()] == [new]
    store.engine.dispose()
    engine.dispose()
