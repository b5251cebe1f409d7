"""Docs readers can open (issue 39), on the demo's ``acme-text`` with real git (web hosts and the preview:
test_e2e_docs_hosts.py):

* a versioned ``gh-pages`` branch of the product's repository, read back with ``git show``: HEAD's docs as
  ``dev``, the released version built from its tag, ``versions.json``, the ``latest`` alias and the root
  redirect as ``mike`` lays them out; someone's push over the branch is drift and is repaired without
  touching the released folder; a ``kill -9`` between the publish commit and its push converges with one
  commit on the branch;
* pull-request mode: a protected ``gh-pages`` on the (protocol-faithful) GitHub server gets the docs through
  a pull request the forge merges once its review is in, never by a push.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import cmctl
from servers.forges import ForgeServer
from test_e2e_engine import commit

pytestmark = pytest.mark.slow
PRODUCT = "acme-text"


def publish_to(ws: Workspace, targets: str) -> None:
    """Give acme-text the docs.publish ``targets`` (a YAML flow list) and commit the fleet."""
    path = ws.fleet / "products" / "acme" / f"{PRODUCT}.yaml"
    text = path.read_text().replace("spec:\n", f"spec:\n  docs:\n    publish: {targets}\n", 1)
    commit(ws.fleet, {str(path.relative_to(ws.fleet)): text}, "docs: publish acme-text")


def apply(ws: Workspace) -> subprocess.CompletedProcess:
    r = cmctl("apply", "--fleet", str(ws.fleet), "--auto-approve", "-p", PRODUCT)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def docs_plan(ws: Workspace) -> tuple[dict, list[dict]]:
    r = cmctl("plan", "--json", "--fleet", str(ws.fleet), "-p", PRODUCT)
    assert r.returncode in (0, 2), r.stderr
    doc = json.loads(r.stdout)
    actions = [a for a in doc["actions"] if a["kind"].startswith("docs.")]
    return doc["products"][PRODUCT]["facets"]["docs"], actions


def show(repo: Path, spec: str) -> str:
    return git(["show", spec], repo)


def test_versioned_branch_follows_head_and_releases_and_survives_kill_9(workspace: Workspace):
    ws, repo = workspace, workspace.repos / PRODUCT
    publish_to(ws, "[{type: git-branch, versions: true, url: 'https://acme.example/text/'}]")
    apply(ws)  # build, docs.build, docs.publish (dev), release.cut, release.publish
    apply(ws)  # the release is observed now: its docs, built from the tag, and the alias
    # the demo's acme-text was at 0.1.0: the first apply published its docs, then cut 0.2.0; the second
    # published 0.2.0's and moved the alias; the branch keeps the older version
    version = git(["describe", "--tags", "--abbrev=0", "main"], repo).removeprefix("v")
    assert version == "0.2.0"
    entries = json.loads(show(repo, "gh-pages:versions.json"))
    assert entries == [
        {"version": "dev", "title": "dev", "aliases": []},
        {"version": "0.2.0", "title": "0.2.0", "aliases": ["latest"]},
        {"version": "0.1.0", "title": "0.1.0", "aliases": []},
    ]
    tag_commit = git(["rev-parse", f"v{version}^{{commit}}"], repo)
    stamp = json.loads(show(repo, f"gh-pages:{version}/.codemonkeys-stamp.json"))
    assert stamp["commit"] == tag_commit and stamp["version"] == version
    dev = json.loads(show(repo, "gh-pages:dev/.codemonkeys-stamp.json"))
    # dev: built from the newest commit with main's docs inputs (the release commit changed none of them)
    assert dev["version"] == "dev" and git(["rev-parse", f"{dev['commit']}:docs"], repo) == git(
        ["rev-parse", "main:docs"], repo
    )
    assert "acme" in show(repo, f"gh-pages:{version}/index.html").lower()
    assert f'url=../{version}/index.html"' in show(repo, "gh-pages:latest/index.html")
    assert 'url=latest/"' in show(repo, "gh-pages:index.html")
    assert show(repo, "gh-pages:.nojekyll") == ""
    facet, actions = docs_plan(ws)
    assert facet["state"] == "in_sync" and actions == [], (facet, actions)

    # someone pushes over the branch: dev/ is gone -> drift; the publish restores dev alone
    released_tree = git(["rev-parse", f"gh-pages:{version}"], repo)
    git(["worktree", "add", "-q", str(ws.root / "pages"), "gh-pages"], repo)
    git(["rm", "-rq", "dev"], ws.root / "pages")
    git(["-c", "user.name=p", "-c", "user.email=p@p", "commit", "-qm", "oops"], ws.root / "pages")
    git(["worktree", "remove", "--force", str(ws.root / "pages")], repo)
    facet, actions = docs_plan(ws)
    assert facet["state"] == "drift" and [a["id"] for a in actions] == [f"{PRODUCT}/docs.publish/gh-pages"]
    assert "gh-pages/dev shows nothing" in actions[0]["reason"]
    apply(ws)
    assert json.loads(show(repo, "gh-pages:dev/.codemonkeys-stamp.json"))["commit"] == git(
        ["rev-parse", "main"], repo
    )
    assert git(["rev-parse", f"gh-pages:{version}"], repo) == released_tree

    # a docs-only change on main, and a kill -9 between the publish commit and its push
    commits = len(git(["rev-list", "gh-pages"], repo).split())
    commit(repo, {"docs/index.md": show(repo, "main:docs/index.md") + "\nMore words.\n"}, "docs: more words")
    mirror = next((ws.fleet / ".cmctl" / "repos").glob(f"{PRODUCT}-*.git"))
    hook = mirror / "hooks" / "pre-push"  # runs in git push, a child of cmctl: kill cmctl, as a crash would
    hook.write_text('#!/bin/sh\nkill -9 "$(ps -o ppid= -p "$PPID" | tr -d " ")"\nexit 1\n')
    hook.chmod(0o755)
    killed = cmctl("apply", "--fleet", str(ws.fleet), "--auto-approve", "-p", PRODUCT)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert len(git(["rev-list", "gh-pages"], repo).split()) == commits  # nothing reached the branch
    hook.unlink()
    apply(ws)
    assert len(git(["rev-list", "gh-pages"], repo).split()) == commits + 1  # one publish commit, not two
    assert "More words." in show(repo, "gh-pages:dev/index.html")
    assert git(["rev-parse", f"gh-pages:{version}"], repo) == released_tree  # a release's docs do not move
    facet, actions = docs_plan(ws)
    assert facet["state"] == "in_sync" and actions == [], (facet, actions)


FORGE_TOKEN = "forge-token-for-docs-pages-7"


def test_a_protected_branch_gets_the_docs_through_a_pull_request(workspace: Workspace):
    ws, repo = workspace, workspace.repos / PRODUCT
    publish_to(ws, "[{type: git-branch}]")
    apply(ws)  # gh-pages does not exist yet: created by a push (nothing to protect yet)
    first = git(["rev-parse", "gh-pages"], repo)
    with ForgeServer("github", FORGE_TOKEN) as server:
        server.add_repo("acme/acme-text", git_dir=repo)
        server.protect("acme/acme-text", "gh-pages", approvals=1)
        path = ws.fleet / "products" / "acme" / f"{PRODUCT}.yaml"
        doc = yaml.safe_load(path.read_text())
        forge = {"type": "github", "url": server.url, "repo": "acme/acme-text"}
        doc["spec"]["git"] = {
            "mode": "pull-request",
            "forge": {**forge, "credentials": {"tokenEnv": "CM_FT"}},
        }
        commit(ws.fleet, {str(path.relative_to(ws.fleet)): yaml.safe_dump(doc, sort_keys=False)}, "by PR")
        commit(
            repo, {"docs/index.md": show(repo, "main:docs/index.md") + "\nProtected words.\n"}, "docs: more"
        )
        env = {"CM_FT": FORGE_TOKEN}
        refused = cmctl("apply", "--fleet", str(ws.fleet), "--auto-approve", "-p", PRODUCT, env=env)
        assert refused.returncode != 0 and "docs.publish" in refused.stdout + refused.stderr
        (pull,) = server.pulls("acme/acme-text")
        assert (pull["head"]["ref"], pull["base"]["ref"], pull["state"]) == (
            "codemonkeys/docs-gh-pages",
            "gh-pages",
            "open",
        )
        assert git(["rev-parse", "gh-pages"], repo) == first  # nothing pushed to the protected branch
        planned = json.loads(cmctl("plan", "--json", "--fleet", str(ws.fleet), "-p", PRODUCT, env=env).stdout)
        (held,) = [a for a in planned["actions"] if a["kind"] == "docs.publish"]
        assert (held["decision"]["verdict"], held["decision"]["rule"]) == ("hold", "forge"), held
        assert f"through pull request #{pull['number']}" in held["reason"]
        server.add_review("acme/acme-text", pull["number"], "ada-gh")
        r = cmctl("apply", "--fleet", str(ws.fleet), "--auto-approve", "-p", PRODUCT, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        (merged,) = server.pulls("acme/acme-text")
        assert merged["merged"] is True and merged["head"]["sha"] == pull["head"]["sha"]  # the same commit
        assert git(["rev-parse", "gh-pages"], repo) == merged["merge_commit_sha"]
        assert "Protected words." in show(repo, "gh-pages:index.html")
        assert git(["branch", "--list", "codemonkeys/docs-*"], repo) == ""
        r = cmctl("plan", "--json", "--fleet", str(ws.fleet), "-p", PRODUCT, env=env)
        assert json.loads(r.stdout)["products"][PRODUCT]["facets"]["docs"]["state"] == "in_sync", r.stdout
