"""release.publish to a real registry: a playbook from ``resources/ansible/`` run through ansible-runner.

pypi -> publish-pypi.yml, npm -> publish-npm.yml, crates -> publish-crate.yml, oci -> publish-oci.yml;
a product may name its own playbook (``release.publish[].playbook``: a path in the fleet repo, or
``repo:PATH`` inside the product repo at the tag).

Idempotent: the registry is observed first and a version already there is a noop; the playbooks
themselves treat "this version exists with identical content" as success. Credentials travel only as
environment variables (``CM_REGISTRY_USERNAME``, ``CM_REGISTRY_PASSWORD``, ``CM_REGISTRY_TOKEN``) into a
private, temporary ansible-runner directory that is removed afterwards; tasks that see them are
``no_log`` and every log line is redacted. A failed publish leaves the release tag in place; the next
run retries only the publish.

Dry run: when the constitution puts the ``dry-run`` audit duty on the action, the playbook first runs in
check mode (``--check``). Its tasks named ``Verify...`` check the effect before it is made (the built
files against the registry's index, the packed tarball's shasum, the image layout); only check-mode
runs in which such tasks really ran and passed prove the duty. A failed dry run, or one that verified
nothing (a product's own playbook without ``Verify`` tasks), fails the action before anything is
published.

Progress: each line of a playbook's output (task names, their results) goes, redacted, to the action's
live log as ansible-runner reports it (``cmctl logs --follow``, the dashboard), under the same
``[dry run, check mode]`` / ``[publish]`` headers as the journal's final log.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.context import Resources, Secrets
from codemonkeys.kinds.credentials import registry_for
from codemonkeys.kinds.models import AuditDuty, Registry, RegistryType
from codemonkeys.registries import observe_registry, resolve_auth
from codemonkeys.registries.http import RegistryError, RegistryHttp
from codemonkeys.vocab.facts import Unknown
from codemonkeys.vocab.plan import Action
from codemonkeys.vocab.versioning import version_in

PLAYBOOKS = {
    RegistryType.PYPI: "publish-pypi.yml",
    RegistryType.NPM: "publish-npm.yml",
    RegistryType.CRATES: "publish-crate.yml",
    RegistryType.OCI: "publish-oci.yml",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
VERIFY_PREFIX = "Verify"  # tasks named "Verify...", run in check mode, prove the dry-run audit duty


def playbook_dir(resources: Resources) -> Path:
    """Where the publishing playbooks live."""
    return resources.ansible


def registry_env(registry: Registry, secrets: Secrets) -> dict[str, str]:
    """The credentials a playbook reads: the environment variables the Fleet names, or its
    ``{secretRef: NAME}`` resolved (``SecretError`` naming one that cannot be)."""
    creds = registry.credentials
    out: dict[str, str] = {}
    if creds is None:
        return out
    for part, (env_name, value) in creds.parts().items():
        if found := secrets.credential(env_name, value, f"registry credentials ({part})"):
            out[f"CM_REGISTRY_{part.upper()}"] = found
    return out


@dataclass(frozen=True)
class PlaybookRun:
    """One playbook run: ansible-runner's status, the redacted log, the stats, and the ``Verify...``
    tasks that ran and passed (not skipped): in check mode, the proof that the effect was verified."""

    status: str
    log: str
    stats: dict[str, Any]
    verified: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the playbook succeeded."""
        return self.status == "successful"

    def failure(self) -> str:
        """The most telling line of a failed run (the last fatal/failed line, else the last line)."""
        failed = [line for line in self.log.splitlines() if line.startswith(("fatal:", "failed:"))]
        return (failed[-1] if failed else (self.log.strip().splitlines() or [self.status])[-1])[:400]


def run_playbook(
    playbook: Path,
    extravars: dict[str, Any],
    secrets: dict[str, str],
    redact,
    tool_env: Mapping[str, str],
    check: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> PlaybookRun:
    """Run one playbook on localhost (``check``: ``ansible-playbook --check``, a dry run); each event's
    output goes to ``on_line`` as it comes (redacted, one line per event)."""
    try:
        import ansible_runner  # the [ship] extra: imported only when a playbook runs
    except ImportError:
        return PlaybookRun(
            "failed", "publishing to this registry needs the [ship] extra (ansible-runner)", {}
        )

    lines: list[str] = []
    verified: list[str] = []

    def on_event(event: dict[str, Any]) -> bool:
        text = _ANSI.sub("", event.get("stdout") or "")
        if text.strip():
            lines.append(redact(text))
            if on_line is not None:
                on_line(lines[-1].strip("\r\n") + "\n")
        task = (event.get("event_data") or {}).get("task") or ""
        if event.get("event") == "runner_on_ok" and task.startswith(VERIFY_PREFIX):
            verified.append(task)
        return True

    with tempfile.TemporaryDirectory(prefix="cm-ansible-") as private:
        os.chmod(private, 0o700)
        envvars = {
            "PATH": tool_env["PATH"],  # ansible-runner needs our bin dir (ansible-playbook, python) first
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_HOME": f"{private}/home",
            "ANSIBLE_LOCAL_TEMP": f"{private}/tmp",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            **secrets,
        }
        result = ansible_runner.run(
            private_data_dir=private,
            playbook=str(playbook),
            inventory=f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}",
            extravars=extravars,
            envvars=envvars,
            cmdline="--check" if check else None,
            quiet=True,
            rotate_artifacts=1,
            event_handler=on_event,
        )
        return PlaybookRun(
            result.status, "\n".join(lines), result.stats or {}, tuple(dict.fromkeys(verified))
        )


