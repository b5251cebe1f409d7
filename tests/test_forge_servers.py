"""Contract tests of the forge test servers (tests/servers/forges.py), checked two ways.

1. The official clients drive them: PyGithub (GitHub), python-gitlab (GitLab), httpx for Gitea (which has
   no well-kept Python client; Code Monkeys talks to it over httpx too). Statuses are posted and read
   back, a bad token raises the client's authentication error, an unknown repository its not-found
   error, lists are paged through the client, and GitHub's conditional requests answer 304. Likewise
   for pull requests and their comments (GitLab: merge requests and their notes): a pull request is
   read, a comment is made, listed and edited, and another user's comment is refused as each forge
   refuses it.
2. Every answer the servers gave in those scenarios is validated against the forge's published OpenAPI
   description (tests/servers/openapi/, see its README.md): the status code must be documented for the
   operation and the body must match its schema. GitLab publishes none that can be reached here; its
   answers are checked against the fields its API documentation lists instead.
"""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import datetime
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

TOKEN = FORGE_TOKEN  # the token of the gh_server, gl_server and gt_server fixtures (tests/conftest.py)
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
SHA2 = "89e6c98d92887913cadf06b2adb97f26cde4849b"
OPENAPI = Path(__file__).parent / "servers" / "openapi"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


# --- fixtures and helpers -----------------------------------------------------------------------------


def pygithub(server: ForgeServer, token: str = TOKEN, **kwargs: Any) -> github.Github:
    """A PyGithub client of the server (no throttling between calls: it is a local test server)."""
    return github.Github(
        base_url=server.url,
        auth=github.Auth.Token(token),
        seconds_between_requests=0,
        seconds_between_writes=0,
        retry=None,
        **kwargs,
    )


def pygitlab(server: ForgeServer, token: str = TOKEN) -> gitlab.Gitlab:
    """A python-gitlab client of the server."""
    return gitlab.Gitlab(server.url, private_token=token, timeout=10)


def gitea(server: ForgeServer, token: str | None = TOKEN) -> httpx.Client:
    """An httpx client of the Gitea server, authenticated as Gitea documents (``token X``)."""
    headers = {"Accept": "application/json"} | ({"Authorization": f"token {token}"} if token else {})
    return httpx.Client(base_url=server.url, headers=headers, timeout=10)


@cache
def spec(kind: str) -> dict:
    """The forge's trimmed description, as published (see ``validation_components`` for Gitea's)."""
    return json.loads((OPENAPI / f"{kind}.json").read_text())


def _null_for_refs(node: Any) -> Any:
    """Every property that is a ``$ref`` may also be null (see ``validation_components``)."""
    if isinstance(node, dict):
        out = {k: _null_for_refs(v) for k, v in node.items()}
        if isinstance(node.get("properties"), dict):
            out["properties"] = {
                name: {"anyOf": [prop, {"enum": [None]}]} if set(prop) == {"$ref"} else _null_for_refs(prop)
                for name, prop in node["properties"].items()
            }
        return out
    if isinstance(node, list):
        return [_null_for_refs(v) for v in node]
    return node


# Gitea's fields that are Go pointers or slices but not objects, answered as null when unset (Gitea's
# modules/structs: ``*time.Time``, ``*string``, a nil ``[]*User``); Swagger 2.0 could not say so.
GITEA_NIL = {
    ("PullRequest", "merged_at"),
    ("PullRequest", "merge_commit_sha"),
    ("PullRequest", "due_date"),
    ("PullRequest", "closed_at"),
    ("PullRequest", "assignees"),
}


@cache
def validation_components(kind: str) -> dict:
    """The components to validate with. Gitea's description comes from Swagger 2.0, which cannot say
    nullable: its object fields are Go pointers that Gitea answers as null when unset (``parent``,
    ``repo_transfer``), so a ``$ref`` property may be null there, as may the few other pointer fields
    in ``GITEA_NIL``. GitHub's is used as published."""
    components = spec(kind)["components"]
    if kind != "gitea":
        return components
    components = _null_for_refs(components)
    for schema, prop in GITEA_NIL:
        declared = components["schemas"][schema]["properties"][prop]
        components["schemas"][schema]["properties"][prop] = {"anyOf": [declared, {"enum": [None]}]}
    return components


