"""Pull-request mode (``spec.git.mode: pull-request``): a heal's or a change's proven branch reaches the
product's branch through a pull request on its forge, never by a push (protected branches refuse bots).

* ``propose``: the open pull request of a branch, opened or updated (title, body, labels) through the
  forge's API; found by its branch first, so a resumed action never opens a second one. Its number is
  kept in the store (``pull_requests``).
* ``observe``: what the forge says of it now (``PullFacts``: open, merged or closed; whether the forge would
  merge it and if not why; who approved its head, as the constitution names them through
  ``spec.git.forge.reviewers``: a login it does not list approves nothing; the commit Code Monkeys
  proposed). The planner turns a pull request the forge will not merge yet, or one pushed to since it
  was proven, into a hold with the reason, and an approving review into an approval.
* ``settle``: merge it through the forge's merge API at the proven head (the forge checks reviews,
  required checks and conflicts), or find it merged or closed by a person.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.forges.base import (
    ForgeClient,
    ForgeError,
    ForgeRefused,
    PullInfo,
    PullState,
    forge_config,
    forge_for,
    git_mode,
)
from codemonkeys.kinds.models import GitMode
from codemonkeys.store.models import utcnow
from codemonkeys.vocab.facts import PullFacts, Unknown

if TYPE_CHECKING:
    from codemonkeys.context import Secrets
    from codemonkeys.kinds.loader import DesiredState
    from codemonkeys.store.db import Store
    from codemonkeys.vocab.plan import Action

BODY_MAX = 60_000  # characters of a pull request's body (GitHub takes 65,536)


def pull_requests(desired: DesiredState, product: str) -> bool:
    """Whether ``product``'s heals and changes land through pull requests."""
    return git_mode(desired, product) is GitMode.PULL_REQUEST


def _client(desired: DesiredState, product: str, secrets: Secrets) -> ForgeClient:
    """The product's forge client; any reason it cannot be had (a secret that cannot be resolved, the
    [forges] extra missing) is a ``ForgeError``, so that no observer or actuator crashes on it."""
    try:
        client = forge_for(desired, product, secrets)
    except ForgeError:
        raise
    except Exception as exc:
        raise ForgeError(f"{product}: the forge cannot be used: {type(exc).__name__}: {exc}") from None
    if client is None:  # git_mode is push without a forge: callers check pull_requests first
        raise ForgeError(f"{product}: pull-request mode needs a forge (spec.git.forge)")
    return client


def propose(
    ctx: ActContext, product: str, branch: str, title: str, body: str, head: str, base: str | None = None
) -> PullInfo | ActionResult:
    """The open pull request of ``branch`` (at ``head``, the commit Code Monkeys pushed there) into
    ``base`` (default: the product's branch), opened or brought up to date; a transient failure when the
    forge cannot be used (the branch stays; the next run opens it)."""
    forge = forge_config(ctx.desired, product)
    assert forge is not None
    base = base or ctx.desired.products[product].spec.source.branch
    if len(body) > BODY_MAX:
        body = body[:BODY_MAX] + "\n\n… (cut)"
    try:
        info = _client(ctx.desired, product, ctx.context.secrets).open_pull(
            branch, base, ctx.redact(title)[:250], ctx.redact(body), list(forge.labels)
        )
    except ForgeError as exc:
        why = ctx.redact(str(exc))
        message = f"cannot open the pull request of {branch}: {why}"
        return ActionResult(Outcome.FAILED, message, transient=True)
    ctx.store.save_pull(product, branch, str(forge.type), info.number, info.url, str(info.state), head=head)
    return info


REFUSAL_STANDS_S = 600  # a refusal to merge holds the merge this long at most (a check may turn green)


def observe(
    desired: DesiredState, store: Store, secrets: Secrets, product: str, branch: str
) -> PullFacts | Unknown | None:
    """The pull request of ``branch`` as the forge shows it now; None when none was opened."""
    rec = store.pull_of(product, branch)
    forge = forge_config(desired, product)
    if rec is None or forge is None:
        return None
    try:
        info = _client(desired, product, secrets).pull(rec.number)
    except ForgeError as exc:
        return Unknown(error=str(exc))
    fresh = (utcnow() - rec.updated_at).total_seconds() < REFUSAL_STANDS_S
    if info.state is PullState.OPEN and rec.refused and rec.refused_for == refusal_key(info) and fresh:
        # the forge refused this very merge (Gitea tells only then): wait until the head or the reviews
        # move, or a while (a required check may have turned green since)
        info = replace(info, ready=False, why=rec.refused)
    return facts_of(info, str(forge.type), forge.reviewers, rec.head)


def refusal_key(info: PullInfo) -> str:
    """What a refusal to merge was for: the head and the approving logins."""
    return f"{info.head}:{','.join(sorted(info.approved_by))}"


