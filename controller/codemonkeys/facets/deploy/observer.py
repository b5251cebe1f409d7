"""The deploy facet's observer: per environment, one Ansible run of ``deploy-probe.yml`` over its
inventory (every host at once): the version each host's ``current`` release is and one try of its
health check. Secrets the environment's vars name are resolved so that one that cannot be resolved shows
in the facts by name; their values only mask the probe's output (a health body may echo a setting), which
becomes facts, plans and logs. A probe that cannot run is an ``Unknown`` for that environment.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from codemonkeys.hosts.environment import PROBE_PLAYBOOK, health_vars, settings
from codemonkeys.hosts.inventory import InventoryError, applied_outputs, resolve
from codemonkeys.hosts.probe import parse_probe
from codemonkeys.hosts.runner import run_hosts_playbook
from codemonkeys.secrets import masker
from codemonkeys.vocab.facts import DeployFacts, EnvironmentFacts, GitFacts, Unknown


def observe_environment(
    run, name: str, env, provider, outputs, fleet_secrets: tuple[str, ...] = ()
) -> EnvironmentFacts | Unknown:
    """Probe one environment (one Ansible run); ``fleet_secrets``: more values to mask."""
    scratch = run.state_dir.resolve() / "deploy" / name
    try:
        inv = resolve(env, run.desired.root, outputs, scratch)
    except InventoryError as exc:
        return Unknown(error=f"deploy: {env.name}: {exc}")
    s = settings(env, provider)
    if not inv.hosts:
        return EnvironmentFacts(hosts=[], secret_errors=s.errors)
    mask = masker([*s.secret.values(), *fleet_secrets])
    result = run_hosts_playbook(
        run.context.resources.ansible / PROBE_PLAYBOOK,
        inv.path,
        {"cm_product": name, "cm_health": health_vars(env)},
        {},
        run.context.tool_env(),
        mask,
        last_task="Report the probe",
    )
    if not result.hosts:
        return Unknown(error=f"deploy: {env.name}: the probe did not run: {mask(result.log.strip()[-300:])}")
    hosts = [h.model_copy(update={"detail": mask(h.detail)}) for h in parse_probe(inv.hosts, result.hosts)]
    return EnvironmentFacts(hosts=hosts, secret_errors=s.errors)


def observe_deploy(run, name: str, git: GitFacts | Unknown) -> DeployFacts | Unknown:
    """Every environment of ``name``, probed (the environments' runs at once, hosts in parallel)."""
    product = run.desired.products[name]
    assert product.spec.deploy is not None
    provider = run.context.secrets.provider(run.desired.root)
    outputs = applied_outputs(run.desired, run.store, name)
    envs = product.spec.deploy.environments
    secrets = tuple(provider.values(sorted({n for e in envs for n in e.secret_refs()})))
    with ThreadPoolExecutor(max_workers=len(envs)) as pool:  # one Ansible run each, at once
        found = list(
            pool.map(lambda env: observe_environment(run, name, env, provider, outputs, secrets), envs)
        )
    return DeployFacts(environments={env.name: facts for env, facts in zip(envs, found, strict=True)})
