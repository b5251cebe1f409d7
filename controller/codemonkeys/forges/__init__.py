"""Forges: where product repositories are hosted and people work (GitHub, GitLab, Gitea / Forgejo).

``forge_for(desired, product, secrets)`` gives the client of the product's forge (``spec.git.forge``, the
product's own or the fleet's) with its token resolved, or None when the product has none;
``fleet_forge`` the fleet repository's. A client posts commit statuses (``post_status``: the result of
every ``build.run`` appears where developers look, with a link to the action's page on the dashboard),
keeps one comment current on a pull request (``upsert_comment``: the plan of a fleet pull request,
as Atlantis comments it), and in ``pull-request`` mode (``git_mode``) opens, reads, merges and closes the
pull requests of heals and changes (``open_pull``, ``pull``, ``merge_pull``, ``close_pull``: see
``act/pulls.py``). The clients are the forges' own well-kept libraries where they exist (PyGithub,
python-gitlab: the ``[forges]`` extra, imported on first use) and the REST API over httpx for Gitea.
"""

from __future__ import annotations

from codemonkeys.forges.base import (
    ForgeClient,
    ForgeError,
    ForgeRefused,
    PullInfo,
    PullState,
    StatusState,
    fleet_forge,
    forge_config,
    forge_for,
    git_mode,
    repo_path,
)

__all__ = [
    "ForgeClient",
    "ForgeError",
    "ForgeRefused",
    "PullInfo",
    "PullState",
    "StatusState",
    "fleet_forge",
    "forge_config",
    "forge_for",
    "git_mode",
    "repo_path",
]
