"""Build facet observer: the CI result of the product's build commit, from the local runner's records
or from Jenkins (one request per Jenkins folder per run, shared by the folder's products); a red build
of a product that heals carries its heal facts (``facets/heal/observer.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codemonkeys.ci import local
from codemonkeys.facets.heal.observer import with_heal
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.facts import BuildFacts, GitFacts, Unknown

if TYPE_CHECKING:
    from codemonkeys.observe import Observer


def observe_build(run: Observer, name: str, git: GitFacts | Unknown) -> BuildFacts | Unknown:
    """The build facts of ``name``'s build commit (``Unknown`` when the commit is)."""
    if isinstance(git, Unknown):
        return Unknown(error="build: unknown because the commit to check is unknown")
    if run.desired.ci_kind(name) is CIKind.JENKINS:
        facts = _observe_jenkins(run, name, git.build_commit)
    else:
        facts = _local(run, name, git.build_commit)
    return facts if isinstance(facts, Unknown) else with_heal(run, name, facts)


def _local(run: Observer, name: str, commit: str) -> BuildFacts:
    """The local runner's result: read for every product of the run whose git is known in one query
    (``Observer.gits``), or alone for a product observed after it."""

    def every() -> dict[str, BuildFacts]:
        commits = {
            n: g.build_commit
            for n, g in dict(run.gits).items()  # a copy: a product observed on its own may add to it
            if not isinstance(g, Unknown) and run.desired.ci_kinds.get(n) is not CIKind.JENKINS
        }
        return local.results(run.store, commits)

    known = run.once("local-builds", every).get(name)
    return known if known is not None and known.commit == commit else local.result(run.store, name, commit)


def _observe_jenkins(run: Observer, name: str, commit: str) -> BuildFacts | Unknown:
    from codemonkeys.ci.jenkins import JenkinsError, build_facts, connect, folder_builds, job_name

    job = job_name(run.desired.products[name])
    folder, _, leaf = job.rpartition("/")

    def listing() -> dict:
        company = run.desired.products[name].metadata.company  # its own Jenkins credentials, if any
        conn = run.once(("jenkins", company), lambda: connect(run.desired, run.context.secrets, product=name))
        return folder_builds(conn, folder)

    try:
        builds = run.once(("jenkins-folder", folder), listing)
    except JenkinsError as exc:
        return Unknown(error=f"build: {exc}")
    return build_facts(builds.get(leaf), commit)
