"""A product's own part of a plan (``plan.partial.own_part``) and when a job looks again at a product it
left drifting (``service.controller.settles_by_itself``), on small plans built here; and what the job
queue's worker (``Controller._run_job``) queues after such a reconcile, recorded at the queue."""

from __future__ import annotations

from codemonkeys.api import Reconciled, ReconcileOutcome
from codemonkeys.plan.partial import own_part
from codemonkeys.service.controller import settles_by_itself
from codemonkeys.vocab.plan import (
    Action,
    ActionKind,
    Decision,
    Facet,
    FacetState,
    FleetRef,
    Plan,
    ProductPlan,
    Verdict,
)

HELD = Decision(verdict=Verdict.HOLD, rule="needs-approval")


def act(aid: str, kind: ActionKind, wave: int, *deps: str, decision: Decision | None = None) -> Action:
    extra = {"decision": decision} if decision else {}
    return Action(
        id=aid, product=aid.split("/")[0], kind=kind, reason="r", depends_on=list(deps), wave=wave, **extra
    )


def product(in_sync: bool, *states: FacetState) -> ProductPlan:
    facets = {
        f"f{i}": Facet(want="w", observed="o", in_sync=s is FacetState.IN_SYNC, state=s)
        for i, s in enumerate(states)
    }
    return ProductPlan(in_sync=in_sync, facets=facets)


def plan(actions: list[Action], **products: ProductPlan) -> Plan:
    return Plan(fleet=FleetRef(root="/f", revision="r"), fingerprint="fp", actions=actions, products=products)


B, CUT, PUB = ActionKind.BUILD_RUN, ActionKind.RELEASE_CUT, ActionKind.RELEASE_PUBLISH
DRIFT = product(False, FacetState.DRIFT)


def test_own_part_keeps_what_waits_on_no_other_product_and_names_what_the_rest_waits_for():
    p = plan(
        [
            act("lib/build.run", B, 1),
            act("lib/release.publish", PUB, 2, "lib/build.run"),
            act("old/release.publish", PUB, 1, decision=HELD),
            act("app/build.run", B, 1),
            act("app/release.cut", CUT, 2, "app/build.run", "lib/release.publish", "old/release.publish"),
            act("app/release.publish", PUB, 3, "app/release.cut"),
        ],
        lib=DRIFT,
        old=DRIFT,
        app=DRIFT,
    )
    app = own_part(p, "app")
    assert [a.id for a in app.plan.actions] == ["app/build.run"]
    assert app.deferred == ("app/release.cut", "app/release.publish")
    assert app.waiting_on == ("lib",)  # old's publish is held: nobody's reconcile will do it by itself
    assert app.plan.products == p.products and app.plan.fingerprint == p.fingerprint
    lib = own_part(p, "lib")
    assert [a.id for a in lib.plan.actions] == ["lib/build.run", "lib/release.publish"]
    assert lib.deferred == () and lib.waiting_on == ()
    assert own_part(p, "nobody").plan.actions == []


def test_a_wait_on_an_action_that_waits_on_a_held_one_names_nobody():
    p = plan(
        [
            act("old/release.publish", PUB, 1, decision=HELD),
            act("mid/release.cut", CUT, 2, "old/release.publish"),
            act("app/release.cut", CUT, 3, "mid/release.cut"),
        ],
        old=DRIFT,
        mid=DRIFT,
        app=DRIFT,
    )
    assert own_part(p, "app").deferred == ("app/release.cut",) and own_part(p, "app").waiting_on == ()
    assert own_part(p, "mid").waiting_on == ()


