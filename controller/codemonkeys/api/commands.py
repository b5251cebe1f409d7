"""The library API's commands: plan, apply, reconcile, suspend and resume, cross-repo changes, approve
and reject, index code. Each changes state (the store, the repos, the registries) or decides what would;
``FleetSession`` (``api/session.py``) is built of them and of the read models (``api/queries.py``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from codemonkeys.api.values import (
    ApiError,
    Applied,
    ApprovalGiven,
    Progress,
    Reconciled,
    ReconcileOutcome,
    _changed,
    unknown_products,
)
from codemonkeys.engine import (
    Event,
    apply_plan,
    check_fresh,
    make_plan,
)
from codemonkeys.engine.changes import How as ChangeHow
from codemonkeys.engine.changes import Proposed, drop_change, propose_changes
from codemonkeys.engine.journal import actor as journal_actor
from codemonkeys.engine.notify import notify
from codemonkeys.plan.partial import own_part
from codemonkeys.policy.gate import params_json
from codemonkeys.presence import controller_presence
from codemonkeys.repos import GitError
from codemonkeys.vocab.plan import Action, Decision, FacetState, Plan, Verdict


class Commands:
    """What a front end asks a ``FleetSession`` to do (mixed into it: ``self`` is the session)."""

    def check_products(self, products: Iterable[str] | None) -> None:
        """``ApiError`` naming any product the fleet does not declare."""
        known = self.desired.products
        unknown = sorted({p for p in products or () if p not in known})
        if unknown:
            raise unknown_products(unknown, known)

    def plan(
        self,
        products: Iterable[str] | None = None,
        progress: Progress | None = None,
        parallelism: int | None = None,
    ) -> Plan:
        """Observe the products (all by default, plus their dependencies), plan and gate them; with
        ``parallelism``, predict each action's duration and the apply's at that parallelism."""
        products = list(products) if products else None
        self.check_products(products)
        result, _ = make_plan(
            self.desired,
            self.store,
            self.context,
            products,
            progress,
            self.workers,
            parallelism=parallelism,
            known_git=self.known_git,
            fleet_memo=self.fleet_memo,
            decisions=self.decisions,
        )
        return result

    def fresh(
        self, saved: Plan, products: Iterable[str] | None = None, progress: Progress | None = None
    ) -> Plan:
        """Re-plan what ``saved`` covers; ``StalePlan`` if anything changed since it was made."""
        current = self.plan(list(products) if products else list(saved.products), progress)
        check_fresh(saved, current)
        return current

    def apply(
        self,
        approved: Plan,
        parallelism: int = 4,
        on_event: Event | None = None,
        stop: threading.Event | None = None,
        retries: int = 3,
        retry_wait: float = 1.0,
        who: str | None = None,
    ) -> Applied:
        """Apply ``approved`` (``FleetBusy`` if another apply holds the fleet), then refresh what
        ``cmctl status`` shows by observing the touched products again (skipped when stopping).
        ``on_event`` hears each action start, write output and end; ``who`` is the audit actor."""
        report = apply_plan(
            approved,
            self.desired,
            self.store,
            self.context,
            parallelism,
            on_event,
            retries,
            retry_wait,
            stop,
            who,
        )
        touched = sorted({a.product for a in approved.actions})
        after = None
        if touched and not (stop is not None and stop.is_set()):
            after = self.plan(touched)
        return Applied(report, after)

    def reconcile(
        self,
        product: str,
        parallelism: int = 2,
        stop: threading.Event | None = None,
        on_event: Event | None = None,
        who: str | None = None,
    ) -> Reconciled:
        """The controller's unit of work: plan one product (with its dependencies, whose state its gate
        and its waits read), apply what is allowed of the product's own actions, refresh. An action
        that waits for a dependency's action is left to after the dependency's own reconcile
        (``waiting_on`` names it; ``plan.partial``), so a reconcile touches its product only. Held,
        denied, red or unknown leave it drifting until something changes."""
        plan = self.plan([product])
        unknown = sum(
            1 for p in plan.products.values() for f in p.facets.values() if f.state is FacetState.UNKNOWN
        )
        if plan.products[product].suspended or product in self.store.paused():
            return Reconciled(ReconcileOutcome.SUSPENDED, True, plan, unknown_facets=unknown)
        own = own_part(plan, product)
        if own.plan.runnable:
            applied = self.apply(own.plan, parallelism=parallelism, on_event=on_event, stop=stop, who=who)
            ok = applied.report.ok
            after = own_part(applied.after, product) if applied.after is not None else None
            return Reconciled(
                ReconcileOutcome.APPLIED if ok else ReconcileOutcome.FAILED,
                ok,
                plan,
                applied.report,
                applied.after,
                unknown,
                waiting_on=after.waiting_on if after else own.waiting_on,
                follow_up=ok and _changed(applied.report) and after is not None and bool(after.plan.runnable),
                changed=_changed(applied.report),
            )
        outcome = ReconcileOutcome.IN_SYNC if plan.products[product].in_sync else ReconcileOutcome.DRIFTING
        if plan.products[product].stuck:  # nothing to run, and a person must act: said once per cause
            notify(plan, None, self.desired, self.store, self.context)
        return Reconciled(outcome, True, plan, unknown_facets=unknown, waiting_on=own.waiting_on)

    def suspend(self, product: str, by: str) -> bool:
        """Suspend ``product`` for every controller process sharing the state database: observed, never
        acted on, until resumed (``spec.suspend`` in the fleet repo is the lasting, reviewed way).
        Audited as ``controller.suspended``; False if it already was."""
        self.check_products([product])
        done = self.store.pause(product, by)
        if done:
            self.store.audit("controller.suspended", by, {}, product=product)
        return done

    def resume(self, product: str, by: str) -> bool:
        """Undo ``suspend`` (audited as ``controller.resumed``); False if it was not suspended."""
        self.check_products([product])
        done = self.store.unpause(product)
        if done:
            self.store.audit("controller.resumed", by, {}, product=product)
        return done

    def propose_change(
        self, selectors: list[str], how: ChangeHow, message: str = "", author: str | None = None
    ) -> Proposed:
        """One change proposal per selected product that ``how`` changes (``cmctl fleet patch`` /
        ``fleet exec``); a product whose patch does not apply is reported in the outcomes, not raised.
        ``ApiError`` when the selectors select nothing; ``SelectorError`` when one is malformed."""
        names = self.select(selectors)
        if not names:
            raise ApiError(f"no product matches {' | '.join(selectors) or '(all)'}")
        return propose_changes(
            self.desired,
            self.store,
            self.context,
            names,
            how,
            " | ".join(selectors),
            author or journal_actor(),
            message,
        )

    def drop_change(
        self, change: str, selectors: list[str] | None = None, actor: str | None = None
    ) -> list[str]:
        """Withdraw the open proposals of ``change`` (of the selected products; all by default): their
        branches are deleted, they become ``dropped``. ``ApiError`` when none is open."""
        try:
            dropped = drop_change(
                self.desired, self.store, change, self.select(selectors), actor or journal_actor()
            )
        except GitError as exc:
            raise ApiError(f"cannot delete a branch of change {change}: {exc.stderr}") from None
        if not dropped:
            raise ApiError(f"no open proposal of change {change!r}")
        return dropped

    def approve(self, action_id: str, approver: str, comment: str = "") -> Decision:
        """``approve_action``, returning only the action's decision after the approval."""
        return self.approve_action(action_id, approver, comment).decision

    def approve_action(self, action_id: str, approver: str, comment: str = "") -> ApprovalGiven:
        """Approve a held action (audited), bound to what it approves: the product's fingerprint (its
        document, the dependency documents and facts its plan reads), the action's params and the
        constitution rules that match it. ``ApiError`` if it is not held or the approver may not."""
        current, action = self.action(action_id)
        if action.decision.verdict is not Verdict.HOLD:
            raise ApiError(f"{action_id} is not held: {action.decision.verdict} ({action.decision.message})")
        if action.decision.rule == "forge":  # planner.forge_hold: the constitution already allows it
            raise ApiError(
                f"{action_id} is held by its forge, not by the constitution ({action.decision.message}): "
                "review or fix its pull request there"
            )
        allowed = self.approvers(action)
        if allowed and approver not in allowed:
            raise ApiError(
                f"{approver!r} may not approve {action_id} (approvers: {', '.join(sorted(allowed))})"
            )
        # what the action acts on (its product's documents, git state and its facet's facts)
        fingerprint = action.decision.fingerprint or current.products[action.product].fingerprint
        revision = self.desired.revision
        params, rules = params_json(action.params), action.decision.rules
        self.store.add_approval(
            action_id, action.product, approver, comment, revision, fingerprint, params, rules
        )
        given = {
            "comment": comment,
            "revision": revision,
            "fingerprint": fingerprint,
            "params": dict(action.params),
            "rules": rules,
            "decision": action.decision.id,
        }
        self.store.audit("approval.given", approver, given, product=action.product, action_id=action_id)
        after = self.plan([action.product]).action(action_id).decision
        will_act, why = self._will_act(action, after)
        return ApprovalGiven(
            action_id, approver, revision, fingerprint, dict(action.params), after, will_act, why
        )

    def _will_act(self, action: Action, after: Decision) -> tuple[bool | None, str]:
        """Whether a running controller on this state acts on ``action`` now (None: none is running)."""
        if after.verdict is not Verdict.ALLOW:
            return False, f"still {after.verdict}: {after.message}"
        if self.desired.products[action.product].spec.suspend or action.product in self.store.paused():
            return False, f"{action.product} is suspended: resume it first"
        running = controller_presence(self.desired.state_dir)
        if running is None:
            return None, "no controller runs on this state: run cmctl apply"
        at = running.get("revision", "")
        if at != self.desired.revision:
            return True, (
                f"the controller (pid {running.get('pid')}) is at fleet revision {at[:12]}, this approval "
                f"was given at {self.desired.revision[:12]}: it acts once it plans the same product "
                "fingerprint and params (an unrelated commit changes neither)"
            )
        return True, f"the controller (pid {running.get('pid')}) queues {action.product} within a second"

    def reject(self, action_id: str, approver: str, comment: str = "") -> Decision:
        """Reject a held action (audited as ``approval.rejected``, bound like an approval to the product's
        fingerprint, the params and the matching rules); it stays held. ``ApiError`` as for ``approve``."""
        current, action = self.action(action_id)
        if action.decision.verdict is not Verdict.HOLD:
            raise ApiError(f"{action_id} is not held: {action.decision.verdict} ({action.decision.message})")
        allowed = self.approvers(action)
        if allowed and approver not in allowed:
            raise ApiError(
                f"{approver!r} may not reject {action_id} (approvers: {', '.join(sorted(allowed))})"
            )
        data = {
            "comment": comment,
            "revision": self.desired.revision,
            "fingerprint": action.decision.fingerprint or current.products[action.product].fingerprint,
            "params": dict(action.params),
            "rules": action.decision.rules,
            "decision": action.decision.id,
        }
        self.store.audit("approval.rejected", approver, data, product=action.product, action_id=action_id)
        return action.decision

    def index_code(
        self,
        products: Iterable[str],
        embedder,
        target: Path | None = None,
        progress: Progress | None = None,
        on_skip: Callable[[str, str], None] | None = None,
    ):
        """Index the products' code at their branch heads into the semantic search index (the fleet's by
        default); returns (products indexed, chunks, index statistics)."""
        from codemonkeys.oracle.chunks import index_sources

        sources = self.sources(products, on_skip)
        count, stats = index_sources(target or self.search_index(), sources, embedder, progress)
        return len(sources), count, stats