def facts_of(info: PullInfo, forge: str, reviewers: dict[str, str], proposed: str = "") -> PullFacts:
    """``info`` as facts: the approving logins that ``spec.git.forge.reviewers`` maps to the names the
    constitution uses (a login it does not list approves nothing: a forge's login is not a person's
    name there), and the commit Code Monkeys proposed in it."""
    return PullFacts(
        forge=forge,
        number=info.number,
        url=info.url,
        state=str(info.state),
        head=info.head,
        proposed=proposed,
        ready=info.ready,
        why=info.why,
        approvers=sorted({reviewers[login] for login in info.approved_by if login in reviewers}),
        merge_commit=info.merge_commit,
    )


@dataclass(frozen=True)
class Settled:
    """A pull request that is no longer open: merged (``commit``: what its base points at now) or
    closed without merging (``commit`` None)."""

    state: PullState
    number: int
    url: str
    commit: str | None


def settle(ctx: ActContext, product: str, branch: str, sha: str | None, title: str) -> Settled | ActionResult:
    """Merge the pull request of ``branch`` at its proven head ``sha`` (None: the commit Code Monkeys
    proposed in it, on record) through the forge, or find it merged or closed by a person. A failed
    result when the forge will not merge it (with its reason), when someone pushed to the branch since it
    was proven, or when no pull request is on record."""
    forge = forge_config(ctx.desired, product)
    rec = ctx.store.pull_of(product, branch)
    if rec is None or forge is None:
        return ActionResult(Outcome.FAILED, f"no pull request of {branch} on record: nothing to merge")
    try:
        client = _client(ctx.desired, product, ctx.context.secrets)
        info = client.pull(rec.number)
        if info.state is PullState.OPEN:
            sha = sha or rec.head or info.head
            if info.head != sha:
                return ActionResult(
                    Outcome.FAILED,
                    f"pull request #{rec.number} moved to {info.head[:12]} (a push to {branch} since it was "
                    f"proven at {sha[:12]}): not merged",
                )
            try:
                landed = client.merge_pull(rec.number, sha, forge.merge_method, title)
            except ForgeRefused as exc:
                why = ctx.redact(str(exc))
                kept = (rec.forge, rec.number, rec.url, str(PullState.OPEN), why[:500], refusal_key(info))
                ctx.store.save_pull(product, branch, *kept)  # the next plans wait with this reason
                message = f"the forge did not merge pull request #{rec.number}: {why}"
                return ActionResult(Outcome.FAILED, message)
            info = PullInfo(rec.number, info.url, PullState.MERGED, sha, merge_commit=landed)
    except ForgeError as exc:
        why = ctx.redact(str(exc))
        return ActionResult(Outcome.FAILED, f"pull request #{rec.number}: {why}", transient=True)
    ctx.store.save_pull(product, branch, str(forge.type), rec.number, info.url or rec.url, str(info.state))
    commit = info.merge_commit if info.state is PullState.MERGED else None
    return Settled(info.state, rec.number, info.url or rec.url, commit)


def close(ctx: ActContext, product: str, branch: str) -> str | None:
    """Close the open pull request of ``branch`` (its attempt is red or superseded); None when done or
    there is none, else why not (the forge's words)."""
    rec = ctx.store.pull_of(product, branch)
    if rec is None or rec.state != PullState.OPEN:
        return None
    try:
        _client(ctx.desired, product, ctx.context.secrets).close_pull(rec.number)
    except ForgeError as exc:
        return ctx.redact(str(exc))
    ctx.store.save_pull(product, branch, rec.forge, rec.number, rec.url, str(PullState.CLOSED))
    return None


def audit_reviews(ctx: ActContext, action: Action) -> None:
    """Audit the approving reviews a merge of ``action``'s pull request relies on (the planner counted
    them as approvals: ``planner.review_approvals``), one record per approver, as ``cmctl approve`` is."""
    if action.pull is None:
        return
    for name in action.pull.approvers:
        given = {
            "pull": action.pull.number,
            "url": action.pull.url,
            "via": "an approving review on the forge",
        }
        ctx.store.audit("approval.review", name, given, product=action.product, action_id=action.id)


def open_late(
    ctx: ActContext, product: str, branch: str, title: str, body: str, head: str, outputs: dict
) -> ActionResult:
    """The merge of a branch proven before pull-request mode, which has no pull request yet: open it; it
    merges in a later round, once the constitution and the forge allow."""
    opened = propose(ctx, product, branch, title, body, head)
    if isinstance(opened, ActionResult):
        return opened
    message = (
        f"opened pull request #{opened.number} for {branch} (proven before pull-request mode): it merges in "
        "a later round, once the constitution and the forge allow"
    )
    return ActionResult(Outcome.NOOP, message, outputs)
