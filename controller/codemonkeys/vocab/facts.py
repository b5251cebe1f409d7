"""Typed observation facts: what the observers found (stage 2: observe), the planner's only view of reality.

Each source's facts are either known (a model) or ``Unknown`` (the observer failed, with its message).
An unknown fact blocks only the actions that need it. Facts are plain data: they serialize to JSON
for the plan fingerprint and for golden plan cases, and parse back.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from codemonkeys.vocab.enums import Ecosystem


def _is_none(value: Any) -> bool:
    return value is None


def _is_empty(value: Any) -> bool:
    return not value


class FactModel(BaseModel):
    """Base of the fact models: unknown fields forbidden, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Unknown(FactModel):
    """An observer error. ``error`` says what failed (never a secret)."""

    unknown: Literal[True] = True
    error: str


class Bump(StrEnum):
    """The semver part a release bumps (``none``: nothing releasable)."""

    NONE = "none"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"


class Commit(FactModel):
    """One commit as conventional commits read it: type, scope, whether it is breaking, subject."""

    sha: str
    type: str | None = None  # conventional-commit type, None when the subject is not conventional
    scope: str | None = None
    breaking: bool = False
    subject: str


class Requirement(FactModel):
    """A dependency a manifest at HEAD declares on a fleet product's package, with its version range."""

    ecosystem: Ecosystem
    package: str  # normalized (PEP 503 for Python)
    range: str = ""  # as declared ("" or "*": any version)
    manifest: str = ""  # the manifest that declares it, relative to the product's path


class GitFacts(FactModel):
    """What the product's repo says: head, build commit, tags, commits since the last tag, next version."""

    head: str  # commit id of the branch head
    build_commit: str  # the newest commit CI should build (skips `[skip ci]` commits such as release commits)
    last_tag: str | None = None  # newest version tag reachable from head
    last_version: str | None = None
    tags: list[str] = Field(default_factory=list)  # every version tag in the repo (reachable or not)
    commits_since: list[Commit] = Field(default_factory=list)  # since last_tag (under source.path)
    bump: Bump = Bump.NONE
    next_version: str | None = None  # what release.cut would create (None: nothing releasable)
    file_version: str | None = None  # version written in the version file at head
    docs_inputs: str | None = None  # hash of the docs inputs (docs dir + mkdocs config) at head
    jenkinsfile: bool = True  # whether head has the product's Jenkinsfile (only Jenkins builds need it)
    api_fingerprint: str | None = None  # public API at head (the oracle's code graph), part of docs_inputs
    requires: list[Requirement] = Field(default_factory=list)  # manifests' requirements on fleet packages


class BuildStatus(StrEnum):
    """The CI result of a commit: success, failure, none recorded, or still running."""

    SUCCESS = "success"
    FAILURE = "failure"
    NONE = "none"  # no result recorded for this commit
    RUNNING = "running"  # a CI build of this commit is in progress


class HealStatus(StrEnum):
    """Where one heal attempt stands."""

    PROVING = "proving"  # its patch is committed on its branch; the branch build has no result yet
    GREEN = "green"  # the branch built green: heal.merge is next
    RED = "red"  # the branch built red: the branch was deleted
    INVALID = "invalid"  # no valid patch (none found, or it failed validation); nothing was built
    MERGED = "merged"  # the branch landed on the product's branch
    SUPERSEDED = "superseded"  # a newer commit replaced the red one before the merge: branch deleted
    CLOSED = "closed"  # its pull request was closed without merging by a person: branch deleted


class PullFacts(FactModel):
    """The pull request of a branch Code Monkeys proposed (pull-request mode), as its forge shows it now:
    ``state`` open | merged | closed, whether the forge would merge it now (``ready``) and if not why, and
    the constitution's names of the people whose approving review covers its head (``approvers``)."""

    forge: str
    number: int
    url: str = ""
    state: str
    head: str = ""
    proposed: str = ""  # the commit Code Monkeys pushed to its branch (a head that differs: pushed since)
    ready: bool = False
    why: str = ""
    approvers: list[str] = Field(default_factory=list)
    merge_commit: str | None = None


class ReleasePull(FactModel):
    """Pull-request mode of the release facet: the release pull request of ``release/<product>`` as the
    forge shows it (None: none on record), whether it is ``current`` (its head is the release commit Code
    Monkeys pushed, and the product's branch head is in it: nothing landed since it was cut) and the
    ``version`` that commit releases."""

    pull: PullFacts | Unknown | None = None
    current: bool = False
    version: str = ""  # the version its release commit's version file says


