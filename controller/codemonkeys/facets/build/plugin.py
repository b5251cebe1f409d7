"""The build facet: ``build.want: green`` holds when CI passed on the build commit.

The build commit is HEAD, skipping ``[skip ci]`` commits (release commits). A missing result plans
``build.run``; a Jenkins product without a Jenkinsfile first gets one generated and built (docs and
release wait for the next round, Argo CD sync-wave style). A red, running or unknown build blocks the
later facets of the product.

A red build of a product with ``build.heal`` gets the next heal step (``facets/heal/planner.py``): a
``build.heal`` attempt proven on a branch, or the ``heal.merge`` of a green one.
"""

from __future__ import annotations

from codemonkeys.facets.base import FacetDraft, FacetInput, FacetPlugin, Ref, action_id, facet_state, short
from codemonkeys.facets.heal.planner import next_step
from codemonkeys.kinds.models import Product
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.facts import BuildStatus, Unknown
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState

WANT = "green"


class BuildFacet(FacetPlugin):
    """CI builds: observed from the local runner's results or Jenkins; acted on by ``build.run``."""

    name = FacetName.BUILD
    fact = "build.green"
    establishes = ActionKind.BUILD_RUN
    facts_field = "build"
    observer = Ref("codemonkeys.facets.build.observer", "observe_build")
    actuators = {
        ActionKind.BUILD_RUN: Ref("codemonkeys.facets.build.actuators", "run_build"),
        ActionKind.BUILD_HEAL: Ref("codemonkeys.facets.heal.actuators", "heal_build"),
        ActionKind.HEAL_MERGE: Ref("codemonkeys.facets.heal.actuators", "merge_heal"),
    }
    hooks = {"build.green": (Ref("codemonkeys.facets.heal.actuators", "after_green_build"),)}

    def wants(self, product: Product) -> str | None:
        """``green`` when the product declares ``build``."""
        return WANT if product.spec.build is not None else None

    def plan(self, inp: FacetInput) -> FacetDraft:
        """Green, or a ``build.run`` of the build commit, or a state that blocks later facets."""
        git, b = inp.git, inp.facts.build
        if inp.ci is CIKind.JENKINS and not git.jenkinsfile:
            return self._generate_jenkinsfile(inp)
        if b is None or isinstance(b, Unknown):
            err = b.error if isinstance(b, Unknown) else "not observed"
            return FacetDraft(
                facet_state(WANT, "unknown", FacetState.UNKNOWN, err), blocks="the build state is unknown"
            )
        if b.status is BuildStatus.SUCCESS:
            if b.heal is not None and b.heal.commit:
                return self._landed_heal(inp, b.heal.commit)
            return FacetDraft(
                facet_state(WANT, "green", FacetState.IN_SYNC, f"build of {short(b.commit)} passed")
            )
        if b.status is BuildStatus.NONE:
            reason = f"build: want green, no CI result for {short(b.commit)}"
            return self._run(inp, reason, "none", {"commit": b.commit})
        if b.status is BuildStatus.RUNNING:
            return FacetDraft(
                facet_state(WANT, "running", FacetState.DRIFT, f"a build of {short(b.commit)} is running"),
                blocks=f"the build of {short(b.commit)} is still running",
            )
        return self._red(inp)

    def _red(self, inp: FacetInput) -> FacetDraft:
        """A red build: the next heal step when the product heals, else it waits for a person."""
        b = inp.facts.build
        assert b is not None and not isinstance(b, Unknown)
        blocks = f"the build of {short(b.commit)} is red"
        heal = inp.product.spec.build.heal if inp.product.spec.build else None
        if heal is None or b.heal is None:
            return FacetDraft(
                facet_state(WANT, "red", FacetState.FAILED, f"build of {short(b.commit)} failed: push a fix"),
                blocks=blocks,
            )
        step = next_step(inp.name, b.commit, b.heal, heal)
        if step.kind is None:
            message = f"build of {short(b.commit)} failed; {step.reason}"
            state = FacetState.BLOCKED if step.waiting else FacetState.FAILED
            return FacetDraft(facet_state(WANT, "red", state, message), blocks=blocks)
        aid = action_id(inp.name, step.kind)
        action = Action(
            id=aid, product=inp.name, kind=step.kind, params=step.params, reason=step.reason, pull=step.pull
        )
        return FacetDraft(
            facet_state(WANT, "red", FacetState.DRIFT, step.reason), (action,), chain=(aid,), blocks=blocks
        )

    def _landed_heal(self, inp: FacetInput, red: str) -> FacetDraft:
        """A green build whose history holds a proven heal not recorded as merged (heal.merge was
        interrupted after its push landed): ``heal.merge`` again, which finishes its bookkeeping."""
        b, heal = inp.facts.build, inp.product.spec.build.heal if inp.product.spec.build else None
        assert b is not None and not isinstance(b, Unknown) and b.heal is not None and heal is not None
        step = next_step(inp.name, red, b.heal, heal)
        if step.kind is not ActionKind.HEAL_MERGE:
            return FacetDraft(
                facet_state(WANT, "green", FacetState.IN_SYNC, f"build of {short(b.commit)} passed")
            )
        reason = f"build of {short(b.commit)} passed; {step.reason.removeprefix('build: ')}: finish its merge"
        aid = action_id(inp.name, step.kind)
        action = Action(
            id=aid, product=inp.name, kind=step.kind, params=step.params, reason=reason, pull=step.pull
        )
        return FacetDraft(facet_state(WANT, "green", FacetState.DRIFT, reason), (action,), chain=(aid,))

    def _generate_jenkinsfile(self, inp: FacetInput) -> FacetDraft:
        """Jenkins builds the repo's Jenkinsfile: commit one from the language's template and build that
        commit; later facets wait for the next round."""
        reason = (
            f"build: no Jenkinsfile at {short(inp.git.head)}: "
            f"generate one from the {inp.product.spec.language} template"
        )
        draft = self._run(inp, reason, "no Jenkinsfile", {"commit": inp.git.head, "jenkinsfile": "generate"})
        return FacetDraft(
            draft.facet, draft.actions, draft.chain, "waiting for the generated Jenkinsfile to be built"
        )

    def _run(self, inp: FacetInput, reason: str, observed: str, params: dict) -> FacetDraft:
        aid = action_id(inp.name, ActionKind.BUILD_RUN)
        action = Action(id=aid, product=inp.name, kind=ActionKind.BUILD_RUN, params=params, reason=reason)
        return FacetDraft(facet_state(WANT, observed, FacetState.DRIFT, reason), (action,), chain=(aid,))
