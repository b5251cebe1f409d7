"""Notifications (Argo CD notifications / Flux alerts style): after an apply, the events it produced go
to the channels of the fleet's subscriptions (``Fleet.spec.announce.notifications``).

Events: ``action.failed``, ``action.held`` (by the constitution, waiting for approval),
``release.published``, ``deploy.succeeded``, ``heal.proposed`` (a heal proven green on its branch) and
``drift.detected`` (infra changed outside Terraform), ``change.merged`` and ``change.failed`` (a
cross-repo change landed; or its build was red, it conflicts, it could not be committed: also an
``action.failed``), and ``stuck`` (nothing the controller may do converges a product: ``ProductPlan.stuck``,
sent once per cause, also by a reconcile that has nothing to run). Each is sent once per triggering
state: the key is
the event, the action, the product's fingerprint (its observed facts and the fleet revision) and the
channel, so a held action that stays held is announced once, and again only when something changes. A
failed delivery is recorded and tried again by the next apply. Messages are the journal's (redacted)
words; no secret is ever part of one. Deliveries never fail the apply; they are audited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from codemonkeys.act.base import Redactor
from codemonkeys.context import Context
from codemonkeys.engine.journal import ApplyReport
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import BrowserChannel, NotifyEvent, Subscription
from codemonkeys.store.db import ActionStatus, Store
from codemonkeys.vocab.plan import Action, ActionKind, Plan, Verdict

_ON_SUCCESS = {
    str(ActionKind.RELEASE_PUBLISH): NotifyEvent.RELEASE_PUBLISHED,
    "deploy.run": NotifyEvent.DEPLOY_SUCCEEDED,
    str(ActionKind.BUILD_HEAL): NotifyEvent.HEAL_PROPOSED,
    str(ActionKind.CHANGE_MERGE): NotifyEvent.CHANGE_MERGED,
}
_CHANGES = (ActionKind.CHANGE_PROPOSE, ActionKind.CHANGE_MERGE)


@dataclass(frozen=True)
class Event:
    """One thing worth telling: what happened, to which action (None: to the product itself, ``product``),
    and the journal's words for it."""

    kind: NotifyEvent
    action: Action | None
    message: str
    product: str = ""

    @property
    def about(self) -> str:
        """The product it concerns."""
        return self.action.product if self.action is not None else self.product

    @property
    def ref(self) -> str:
        """The action's id, or ``<product>/<event>`` for an event of the product itself."""
        return self.action.id if self.action is not None else f"{self.product}/{self.kind}"


def events(plan: Plan, report: ApplyReport | None) -> Iterator[Event]:
    """Pure: the events of one apply of ``plan`` (``report`` None: of a plan with nothing to run)."""
    for name, p in plan.products.items():
        if p.stuck:
            yield Event(NotifyEvent.STUCK, None, f"stuck: a person must act: {p.stuck}", product=name)
    if report is None:
        return
    for o in report.outcomes.values():
        if o.status is ActionStatus.FAILED:
            yield Event(NotifyEvent.ACTION_FAILED, o.action, o.message)
            if o.action.kind in _CHANGES:
                yield Event(NotifyEvent.CHANGE_FAILED, o.action, o.message)
        elif o.status is ActionStatus.BLOCKED and o.action.decision.verdict is Verdict.HOLD:
            yield Event(NotifyEvent.ACTION_HELD, o.action, o.action.decision.message or o.message)
        elif o.status is ActionStatus.SUCCEEDED and str(o.action.kind) in _ON_SUCCESS:
            yield Event(_ON_SUCCESS[str(o.action.kind)], o.action, o.message)
    for a in plan.actions:
        if a.kind is ActionKind.INFRA_APPLY and a.params.get("drift"):
            yield Event(NotifyEvent.DRIFT_DETECTED, a, a.reason)


def _subscribed(sub: Subscription, event: Event, desired: DesiredState) -> bool:
    if event.kind not in sub.on:
        return False
    product = desired.products.get(event.about)
    if product is None:
        return False
    meta = product.metadata
    if sub.products and meta.name not in sub.products:
        return False
    if sub.companies and meta.company not in sub.companies:
        return False
    return all(meta.labels.get(k) == v for k, v in sub.labels.items())


def notify(
    plan: Plan, report: ApplyReport | None, desired: DesiredState, store: Store, context: Context
) -> int:
    """Send the events of this apply (``report`` None: a plan with nothing to run, which may still leave
    products stuck) to the subscribed channels, once each; returns how many went out."""
    config = desired.fleet.spec.announce
    if not config.notifications:
        return 0
    redact = Redactor.for_fleet(desired, context.secrets)
    sent = 0
    for event in events(plan, report):
        for sub in config.notifications:
            if not _subscribed(sub, event, desired):
                continue
            for name in sub.channels:
                sent += _send(event, name, plan, desired, store, context, redact)
    return sent


def _send(
    event: Event,
    name: str,
    plan: Plan,
    desired: DesiredState,
    store: Store,
    context: Context,
    redact: Redactor,
) -> int:
    from codemonkeys.announce.deliver import deliver, smtp_tls  # the [announce] extra (Jinja2), on first use
    from codemonkeys.announce.message import Message

    channel = desired.fleet.spec.announce.channels[name]
    product = plan.products.get(event.about)
    state = product.fingerprint if product else plan.fingerprint
    if event.action is None:  # a state of the product (stuck): once per cause, whatever else changes
        state = hashlib.sha256(event.message.encode()).hexdigest()
    key = hashlib.sha256(f"{event.kind}\n{event.ref}\n{state}\n{name}".encode()).hexdigest()
    if isinstance(channel, BrowserChannel) or store.notified(key):
        return 0
    text = redact(
        f"{event.ref}: {event.message}\n\nfleet {desired.fleet.metadata.name} at {desired.revision}"
    )
    message = Message(subject=f"[codemonkeys] {event.kind}: {event.ref}", text=text)
    values = {
        "event": str(event.kind),
        "product": event.about,
        "action": event.ref,
        "kind": str(event.action.kind) if event.action is not None else str(event.kind),
        "message": redact(event.message),
        "revision": desired.revision,
    }
    try:
        done = deliver(
            channel,
            message,
            values,
            root=desired.root,
            secret=context.secrets.at(desired.root).lookup,
            tls=smtp_tls(context.env),
        )
        ok, why = done.ok, done.message
    except (OSError, ValueError) as exc:
        ok, why = False, redact(str(exc))
    store.record_notification(
        key,
        event=str(event.kind),
        product=event.about,
        action_id=event.ref,
        channel=name,
        ok=ok,
        message=why,
    )
    audit = {"event": str(event.kind), "channel": name, "ok": ok, "message": why}
    store.audit(
        "notification.sent" if ok else "notification.failed",
        "codemonkeys",
        audit,
        product=event.about,
        action_id=event.ref,
    )
    return 1 if ok else 0
