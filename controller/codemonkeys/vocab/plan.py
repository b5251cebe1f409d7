"""The plan document (``codemonkeys.plan/v1``): actions, their DAG, waves, verdicts and product facets.

This is the contract users' scripts rely on (`cmctl plan --json`, `cmctl plan -o FILE`).
"""

from __future__ import annotations

import re
import threading
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    computed_field,
    model_serializer,
    model_validator,
)

PLAN_FORMAT = "codemonkeys.plan/v1"
_LOCK = threading.Lock()


def _plugin_member(cls: type[StrEnum], value: object, pattern: str) -> StrEnum | None:
    """A member for a value a facet plug-in brings (``ActionKind("supply.attest")``): created once and
    kept in the enum's value map, so the same value is the same member everywhere (``is`` holds, a plan
    read back from JSON gets it); None for a value of the wrong shape (a ``ValueError``, as for any enum)."""
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        return None
    with _LOCK:
        member = cls._value2member_map_.get(value)
        if member is None:
            member = str.__new__(cls, value)
            member._name_ = value.upper().replace(".", "_").replace("-", "_")
            member._value_ = value
            cls._value2member_map_[value] = member
        return member


class ActionKind(StrEnum):
    """What an action does, as ``<facet>.<step>`` (``build.run``, ``release.cut``, ...). The core's kinds
    are listed; a facet plug-in names its own (``ActionKind("supply.attest")``), and it is a member too."""

    BUILD_RUN = "build.run"
    BUILD_HEAL = "build.heal"
    HEAL_MERGE = "heal.merge"
    DOCS_BUILD = "docs.build"
    DOCS_PUBLISH = "docs.publish"
    RELEASE_CUT = "release.cut"
    RELEASE_PUBLISH = "release.publish"
    INFRA_APPLY = "infra.apply"
    DEPLOY_RUN = "deploy.run"
    ANNOUNCE_POST = "announce.post"
    CHANGE_PROPOSE = "change.propose"
    CHANGE_MERGE = "change.merge"

    @classmethod
    def _missing_(cls, value: object) -> ActionKind | None:
        return _plugin_member(cls, value, r"[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*")  # type: ignore[return-value]


class Verdict(StrEnum):
    """The gate's verdict on an action: ``allow`` it, ``deny`` it, or ``hold`` it for approval."""

    ALLOW = "allow"
    DENY = "deny"
    HOLD = "hold"


class FacetName(StrEnum):
    """The facets the planner reconciles, by their key in a product's ``spec``; a facet plug-in's name is
    a member too (``FacetName("supply")``)."""

    BUILD = "build"
    DOCS = "docs"
    RELEASE = "release"
    INFRA = "infra"
    ANNOUNCE = "announce"
    DEPLOY = "deploy"
    CHANGE = "change"

    @classmethod
    def _missing_(cls, value: object) -> FacetName | None:
        return _plugin_member(cls, value, r"[a-z][a-z0-9-]*")  # type: ignore[return-value]


class FacetState(StrEnum):
    """How a facet compares to what is wanted: in sync, drifting, failed, blocked, or unknown."""

    IN_SYNC = "in_sync"
    DRIFT = "drift"  # differs; the plan has actions to fix it
    FAILED = "failed"  # differs and no automatic action can fix it (e.g. a red build awaiting a fix)
    BLOCKED = "blocked"  # differs, waiting for another facet (e.g. release waits for a green build)
    HELD = "held"  # differs; the plan's action to fix it waits for a person's approval (constitution hold)
    UNKNOWN = "unknown"  # an observer failed


class PlanModel(BaseModel):
    """Base of the plan document's models: unknown fields forbidden, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TraceEntry(PlanModel):
    """How one applying rule evaluated (rules that do not apply are not listed)."""

    rule: str
    enforcement: str
    outcome: Verdict
    effect: str  # deny | hold | require | limit | window | freeze | allow
    message: str


class Decision(PlanModel):
    """The gate's decision on one action: verdict, deciding rule and message, advisories, duties, trace."""

    verdict: Verdict
    rule: str | None = None
    message: str = ""
    advisory: list[str] = Field(default_factory=list, description="advisory rules that would have failed")
    audit: list[str] = Field(default_factory=list, description="duties the actuator must prove")
    trace: list[TraceEntry] = Field(default_factory=list)
    id: str = ""  # decision id (decision log): a hash of the inputs, the same for the same inputs
    input_hash: str = ""
    rules: str = ""  # digest of the constitution rules that matched the action (approvals bind to it)
    fingerprint: str = ""  # of what the action acts on (``planner.action_fingerprint``; approvals bind to it)


def deliberately_denied(decision: Decision) -> bool:
    """Whether the constitution denies on purpose: a rule whose effect is ``deny``, or ``default: deny``
    (not a requirement that is unmet yet, which may pass once facts change)."""
    return _deliberately_denied(decision)


def _deliberately_denied(decision: Decision) -> bool:
    if decision.verdict is not Verdict.DENY:
        return False
    if decision.rule == "default":
        return True
    return any(t.rule == decision.rule and t.effect == "deny" for t in decision.trace)


class PullGate(PlanModel):
    """What the forge says of the pull request an action merges (pull-request mode): its number and
    address, why the forge will not merge it yet (``waiting``; empty: it would), and the approvers, as
    the constitution names them, whose approving review covers its head."""

    number: int
    url: str = ""
    waiting: str = ""
    approvers: list[str] = Field(default_factory=list)
    settled: str = ""  # merged | closed by a person on the forge: the action only records it