def _template_regex(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


# GitHub still serves the older list path PyGithub uses; its answer is the documented list's.
ALIASES = {
    ("github", "GET", r"^/repos/[^/]+/[^/]+/statuses/[^/]+$"): "/repos/{owner}/{repo}/commits/{ref}/statuses",
}
# Codes a forge answers that its description leaves out (see the README): schema to check them with.
UNDOCUMENTED = {
    ("github", 400): "basic-error",
    ("github", 401): "basic-error",
    ("github", 404): "basic-error",
    ("github", 422): "validation-error",
    ("gitea", 401): None,
    ("gitea", 404): None,
    ("gitea", 422): None,
    ("gitea", 500): None,
}


def operation(kind: str, ex: Exchange) -> tuple[str, dict]:
    """The documented operation (path template, operation object) an exchange belongs to."""
    doc = spec(kind)
    path = ex.path
    if kind == "gitea":
        assert path.startswith("/api/v1/"), path
        path = path.removeprefix("/api/v1")
    for (k, method, pattern), template in ALIASES.items():
        if k == kind and method == ex.method and re.match(pattern, path):
            return template, doc["paths"][template]["get"]
    found = [
        t for t in doc["paths"] if _template_regex(t).match(path) and ex.method.lower() in doc["paths"][t]
    ]
    assert len(found) == 1, f"{ex.method} {ex.path}: documented as {found}"
    return found[0], doc["paths"][found[0]][ex.method.lower()]


def resolve(doc: dict, node: dict) -> dict:
    """Follow a local ``$ref`` (to a response) until a real object."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_errors(kind: str, schema: dict, instance: Any) -> list[str]:
    """Why ``instance`` does not match ``schema`` (local refs resolved in the forge's document)."""
    root = {**schema, "components": validation_components(kind)}
    validator = OAS30Validator(root, format_checker=oas30_format_checker)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def check_exchange(kind: str, ex: Exchange) -> list[str]:
    """Problems of one answer against the forge's description (empty: it conforms)."""
    template, op = operation(kind, ex)
    where = f"{ex.method} {ex.path} -> {ex.status} ({template})"
    doc = spec(kind)
    responses = op["responses"]
    status = "200" if ex.status == 304 else str(ex.status)  # 304: a conditional GET of a documented 200
    if status not in responses:
        if (kind, ex.status) not in UNDOCUMENTED:
            return [f"{where}: status not documented (documents {sorted(responses)})"]
        name = UNDOCUMENTED[(kind, ex.status)]
        if name is None or not ex.body:
            return []
        errors = schema_errors(kind, {"$ref": f"#/components/schemas/{name}"}, ex.json())
        return [f"{where}: {e}" for e in errors]
    if ex.status == 304:
        return [] if not ex.body else [f"{where}: a 304 has a body"]
    response = resolve(doc, responses[status])
    content = response.get("content", {}).get("application/json")
    if content is None:  # Gitea documents its APIError body as headers: nothing to check but the code
        return [] if not ex.body or kind == "gitea" else [f"{where}: a body where none is documented"]
    if not ex.body and kind == "gitea" and template.endswith("/status"):
        return []  # Gitea 1.20 answers a combined status of no statuses with an empty 200 (emulated)
    return [f"{where}: {e}" for e in schema_errors(kind, content["schema"], ex.json())]


def check_all(kind: str, server: ForgeServer) -> set[tuple[str, str, int]]:
    """Validate every exchange in the server's log; returns (method, template, status) seen."""
    problems, seen = [], set()
    for ex in server.log:
        problems += check_exchange(kind, ex)
        seen.add((ex.method, operation(kind, ex)[0], ex.status))
    assert not problems, "\n".join(problems[:20])
    return seen


def declared_properties_missing(kind: str, schema_name: str, obj: dict) -> set[str]:
    """Properties the schema declares that the object lacks (for Gitea, whose schemas require none)."""
    props = spec(kind)["components"]["schemas"][schema_name].get("properties", {})
    return set(props) - set(obj)


# --- the server's own interface -------------------------------------------------------------------------


def test_base_urls_requests_and_statuses() -> None:
    for kind, suffix in (("github", ""), ("gitlab", ""), ("gitea", "/api/v1")):
        with ForgeServer(kind, TOKEN) as server:
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+" + re.escape(suffix), server.url)
            assert server.start() == server.url  # idempotent
            server.add_repo("acme/web")
            with pytest.raises(ValueError):
                server.add_repo("acme/web")
            assert server.statuses("acme/web", SHA) == []
        server.stop()  # twice is fine
    with pytest.raises(ValueError):
        ForgeServer("bitbucket", TOKEN)


# --- GitHub through PyGithub ----------------------------------------------------------------------------


def github_scenario(server: ForgeServer) -> None:
    """Everything the GitHub client side does, successes and refusals, through PyGithub."""
    server.add_repo("acme/web")
    server.add_repo("acme/lib", commits=[SHA2, SHA])
    gh = pygithub(server, per_page=2)
    repo = gh.get_repo("acme/web")
    assert (repo.full_name, repo.default_branch, repo.private, repo.owner.login) == (
        "acme/web",
        "main",
        True,
        "acme",
    )
    commit = repo.get_commit(SHA)
    posted = [
        commit.create_status(
            "pending", target_url="http://cm.test/a/1", description="queued", context="cm/build"
        ),
        commit.create_status(
            "failure", target_url="http://cm.test/a/1", description="2 failed", context="cm/build"
        ),
        commit.create_status("success", description="docs built", context="cm/docs"),
        commit.create_status(
            "success", target_url="http://cm.test/a/2", description="green", context="cm/build"
        ),
        commit.create_status("error", context="cm/deploy"),
    ]
    assert [s.state for s in posted] == ["pending", "failure", "success", "success", "error"]
    assert posted[0].creator.login == "cm-bot" and posted[0].id < posted[1].id
    assert isinstance(posted[0].created_at, datetime) and posted[0].created_at.tzinfo is not None
    listed = list(commit.get_statuses())  # 5 statuses, 2 a page: 3 requests, newest first
    assert [s.id for s in listed] == [s.id for s in reversed(posted)]
    combined = commit.get_combined_status()
    assert (combined.state, combined.sha, combined.total_count) == ("failure", SHA, 3)
    assert {s.context: s.state for s in combined.statuses} == {
        "cm/build": "success",
        "cm/docs": "success",
        "cm/deploy": "error",
    }
    assert repo.update() is False  # conditional GET: 304, unchanged
    lib = gh.get_repo("acme/lib")
    assert lib.get_commit("main").sha == SHA  # a branch resolves to its head
    with pytest.raises(github.GithubException) as refused:
        lib.get_commit(SHA2).create_status("failed")  # GitLab's word, not GitHub's
    assert refused.value.status == 422 and refused.value.data["message"] == "Validation Failed"
    with pytest.raises(github.GithubException) as unknown:
        lib.get_commit(SHA2[:7] + "0" * 33)
    assert unknown.value.status == 422 and "No commit found" in unknown.value.data["message"]
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("acme/nope")
    with pytest.raises(github.BadCredentialsException) as bad:
        pygithub(server, token="wrong").get_repo("acme/web")
    assert bad.value.data["message"] == "Bad credentials"


def test_github_statuses_through_pygithub(gh_server: ForgeServer) -> None:
    github_scenario(gh_server)
    stored = gh_server.statuses("acme/web", SHA)
    assert [(s["state"], s["context"]) for s in stored] == [
        ("pending", "cm/build"),
        ("failure", "cm/build"),
        ("success", "cm/docs"),
        ("success", "cm/build"),
        ("error", "cm/deploy"),
    ]
    assert stored[0]["target_url"] == "http://cm.test/a/1" and stored[4]["description"] is None
    assert all(ISO_Z.match(s["created_at"]) for s in stored)
    assert gh_server.api_calls("POST", "/repos/acme/web/statuses/") == 5
    assert gh_server.statuses("acme/lib", SHA2) == []  # the refused post left nothing
    post = next(ex for ex in gh_server.log if ex.method == "POST" and ex.status == 201)
    assert post.headers["Location"] == post.json()["url"]


def test_github_pagination_and_link_header(gh_server: ForgeServer) -> None:
    gh_server.add_repo("acme/web")
    commit = pygithub(gh_server).get_repo("acme/web").get_commit(SHA)
    for n in range(7):
        commit.create_status("success", context=f"ctx-{n}")
    before = gh_server.api_calls("GET")
    small = pygithub(gh_server, per_page=3, lazy=True).get_repo("acme/web").get_commit(SHA)
    contexts = [s.context for s in small.get_statuses()]
    assert contexts == [f"ctx-{n}" for n in reversed(range(7))]
    lists = [
        ex for ex in gh_server.log[before:] if ex.path.endswith(f"/statuses/{SHA}") or "/statuses" in ex.path
    ]
    lists = [ex for ex in lists if ex.method == "GET"]
    assert len(lists) == 3  # 3 + 3 + 1
    assert 'rel="next"' in lists[0].headers["Link"] and 'rel="last"' in lists[0].headers["Link"]
    assert 'rel="prev"' in lists[2].headers["Link"] and 'rel="next"' not in lists[2].headers["Link"]


def test_github_conditional_requests_and_rate_limit(gh_server: ForgeServer) -> None:
    gh_server.add_repo("acme/web")
    gh = pygithub(gh_server)
    repo = gh.get_repo("acme/web")
    first = gh_server.log[-1]
    remaining = int(first.headers["X-RateLimit-Remaining"])
    assert int(first.headers["X-RateLimit-Limit"]) == 5000 and first.headers["ETag"].startswith('W/"')
    assert repo.update() is False and repo.update() is False
    hits = [ex for ex in gh_server.log if ex.status == 304]
    assert len(hits) == 2 and all(not ex.body for ex in hits)
    assert int(gh_server.log[-1].headers["X-RateLimit-Remaining"]) == remaining  # 304s are free
    # a list's ETag changes when a status is added
    url, headers = (
        f"{gh_server.url}/repos/acme/web/commits/{SHA}/statuses",
        {"Authorization": f"Bearer {TOKEN}"},
    )
    etag = httpx.get(url, headers=headers).headers["etag"]
    assert httpx.get(url, headers=headers | {"If-None-Match": etag}).status_code == 304
    repo.get_commit(SHA).create_status("pending", context="cm/build")
    again = httpx.get(url, headers=headers | {"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag and len(again.json()) == 1
    assert gh.rate_limiting[1] == 5000


def test_github_answers_match_openapi(gh_server: ForgeServer) -> None:
    github_scenario(gh_server)
    with httpx.Client(base_url=gh_server.url, headers={"Authorization": f"token {TOKEN}"}) as raw:
        assert raw.get(f"/repos/acme/web/commits/{SHA2}/status").status_code == 200  # no statuses: pending
        assert raw.get("/repos/acme/lib/commits/feedbee/status").status_code == 404
        assert raw.post(f"/repos/acme/web/statuses/{SHA}", json={"context": "x"}).status_code == 422
        assert httpx.get(f"{gh_server.url}/repos/acme/web").status_code == 404  # anonymous: hidden
    seen = check_all("github", gh_server)
    assert {
        ("GET", "/repos/{owner}/{repo}", 200),
        ("GET", "/repos/{owner}/{repo}", 304),
        ("GET", "/repos/{owner}/{repo}", 401),
        ("GET", "/repos/{owner}/{repo}", 404),
        ("GET", "/repos/{owner}/{repo}/commits/{ref}", 200),
        ("GET", "/repos/{owner}/{repo}/commits/{ref}", 422),
        ("POST", "/repos/{owner}/{repo}/statuses/{sha}", 201),
        ("POST", "/repos/{owner}/{repo}/statuses/{sha}", 422),
        ("GET", "/repos/{owner}/{repo}/commits/{ref}/statuses", 200),
        ("GET", "/repos/{owner}/{repo}/commits/{ref}/status", 200),
        ("GET", "/repos/{owner}/{repo}/commits/{ref}/status", 404),
    } <= seen


# --- GitLab through python-gitlab -----------------------------------------------------------------------

# The fields of GitLab's CommitStatus and UserBasic entities, as its API documentation lists them.
GITLAB_STATUS_FIELDS = {
    "id", "sha", "ref", "status", "name", "target_url", "description", "created_at", "started_at",
    "finished_at", "allow_failure", "coverage", "pipeline_id", "author",
}  # fmt: skip
GITLAB_USER_FIELDS = {"id", "username", "name", "state", "locked", "avatar_url", "web_url"}


def gitlab_scenario(server: ForgeServer) -> None:
    """Everything the GitLab client side does, successes and refusals, through python-gitlab."""
    server.add_repo("acme/platform/web")
    server.add_repo("acme/lib", commits=[SHA2, SHA])
    gl = pygitlab(server)
    project = gl.projects.get("acme/platform/web")
    assert (project.path_with_namespace, project.default_branch) == ("acme/platform/web", "main")
    assert gl.projects.get(project.id).id == project.id  # by numeric id too
    statuses = project.commits.get(SHA, lazy=True).statuses
    pending = statuses.create({"state": "pending", "name": "cm/build", "target_url": "http://cm.test/a/1"})
    running = statuses.create({"state": "running", "name": "cm/build", "description": "building"})
    done = statuses.create({"state": "success", "name": "cm/build", "description": "green"})
    assert pending.id == running.id == done.id  # one job, moved along
    assert (done.status, done.target_url, done.description) == ("success", "http://cm.test/a/1", "green")
    assert done.started_at and done.finished_at and done.ref == "main" and done.author["username"] == "cm-bot"
    statuses.create({"state": "pending", "context": "cm/docs"})
    with pytest.raises(gitlab.GitlabCreateError) as twice:
        statuses.create({"state": "pending", "context": "cm/docs"})
    assert twice.value.response_code == 400
    assert twice.value.error_message == (
        "Cannot transition status via :enqueue from :pending "
        '(Reason(s): Status cannot transition via "enqueue")'
    )
    statuses.create({"state": "running", "context": "cm/docs"})
    with pytest.raises(gitlab.GitlabCreateError, match="via :run from :running"):
        statuses.create({"state": "running", "context": "cm/docs"})
    with pytest.raises(gitlab.GitlabCreateError, match="via :skip from :running"):
        statuses.create({"state": "skipped", "context": "cm/docs"})
    statuses.create({"state": "failed", "context": "cm/docs"})
    retry = statuses.create({"state": "pending", "name": "cm/build"})  # after success: a new job
    assert retry.id != done.id
    latest = statuses.list(get_all=True)
    assert sorted((s.name, s.status) for s in latest) == [("cm/build", "pending"), ("cm/docs", "failed")]
    assert len(statuses.list(get_all=True, all=True)) == 3  # the retried job too
    with pytest.raises(gitlab.GitlabCreateError) as wrong:
        statuses.create({"state": "failure", "name": "cm/build"})  # GitHub's word, not GitLab's
    assert wrong.value.response_code == 400 and "state does not have a valid value" in str(wrong.value)
    lib = gl.projects.get("acme/lib", lazy=True)
    with pytest.raises(gitlab.GitlabCreateError) as missing:
        lib.commits.get("0" * 40, lazy=True).statuses.create({"state": "success"})
    assert missing.value.response_code == 404 and missing.value.error_message == "404 Commit Not Found"
    with pytest.raises(gitlab.GitlabGetError) as nope:
        gl.projects.get("acme/nope")
    assert nope.value.response_code == 404 and nope.value.error_message == "404 Project Not Found"
    with pytest.raises(gitlab.GitlabAuthenticationError) as bad:
        pygitlab(server, token="wrong").projects.get("acme/lib")
    assert bad.value.response_code == 401 and bad.value.error_message == "401 Unauthorized"


def test_gitlab_statuses_through_python_gitlab(gl_server: ForgeServer) -> None:
    gitlab_scenario(gl_server)
    stored = gl_server.statuses("acme/platform/web", SHA)
    assert [(s["name"], s["status"]) for s in stored] == [
        ("cm/build", "pending"),
        ("cm/build", "running"),
        ("cm/build", "success"),
        ("cm/docs", "pending"),
        ("cm/docs", "running"),
        ("cm/docs", "failed"),
        ("cm/build", "pending"),
    ]
    assert stored[0]["id"] == stored[2]["id"] != stored[6]["id"]
    # python-gitlab posts to the project's id once it has the project, to its encoded path when lazy
    project_id = gl_server.log[0].json()["id"]
    assert gl_server.api_calls("POST", f"/api/v4/projects/{project_id}/statuses/{SHA}") == 11
    assert gl_server.api_calls("POST", f"/api/v4/projects/{quote_path('acme/lib')}/statuses/") == 1


def test_gitlab_pagination_headers(gl_server: ForgeServer) -> None:
    gl_server.add_repo("acme/web")
    statuses = pygitlab(gl_server).projects.get("acme/web", lazy=True).commits.get(SHA, lazy=True).statuses
    for n in range(5):
        statuses.create({"state": "success", "name": f"job-{n}"})
    before = gl_server.api_calls("GET")
    names = [s.name for s in statuses.list(iterator=True, per_page=2)]
    assert names == [f"job-{n}" for n in range(5)]  # id ascending, GitLab's default
    assert gl_server.api_calls("GET") - before == 3
    first = next(ex for ex in gl_server.log if ex.method == "GET" and ex.query.get("per_page") == "2")
    assert {
        k: first.headers[k] for k in ("X-Page", "X-Per-Page", "X-Total", "X-Total-Pages", "X-Next-Page")
    } == {
        "X-Page": "1",
        "X-Per-Page": "2",
        "X-Total": "5",
        "X-Total-Pages": "3",
        "X-Next-Page": "2",
    }
    assert first.headers["X-Prev-Page"] == "" and 'rel="next"' in first.headers["Link"]
    newest = statuses.list(get_all=True, sort="desc")
    assert [s.name for s in newest] == [f"job-{n}" for n in reversed(range(5))]


def test_gitlab_answers_have_the_documented_fields(gl_server: ForgeServer) -> None:
    """GitLab publishes no reachable OpenAPI description (see tests/servers/openapi/README.md): check
    the entity fields of its API documentation, the times' format and the codes instead."""
    gitlab_scenario(gl_server)
    for ex in gl_server.log:
        body = ex.json()
        if ex.status in (200, 201) and "/statuses" in ex.path:
            for status in body if isinstance(body, list) else [body]:
                assert set(status) == GITLAB_STATUS_FIELDS, ex.path
                assert set(status["author"]) == GITLAB_USER_FIELDS
                assert all(status[k] is None or ISO_Z.match(status[k]) for k in ("created_at", "finished_at"))
                assert status["status"] in ("pending", "running", "success", "failed", "canceled", "skipped")
        elif ex.status == 200:
            assert {"id", "path_with_namespace", "default_branch", "web_url", "namespace", "_links"} <= set(
                body
            )
        else:
            assert ex.status in (400, 401, 404), ex.status
            assert set(body) in ({"message"}, {"error"}), body


# --- Gitea over httpx -----------------------------------------------------------------------------------


def gitea_scenario(server: ForgeServer) -> None:
    """What the Gitea client side does, successes and refusals, over httpx."""
    server.add_repo("acme/web")
    server.add_repo("acme/lib", commits=[SHA2, SHA])
    with gitea(server) as api:
        repo = api.get("/repos/acme/web")
        assert repo.status_code == 200 and repo.json()["full_name"] == "acme/web"
        for state, context in (("pending", "cm/build"), ("failure", "cm/build"), ("warning", "cm/docs")):
            doc = {
                "state": state,
                "context": context,
                "description": state,
                "target_url": "http://cm.test/a/1",
            }
            posted = api.post(f"/repos/acme/web/statuses/{SHA}", json=doc)
            assert posted.status_code == 201 and posted.json()["status"] == state
        listed = api.get(f"/repos/acme/web/statuses/{SHA}")
        assert [s["status"] for s in listed.json()] == ["warning", "failure", "pending"]  # newest first
        assert listed.headers["X-Total-Count"] == "3"
        oldest = api.get(f"/repos/acme/web/commits/{SHA}/statuses", params={"sort": "oldest"}).json()
        assert oldest[0]["status"] == "pending"
        combined = api.get(f"/repos/acme/web/commits/{SHA}/status").json()
        assert (combined["state"], combined["total_count"]) == ("failure", 2)  # failure beats warning
        assert (
            api.post(f"/repos/acme/lib/statuses/{SHA}", json={"state": "success", "context": "c"}).status_code
            == 201
        )
        by_branch = api.get("/repos/acme/lib/commits/main/statuses").json()  # main's head is SHA
        assert [s["context"] for s in by_branch] == ["c"]
        assert (
            api.get(f"/repos/acme/lib/commits/{SHA2}/status").content == b""
        )  # none: Gitea 1.20's empty 200
        assert api.post(f"/repos/acme/web/statuses/{SHA}", json={"state": "failed"}).status_code == 400
        assert api.post("/repos/acme/lib/statuses/" + "0" * 40, json={"state": "success"}).status_code == 500
        assert api.get("/repos/acme/nope").status_code == 404
    with gitea(server, token="wrong") as bad:
        answer = bad.get("/repos/acme/web")
        assert answer.status_code == 401 and set(answer.json()) == {"message", "url"}
    with gitea(server, token=None) as anonymous:
        assert anonymous.get("/repos/acme/web").json()["message"] == "The target couldn't be found."


def test_gitea_statuses_over_httpx(gt_server: ForgeServer) -> None:
    gitea_scenario(gt_server)
    stored = gt_server.statuses("acme/web", SHA)
    assert [(s["status"], s["context"]) for s in stored] == [
        ("pending", "cm/build"),
        ("failure", "cm/build"),
        ("warning", "cm/docs"),
    ]
    assert all(s["creator"]["login"] == "cm-bot" and ISO_Z.match(s["created_at"]) for s in stored)
    assert stored[0]["url"] == f"{gt_server.url}/repos/acme/web/statuses/{SHA}"


def test_gitea_pagination(gt_server: ForgeServer) -> None:
    gt_server.add_repo("acme/web")
    with gitea(gt_server) as api:
        for n in range(5):
            api.post(f"/repos/acme/web/statuses/{SHA}", json={"state": "success", "context": f"c{n}"})
        seen, url, pages = [], f"/repos/acme/web/commits/{SHA}/statuses?limit=2", 0
        while url:
            answer = api.get(url)
            pages += 1
            assert answer.headers["X-Total-Count"] == "5"
            seen += [s["context"] for s in answer.json()]
            url = answer.links.get("next", {}).get("url")
        assert seen == [f"c{n}" for n in reversed(range(5))] and pages == 3
        assert len(api.get(f"/repos/acme/web/statuses/{SHA}", params={"limit": 500}).json()) == 5  # max 50


def test_gitea_answers_match_openapi(gt_server: ForgeServer) -> None:
    gitea_scenario(gt_server)
    seen = check_all("gitea", gt_server)
    assert {
        ("GET", "/repos/{owner}/{repo}", 200),
        ("POST", "/repos/{owner}/{repo}/statuses/{sha}", 201),
        ("POST", "/repos/{owner}/{repo}/statuses/{sha}", 400),
        ("GET", "/repos/{owner}/{repo}/statuses/{sha}", 200),
        ("GET", "/repos/{owner}/{repo}/commits/{ref}/statuses", 200),
        ("GET", "/repos/{owner}/{repo}/commits/{ref}/status", 200),
    } <= seen
    # Gitea's schemas require nothing: check that every declared property is there
    for ex in gt_server.log:
        body = ex.json()
        if ex.status == 201:
            assert not declared_properties_missing("gitea", "CommitStatus", body)
            assert not declared_properties_missing("gitea", "User", body["creator"])
        elif ex.status == 200 and ex.path == "/api/v1/repos/acme/web":
            missing = declared_properties_missing("gitea", "Repository", body)
            assert missing <= {"external_tracker", "external_wiki"}  # only set when configured


# --- pull-request comments (GitLab: merge-request notes) ------------------------------------------------

PLAN = "<!-- code-monkeys:plan -->\n## Plan\n\n- build web"
PLAN2 = PLAN + "\n- deploy web"


def test_pull_requests_and_comments_on_the_server() -> None:
    """add_pull, add_comment and comments: the same on each forge, in each forge's own shapes."""
    for kind, number, author, login in (
        ("github", "number", "user", "login"),
        ("gitlab", "iid", "author", "username"),
        ("gitea", "number", "user", "login"),
    ):
        with ForgeServer(kind, TOKEN) as server:
            server.add_repo("acme/web")
            pull = server.add_pull("acme/web", 4, SHA, SHA2, head_ref="cm/plan")
            assert pull[number] == 4
            with pytest.raises(ValueError):
                server.add_pull("acme/web", 4, SHA, SHA2)
            with pytest.raises(KeyError):
                server.add_pull("acme/nope", 1, SHA, SHA2)
            with pytest.raises(KeyError):
                server.add_comment("acme/web", 5, "no such pull request")
            with pytest.raises(KeyError):
                server.comments("acme/web", 5)
            assert server.comments("acme/web", 4) == []
            theirs = server.add_comment("acme/web", 4, "looks good", user="reviewer")
            mine = server.add_comment("acme/web", 4, PLAN, user=server.user)
            assert server.comments("acme/web", 4) == [theirs, mine]  # as stored, oldest first
            assert (theirs[author][login], mine[author][login]) == ("reviewer", "cm-bot")
            assert theirs[author]["id"] != mine[author]["id"] == server.user_id
            assert mine["body"] == PLAN and mine["id"] > theirs["id"]
            assert server.requests == []  # seeding is no API call


def github_pull_scenario(server: ForgeServer) -> None:
    """Keeping one plan comment current on a pull request through PyGithub, and the refusals."""
    server.add_repo("acme/web")
    server.add_pull("acme/web", 7, SHA, SHA2, head_ref="cm/plan")
    server.add_comment("acme/web", 7, "first!", user="reviewer")
    server.add_comment("acme/web", 7, "nit: typo", user="reviewer")
    gh = pygithub(server, per_page=2)
    pull = gh.get_repo("acme/web").get_pull(7)
    assert (pull.number, pull.state, pull.user.login, pull.merged, pull.comments) == (
        7,
        "open",
        "cm-bot",
        False,
        2,
    )
    assert (pull.head.sha, pull.head.ref, pull.base.sha, pull.base.ref) == (SHA, "cm/plan", SHA2, "main")
    assert pull.html_url == f"{server.base}/acme/web/pull/7" and pull.head.repo.full_name == "acme/web"
    assert not [c for c in pull.get_issue_comments() if c.user.login == server.user]  # 2: one page
    created = pull.create_issue_comment(PLAN)
    assert (created.user.login, created.body) == ("cm-bot", PLAN)
    assert created.html_url == f"{server.base}/acme/web/pull/7#issuecomment-{created.id}"
    listed = list(pull.get_issue_comments())  # 3, 2 a page: 2 requests, oldest first
    assert [c.user.login for c in listed] == ["reviewer", "reviewer", "cm-bot"]
    mine = next(c for c in listed if c.user.login == server.user)
    mine.edit(PLAN2)
    assert (mine.id, mine.body) == (created.id, PLAN2)
    assert pull.update() is True and pull.comments == 3  # changed since read: a full answer
    assert pull.update() is False  # unchanged: 304
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("acme/web").get_pull(8)
    with pytest.raises(github.GithubException) as blank:
        pull.create_issue_comment("  ")
    assert blank.value.status == 422 and blank.value.data["errors"][0]["message"] == "Body cannot be blank"
    with pytest.raises(github.GithubException) as long:
        mine.edit("x" * 65_537)
    assert long.value.status == 422
    assert long.value.data["errors"][0]["message"] == "Body is too long (maximum is 65536 characters)"
    with pytest.raises(github.BadCredentialsException):  # lazy: the pull request's GET is the first call
        _ = pygithub(server, token="wrong", lazy=True).get_repo("acme/web").get_pull(7).title


def test_github_pull_comments_through_pygithub(gh_server: ForgeServer) -> None:
    github_pull_scenario(gh_server)
    stored = gh_server.comments("acme/web", 7)
    assert [(c["user"]["login"], c["body"]) for c in stored] == [
        ("reviewer", "first!"),
        ("reviewer", "nit: typo"),
        ("cm-bot", PLAN2),
    ]
    assert stored[2]["author_association"] == "COLLABORATOR" and ISO_Z.match(stored[2]["updated_at"])
    assert gh_server.api_calls("GET", "/repos/acme/web/issues/7/comments") == 3  # 1 page, then 2
    assert gh_server.api_calls("POST", "/repos/acme/web/issues/7/comments") == 2  # one refused
    assert gh_server.api_calls("PATCH", "/repos/acme/web/issues/comments/") == 2  # one refused
    post = next(ex for ex in gh_server.log if ex.method == "POST" and ex.status == 201)
    assert post.headers["Location"] == post.json()["url"]
    # a list's ETag changes when a comment is edited; GitHub, unlike GitLab and Gitea, lets a token
    # with write access edit anyone's comment (the callers must not)
    with httpx.Client(base_url=gh_server.url, headers={"Authorization": f"token {TOKEN}"}) as raw:
        url = "/repos/acme/web/issues/7/comments"
        etag = raw.get(url).headers["etag"]
        assert raw.get(url, headers={"If-None-Match": etag}).status_code == 304
        edited = raw.patch(f"/repos/acme/web/issues/comments/{stored[0]['id']}", json={"body": "edited"})
        assert edited.status_code == 200 and edited.json()["user"]["login"] == "reviewer"
        again = raw.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 200 and again.headers["etag"] != etag


def test_github_pull_answers_match_openapi(gh_server: ForgeServer) -> None:
    github_pull_scenario(gh_server)
    with httpx.Client(base_url=gh_server.url, headers={"Authorization": f"token {TOKEN}"}) as raw:
        url = "/repos/acme/web/issues/7/comments"
        assert raw.get(url, headers={"If-None-Match": raw.get(url).headers["etag"]}).status_code == 304
        assert raw.get("/repos/acme/web/issues/8/comments").status_code == 404
        assert raw.post("/repos/acme/web/issues/8/comments", json={"body": "x"}).status_code == 404
        assert raw.post(url, json={}).json()["message"] == 'Invalid request.\n\n"body" wasn\'t supplied.'
        bad_json = raw.post(url, content=b"{", headers={"Content-Type": "application/json"})
        assert bad_json.status_code == 400 and bad_json.json()["message"] == "Problems parsing JSON"
        assert raw.patch("/repos/acme/web/issues/comments/1", json={"body": "x"}).status_code == 404
        assert httpx.get(f"{gh_server.url}/repos/acme/web/pulls/7").status_code == 404  # anonymous
    seen = check_all("github", gh_server)
    pull, comments = (
        "/repos/{owner}/{repo}/pulls/{pull_number}",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    )
    comment = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
    assert {
        ("GET", pull, 200),
        ("GET", pull, 304),
        ("GET", pull, 401),
        ("GET", pull, 404),
        ("GET", comments, 200),
        ("GET", comments, 304),
        ("GET", comments, 404),
        ("POST", comments, 201),
        ("POST", comments, 400),
        ("POST", comments, 404),
        ("POST", comments, 422),
        ("PATCH", comment, 200),
        ("PATCH", comment, 404),
        ("PATCH", comment, 422),
    } <= seen


# The fields of GitLab's Note entity (lib/api/entities/note.rb: a plain note, not a diff note, so no
# position, commit_id, suggestions, resolved*), and of its MergeRequest entity for a single merge request
# (lib/api/entities/issuable_entity.rb, merge_request_basic.rb, merge_request.rb, with the exposures that
# depend on options as GET .../merge_requests/:iid sets them: no render_html, not a fork, no
# include_diverged_commits_count or include_rebase_in_progress).
GITLAB_NOTE_FIELDS = {
    "id", "type", "body", "author", "created_at", "updated_at", "system", "noteable_id", "noteable_type",
    "project_id", "resolvable", "confidential", "internal", "imported", "imported_from", "noteable_iid",
    "commands_changes",
}  # fmt: skip
GITLAB_MERGE_REQUEST_FIELDS = {
    "id", "iid", "project_id", "title", "description", "state", "created_at", "updated_at",
    "merged_by", "merge_user", "merged_at", "closed_by", "closed_at", "target_branch", "source_branch",
    "user_notes_count", "upvotes", "downvotes", "author", "assignees", "assignee", "reviewers",
    "source_project_id", "target_project_id", "labels", "draft", "imported", "imported_from",
    "work_in_progress", "milestone", "merge_when_pipeline_succeeds", "merge_status",
    "detailed_merge_status", "merge_after", "sha", "merge_commit_sha", "squash_commit_sha",
    "discussion_locked", "should_remove_source_branch", "force_remove_source_branch", "prepared_at",
    "reference", "references", "web_url", "time_stats", "squash", "squash_on_merge",
    "task_completion_status", "has_conflicts", "blocking_discussions_resolved",
    "subscribed", "changes_count", "latest_build_started_at", "latest_build_finished_at",
    "first_deployed_to_production_at", "pipeline", "head_pipeline", "diff_refs", "merge_error",
    "first_contribution", "user",
}  # fmt: skip


def gitlab_merge_request_scenario(server: ForgeServer) -> None:
    """Keeping one plan note current on a merge request through python-gitlab, and the refusals."""
    server.add_repo("acme/platform/web")
    server.add_pull("acme/platform/web", 3, SHA, SHA2, head_ref="cm/plan")
    server.add_comment("acme/platform/web", 3, "first!", user="reviewer")
    gl = pygitlab(server)
    project = gl.projects.get("acme/platform/web", lazy=True)
    merge_request = project.mergerequests.get(3)
    assert (merge_request.iid, merge_request.state, merge_request.sha) == (3, "opened", SHA)
    assert (merge_request.source_branch, merge_request.target_branch) == ("cm/plan", "main")
    assert merge_request.diff_refs == {"base_sha": SHA2, "head_sha": SHA, "start_sha": SHA2}
    assert merge_request.author["username"] == "cm-bot" and merge_request.user_notes_count == 1
    assert merge_request.web_url == f"{server.base}/acme/platform/web/-/merge_requests/3"
    notes = project.mergerequests.get(3, lazy=True).notes
    created = notes.create({"body": PLAN})
    assert (created.author["username"], created.noteable_iid, created.noteable_type) == (
        "cm-bot",
        3,
        "MergeRequest",
    )
    for n in range(2):
        server.add_comment("acme/platform/web", 3, f"review {n}", user="reviewer")
    listed = notes.list(get_all=True, per_page=2)  # 4, 2 a page: 2 requests, newest first (GitLab's default)
    assert [n.body for n in listed] == ["review 1", "review 0", PLAN, "first!"]
    ascending = notes.list(get_all=True, sort="asc")
    assert [n.body for n in ascending] == ["first!", PLAN, "review 0", "review 1"]
    mine = next(n for n in listed if n.author["username"] == server.user)
    mine.body = PLAN2
    mine.save()
    theirs = next(n for n in listed if n.author["username"] != server.user)
    theirs.body = "edited by the bot"
    with pytest.raises(gitlab.GitlabUpdateError) as forbidden:
        theirs.save()
    assert forbidden.value.response_code == 403 and forbidden.value.error_message == "403 Forbidden"
    with pytest.raises(gitlab.GitlabCreateError) as blank:
        notes.create({"body": " "})
    assert blank.value.response_code == 400
    assert blank.value.error_message == '400 Bad request - Note {:note=>["can\'t be blank"]}'
    with pytest.raises(gitlab.GitlabGetError) as missing:
        project.mergerequests.get(4)
    assert missing.value.response_code == 404 and missing.value.error_message == "404 Not found"
    with pytest.raises(gitlab.GitlabListError) as no_notes:
        project.mergerequests.get(4, lazy=True).notes.list(get_all=True)
    assert no_notes.value.response_code == 404
    with pytest.raises(gitlab.GitlabAuthenticationError):
        pygitlab(server, token="wrong").projects.get("acme/platform/web", lazy=True).mergerequests.get(3)


def test_gitlab_merge_request_notes_through_python_gitlab(gl_server: ForgeServer) -> None:
    gitlab_merge_request_scenario(gl_server)
    stored = gl_server.comments("acme/platform/web", 3)
    assert [(n["author"]["username"], n["body"]) for n in stored] == [
        ("reviewer", "first!"),
        ("cm-bot", PLAN2),
        ("reviewer", "review 0"),
        ("reviewer", "review 1"),
    ]
    path = f"/api/v4/projects/{quote_path('acme/platform/web')}/merge_requests/3/notes"
    assert gl_server.api_calls("GET", path) == 3 and gl_server.api_calls("PUT", path + "/") == 2
    first = next(ex for ex in gl_server.log if ex.method == "GET" and ex.query.get("per_page") == "2")
    assert (first.headers["X-Total"], first.headers["X-Total-Pages"], first.headers["X-Next-Page"]) == (
        "4",
        "2",
        "2",
    )


def test_gitlab_merge_request_answers_have_the_documented_fields(gl_server: ForgeServer) -> None:
    """No reachable OpenAPI description (see tests/servers/openapi/README.md): the entities' fields."""
    gitlab_merge_request_scenario(gl_server)
    seen = set()
    for ex in gl_server.log:
        body = ex.json()
        what = "notes" if "/notes" in ex.path else "merge_request"
        seen.add((ex.method, what, ex.status))
        if ex.status in (200, 201) and what == "notes":
            for note in body if isinstance(body, list) else [body]:
                assert set(note) == GITLAB_NOTE_FIELDS, ex.path
                assert set(note["author"]) == GITLAB_USER_FIELDS
                assert ISO_Z.match(note["created_at"]) and ISO_Z.match(note["updated_at"])
                assert (note["type"], note["system"], note["noteable_type"]) == (None, False, "MergeRequest")
        elif ex.status == 200:
            assert set(body) == GITLAB_MERGE_REQUEST_FIELDS
            assert set(body["author"]) == GITLAB_USER_FIELDS and body["state"] == "opened"
            assert set(body["references"]) == {"short", "relative", "full"}
            assert set(body["diff_refs"]) == {"base_sha", "head_sha", "start_sha"}
        else:
            assert ex.status in (400, 401, 403, 404), ex.status
            assert set(body) in ({"message"}, {"error"}), body
    assert {
        ("GET", "merge_request", 200),
        ("GET", "merge_request", 401),
        ("GET", "merge_request", 404),
        ("GET", "notes", 200),
        ("GET", "notes", 404),
        ("POST", "notes", 201),
        ("POST", "notes", 400),
        ("PUT", "notes", 200),
        ("PUT", "notes", 403),
    } <= seen


def gitea_pull_scenario(server: ForgeServer) -> None:
    """Keeping one plan comment current on a pull request over httpx, and the refusals."""
    server.add_repo("acme/web")
    server.add_repo("acme/lib")
    server.add_pull("acme/web", 5, SHA, SHA2, head_ref="cm/plan")
    server.add_comment("acme/web", 5, "first!", user="reviewer")
    with gitea(server) as api:
        pull = api.get("/repos/acme/web/pulls/5")
        assert pull.status_code == 200
        doc = pull.json()
        assert (doc["number"], doc["state"], doc["user"]["login"], doc["html_url"]) == (
            5,
            "open",
            "cm-bot",
            f"{server.base}/acme/web/pulls/5",
        )
        assert (doc["head"]["sha"], doc["head"]["ref"], doc["base"]["sha"], doc["base"]["ref"]) == (
            SHA,
            "cm/plan",
            SHA2,
            "main",
        )
        created = api.post("/repos/acme/web/issues/5/comments", json={"body": PLAN})
        assert created.status_code == 201 and created.json()["user"]["login"] == "cm-bot"
        listed = api.get("/repos/acme/web/issues/5/comments")
        assert [c["user"]["login"] for c in listed.json()] == ["reviewer", "cm-bot"]  # oldest first
        assert listed.headers["X-Total-Count"] == "2"
        mine = next(c for c in listed.json() if c["user"]["login"] == server.user)
        edited = api.patch(f"/repos/acme/web/issues/comments/{mine['id']}", json={"body": PLAN2})
        assert edited.status_code == 200 and edited.json()["body"] == PLAN2
        since = api.get("/repos/acme/web/issues/5/comments", params={"since": edited.json()["updated_at"]})
        assert mine["id"] in [c["id"] for c in since.json()]
        theirs = listed.json()[0]
        refused = api.patch(f"/repos/acme/web/issues/comments/{theirs['id']}", json={"body": "edited"})
        assert refused.status_code == 403 and refused.content == b""  # not its poster
        assert (
            api.patch(f"/repos/acme/lib/issues/comments/{mine['id']}", json={"body": "x"}).status_code == 404
        )
        unknown = api.patch("/repos/acme/web/issues/comments/999", json={"body": "x"})
        assert unknown.status_code == 404
        assert unknown.json()["errors"] == ["comment does not exist [id: 999, issue_id: 0]"]
        assert api.post("/repos/acme/web/issues/5/comments", json={"body": ""}).status_code == 422
        assert api.get("/repos/acme/web/issues/5/comments", params={"since": "yesterday"}).status_code == 422
        assert api.get("/repos/acme/web/pulls/6").json()["message"] == "The target couldn't be found."
        # Gitea answers 500 to the comments of an issue index it lacks (GetIssueByIndex's error)
        assert api.post("/repos/acme/web/issues/6/comments", json={"body": "x"}).status_code == 500
        assert api.get("/repos/acme/web/issues/6/comments").status_code == 500
    with gitea(server, token="wrong") as bad:
        assert bad.get("/repos/acme/web/pulls/5").status_code == 401


def test_gitea_pull_comments_over_httpx(gt_server: ForgeServer) -> None:
    gitea_pull_scenario(gt_server)
    stored = gt_server.comments("acme/web", 5)
    assert [(c["user"]["login"], c["body"]) for c in stored] == [("reviewer", "first!"), ("cm-bot", PLAN2)]
    assert (
        stored[1]["pull_request_url"] == f"{gt_server.base}/acme/web/pulls/5" and stored[1]["issue_url"] == ""
    )
    assert gt_server.api_calls("PATCH", "/api/v1/repos/acme/web/issues/comments/") == 3


def test_gitea_pull_answers_match_openapi(gt_server: ForgeServer) -> None:
    gitea_pull_scenario(gt_server)
    seen = check_all("gitea", gt_server)
    pull, comments = "/repos/{owner}/{repo}/pulls/{index}", "/repos/{owner}/{repo}/issues/{index}/comments"
    comment = "/repos/{owner}/{repo}/issues/comments/{id}"
    assert {
        ("GET", pull, 200),
        ("GET", pull, 401),
        ("GET", pull, 404),
        ("GET", comments, 200),
        ("GET", comments, 422),
        ("GET", comments, 500),
        ("POST", comments, 201),
        ("POST", comments, 422),
        ("POST", comments, 500),
        ("PATCH", comment, 200),
        ("PATCH", comment, 403),
        ("PATCH", comment, 404),
    } <= seen
    for ex in gt_server.log:  # Gitea's schemas require nothing: every declared property must be there
        body = ex.json()
        if ex.status in (200, 201) and "/comments" in ex.path:
            for item in body if isinstance(body, list) else [body]:
                assert not declared_properties_missing("gitea", "Comment", item)
                assert not declared_properties_missing("gitea", "User", item["user"])
        elif ex.status == 200:
            assert not declared_properties_missing("gitea", "PullRequest", body)
            assert not declared_properties_missing("gitea", "PRBranchInfo", body["head"])


# --- the descriptions themselves ------------------------------------------------------------------------


@cache
def trim_tool() -> Any:
    """tools/trim_openapi.py as a module."""
    path = Path(__file__).resolve().parents[1] / "tools" / "trim_openapi.py"
    loader = importlib.util.spec_from_file_location("trim_openapi", path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


def test_trimmed_descriptions_hold_the_operations_and_stay_small() -> None:
    for kind in ("github", "gitea"):
        path = OPENAPI / f"{kind}.json"
        assert path.stat().st_size < 300_000
        doc = spec(kind)
        wanted = trim_tool().OPERATIONS[kind]  # what the server implements, as the tool trims it
        ops = [
            f"{m.upper()} {p}"
            for p, item in doc["paths"].items()
            for m in item
            if m in ("get", "post", "patch")
        ]
        assert sorted(ops) == sorted(wanted) and doc["x-trimmed-from"]["operations"] == wanted
        assert doc["x-trimmed-from"]["tool"] == "tools/trim_openapi.py"
        text = path.read_text()
        for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
            assert resolve(doc, {"$ref": f"#/{ref}"}) is not None


def test_trim_openapi_keeps_operations_and_their_references() -> None:
    trim_openapi = trim_tool()
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a/{x}": {
                "parameters": [{"$ref": "#/components/parameters/x"}],
                "get": {"responses": {"200": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/A"}, "examples": {"e": {"value": 1}}}}}}},
                "delete": {"responses": {"204": {"description": "gone"}}},
            },
            "/b": {"get": {"responses": {"200": {"$ref": "#/components/responses/B"}}}},
        },
        "components": {
            "parameters": {"x": {"name": "x", "in": "path", "schema": {"type": "string"}}},
            "schemas": {
                "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"type": "object"},
                "unused": {"type": "string"},
            },
            "responses": {"B": {"description": "b"}},
        },
    }  # fmt: skip
    out = trim_openapi.trim(doc, ["GET /a/{x}"])
    assert list(out["paths"]) == ["/a/{x}"] and set(out["paths"]["/a/{x}"]) == {"parameters", "get"}
    assert set(out["components"]["schemas"]) == {"A", "B"} and "responses" not in out["components"]
    assert out["components"]["parameters"] == doc["components"]["parameters"]
    assert "examples" not in out["paths"]["/a/{x}"]["get"]["responses"]["200"]["content"]["application/json"]
    with pytest.raises(SystemExit):
        trim_openapi.trim(doc, ["POST /a/{x}"])
