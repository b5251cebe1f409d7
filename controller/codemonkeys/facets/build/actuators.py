"""build.run: the build facet's actuator, on the CI the product uses (the local runner or Jenkins)."""

from __future__ import annotations

from codemonkeys.act.base import ActContext, ActionResult
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.plan import Action


def run_build(action: Action, ctx: ActContext) -> ActionResult:
    """Build the action's commit on the product's CI; what a failure leaves is the backend's (see
    ``facets/build/local.py`` and ``facets/build/jenkins.py``)."""
    if ctx.desired.ci_kind(action.product) is CIKind.JENKINS:
        from codemonkeys.facets.build.jenkins import build_jenkins  # the [jenkins] extra, on first use

        return build_jenkins(action, ctx)
    from codemonkeys.facets.build.local import build_local

    return build_local(action, ctx)
