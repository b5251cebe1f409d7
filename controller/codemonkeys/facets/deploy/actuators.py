"""deploy.run/<environment>: roll the released version out to the environment's hosts with Ansible.

1. Resolve the secrets the environment's vars name (a missing one fails the action, naming it, before
   anything runs) and the release's artifact (a wheel in the product's ``file`` registry).
2. Probe every host (one run of ``deploy-probe.yml``): an unreachable host fails the action, naming it,
   and nothing changes. Hosts already healthy on the version are skipped; none left is a noop.
3. One run of the playbook (the environment's own, else ``deploy.yml``) over the remaining hosts,
   ``serial: batch`` with ``max_fail_percentage: 0``: each batch is installed, switched, restarted and
   health-checked before the next starts; the first unhealthy batch stops the play.
4. On a failure, every host the play touched (the failed batch and the finished ones) is switched back
   to the release it ran before (a host that ran nothing has its service stopped), and the action fails
   with the host and its health output.

Secret settings reach the hosts only through a mode-600 extravars file removed after the run and a
``no_log`` task; every line of output is redacted. A failure leaves the hosts on their previous
release (rolled back) or, if the rollback itself failed, says so with the hosts concerned; installed
release directories stay (a later deploy of that version reuses them).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.hosts.environment import (
    DEPLOY_PLAYBOOK,
    PROBE_PLAYBOOK,
    find_artifact,
    health_vars,
    module_name,
    playbook,
    settings,
)
from codemonkeys.hosts.inventory import InventoryError, applied_outputs, resolve
from codemonkeys.hosts.probe import parse_probe
from codemonkeys.hosts.runner import HostsRun, run_hosts_playbook
from codemonkeys.kinds.models import RegistryType
from codemonkeys.vocab.facts import HostState
from codemonkeys.vocab.plan import Action

LAST_TASK = "Verify health"


def _fail(message: str, outputs: dict[str, Any] | None = None, log: str = "") -> ActionResult:
    return ActionResult(Outcome.FAILED, message, outputs or {}, log)


def _artifact(action: Action, ctx: ActContext, version: str):
    """The wheel of ``version`` in the first ``file`` registry the product publishes to, or why not."""
    product = ctx.desired.products[action.product]
    for pub in product.spec.release.publish:
        registry = ctx.desired.fleet.spec.registries.get(pub.registry)
        if registry is not None and registry.type is RegistryType.FILE:
            found = find_artifact(ctx.desired.registry_path(pub.registry), product, pub.package, version)
            if found is not None:
                return found
    return f"no wheel of {action.product} {version} in a file registry of release.publish"


class _Run:
    """One deploy.run: the environment, its inventory and the variables every playbook run gets."""

    def __init__(self, action: Action, ctx: ActContext):
        self.action, self.ctx = action, ctx
        self.product = ctx.desired.products[action.product]
        self.env = self.product.spec.deploy.environment(action.params["environment"])
        self.version = action.params["version"]
        self.logs: list[str] = []
        self.sink = ctx.output(action)

    def base_vars(self) -> dict[str, Any]:
        hc = self.env.health_check
        return {
            "cm_product": self.action.product,
            "cm_health": health_vars(self.env),
            "cm_retries": hc.retries,
            "cm_delay": hc.delay,
            "cm_module": module_name(self.product, self.action.product),
        }

    def play(self, book, inventory, extravars, secret, limit, header: str) -> HostsRun:
        """Run one playbook, its redacted log kept (and streamed) under ``header``."""
        self.logs.append(f"[{header}]\n")
        if self.sink:
            self.sink(f"[{header}]\n")
        run = run_hosts_playbook(
            book,
            inventory,
            extravars,
            secret,
            self.ctx.tool_env(),
            self.ctx.redact,
            limit=limit,
            last_task=LAST_TASK if book.name != PROBE_PLAYBOOK else "Report the probe",
            on_line=self.sink,
        )
        self.logs.append(run.log)
        return run

    @property
    def log(self) -> str:
        return self.ctx.redact("".join(self.logs))


def deploy_run(action: Action, ctx: ActContext) -> ActionResult:
    """deploy.run/<environment> (see the module docstring for what a failure leaves). Its message,
    outputs and log are redacted: a failure quotes health output, which may echo a setting."""
    res = _deploy_run(action, ctx)
    return dataclasses.replace(
        res, message=ctx.redact(res.message), outputs=ctx.redact.data(res.outputs), log=ctx.redact(res.log)
    )


def _deploy_run(action: Action, ctx: ActContext) -> ActionResult:
    r = _Run(action, ctx)
    env, version = r.env, r.version
    s = settings(env, ctx.context.secrets.provider(ctx.desired.root))
    if s.errors:
        return _fail(f"deploy of {version} to {env.name}: " + "; ".join(s.errors))
    artifact = _artifact(action, ctx, version)
    if isinstance(artifact, str):
        return _fail(f"deploy of {version} to {env.name}: {artifact}")
    try:
        outputs = applied_outputs(ctx.desired, ctx.store, action.product)
        inv = resolve(
            env, ctx.desired.root, outputs, ctx.desired.state_dir.resolve() / "deploy" / action.product
        )
    except InventoryError as exc:
        return _fail(f"deploy of {version} to {env.name}: {exc}")
    probe = r.play(ctx.context.resources.ansible / PROBE_PLAYBOOK, inv.path, r.base_vars(), {}, None, "probe")
    states = parse_probe(inv.hosts, probe.hosts)
    down = [h for h in states if not h.reachable]
    if down:
        names = ", ".join(f"{h.host} ({h.detail})" for h in down)
        return _fail(f"deploy of {version} to {env.name}: unreachable: {names}; nothing changed", {}, r.log)
    pending = [h for h in states if not (h.version == version and h.healthy)]
    if not pending:
        return ActionResult(Outcome.NOOP, f"{version} already healthy on {', '.join(inv.hosts)}", {}, r.log)
    book = playbook(env, ctx.desired.root, ctx.context.resources.ansible, DEPLOY_PLAYBOOK)
    batch = int(action.params.get("batch") or 1)
    extravars = {
        **r.base_vars(),
        "cm_version": version,
        "cm_artifact": str(artifact),
        "cm_batch": batch,
        "cm_settings": s.plain,
        "cm_action": "deploy",
    }
    limit = [h.host for h in pending]
    secret = {"cm_secret_settings": s.secret} if s.secret else {}
    run = r.play(book, inv.path, extravars, secret, limit, f"deploy {version}, batches of {batch}")
    if run.ok:
        changed = sorted(h for h, res in run.hosts.items() if res.changed)
        outputs = {"environment": env.name, "version": version, "hosts": limit, "changed": changed}
        message = f"deployed {version} to {env.name}: {', '.join(limit)} healthy (batches of {batch})"
        return ActionResult(Outcome.SUCCEEDED, message, outputs, r.log)
    return _roll_back(r, inv.path, states, run, extravars, secret)


def _roll_back(r: _Run, inventory, states: list[HostState], run: HostsRun, extravars, secret) -> ActionResult:
    """Switch every host the failed play touched back to its previous release; fail naming the host."""
    failed = {
        h: res.failed or res.unreachable for h, res in run.hosts.items() if res.failed or res.unreachable
    }
    touched = [h.host for h in states if h.host in run.hosts]
    by_previous: dict[str | None, list[str]] = defaultdict(list)
    for h in states:
        if h.host in touched:
            by_previous[h.version if h.version != r.version else None].append(h.host)
    rollback_failed: list[str] = []
    for previous, hosts in sorted(by_previous.items(), key=lambda kv: kv[0] or ""):
        back = {**extravars, "cm_batch": len(hosts)}
        back |= {"cm_version": previous, "cm_action": "rollback"} if previous else {"cm_action": "stop"}
        what = f"roll back {', '.join(hosts)} to {previous}" if previous else f"stop {', '.join(hosts)}"
        res = r.play(_book(r), inventory, back, secret, hosts, what)
        if not res.ok:
            rollback_failed += hosts
    host, why = next(iter(sorted(failed.items()))) if failed else ("?", run.log.strip()[-300:])
    restored = ", ".join(
        f"{', '.join(hs)} -> {p}" if p else f"{', '.join(hs)} stopped (nothing ran before)"
        for p, hs in by_previous.items()
    )
    message = f"deploy of {r.version} to {r.env.name} failed on {host}: {why}; rolled back: {restored}"
    if rollback_failed:
        message += f"; the rollback FAILED on {', '.join(rollback_failed)}"
    outputs = {
        "environment": r.env.name,
        "version": r.version,
        "failed": sorted(failed),
        "rolled_back": touched,
    }
    return _fail(r.ctx.redact(message), outputs, r.log)


def _book(r: _Run):
    return playbook(r.env, r.ctx.desired.root, r.ctx.context.resources.ansible, DEPLOY_PLAYBOOK)