class Action(PlanModel):
    """One planned action: what it does to which product, why, what it waits for, and its decision."""

    id: str
    product: str
    kind: ActionKind
    params: dict[str, Any] = Field(default_factory=dict)
    reason: str
    depends_on: list[str] = Field(default_factory=list)
    wave: int = 0
    decision: Decision = Field(default_factory=lambda: Decision(verdict=Verdict.ALLOW))
    # Filled after planning from the recorded durations (never part of the fingerprint); absent from the
    # document when no prediction was made, ``predicted_s`` null with 0 samples when nothing predicts it.
    predicted_s: float | None = None
    predicted_samples: int | None = None
    predicted_basis: str | None = None  # product: its own runs | fleet: the kind's runs across the fleet
    # A merge through a pull request (pull-request mode): what the forge says of it. Never part of the
    # params (an approval binds to those): the planner holds the action while ``waiting`` and counts the
    # reviews as approvals. Absent from the document otherwise.
    pull: PullGate | None = None

    @model_serializer(mode="wrap")
    def _without_unmade_prediction(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if self.predicted_samples is None:
            for key in ("predicted_s", "predicted_samples", "predicted_basis"):
                data.pop(key, None)
        if self.pull is None:
            data.pop("pull", None)
        return data


class Facet(PlanModel):
    """One facet of a product in the plan: wanted and observed values, its state and a message."""

    want: str
    observed: str
    in_sync: bool
    state: FacetState
    message: str = ""


def stuck_reason(facets: dict[str, tuple[str, str]]) -> str:
    """Why a product is stuck, from its facets' (state, message): the messages of its failed facets when
    one failed and none has anything planned, not even held for an approval ("" otherwise)."""
    states = {state for state, _ in facets.values()}
    if FacetState.FAILED not in states or FacetState.DRIFT in states or FacetState.HELD in states:
        return ""
    failed = [f"{k}: {message}" for k, (state, message) in facets.items() if state == FacetState.FAILED]
    return "; ".join(failed)


class ProductPlan(PlanModel):
    """One product in the plan: whether it is in sync, its facets, and its observed fingerprint."""

    in_sync: bool
    facets: dict[str, Facet]
    suspended: bool = False
    fingerprint: str = ""  # of this product's observed facts and the fleet revision (approvals bind to it)

    @model_validator(mode="before")
    @classmethod
    def _computed_left_out(cls, data: Any) -> Any:
        """A plan document read back carries ``stuck``, which is computed, not given."""
        if isinstance(data, dict) and "stuck" in data:
            data = {k: v for k, v in data.items() if k != "stuck"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def stuck(self) -> str:
        """Why nothing the controller may do reaches the product's desired state ("" when it is not
        stuck): a facet failed (a red build with no heal left, a red or conflicting change) and no facet
        has anything planned. What a person can do is in the failed facets' messages."""
        if self.in_sync or self.suspended:
            return ""
        return stuck_reason({k: (str(f.state), f.message) for k, f in self.facets.items()})


class FleetRef(PlanModel):
    """The fleet repo a plan was made from: its root directory and git revision."""

    root: str
    revision: str


class Forecast(PlanModel):
    """The whole apply's predicted duration: the critical path of the runnable actions over the DAG with
    ``parallelism`` workers (``summary`` in the plan document)."""

    predicted_s: float
    predicted_samples: int  # the runs the actions' predictions rest on, together
    parallelism: int
    unpredicted: int = 0  # runnable actions nothing predicts (counted as taking no time)


class Plan(PlanModel):
    """The plan document: the fleet it was made from, its fingerprint, the actions and every product."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    format: Literal["codemonkeys.plan/v1"] = PLAN_FORMAT
    fleet: FleetRef
    fingerprint: str
    actions: list[Action]
    products: dict[str, ProductPlan]
    forecast: Forecast | None = Field(default=None, alias="summary")

    @model_serializer(mode="wrap")
    def _without_unmade_forecast(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if self.forecast is None:
            data.pop("summary", None)
            data.pop("forecast", None)
        return data

    def action(self, action_id: str) -> Action:
        """The action with id ``action_id``. Raises ``KeyError`` if the plan has none."""
        for a in self.actions:
            if a.id == action_id:
                return a
        raise KeyError(action_id)

    @property
    def runnable(self) -> list[Action]:
        """The actions the gate allowed, in plan order."""
        return [a for a in self.actions if a.decision.verdict is Verdict.ALLOW]

    @property
    def has_changes(self) -> bool:
        """Whether the plan has any action (allowed or not)."""
        return bool(self.actions)

    @property
    def unsettled(self) -> list[Action]:
        """The actions an apply may still take, now or once facts change: all but those the constitution
        denies on purpose (a mandatory rule whose effect is ``deny``, or its ``default: deny``). What
        ``plan --detailed-exitcode`` counts, so a CI gate goes green once only deliberate denies are left."""
        return [a for a in self.actions if not _deliberately_denied(a.decision)]

    @property
    def stuck(self) -> dict[str, str]:
        """The products nothing the controller may do brings to their desired state, and why
        (``ProductPlan.stuck``): what ``plan --detailed-exitcode`` exits 3 for."""
        return {name: p.stuck for name, p in self.products.items() if p.stuck}

    def summary(self) -> str:
        """One line: products in sync and drifting, and how many actions (denied, held)."""
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
