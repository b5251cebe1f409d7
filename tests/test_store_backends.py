"""The store on both backends it supports: SQLite (the embedded default) and PostgreSQL (a real throwaway
cluster, tests/servers/postgres.py). Same calls, same answers: timezones, JSON columns, the journal,
budgets' history, approvals, the decision log, swarm records and the audit chain under concurrent writers
in several processes."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine

from codemonkeys.store.db import ActionStatus, ProductBusy, RunStatus, Store
from codemonkeys.store.migrate import upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh store URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    upgrade(engine)  # PostgreSQL is never migrated implicitly (tests/test_migrations.py)
    engine.dispose()
    return url


@pytest.fixture
def store(store_url: str):
    s = Store(store_url)
    yield s
    s.engine.dispose()


def test_runs_journal_and_history_keep_utc_and_json(store: Store):
    run = store.start_run("rev1", "fp1")
    store.add_actions(
        run.id,
        [{"action_id": "a/build.run", "product": "a", "kind": "build.run", "params": {"n": [1, "x"]}}],
    )
    done = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    store.update_action(
        run.id, "a/build.run", status=ActionStatus.SUCCEEDED, finished_at=done, outputs={"k": None}
    )
    store.append_log(run.id, "a/build.run", "line 1\n")
    store.append_log(run.id, "a/build.run", "line 2\n")
    store.finish_run(run.id, RunStatus.SUCCEEDED, {"ok": 1, "nested": {"a": [True, None]}})
    rec = store.action_record("a/build.run")
    assert rec is not None and rec.params == {"n": [1, "x"]} and rec.outputs == {"k": None}
    assert rec.finished_at == done and rec.finished_at.tzinfo is not None
    assert rec.log == "line 1\nline 2\n"
    [r] = store.runs()
    assert r.summary == {"ok": 1, "nested": {"a": [True, None]}} and r.finished_at.tzinfo is not None
    assert [h.action_id for h in store.history(done - timedelta(seconds=1))] == ["a/build.run"]
    assert store.history(done + timedelta(seconds=1)) == []
    # a naive time is taken as UTC
    store.update_action(run.id, "a/build.run", finished_at=datetime(2026, 1, 2, 3, 4, 5))
    assert store.action_record("a/build.run").finished_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_interrupted_runs_statuses_approvals_and_decisions(store: Store):
    run = store.start_run("rev", "fp")
    store.add_actions(run.id, [{"action_id": "b/docs.build", "product": "b", "kind": "docs.build"}])
    assert store.mark_interrupted() == [run.id]
    assert store.action_record("b/docs.build").status == ActionStatus.INTERRUPTED
    store.save_status("b", False, {"docs": {"state": "pending"}}, {"git": {"head": "abc"}})
    store.save_status("b", True, {"docs": {"state": "in_sync"}}, {})
    [st] = store.statuses()
    assert st.in_sync and st.facets == {"docs": {"state": "in_sync"}} and st.observed_at.tzinfo is not None
    store.add_approval("b/release.cut", "b", "ann", "ok", "rev", "fp")
    assert [a.approver for a in store.approvals(["b"])] == ["ann"] and store.approvals(["c"]) == []
    row = {
        "decision_id": "d1",
        "action_id": "b/release.cut",
        "product": "b",
        "verdict": "hold",
        "rule": "needs-approval",
        "constitution_revision": "c",
        "input_hash": "h" * 64,
        "plan_fingerprint": "f" * 64,
        "decision": {"trace": [{"rule": "x", "matched": True}]},
    }
    store.record_decisions([row, {**row, "decision_id": "d2", "verdict": "allow"}])
    assert [d.decision_id for d in store.decisions("b/release.cut", limit=2)] == ["d2", "d1"]
    # the same decision again (same id: same inputs) is logged as a reference to its first row
    store.record_decisions([row])
    again, first = store.decisions("b/release.cut", limit=3)[0], store.decisions("b/release.cut", limit=3)[2]
    assert again.decision_id == "d1" and again.reuse_of == first.id and again.decision == {}
    assert first.reuse_of is None and first.decision["trace"]
    # approvals since an id, with what they were bound to
    later = store.add_approval("b/release.cut", "b", "bob", "", "rev2", "fp2", '{"version":"1.0.0"}', "rr")
    [seen] = store.approvals(since=later.id - 1)
    assert (seen.approver, seen.params, seen.rules) == ("bob", '{"version":"1.0.0"}', "rr")


def test_swarm_records_heal_attempts_and_notifications(store: Store):
    store.record_duration(product="a", kind="build.run", status="succeeded", seconds=1.5, commit="c1")
    assert store.last_commit_run("a", "build.run") == "c1"
    store.record_conflicts(
        [
            {
                "product": "a",
                "commit": "c",
                "ci": "local",
                "tool": "pip",
                "package": "x",
                "involved": ["1", "2"],
            }
        ]
    )
    assert store.conflicts("a")[0].involved == ["1", "2"]
    tpl = {
        "id": "t1",
        "pattern": "p",
        "kind": "k",
        "signature": "s",
        "data": {"edits": [1]},
        "origin": "human",
        "origin_product": "a",
        "origin_commit": "c",
    }
    assert store.save_template(tpl)[1] is True
    assert store.save_template(tpl)[1] is False
    assert store.templates("s")[0].successes == 2
    store.save_heal_attempt("a", "c", 1, strategy="template", status="proving", files=["x.py"])
    store.save_heal_attempt("a", "c", 1, status="proven")
    [h] = store.heal_attempts("a", "c")
    assert (h.status, h.files) == ("proven", ["x.py"])
    store.record_notification("k1", event="e", product="a", action_id="a/x", channel="ch", ok=True)
    assert store.notified("k1") and not store.notified("k2")


def _append_audit(url: str, who: str, n: int) -> None:
    store = Store(url)
    for i in range(n):
        store.audit("test.event", who, {"i": i}, product="p")
    store.engine.dispose()


def test_audit_chain_holds_with_writers_in_several_processes(store: Store, store_url: str):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_audit, args=(store_url, f"w{k}", 25)) for k in range(3)]
    for p in procs:
        p.start()
    _append_audit(store_url, "main", 25)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    check = store.verify_audit()
    assert check.ok and check.records == 100, check
    assert {r.actor for r in store.audit_records(limit=100)} == {"w0", "w1", "w2", "main"}


def test_product_locks_in_postgresql_exclude_other_connections(postgres_url: str):
    engine = create_engine(postgres_url)
    upgrade(engine)
    engine.dispose()
    a, b = Store(postgres_url), Store(postgres_url)
    assert a.shared and b.shared
    with a.lock_products({"p1", "p2"}):
        with pytest.raises(ProductBusy) as busy, b.lock_products({"p0", "p2"}):
            pass
        assert busy.value.product == "p2"
        with b.lock_products({"p0", "p3"}):  # other products proceed; p0 was let go above
            pass
    with b.lock_products({"p1", "p2"}):  # released
        pass
    # a dead run is interrupted only by an apply holding one of its products
    run = a.start_run("r", "f")
    a.add_actions(run.id, [{"action_id": "p1/build.run", "product": "p1", "kind": "build.run"}])
    assert b.mark_interrupted({"p9"}) == []
    assert b.mark_interrupted({"p1"}) == [run.id]
    a.engine.dispose()
    b.engine.dispose()


def test_build_results_read_many_products_at_their_commits_in_one_go(store: Store):
    """The observer's batch read of the local runner's results (a row-value IN, chunked): the latest
    result of each (product, commit) asked for, nothing for a commit never built, on both backends."""
    store.record_build("a", "c1", "failure", 1.0, "log")
    store.record_build("a", "c1", "success", 2.0, "log")  # the latest of a's c1
    store.record_build("a", "c2", "failure", 3.0, "log")
    store.record_build("b", "c1", "success", 4.0, "log")
    many = [(f"p{i}", "c") for i in range(900)]  # more than one chunk of pairs
    got = store.build_results([("a", "c1"), ("b", "c1"), ("b", "c2"), *many])
    assert {k: (r.status, r.duration) for k, r in got.items()} == {
        ("a", "c1"): ("success", 2.0),
        ("b", "c1"): ("success", 4.0),
    }
    assert store.build_results([]) == {}
