"""What every forge client does, and which forge, token and mode a product uses (``forge_for``,
``git_mode``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from codemonkeys.kinds.credentials import credentials_for
from codemonkeys.kinds.models import Forge, ForgeType, GitMode

if TYPE_CHECKING:
    from codemonkeys.context import Secrets
    from codemonkeys.kinds.loader import DesiredState

TIMEOUT_S = 15.0


class ForgeError(Exception):
    """A forge refused or could not be reached; the message names the forge and never holds a token."""


class ForgeRefused(ForgeError):
    """The forge answered and will not do it now (a merge blocked by reviews, checks or a conflict)."""


class StatusState(StrEnum):
    """A commit status as Code Monkeys says it; each client maps it to its forge's words."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILURE = "failure"
    ERROR = "error"


class PullState(StrEnum):
    """Where a pull request stands on its forge."""

    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"  # closed without merging


@dataclass(frozen=True)
class PullInfo:
    """A pull request as its forge shows it now: number, web address, state, head commit, the merge
    commit once merged, whether the forge would merge it now (``ready``) and if not why (``why``, in
    the forge's words), and the logins with an approving review of the current head (``approved_by``)."""

    number: int
    url: str
    state: PullState
    head: str
    merge_commit: str | None = None
    ready: bool = False
    why: str = ""
    approved_by: tuple[str, ...] = ()


class ForgeClient(Protocol):
    """One product's repository on its forge."""

    kind: ForgeType
    repo: str

    def post_status(
        self, sha: str, state: StatusState, context: str, description: str, target_url: str | None
    ) -> None:
        """Post a commit status on ``sha`` (``ForgeError`` when the forge refuses)."""
        ...

    def upsert_comment(self, number: int, marker: str, body: str) -> str:
        """Keep one comment on pull request ``number``: the one that starts with ``marker`` is edited to
        ``marker`` + ``body`` (``updated``; ``unchanged`` when it says that already), else one is made
        (``created``). ``ForgeError`` when the forge refuses."""
        ...

    def open_pull(self, head: str, base: str, title: str, body: str, labels: list[str]) -> PullInfo:
        """The open pull request of branch ``head`` into ``base``: the existing one (its title and body
        edited when they differ: updated, never duplicated), else a new one with ``labels``."""
        ...

    def pull(self, number: int) -> PullInfo:
        """Pull request ``number`` as the forge shows it now (``ForgeError`` when it cannot be read)."""
        ...

    def merge_pull(self, number: int, sha: str, method: str, title: str) -> str:
        """Merge pull request ``number`` at head ``sha`` (merge | squash | rebase); returns the commit
        now at the top of its base. ``ForgeRefused`` (with the forge's reason) when it will not."""
        ...

    def close_pull(self, number: int) -> None:
        """Close pull request ``number`` without merging it."""
        ...


_SCP = re.compile(r"^[\w.-]+@[\w.-]+:")  # git@host:owner/name.git


def repo_path(url: str, kind: ForgeType) -> str | None:
    """The repository's path on the forge from its Git URL: ``owner/name`` for GitHub and Gitea (the last
    two parts), the whole project path for GitLab (groups nest); None for a local path."""
    if "://" in url:
        rest = url.split("://", 1)[1]
        path = rest.split("/", 1)[1] if "/" in rest else ""
    elif _SCP.match(url):
        path = url.split(":", 1)[1]
    else:
        return None
    parts = [p for p in path.strip("/").removesuffix(".git").split("/") if p]
    if len(parts) < 2:
        return None
    return "/".join(parts) if kind is ForgeType.GITLAB else "/".join(parts[-2:])


def forge_config(desired: DesiredState, product: str) -> Forge | None:
    """The forge ``product`` uses: its own ``spec.git.forge`` (a company's defaults may set it), else the
    fleet's ``spec.git.forge``; None for neither."""
    spec = desired.products[product].spec
    if spec.git is not None and spec.git.forge is not None:
        return spec.git.forge
    return desired.fleet.spec.git.forge


def git_mode(desired: DesiredState, product: str) -> GitMode:
    """How ``product``'s changes land: its own ``spec.git.mode``, else the fleet's (default push). Pull
    requests need a forge: without one the mode is push."""
    spec = desired.products[product].spec
    mode = spec.git.mode if spec.git is not None else None
    mode = mode or desired.fleet.spec.git.mode
    return mode if forge_config(desired, product) is not None else GitMode.PUSH


@dataclass(frozen=True)
class _Where:
    forge: Forge
    repo: str
    token: str


def _token(desired: DesiredState, product: str | None, forge: Forge, secrets: Secrets, who: str) -> str:
    creds = forge.credentials or credentials_for(desired, product, "git")
    refs = secrets.at(desired.root)
    token = None
    if creds is not None:
        token = refs.credential(creds.token_env, creds.token, f"{who}: the {forge.type} token")
        token = token or refs.credential(creds.password_env, creds.password, f"{who}: the forge token")
    if not token:
        raise ForgeError(
            f"{who}: no token for the {forge.type} forge (spec.git.forge.credentials.token, or the "
            "token of the Git credentials)"
        )
    return token


def _where(desired: DesiredState, product: str, secrets: Secrets) -> _Where | None:
    forge = forge_config(desired, product)
    if forge is None:
        return None
    repo = forge.repo or repo_path(desired.repo_location(product), forge.type)
    if not repo:
        raise ForgeError(
            f"{product}: the {forge.type} forge needs spec.git.forge.repo (owner/name): "
            "its source is not a URL to take it from"
        )
    return _Where(forge, repo, _token(desired, product, forge, secrets, product))


def forge_for(desired: DesiredState, product: str, secrets: Secrets) -> ForgeClient | None:
    """The client of ``product``'s forge, None when it has none; ``ForgeError`` when one is set but its
    repository or token cannot be had (the message names what is missing, never a value)."""
    return _client(_where(desired, product, secrets))


def fleet_forge(desired: DesiredState, url: str | None, secrets: Secrets) -> ForgeClient | None:
    """The client of the fleet repository on the fleet's forge (``spec.git.forge``; the repository is its
    ``fleetRepo``, else taken from ``url``, where the fleet is followed from), None without a forge."""
    forge = desired.fleet.spec.git.forge
    if forge is None:
        return None
    repo = forge.fleet_repo or (repo_path(url, forge.type) if url else None)
    if not repo:
        raise ForgeError(
            f"the fleet repository: the {forge.type} forge needs spec.git.forge.fleetRepo (owner/name)"
        )
    return _client(_Where(forge, repo, _token(desired, None, forge, secrets, "the fleet repository")))


def _client(where: _Where | None) -> ForgeClient | None:
    if where is None:
        return None
    if where.forge.type is ForgeType.GITHUB:
        from codemonkeys.forges.github import GitHubClient

        return GitHubClient(where.forge.url, where.repo, where.token)
    if where.forge.type is ForgeType.GITLAB:
        from codemonkeys.forges.gitlab import GitLabClient

        return GitLabClient(where.forge.url, where.repo, where.token)
    from codemonkeys.forges.gitea import GiteaClient

    return GiteaClient(where.forge.url, where.repo, where.token)
