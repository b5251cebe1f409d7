"""Forges: where product repositories are hosted and people work (GitHub, GitLab, Gitea / Forgejo).

``forge_for(desired, product, secrets)`` gives the client of the product's forge (``spec.git.forge``, the
product's own or the fleet's) with its token resolved, or None when the product has none. Today a
client posts commit statuses (``post_status``): the result of every ``build.run`` appears where
developers look, with a link to the action's page on the dashboard. The clients are the forges' own
well-kept libraries where they exist (PyGithub, python-gitlab: the ``[forges]`` extra, imported on
first use) and the REST API over httpx for Gitea.
"""

from __future__ import annotations

from codemonkeys.forges.base import ForgeClient, ForgeError, StatusState, forge_config, forge_for, repo_path

__all__ = ["ForgeClient", "ForgeError", "StatusState", "forge_config", "forge_for", "repo_path"]
