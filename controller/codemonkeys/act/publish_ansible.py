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
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.context import Resources, Secrets
from codemonkeys.kinds.models import Registry, RegistryType
from codemonkeys.registries import observe_registry
from codemonkeys.registries.http import RegistryHttp
from codemonkeys.repos import Mirror
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


def playbook_dir(resources: Resources) -> Path:
    """Where the publishing playbooks live."""
    return resources.ansible


def registry_env(registry: Registry, secrets: Secrets) -> dict[str, str]:
    """The credentials a playbook reads, from the environment variables the Fleet names."""
    creds = registry.credentials
    out: dict[str, str] = {}
    if creds is None:
        return out
    for env_name, var in (
        (creds.username_env, "CM_REGISTRY_USERNAME"),
        (creds.password_env, "CM_REGISTRY_PASSWORD"),
        (creds.token_env, "CM_REGISTRY_TOKEN"),
    ):
        if value := secrets.get(env_name):
            out[var] = value
    return out


def run_playbook(
    playbook: Path,
    extravars: dict[str, Any],
    secrets: dict[str, str],
    redact,
    tool_env: Mapping[str, str],
    check: bool = False,
) -> tuple[str, str, dict[str, Any]]:
    """Run one playbook on localhost. Returns (status, redacted log, stats)."""
    try:
        import ansible_runner  # the [ship] extra: imported only when a playbook runs
    except ImportError:
        return "failed", "publishing to this registry needs the [ship] extra (ansible-runner)", {}

    lines: list[str] = []

    def on_event(event: dict[str, Any]) -> bool:
        text = _ANSI.sub("", event.get("stdout") or "")
        if text.strip():
            lines.append(redact(text))
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
        return result.status, "\n".join(lines), result.stats or {}


def publish_with_ansible(action: Action, ctx: ActContext) -> ActionResult:
    """release.publish to a pypi/npm/crates/oci registry with its playbook (see the module docstring)."""

    name = action.product
    product = ctx.desired.products[name]
    reg_name, package, version, tag = (action.params[k] for k in ("registry", "package", "version", "tag"))
    registry = ctx.desired.fleet.spec.registries[reg_name]
    secrets = registry_env(registry, ctx.context.secrets)
    with RegistryHttp() as http:
        facts = observe_registry(registry, reg_name, product.spec.language, package, ctx.context.env, http)
    if isinstance(facts, Unknown):
        return ActionResult(Outcome.FAILED, ctx.redact(facts.error), transient=True)
    if version_in(version, facts.versions):
        return ActionResult(Outcome.NOOP, f"{package} {version} is already in {reg_name}")

    override = next((p.playbook for p in product.spec.release.publish if p.registry == reg_name), None)
    with (
        Mirror(ctx.mirror(name)) as repo,
        repo.worktree(tag, ctx.work_dir) as checkout,
        tempfile.TemporaryDirectory(dir=ctx.work_dir) as work,
    ):
        tree = checkout.path
        cwd = tree / product.spec.source.path if product.spec.source.path else tree
        if override and override.startswith("repo:"):
            playbook = tree / override.removeprefix("repo:")
        elif override:
            playbook = ctx.desired.root / override
        else:
            playbook = playbook_dir(ctx.context.resources) / PLAYBOOKS[registry.type]
        if not playbook.is_file():
            return ActionResult(Outcome.FAILED, f"playbook {playbook} not found")
        extravars = {
            "product_dir": str(cwd),
            "work_dir": work,
            "package": package,
            "version": version,
            "registry_url": registry.url,
            "registry_name": reg_name,
        }
        status, log, stats = run_playbook(playbook, extravars, secrets, ctx.redact, ctx.tool_env())
    changed = bool(stats.get("changed"))
    if status != "successful":
        failed = [line for line in log.splitlines() if line.startswith(("fatal:", "failed:"))]
        detail = failed[-1] if failed else (log.strip().splitlines() or [status])[-1]
        return ActionResult(
            Outcome.FAILED,
            f"publishing {package} {version} to {reg_name} ({registry.url}) failed: {detail[:400]}",
            {"playbook": playbook.name},
            log,
        )
    evidence = {"dry-run": f"{playbook.name} verified the artifact against {reg_name}"}
    if not changed:
        return ActionResult(
            Outcome.NOOP,
            f"{package} {version} already in {reg_name} with identical content",
            {"playbook": playbook.name},
            log,
            evidence=evidence,
        )
    return ActionResult(
        Outcome.SUCCEEDED,
        f"published {package} {version} to {reg_name} with {playbook.name}",
        {"playbook": playbook.name, "registry": reg_name},
        log,
        evidence=evidence,
    )
