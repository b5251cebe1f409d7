"""Protocol-faithful test servers of the forges' commit-status and pull-request-comment APIs: GitHub
(REST v3), GitLab (REST v4) and Gitea / Forgejo (REST v1), for the code that posts build results as
commit statuses and keeps one plan comment current on a pull request (issue 33).

No forge can be installed here, so each is emulated for exactly the REST subset Code Monkeys uses, with
the real paths, shapes (ids, node ids, urls, creator / author, ISO 8601 times), status codes, headers,
pagination and authentication. ``tests/test_forge_servers.py`` drives them with the official clients
(PyGithub, python-gitlab; httpx for Gitea) and validates what they answer against the forges' published
OpenAPI descriptions kept in ``tests/servers/openapi/`` (see its README.md).

    with ForgeServer("github", token="t0k") as forge:   # or: url = forge.start(); ...; forge.stop()
        forge.add_repo("acme/web")
        client = github.Github(base_url=forge.url, auth=github.Auth.Token("t0k"))
        ...
        forge.statuses("acme/web", sha)   # what was posted, in order
        forge.add_pull("acme/web", 7, head_sha, base_sha)        # pull request #7 (GitLab: !7)
        forge.add_comment("acme/web", 7, "lgtm", user="someone")  # a comment by someone else
        forge.comments("acme/web", 7)     # the comments as stored now, oldest first
        forge.requests                    # [(method, path), ...] for counting API calls

Base URLs (``start()`` returns them, ``url`` keeps them): GitHub ``http://127.0.0.1:PORT`` (PyGithub's
``base_url``), GitLab ``http://127.0.0.1:PORT`` (python-gitlab adds ``/api/v4``), Gitea
``http://127.0.0.1:PORT/api/v1``. The server runs in a thread of the test process on a free port.

What each forge does, as emulated:

GitHub
    ``GET /repos/{owner}/{repo}`` (full repository), ``GET /repos/{owner}/{repo}/commits/{ref}``,
    ``POST /repos/{owner}/{repo}/statuses/{sha}`` (201 + ``Location``), ``GET .../commits/{ref}/statuses``
    and the older ``GET .../statuses/{ref}`` (newest first, ``per_page`` default 30 max 100, ``page``,
    ``Link``), ``GET .../commits/{ref}/status`` (combined: the latest status of each context; failure if
    any is error or failure, else pending if any is pending or there is none, else success). Auth
    ``Authorization: token X`` or ``Bearer X``: a wrong token is 401 ``Bad credentials``; no token is 404,
    as GitHub hides private repositories. ``X-RateLimit-Limit/Remaining/Used/Reset/Resource`` on every
    answer; GETs carry an ``ETag`` (and the repository a ``Last-Modified``) and answer a matching
    ``If-None-Match`` with 304, which does not count against the rate limit. An unknown state is 422
    ``Validation Failed``; a commit the repository does not have is 422 ``No commit found for SHA``.
    Pull requests: ``GET /repos/{owner}/{repo}/pulls/{pull_number}`` (open, head and base with label, ref,
    sha, user, repo; ``_links``; counts), ``GET .../issues/{issue_number}/comments`` (oldest first,
    ``since``, paged like statuses), ``POST`` there (201 + ``Location``) and ``PATCH
    .../issues/comments/{comment_id}`` (200). An unknown pull request or comment is 404 ``Not Found``; a
    missing ``body`` is 422 ``Invalid request``, a blank one or one over 65536 characters 422 ``Validation
    Failed`` (``Body cannot be blank``, ``Body is too long (maximum is 65536 characters)``), bad JSON 400
    ``Problems parsing JSON``. As on GitHub, the token (write access) may edit anyone's comment.
GitLab
    ``GET /api/v4/projects/:id`` (numeric id or URL-encoded path), ``POST /api/v4/projects/:id/statuses/:sha``
    and ``GET /api/v4/projects/:id/repository/commits/:sha/statuses`` (``X-Page``, ``X-Per-Page``,
    ``X-Total``, ``X-Total-Pages``, ``X-Next-Page``, ``X-Prev-Page``, ``Link``; per_page default 20 max 100;
    ``ref``, ``name``, ``stage``, ``pipeline_id``, ``order_by``, ``sort``, ``all``). Auth ``PRIVATE-TOKEN`` or
    ``Authorization: Bearer``: a wrong token is 401 ``{"message": "401 Unauthorized"}``, none is 404
    ``Project Not Found``. A status is a job of an external pipeline per sha and ref: a post whose name has
    a pending or running job moves that job (same id), otherwise it creates a job and marks the older ones
    of that name retried (only the latest are listed unless ``all``). The moves follow GitLab's state
    machine: pending again on a pending or running job is 400 ``Cannot transition status via :enqueue from
    :pending (Reason(s): ...)``, running again is ``... via :run from :running ...``, skipped on a running
    job is ``... via :skip from :running ...``. A state outside pending|running|success|failed|canceled|
    skipped is 400 ``{"error": "state does not have a valid value"}``.
    Merge requests: ``GET /api/v4/projects/:id/merge_requests/:iid`` (the ``MergeRequest`` entity: sha,
    source_branch, target_branch, diff_refs, web_url, ...), ``GET .../merge_requests/:iid/notes`` (newest
    first: ``order_by`` created_at|updated_at, ``sort`` default desc, ``activity_filter``; paged like
    statuses), ``POST`` there (201) and ``PUT .../notes/:note_id`` (200), notes being the ``Note`` entity
    of a plain comment. An unknown merge request or note is 404 ``{"message": "404 Not found"}``; a note of
    someone else is 403 ``403 Forbidden`` to the token (a developer: only authors and maintainers may edit
    notes); a missing ``body`` is 400 ``body is missing`` (an empty one on update ``body is empty``), a
    blank or too long (1000000 characters) one 400 ``400 Bad request - Note {:note=>[...]}``.
Gitea / Forgejo
    ``GET /api/v1/repos/{owner}/{repo}``, ``POST /api/v1/repos/{owner}/{repo}/statuses/{sha}`` (201),
    ``GET .../statuses/{sha}`` and ``GET .../commits/{ref}/statuses`` (newest first unless ``sort``; ``page``,
    ``limit`` default 30 max 50, ``X-Total-Count``, ``Link``), ``GET .../commits/{ref}/status`` (combined;
    error > failure > warning > pending > success). Auth ``Authorization: token X`` (or ``Bearer X``): a
    wrong token is 401, none is 404 ``The target couldn't be found.``. Gitea (1.20, whose description is
    kept) answers 500 to a status on a commit the repository lacks and 200 with an empty body to a combined
    status with no statuses; both are emulated. Gitea stores an unknown state as is; this server refuses
    it (400, a code the operation documents) so that a wrong mapping of states shows in tests.
    Pull requests: ``GET /api/v1/repos/{owner}/{repo}/pulls/{index}``, ``GET .../issues/{index}/comments``
    (every comment, oldest first, not paged; ``since``, ``before``; ``X-Total-Count``), ``POST`` there
    (201) and ``PATCH .../issues/comments/{id}`` (200). An unknown pull request is 404; an unknown index
    on the comment endpoints is 500, as Gitea answers it (GetIssueByIndex's error); an unknown comment is
    404 naming it, one of another repository a bare 404, one of another user a bare 403 (only its poster
    or an admin may edit it); an empty ``body`` is 422 (binding ``Required``). Not-found answers carry
    ``"errors": null`` unless they name one, as Gitea's ``ctx.NotFound()`` does.

Commits: ``add_repo(..., commits=None)`` makes every hexadecimal sha (7 to 40 digits) a commit of the
default branch; a list of shas makes only those exist (the last is the branch's head), so unknown-commit
answers can be tested. A branch name resolves to its head; GitLab puts every commit on the default branch.

Pull requests: ``add_pull(full_name, number, head_sha, base_sha, head_ref="feature", base_ref="main",
*, title=None)`` opens one authored by the token's user and returns the forge's object for it; comments
made through the API are the token's user's, ``add_comment(..., user=...)`` seeds others'; a pull
request's ``updated_at`` and comment count follow its comments (so, on GitHub, its ETag changes too).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

KINDS = ("github", "gitlab", "gitea")
GITHUB_STATES = ("error", "failure", "pending", "success")
GITLAB_STATES = ("pending", "running", "success", "failed", "canceled", "skipped")
GITEA_STATES = ("pending", "success", "error", "failure", "warning")
GITEA_PRIORITY = {"error": 0, "failure": 1, "warning": 2, "pending": 3, "success": 4}  # worst first
RATE_LIMIT = 5000
RATE_LIMIT_ANONYMOUS = 60
GITHUB_COMMENT_MAX = 65536  # characters of a comment's body
GITLAB_NOTE_MAX = 1_000_000  # characters of a note's body (Gitlab::Database::MAX_TEXT_SIZE_LIMIT)
_HEX = re.compile(r"^[0-9a-f]{7,40}$")
_SHA_LEN = 40


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    """GitHub's and Gitea's times: ``2024-05-01T10:00:00Z``."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_ms(when: datetime) -> str:
    """GitLab's times: ``2024-05-01T10:00:00.123Z``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _node_id(kind: str, number: int) -> str:
    """GitHub's (legacy) global node id: base64 of ``0NN:TypeID``."""
    raw = f"{len(kind):03d}:{kind}{number}"
    return base64.b64encode(raw.encode()).decode()


@dataclass
class Exchange:
    """One request and its answer, as the server saw them."""

    method: str
    path: str  # without the query string
    query: dict[str, str]
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The answer's body as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