def _playbook(action: Action, ctx: ActContext, registry: Registry, tree: Path) -> Path:
    """The product's own playbook if ``release.publish[].playbook`` names one, else ours for the type."""
    product = ctx.desired.products[action.product]
    override = next(
        (p.playbook for p in product.spec.release.publish if p.registry == action.params["registry"]), None
    )
    if override and override.startswith("repo:"):
        return tree / override.removeprefix("repo:")
    if override:
        return ctx.desired.root / override
    return playbook_dir(ctx.context.resources) / PLAYBOOKS[registry.type]


def _dry_run(
    playbook: Path, extravars: dict, secrets: dict, ctx: ActContext, sink: Callable[[str], None] | None
) -> tuple[str, str] | ActionResult:
    """The check-mode run the constitution's ``dry-run`` duty asks for: its proof, or a failed result
    (nothing was published) when it failed or verified nothing. Returns the proof and the run's log
    (streamed to ``sink`` as it comes)."""
    run = run_playbook(playbook, extravars, secrets, ctx.redact, ctx.tool_env(), check=True, on_line=sink)
    if not run.ok:
        return ActionResult(
            Outcome.FAILED, f"dry run of {playbook.name} failed: {run.failure()}", {}, run.log
        )
    if not run.verified:
        return ActionResult(
            Outcome.FAILED,
            f"the constitution requires a dry run, but no '{VERIFY_PREFIX}...' task of {playbook.name} "
            "ran in check mode, so nothing was verified; nothing was published",
            {"playbook": playbook.name},
            run.log,
        )
    return f"check mode of {playbook.name} passed: " + "; ".join(run.verified), run.log


def publish_with_ansible(action: Action, ctx: ActContext) -> ActionResult:
    """release.publish to a pypi/npm/crates/oci registry with its playbook (see the module docstring)."""
    product = ctx.desired.products[action.product]
    reg_name, package, version, tag = (action.params[k] for k in ("registry", "package", "version", "tag"))
    registry = registry_for(ctx.desired, action.product, reg_name)  # its company's credentials, if any
    fleet_secrets = ctx.context.secrets.at(ctx.desired.root)
    try:  # a credential that cannot be had fails for good: retrying cannot conjure a secret
        resolve_auth(registry.credentials, ctx.context.env, fleet_secrets)
    except RegistryError as exc:
        return ActionResult(Outcome.FAILED, ctx.redact(f"registry {reg_name!r}: {exc}"))
    with RegistryHttp() as http:
        facts = observe_registry(
            registry, reg_name, product.spec.language, package, ctx.context.env, http, secrets=fleet_secrets
        )
    if isinstance(facts, Unknown):
        return ActionResult(Outcome.FAILED, ctx.redact(facts.error), transient=True)
    if version_in(version, facts.versions):
        return ActionResult(Outcome.NOOP, f"{package} {version} is already in {reg_name}")
    secrets = registry_env(registry, fleet_secrets)
    with ctx.checkout(action.product, tag) as checkout, tempfile.TemporaryDirectory(dir=ctx.work_dir) as work:
        playbook = _playbook(action, ctx, registry, checkout.root)
        if not playbook.is_file():
            return ActionResult(Outcome.FAILED, f"playbook {playbook} not found")
        extravars = {
            "product_dir": str(checkout.product_dir),
            "work_dir": work,
            "package": package,
            "version": version,
            "registry_url": registry.url,
            "registry_name": reg_name,
        }
        evidence: dict[str, str] = {}
        dry_log = ""
        sink = ctx.output(action)  # the playbooks' lines as they come, headed as in the final log
        if AuditDuty.DRY_RUN in action.decision.audit:
            if sink:
                sink("[dry run, check mode]\n")
            proof = _dry_run(playbook, extravars, secrets, ctx, sink)
            if isinstance(proof, ActionResult):
                return proof
            evidence[str(AuditDuty.DRY_RUN)], dry_log = proof
            if sink:
                sink("[publish]\n")
        run = run_playbook(playbook, extravars, secrets, ctx.redact, ctx.tool_env(), on_line=sink)
    if dry_log:  # the journal keeps both runs: what the dry run verified, then what was done
        run = PlaybookRun(run.status, f"[dry run, check mode]\n{dry_log}\n[publish]\n{run.log}", run.stats)
    return _result(run, playbook, package, version, reg_name, registry.url, evidence)


def _result(
    run: PlaybookRun, playbook: Path, package: str, version: str, reg: str, url, evidence
) -> ActionResult:
    outputs = {"playbook": playbook.name}
    if not run.ok:
        message = f"publishing {package} {version} to {reg} ({url}) failed: {run.failure()}"
        return ActionResult(Outcome.FAILED, message, outputs, run.log)
    if not run.stats.get("changed"):
        message = f"{package} {version} already in {reg} with identical content"
        return ActionResult(Outcome.NOOP, message, outputs, run.log, evidence=evidence)
    message = f"published {package} {version} to {reg} with {playbook.name}"
    return ActionResult(Outcome.SUCCEEDED, message, {**outputs, "registry": reg}, run.log, evidence=evidence)
