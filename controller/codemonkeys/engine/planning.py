"""Planning (stages 2-4 for the engine): observe the selected products, gather the gate's inputs from the
store (journal history for budgets, approvals on record), call the pure planner, and record what it
decided (each product's status, every decision in the decision log)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from codemonkeys.context import Context, Secrets
from codemonkeys.engine.durations import predict_plan
from codemonkeys.facets.base import FleetMemo
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.observe import Observer
from codemonkeys.plan.planner import DesiredView, dependency_closure, plan
from codemonkeys.plancache import DraftFiles
from codemonkeys.policy.gate import DecisionMemo, Gate
from codemonkeys.secrets import SecretError
from codemonkeys.store.db import Store, StoreError
from codemonkeys.vocab.facts import ProductFacts, Unknown
from codemonkeys.vocab.gcpause import gc_paused
from codemonkeys.vocab.plan import Plan, Verdict
from codemonkeys.vocab.policy import Approval, HistoryEntry


class StalePlan(Exception):
    """The saved plan's fingerprint no longer matches what is observed now."""


def open_store(desired: DesiredState, secrets: Secrets | None = None) -> Store:
    """The fleet's state store (SQLite under the state dir unless ``spec.state.url`` names another).

    ``spec.state.credentials`` names the environment variables holding the database user and password,
    or their ``{secretRef: NAME}``; they are put into the URL here, never written in the fleet repo
    (``StoreError`` naming a secret that cannot be had)."""
    desired.state_dir.mkdir(parents=True, exist_ok=True)
    return Store(state_url_with_credentials(desired, secrets))


def state_url_with_credentials(desired: DesiredState, secrets: Secrets | None) -> str:
    """``desired.state_url`` with the user and password of ``spec.state.credentials`` filled in."""
    url, creds = desired.state_url, desired.fleet.spec.state.credentials
    if creds is None or secrets is None:
        return url
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    fleet_secrets = secrets.at(desired.root)
    try:
        user = fleet_secrets.credential(creds.username_env, creds.username, "state database user")
        password = fleet_secrets.credential(creds.password_env, creds.password, "state database password")
    except SecretError as exc:
        raise StoreError(str(exc)) from None
    if user:
        parsed = parsed.set(username=user)
    if password:
        parsed = parsed.set(password=password)
    return parsed.render_as_string(hide_password=False)


def desired_view(desired: DesiredState) -> DesiredView:
    """The slice of the desired state the pure planner reads."""
    return DesiredView(
        root=str(desired.root),
        revision=desired.revision,
        digest=desired.digest,
        products=desired.products,
        name=desired.fleet.metadata.name,
        ci=desired.ci_kinds,
        sources=desired.sources,
    )


def make_gate(desired: DesiredState, store: Store, now: datetime, memo: DecisionMemo | None = None) -> Gate:
    """The constitution with the journal history its budgets count (the longest `limit.per` back)."""
    spans = [r.limit.per for r in desired.constitution.spec.rules if r.limit is not None]
    history: list[HistoryEntry] = []
    if spans:
        products = desired.products
        for rec in store.history(now - timedelta(seconds=max(spans))):
            finished = rec.finished_at if rec.finished_at.tzinfo else rec.finished_at.replace(tzinfo=UTC)
            meta = products[rec.product].metadata if rec.product in products else None
            company, labels = (meta.company, tuple(sorted(meta.labels.items()))) if meta else (None, ())
            history.append(HistoryEntry(rec.kind, rec.product, company, finished, rec.action_id, labels))
    overlays = [r for rules in desired.overlays.values() for r in rules]
    return Gate(
        desired.constitution,
        history=history,
        revision=desired.constitution_revision,
        overlays=overlays,
        memo=memo,
    )


def approvals_on_record(store: Store, products: Iterable[str]) -> dict[str, list[Approval]]:
    """Action id -> the approvals given for it (each binds to the product fingerprint, params and rules
    it was given for; ``vocab.policy.Approval``)."""
    out: dict[str, list[Approval]] = {}
    for rec in store.approvals(sorted(products)):
        out.setdefault(rec.action_id, []).append(
            Approval(rec.approver, rec.revision, rec.fingerprint, rec.comment, rec.params, rec.rules)
        )
    return out


