"""Docs facet observer: what the preview was built from (its stamp under the state dir), and what readers
see on each publish target, read back from the target: a branch of the product's repository (from the
mirror the run fetched), web hosts (one Ansible run of ``docs-probe.yml`` reading each host's
``current/`` stamp). An unreadable preview is ``Unknown``; an unreadable target is ``Unknown`` for that
target alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codemonkeys.act.pulls import observe as observe_pull
from codemonkeys.act.pulls import pull_requests
from codemonkeys.docsite import publish_branch, published_docs, read_branch, site_stamp
from codemonkeys.gitrev import GitError
from codemonkeys.kinds.models import DocsBranchTarget, DocsSshTarget
from codemonkeys.repos import Mirror
from codemonkeys.vocab.facts import DocsFacts, DocsTargetFacts, GitFacts, Unknown

if TYPE_CHECKING:
    from codemonkeys.observe import Observer

PROBE_PLAYBOOK = "docs-probe.yml"


def probe_hosts(run, name: str, target: DocsSshTarget, outputs) -> DocsTargetFacts | Unknown:
    """Each host's ``current/`` stamp under ``target.path`` (one Ansible run over the inventory)."""
    from codemonkeys.hosts.inventory import InventoryError, resolve
    from codemonkeys.hosts.runner import run_hosts_playbook

    scratch = run.state_dir.resolve() / "docs-hosts" / name
    try:
        inv = resolve(target, run.desired.root, outputs, scratch)
    except InventoryError as exc:
        return Unknown(error=f"docs: {target.key}: {exc}")
    if not inv.hosts:
        return DocsTargetFacts()
    result = run_hosts_playbook(
        run.context.resources.ansible / PROBE_PLAYBOOK,
        inv.path,
        {"cm_path": target.path},
        {},
        run.context.tool_env(),
        lambda text: text,  # no secret reaches the probe: nothing to mask
        last_task="Report the site",
    )
    if not result.hosts:
        return Unknown(error=f"docs: {target.key}: the probe did not run: {result.log.strip()[-300:]}")
    return hosts_facts(inv.hosts, result.hosts)


def hosts_facts(hosts, results) -> DocsTargetFacts:
    """Pure: a probe run's per-host results -> each reachable host's stamp, each unreachable one's cause."""
    found, down = {}, {}
    for host in hosts:
        r = results.get(host)
        if r is None or r.unreachable is not None or r.failed is not None:
            down[host] = ((r.unreachable or r.failed) if r else "no result")[:300]
            continue
        text = r.reported.get("cm_docs_stamp") or ""
        try:
            found[host] = site_stamp(text)
        except ValueError:
            found[host] = None  # a stamp that is not one: the host does not show our site
    return DocsTargetFacts(hosts=found, down=down)


def observe_docs_facet(run: Observer, name: str, git: GitFacts | Unknown) -> DocsFacts | Unknown:
    """The preview of ``name`` and each publish target; an unreadable preview stamp is ``Unknown``."""
    try:
        preview = published_docs(run.state_dir, name)
    except (OSError, ValueError) as exc:
        return Unknown(error=f"docs: cannot read the published stamp: {exc}")
    docs = run.desired.products[name].spec.docs
    if docs is None or not docs.publish:
        return preview
    targets: dict[str, DocsTargetFacts | Unknown] = {}
    branches = [t for t in docs.publish if isinstance(t, DocsBranchTarget)]
    if branches and not isinstance(git, Unknown):
        by_pull = pull_requests(run.desired, name)
        with Mirror(run.mirror(name)) as repo:
            for t in branches:
                try:
                    found = read_branch(repo, t)
                except (GitError, ValueError) as exc:
                    targets[t.key] = Unknown(error=f"docs: {t.key}: cannot read branch {t.branch}: {exc}")
                    continue
                if by_pull:  # the pull request of the publish branch, as the forge shows it
                    pull = observe_pull(run.desired, run.store, run.context.secrets, name, publish_branch(t))
                    found = found.model_copy(update={"pull": pull})
                targets[t.key] = found
    hosts = [t for t in docs.publish if isinstance(t, DocsSshTarget)]
    if hosts:
        from codemonkeys.hosts.inventory import applied_outputs

        outputs = applied_outputs(run.desired, run.store, name)
        for t in hosts:
            targets[t.key] = probe_hosts(run, name, t, outputs)
    return preview.model_copy(update={"targets": targets})