class HealAttempt(FactModel):
    """One heal attempt of the red commit: candidate, proving branch, result."""

    n: int
    strategy: str  # template | llm
    template: str | None = None
    branch: str | None = None
    commit: str | None = None  # the heal commit on the branch
    status: HealStatus
    lines: int = 0
    files: list[str] = Field(default_factory=list)
    reason: str = ""
    successes: int = 0  # the template's record when observed (0 and 0 for an LLM patch)
    failures: int = 0
    patch: str = ""  # the proven patch (kept for a green attempt: the merge shows it)
    # a green attempt's pull request (pull-request mode); left out when None (fingerprints stay as they were)
    pull: PullFacts | Unknown | None = Field(default=None, exclude_if=_is_none)


class HealCandidate(FactModel):
    """A fix template that fits the red build's failure and was not tried on this commit, best first."""

    template: str
    description: str = ""
    successes: int = 0
    failures: int = 0
    origin: str = ""  # "human fix in <product>" / "heal of <product>"
    new: bool = False  # learned after this commit's last attempt: earns an attempt even after maxAttempts


class LLMOutage(FactModel):
    """The heal LLM's server could not be used lately (down, timed out, 5xx, its model missing): nobody
    asks it again before ``retry_at`` (ISO 8601, UTC)."""

    endpoint: str
    since: str
    retry_at: str
    failures: int = 1
    error: str = ""


class HealFacts(FactModel):
    """What self-healing knows about a red build commit: its failure, the attempts, fitting templates."""

    signature: str | None = None  # fingerprint of the failure's top signature (None: not recognized)
    summary: str | None = None
    attempts: list[HealAttempt] = Field(default_factory=list)
    candidates: list[HealCandidate] = Field(default_factory=list)
    flaky: int = 0  # how often this failure flaked in this product (passed on a re-run): never healed
    # the red commit, set only on a green build whose history holds a proven heal of it not recorded as
    # merged (heal.merge was interrupted after its push): heal.merge finishes the bookkeeping
    commit: str | None = None
    # the LLM's server is out until a later try (left out otherwise): an LLM attempt waits for it
    llm_down: LLMOutage | None = Field(default=None, exclude_if=_is_none)


class BuildFacts(FactModel):
    """The CI result of the build commit, with its duration, finish time and build URL if any."""

    commit: str
    status: BuildStatus
    duration: float | None = None
    finished_at: str | None = None
    url: str | None = None  # the CI build, when the CI has pages
    heal: HealFacts | None = None  # a red build of a product that heals (or a green one: HealFacts.commit)


class RegistryFacts(FactModel):
    """The versions of the product's package a registry has."""

    versions: list[str] = Field(default_factory=list)


class SiteStamp(FactModel):
    """What one copy of a site was built from (its ``.codemonkeys-stamp.json``)."""

    commit: str | None = None
    inputs: str | None = None  # the docs inputs hash (None: a released version, built from its tag)
    version: str | None = None  # the version folder it was published as (versioned targets)


class DocsTargetFacts(FactModel):
    """What readers see on one ``docs.publish`` target, read back from the target itself.

    A branch: ``versions`` maps ``""`` to the stamp of an unversioned site, or each version folder of
    ``versions.json`` to its stamp (a listed folder without one: an empty stamp); ``aliases`` alias ->
    version; ``default`` where the root redirects. Web hosts: ``hosts`` each reachable host's current
    site (None: none), ``down`` each unreachable one with why."""

    versions: dict[str, SiteStamp] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)
    default: str | None = None
    head: str | None = None  # the branch's commit (a branch target)
    hosts: dict[str, SiteStamp | None] = Field(default_factory=dict)
    down: dict[str, str] = Field(default_factory=dict)
    pull: PullFacts | Unknown | None = None  # pull-request mode: the publish branch's pull request


class DocsFacts(FactModel):
    """What the previewed docs were built from (commit, docs inputs hash, API fingerprint), and what readers
    see on each publish target (an unreadable target is ``Unknown``)."""

    published_commit: str | None = None  # commit the preview was built from; None: never built
    published_inputs: str | None = None
    published_api: str | None = None  # the API fingerprint the preview was generated from
    targets: dict[str, DocsTargetFacts | Unknown] = Field(default_factory=dict)