def make_plan(
    desired: DesiredState,
    store: Store,
    context: Context,
    products: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 8,
    now: datetime | None = None,
    parallelism: int | None = None,
    known_git: dict[str, ProductFacts] | None = None,
    fleet_memo: FleetMemo | None = None,
    decisions: DecisionMemo | None = None,
) -> tuple[Plan, dict[str, ProductFacts]]:
    """Observe the selected products (and what they depend on), plan and gate them.

    ``known_git`` (product -> facts with git only), kept by a long-lived caller such as the controller's
    session, stands in for observing the git facts of the products not selected (what their manifests
    require): only those it lacks are observed, and the selected products' fresh facts update it. Their
    own reconciles keep them current, so planning one product costs that product, not the fleet; with
    them, ``fleet_memo`` keeps what the planner derives from the others (``planner.plan``), and
    ``decisions`` the gate's decisions whose inputs stand (``policy.gate.DecisionMemo``).

    Records each product's status and every decision in the decision log. With ``parallelism``, the
    plan also carries predicted durations (per action, and the apply's critical path at that
    parallelism) from the recorded history; they are not part of the fingerprint.
    """
    now = now or context.now()
    selected = dependency_closure(desired.products, products) if products else set(desired.products)
    observer = Observer(desired, store, context, workers=workers)
    observed = observer.observe(selected, progress)
    # Who requires a selected product is in the others' manifests: their git facts only, so a partial
    # plan's release.cut still names the dependents it breaks.
    others = [n for n in desired.releasing if n not in selected]
    if known_git is None:
        everything = {**observer.observe_git_facts(others), **observed} if others else observed
    else:  # a long-lived caller's last git facts of the others: only those never seen are observed
        missing = [n for n in others if n not in known_git]
        if missing:
            known_git.update(observer.observe_git_facts(missing))
        known_git.update(
            {n: ProductFacts(git=f.git) for n, f in observed.items() if not isinstance(f.git, Unknown)}
        )
        everything = {**{n: known_git[n] for n in others if n in known_git}, **observed}
    # Planning allocates many short-lived, acyclic objects; cyclic-GC passes over them cost up to 40%
    # of a 10,000-product plan (benchmarks/plan_scale.py), so collection waits until the plan is done.
    # A whole-fleet plan keeps each product's draft in the state directory (plancache), so the next one
    # drafts only what changed; a plan of a few products drafts those (reading 10,000 kept drafts costs
    # more than that).
    files = DraftFiles(desired.state_dir) if products is None else None
    with gc_paused():
        gate = make_gate(desired, store, now, decisions)
        drafts = files.open() if files is not None else None
        result = plan(
            desired_view(desired),
            everything,
            gate,
            now,
            only=selected,
            approvals=approvals_on_record(store, selected),
            drafts=drafts,
            fleet_memo=fleet_memo,
        )
    if files is not None and drafts is not None:
        files.save(drafts, desired.products)
    record_plan(desired, store, result, observed)
    if parallelism is not None:
        result = predict_plan(result, desired, store, context, parallelism)
    return result, observed


def record_plan(desired: DesiredState, store: Store, result: Plan, observed: dict[str, ProductFacts]) -> None:
    """Save each planned product's status and every decision (the decision log)."""
    held: dict[str, list[str]] = {}
    for a in result.actions:
        if a.decision.verdict is Verdict.HOLD:
            held.setdefault(a.product, []).append(a.id)
    for name, p in result.products.items():
        facets = {k: f.model_dump(mode="json") for k, f in p.facets.items()}
        for f in facets.values():  # which actions wait for an approval (shell completion of approve)
            if f.get("state") == "held":
                f["held_actions"] = held.get(name, [])
        store.save_status(name, p.in_sync, facets, observed[name].model_dump(mode="json"))
    store.record_decisions(
        [
            {
                "decision_id": a.decision.id,
                "action_id": a.id,
                "product": a.product,
                "verdict": str(a.decision.verdict),
                "rule": a.decision.rule,
                "message": a.decision.message,
                "constitution_revision": desired.constitution_revision,
                "input_hash": a.decision.input_hash,
                "plan_fingerprint": result.fingerprint,
                "decision": a.decision.model_dump(mode="json"),
            }
            for a in result.actions
        ]
    )


def check_fresh(saved: Plan, current: Plan) -> None:
    """Raise ``StalePlan`` if ``saved`` was made from another fleet revision or observed state."""
    if saved.fingerprint == current.fingerprint:
        return
    changed = (
        "the fleet repo changed"
        if saved.fleet.revision != current.fleet.revision
        else "the observed state changed"
    )
    raise StalePlan(
        f"saved plan is stale: {changed} since it was made (fingerprint {saved.fingerprint[:12]} "
        f"!= {current.fingerprint[:12]}); run `cmctl plan` again"
    )


def load_plan_file(path: Path) -> Plan:
    """A plan document saved with ``cmctl plan -o FILE``."""
    return Plan.model_validate_json(path.read_text())