@dataclass
class Repo:
    """A repository (GitLab: a project) held by the server."""

    id: int
    full_name: str  # owner/name (GitLab: the project's path with its namespace)
    default_branch: str
    commits: list[str] | None  # None: every hexadecimal sha is a commit of the default branch
    created_at: datetime
    owner_id: int
    namespace_id: int

    @property
    def owner(self) -> str:
        """The owner (GitLab: the namespace's full path)."""
        return self.full_name.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        """The repository's own name."""
        return self.full_name.rsplit("/", 1)[1]

    def resolve(self, ref: str) -> str | None:
        """The commit a ref names (a branch or a sha), or None."""
        ref = ref.removeprefix("refs/heads/")
        if ref == self.default_branch:
            return self.commits[-1] if self.commits else None
        if self.commits is None:
            return ref.lower() if _HEX.match(ref.lower()) else None
        matches = [c for c in self.commits if c.startswith(ref.lower())] if _HEX.match(ref.lower()) else []
        return matches[-1] if matches else None


@dataclass
class Pull:
    """A pull request (GitLab: a merge request, ``number`` its iid) held by the server."""

    id: int  # the forge-wide id (GitLab: the merge request's id, not its iid)
    repo_id: int
    number: int
    title: str
    head_sha: str
    base_sha: str
    head_ref: str
    base_ref: str
    created_at: datetime


