"""Durations (swarm knowledge): record how long each finished action took with what predicts it, and
fill a plan with predicted durations (per action, and the whole apply's critical path).

Recording happens as the journal ends an action (``DurationRecorder``); prediction happens after the
pure planner (``predict_plan``), so the planner stays pure and a plan's fingerprint never depends on a
prediction: a saved plan does not go stale because the history grew.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from codemonkeys.context import Context
from codemonkeys.engine.journal import ActionOutcome
from codemonkeys.engine.scheduler import simulate
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.repos import GitError, Mirror, mirror_path
from codemonkeys.store.db import ActionStatus, DurationRecord, Store
from codemonkeys.swarm.predict import Change, Predictor, Sample
from codemonkeys.vocab.plan import Action, Forecast, Plan

RECORDED = (ActionStatus.SUCCEEDED, ActionStatus.FAILED)  # a noop did no work; skipped ones never ran


def sample_of(row: DurationRecord) -> Sample:
    """A stored duration as the predictor's sample."""
    return Sample(
        row.product,
        row.kind,
        row.ci,
        row.seconds,
        row.files,
        row.lines,
        row.hour,
        row.status == ActionStatus.SUCCEEDED,
        row.commit,
    )


def history(store: Store, product: str | None = None) -> list[Sample]:
    """Every recorded duration (of one product if given), oldest first."""
    return [sample_of(r) for r in store.durations(product=product)]


def change_since(
    desired: DesiredState, product: str, old: str | None, new: str | None
) -> tuple[int, int] | None:
    """(files, lines) changed in ``product`` (its source path in a monorepo) from ``old`` to ``new``: one
    ``git diff --shortstat`` in its mirror. None when either is unknown or git cannot tell."""
    if not old or not new or product not in desired.products:
        return None
    if old == new:
        return 0, 0
    path = mirror_path(desired.state_dir, desired.repo_location(product))
    if not path.is_dir():
        return None
    try:
        with Mirror(path) as mirror:
            return mirror.diff_stat(old, new, desired.products[product].spec.source.path or None)
    except GitError:
        return None


def commit_of(action: Action) -> str | None:
    """The commit an action works on, if its parameters name one."""
    commit = action.params.get("commit")
    return commit if isinstance(commit, str) else None


class DurationRecorder:
    """Records a duration sample for every action that ran to success or failure (journal ``ended``)."""

    def __init__(self, desired: DesiredState, store: Store, context: Context):
        self.desired, self.store, self.context = desired, store, context

    def __call__(self, outcome: ActionOutcome, run_id: int) -> None:
        """Record ``outcome``: its seconds, CI backend, change since the product's previous run of the
        kind, and the hour it started by the context clock."""
        if outcome.status not in RECORDED:
            return
        action = outcome.action
        kind, commit = str(action.kind), commit_of(action)
        change = change_since(
            self.desired, action.product, self.store.last_commit_run(action.product, kind), commit
        )
        started = self.context.now() - timedelta(seconds=outcome.duration)
        ci = self.desired.ci_kind(action.product) if action.product in self.desired.products else ""
        self.store.record_duration(
            product=action.product,
            kind=kind,
            ci=str(ci),
            action_id=action.id,
            run_id=run_id,
            status=str(outcome.status),
            seconds=outcome.duration,
            commit=commit,
            files=change[0] if change else None,
            lines=change[1] if change else None,
            hour=started.hour,
        )


def predict(
    plan: Plan,
    model: Predictor,
    changes: Mapping[str, Change],
    parallelism: int,
    ci: Mapping[str, str] | None = None,
) -> Plan:
    """``plan`` with every action's predicted seconds (and the runs it rests on) and the whole apply's
    critical path at ``parallelism`` (pure: the changes are measured by the caller; ``ci`` is each
    product's CI backend, for the fleet fallback)."""
    actions = []
    for a in plan.actions:
        est = model.estimate(a.product, str(a.kind), changes.get(a.id, Change()), (ci or {}).get(a.product))
        rounded = None if est.seconds is None else round(est.seconds, 3)
        update = {"predicted_s": rounded, "predicted_samples": est.samples, "predicted_basis": est.basis}
        actions.append(a.model_copy(update=update))
    seconds = {a.id: a.predicted_s for a in actions if a.predicted_s is not None}
    total, ran = simulate(plan, seconds, parallelism)
    by_id = {a.id: a for a in actions}
    forecast = Forecast(
        predicted_s=round(total, 3),
        predicted_samples=sum(by_id[aid].predicted_samples or 0 for aid in ran),
        parallelism=parallelism,
        unpredicted=sum(1 for aid in ran if by_id[aid].predicted_s is None),
    )
    return plan.model_copy(update={"actions": actions, "forecast": forecast})


def predict_plan(plan: Plan, desired: DesiredState, store: Store, context: Context, parallelism: int) -> Plan:
    """Fill ``plan``'s predictions from the recorded history: the change size of each action that names
    a commit is measured against the product's previous run of that kind; the hour is now's."""
    samples = history(store)
    model = Predictor.fit(samples)
    last = {(s.product, s.kind): s.commit for s in samples if s.commit}  # as the recorder measures it
    hour = context.now().hour
    changes, sizes = {}, {}  # one git diff per (product, from, to): build and docs share a commit
    for a in plan.actions:
        key = (a.product, last.get((a.product, str(a.kind))), commit_of(a))
        if key not in sizes:
            sizes[key] = change_since(desired, *key)
        size = sizes[key]
        changes[a.id] = Change(size[0] if size else None, size[1] if size else None, hour)
    ci = {name: str(desired.ci_kind(name)) for name in plan.products if name in desired.products}
    return predict(plan, model, changes, parallelism, ci)
