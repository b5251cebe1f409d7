"""The infra facet: ``infra.want: applied`` holds when a Terraform plan of the product's configuration
at HEAD has nothing to do.

A plan with changes drafts one ``infra.apply`` of the saved plan, with its counts and addresses in the
params (``adds``, ``changes``, ``destroys``, ``replaces``, ``addresses``) for the constitution. Changes
at the commit that was last applied are drift: something changed the resources outside Terraform.

Infra comes after nothing else: it does not wait for the build (it is provisioned from the config at
HEAD, not from a built artifact) nor for what an earlier facet blocks. What comes after it (deploy)
waits for its apply: the chain it hands on is the earlier chain plus the apply, and an unknown infra
blocks the later facets. Across products, an apply waits for the applies of what the product dependsOn.
"""

from __future__ import annotations

from codemonkeys.facets.base import FacetDraft, FacetInput, FacetPlugin, Ref, action_id, facet_state, short
from codemonkeys.kinds.models import Product
from codemonkeys.vocab.facts import InfraFacts, Unknown
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState

WANT = "applied"


def counts(f: InfraFacts) -> str:
    """``2 to add, 1 to change, 0 to destroy, 1 to replace`` (only the non-zero parts, Terraform style)."""
    parts = [
        f"{n} to {what}"
        for n, what in (
            (f.adds, "add"),
            (f.changes, "change"),
            (f.destroys, "destroy"),
            (f.replaces, "replace"),
        )
        if n
    ]
    return ", ".join(parts) or "outputs only"


def is_drift(f: InfraFacts) -> bool:
    """Whether the pending changes were made outside Terraform: Terraform saw resources drift, or the
    configuration is the one last applied and yet the plan is not empty."""
    return bool(f.drift) or (f.plan is not None and f.applied_commit == f.commit)


class InfraFacet(FacetPlugin):
    """Terraform: observed as a saved plan of HEAD against the product's state; acted on by
    ``infra.apply`` of that plan."""

    name = FacetName.INFRA
    fact = "infra.applied"
    establishes = ActionKind.INFRA_APPLY
    facts_field = "infra"
    observer = Ref("codemonkeys.facets.infra.observer", "observe_infra")
    actuators = {ActionKind.INFRA_APPLY: Ref("codemonkeys.facets.infra.actuators", "apply_infra")}
    waits_for_dependencies = {ActionKind.INFRA_APPLY: ActionKind.INFRA_APPLY}

    def secret_env(self, product: Product) -> list[str]:
        """The Terraform variables that hold secrets (``terraform.env``): redacted everywhere."""
        return product.spec.infra.terraform.env_names() if product.spec.infra is not None else []

    def wants(self, product: Product) -> str | None:
        """``applied`` when the product declares ``infra``."""
        return WANT if product.spec.infra is not None else None

    def plan(self, inp: FacetInput) -> FacetDraft:
        """Applied, or one ``infra.apply`` of the saved plan; unknown blocks what comes after."""
        f = inp.facts.infra
        if f is None or isinstance(f, Unknown):
            err = f.error if isinstance(f, Unknown) else "not observed"
            return FacetDraft(
                facet_state(WANT, "unknown", FacetState.UNKNOWN, err), blocks="the infra state is unknown"
            )
        if f.plan is None:
            message = f"terraform plan of {short(f.commit)} has no changes"
            return FacetDraft(facet_state(WANT, "applied", FacetState.IN_SYNC, message))
        drift = is_drift(f)
        what = counts(f)
        if drift:
            where = ", ".join(f.drift or f.addresses)
            reason = f"infra: drift at {short(f.commit)}: changed outside Terraform ({where}): {what}"
        else:
            reason = f"infra: want applied, terraform plan of {short(f.commit)}: {what}"
        aid = action_id(inp.name, ActionKind.INFRA_APPLY)
        params = {
            "commit": f.commit,
            "workspace": f.workspace,
            "plan": f.plan,
            "adds": f.adds,
            "changes": f.changes,
            "destroys": f.destroys,
            "replaces": f.replaces,
            "addresses": list(f.addresses),
            "drift": drift,
        }
        action = Action(id=aid, product=inp.name, kind=ActionKind.INFRA_APPLY, params=params, reason=reason)
        observed = "drift" if drift else "pending"
        return FacetDraft(
            facet_state(WANT, observed, FacetState.DRIFT, reason.removeprefix("infra: ")),
            (action,),
            chain=(*inp.after, aid),
        )