class InfraFacts(FactModel):
    """A Terraform plan of the product's configuration at its HEAD against the product's state.

    No changes pending: the infra is applied. ``plan`` names the saved plan file the observation made
    (applied as is, never re-planned); ``drift`` the resources changed outside Terraform.
    ``outputs`` are the values Terraform would hold after the plan (sensitive ones as ``(sensitive)``).
    """

    commit: str  # the config commit (the product's HEAD)
    workspace: str = "default"
    adds: int = 0
    changes: int = 0
    destroys: int = 0
    replaces: int = 0
    addresses: list[str] = Field(default_factory=list)  # resources with a pending change
    drift: list[str] = Field(default_factory=list)  # resources changed outside Terraform
    outputs: dict[str, Any] = Field(default_factory=dict)
    plan: str | None = None  # the saved plan's id (None: nothing to apply)
    applied_commit: str | None = None  # the config commit of the last apply (store)

    @property
    def pending(self) -> int:
        """How many resource changes the plan holds."""
        return self.adds + self.changes + self.destroys + self.replaces


class AnnouncedFacts(FactModel):
    """What one announcement channel is known to carry: the versions recorded as announced there (the
    journal), plus a version a browser macro's ``verify`` found on the page (a post that landed before a
    crash)."""

    versions: list[str] = Field(default_factory=list)


class HostState(FactModel):
    """One deploy host as the probe found it: reachable or not, the version its ``current`` release is,
    and whether its health check passed (``detail``: the check's output, short, never a secret)."""

    host: str
    reachable: bool = True
    version: str | None = None  # None: nothing deployed (no ``current`` release)
    healthy: bool = False
    detail: str = ""


class EnvironmentFacts(FactModel):
    """One deploy environment: every host of its inventory, probed in one Ansible run; the secrets its
    vars name that cannot be resolved (names only)."""

    hosts: list[HostState] = Field(default_factory=list)
    secret_errors: list[str] = Field(default_factory=list)


class DeployFacts(FactModel):
    """Every deploy environment of the product, by name (an environment whose probe failed is Unknown)."""

    environments: dict[str, EnvironmentFacts | Unknown] = Field(default_factory=dict)


class ChangeStatus(StrEnum):
    """Where a cross-repo change proposal of one product stands (``cmctl fleet patch`` / ``exec``)."""

    PROPOSED = "proposed"  # recorded: change.propose commits it on its branch and builds it
    BUILDING = "building"  # committed on its branch; the branch build has no result yet
    GREEN = "green"  # the branch built green: change.merge is next
    RED = "red"  # the branch built red: the branch was deleted, the product's branch untouched
    MERGED = "merged"  # landed on the product's branch
    CONFLICT = "conflict"  # green, but it no longer merges into the product's branch: drop or re-propose
    DROPPED = "dropped"  # withdrawn by a person (cmctl fleet drop): its branch deleted, never merged


class ChangeProposal(FactModel):
    """One open change proposal of a product: the diff, where it came from and where it stands."""

    change: str  # the change id (one per `cmctl fleet patch` / `exec`, shared by its products)
    status: ChangeStatus
    branch: str
    base: str  # the product's branch head the diff was made on
    commit: str | None = None  # the change commit on the branch
    kind: str = "patch"  # patch | replace | exec | update
    selector: str = ""
    message: str = ""
    author: str = ""
    files: list[str] = Field(default_factory=list)
    lines: int = 0
    diff: str = ""
    reason: str = ""
    # pull-request mode: the proposal merges through a pull request (``via_pull``), and a green one's as the
    # forge shows it (``pull``); both left out otherwise (fingerprints stay as they were)
    via_pull: bool = Field(default=False, exclude_if=_is_empty)
    pull: PullFacts | Unknown | None = Field(default=None, exclude_if=_is_none)
    # kind update: what the manifest bump takes (``vocab.updates.Update.as_param``); left out otherwise
    update: dict | None = Field(default=None, exclude_if=_is_none)


class ProductFacts(FactModel):
    """Everything observed about one product. Keys of ``registries`` are Fleet registry names."""

    git: GitFacts | Unknown
    build: BuildFacts | Unknown | None = None
    docs: DocsFacts | Unknown | None = None
    registries: dict[str, RegistryFacts | Unknown] = Field(default_factory=dict)
    infra: InfraFacts | Unknown | None = None
    announce: dict[str, AnnouncedFacts | Unknown] = Field(default_factory=dict)  # channel name -> facts
    deploy: DeployFacts | Unknown | None = None
    # open change proposals (None: none observed); left out when None, so products without proposals
    # keep their fingerprints (a field-level rule: serializing stays in pydantic-core)
    change: list[ChangeProposal] | Unknown | None = Field(default=None, exclude_if=_is_none)
    # pull-request mode of a product that releases: its release pull request (left out otherwise)
    release_pull: ReleasePull | None = Field(default=None, exclude_if=_is_none)
    # the facts of facets that bring their own model (``FacetPlugin.facts_model``: the supply facet's), by
    # facet name, as the facet's observer returned them (or their JSON, read back); left out when empty
    facets: dict[str, Any] = Field(default_factory=dict, exclude_if=_is_empty)
