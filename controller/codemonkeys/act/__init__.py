"""Act: one actuator per side effect (stage 5: apply). ``actuator_for`` picks the one for an action."""

from __future__ import annotations

from codemonkeys.act.base import ActContext, ActionResult, Actuator, Outcome, Redactor
from codemonkeys.act.build_jenkins import build_jenkins
from codemonkeys.act.build_local import build_local
from codemonkeys.act.docs import build_docs
from codemonkeys.act.publish_ansible import publish_with_ansible
from codemonkeys.act.publish_file import publish_file
from codemonkeys.act.release import cut_release
from codemonkeys.kinds.models import CIKind, RegistryType
from codemonkeys.vocab.plan import Action, ActionKind


def _unsupported(what: str) -> Actuator:
    def run(action: Action, ctx: ActContext) -> ActionResult:
        return ActionResult(Outcome.FAILED, f"{action.id}: {what} is not supported by this version")

    return run


def actuator_for(action: Action, ctx: ActContext) -> Actuator:
    if action.kind is ActionKind.BUILD_RUN:
        ci = ctx.desired.ci_kind(action.product)
        return build_local if ci is CIKind.LOCAL else build_jenkins
    if action.kind is ActionKind.DOCS_BUILD:
        return build_docs
    if action.kind is ActionKind.RELEASE_CUT:
        return cut_release
    if action.kind is ActionKind.RELEASE_PUBLISH:
        reg = ctx.desired.fleet.spec.registries[action.params["registry"]]
        return publish_file if reg.type is RegistryType.FILE else publish_with_ansible
    return _unsupported(str(action.kind))


__all__ = ["ActContext", "ActionResult", "Actuator", "Outcome", "Redactor", "actuator_for"]
