"""The controller's work queue: dedupe, one reconcile per product, dependency order, capped backoff."""

from __future__ import annotations

from codemonkeys.service.queue import WorkQueue


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_for_one_product_is_one_entry():
    q = WorkQueue(clock=Clock())
    for i in range(100):
        q.add("lib", f"event {i}")
    assert q.depth() == 1
    entry = q.get(timeout=0)
    assert entry.product == "lib" and entry.merged == 99 and len(entry.reasons) == 100
    assert q.get(timeout=0) is None


def test_events_during_a_reconcile_queue_it_once_more():
    q = WorkQueue(clock=Clock())
    q.add("lib", "first")
    assert q.get(timeout=0).product == "lib"
    for i in range(50):
        q.add("lib", f"while running {i}")
    assert q.get(timeout=0) is None  # one reconcile per product at a time
    assert q.done("lib", ok=True) is None
    again = q.get(timeout=0)
    assert again.product == "lib" and len(again.reasons) == 51


def test_dependencies_first():
    q = WorkQueue(depends_on={"app": ["lib"], "lib": []}, clock=Clock())
    q.add("app", "x")
    q.add("lib", "x")
    assert q.get(timeout=0).product == "lib"
    assert q.get(timeout=0) is None  # app waits while lib is being reconciled
    q.done("lib", ok=True)
    assert q.get(timeout=0).product == "app"


def test_failures_back_off_exponentially_capped_and_reset_on_success():
    clock = Clock()
    q = WorkQueue(backoff_base=5, backoff_cap=30, clock=clock)
    q.add("red", "x")
    q.add("green", "x")
    delays = []
    for _ in range(5):
        entry = q.get(timeout=0)
        while entry.product != "red":  # the others proceed meanwhile
            q.done(entry.product, ok=True)
            entry = q.get(timeout=0)
        delays.append(q.done("red", ok=False))
        assert q.get(timeout=0) is None  # not before the backoff
        clock.now += delays[-1]
    assert delays == [5, 10, 20, 30, 30]
    assert q.failures("red") == 5
    q.get(timeout=0)
    assert q.done("red", ok=True) is None and q.failures("red") == 0


def test_closed_queue_returns_none():
    q = WorkQueue(clock=Clock())
    q.add("lib", "x")
    q.close()
    assert q.get(timeout=0) is None


def test_events_during_a_reconcile_keep_their_delay():
    """An event due in a second that arrives while the product's reconcile runs is queued for when it is
    due, not at once when the reconcile ends: a burst merges however fast a reconcile is."""
    clock = Clock()
    q = WorkQueue(clock=clock)
    q.add("lib", "first")
    assert q.get(timeout=0).product == "lib"
    for i in range(5):
        q.add("lib", f"while running {i}", delay=1.0)
    clock.now += 0.05
    assert q.done("lib", ok=True) is None
    assert q.get(timeout=0) is None  # due at 1001.0, not now
    clock.now += 0.95
    again = q.get(timeout=0)
    assert again.product == "lib" and len(again.reasons) == 6


def test_follow_ups_and_long_chains_go_first_and_workers_share_the_queue():
    clock = Clock()
    deps = {"root": [], "a": ["root"], "b": ["root"], "a2": ["a"], "a3": ["a2"], "solo": [], "late": []}
    q = WorkQueue(depends_on=deps, clock=clock)
    for name in ("solo", "b", "a"):  # solo waited longest, a has the longest chain below it
        q.add(name, "resync")
        clock.now += 1
    first, second = q.get(timeout=0), q.get(timeout=0)  # two workers: two products at once
    assert (first.product, second.product) == ("a", "solo")  # a: a2 and a3 wait below it
    q.add("late", "follow-up after apply", priority=10)
    assert q.get(timeout=0).product == "late"  # before b, which waited longer
    assert q.get(timeout=0).product == "b"