def test_a_job_looks_again_only_at_drift_that_moves_without_a_person():
    waiting = plan(
        [act("app/release.cut", CUT, 2, "lib/release.publish"), act("lib/release.publish", PUB, 1)],
        app=DRIFT,
        lib=DRIFT,
    )
    assert settles_by_itself(Reconciled(ReconcileOutcome.DRIFTING, True, waiting, waiting_on=("lib",)), "app")
    unknown = plan([], app=product(False, FacetState.UNKNOWN))
    assert settles_by_itself(Reconciled(ReconcileOutcome.DRIFTING, True, unknown), "app")
    red = plan([], app=product(False, FacetState.FAILED, FacetState.BLOCKED))
    assert not settles_by_itself(Reconciled(ReconcileOutcome.DRIFTING, True, red), "app")
    held = plan([act("app/build.run", B, 1, decision=HELD)], app=DRIFT)
    assert not settles_by_itself(Reconciled(ReconcileOutcome.DRIFTING, True, held), "app")
    synced = plan([], app=product(True, FacetState.IN_SYNC))
    assert not settles_by_itself(Reconciled(ReconcileOutcome.IN_SYNC, True, synced), "app")
    # suspended by an admin (kept in the store, so the plan itself looks like drift): a person decides
    assert not settles_by_itself(Reconciled(ReconcileOutcome.SUSPENDED, True, unknown), "app")
    # after an apply the refreshed plan decides: in sync now, nothing to look at again
    assert not settles_by_itself(Reconciled(ReconcileOutcome.APPLIED, True, waiting, after=synced), "app")


class RecordingQueue:
    """The job queue's side the worker talks to, recording what it queues (our own boundary)."""

    def __init__(self, busy: set[str] = frozenset()):
        self.added: list[tuple[str, str, float, dict]] = []
        self.busy = set(busy)

    def add(self, product: str, reason: str, delay: float = 0.0, failures: int = 0, waits: int = 0) -> None:
        self.added.append((product, reason, delay, {"failures": failures, "waits": waits}))

    def dependencies_busy(self, products) -> list[str]:
        return sorted(self.busy & set(products))

    def set_failures(self, product: str, n: int) -> None:
        pass

    def failures(self, product: str) -> int:
        return 0


def test_a_job_requeues_with_a_backoff_what_waits_and_queues_what_it_waits_for(tmp_path, monkeypatch):
    from codemonkeys.context import Context
    from codemonkeys.service.controller import Controller, ControllerConfig
    from codemonkeys.service.workers import ReconcileJob
    from scale_fleet import write_scale_fleet

    fleet, _ = write_scale_fleet(tmp_path, products=2, edges=0)
    ctl = Controller(ControllerConfig(fleet=fleet, watch=False), Context(env={}, home_dir=tmp_path / "home"))
    ctl.jobs = object()  # as with --workers: the job queue's worker requeues
    app, lib = "scale-01", "scale-00"
    waiting = plan(
        [act(f"{lib}/release.publish", PUB, 1), act(f"{app}/release.cut", CUT, 2, f"{lib}/release.publish")],
        **{app: DRIFT, lib: DRIFT},
    )
    held = plan([act(f"{app}/build.run", B, 1, decision=HELD)], **{app: DRIFT})
    for result, busy, expected in [
        # its actions wait for lib's: lib is queued, app looks again in 1 s * 2^waits
        (Reconciled(ReconcileOutcome.DRIFTING, True, waiting, waiting_on=(lib,)), set(), [lib, app]),
        # lib has a job already: only app is queued again
        (Reconciled(ReconcileOutcome.DRIFTING, True, waiting, waiting_on=(lib,)), {lib}, [app]),
        # held by the gate: an approval wakes it, nothing is queued
        (Reconciled(ReconcileOutcome.DRIFTING, True, held), set(), []),
    ]:
        ctl.queue = RecordingQueue(busy)
        monkeypatch.setattr(ctl.session, "reconcile", lambda *_a, _r=result, **_k: _r)
        ctl._run_job(ReconcileJob(1, app, "test", 0.0, 0, None, waits=2))
        assert [p for p, *_ in ctl.queue.added] == expected
        if expected and expected[-1] == app:
            assert ctl.queue.added[-1][2:] == (4.0, {"failures": 0, "waits": 3})


