"""The plan document (``codemonkeys.plan/v1``): actions, their DAG, waves, verdicts and product facets.

This is the contract users' scripts rely on (`cmctl plan --json`, `cmctl plan -o FILE`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PLAN_FORMAT = "codemonkeys.plan/v1"


class ActionKind(StrEnum):
    BUILD_RUN = "build.run"
    BUILD_HEAL = "build.heal"
    DOCS_BUILD = "docs.build"
    RELEASE_CUT = "release.cut"
    RELEASE_PUBLISH = "release.publish"
    INFRA_APPLY = "infra.apply"
    ANNOUNCE_POST = "announce.post"


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    HOLD = "hold"


class FacetName(StrEnum):
    BUILD = "build"
    DOCS = "docs"
    RELEASE = "release"


class FacetState(StrEnum):
    IN_SYNC = "in_sync"
    DRIFT = "drift"  # differs; the plan has actions to fix it
    FAILED = "failed"  # differs and no automatic action can fix it (e.g. a red build awaiting a fix)
    BLOCKED = "blocked"  # differs, waiting for another facet (e.g. release waits for a green build)
    UNKNOWN = "unknown"  # an observer failed


class PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TraceEntry(PlanModel):
    """How one applying rule evaluated (rules that do not apply are not listed)."""

    rule: str
    enforcement: str
    outcome: Verdict
    effect: str  # deny | hold | require | limit | window | freeze | allow
    message: str


class Decision(PlanModel):
    verdict: Verdict
    rule: str | None = None
    message: str = ""
    advisory: list[str] = Field(default_factory=list, description="advisory rules that would have failed")
    audit: list[str] = Field(default_factory=list, description="duties the actuator must prove")
    trace: list[TraceEntry] = Field(default_factory=list)
    id: str = ""  # decision id (decision log)
    input_hash: str = ""


class Action(PlanModel):
    id: str
    product: str
    kind: ActionKind
    params: dict[str, Any] = Field(default_factory=dict)
    reason: str
    depends_on: list[str] = Field(default_factory=list)
    wave: int = 0
    decision: Decision = Decision(verdict=Verdict.ALLOW)


class Facet(PlanModel):
    want: str
    observed: str
    in_sync: bool
    state: FacetState
    message: str = ""


class ProductPlan(PlanModel):
    in_sync: bool
    facets: dict[str, Facet]
    suspended: bool = False
    fingerprint: str = ""  # of this product's observed facts and the fleet revision (approvals bind to it)


class FleetRef(PlanModel):
    root: str
    revision: str


class Plan(PlanModel):
    format: Literal["codemonkeys.plan/v1"] = PLAN_FORMAT
    fleet: FleetRef
    fingerprint: str
    actions: list[Action]
    products: dict[str, ProductPlan]

    def action(self, action_id: str) -> Action:
        for a in self.actions:
            if a.id == action_id:
                return a
        raise KeyError(action_id)

    @property
    def runnable(self) -> list[Action]:
        return [a for a in self.actions if a.decision.verdict is Verdict.ALLOW]

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    def summary(self) -> str:
        in_sync = sum(1 for p in self.products.values() if p.in_sync)
        drifting = len(self.products) - in_sync
        n = len(self.actions)
        denied = sum(1 for a in self.actions if a.decision.verdict is Verdict.DENY)
        held = sum(1 for a in self.actions if a.decision.verdict is Verdict.HOLD)
        extra = ", ".join(
            x for x in (f"{denied} denied" if denied else "", f"{held} held" if held else "") if x
        )
        text = f"{in_sync} product{'s' if in_sync != 1 else ''} in sync, {drifting} drifting"
        if n:
            text += f": {n} action{'s' if n != 1 else ''}" + (f" ({extra})" if extra else "")
        return text
