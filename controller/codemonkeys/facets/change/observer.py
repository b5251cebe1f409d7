"""Change facts: a product's open cross-repo change proposals, read from the store.

A proposal's status is the actuators' record (proposed -> building -> green | red -> merged); the
store is the source of truth here, since a proposal exists only in it until ``change.propose`` has
committed it. A proposal left ``building`` by an interrupted action is proposed again: the actuator
finds its commit and its recorded build result and finishes the bookkeeping. The open proposals of
the whole fleet are read once per run; so are the merged and dropped dependency updates (kind
``update``), so that the planner never proposes one of them again. In pull-request mode a green proposal
carries its pull request as the forge shows it now (``act.pulls.observe``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codemonkeys.act.pulls import observe as observe_pull
from codemonkeys.act.pulls import pull_requests
from codemonkeys.vocab.facts import ChangeProposal, ChangeStatus, GitFacts, Unknown

if TYPE_CHECKING:
    from codemonkeys.observe import Observer

OPEN = (
    ChangeStatus.PROPOSED,
    ChangeStatus.BUILDING,
    ChangeStatus.GREEN,
    ChangeStatus.RED,
    ChangeStatus.CONFLICT,
)
SETTLED = (ChangeStatus.MERGED, ChangeStatus.DROPPED)
UPDATE = "update"  # a dependency update's settled proposals are observed too: never proposed again


def observe_change(run: Observer, name: str, git: GitFacts | Unknown) -> list[ChangeProposal] | None:
    """The open proposals of ``name``, oldest first; None when it has none (no change facet)."""
    every = run.once(
        "change-proposals",
        lambda: (
            run.store.change_proposals(statuses=OPEN)
            + run.store.change_proposals(statuses=SETTLED, kind=UPDATE)
        ),
    )
    records = [r for r in every if r.product == name]
    if not records:
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
    ]