@dataclass
class Comment:
    """A comment on a pull request (GitLab: a note on a merge request)."""

    id: int
    repo_id: int
    number: int
    author: str  # the login
    body: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Answer:
    """What a handler answers: status, body (JSON-able, bytes or None), extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no delayed-ACK stall
    forge: ForgeServer  # set on the subclass made by ForgeServer.start

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.forge._dispatch(self.command, self.path, dict(self.headers), body)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if payload and status != 304:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class ForgeServer:
    """A GitHub, GitLab or Gitea commit-status API on 127.0.0.1 and a free port.

    ``kind`` is ``"github"``, ``"gitlab"`` or ``"gitea"``; ``token`` is the one access token it accepts
    (its user is ``user``). ``start()`` returns the API base URL (also ``url``), ``stop()`` ends the server.
    ``requests`` lists every request as ``(method, path)`` (path without the query string), ``log`` every
    exchange in full (``Exchange``), ``statuses(full_name, sha)`` the statuses posted, in order, and
    ``comments(full_name, number)`` a pull request's comments; ``add_repo``, ``add_pull`` and
    ``add_comment`` set the state up without API calls.
    """

    def __init__(self, kind: str, token: str, *, user: str = "cm-bot") -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        self.kind, self.token, self.user = kind, token, user
        self.user_id = 5012
        self.requests: list[tuple[str, str]] = []
        self.log: list[Exchange] = []
        self.url = ""  # the API base once started
        self.base = ""  # http://127.0.0.1:PORT
        self._repos: dict[str, Repo] = {}
        self._posted: dict[tuple[int, str], list[dict]] = {}  # (repo id, sha) -> post answers, in order
        self._stored: dict[int, list[dict]] = {}  # repo id -> the forge's status records
        self._pipelines: dict[tuple[int, str, str], int] = {}  # GitLab: (project, sha, ref) -> pipeline id
        self._pulls: dict[tuple[int, int], Pull] = {}  # (repo id, number) -> the pull request
        self._comments: list[Comment] = []  # every comment on every pull request, in order
        self._logins: dict[str, int] = {user: self.user_id}  # users the server knows -> their ids
        self._ids = itertools.count(40_000_001)
        self._repo_ids = itertools.count(70_001)
        self._lock = threading.RLock()
        self._started = _now()
        self._reset = int(time.time()) + 3600
        self._used = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life -------------------------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving; returns the API base URL (see the module's docstring)."""
        if self._httpd is not None:
            return self.url
        handler = type("ForgeHandler", (_Handler,), {"forge": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        port = self._httpd.server_address[1]
        self.base = f"http://127.0.0.1:{port}"
        self.url = self.base + ("/api/v1" if self.kind == "gitea" else "")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"forge-{self.kind}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving (safe to call twice)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> ForgeServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state ------------------------------------------------------------------------------------------

    def add_repo(
        self, full_name: str, default_branch: str = "main", *, commits: Iterable[str] | None = None
    ) -> dict:
        """Create a repository (GitLab: a project, ``full_name`` its path, e.g. ``group/sub/name``).

        ``commits``: the shas it has, the last being the head of ``default_branch``; None (the default)
        accepts every hexadecimal sha. Returns ``{"id", "full_name", "default_branch"}``."""
        if full_name.count("/") < 1 or (self.kind != "gitlab" and full_name.count("/") != 1):
            raise ValueError(f"{full_name!r}: expected owner/name (GitLab: group[/subgroup]/name)")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"{full_name} exists")
            repo = Repo(
                id=next(self._repo_ids),
                full_name=full_name,
                default_branch=default_branch,
                commits=[c.lower() for c in commits] if commits is not None else None,
                created_at=_now().replace(microsecond=0),
                owner_id=9000 + len(self._repos),
                namespace_id=300 + len(self._repos),
            )
            self._repos[full_name.lower()] = repo
            self._stored[repo.id] = []
        return {"id": repo.id, "full_name": full_name, "default_branch": default_branch}

    def statuses(self, full_name: str, sha: str) -> list[dict]:
        """The statuses posted to ``sha`` and accepted, in order: each the forge's answer to its post
        (GitLab moves a pending or running job in place, so a job may appear more than once)."""
        with self._lock:
            repo = self._repo(full_name)
            return [json.loads(json.dumps(s)) for s in self._posted.get((repo.id, sha.lower()), [])]

    def add_pull(
        self,
        full_name: str,
        number: int,
        head_sha: str,
        base_sha: str,
        head_ref: str = "feature",
        base_ref: str = "main",
        *,
        title: str | None = None,
    ) -> dict:
        """Open pull request ``number`` (GitLab: merge request ``!number``) of ``full_name``, from
        ``head_ref`` at ``head_sha`` into ``base_ref`` at ``base_sha``, authored by the token's user.

        Returns the forge's pull-request object as its ``GET`` answers it now (GitHub's pull request,
        GitLab's merge request, Gitea's pull request). KeyError for an unknown repository, ValueError if
        the number is taken."""
        with self._lock:
            repo = self._repo(full_name)
            if (repo.id, number) in self._pulls:
                raise ValueError(f"{full_name} already has pull request {number}")
            pull = Pull(
                id=next(self._ids),
                repo_id=repo.id,
                number=int(number),
                title=title or f"Change {head_ref}",
                head_sha=head_sha.lower(),
                base_sha=base_sha.lower(),
                head_ref=head_ref,
                base_ref=base_ref,
                created_at=_now().replace(microsecond=0),
            )
            self._pulls[(repo.id, pull.number)] = pull
            return json.loads(json.dumps(self._render_pull(repo, pull)))

    def add_comment(self, full_name: str, number: int, body: str, user: str = "someone") -> dict:
        """Seed a comment by ``user`` (any login; the token's is ``self.user``) on pull request ``number``,
        as if made on the forge's web page. Returns the forge's comment object (GitLab: the note)."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pulls.get((repo.id, int(number)))
            if pull is None:
                raise KeyError(f"{full_name}#{number}")
            return json.loads(json.dumps(self._render_comment(repo, self._new_comment(pull, body, user))))

    def comments(self, full_name: str, number: int) -> list[dict]:
        """The comments on pull request ``number`` as stored now (edits applied), oldest first: each the
        forge's comment object (GitLab: note) as its API would show it."""
        with self._lock:
            repo = self._repo(full_name)
            if (repo.id, int(number)) not in self._pulls:
                raise KeyError(f"{full_name}#{number}")
            rows = [c for c in self._comments if c.repo_id == repo.id and c.number == int(number)]
            return json.loads(json.dumps([self._render_comment(repo, c) for c in rows]))

    def api_calls(self, method: str | None = None, contains: str = "") -> int:
        """How many requests were made (of ``method``, with ``contains`` in the path)."""
        return sum(1 for m, p in self.requests if (method is None or m == method) and contains in p)

    # --- dispatch ---------------------------------------------------------------------------------------

    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes):
        parts = urlsplit(target)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        lower = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests.append((method, path))
            try:
                answer = self._route(method, path, query, lower, body)
            except Exception as exc:  # a bug of the emulation: say so loudly
                answer = Answer(500, {"message": f"test server error: {type(exc).__name__}: {exc}"})
            status, out_headers, payload = self._encode(method, path, lower, answer)
            self.log.append(Exchange(method, path, query, lower, body, status, out_headers, payload))
        return status, out_headers, payload

    def _route(self, method: str, path: str, query: dict, headers: dict, body: bytes) -> Answer:
        table = {"github": self._github_routes, "gitlab": self._gitlab_routes, "gitea": self._gitea_routes}
        for verb, pattern, handler in table[self.kind]():
            m = re.fullmatch(pattern, path)
            if m and verb == method:
                return handler(query=query, headers=headers, body=body, **m.groupdict())
        return self._route_not_found()

    def _route_not_found(self) -> Answer:
        if self.kind == "github":
            return Answer(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        if self.kind == "gitlab":
            return Answer(404, {"error": "404 Not Found"})
        return self._gt_not_found()

    def _encode(self, method: str, path: str, headers: dict, answer: Answer) -> tuple[int, dict, bytes]:
        if isinstance(answer.body, bytes):
            payload = answer.body
        elif answer.body is None:
            payload = b""
        else:
            payload = json.dumps(answer.body).encode()
        out = {"Content-Type": "application/json; charset=utf-8", "Date": formatdate(usegmt=True)}
        status = answer.status
        if self.kind == "github":
            out |= {
                "X-GitHub-Media-Type": "github.v3; format=json",
                "X-GitHub-Api-Version-Selected": "2022-11-28",
                "X-GitHub-Request-Id": secrets.token_hex(8).upper(),
            }
            if method == "GET" and status == 200:
                etag = 'W/"' + hashlib.sha256(payload).hexdigest()[:32] + '"'
                out["ETag"] = etag
                out["Cache-Control"] = "private, max-age=60, s-maxage=60"
                out["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
                if self._not_modified(headers, etag, answer.headers.get("Last-Modified")):
                    status, payload = 304, b""
            authed = self._token(headers) == self.token
            if status != 304 and authed:
                self._used += 1
            limit = RATE_LIMIT if authed else RATE_LIMIT_ANONYMOUS
            used = self._used if authed else 1
            out |= {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(max(limit - used, 0)),
                "X-RateLimit-Reset": str(self._reset),
                "X-RateLimit-Used": str(used),
                "X-RateLimit-Resource": "core",
            }
        elif self.kind == "gitea":
            out["Content-Type"] = "application/json;charset=utf-8"
            if status >= 400 and isinstance(answer.body, dict):
                out["X-Content-Type-Options"] = "nosniff"
        out |= answer.headers
        if status == 304:
            out.pop("Content-Type", None)
            out["Content-Length"] = "0"
        else:
            out["Content-Length"] = str(len(payload))
        return status, out, payload

    @staticmethod
    def _not_modified(headers: dict, etag: str, last_modified: str | None) -> bool:
        tags = headers.get("if-none-match")
        if tags is not None:
            wanted = {t.strip().removeprefix("W/") for t in tags.split(",")}
            return "*" in wanted or etag.removeprefix("W/") in wanted
        since = headers.get("if-modified-since")
        if since and last_modified:
            try:
                return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    # --- shared helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _token(headers: dict) -> str | None:
        value = headers.get("authorization", "")
        scheme, _, credential = value.partition(" ")
        if scheme.lower() in ("token", "bearer") and credential.strip():
            return credential.strip()
        return None

    def _find(self, owner: str, name: str) -> Repo | None:
        return self._repos.get(f"{unquote(owner)}/{unquote(name)}".lower())

    def _repo(self, full_name: str) -> Repo:
        repo = self._repos.get(full_name.lower())
        if repo is None:
            raise KeyError(full_name)
        return repo

    def _login_id(self, login: str) -> int:
        """The id of a user (made up, stable, on first sight)."""
        if login not in self._logins:
            self._logins[login] = 6001 + len(self._logins)
        return self._logins[login]

    def _pull_of(self, repo: Repo, number: str) -> Pull | None:
        return self._pulls.get((repo.id, int(number))) if number.isdigit() else None

    def _new_comment(self, pull: Pull, body: str, author: str) -> Comment:
        when = _now()
        if self.kind != "gitlab":
            when = when.replace(microsecond=0)
        self._login_id(author)
        comment = Comment(next(self._ids), pull.repo_id, pull.number, author, body, when, when)
        self._comments.append(comment)
        return comment

    def _comments_on(self, pull: Pull) -> list[Comment]:
        return [c for c in self._comments if c.repo_id == pull.repo_id and c.number == pull.number]

    def _updated(self, pull: Pull) -> datetime:
        """A pull request's last update: its opening or its latest comment."""
        return max([pull.created_at] + [c.updated_at for c in self._comments_on(pull)])

    def _render_pull(self, repo: Repo, pull: Pull) -> dict:
        render = {"github": self._gh_pull, "gitlab": self._gl_merge_request, "gitea": self._gt_pull}
        return render[self.kind](repo, pull)

    def _render_comment(self, repo: Repo, comment: Comment) -> dict:
        render = {"github": self._gh_comment, "gitlab": self._gl_note, "gitea": self._gt_comment}
        return render[self.kind](repo, comment)

    @staticmethod
    def _parse_time(value: str | None) -> datetime | None:
        """An ISO 8601 time of a query string, or None (absent or not a time)."""
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
        except ValueError:
            return None
        return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)

    @staticmethod
    def _json_body(body: bytes, headers: dict, query: dict) -> dict | None:
        """The request's parameters: a JSON object, a form, or the query string (GitLab takes all)."""
        params = dict(query)
        if not body:
            return params
        kind = headers.get("content-type", "")
        if "json" in kind or body.lstrip().startswith(b"{"):
            try:
                doc = json.loads(body)
            except ValueError:
                return None
            return {**params, **doc} if isinstance(doc, dict) else None
        return {**params, **dict(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))}

    @staticmethod
    def _int(value: str | None, default: int) -> int:
        try:
            return int(value) if value not in (None, "") else default
        except ValueError:
            return default

    def _page_links(
        self, path: str, query: dict, page: int, last: int, size_key: str, size: int, *, always: bool = False
    ) -> str:
        """A ``Link`` header: prev, next, first, last as they apply (``always``: first and last, GitLab)."""

        def link(n: int, rel: str) -> str:
            return f'<{self.base}{path}?{urlencode({**query, size_key: size, "page": n})}>; rel="{rel}"'

        rels = []
        if page > 1:
            rels.append(link(page - 1, "prev"))
        if page < last:
            rels.append(link(page + 1, "next"))
        if always or page > 1:
            rels.append(link(1, "first"))
        if always or page < last:
            rels.append(link(last, "last"))
        return ", ".join(rels)

    # --- GitHub -----------------------------------------------------------------------------------------

    def _github_routes(self) -> list[tuple[str, str, Callable[..., Answer]]]:
        repo = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
        return [
            ("GET", r"/user", self._gh_get_user),
            ("GET", repo, self._gh_get_repo),
            ("POST", repo + r"/statuses/(?P<sha>[^/]+)", self._gh_post_status),
            ("GET", repo + r"/statuses/(?P<ref>.+)", self._gh_list_statuses),
            ("GET", repo + r"/commits/(?P<ref>.+)/statuses", self._gh_list_statuses),
            ("GET", repo + r"/commits/(?P<ref>.+)/status", self._gh_combined),
            ("GET", repo + r"/commits/(?P<ref>.+)", self._gh_get_commit),
            ("GET", repo + r"/pulls/(?P<number>[^/]+)", self._gh_get_pull),
            ("GET", repo + r"/issues/(?P<number>[^/]+)/comments", self._gh_list_comments),
            ("POST", repo + r"/issues/(?P<number>[^/]+)/comments", self._gh_create_comment),
            ("PATCH", repo + r"/issues/comments/(?P<cid>[^/]+)", self._gh_update_comment),
        ]

    def _gh_error(self, status: int, message: str, doc: str = "", **extra: Any) -> Answer:
        body = {"message": message, **extra, "documentation_url": f"https://docs.github.com/rest{doc}"}
        body["status"] = str(status)
        return Answer(status, body)

    def _gh_get_user(self, headers: dict, **_: Any) -> Answer:
        """``GET /user``: the authenticated user (401 without a valid token)."""
        if self._token(headers) != self.token:
            return self._gh_error(
                401, "Requires authentication" if self._token(headers) is None else "Bad credentials"
            )
        return Answer(200, self._gh_user(self.user, self._login_id(self.user)))

    def _gh_auth(self, headers: dict) -> Answer | None:
        token = self._token(headers)
        if token is None:
            return self._gh_error(404, "Not Found")
        if token != self.token:
            return self._gh_error(401, "Bad credentials")
        return None

    def _gh_repo_or_error(self, headers: dict, owner: str, name: str) -> Repo | Answer:
        refused = self._gh_auth(headers)
        if refused is not None:
            return refused
        repo = self._find(owner, name)
        if repo is None:
            return self._gh_error(404, "Not Found", "/repos/repos#get-a-repository")
        return repo

    def _gh_user(self, login: str, number: int, kind: str = "User") -> dict:
        b = self.base
        return {
            "login": login,
            "id": number,
            "node_id": _node_id("User" if kind == "User" else "Organization", number),
            "avatar_url": f"{b}/avatars/u/{number}?v=4",
            "gravatar_id": "",
            "url": f"{b}/users/{login}",
            "html_url": f"{b}/{login}",
            "followers_url": f"{b}/users/{login}/followers",
            "following_url": f"{b}/users/{login}/following{{/other_user}}",
            "gists_url": f"{b}/users/{login}/gists{{/gist_id}}",
            "starred_url": f"{b}/users/{login}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{b}/users/{login}/subscriptions",
            "organizations_url": f"{b}/users/{login}/orgs",
            "repos_url": f"{b}/users/{login}/repos",
            "events_url": f"{b}/users/{login}/events{{/privacy}}",
            "received_events_url": f"{b}/users/{login}/received_events",
            "type": kind,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _gh_repo(self, repo: Repo, *, full: bool) -> dict:
        b, fn = self.base, repo.full_name
        api = f"{b}/repos/{fn}"
        doc: dict[str, Any] = {
            "id": repo.id,
            "node_id": _node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": fn,
            "private": True,
            "owner": self._gh_user(repo.owner, repo.owner_id, "Organization"),
            "html_url": f"{b}/{fn}",
            "description": None,
            "fork": False,
            "url": api,
            "forks_url": f"{api}/forks",
            "keys_url": f"{api}/keys{{/key_id}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "teams_url": f"{api}/teams",
            "hooks_url": f"{api}/hooks",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "events_url": f"{api}/events",
            "assignees_url": f"{api}/assignees{{/user}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "tags_url": f"{api}/tags",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "languages_url": f"{api}/languages",
            "stargazers_url": f"{api}/stargazers",
            "contributors_url": f"{api}/contributors",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "commits_url": f"{api}/commits{{/sha}}",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "comments_url": f"{api}/comments{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "merges_url": f"{api}/merges",
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "downloads_url": f"{api}/downloads",
            "issues_url": f"{api}/issues{{/number}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "labels_url": f"{api}/labels{{/name}}",
            "releases_url": f"{api}/releases{{/id}}",
            "deployments_url": f"{api}/deployments",
            "created_at": _iso(repo.created_at),
            "updated_at": _iso(repo.created_at),
            "pushed_at": _iso(repo.created_at),
            "git_url": f"git://127.0.0.1/{fn}.git",
            "ssh_url": f"git@127.0.0.1:{fn}.git",
            "clone_url": f"{b}/{fn}.git",
            "svn_url": f"{b}/{fn}",
            "homepage": None,
            "size": 108,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": "Python",
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": False,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": 0,
            "license": None,
            "allow_forking": False,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private",
            "forks": 0,
            "open_issues": 0,
            "watchers": 0,
            "default_branch": repo.default_branch,
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        }
        if full:
            doc |= {
                "temp_clone_token": None,
                "allow_squash_merge": True,
                "allow_merge_commit": True,
                "allow_rebase_merge": True,
                "allow_auto_merge": False,
                "delete_branch_on_merge": False,
                "allow_update_branch": False,
                "use_squash_pr_title_as_default": False,
                "squash_merge_commit_message": "COMMIT_MESSAGES",
                "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
                "merge_commit_message": "PR_TITLE",
                "merge_commit_title": "MERGE_MESSAGE",
                "custom_properties": {},
                "organization": self._gh_user(repo.owner, repo.owner_id, "Organization"),
                "network_count": 0,
                "subscribers_count": 1,
            }
        return doc

    def _gh_get_repo(self, owner: str, name: str, headers: dict, **_: Any) -> Answer:
        repo = self._gh_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        modified = formatdate(repo.created_at.timestamp(), usegmt=True)
        return Answer(200, self._gh_repo(repo, full=True), {"Last-Modified": modified})

    def _gh_get_commit(self, owner: str, name: str, ref: str, headers: dict, **_: Any) -> Answer:
        repo = self._gh_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        sha = repo.resolve(unquote(ref))
        if sha is None:
            return self._gh_error(
                422, f"No commit found for SHA: {unquote(ref)}", "/commits/commits#get-a-commit"
            )
        sha = sha.ljust(_SHA_LEN, "0")
        api, when = f"{self.base}/repos/{repo.full_name}", _iso(repo.created_at)
        person = {"name": self.user, "email": f"{self.user}@users.noreply.127.0.0.1", "date": when}
        tree = hashlib.sha1(sha.encode()).hexdigest()
        parents = []
        if repo.commits and sha in repo.commits and repo.commits.index(sha) > 0:
            p = repo.commits[repo.commits.index(sha) - 1]
            parents = [
                {
                    "sha": p,
                    "url": f"{api}/commits/{p}",
                    "html_url": f"{self.base}/{repo.full_name}/commit/{p}",
                }
            ]
        doc = {
            "sha": sha,
            "node_id": _node_id("Commit", int(sha[:8], 16)),
            "commit": {
                "author": person,
                "committer": person,
                "message": f"commit {sha[:7]}",
                "tree": {"sha": tree, "url": f"{api}/git/trees/{tree}"},
                "url": f"{api}/git/commits/{sha}",
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "url": f"{api}/commits/{sha}",
            "html_url": f"{self.base}/{repo.full_name}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments",
            "author": self._gh_user(self.user, self.user_id),
            "committer": self._gh_user(self.user, self.user_id),
            "parents": parents,
            "stats": {"total": 0, "additions": 0, "deletions": 0},
            "files": [],
        }
        return Answer(200, doc)

    def _gh_post_status(
        self, owner: str, name: str, sha: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        repo = self._gh_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        doc_url = "/commits/statuses#create-a-commit-status"
        params = self._json_body(body, headers, {})
        if params is None or "state" not in params:
            return self._gh_error(422, 'Invalid request.\n\n"state" wasn\'t supplied.', doc_url)
        if params["state"] not in GITHUB_STATES:
            return self._gh_error(
                422,
                "Validation Failed",
                doc_url,
                errors=[
                    {
                        "resource": "Status",
                        "code": "custom",
                        "field": "state",
                        "message": "state is not included in the list",
                    }
                ],
            )
        full = repo.resolve(unquote(sha))
        if full is None:
            return self._gh_error(422, f"No commit found for SHA: {unquote(sha)}", doc_url)
        when = _iso(_now())
        number = next(self._ids)
        creator = self._gh_user(self.user, self.user_id)
        status = {
            "url": f"{self.base}/repos/{repo.full_name}/statuses/{full}",
            "avatar_url": creator["avatar_url"],
            "id": number,
            "node_id": _node_id("StatusContext", number),
            "state": params["state"],
            "description": params.get("description"),
            "target_url": params.get("target_url"),
            "context": params.get("context") or "default",
            "created_at": when,
            "updated_at": when,
            "creator": creator,
        }
        self._stored[repo.id].append({**status, "_sha": full})
        self._posted.setdefault((repo.id, full), []).append(status)
        return Answer(201, status, {"Location": status["url"]})

    def _gh_for_ref(self, repo: Repo, ref: str) -> tuple[str | None, list[dict]]:
        sha = repo.resolve(unquote(ref))
        rows = [s for s in self._stored[repo.id] if s["_sha"] == sha] if sha else []
        return sha, [{k: v for k, v in s.items() if not k.startswith("_")} for s in rows]

    def _gh_page(self, path: str, query: dict, rows: list) -> tuple[list, dict[str, str]]:
        size = min(max(self._int(query.get("per_page"), 30), 1), 100)
        page = max(self._int(query.get("page"), 1), 1)
        last = max((len(rows) + size - 1) // size, 1)
        links = self._page_links(path, query, page, last, "per_page", size)
        return rows[(page - 1) * size : page * size], ({"Link": links} if links else {})

    def _gh_list_statuses(
        self, owner: str, name: str, ref: str, headers: dict, query: dict, **_: Any
    ) -> Answer:
        repo = self._gh_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        _sha, rows = self._gh_for_ref(repo, ref)
        rows.reverse()  # newest first
        page, extra = self._gh_page(f"/repos/{repo.full_name}/commits/{ref}/statuses", query, rows)
        return Answer(200, page, extra)

    def _gh_combined(self, owner: str, name: str, ref: str, headers: dict, query: dict, **_: Any) -> Answer:
        repo = self._gh_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        sha, rows = self._gh_for_ref(repo, ref)
        if sha is None:
            return self._gh_error(
                404, "Not Found", "/commits/statuses#get-the-combined-status-for-a-specific-reference"
            )
        latest: dict[str, dict] = {}
        for row in rows:  # oldest first: the last of a context wins, in the order contexts first appeared
            latest[row["context"]] = {k: v for k, v in row.items() if k != "creator"}
        states = [s["state"] for s in latest.values()]
        if any(s in ("error", "failure") for s in states):
            state = "failure"
        elif not states or "pending" in states:
            state = "pending"
        else:
            state = "success"
        page, extra = self._gh_page(
            f"/repos/{repo.full_name}/commits/{ref}/status", query, list(latest.values())
        )
        api = f"{self.base}/repos/{repo.full_name}"
        doc = {
            "state": state,
            "statuses": page,
            "sha": sha,
            "total_count": len(latest),
            "repository": self._gh_repo(repo, full=False),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        }
        return Answer(200, doc, extra)

    def _gh_pull_or_error(
        self, headers: dict, owner: str, name: str, number: str, doc: str
    ) -> tuple[Repo, Pull] | Answer:
        repo = self._gh_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        pull = self._pull_of(repo, number)
        return (repo, pull) if pull is not None else self._gh_error(404, "Not Found", doc)

    def _gh_pull(self, repo: Repo, pull: Pull) -> dict:
        b, fn, n = self.base, repo.full_name, pull.number
        api = f"{b}/repos/{fn}"
        owner = self._gh_user(repo.owner, repo.owner_id, "Organization")

        def branch(ref: str, sha: str) -> dict:
            repository = self._gh_repo(repo, full=False)
            return {"label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha, "user": owner, "repo": repository}

        links = {
            "self": f"{api}/pulls/{n}",
            "html": f"{b}/{fn}/pull/{n}",
            "issue": f"{api}/issues/{n}",
            "comments": f"{api}/issues/{n}/comments",
            "review_comments": f"{api}/pulls/{n}/comments",
            "review_comment": f"{api}/pulls/comments{{/number}}",
            "commits": f"{api}/pulls/{n}/commits",
            "statuses": f"{api}/statuses/{pull.head_sha}",
        }
        return {
            "url": f"{api}/pulls/{n}",
            "id": pull.id,
            "node_id": _node_id("PullRequest", pull.id),
            "html_url": f"{b}/{fn}/pull/{n}",
            "diff_url": f"{b}/{fn}/pull/{n}.diff",
            "patch_url": f"{b}/{fn}/pull/{n}.patch",
            "issue_url": f"{api}/issues/{n}",
            "number": n,
            "state": "open",
            "locked": False,
            "title": pull.title,
            "user": self._gh_user(self.user, self.user_id),
            "body": None,
            "created_at": _iso(pull.created_at),
            "updated_at": _iso(self._updated(pull)),
            "closed_at": None,
            "merged_at": None,
            "merge_commit_sha": None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": [],
            "milestone": None,
            "draft": False,
            "commits_url": f"{api}/pulls/{n}/commits",
            "review_comments_url": f"{api}/pulls/{n}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{n}/comments",
            "statuses_url": f"{api}/statuses/{pull.head_sha}",
            "head": branch(pull.head_ref, pull.head_sha),
            "base": branch(pull.base_ref, pull.base_sha),
            "_links": {rel: {"href": href} for rel, href in links.items()},
            "author_association": "COLLABORATOR",
            "auto_merge": None,
            "active_lock_reason": None,
            "merged": False,
            "mergeable": True,
            "rebaseable": True,
            "mergeable_state": "clean",
            "merged_by": None,
            "comments": len(self._comments_on(pull)),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": 1,
            "additions": 0,
            "deletions": 0,
            "changed_files": 0,
        }

    def _gh_comment(self, repo: Repo, comment: Comment) -> dict:
        api = f"{self.base}/repos/{repo.full_name}"
        url = f"{api}/issues/comments/{comment.id}"
        return {
            "url": url,
            "html_url": f"{self.base}/{repo.full_name}/pull/{comment.number}#issuecomment-{comment.id}",
            "issue_url": f"{api}/issues/{comment.number}",
            "id": comment.id,
            "node_id": _node_id("IssueComment", comment.id),
            "user": self._gh_user(comment.author, self._login_id(comment.author)),
            "created_at": _iso(comment.created_at),
            "updated_at": _iso(comment.updated_at),
            "author_association": "COLLABORATOR" if comment.author == self.user else "NONE",
            "body": comment.body,
            "reactions": {
                "url": f"{url}/reactions",
                "total_count": 0,
                **dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0),
            },
            "performed_via_github_app": None,
        }

    def _gh_comment_body(self, body: bytes, headers: dict, doc: str) -> str | Answer:
        """The ``body`` of a comment's create or update, or GitHub's refusal."""
        params = self._json_body(body, headers, {})
        if params is None:
            return self._gh_error(400, "Problems parsing JSON", doc)
        if "body" not in params:
            return self._gh_error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', doc)
        text = params["body"]
        if not isinstance(text, str):
            return self._gh_error(
                422, f"Invalid request.\n\nFor 'properties/body', {json.dumps(text)} is not a string.", doc
            )
        if not text.strip():
            problem = "Body cannot be blank"
        elif len(text) > GITHUB_COMMENT_MAX:
            problem = f"Body is too long (maximum is {GITHUB_COMMENT_MAX} characters)"
        else:
            return text
        error = {"resource": "IssueComment", "code": "unprocessable", "field": "data", "message": problem}
        return self._gh_error(422, "Validation Failed", doc, errors=[error])

    def _gh_get_pull(self, owner: str, name: str, number: str, headers: dict, **_: Any) -> Answer:
        found = self._gh_pull_or_error(headers, owner, name, number, "/pulls/pulls#get-a-pull-request")
        return found if isinstance(found, Answer) else Answer(200, self._gh_pull(*found))

    def _gh_list_comments(
        self, owner: str, name: str, number: str, headers: dict, query: dict, **_: Any
    ) -> Answer:
        found = self._gh_pull_or_error(headers, owner, name, number, "/issues/comments#list-issue-comments")
        if isinstance(found, Answer):
            return found
        repo, pull = found
        rows = self._comments_on(pull)  # ascending ids
        since = self._parse_time(query.get("since"))
        if since is not None:
            rows = [c for c in rows if c.updated_at >= since]
        path = f"/repos/{repo.full_name}/issues/{number}/comments"
        page, extra = self._gh_page(path, query, [self._gh_comment(repo, c) for c in rows])
        return Answer(200, page, extra)

    def _gh_create_comment(
        self, owner: str, name: str, number: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        doc = "/issues/comments#create-an-issue-comment"
        found = self._gh_pull_or_error(headers, owner, name, number, doc)
        if isinstance(found, Answer):
            return found
        repo, pull = found
        text = self._gh_comment_body(body, headers, doc)
        if isinstance(text, Answer):
            return text
        shown = self._gh_comment(repo, self._new_comment(pull, text, self.user))
        return Answer(201, shown, {"Location": shown["url"]})

    def _gh_update_comment(
        self, owner: str, name: str, cid: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        doc = "/issues/comments#update-an-issue-comment"
        repo = self._gh_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        comment = next((c for c in self._comments if str(c.id) == cid and c.repo_id == repo.id), None)
        if comment is None:
            return self._gh_error(404, "Not Found", doc)
        text = self._gh_comment_body(body, headers, doc)
        if isinstance(text, Answer):
            return text
        # anyone with write access may edit any comment on GitHub: the token's user has push
        comment.body, comment.updated_at = text, _now().replace(microsecond=0)
        return Answer(200, self._gh_comment(repo, comment))

    # --- GitLab -----------------------------------------------------------------------------------------

    def _gitlab_routes(self) -> list[tuple[str, str, Callable[..., Answer]]]:
        project = r"/api/v4/projects/(?P<pid>[^/]+)"
        return [
            ("GET", r"/api/v4/user", self._gl_get_user),
            ("GET", project, self._gl_get_project),
            ("POST", project + r"/statuses/(?P<sha>[^/]+)", self._gl_post_status),
            ("GET", project + r"/repository/commits/(?P<sha>[^/]+)/statuses", self._gl_list_statuses),
            ("GET", project + r"/merge_requests/(?P<iid>[^/]+)", self._gl_get_merge_request),
            ("GET", project + r"/merge_requests/(?P<iid>[^/]+)/notes", self._gl_list_notes),
            ("POST", project + r"/merge_requests/(?P<iid>[^/]+)/notes", self._gl_create_note),
            (
                "PUT",
                project + r"/merge_requests/(?P<iid>[^/]+)/notes/(?P<note_id>[^/]+)",
                self._gl_update_note,
            ),
        ]

    def _gl_get_user(self, headers: dict, **_: Any) -> Answer:
        """``GET /user``: the authenticated user (401 without a valid token)."""
        if (headers.get("private-token") or self._bearer(headers)) != self.token:
            return Answer(401, {"message": "401 Unauthorized"})
        return Answer(200, self._gl_user())

    def _gl_project_or_error(self, headers: dict, pid: str) -> Repo | Answer:
        token = headers.get("private-token") or self._bearer(headers)
        if token is not None and token != self.token:
            return Answer(401, {"message": "401 Unauthorized"})
        key = unquote(pid)
        repo = None
        if key.isdigit():
            repo = next((r for r in self._repos.values() if r.id == int(key)), None)
        else:
            repo = self._repos.get(key.lower())
        if repo is None or token is None:  # a private project is not found by anyone else
            return Answer(404, {"message": "404 Project Not Found"})
        return repo

    @staticmethod
    def _bearer(headers: dict) -> str | None:
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        return credential.strip() or None if scheme.lower() == "bearer" else None

    def _gl_user(self, login: str | None = None) -> dict:
        login = login or self.user
        number = self._login_id(login)
        return {
            "id": number,
            "username": login,
            "name": "Code Monkeys" if login == self.user else login.title(),
            "state": "active",
            "locked": False,
            "avatar_url": f"{self.base}/uploads/-/system/user/avatar/{number}/avatar.png",
            "web_url": f"{self.base}/{login}",
        }

    def _gl_project(self, repo: Repo) -> dict:
        b, path = self.base, repo.full_name
        api = f"{b}/api/v4/projects/{repo.id}"
        group = repo.owner
        when = _iso_ms(repo.created_at)
        return {
            "id": repo.id,
            "description": None,
            "name": repo.name,
            "name_with_namespace": " / ".join(path.split("/")),
            "path": repo.name,
            "path_with_namespace": path,
            "created_at": when,
            "default_branch": repo.default_branch,
            "tag_list": [],
            "topics": [],
            "ssh_url_to_repo": f"git@127.0.0.1:{path}.git",
            "http_url_to_repo": f"{b}/{path}.git",
            "web_url": f"{b}/{path}",
            "readme_url": None,
            "forks_count": 0,
            "avatar_url": None,
            "star_count": 0,
            "last_activity_at": when,
            "visibility": "private",
            "namespace": {
                "id": repo.namespace_id,
                "name": group.rsplit("/", 1)[-1],
                "path": group.rsplit("/", 1)[-1],
                "kind": "group",
                "full_path": group,
                "parent_id": None,
                "avatar_url": None,
                "web_url": f"{b}/groups/{group}",
            },
            "container_registry_image_prefix": f"127.0.0.1:5050/{path}",
            "_links": {
                "self": api,
                "issues": f"{api}/issues",
                "merge_requests": f"{api}/merge_requests",
                "repo_branches": f"{api}/repository/branches",
                "labels": f"{api}/labels",
                "events": f"{api}/events",
                "members": f"{api}/members",
                "cluster_agents": f"{api}/cluster_agents",
            },
            "repository_object_format": "sha1",
            "empty_repo": False,
            "archived": False,
            "resolve_outdated_diff_discussions": False,
            "container_registry_enabled": False,
            "issues_enabled": True,
            "merge_requests_enabled": True,
            "wiki_enabled": False,
            "jobs_enabled": True,
            "snippets_enabled": False,
            "shared_runners_enabled": True,
            "lfs_enabled": True,
            "creator_id": self.user_id,
            "import_status": "none",
            "open_issues_count": 0,
            "ci_default_git_depth": 20,
            "public_jobs": True,
            "ci_config_path": None,
            "shared_with_groups": [],
            "only_allow_merge_if_pipeline_succeeds": False,
            "request_access_enabled": True,
            "merge_method": "merge",
            "squash_option": "default_off",
            "permissions": {
                "project_access": {"access_level": 30, "notification_level": 3},
                "group_access": None,
            },
        }

    def _gl_get_project(self, pid: str, headers: dict, **_: Any) -> Answer:
        repo = self._gl_project_or_error(headers, pid)
        return repo if isinstance(repo, Answer) else Answer(200, self._gl_project(repo))

    @staticmethod
    def _gl_transition(current: str | None, state: str) -> tuple[str | None, str | None]:
        """(event, error): the state machine event GitLab applies, or why it refuses the move."""
        event = {
            "pending": "enqueue",
            "running": "run",
            "success": "success",
            "failed": "drop",
            "canceled": "cancel",
            "skipped": "skip",
        }[state]
        allowed = {  # from which states (of a created, pending or running job) each event moves
            "enqueue": {"created"},
            "run": {"pending", "created"},  # running: `enqueue` (quietly) then `run!`
            "success": {"created", "pending", "running"},
            "drop": {"created", "pending", "running"},
            "cancel": {"created", "pending", "running"},
            "skip": {"created", "pending"},
        }[event]
        source = current or "created"
        if source in allowed:
            return event, None
        return event, (
            f"Cannot transition status via :{event} from :{source} "
            f'(Reason(s): Status cannot transition via "{event}")'
        )

    def _gl_post_status(
        self, pid: str, sha: str, headers: dict, body: bytes, query: dict, **_: Any
    ) -> Answer:
        repo = self._gl_project_or_error(headers, pid)
        if isinstance(repo, Answer):
            return repo
        params = self._json_body(body, headers, query)
        if params is None:
            return Answer(400, {"error": "The provided content-type is not supported."})
        state = params.get("state")
        if state in (None, ""):
            return Answer(400, {"error": "state is missing"})
        if state not in GITLAB_STATES:
            return Answer(400, {"error": "state does not have a valid value"})
        full = repo.resolve(unquote(sha))
        if full is None:
            return Answer(404, {"message": "404 Commit Not Found"})
        ref = params.get("ref") or repo.default_branch
        name = params.get("name") or params.get("context") or "default"
        key = (repo.id, full, ref)
        if key not in self._pipelines:
            self._pipelines[key] = next(self._ids)
        pipeline = self._pipelines[key]
        jobs = [j for j in self._stored[repo.id] if j["pipeline_id"] == pipeline and j["name"] == name]
        job = next((j for j in jobs if j["status"] in ("pending", "running")), None)
        _event, refused = self._gl_transition(job["status"] if job else None, state)
        if refused:
            return Answer(400, {"message": refused})
        now = _now()
        if job is None:
            for older in jobs:
                older["_retried"] = True
            job = {
                "id": next(self._ids),
                "sha": full,
                "ref": ref,
                "status": "created",
                "name": name,
                "target_url": None,
                "description": None,
                "created_at": _iso_ms(now),
                "started_at": None,
                "finished_at": None,
                "allow_failure": False,
                "coverage": None,
                "pipeline_id": pipeline,
                "author": self._gl_user(),
                "_retried": False,
                "_stage": "external",
            }
            self._stored[repo.id].append(job)
        for attr in ("target_url", "description"):
            if attr in params:
                job[attr] = params[attr]
        if "coverage" in params and params["coverage"] not in (None, ""):
            job["coverage"] = float(params["coverage"])
        if state == "running" and job["started_at"] is None:
            job["started_at"] = _iso_ms(now)
        if state in ("success", "failed", "canceled"):
            job["finished_at"] = _iso_ms(now)
        job["status"] = state
        shown = {k: v for k, v in job.items() if not k.startswith("_")}
        self._posted.setdefault((repo.id, full), []).append(shown)
        return Answer(201, shown)

    def _gl_list_statuses(self, pid: str, sha: str, headers: dict, query: dict, **_: Any) -> Answer:
        repo = self._gl_project_or_error(headers, pid)
        if isinstance(repo, Answer):
            return repo
        full = repo.resolve(unquote(sha))
        if full is None:
            return Answer(404, {"message": "404 Commit Not Found"})
        rows = [j for j in self._stored[repo.id] if j["sha"] == full]
        if query.get("all", "").lower() not in ("true", "1", "yes", "t", "on"):
            rows = [j for j in rows if not j["_retried"]]
        for param, column in (("ref", "ref"), ("name", "name"), ("stage", "_stage")):
            if query.get(param):
                rows = [j for j in rows if j[column] == query[param]]
        if query.get("pipeline_id"):
            rows = [j for j in rows if str(j["pipeline_id"]) == query["pipeline_id"]]
        order = query.get("order_by", "id")
        if order not in ("id", "pipeline_id") or query.get("sort", "asc") not in ("asc", "desc"):
            return Answer(400, {"error": "order_by, sort does not have a valid value"})
        rows.sort(key=lambda j: (j[order], j["id"]), reverse=query.get("sort", "asc") == "desc")
        shown = [{k: v for k, v in j.items() if not k.startswith("_")} for j in rows]
        return self._gl_page(f"/api/v4/projects/{pid}/repository/commits/{sha}/statuses", query, shown)

    def _gl_page(self, path: str, query: dict, rows: list) -> Answer:
        """One page of a list, with GitLab's offset-pagination headers (per_page default 20, max 100)."""
        size = min(max(self._int(query.get("per_page"), 20), 1), 100)
        page = max(self._int(query.get("page"), 1), 1)
        pages = max((len(rows) + size - 1) // size, 1)
        extra = {
            "X-Page": str(page),
            "X-Per-Page": str(size),
            "X-Total": str(len(rows)),
            "X-Total-Pages": str(pages),
            "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
        }
        extra["Link"] = self._page_links(path, query, page, pages, "per_page", size, always=True)
        return Answer(200, rows[(page - 1) * size : page * size], extra)

    def _gl_merge_request_or_error(
        self, headers: dict, pid: str, iid: str, param: str
    ) -> tuple[Repo, Pull] | Answer:
        repo = self._gl_project_or_error(headers, pid)
        if isinstance(repo, Answer):
            return repo
        if not iid.isdigit():
            return Answer(400, {"error": f"{param} is invalid"})
        pull = self._pull_of(repo, iid)
        if pull is None:  # ActiveRecord::RecordNotFound, rescued by the API
            return Answer(404, {"message": "404 Not found"})
        return repo, pull

    def _gl_merge_request(self, repo: Repo, pull: Pull) -> dict:
        """The ``MergeRequest`` entity of a single merge request's GET (issuable, basic and full fields)."""
        n, path, when = pull.number, repo.full_name, _iso_ms(pull.created_at)
        return {
            "id": pull.id,
            "iid": n,
            "project_id": repo.id,
            "title": pull.title,
            "description": "",
            "state": "opened",
            "created_at": when,
            "updated_at": _iso_ms(self._updated(pull)),
            "merged_by": None,
            "merge_user": None,
            "merged_at": None,
            "closed_by": None,
            "closed_at": None,
            "target_branch": pull.base_ref,
            "source_branch": pull.head_ref,
            "user_notes_count": len(self._comments_on(pull)),
            "upvotes": 0,
            "downvotes": 0,
            "author": self._gl_user(),
            "assignees": [],
            "assignee": None,
            "reviewers": [],
            "source_project_id": repo.id,
            "target_project_id": repo.id,
            "labels": [],
            "draft": False,
            "imported": False,
            "imported_from": "none",
            "work_in_progress": False,
            "milestone": None,
            "merge_when_pipeline_succeeds": False,
            "merge_status": "can_be_merged",
            "detailed_merge_status": "mergeable",
            "merge_after": None,
            "sha": pull.head_sha,
            "merge_commit_sha": None,
            "squash_commit_sha": None,
            "discussion_locked": None,
            "should_remove_source_branch": None,
            "force_remove_source_branch": True,
            "prepared_at": when,
            "reference": f"!{n}",
            "references": {"short": f"!{n}", "relative": f"!{n}", "full": f"{path}!{n}"},
            "web_url": f"{self.base}/{path}/-/merge_requests/{n}",
            "time_stats": {
                "time_estimate": 0,
                "total_time_spent": 0,
                "human_time_estimate": None,
                "human_total_time_spent": None,
            },
            "squash": False,
            "squash_on_merge": False,
            "task_completion_status": {"count": 0, "completed_count": 0},
            "has_conflicts": False,
            "blocking_discussions_resolved": True,
            "subscribed": True,
            "changes_count": "1",
            "latest_build_started_at": None,
            "latest_build_finished_at": None,
            "first_deployed_to_production_at": None,
            "pipeline": None,
            "head_pipeline": None,
            "diff_refs": {"base_sha": pull.base_sha, "head_sha": pull.head_sha, "start_sha": pull.base_sha},
            "merge_error": None,
            "first_contribution": False,
            "user": {"can_merge": True},
        }

    def _gl_note(self, repo: Repo, comment: Comment) -> dict:
        """The ``Note`` entity of a plain (not diff, not system) note on a merge request."""
        pull = self._pulls[(comment.repo_id, comment.number)]
        return {
            "id": comment.id,
            "type": None,
            "body": comment.body,
            "author": self._gl_user(comment.author),
            "created_at": _iso_ms(comment.created_at),
            "updated_at": _iso_ms(comment.updated_at),
            "system": False,
            "noteable_id": pull.id,
            "noteable_type": "MergeRequest",
            "project_id": repo.id,
            "resolvable": False,
            "confidential": False,
            "internal": False,
            "imported": False,
            "imported_from": "none",
            "noteable_iid": pull.number,
            "commands_changes": {},
        }

    @staticmethod
    def _gl_note_refused(text: str) -> Answer | None:
        """The model's validation of a note's text (``bad_request!("Note #{errors.messages}")``)."""
        if not text.strip():
            problem = "can't be blank"
        elif len(text) > GITLAB_NOTE_MAX:
            problem = f"is too long (maximum is {GITLAB_NOTE_MAX} characters)"
        else:
            return None
        return Answer(400, {"message": f'400 Bad request - Note {{:note=>["{problem}"]}}'})

    def _gl_get_merge_request(self, pid: str, iid: str, headers: dict, **_: Any) -> Answer:
        found = self._gl_merge_request_or_error(headers, pid, iid, "merge_request_iid")
        return found if isinstance(found, Answer) else Answer(200, self._gl_merge_request(*found))

    def _gl_list_notes(self, pid: str, iid: str, headers: dict, query: dict, **_: Any) -> Answer:
        found = self._gl_merge_request_or_error(headers, pid, iid, "noteable_id")
        if isinstance(found, Answer):
            return found
        repo, pull = found
        order = query.get("order_by", "created_at")
        sort = query.get("sort", "desc")
        activity = query.get("activity_filter", "all_notes")
        invalid = [
            param
            for param, value, allowed in (
                ("order_by", order, ("created_at", "updated_at")),
                ("sort", sort, ("asc", "desc")),
                ("activity_filter", activity, ("all_notes", "only_comments", "only_activity")),
            )
            if value not in allowed
        ]
        if invalid:
            return Answer(400, {"error": f"{', '.join(invalid)} does not have a valid value"})
        rows = [] if activity == "only_activity" else self._comments_on(pull)  # no system notes here
        rows.sort(key=lambda c: (getattr(c, order), c.id), reverse=sort == "desc")  # id breaks ties
        path = f"/api/v4/projects/{pid}/merge_requests/{iid}/notes"
        return self._gl_page(path, query, [self._gl_note(repo, c) for c in rows])

    def _gl_create_note(
        self, pid: str, iid: str, headers: dict, body: bytes, query: dict, **_: Any
    ) -> Answer:
        found = self._gl_merge_request_or_error(headers, pid, iid, "noteable_id")
        if isinstance(found, Answer):
            return found
        repo, pull = found
        params = self._json_body(body, headers, query)
        if params is None:
            return Answer(400, {"error": "The provided content-type is not supported."})
        if params.get("body") is None:
            return Answer(400, {"error": "body is missing"})
        text = str(params["body"])
        refused = self._gl_note_refused(text)
        if refused is not None:
            return refused
        return Answer(201, self._gl_note(repo, self._new_comment(pull, text, self.user)))

    def _gl_update_note(
        self, pid: str, iid: str, note_id: str, headers: dict, body: bytes, query: dict, **_: Any
    ) -> Answer:
        found = self._gl_merge_request_or_error(headers, pid, iid, "noteable_id")
        if isinstance(found, Answer):
            return found
        repo, pull = found
        params = self._json_body(body, headers, query)
        if params is None:
            return Answer(400, {"error": "The provided content-type is not supported."})
        if not note_id.isdigit():
            return Answer(400, {"error": "note_id is invalid"})
        if "body" in params and (params["body"] is None or not str(params["body"]).strip()):
            return Answer(400, {"error": "body is empty"})  # optional, allow_blank: false
        comment = next((c for c in self._comments_on(pull) if c.id == int(note_id)), None)
        if comment is None:
            return Answer(404, {"message": "404 Not found"})
        if comment.author != self.user:  # :admin_note: the author or a maintainer; the token is a developer
            return Answer(403, {"message": "403 Forbidden"})
        if "body" in params:
            refused = self._gl_note_refused(str(params["body"]))
            if refused is not None:
                return refused
            comment.body, comment.updated_at = str(params["body"]), _now()
        return Answer(200, self._gl_note(repo, comment))

    # --- Gitea ------------------------------------------------------------------------------------------

    @property
    def _swagger(self) -> str:
        return f"{self.base}/api/swagger"

    def _gitea_routes(self) -> list[tuple[str, str, Callable[..., Answer]]]:
        repo = r"/api/v1/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
        return [
            ("GET", r"/api/v1/user", self._gt_get_user),
            ("GET", repo, self._gt_get_repo),
            ("POST", repo + r"/statuses/(?P<sha>[^/]+)", self._gt_post_status),
            ("GET", repo + r"/statuses/(?P<sha>[^/]+)", self._gt_list_by_sha),
            ("GET", repo + r"/commits/(?P<ref>.+)/statuses", self._gt_list_by_ref),
            ("GET", repo + r"/commits/(?P<ref>.+)/status", self._gt_combined),
            ("GET", repo + r"/pulls/(?P<index>[^/]+)", self._gt_get_pull),
            ("GET", repo + r"/issues/(?P<index>[^/]+)/comments", self._gt_list_comments),
            ("POST", repo + r"/issues/(?P<index>[^/]+)/comments", self._gt_create_comment),
            ("PATCH", repo + r"/issues/comments/(?P<cid>[^/]+)", self._gt_edit_comment),
        ]

    def _gt_error(self, status: int, message: str) -> Answer:
        return Answer(status, {"message": message, "url": self._swagger})

    def _gt_not_found(self, *errors: str) -> Answer:
        """``ctx.NotFound(...)``: the errors given, else null (a nil Go slice)."""
        body = {
            "errors": list(errors) or None,
            "message": "The target couldn't be found.",
            "url": self._swagger,
        }
        return Answer(404, body)

    def _gt_get_user(self, headers: dict, **_: Any) -> Answer:
        """``GET /user``: the authenticated user (401 without a valid token)."""
        if self._token(headers) != self.token:
            return self._gt_error(401, "user does not exist [uid: 0, name: , keyid: 0]")
        return Answer(200, self._gt_user(self.user, self._login_id(self.user)))

    def _gt_repo_or_error(self, headers: dict, owner: str, name: str) -> Repo | Answer:
        token = self._token(headers)
        if token is not None and token != self.token:
            return self._gt_error(401, "user does not exist [uid: 0, name: , keyid: 0]")
        repo = self._find(owner, name)
        if repo is None or token is None:  # private: anonymous callers do not see it
            return self._gt_not_found()
        return repo

    def _gt_user(self, login: str, number: int, *, org: bool = False) -> dict:
        zero = "0001-01-01T00:00:00Z"
        when = _iso(self._started.replace(microsecond=0))
        return {
            "id": number,
            "login": login,
            "login_name": "",
            "source_id": 0,
            "full_name": "Code Monkeys" if login == self.user and not org else "",
            "email": f"{login}@noreply.127.0.0.1",  # Gitea shows a noreply address for hidden emails
            "avatar_url": f"{self.base}/avatars/{hashlib.md5(login.encode()).hexdigest()}",
            "html_url": f"{self.base}/{login}",
            "language": "",
            "is_admin": False,
            "last_login": zero if org else when,
            "created": when,
            "restricted": False,
            "active": not org,
            "prohibit_login": False,
            "location": "",
            "website": "",
            "description": "",
            "visibility": "public" if not org else "private",
            "followers_count": 0,
            "following_count": 0,
            "starred_repos_count": 0,
            "username": login,
        }

    def _gt_repo(self, repo: Repo) -> dict:
        b, fn = self.base, repo.full_name
        when = _iso(repo.created_at)
        return {
            "id": repo.id,
            "owner": self._gt_user(repo.owner, repo.owner_id, org=True),
            "name": repo.name,
            "full_name": fn,
            "description": "",
            "empty": False,
            "private": True,
            "fork": False,
            "template": False,
            "parent": None,
            "mirror": False,
            "size": 108,
            "language": "",
            "languages_url": f"{b}/api/v1/repos/{fn}/languages",
            "html_url": f"{b}/{fn}",
            "url": f"{b}/api/v1/repos/{fn}",
            "link": "",
            "ssh_url": f"git@127.0.0.1:{fn}.git",
            "clone_url": f"{b}/{fn}.git",
            "original_url": "",
            "website": "",
            "stars_count": 0,
            "forks_count": 0,
            "watchers_count": 1,
            "open_issues_count": 0,
            "open_pr_counter": 0,
            "release_counter": 0,
            "default_branch": repo.default_branch,
            "archived": False,
            "created_at": when,
            "updated_at": when,
            "archived_at": "1970-01-01T00:00:00Z",
            "permissions": {"admin": False, "push": True, "pull": True},
            "has_issues": True,
            "internal_tracker": {
                "enable_time_tracker": True,
                "allow_only_contributors_to_track_time": True,
                "enable_issue_dependencies": True,
            },
            "has_wiki": True,
            "has_pull_requests": True,
            "has_projects": True,
            "has_releases": True,
            "has_packages": True,
            "has_actions": False,
            "ignore_whitespace_conflicts": False,
            "allow_merge_commits": True,
            "allow_rebase": True,
            "allow_rebase_explicit": True,
            "allow_squash_merge": True,
            "allow_rebase_update": True,
            "default_delete_branch_after_merge": False,
            "default_merge_style": "merge",
            "default_allow_maintainer_edit": False,
            "avatar_url": "",
            "internal": False,
            "mirror_interval": "",
            "mirror_updated": "0001-01-01T00:00:00Z",
            "repo_transfer": None,
        }

    def _gt_get_repo(self, owner: str, name: str, headers: dict, **_: Any) -> Answer:
        repo = self._gt_repo_or_error(headers, owner, name)
        return repo if isinstance(repo, Answer) else Answer(200, self._gt_repo(repo))

    def _gt_post_status(
        self, owner: str, name: str, sha: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        params = self._json_body(body, headers, {})
        if params is None:
            return Answer(
                422,
                [
                    {
                        "fieldNames": [],
                        "classification": "DeserializationError",
                        "message": "invalid character in JSON body",
                    }
                ],
            )
        if params.get("state") not in GITEA_STATES:
            return self._gt_error(400, f"invalid commit status state: {params.get('state')!r}")
        full = repo.resolve(unquote(sha))
        if full is None:
            return self._gt_error(
                500, f"GetCommit[{unquote(sha)}]: object does not exist [id: {unquote(sha)}, rel_path: ]"
            )
        when = _iso(_now())
        status = {
            "id": next(self._ids),
            "status": params["state"],
            "target_url": params.get("target_url") or "",
            "description": params.get("description") or "",
            "url": f"{self.base}/api/v1/repos/{repo.full_name}/statuses/{full}",
            "context": params.get("context") or "",
            "creator": self._gt_user(self.user, self.user_id),
            "created_at": when,
            "updated_at": when,
        }
        self._stored[repo.id].append({**status, "_sha": full})
        self._posted.setdefault((repo.id, full), []).append(status)
        return Answer(201, status)

    def _gt_rows(self, repo: Repo, sha: str | None, query: dict) -> list[dict]:
        rows = [s for s in self._stored[repo.id] if s["_sha"] == sha] if sha else []
        if query.get("state"):
            rows = [s for s in rows if s["status"] == query["state"]]
        order = query.get("sort", "")
        if order in ("oldest", "leastupdate", "highestindex"):
            rows.sort(key=lambda s: (s["created_at"], s["id"]))
        else:  # default (newest first), recentupdate, leastindex
            rows.sort(key=lambda s: (s["created_at"], s["id"]), reverse=True)
        return [{k: v for k, v in s.items() if not k.startswith("_")} for s in rows]

    def _gt_page(self, path: str, query: dict, rows: list) -> Answer:
        size = self._int(query.get("limit"), 30)
        size = 30 if size <= 0 else min(size, 50)
        page = max(self._int(query.get("page"), 1), 1)
        last = max((len(rows) + size - 1) // size, 1)
        headers = {"X-Total-Count": str(len(rows)), "Access-Control-Expose-Headers": "X-Total-Count, Link"}
        links = self._page_links(path, query, page, last, "limit", size)
        if links:
            headers["Link"] = links
        return Answer(200, rows[(page - 1) * size : page * size], headers)

    def _gt_list_by_sha(
        self, owner: str, name: str, sha: str, headers: dict, query: dict, **_: Any
    ) -> Answer:
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        rows = self._gt_rows(repo, unquote(sha).lower(), query)
        return self._gt_page(f"/api/v1/repos/{repo.full_name}/statuses/{sha}", query, rows)

    def _gt_list_by_ref(
        self, owner: str, name: str, ref: str, headers: dict, query: dict, **_: Any
    ) -> Answer:
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        sha = repo.resolve(unquote(ref)) or unquote(ref).lower()  # Gitea: a ref that is no branch is a sha
        rows = self._gt_rows(repo, sha, query)
        return self._gt_page(f"/api/v1/repos/{repo.full_name}/commits/{ref}/statuses", query, rows)

    def _gt_combined(self, owner: str, name: str, ref: str, headers: dict, query: dict, **_: Any) -> Answer:
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        sha = repo.resolve(unquote(ref)) or unquote(ref).lower()
        latest: dict[str, dict] = {}
        for row in reversed(self._gt_rows(repo, sha, {})):  # oldest first: the last of a context wins
            latest[row["context"]] = row
        if not latest:
            return Answer(200, None)  # Gitea 1.20: no statuses, an empty body
        statuses = list(latest.values())
        state = min((s["status"] for s in statuses), key=GITEA_PRIORITY.__getitem__)
        api = f"{self.base}/api/v1/repos/{repo.full_name}"
        doc = {
            "state": state,
            "sha": sha,
            "total_count": len(statuses),
            "statuses": statuses,
            "repository": self._gt_repo(repo),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        }
        return Answer(200, doc)

    def _gt_pull(self, repo: Repo, pull: Pull) -> dict:
        html = f"{self.base}/{repo.full_name}/pulls/{pull.number}"

        def branch(ref: str, sha: str) -> dict:
            return {"label": ref, "ref": ref, "sha": sha, "repo_id": repo.id, "repo": self._gt_repo(repo)}

        return {
            "id": pull.id,
            "url": html,
            "number": pull.number,
            "user": self._gt_user(self.user, self.user_id),
            "title": pull.title,
            "body": "",
            "labels": [],
            "milestone": None,
            "assignee": None,
            "assignees": None,  # a nil Go slice when nobody is assigned
            "state": "open",
            "is_locked": False,
            "comments": len(self._comments_on(pull)),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "mergeable": True,
            "merged": False,
            "merged_at": None,
            "merge_commit_sha": None,
            "merged_by": None,
            "allow_maintainer_edit": False,
            "base": branch(pull.base_ref, pull.base_sha),
            "head": branch(pull.head_ref, pull.head_sha),
            "merge_base": pull.base_sha,
            "due_date": None,
            "created_at": _iso(pull.created_at),
            "updated_at": _iso(self._updated(pull)),
            "closed_at": None,
        }

    def _gt_comment(self, repo: Repo, comment: Comment) -> dict:
        pull_url = f"{self.base}/{repo.full_name}/pulls/{comment.number}"
        return {
            "id": comment.id,
            "html_url": f"{pull_url}#issuecomment-{comment.id}",
            "pull_request_url": pull_url,
            "issue_url": "",  # empty for a pull request's comment
            "user": self._gt_user(comment.author, self._login_id(comment.author)),
            "original_author": "",
            "original_author_id": 0,
            "body": comment.body,
            "assets": [],
            "created_at": _iso(comment.created_at),
            "updated_at": _iso(comment.updated_at),
        }

    def _gt_issue_or_error(
        self, headers: dict, owner: str, name: str, index: str
    ) -> tuple[Repo, Pull] | Answer:
        """The pull request of an issue index; Gitea answers 500 to an index it lacks (GetIssueByIndex)."""
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        pull = self._pull_of(repo, index)
        if pull is None:
            number = int(index) if index.isdigit() else 0
            return self._gt_error(500, f"issue does not exist [id: 0, repo_id: {repo.id}, index: {number}]")
        return repo, pull

    def _gt_comment_body(self, body: bytes, headers: dict) -> str | Answer:
        """The ``body`` of a comment's create or edit (``binding:"Required"``), or the binding's 422."""
        params = self._json_body(body, headers, {})
        if params is None:
            error = {"fieldNames": [], "classification": "DeserializationError", "message": "invalid JSON"}
            return Answer(422, [error])
        text = params.get("body")
        if not isinstance(text, str) or not text:
            return Answer(
                422, [{"fieldNames": ["Body"], "classification": "RequiredError", "message": "Required"}]
            )
        return text

    def _gt_get_pull(self, owner: str, name: str, index: str, headers: dict, **_: Any) -> Answer:
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        pull = self._pull_of(repo, index)
        return self._gt_not_found() if pull is None else Answer(200, self._gt_pull(repo, pull))

    def _gt_list_comments(
        self, owner: str, name: str, index: str, headers: dict, query: dict, **_: Any
    ) -> Answer:
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        bounds = {}
        for param in ("since", "before"):  # parsed before the issue is looked up
            value = query.get(param)
            if value:
                bounds[param] = self._parse_time(value)
                if bounds[param] is None:
                    layout = "2006-01-02T15:04:05Z07:00"
                    return self._gt_error(
                        422, f'parsing time "{value}" as "{layout}": cannot parse "{value}" as "2006"'
                    )
        found = self._gt_issue_or_error(headers, owner, name, index)
        if isinstance(found, Answer):
            return found
        rows = [  # not paged: every comment, oldest first
            c
            for c in self._comments_on(found[1])
            if c.updated_at >= bounds.get("since", c.updated_at)
            and c.updated_at <= bounds.get("before", c.updated_at)
        ]
        extra = {"X-Total-Count": str(len(rows)), "Access-Control-Expose-Headers": "X-Total-Count"}
        return Answer(200, [self._gt_comment(repo, c) for c in rows], extra)

    def _gt_create_comment(
        self, owner: str, name: str, index: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        text = self._gt_comment_body(body, headers)  # the binding runs before the handler
        if isinstance(text, Answer):
            return text
        found = self._gt_issue_or_error(headers, owner, name, index)
        if isinstance(found, Answer):
            return found
        return Answer(201, self._gt_comment(repo, self._new_comment(found[1], text, self.user)))

    def _gt_edit_comment(
        self, owner: str, name: str, cid: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        text = self._gt_comment_body(body, headers)
        if isinstance(text, Answer):
            return text
        number = int(cid) if cid.isdigit() else 0
        comment = next((c for c in self._comments if c.id == number), None)
        if comment is None:
            return self._gt_not_found(f"comment does not exist [id: {number}, issue_id: 0]")
        if comment.repo_id != repo.id:
            return Answer(404)  # ctx.Status: no body
        if comment.author != self.user:  # only its poster or a repository admin; the token is neither
            return Answer(403)
        comment.body, comment.updated_at = text, _now().replace(microsecond=0)
        return Answer(200, self._gt_comment(repo, comment))


def quote_path(path: str) -> str:
    """A GitLab project path as its API addresses it (``group%2Fname``)."""
    return quote(path, safe="")
