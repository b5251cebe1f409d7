"""Change facts: a product's open cross-repo change proposals, read from the store.

A proposal's status is the actuators' record (proposed -> building -> green | red -> merged); the
store is the source of truth here, since a proposal exists only in it until ``change.propose`` has
committed it. A proposal left ``building`` by an interrupted action is proposed again: the actuator
finds its commit and its recorded build result and finishes the bookkeeping. The open proposals of
the whole fleet are read once per run; so is the newest merged or dropped dependency update (kind
``update``) of each package per product, without its diff, so that the planner never proposes it
again. In pull-request mode a green proposal carries its pull request as the forge shows it now
(``act.pulls.observe``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from codemonkeys.act.pulls import observe as observe_pull
from codemonkeys.act.pulls import pull_requests
from codemonkeys.facets.change.plugin import OPEN
from codemonkeys.vocab.facts import ChangeProposal, ChangeStatus, GitFacts, Unknown

if TYPE_CHECKING:
    from codemonkeys.observe import Observer

SETTLED = (ChangeStatus.MERGED, ChangeStatus.DROPPED)
UPDATE = "update"  # the newest settled update per package is observed too: never proposed again


def observe_change(run: Observer, name: str, git: GitFacts | Unknown) -> list[ChangeProposal] | None:
    """The open proposals of ``name``, oldest first; None when it has none (no change facet)."""
    every = run.once("change-proposals", lambda: run.store.change_proposals(statuses=OPEN))
    settled = run.once("change-updates-settled", lambda: _newest_settled(run.store))
    records = [r for r in every if r.product == name]
    known = settled.get(name, [])
    if not records and not known:
        return None
    pulls = pull_requests(run.desired, name)
    return [
        ChangeProposal(
            change=r.change,
            status=ChangeStatus(r.status),
            branch=r.branch,
            base=r.base_commit,
            commit=r.commit,
            kind=r.kind,
            selector=r.selector,
            message=r.message,
            author=r.author,
            files=list(r.files or []),
            lines=r.lines,
            diff=r.diff,
            reason=r.reason,
            update=r.takes,
            via_pull=pulls,
            pull=(
                observe_pull(run.desired, run.store, run.context.secrets, name, r.branch)
                if pulls and r.status == ChangeStatus.GREEN
                else None
            ),
        )
        for r in records
    ] + known


def _newest_settled(store) -> dict[str, list[ChangeProposal]]:
    """Per product, the newest merged or dropped update of each package (what the planner must not
    propose again; an older one says nothing), without its diff: the facts stay small however long the
    history."""
    newest: dict[tuple[str, str], tuple[Version, ChangeProposal]] = {}
    for r in store.change_proposals(statuses=SETTLED, kind=UPDATE):
        takes = r.takes or {}
        try:
            version = Version(str(takes.get("version", "")))
        except InvalidVersion:
            continue
        key = (r.product, str(takes.get("package", "")))
        if key not in newest or version > newest[key][0]:
            fact = ChangeProposal(
                change=r.change,
                status=ChangeStatus(r.status),
                branch=r.branch,
                base=r.base_commit,
                kind=r.kind,
                update={"package": key[1], "version": str(takes.get("version"))},
            )
            newest[key] = (version, fact)
    out: dict[str, list[ChangeProposal]] = {}
    for (product, _), (_, fact) in sorted(newest.items()):
        out.setdefault(product, []).append(fact)
    return out