def test_the_requeue_decision_is_the_outcomes():
    from codemonkeys.service.controller import ControllerConfig, Requeue, next_look

    config = ControllerConfig(fleet=".", backoff_base=2.0, backoff_cap=60.0, dependency_delay=1.0)
    app, lib = "app", "lib"
    waiting = plan([act(f"{app}/release.cut", CUT, 2, f"{lib}/release.publish")], **{app: DRIFT})
    held = plan([act(f"{app}/build.run", B, 1, decision=HELD)], **{app: DRIFT})

    def look(outcome, done=None, failures=0, waits=0, stopping=False):
        return next_look(config, app, outcome, done, failures=failures, waits=waits, stopping=stopping)

    assert look(ReconcileOutcome.BUSY, waits=2) == Requeue("a product of its plan was locked", 4.0, 0, 3)
    assert look(ReconcileOutcome.APPLIED, stopping=True).why == "interrupted by a stop"
    assert look(ReconcileOutcome.FAILED, failures=2) == Requeue("retry after failure", 8.0, 3, 0)
    assert look(ReconcileOutcome.ERROR, failures=9).after == 60.0  # capped
    drifting = Reconciled(ReconcileOutcome.DRIFTING, True, waiting, waiting_on=(lib,))
    assert look(ReconcileOutcome.DRIFTING, drifting, waits=1) == Requeue("waiting for lib", 2.0, 0, 2)
    for quiet in (  # a person or an event moves these: no requeue
        Reconciled(ReconcileOutcome.DRIFTING, True, held),
        Reconciled(ReconcileOutcome.SUSPENDED, True, waiting),
    ):
        assert look(quiet.outcome, quiet) is None
    assert look(ReconcileOutcome.IN_SYNC) is None and look(ReconcileOutcome.REMOVED) is None


def test_a_product_whose_state_moved_queues_its_dependents_and_an_unchanged_one_does_not(
    tmp_path, monkeypatch
):
    """An event for one product replans it and, if its state moved, its dependents (their ``deps.``
    facts and waits read it); the wave stops where nothing moved."""
    from codemonkeys.context import Context
    from codemonkeys.service.controller import Controller, ControllerConfig
    from scale_fleet import write_scale_fleet

    fleet, deps = write_scale_fleet(tmp_path, products=3, edges=2)
    ctl = Controller(ControllerConfig(fleet=fleet, watch=False), Context(env={}, home_dir=tmp_path / "home"))
    lib = next(n for n in sorted(deps) if any(n in d for d in deps.values()))
    dependents = sorted(n for n, d in deps.items() if lib in d)
    assert ctl.desired.dependents[lib] == tuple(dependents)

    def at(fingerprint: str, changed: bool = False, revision: str = "r") -> Reconciled:
        mine = product(True).model_copy(update={"fingerprint": fingerprint})
        p = plan([], **{lib: mine})
        p = p.model_copy(update={"fleet": p.fleet.model_copy(update={"revision": revision})})
        return Reconciled(ReconcileOutcome.IN_SYNC, True, p, changed=changed)

    for result, expected in [
        (at("a"), []),  # the first reconcile in this process: nothing to compare with
        (at("a"), []),  # unchanged
        (at("b"), dependents),  # its facts moved (a push, a publish by another process)
        (at("b", changed=True), dependents),  # an action of its own apply succeeded
        (at("b"), []),
        (at("c", revision="r2"), []),  # a new fleet revision: every product is reconciled anyway
        (at("d", revision="r2"), dependents),
    ]:
        ctl.queue = RecordingQueue()
        monkeypatch.setattr(ctl.session, "reconcile", lambda *_a, _r=result, **_k: _r)
        ctl.reconcile(lib)
        assert sorted(p for p, *_ in ctl.queue.added) == expected
