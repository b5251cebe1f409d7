"""build.run: the build facet's actuator, on the CI the product uses (the local runner or Jenkins).

When the product has a forge (``spec.git.forge``, statuses on), the build's commit gets a commit status
there: ``pending`` as it starts, then ``success`` or ``failure`` with the build's words and a link to the
action's page on the dashboard (``dashboardUrl``). A forge that refuses or cannot be reached never fails
the build: what it said goes into the action's log and outputs (``forge_status``).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.forges import ForgeClient, ForgeError, StatusState, forge_config, forge_for
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.plan import Action

STATUS_CONTEXT = "codemonkeys/build"


def run_build(action: Action, ctx: ActContext) -> ActionResult:
    """Build the action's commit on the product's CI (with its commit status on the forge, if any);
    what a failure leaves is the backend's (see ``facets/build/local.py`` and ``facets/build/jenkins.py``)."""
    status = _Status.of(action, ctx)
    if status is not None:
        status.post(StatusState.PENDING, "building")  # if it fails, the final word below says so
    try:
        result = _build(action, ctx)
    except BaseException:
        if status is not None:  # the build broke down: the commit does not stay pending
            status.post(StatusState.ERROR, "the build could not run")
        raise
    if status is None:
        return result
    if result.outcome is not Outcome.FAILED:
        state = StatusState.SUCCESS
    else:  # red, or the CI could not be reached (retried: an error, not a verdict on the commit)
        state = StatusState.ERROR if result.transient else StatusState.FAILURE
    said = status.post(state, ctx.redact(result.message))
    outputs = {**result.outputs, "forge_status": said or "posted"}
    log = result.log + (f"\n[forge] commit status not posted: {said}\n" if said else "")
    return replace(result, outputs=outputs, log=log)


def _build(action: Action, ctx: ActContext) -> ActionResult:
    if ctx.desired.ci_kind(action.product) is CIKind.JENKINS:
        from codemonkeys.facets.build.jenkins import build_jenkins  # the [jenkins] extra, on first use

        return build_jenkins(action, ctx)
    from codemonkeys.facets.build.local import build_local

    return build_local(action, ctx)


class _Status:
    """The commit status of one build on the product's forge (``broken``: why none can be posted)."""

    def __init__(
        self, client: ForgeClient | None, sha: str, target_url: str | None, broken: str | None = None
    ) -> None:
        self.client, self.sha, self.target_url, self.broken = client, sha, target_url, broken

    @classmethod
    def of(cls, action: Action, ctx: ActContext, sha: str | None = None) -> _Status | None:
        """The build's status poster (of ``sha``, else the action's commit); None when the product has
        no forge or posts no statuses."""
        forge = forge_config(ctx.desired, action.product)
        sha = sha or action.params.get("commit")
        if forge is None or not forge.statuses or not sha:
            return None
        try:
            client = forge_for(ctx.desired, action.product, ctx.context.secrets)
        except ForgeError as exc:  # set but unusable (no token, no repository path): said in the log
            return cls(None, sha, None, broken=str(exc))
        except Exception as exc:  # a secret that cannot be had, the [forges] extra not installed
            return cls(None, sha, None, broken=f"the forge cannot be used: {type(exc).__name__}: {exc}")
        target = None
        if forge.dashboard_url and ctx.run_id:
            page = f"/runs/{ctx.run_id}/actions/{quote(action.id, safe='/')}"  # the dashboard's action page
            target = forge.dashboard_url.rstrip("/") + page
        return cls(client, sha, target) if client is not None else None

    def post(self, state: StatusState, description: str) -> str | None:
        """Post ``state``; None when done, else why not (redacted by the caller's log)."""
        if self.client is None:
            return self.broken or "no forge client"
        try:
            self.client.post_status(self.sha, state, STATUS_CONTEXT, description, self.target_url)
        except ForgeError as exc:
            return str(exc)
        return None


def proof_status(action: Action, ctx: ActContext, sha: str) -> _Status | None:
    """The commit status of the proof build of a branch commit (a heal's, a change's), so the forge's
    required checks see it on the pull request; None when the product posts no statuses."""
    return _Status.of(action, ctx, sha)
