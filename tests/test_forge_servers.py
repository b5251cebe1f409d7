"""Contract tests of the forge test servers (tests/servers/forges.py), checked two ways.

1. The official clients drive them: PyGithub (GitHub), python-gitlab (GitLab), httpx for Gitea (which has
   no well-kept Python client; Code Monkeys talks to it over httpx too). Statuses are posted and read
   back, a bad token raises the client's authentication error, an unknown repository its not-found
   error, lists are paged through the client, and GitHub's conditional requests answer 304.
2. Every answer the servers gave in those scenarios is validated against the forge's published OpenAPI
   description (tests/servers/openapi/, see its README.md): the status code must be documented for the
   operation and the body must match its schema. GitLab publishes none that can be reached here; its
   answers are checked against the fields its API documentation lists instead.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import github
import gitlab
import httpx
import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from servers.forges import Exchange, ForgeServer, quote_path

TOKEN = "cm-forge-token-0123456789"
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
SHA2 = "89e6c98d92887913cadf06b2adb97f26cde4849b"
OPENAPI = Path(__file__).parent / "servers" / "openapi"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


# --- fixtures and helpers -----------------------------------------------------------------------------


def _serve(kind: str) -> Iterator[ForgeServer]:
    server = ForgeServer(kind, TOKEN)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gh_server() -> Iterator[ForgeServer]:
    """A started GitHub server, stopped after the test."""
    yield from _serve("github")


@pytest.fixture
def gl_server() -> Iterator[ForgeServer]:
    """A started GitLab server, stopped after the test."""
    yield from _serve("gitlab")


@pytest.fixture
def gt_server() -> Iterator[ForgeServer]:
    """A started Gitea server, stopped after the test."""
    yield from _serve("gitea")


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


@cache
def validation_components(kind: str) -> dict:
    """The components to validate with. Gitea's description comes from Swagger 2.0, which cannot say
    nullable: its object fields are Go pointers that Gitea answers as null when unset (``parent``,
    ``repo_transfer``), so a ``$ref`` property may be null there. GitHub's is used as published."""
    components = spec(kind)["components"]
    return _null_for_refs(components) if kind == "gitea" else components


def _template_regex(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


# GitHub still serves the older list path PyGithub uses; its answer is the documented list's.
ALIASES = {
    ("github", "GET", r"^/repos/[^/]+/[^/]+/statuses/[^/]+$"): "/repos/{owner}/{repo}/commits/{ref}/statuses",
}
# Codes a forge answers that its description leaves out (see the README): schema to check them with.
UNDOCUMENTED = {
    ("github", 401): "basic-error",
    ("github", 404): "basic-error",
    ("github", 422): "validation-error",
    ("gitea", 401): None,
    ("gitea", 404): None,
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


# --- the descriptions themselves ------------------------------------------------------------------------


def test_trimmed_descriptions_hold_the_operations_and_stay_small() -> None:
    for kind, count in (("github", 5), ("gitea", 5)):
        path = OPENAPI / f"{kind}.json"
        assert path.stat().st_size < 300_000
        doc = spec(kind)
        ops = [(m, p) for p, item in doc["paths"].items() for m in item if m in ("get", "post")]
        assert len(ops) == count and doc["x-trimmed-from"]["tool"] == "tools/trim_openapi.py"
        text = path.read_text()
        for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
            assert resolve(doc, {"$ref": f"#/{ref}"}) is not None


def test_trim_openapi_keeps_operations_and_their_references() -> None:
    path = Path(__file__).resolve().parents[1] / "tools" / "trim_openapi.py"
    loader = importlib.util.spec_from_file_location("trim_openapi", path)
    trim_openapi = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(trim_openapi)
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
