"""Contract tests of the pull-request lifecycle of the forge test servers (tests/servers/forges.py).

Each forge serves a real bare repository (``add_repo(..., git_dir=...)``) that the tests push to with plain
git. The official clients drive the lifecycle the controller's forge clients will use: a protected branch
refuses a direct push (its ``pre-receive`` hook speaks as the forge does); a pull request (GitLab: merge
request) is opened, found again, refused as a duplicate, edited, labelled; its merge is refused while the
protection's reviews (GitLab: approvals) or checks (GitLab: the pipeline) are missing, while its head is
not the one named, or on a conflict; a new push makes an approval stale; then it merges for real in the
repository (merge commit, squash, rebase) and reads as merged. PyGithub for GitHub, python-gitlab for
GitLab, httpx for Gitea. Every answer is then validated against the forge's published OpenAPI
description (``tests/servers/openapi/``: the base files plus ``github-pulls.json`` / ``gitea-pulls.json``
with the operations added here); GitLab, which publishes none that can be reached, against the fields of
its Grape entities.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import github
import gitlab
import httpx
import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from servers.fixtures import FORGE_TOKEN
from servers.forges import Exchange, ForgeServer, quote_path
from test_forge_servers import (
    GITEA_NIL,
    GITLAB_MERGE_REQUEST_FIELDS,
    GITLAB_USER_FIELDS,
    UNDOCUMENTED,
    _null_for_refs,
    _template_regex,
    gitea,
    pygithub,
    pygitlab,
    resolve,
)

TOKEN = FORGE_TOKEN  # the token of the gh_server, gl_server and gt_server fixtures (tests/conftest.py)
OPENAPI = Path(__file__).parent / "servers" / "openapi"
# Codes answered that the operations leave out (see the README): test_forge_servers' and Gitea's 403 of
# reqAdmin ("get a branch protection" documents 200 and 404 only).
UNDOCUMENTED_HERE = {**UNDOCUMENTED, ("gitea", 403): None}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


# --- a real repository to serve -------------------------------------------------------------------------


@dataclass
class Work:
    """A bare repository (what the forge serves) and a clone of it to commit and push from."""

    bare: Path
    tree: Path

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Plain git in the clone, as a developer (or the bot) runs it."""
        env = {
            **os.environ,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Dev",
            "GIT_AUTHOR_EMAIL": "dev@example.test",
            "GIT_COMMITTER_NAME": "Dev",
            "GIT_COMMITTER_EMAIL": "dev@example.test",
        }
        done = subprocess.run(
            ["git", "-C", str(self.tree), "-c", "commit.gpgsign=false", *args],
            capture_output=True,
            text=True,
            env=env,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
        return done

    def commit(self, branch: str, files: dict[str, str], message: str, *, start: str | None = None) -> str:
        """Commit ``files`` on ``branch`` (made from ``start`` when given) and return the new sha."""
        if start is not None:
            self.git("checkout", "-q", "-B", branch, start)
        else:
            self.git("checkout", "-q", branch)
        for name, text in files.items():
            (self.tree / name).write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self, rev: str = "HEAD") -> str:
        """The sha ``rev`` names in the clone."""
        return self.git("rev-parse", rev).stdout.strip()

    def push(self, branch: str) -> subprocess.CompletedProcess:
        """Push ``branch`` to the served repository (not checked: a protected branch refuses)."""
        return self.git("push", "-q", "origin", f"{branch}:{branch}", check=False)

    def remote(self, branch: str) -> str:
        """Where ``branch`` points in the served repository."""
        out = self.git("ls-remote", str(self.bare), f"refs/heads/{branch}").stdout.split()
        return out[0] if out else ""

    def show(self, rev: str, fmt: str) -> str:
        """``git show -s --format`` of a commit of the served repository (read there: nothing fetched)."""
        done = subprocess.run(
            ["git", "--git-dir", str(self.bare), "show", "-s", f"--format={fmt}", rev, "--"],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()


def make_work(root: Path) -> Work:
    """A served repository with ``main`` (app.txt, lib.txt) and ``develop`` at the same commit."""
    bare, tree = root / "served.git", root / "clone"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    subprocess.run(["git", "clone", "-q", str(bare), str(tree)], check=True, capture_output=True)
    work = Work(bare, tree)
    work.git("checkout", "-q", "-b", "main")  # unborn until the first commit
    (tree / "app.txt").write_text("one\ntwo\nthree\n")
    (tree / "lib.txt").write_text("lib\n")
    work.git("add", "-A")
    work.git("commit", "-q", "-m", "initial")
    work.git("branch", "develop")
    assert work.push("main").returncode == 0 and work.push("develop").returncode == 0
    return work


# --- validation against the published descriptions ------------------------------------------------------


@cache
def spec(kind: str) -> dict:
    """The forge's trimmed description: the base file and the pull-request operations, one document."""
    doc = json.loads((OPENAPI / f"{kind}.json").read_text())
    extra = json.loads((OPENAPI / f"{kind}-pulls.json").read_text())
    for path, item in extra["paths"].items():
        doc["paths"].setdefault(path, {}).update(item)
    for section, entries in extra["components"].items():
        doc["components"].setdefault(section, {}).update(entries)
    return doc


@cache
def components(kind: str) -> dict:
    """Gitea's: a ``$ref`` property and the Go pointers of ``GITEA_NIL`` may be null (Swagger 2.0 could
    not say so; see test_forge_servers.validation_components). GitHub's as published but for one
    inconsistency: a label's ``description`` is nullable in ``label`` and in a single pull request's
    ``labels``, not in a list's ``pull-request-simple``, and GitHub answers null for a label without one
    (see tests/servers/openapi/README.md)."""
    comps = json.loads(json.dumps(spec(kind)["components"]))
    if kind != "gitea":
        labels = comps["schemas"]["pull-request-simple"]["properties"]["labels"]["items"]["properties"]
        labels["description"] = {**labels["description"], "nullable": True}
        return comps
    comps = _null_for_refs(comps)
    for schema, prop in GITEA_NIL:
        declared = comps["schemas"][schema]["properties"][prop]
        comps["schemas"][schema]["properties"][prop] = {"anyOf": [declared, {"enum": [None]}]}
    return comps


def operation(kind: str, ex: Exchange) -> tuple[str, dict]:
    """The documented operation of an exchange (GitHub's older statuses list is its newer one's)."""
    doc, path = spec(kind), ex.path.removeprefix("/api/v1") if kind == "gitea" else ex.path
    if kind == "github" and ex.method == "GET" and re.match(r"^/repos/[^/]+/[^/]+/statuses/[^/]+$", path):
        return "/repos/{owner}/{repo}/commits/{ref}/statuses", doc["paths"][
            "/repos/{owner}/{repo}/commits/{ref}/statuses"
        ]["get"]
    found = [
        t for t in doc["paths"] if _template_regex(t).match(path) and ex.method.lower() in doc["paths"][t]
    ]
    assert len(found) == 1, f"{ex.method} {ex.path}: documented as {found}"
    return found[0], doc["paths"][found[0]][ex.method.lower()]


def schema_errors(kind: str, schema: dict, instance: Any) -> list[str]:
    """Why ``instance`` does not match ``schema``."""
    validator = OAS30Validator(
        {**schema, "components": components(kind)}, format_checker=oas30_format_checker
    )
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def check_all(kind: str, server: ForgeServer) -> set[tuple[str, str, int]]:
    """Every answer the server gave against the description; returns (method, template, status) seen."""
    problems, seen = [], set()
    for ex in server.log:
        template, op = operation(kind, ex)
        seen.add((ex.method, template, ex.status))
        where = f"{ex.method} {ex.path} -> {ex.status} ({template})"
        status = "200" if ex.status == 304 else str(ex.status)
        if status not in op["responses"]:
            if (kind, ex.status) not in UNDOCUMENTED_HERE:
                problems.append(f"{where}: status not documented ({sorted(op['responses'])})")
            elif UNDOCUMENTED_HERE[(kind, ex.status)] and ex.body:
                ref = {"$ref": f"#/components/schemas/{UNDOCUMENTED_HERE[(kind, ex.status)]}"}
                problems += [f"{where}: {e}" for e in schema_errors(kind, ref, ex.json())]
            continue
        if ex.status == 304:
            continue
        content = resolve(spec(kind), op["responses"][status]).get("content", {}).get("application/json")
        if content is None:  # Gitea's APIError and empty answers: only the code is documented
            assert not ex.body or kind == "gitea", where
            continue
        problems += [f"{where}: {e}" for e in schema_errors(kind, content["schema"], ex.json())]
    assert not problems, "\n".join(problems[:20])
    return seen


def gitea_declared_missing(schema_name: str, obj: dict) -> set[str]:
    """Properties Gitea's schema declares that the object lacks (its schemas require none)."""
    return set(spec("gitea")["components"]["schemas"][schema_name].get("properties", {})) - set(obj)


# --- GitHub through PyGithub ----------------------------------------------------------------------------


def github_scenario(server: ForgeServer, work: Work) -> dict[str, Any]:
    """The whole lifecycle on GitHub; returns what the assertions after it need."""
    server.add_repo("acme/web", git_dir=work.bare)
    server.protect("acme/web", "main", approvals=1, checks=("cm/build",))
    base0 = work.head("main")
    work.commit("main", {"app.txt": "one\nTWO\nthree\n"}, "a direct fix")
    refused = work.push("main")
    assert refused.returncode != 0
    assert "remote: error: GH006: Protected branch update failed for refs/heads/main." in refused.stderr
    assert "pre-receive hook declined" in refused.stderr and work.remote("main") == base0
    work.git("reset", "-q", "--hard", base0)
    head1 = work.commit("cm/heal", {"app.txt": "one\ntwo (healed)\nthree\n"}, "heal two", start="main")
    assert work.push("cm/heal").returncode == 0  # other branches take pushes

    gh = pygithub(server, per_page=2)
    repo = gh.get_repo("acme/web")
    pr = repo.create_pull(base="main", head="cm/heal", title="Heal", body="Why: the signature")
    assert (pr.number, pr.user.login, pr.state, pr.head.sha, pr.base.sha) == (
        1,
        "cm-bot",
        "open",
        head1,
        base0,
    )
    assert (pr.mergeable, pr.mergeable_state, pr.merged, pr.commits, pr.changed_files) == (
        True,
        "blocked",
        False,
        1,
        1,
    )
    for head, base, message in (
        ("cm/heal", "main", "A pull request already exists for acme:cm/heal."),
        ("main", "main", "No commits between main and main"),
    ):
        with pytest.raises(github.GithubException) as refused_pull:
            repo.create_pull(base=base, head=head, title="again")
        assert refused_pull.value.status == 422 and refused_pull.value.data["errors"][0]["message"] == message
    with pytest.raises(github.GithubException) as missing:
        repo.create_pull(base="main", head="nope", title="x")
    assert missing.value.data["errors"] == [{"resource": "PullRequest", "field": "head", "code": "invalid"}]
    assert [p.number for p in repo.get_pulls(state="open", head="acme:cm/heal")] == [1]
    assert [p.number for p in repo.get_pulls(state="open", head="other:cm/heal")] == []
    assert [p.number for p in repo.get_pulls(head="cm/heal", base="main")] == [
        1
    ]  # GitHub ignores an owner-less head
    pr.edit(title="Heal two", body="Why: the signature, proven")
    pr.add_to_labels("codemonkeys", "heal")
    pr = repo.get_pull(1)
    assert (pr.title, pr.body, [lb.name for lb in pr.labels]) == (
        "Heal two",
        "Why: the signature, proven",
        ["codemonkeys", "heal"],
    )

    def refused_merge(**kwargs: Any) -> github.GithubException:
        with pytest.raises(github.GithubException) as refused:
            repo.get_pull(1).merge(**kwargs)
        return refused.value

    first = refused_merge()
    assert (first.status, first.data["message"]) == (
        405,
        "At least 1 approving review is required by reviewers with write access.",
    )
    with pytest.raises(ValueError):
        server.add_review("acme/web", 1, "cm-bot")  # its own approval: the forge refuses it
    server.add_review("acme/web", 1, "alice")
    assert refused_merge().data["message"] == 'Required status check "cm/build" is expected.'
    repo.get_commit(head1).create_status("failure", context="cm/build")
    assert refused_merge().data["message"] == 'Required status check "cm/build" is failing.'
    repo.get_commit(head1).create_status("success", context="cm/build")
    assert repo.get_pull(1).mergeable_state == "clean"
    # a new push: the approval is stale (dismissed) and the check is missing on the new head
    head2 = work.commit("cm/heal", {"lib.txt": "lib (healed)\n"}, "heal lib")
    assert work.push("cm/heal").returncode == 0
    pr = repo.get_pull(1)
    assert (pr.head.sha, pr.mergeable_state, pr.commits, pr.changed_files) == (head2, "blocked", 2, 2)
    assert [(r.user.login, r.state, r.commit_id) for r in pr.get_reviews()] == [("alice", "DISMISSED", head1)]
    assert refused_merge().status == 405
    server.add_review("acme/web", 1, "alice")
    repo.get_commit(head2).create_status("success", context="cm/build", target_url="http://cm.test/a/9")
    stale = refused_merge(sha=head1)
    assert (stale.status, stale.data["message"]) == (
        409,
        "Head branch was modified. Review and try the merge again.",
    )
    merged = repo.get_pull(1).merge(sha=head2)
    assert (merged.merged, merged.message) == (True, "Pull Request successfully merged")
    assert work.remote("main") == merged.sha
    assert work.show(merged.sha, "%P").split() == [base0, head2]
    assert work.show(merged.sha, "%B") == "Merge pull request #1 from acme/cm/heal\n\nHeal two"
    assert work.show(merged.sha, "%cn <%ce>") == "GitHub <noreply@github.com>"
    pr = repo.get_pull(1)
    assert (pr.state, pr.merged, pr.merge_commit_sha, pr.merged_by.login) == (
        "closed",
        True,
        merged.sha,
        "cm-bot",
    )
    assert (pr.mergeable, pr.mergeable_state) == (None, "unknown") and pr.merged_at is not None
    assert refused_merge().data["message"] == "Pull Request is not mergeable"
    assert [p.number for p in repo.get_pulls(state="closed")] == [1]

    # a conflict, and closing by hand
    work.commit("cm/clash", {"app.txt": "one\ntwo (other)\nthree\n"}, "clash", start=base0)
    work.push("cm/clash")
    clash = repo.create_pull(base="main", head="cm/clash", title="Clash")
    assert (clash.number, clash.mergeable, clash.mergeable_state) == (2, False, "dirty")
    with pytest.raises(github.GithubException) as conflict:
        clash.merge()
    assert (conflict.value.status, conflict.value.data["message"]) == (405, "Pull Request is not mergeable")
    clash.edit(state="closed")
    assert repo.get_pull(2).state == "closed" and repo.get_pull(2).closed_at is not None
    assert [p.number for p in repo.get_pulls(state="open")] == []

    # an unprotected base: squash and rebase
    devel0 = work.head("develop")
    work.commit("feat/a", {"a.txt": "a1\n"}, "add a", start="develop")
    head_a = work.commit("feat/a", {"a.txt": "a2\n"}, "change a")
    work.push("feat/a")
    work.commit("feat/b", {"b.txt": "b1\n"}, "add b", start="develop")
    head_b = work.commit("feat/b", {"b.txt": "b2\n"}, "change b")
    work.push("feat/b")
    squash_pr = repo.create_pull(base="develop", head="feat/a", title="Feature A")
    rebase_pr = repo.create_pull(base="develop", head="feat/b", title="Feature B")
    assert squash_pr.mergeable_state == "clean"
    squashed = squash_pr.merge(merge_method="squash", sha=head_a)
    assert work.show(squashed.sha, "%P") == devel0
    assert work.show(squashed.sha, "%B") == "Feature A (#3)\n\n* add a\n\n* change a"
    assert work.show(squashed.sha, "%T") == work.show(head_a, "%T")
    rebased = rebase_pr.merge(merge_method="rebase", commit_title="ignored by a rebase")
    assert work.remote("develop") == rebased.sha != head_b
    assert work.show(rebased.sha, "%s|%an|%cn") == "change b|Dev|GitHub"
    assert (
        work.show(f"{rebased.sha}~1", "%s") == "add b" and work.show(f"{rebased.sha}~2", "%H") == squashed.sha
    )

    # commits that reach the base by a push (develop is not protected): the pull request reads as merged
    work.git("fetch", "-q", "origin")
    head_c = work.commit("feat/c", {"c.txt": "c\n"}, "add c", start="origin/develop")
    work.push("feat/c")
    repo.create_pull(base="develop", head="feat/c", title="Feature C")
    assert work.git("push", "-q", "origin", "feat/c:develop").returncode == 0
    pushed = repo.get_pull(5)
    assert (pushed.state, pushed.merged, pushed.merge_commit_sha, pushed.merged_by) == (
        "closed",
        True,
        head_c,
        None,
    )
    return {"merged": merged.sha, "head2": head2}


def github_state(gh_server: ForgeServer) -> None:
    """What the GitHub scenario leaves: the pull requests as stored, the calls made."""
    stored = gh_server.pulls("acme/web")
    assert [(p["number"], p["state"], p["merged"]) for p in stored] == [
        (1, "closed", True),
        (2, "closed", False),
        (3, "closed", True),
        (4, "closed", True),
        (5, "closed", True),
    ]
    assert (
        gh_server.api_calls("PUT", "/merge") == 10
        and gh_server.api_calls("POST", "/repos/acme/web/pulls") == 8
    )
    listed = next(ex for ex in gh_server.log if ex.method == "GET" and ex.path == "/repos/acme/web/pulls")
    assert "mergeable" not in listed.json()[0]  # a list holds pull-request-simple


def test_github_pull_lifecycle_through_pygithub(gh_server: ForgeServer, tmp_path: Path) -> None:
    """The lifecycle through PyGithub, then every answer against GitHub's description."""
    github_scenario(gh_server, make_work(tmp_path))
    github_state(gh_server)
    with httpx.Client(base_url=gh_server.url, headers={"Authorization": f"token {TOKEN}"}) as raw:
        assert raw.post("/repos/acme/web/pulls", content=b"{").status_code == 400
        assert raw.post("/repos/acme/web/issues/1/labels", json={"labels": [""]}).status_code == 422
        assert raw.patch("/repos/acme/web/pulls/2", json={"state": "merged"}).status_code == 422
        assert raw.put("/repos/acme/web/pulls/9/merge", json={}).status_code == 404
        assert raw.get("/repos/acme/web/pulls", params={"state": "shut"}).status_code == 422
    seen = check_all("github", gh_server)
    pulls, pull = "/repos/{owner}/{repo}/pulls", "/repos/{owner}/{repo}/pulls/{pull_number}"
    assert {
        ("GET", pulls, 200),
        ("GET", pulls, 422),
        ("POST", pulls, 201),
        ("POST", pulls, 422),
        ("GET", pull, 200),
        ("PATCH", pull, 200),
        ("PATCH", pull, 422),
        ("GET", pull + "/reviews", 200),
        ("PUT", pull + "/merge", 200),
        ("PUT", pull + "/merge", 405),
        ("PUT", pull + "/merge", 409),
        ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", 200),
        ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", 422),
    } <= seen


# --- GitLab through python-gitlab -----------------------------------------------------------------------

# Fields only the single MergeRequest entity has (lib/api/entities/merge_request.rb), so a list's
# MergeRequestBasic lacks them; first_contribution only when the single GET asks for it.
GITLAB_MERGE_REQUEST_ONLY = {
    "subscribed", "changes_count", "latest_build_started_at", "latest_build_finished_at",
    "first_deployed_to_production_at", "pipeline", "head_pipeline", "diff_refs", "merge_error",
    "first_contribution", "user",
}  # fmt: skip
# EE's ApprovalState entity (ee/lib/ee/api/entities/approval_state.rb) with IssuableEntity's fields merged.
GITLAB_APPROVALS_FIELDS = {
    "id", "iid", "project_id", "title", "description", "state", "created_at", "updated_at",
    "merge_status", "approved", "approvals_required", "approvals_left", "require_password_to_approve",
    "approved_by", "suggested_approvers", "approvers", "approver_groups", "user_has_approved",
    "user_can_approve", "approval_rules_left", "has_approval_rules", "merge_request_approvers_available",
    "multiple_approval_rules_available", "invalid_approvers_rules",
}  # fmt: skip


def gitlab_scenario(server: ForgeServer, work: Work) -> None:
    """The whole lifecycle on GitLab, through python-gitlab."""
    server.add_repo("acme/platform/web", git_dir=work.bare)
    server.protect("acme/platform/web", "main", approvals=1, checks=("cm/build",))
    base0 = work.head("main")
    work.commit("main", {"app.txt": "direct\n"}, "a direct fix")
    refused = work.push("main")
    assert refused.returncode != 0
    assert (
        "remote: GitLab: You are not allowed to push code to protected branches on this project."
        in refused.stderr
    )
    work.git("reset", "-q", "--hard", base0)
    head1 = work.commit("cm/heal", {"app.txt": "one\ntwo (healed)\nthree\n"}, "heal two", start="main")
    work.push("cm/heal")

    gl = pygitlab(server)
    project = gl.projects.get("acme/platform/web")
    assert project.only_allow_merge_if_pipeline_succeeds is True
    mr = project.mergerequests.create(
        {
            "source_branch": "cm/heal",
            "target_branch": "main",
            "title": "Heal",
            "description": "why",
            "labels": "heal,codemonkeys",
        }
    )
    assert (mr.iid, mr.state, mr.sha, mr.labels, mr.author["username"]) == (
        1,
        "opened",
        head1,
        ["codemonkeys", "heal"],
        "cm-bot",
    )
    assert (mr.merge_status, mr.detailed_merge_status, mr.has_conflicts) == (
        "can_be_merged",
        "not_approved",
        False,
    )
    assert mr.diff_refs == {"base_sha": base0, "head_sha": head1, "start_sha": base0}
    with pytest.raises(gitlab.GitlabCreateError) as twin:
        project.mergerequests.create({"source_branch": "cm/heal", "target_branch": "main", "title": "again"})
    assert twin.value.response_code == 409
    assert twin.value.error_message == [
        "Another open merge request already exists for this source branch: !1"
    ]
    with pytest.raises(gitlab.GitlabCreateError) as same:
        project.mergerequests.create({"source_branch": "main", "target_branch": "main", "title": "x"})
    assert same.value.response_code == 422
    with pytest.raises(gitlab.GitlabCreateError) as missing:
        project.mergerequests.create({"source_branch": "nope", "target_branch": "main", "title": "x"})
    assert (missing.value.response_code, missing.value.error_message) == (
        400,
        {"source_branch": ["does not exist"]},
    )
    found = project.mergerequests.list(state="opened", source_branch="cm/heal", get_all=True)
    assert [m.iid for m in found] == [1] and "diff_refs" not in found[0].attributes
    assert project.mergerequests.list(state="merged", get_all=True) == []
    mr.title, mr.description = "Heal two", "why, proven"
    mr.save()
    assert project.mergerequests.get(1).title == "Heal two"

    approvals = mr.approvals.get()
    assert (approvals.approved, approvals.approvals_required, approvals.approvals_left) == (False, 1, 1)
    assert approvals.approved_by == [] and approvals.user_can_approve is False  # the author may not
    with pytest.raises(gitlab.GitlabMRClosedError) as not_approved:
        project.mergerequests.get(1).merge()
    assert (not_approved.value.response_code, not_approved.value.error_message) == (
        405,
        "405 Method Not Allowed",
    )
    server.add_review("acme/platform/web", 1, "alice")
    approvals = mr.approvals.get()
    assert approvals.approved is True and [a["user"]["username"] for a in approvals.approved_by] == ["alice"]
    assert project.mergerequests.get(1).detailed_merge_status == "ci_must_pass"
    statuses = project.commits.get(head1, lazy=True).statuses
    statuses.create({"state": "running", "name": "cm/build", "ref": "cm/heal"})
    assert project.mergerequests.get(1).detailed_merge_status == "ci_still_running"
    with pytest.raises(gitlab.GitlabMRClosedError):
        project.mergerequests.get(1).merge()
    statuses.create({"state": "success", "name": "cm/build", "ref": "cm/heal"})
    assert project.mergerequests.get(1).detailed_merge_status == "mergeable"
    # a new push resets the approval (and the pipeline is the new head's)
    head2 = work.commit("cm/heal", {"lib.txt": "lib (healed)\n"}, "heal lib")
    work.push("cm/heal")
    mr = project.mergerequests.get(1)
    assert (mr.sha, mr.detailed_merge_status, mr.changes_count) == (head2, "not_approved", "2")
    server.add_review("acme/platform/web", 1, "alice")
    project.commits.get(head2, lazy=True).statuses.create(
        {"state": "success", "name": "cm/build", "ref": "cm/heal"}
    )
    with pytest.raises(gitlab.GitlabMRClosedError) as stale:
        project.mergerequests.get(1).merge(sha=head1)
    assert stale.value.response_code == 409
    assert stale.value.error_message == f"SHA does not match HEAD of source branch: {head2}"
    mr = project.mergerequests.get(1)
    mr.merge(sha=head2, squash=True)
    assert (mr.state, mr.merged_by["username"], mr.detailed_merge_status) == ("merged", "cm-bot", "not_open")
    assert work.remote("main") == mr.merge_commit_sha
    assert work.show(mr.merge_commit_sha, "%P").split() == [base0, mr.squash_commit_sha]
    assert work.show(mr.squash_commit_sha, "%P|%s") == f"{base0}|Heal two"
    assert work.show(mr.merge_commit_sha, "%B") == (
        "Merge branch 'cm/heal' into 'main'\n\nHeal two\n\nSee merge request acme/platform/web!1"
    )
    with pytest.raises(gitlab.GitlabMRClosedError) as again:
        project.mergerequests.get(1).merge()
    assert again.value.response_code == 405

    # a conflict, and closing / reopening by hand
    work.commit("cm/clash", {"app.txt": "one\ntwo (other)\nthree\n"}, "clash", start=base0)
    work.push("cm/clash")
    clash = project.mergerequests.create(
        {"source_branch": "cm/clash", "target_branch": "main", "title": "Clash"}
    )
    server.add_review("acme/platform/web", 2, "alice")
    clash = project.mergerequests.get(2)
    assert (clash.has_conflicts, clash.merge_status, clash.detailed_merge_status) == (
        True,
        "cannot_be_merged",
        "conflict",
    )
    with pytest.raises(gitlab.GitlabMRClosedError) as conflict:
        clash.merge()
    assert (conflict.value.response_code, conflict.value.error_message) == (422, "Branch cannot be merged")
    clash.state_event = "close"
    clash.save()
    assert (clash.state, clash.closed_by["username"]) == ("closed", "cm-bot")
    clash.state_event = "reopen"
    clash.save()
    assert clash.state == "opened"
    clash.labels = ["codemonkeys"]
    clash.save()
    assert project.mergerequests.get(2).labels == ["codemonkeys"]
    assert [m.iid for m in project.mergerequests.list(get_all=True)] == [2, 1]  # all, newest first


def gitlab_state(gl_server: ForgeServer) -> None:
    """What the GitLab scenario leaves: the merge requests as stored, the calls made."""
    stored = gl_server.pulls("acme/platform/web")
    assert [(m["iid"], m["state"]) for m in stored] == [(1, "merged"), (2, "opened")]
    creates = [p for m, p in gl_server.requests if m == "POST" and p.endswith("/merge_requests")]
    assert len(creates) == 5 and gl_server.api_calls("GET", "/merge_requests/1/approvals") == 2
    project_id = gl_server.log[0].json()["id"]  # python-gitlab addresses the project by id once it has it
    assert creates[0] == f"/api/v4/projects/{project_id}/merge_requests"
    assert gl_server.api_calls("GET", f"/api/v4/projects/{quote_path('acme/platform/web')}") == 1


def test_gitlab_merge_request_lifecycle_through_python_gitlab(gl_server: ForgeServer, tmp_path: Path) -> None:
    """The lifecycle through python-gitlab, then every answer against the Grape entities' fields (GitLab
    publishes no OpenAPI description that can be reached: tests/servers/openapi/README.md)."""
    gitlab_scenario(gl_server, make_work(tmp_path))
    gitlab_state(gl_server)
    seen = set()
    for ex in gl_server.log:
        if "/merge_requests" not in ex.path or "/notes" in ex.path:
            continue
        body = ex.json()
        what = ex.path.rsplit("/", 1)[-1] if ex.path.endswith(("/approvals", "/merge")) else "merge_request"
        seen.add((ex.method, what, ex.status))
        if ex.status >= 400:
            assert set(body) in ({"message"}, {"error"}), body
        elif what == "approvals":
            assert set(body) == GITLAB_APPROVALS_FIELDS
            assert all(set(a["user"]) == GITLAB_USER_FIELDS for a in body["approved_by"])
        elif isinstance(body, list):
            for item in body:
                assert set(item) == GITLAB_MERGE_REQUEST_FIELDS - GITLAB_MERGE_REQUEST_ONLY
        elif ex.method == "GET":
            assert set(body) == GITLAB_MERGE_REQUEST_FIELDS
        else:  # create, update, merge: the entity without first_contribution
            assert set(body) == GITLAB_MERGE_REQUEST_FIELDS - {"first_contribution"}
            assert all(ISO_Z.match(body[k]) for k in ("created_at", "updated_at"))
    assert {
        ("GET", "merge_request", 200),
        ("POST", "merge_request", 201),
        ("POST", "merge_request", 400),
        ("POST", "merge_request", 409),
        ("POST", "merge_request", 422),
        ("PUT", "merge_request", 200),
        ("GET", "approvals", 200),
        ("PUT", "merge", 200),
        ("PUT", "merge", 405),
        ("PUT", "merge", 409),
        ("PUT", "merge", 422),
    } <= seen


# --- Gitea over httpx -----------------------------------------------------------------------------------


def gitea_scenario(server: ForgeServer, work: Work) -> None:
    """The whole lifecycle on Gitea, over httpx."""
    server.add_repo("acme/web", git_dir=work.bare)
    server.protect("acme/web", "main", approvals=1, checks=("cm/build",))
    heal = server.add_label("acme/web", "heal", color="ee0701")
    bot = server.add_label("acme/web", "codemonkeys")
    base0 = work.head("main")
    work.commit("main", {"app.txt": "direct\n"}, "a direct fix")
    refused = work.push("main")
    assert (
        refused.returncode != 0
        and "remote: Gitea: Not allowed to push to protected branch main" in refused.stderr
    )
    work.git("reset", "-q", "--hard", base0)
    head1 = work.commit("cm/heal", {"app.txt": "one\ntwo (healed)\nthree\n"}, "heal two", start="main")
    work.push("cm/heal")
    with gitea(server) as api:
        doc = {"head": "cm/heal", "base": "main", "title": "Heal", "body": "why", "labels": [heal["id"]]}
        created = api.post("/repos/acme/web/pulls", json=doc)
        assert created.status_code == 201
        pull = created.json()
        assert (pull["number"], pull["state"], pull["head"]["sha"], pull["mergeable"]) == (
            1,
            "open",
            head1,
            True,
        )
        assert [lb["name"] for lb in pull["labels"]] == ["heal"] and pull["merge_base"] == base0
        twin = api.post("/repos/acme/web/pulls", json=doc)
        assert twin.status_code == 409 and twin.json()["message"].startswith(
            f"pull request already exists for these targets [id: {pull['id']}, issue_id: 1, "
        )
        same = api.post("/repos/acme/web/pulls", json={**doc, "head": "main"})
        assert same.status_code == 422
        assert (
            same.json()["message"]
            == "Invalid PullRequest: There are no changes between the head and the base"
        )
        assert api.post("/repos/acme/web/pulls", json={**doc, "head": "nope"}).status_code == 404
        assert api.post("/repos/acme/web/pulls", json={"head": "cm/heal"}).status_code == 422  # binding
        listed = api.get("/repos/acme/web/pulls", params={"state": "open", "limit": 10})
        assert listed.headers["X-Total-Count"] == "1" and [p["number"] for p in listed.json()] == [1]
        edited = api.patch("/repos/acme/web/pulls/1", json={"title": "Heal two", "body": "why, proven"})
        assert edited.status_code == 201 and edited.json()["title"] == "Heal two"
        assert [lb["name"] for lb in api.get("/repos/acme/web/labels").json()] == ["codemonkeys", "heal"]
        protection = api.get("/repos/acme/web/branch_protections/main")  # repository admins only
        assert (protection.status_code, protection.json()["message"]) == (
            403,
            "user should be an owner or a site admin",
        )
        labelled = api.post("/repos/acme/web/issues/1/labels", json={"labels": [bot["id"]]})
        assert labelled.status_code == 200 and [lb["name"] for lb in labelled.json()] == [
            "codemonkeys",
            "heal",
        ]

        def merge(**fields: Any) -> httpx.Response:
            return api.post("/repos/acme/web/pulls/1/merge", json={"Do": "merge", **fields})

        checks = merge()
        assert checks.status_code == 405
        assert (
            checks.json()["message"]
            == "not allowed to merge [reason: Not all required status checks successful]"
        )
        api.post(f"/repos/acme/web/statuses/{head1}", json={"state": "success", "context": "cm/build"})
        assert merge().json()["message"] == "not allowed to merge [reason: Does not have enough approvals]"
        server.add_review("acme/web", 1, "alice")
        # a new push: the approval goes stale and is dismissed, the check is the new head's
        head2 = work.commit("cm/heal", {"lib.txt": "lib (healed)\n"}, "heal lib")
        work.push("cm/heal")
        reviews = api.get("/repos/acme/web/pulls/1/reviews").json()
        assert [(r["user"]["login"], r["state"], r["stale"], r["dismissed"]) for r in reviews] == [
            ("alice", "APPROVED", True, True)
        ]
        assert merge().json()["message"].endswith("[reason: Not all required status checks successful]")
        api.post(f"/repos/acme/web/statuses/{head2}", json={"state": "success", "context": "cm/build"})
        server.add_review("acme/web", 1, "alice")
        stale = merge(head_commit_id=head1)
        assert (stale.status_code, stale.json()["message"]) == (409, "head out of date")
        done = merge(head_commit_id=head2, MergeMessageField="Reviewed-by: alice")
        assert (done.status_code, done.content) == (200, b"")
        pull = api.get("/repos/acme/web/pulls/1").json()
        assert (pull["state"], pull["merged"], pull["merged_by"]["login"]) == ("closed", True, "cm-bot")
        assert pull["merge_commit_sha"] == work.remote("main")
        assert work.show(pull["merge_commit_sha"], "%P").split() == [base0, head2]
        assert work.show(pull["merge_commit_sha"], "%B") == (
            "Merge pull request 'Heal two' (#1) from cm/heal into main\n\nReviewed-by: alice"
        )
        again = merge()
        assert (again.status_code, again.json()["message"]) == (405, "")  # "PR already merged" is the log's
        reopen = api.patch("/repos/acme/web/pulls/1", json={"state": "open"})
        assert reopen.status_code == 412
        assert reopen.json()["message"] == "cannot change state of this pull request, it was already merged"

        # a conflict, closing by hand (a closed one is not found by the merge), squash and rebase
        work.commit("cm/clash", {"app.txt": "one\ntwo (other)\nthree\n"}, "clash", start=base0)
        work.push("cm/clash")
        clash = api.post(
            "/repos/acme/web/pulls", json={"head": "cm/clash", "base": "main", "title": "Clash"}
        ).json()
        assert clash["mergeable"] is False
        conflict = api.post("/repos/acme/web/pulls/2/merge", json={"Do": "merge"})
        assert (conflict.status_code, conflict.json()["message"]) == (405, "Please try again later")
        assert api.patch("/repos/acme/web/pulls/2", json={"state": "closed"}).json()["state"] == "closed"
        assert api.post("/repos/acme/web/pulls/2/merge", json={"Do": "merge"}).status_code == 404
        assert [p["number"] for p in api.get("/repos/acme/web/pulls", params={"state": "closed"}).json()] == [
            2,
            1,
        ]
        devel0 = work.head("develop")
        head_a = work.commit("feat/a", {"a.txt": "a\n"}, "add a", start="develop")
        work.push("feat/a")
        squash = api.post(
            "/repos/acme/web/pulls", json={"head": "feat/a", "base": "develop", "title": "Feature A"}
        )
        assert squash.json()["number"] == 3
        assert api.post("/repos/acme/web/pulls/3/merge", json={"Do": "squash"}).status_code == 200
        squashed = work.remote("develop")
        assert work.show(squashed, "%P|%B") == f"{devel0}|Feature A (#3)" and squashed != head_a
        work.git("fetch", "-q", "origin")
        head_b = work.commit("feat/b", {"b.txt": "b\n"}, "add b", start=squashed)
        work.push("feat/b")
        api.post("/repos/acme/web/pulls", json={"head": "feat/b", "base": "develop", "title": "Feature B"})
        rebased = api.post(
            "/repos/acme/web/pulls/4/merge", json={"Do": "rebase", "delete_branch_after_merge": True}
        )
        assert (
            rebased.status_code == 200 and work.remote("develop") == head_b
        )  # nothing to rebase: fast-forward
        assert work.remote("feat/b") == ""  # deleted after the merge
        bad = api.post("/repos/acme/web/pulls/4/merge", json={"Do": "octopus"})
        assert bad.status_code == 422


def gitea_state(gt_server: ForgeServer) -> None:
    """What the Gitea scenario leaves: the pull requests as stored, the calls made."""
    stored = gt_server.pulls("acme/web")
    assert [(p["number"], p["state"], p["merged"]) for p in stored] == [
        (1, "closed", True),
        (2, "closed", False),
        (3, "closed", True),
        (4, "closed", True),
    ]
    assert gt_server.api_calls("POST", "/api/v1/repos/acme/web/pulls/1/merge") == 6


def test_gitea_pull_lifecycle_over_httpx(gt_server: ForgeServer, tmp_path: Path) -> None:
    """The lifecycle over httpx, then every answer against Gitea's description."""
    gitea_scenario(gt_server, make_work(tmp_path))
    gitea_state(gt_server)
    seen = check_all("gitea", gt_server)
    pulls, pull = "/repos/{owner}/{repo}/pulls", "/repos/{owner}/{repo}/pulls/{index}"
    assert {
        ("GET", pulls, 200),
        ("POST", pulls, 201),
        ("POST", pulls, 404),
        ("POST", pulls, 409),
        ("POST", pulls, 422),
        ("GET", pull, 200),
        ("PATCH", pull, 201),
        ("PATCH", pull, 412),
        ("GET", pull + "/reviews", 200),
        ("POST", pull + "/merge", 200),
        ("POST", pull + "/merge", 404),
        ("POST", pull + "/merge", 405),
        ("POST", pull + "/merge", 409),
        ("GET", "/repos/{owner}/{repo}/labels", 200),
        ("POST", "/repos/{owner}/{repo}/issues/{index}/labels", 200),
        ("GET", "/repos/{owner}/{repo}/branch_protections/{name}", 403),
    } <= seen
    for ex in gt_server.log:  # Gitea's schemas require nothing: every declared property must be there
        body = ex.json()
        if ex.status not in (200, 201) or not body:
            continue
        items = body if isinstance(body, list) else [body]
        schema = (
            "Label"
            if "labels" in ex.path
            else "PullReview"
            if ex.path.endswith("/reviews")
            else "PullRequest"
        )
        if "/statuses" in ex.path or "/commits" in ex.path:
            continue
        for item in items:
            assert not gitea_declared_missing(schema, item), (ex.path, gitea_declared_missing(schema, item))


# --- the server's own interface -------------------------------------------------------------------------


def test_repositories_without_git_keep_their_bookkeeping(tmp_path: Path) -> None:
    with ForgeServer("github", TOKEN) as server:
        server.add_repo("acme/web", commits=["a" * 40, "b" * 40])
        server.add_pull("acme/web", 7, "c" * 40, "b" * 40, author="dev")
        server.protect("acme/web", approvals=1)
        with pytest.raises(ValueError):
            server.add_repo("acme/other", commits=["a" * 40], git_dir=tmp_path)
        assert server.pulls("acme/web")[0]["mergeable_state"] == "blocked"
        assert server.add_review("acme/web", 7, "alice")["state"] == "APPROVED"
        assert server.add_review("acme/web", 7, "cm-bot")["state"] == "APPROVED"  # not its author here
        merged = pygithub(server).get_repo("acme/web").get_pull(7).merge()
        assert merged.merged and server.pulls("acme/web")[0]["merge_commit_sha"] == merged.sha
        assert pygithub(server).get_repo("acme/web").get_commit("main").sha == merged.sha  # the branch moved
        with pytest.raises(github.GithubException) as nothing:  # no branches but the default without git
            pygithub(server).get_repo("acme/web").create_pull(base="main", head="feature", title="x")
        assert nothing.value.status == 422
    with ForgeServer("gitlab", TOKEN) as server:
        server.add_repo("acme/web")
        server.add_pull("acme/web", 1, "c" * 40, "b" * 40)
        with pytest.raises(ValueError):
            server.add_review("acme/web", 1, "alice", "CHANGES_REQUESTED")  # GitLab approves, no more
        approvals = server.add_review("acme/web", 1, "alice")
        assert approvals["approved_by"][0]["user"]["username"] == "alice"
        with pytest.raises(ValueError):
            server.add_review("acme/web", 1, "alice")  # once
