"""Learning fix templates (swarm): from a person's fix of a red build, and from a merged heal.

Called by the build actuators after a green build (``learn_from_fix``) and by ``heal.merge``
(``learn_from_heal``). A template is generalized by ``swarm/templates.py`` so it applies to other
products, and stored with its record (``swarm.knowledge.remember_template``): a new one starts with one
success, the fix it came from; one learned again gains a success. A person's fix that teaches nothing is
audited as ``template.not_learned`` with the reason (per failure signature), which
``cmctl swarm templates --why PRODUCT`` reads back.
"""

from __future__ import annotations

from codemonkeys.act.base import ActContext
from codemonkeys.repos import GitError, Mirror
from codemonkeys.store.db import SignatureRecord
from codemonkeys.swarm.knowledge import failure_summaries, remember_template
from codemonkeys.swarm.templates import NotLearned, learn_template
from codemonkeys.vocab.facts import BuildStatus
from codemonkeys.vocab.plan import Action

HEAL_TRAILER = "Heal-Attempt:"  # in the message of every heal commit
LOOK_BACK = 20  # builds of the product looked at to find the red one a green build fixed


def learn_from_fix(action: Action, ctx: ActContext, commit: str) -> str:
    """After a green build of ``commit``: when the product's previous build on its branch was red at an
    ancestor and the commits since are a person's (no heal commit among them), learn their diff as a fix
    template for the red build's failure. Returns what was learned, "" if nothing."""
    product = action.product
    heal_commits = {a.heal_commit for a in ctx.store.heal_attempts(product) if a.heal_commit}
    if commit in heal_commits:
        return ""  # a heal proven on its branch: learned when it is merged
    red = _previous_red(ctx, product, commit, heal_commits)
    if red is None:
        return ""
    source_path = ctx.desired.products[product].spec.source.path
    try:
        with Mirror(ctx.mirror(product)) as repo:
            if any(HEAL_TRAILER in body for _, _, body in repo.log(f"{red}..{commit}")):
                return ""
            diff = repo.diff(red, commit, source_path)
    except GitError as exc:
        _not_learned(ctx, action, commit, red, [("", "", f"the fix's diff could not be read: {exc}")])
        return ""
    signatures = failure_summaries(ctx.store, product, red)
    if not signatures:
        _not_learned(ctx, action, commit, red, [("", "", "the red build recorded no failure signature")])
        return ""
    return _remember(ctx, action, signatures, diff, "human", commit, red)


def learn_from_heal(action: Action, ctx: ActContext, red: str, heal_commit: str, patch: str) -> str:
    """A merged heal's patch becomes a template for the red build's failure (or strengthens it)."""
    signatures = failure_summaries(ctx.store, action.product, red)
    return _remember(ctx, action, signatures, patch, "heal", heal_commit)


def _previous_red(ctx: ActContext, product: str, commit: str, heal_commits: set[str]) -> str | None:
    """The commit of the product's newest build before this green one, when it was red and is an
    ancestor of ``commit`` (heal branch builds are skipped)."""
    newest = ctx.store.last_build(product)
    before = newest.id if newest is not None and newest.commit == commit else None
    for _ in range(LOOK_BACK):
        row = ctx.store.last_build(product, before=before)
        if row is None:
            return None
        before = row.id
        if row.commit in heal_commits or row.commit == commit:
            continue
        if row.status != str(BuildStatus.FAILURE):
            return None
        with Mirror(ctx.mirror(product)) as repo:
            return row.commit if repo.is_ancestor(row.commit, commit) else None
    return None


def _not_learned(
    ctx: ActContext, action: Action, commit: str, red: str, why: list[tuple[str, str, str]]
) -> None:
    """Audit why a person's fix of a red build taught no template: (signature, summary, reason) each."""
    ctx.store.audit(
        "template.not_learned",
        "codemonkeys",
        {
            "commit": commit,
            "red": red,
            "reasons": [{"signature": f, "summary": s, "reason": r} for f, s, r in why],
            "reason": "; ".join(dict.fromkeys(r for _, _, r in why)),
        },
        product=action.product,
        action_id=action.id,
    )


def _remember(
    ctx: ActContext,
    action: Action,
    signatures: list[SignatureRecord],
    diff: str,
    origin: str,
    commit: str,
    red: str = "",
) -> str:
    """The first template the fix teaches for one of the signatures, stored and audited; a person's fix
    that teaches none is audited with the reasons (a heal's patch teaching nothing is said by the caller)."""
    why: list[tuple[str, str, str]] = []
    for sig in signatures:
        template = learn_template(sig.summary, sig.kind, diff)
        if isinstance(template, NotLearned):
            why.append((sig.fingerprint, sig.summary, template.reason))
            continue
        record, new = remember_template(ctx.store, template, sig.fingerprint, origin, action.product, commit)
        verb = "learned" if new else "strengthened"
        ctx.store.audit(
            f"swarm.template.{verb}",
            "codemonkeys",
            {
                "template": record.id,
                "description": record.description,
                "signature": sig.fingerprint,
                "origin": origin,
                "commit": commit,
                "record": {"successes": record.successes, "failures": record.failures},
            },
            product=action.product,
            action_id=action.id,
        )
        return f"{verb} fix template {record.id} ({record.description}) for {sig.kind}: {sig.summary}"
    if origin == "human":
        _not_learned(ctx, action, commit, red, why)
    return ""
