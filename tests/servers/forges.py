"""Protocol-faithful test servers of the forges' commit-status and pull-request APIs: GitHub (REST v3),
GitLab (REST v4) and Gitea / Forgejo (REST v1), for the code that posts build results as commit statuses,
keeps one plan comment current on a pull request, and works through pull requests: opens, updates,
labels and merges them when the forge says they are mergeable (issue 33).

No forge can be installed here, so each is emulated for exactly the REST subset Code Monkeys uses, with
the real paths, shapes (ids, node ids, urls, creator / author, ISO 8601 times), status codes, headers,
pagination and authentication, plus git over smart HTTP (git's own ``git http-backend``) for the
repositories it serves from disk. ``tests/test_forge_servers.py`` drives them with the official clients
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

    with ForgeServer("gitea", token="t0k") as forge:   # backed by a real repository
        forge.add_repo("acme/web", git_dir=bare)            # bare (or a work tree); tests push to it
        url = forge.clone_url("acme/web")                   # http://127.0.0.1:PORT/acme/web.git
        # git -c credential.helper='!f() { echo username=cm-bot; echo password=t0k; }; f' clone URL
        forge.protect("acme/web", "main", approvals=1, checks=("cm/build",))  # pushes to main refused
        ...  # the client opens a pull request of a pushed branch, posts statuses, asks to merge
        forge.add_review("acme/web", 1, "alice")            # an approval, as if made on the web page
        forge.pulls("acme/web")           # every pull request as the forge renders it now

Base URLs (``start()`` returns them, ``url`` keeps them): GitHub ``http://127.0.0.1:PORT`` (PyGithub's
``base_url``), GitLab ``http://127.0.0.1:PORT`` (python-gitlab adds ``/api/v4``), Gitea
``http://127.0.0.1:PORT/api/v1``. The server runs in a thread of the test process on a free port.

Git over smart HTTP (``clone_url(full_name)``; repositories added with ``git_dir`` only): each forge
serves git on its web host, as the forges do: GitHub ``http://127.0.0.1:PORT/OWNER/NAME.git`` (the same
host as its API here, so the three smart-HTTP paths, ``.../info/refs`` (GET), ``.../git-upload-pack`` and
``.../git-receive-pack`` (POST), are routed to git before the REST routes), GitLab
``http://127.0.0.1:PORT/GROUP[/SUBGROUP]/NAME.git``, Gitea ``http://127.0.0.1:PORT/OWNER/NAME.git`` (its
API is under ``/api/v1``); ``.git`` may be left out, as the forges allow. Each request is handed to
``git http-backend`` as a CGI program (``GIT_PROJECT_ROOT`` the repository's git directory: a bare
repository, or a work tree's ``.git``; ``PATH_INFO``, ``QUERY_STRING``, ``REQUEST_METHOD``,
``CONTENT_TYPE``, ``CONTENT_LENGTH``, ``REMOTE_USER``, ``REMOTE_ADDR``, ``GIT_HTTP_EXPORT_ALL``, the
request's headers as ``HTTP_*``, ``GIT_PROTOCOL`` from ``Git-Protocol`` for protocol v2). A chunked body
(git sends one over ``http.postBuffer``) is joined; a gzip-encoded one (git gzips an upload-pack request
over 1 KiB) is passed on as it came with ``HTTP_CONTENT_ENCODING``, which http-backend inflates. The
whole answer is buffered, then sent with a ``Content-Length``. Authentication is HTTP Basic with the
token as the password, as the forges take it for HTTPS git: any username (GitHub ``x-access-token``,
GitLab ``oauth2`` or the user's, Gitea the user's); GitHub and Gitea also take the token as the username
with an empty password or ``x-oauth-basic``. Every repository is private: a request without credentials
is 401 with ``WWW-Authenticate: Basic realm="GitHub"`` (``"GitLab"``, ``"Gitea"``), so git asks its
credential helper, whether the repository exists or not (no anonymous fetch is modelled); wrong
credentials are 401 too, with the forge's words in a ``text/plain`` body that git shows as ``remote:``
(GitHub ``Invalid username or token. Password authentication is not supported for Git operations.``,
GitLab ``HTTP Basic: Access denied. If a password was provided ...``, Gitea ``Verify``), then git says
``Authentication failed``. With valid credentials an unknown repository, or one without ``git_dir``, is
404 (GitHub ``Repository not found.``, GitLab ``The project you were looking for could not be found or
you don't have permission to view it.``, Gitea ``Repository not found``). ``REMOTE_USER`` is the token's
user, which turns receive-pack on (http-backend's default), and receive-pack runs the repository's hooks:
``protect()``'s ``pre-receive`` refuses a push to a protected branch over HTTP as on disk. A work tree's
checked-out branch refuses pushes as git does (``receive.denyCurrentBranch``); its other branches take
them. Git's requests are neither in ``requests`` nor in ``log`` (those are the API's); ``git_log`` keeps
them (``GitExchange``: method, path, query, headers without the credentials, status, user, http-backend's
stderr). Only the smart protocol is served (no dumb-HTTP object paths, no LFS).

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
    The lifecycle: ``GET /repos/{owner}/{repo}/pulls`` (``pull-request-simple``; ``state`` open|closed|all,
    default open, else 422; ``head`` as ``owner:branch``, where a head without its owner filters nothing,
    as on GitHub; ``base``; ``sort`` created|updated|popularity, ``direction``; paged), ``POST`` there
    (201 + ``Location``; 422 ``Validation Failed`` with ``{"resource": "PullRequest", "field": "head" |
    "base", "code": "invalid"}`` for a branch the repository lacks, ``{"code": "custom", "message": "A
    pull request already exists for acme:branch."}`` for an open one of the same branches, ``"No commits
    between main and branch"`` when the base has the head, head == base included; ``"head"`` / ``"base"``
    left out: ``Invalid request``; no title: ``missing_field``), ``PATCH .../pulls/{pull_number}``
    (``title``, ``body``, ``state`` open|closed, ``base``; 200; a bad state or base 422, reopening next to
    an open twin 422; a merged one keeps its state), ``POST .../issues/{issue_number}/labels`` (``{"labels":
    [...]}`` or a bare list, PyGithub's; missing labels are created, color ``ededed``, description null;
    200 with every label of the issue, by name), ``GET .../pulls/{pull_number}/reviews``
    (``pull-request-review``, oldest first, paged; an approval of an older head is ``DISMISSED`` when the
    protection dismisses stale approvals) and ``PUT .../pulls/{pull_number}/merge`` (``merge_method``
    merge|squash|rebase, ``sha``, ``commit_title``, ``commit_message``; 200 ``{"sha", "merged": true,
    "message": "Pull Request successfully merged"}``). A merge is refused, in this order: 405 ``Pull
    Request is not mergeable`` when closed, merged or conflicting; 409 ``Head branch was modified. Review
    and try the merge again.`` when ``sha`` is not the head; 405 ``At least N approving review(s) is
    (are) required by reviewers with write access.``, then ``Required status check "CTX" is expected.``
    (missing or pending; ``is failing.`` on failure or error; several: ``N of M required status checks
    are expected.`` / ``have not succeeded.``), with ``documentation_url`` the protected-branches article;
    a rebase that does not apply 405 ``This branch can't be rebased``. GitHub's defaults: a merge commit
    says ``Merge pull request #N from owner/branch`` then the title, authored by the token's user and
    committed by ``GitHub <noreply@github.com>``; a squash is ``<title of its one commit, else the pull
    request's> (#N)`` then ``* message`` of each commit, authored by the pull request's author; a rebase
    always writes new commits (GitHub's committer). A pull request reads ``state``, ``merged``,
    ``merged_at``, ``merged_by``, ``merge_commit_sha``, ``labels``, ``mergeable`` (false on a conflict,
    null once merged), ``rebaseable`` and ``mergeable_state``: ``dirty`` (conflict), ``blocked``
    (protection unmet), ``unstable`` (some other status not green), ``clean``, ``unknown`` once merged.
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
    The lifecycle (as ``lib/api/merge_requests.rb``, its helpers and the Grape entities say):
    ``GET /api/v4/projects/:id/merge_requests`` (``MergeRequestBasic``; ``state`` opened|closed|locked|
    merged|all, default all; ``source_branch``, ``target_branch``, ``labels``, ``iids[]``, ``order_by``,
    ``sort`` default desc; paged like notes), ``POST`` there (201 with the ``MergeRequest`` entity; the same
    branch as source and target 422 ``{"message": ["You can't use same project/branch for source and
    target"]}``, an open one of the same branches 409 ``{"message": ["Another open merge request already
    exists for this source branch: !N"]}``, a branch that does not exist 400 ``{"message":
    {"source_branch": ["does not exist"]}}``; ``labels`` comma-separated, created when missing;
    ``squash``), ``PUT .../merge_requests/:iid`` (``title``, ``description``, ``labels``, ``add_labels``,
    ``remove_labels``, ``target_branch``, ``squash``, ``state_event`` close|reopen; 200; none of them 400
    ``... are missing, at least one parameter must be provided``; a merged one does not close),
    ``GET .../merge_requests/:iid/approvals`` (EE's ``ApprovalState``: ``approved``,
    ``approvals_required``, ``approvals_left``, ``approved_by`` ``[{"user": UserBasic}]``,
    ``approval_rules_left`` with the "any approver" rule, ``user_has_approved``, ``user_can_approve``
    (not the author), ...) and ``PUT .../merge_requests/:iid/merge`` (``sha``, ``squash``,
    ``merge_commit_message``, ``squash_commit_message``, ``should_remove_source_branch``; 200 with the
    merged merge request). A merge is refused, in this order: 405 ``{"message": "405 Method Not
    Allowed"}`` unless ``mergeable_state?`` (approved, open, not a draft, has commits, the pipeline when
    it must succeed), 422 ``Branch cannot be merged`` on a conflict (the git checks come after
    ``mergeable_state?`` in GitLab's ``mergeable?``), 409 ``SHA does not match HEAD of source branch:
    <head>``. The project's merge method is ``merge``: a merge commit ``Merge branch 'src' into
    'target'``, the title, ``See merge request group/project!N``; with ``squash`` a squash commit (the
    title) on the target and a merge commit of it (``squash_commit_sha``, ``merge_commit_sha``). A merge
    request reads ``state`` opened|closed|merged, ``merged_by`` / ``merge_user``, ``merged_at``,
    ``closed_by``, ``closed_at``, ``labels`` (sorted), ``sha``, ``has_conflicts``, ``merge_status``
    can_be_merged|cannot_be_merged, ``changes_count`` and ``detailed_merge_status``, the first failing
    check in GitLab's order (``DetailedMergeStatusService``; EE's checks first): ``not_approved``,
    ``not_open``, ``draft_status``, ``commits_status``, ``conflict``, then CI: ``ci_still_running`` while
    the head pipeline runs, ``ci_must_pass``; else ``mergeable``. Create, update and merge answer the
    entity without ``first_contribution``, which only the single GET turns on.
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
    The lifecycle (as ``routers/api/v1/repo/pull.go``, ``services/pull`` say): ``GET
    /api/v1/repos/{owner}/{repo}/pulls`` (``state`` open|closed, anything else, the default included, lists
    all, as ``listPullRequestStatement``; ``sort``, newest first by default; ``page``, ``limit``;
    ``X-Total-Count``, ``Link``), ``POST`` there (201; head == base 422 ``Invalid PullRequest: There are no
    changes between the head and the base``; a branch that does not exist 404; an open one of the same
    branches 409 ``pull request already exists for these targets [id: N, issue_id: M, head_repo_id: R,
    base_repo_id: R, head_branch: B, base_branch: main]``; ``head``, ``base``, ``title`` left out: the
    binding's 422; ``labels`` are ids), ``PATCH .../pulls/{index}`` (``title``, ``body``, ``labels`` ids
    replacing, ``state``, ``base``; 201, as Gitea answers it; a merged one's state 412 ``cannot change state
    of this pull request, it was already merged``), ``GET .../labels`` and ``POST .../issues/{index}/labels``
    (``{"labels": [ids]}``, Gitea 1.20 takes ids, unknown ones skipped; 200 with every label of the issue),
    ``GET .../branch_protections/{name}`` (403 ``user should be an owner or a site admin``: Gitea's
    ``reqAdmin``, and the token's user is no admin of the repository), ``GET .../pulls/{index}/reviews``
    (``PullReview``: ``APPROVED`` | ``REQUEST_CHANGES`` | ``COMMENT``, ``stale`` when on an older head,
    ``dismissed`` when the protection dismisses stale approvals, ``official``) and ``POST
    .../pulls/{index}/merge`` (``Do`` merge|rebase|rebase-merge|squash, ``head_commit_id``,
    ``MergeTitleField``, ``MergeMessageField``, ``delete_branch_after_merge``; 200 with no body). A merge is
    refused, in ``CheckPullMergeable``'s order: 405 ``{"message": ""}`` when merged (Gitea logs "PR already
    merged" and answers no message), 404 when closed, 405 ``Work in progress PRs cannot be merged``, 405
    ``Please try again later`` on a conflict, 405 ``not allowed to merge [reason: Not all required status
    checks successful]``, then ``... [reason: Does not have enough approvals]``; ``manually-merged`` 405 (not
    allowed by a repository's defaults); then 409 ``head out of date`` when ``head_commit_id`` is not the
    head, 409 with the conflict when a rebase does not apply. Gitea's defaults: a merge commit ``Merge pull
    request 'title' (#N) from branch into main``, a squash ``title (#N)`` authored by the pull request's
    author (``MergeTitleField`` replaces the line, ``MergeMessageField`` follows it); ``rebase`` fast-forwards
    when the base has not moved. A pull request reads ``state``, ``merged``, ``merged_at``, ``merged_by``,
    ``merge_commit_sha``, ``mergeable`` (false on a conflict), ``merge_base``, ``labels``.

Commits: ``add_repo(..., commits=None)`` makes every hexadecimal sha (7 to 40 digits) a commit of the
default branch; a list of shas makes only those exist (the last is the branch's head), so unknown-commit
answers can be tested. A branch name resolves to its head; GitLab puts every commit on the default branch.
With ``add_repo(..., git_dir=PATH)`` the forge serves that repository instead: every branch and commit is
git's (``git for-each-ref``, ``rev-parse``), a commit's GET shows the real one, and the pull-request
lifecycle below works on it.

Pull requests: ``add_pull(full_name, number, head_sha, base_sha, head_ref="feature", base_ref="main",
*, title=None, author=None)`` opens one (authored by the token's user unless ``author``) and returns the
forge's object for it; comments made through the API are the token's user's, ``add_comment(...,
user=...)`` seeds others'; a pull request's ``updated_at`` and comment count follow its comments, edits and
reviews (so, on GitHub, its ETag changes too). Pull requests opened through the API are the token's user's
and take the repository's next number (after those of ``add_pull``).

The pull-request lifecycle (for every forge; the real repository makes it real, see below):

``protect(full_name, branch="main", *, approvals=1, checks=(), dismiss_stale=True)``
    Branch protection. With ``git_dir`` a ``pre-receive`` hook is written into the repository that
    refuses any push updating a protected branch, on stderr as the forge says it (GitHub ``remote: error:
    GH006: Protected branch update failed for refs/heads/main.`` and ``Changes must be made through a
    pull request.``; GitLab ``remote: GitLab: You are not allowed to push code to protected branches on
    this project.``; Gitea ``remote: Gitea: Not allowed to push to protected branch main``), exit 1, so
    a plain ``git push`` is ``! [remote rejected] main -> main (pre-receive hook declined)``. The
    forge's own merges move the branch with ``git update-ref OLD``, which runs no hook. A merge into a
    protected branch needs ``approvals`` approving reviews by others than the pull request's author
    (with ``dismiss_stale``, the forges' "dismiss stale approvals" setting, only those given on the
    current head count; a later change request withdraws a user's approval on GitHub and Gitea) and,
    for each context of ``checks``, a latest status ``success`` on the head (GitHub, Gitea). GitLab has
    no named required checks: a non-empty ``checks`` is its "Pipelines must succeed"
    (``only_allow_merge_if_pipeline_succeeds`` of the project): the head's pipeline, the external
    pipeline made of the statuses posted for the head sha (preferably with ``ref`` the source branch),
    composed as GitLab composes a pipeline's status, must have succeeded.
``add_review(full_name, number, user, state="APPROVED", *, commit=None, body="")``
    A review as if made on the web page: ``APPROVED``, ``CHANGES_REQUESTED`` or ``COMMENTED`` on
    ``commit`` (default: the current head); GitLab knows approvals only, once per user. The author's own
    approval is a ValueError (the forges refuse it). Returns the forge's review (GitLab: approvals).
``add_label(full_name, name, *, color="ededed", description="")``
    A label of the repository (Gitea's API sets labels by id).
``pulls(full_name)``
    Every pull request as the forge's single GET renders it now.

The real repository (``git_dir``): the head and base of an open pull request follow their branches; a
pull request whose commits reach its base by a push is marked merged, as the forges do (GitHub and
Gitea name the commit that brought them, GitLab leaves ``merge_commit_sha`` null). ``git merge-tree
--write-tree`` (git 2.38+) decides conflicts (computed at once: GitHub's ``mergeable`` is never null
for an open pull request); commits, additions, deletions and changed files are git's. A merge is
made in the repository with ``git commit-tree`` and ``git update-ref`` against the base seen: a merge
commit (parents: base, head; the merged tree), a squash (one commit on the base with the merged tree),
or a rebase (each commit of the head re-applied on the base, author and message kept, the forge
committing; git 2.39 has no ``merge-tree --merge-base``, so a commit C with parent P is applied to the
tip T by merging C with a throw-away commit of T's tree whose parent is P; merge commits of the head are
dropped, a commit that does not apply refuses the merge). Without ``git_dir`` a merge is bookkeeping: a
made-up merge sha, appended to ``commits`` when the base is the default branch; only the default branch
exists, so pull requests cannot be opened through the API there.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import secrets
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED")  # GitHub's words, the server's own
GITEA_REVIEW = {"APPROVED": "APPROVED", "CHANGES_REQUESTED": "REQUEST_CHANGES", "COMMENTED": "COMMENT"}
GITHUB_LABEL_COLOR = "ededed"  # what GitHub gives a label it creates on the fly
GITHUB_PROTECTION_DOC = "https://docs.github.com/articles/about-protected-branches"
# git over smart HTTP: the three paths of the smart protocol under a repository's URL (``.git`` optional, as
# the forges take it), the method each takes, and what the forges say when they refuse
_GIT_PATH = re.compile(r"/(?P<repo>[^?]+?)(?:\.git)?/(?P<what>info/refs|git-upload-pack|git-receive-pack)")
_GIT_METHOD = {"info/refs": "GET", "git-upload-pack": "POST", "git-receive-pack": "POST"}
_GIT_PROTOCOL = re.compile(r"^[0-9a-zA-Z]+=[0-9a-zA-Z]+(:[0-9a-zA-Z]+=[0-9a-zA-Z]+)*$")  # Gitea's check
GIT_REALM = {"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea"}
GITHUB_GIT_BAD_CREDENTIALS = (
    "Invalid username or token. Password authentication is not supported for Git operations.\n"
)
GITLAB_GIT_ACCESS_DENIED = (
    "HTTP Basic: Access denied. If a password was provided for Git authentication, the password was "
    "incorrect or you're required to use a token instead of a password. If a token was provided, it was "
    "either incorrect, expired, or improperly scoped. See {base}/help/topics/git/troubleshooting_git.md"
    "#error-on-git-fetch-http-basic-access-denied"
)
GIT_NOT_FOUND = {
    "github": "Repository not found.\n",
    "gitlab": "The project you were looking for could not be found or you don't have permission to view it.",
    "gitea": "Repository not found",
}
# variables that would point git http-backend at another repository than the one served
_GIT_LOCATING = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_QUARANTINE_PATH",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
        "GIT_PROTOCOL",
        "GIT_CONFIG_PARAMETERS",
    }
)


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


class GitError(RuntimeError):
    """A git command of the server failed (a bug of the test, or of the emulation)."""


@dataclass(frozen=True)
class Person:
    """Who authors or commits a commit the forge makes."""

    name: str
    email: str


class Git:
    """A real repository on disk (bare, or a work tree's), read and written with plain git.

    Everything a forge derives from git goes through here: branch heads (``branches``), merge bases,
    whether two commits merge cleanly (``git merge-tree --write-tree``, git 2.38+), the commits and the
    diff of a pull request, and the commits a merge makes (``git commit-tree`` then ``git update-ref``
    with the old value, so the forge's own merges neither run hooks nor race a push). Answers about
    fixed shas are cached (they cannot change)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._cache: dict[tuple, Any] = {}
        self._branches: dict[str, str] | None = None  # read once per request (``fresh`` forgets them)
        if self.run("rev-parse", "--git-dir", check=False).returncode != 0:
            raise ValueError(f"{self.path}: not a git repository")

    def run(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        """``git -C PATH ARGS``; GitError when it fails and ``check``."""
        full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=60,
        )
        if check and done.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {done.stderr.strip() or done.returncode}")
        return done

    def out(self, *args: str) -> str:
        """The stripped output of a git command that must succeed."""
        return self.run(*args).stdout.strip()

    def fresh(self) -> None:
        """Forget the branches read (a push may have moved them): the server calls it per request."""
        self._branches = None

    def branches(self) -> dict[str, str]:
        """Every branch and the commit it points at."""
        if self._branches is None:
            lines = self.out("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/").splitlines()
            self._branches = {
                ref.removeprefix("refs/heads/"): sha for sha, ref in (line.split(" ", 1) for line in lines)
            }
        return dict(self._branches)

    def commit(self, rev: str) -> str | None:
        """The full sha of the commit ``rev`` names (a sha, an abbreviation, a branch), or None."""
        if not rev or rev.startswith("-"):
            return None
        done = self.run(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False
        )
        return done.stdout.strip() or None if done.returncode == 0 else None

    def has(self, sha: str) -> bool:
        """Whether the repository has the commit of this full sha (a seeded pull request may name a
        made-up one)."""
        key = ("has", sha)
        if not self._cache.get(key):
            self._cache[key] = self.commit(sha) == sha
        return self._cache[key]

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether ``older`` is ``newer`` or one of its ancestors."""
        key = ("ancestor", older, newer)
        if key not in self._cache:
            done = self.run("merge-base", "--is-ancestor", older, newer, check=False)
            self._cache[key] = done.returncode == 0
        return self._cache[key]

    def merge_base(self, one: str, two: str) -> str | None:
        """The best common ancestor of two commits (None for unrelated histories)."""
        key = ("base", one, two)
        if key not in self._cache:
            done = self.run("merge-base", one, two, check=False)
            self._cache[key] = done.stdout.strip() or None if done.returncode == 0 else None
        return self._cache[key]

    def merge_tree(self, ours: str, theirs: str) -> str | None:
        """The tree of merging ``theirs`` into ``ours``, or None when they conflict (or share no history)."""
        key = ("tree", ours, theirs)
        if key not in self._cache:
            done = self.run("merge-tree", "--write-tree", "--no-messages", ours, theirs, check=False)
            tree = done.stdout.split("\n", 1)[0].strip()
            self._cache[key] = tree if done.returncode == 0 and tree else None
        return self._cache[key]

    def commits_between(self, base: str, head: str) -> list[str]:
        """The commits of ``head`` not in ``base``, oldest first."""
        key = ("between", base, head)
        if key not in self._cache:
            self._cache[key] = self.out("rev-list", "--reverse", f"{base}..{head}").split()
        return list(self._cache[key])

    def diffstat(self, base: str, head: str) -> tuple[int, int, int]:
        """(additions, deletions, changed files) from ``base`` to ``head``."""
        key = ("stat", base, head)
        if key not in self._cache:
            adds = dels = files = 0
            for line in self.out("diff", "--numstat", base, head).splitlines():
                added, deleted, _path = line.split("\t", 2)
                files += 1
                adds += int(added) if added.isdigit() else 0
                dels += int(deleted) if deleted.isdigit() else 0
            self._cache[key] = (adds, dels, files)
        return self._cache[key]

    def info(self, sha: str) -> dict[str, Any]:
        """A commit's tree, parents, author, committer (name, email, ISO date) and message."""
        key = ("info", sha)
        if key not in self._cache:
            fmt = "%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
            tree, parents, an, ae, ad, cn, ce, cd, message = self.out(
                "log", "-1", f"--format={fmt}", sha
            ).split("\x00", 8)
            self._cache[key] = {
                "tree": tree,
                "parents": parents.split(),
                "author": (an, ae, ad),
                "committer": (cn, ce, cd),
                "message": message.strip("\n"),
            }
        return self._cache[key]

    def commit_tree(
        self,
        tree: str,
        parents: Iterable[str],
        message: str,
        author: Person,
        committer: Person,
        *,
        authored: str | None = None,
    ) -> str:
        """Write a commit (no ref moves); ``authored``: the author's date (default: now)."""
        now = _iso(_now())
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": authored or now,
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": now,
        }
        args = ["commit-tree", "--no-gpg-sign", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.run(*args, "-F", "-", input=message + "\n", env=env).stdout.strip()

    def replay(self, commits: list[str], onto: str, committer: Person) -> str | None:
        """Rebase: each commit re-applied on ``onto`` in order (author and message kept, ``committer``
        committing); the new tip, or None when one does not apply. A commit C with parent P is applied to
        T as a three-way merge of T and C with base P: ``merge-tree`` of a throw-away commit (T's tree,
        parent P) and C has exactly that base (git 2.39 has no ``merge-tree --merge-base``)."""
        tip = onto
        for sha in commits:
            info = self.info(sha)
            if len(info["parents"]) != 1:
                continue  # merge commits are dropped, as git rebase does
            parent = info["parents"][0]
            if self.info(tip)["tree"] == self.info(parent)["tree"]:
                tree: str | None = info["tree"]
            else:
                scratch = self.commit_tree(
                    self.info(tip)["tree"], [parent], "scratch", committer, committer, authored=None
                )
                tree = self.merge_tree(scratch, sha)
            if tree is None:
                return None
            name, email, when = info["author"]
            tip = self.commit_tree(
                tree, [tip], info["message"], Person(name, email), committer, authored=when
            )
        return tip

    def move_branch(self, branch: str, new: str, old: str | None) -> bool:
        """Point ``branch`` at ``new`` if it still points at ``old`` (None: create); no hooks run."""
        ref = f"refs/heads/{branch}"
        done = self.run("update-ref", ref, new, old or "0" * _SHA_LEN, check=False)
        self.fresh()
        return done.returncode == 0

    def delete_branch(self, branch: str) -> None:
        """Delete a branch (as a forge does after a merge when asked)."""
        self.run("update-ref", "-d", f"refs/heads/{branch}", check=False)
        self.fresh()

    def hooks_dir(self) -> Path:
        """Where this repository's hooks are (``core.hooksPath`` respected)."""
        path = Path(self.out("rev-parse", "--git-path", "hooks"))
        return path if path.is_absolute() else self.path / path

    def git_dir(self) -> Path:
        """The repository itself: the path for a bare one, the ``.git`` directory of a work tree (what
        ``git http-backend`` is pointed at)."""
        key = ("git_dir",)
        if key not in self._cache:
            self._cache[key] = Path(self.out("rev-parse", "--absolute-git-dir"))
        return self._cache[key]


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
class GitExchange:
    """One request of git over smart HTTP and its answer (kept apart from the API's ``log``)."""

    method: str
    path: str  # without the query string
    query: str
    request_headers: dict[str, str]  # lower-cased names; the credentials of Authorization left out
    status: int
    user: str | None  # who authenticated (None: no or wrong credentials)
    stderr: str = ""  # what git http-backend wrote to its stderr (empty unless something failed)


@dataclass
class Label:
    """A label of a repository (GitLab: of a project)."""

    id: int
    name: str
    color: str  # six hex digits, no "#"
    description: str | None


@dataclass
class Protection:
    """A protected branch: no pushes; a merge needs ``approvals`` approving reviews (by others than the
    pull request's author) and every status context of ``checks`` green on the head. ``dismiss_stale``:
    an approval counts only on the head it was given on (GitHub "Dismiss stale pull request approvals
    when new commits are pushed", GitLab "Remove all approvals when a commit is added", Gitea "Dismiss
    stale approvals")."""

    branch: str
    approvals: int
    checks: tuple[str, ...]
    dismiss_stale: bool


@dataclass
class Review:
    """A review of a pull request as a person gave it on the web page (GitLab: an approval)."""

    id: int
    repo_id: int
    number: int
    user: str
    state: str  # APPROVED, CHANGES_REQUESTED or COMMENTED (GitHub's words)
    commit: str
    body: str
    submitted_at: datetime


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
    git: Git | None = None  # the real repository, when the test gave one
    labels: dict[str, Label] = field(default_factory=dict)  # lower-cased name -> label
    protections: dict[str, Protection] = field(default_factory=dict)  # branch -> its protection

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
        if self.git is not None:
            head = self.git.branches().get(ref)
            return head or (self.git.commit(ref.lower()) if _HEX.match(ref.lower()) else None)
        if ref == self.default_branch:
            return self.commits[-1] if self.commits else None
        if self.commits is None:
            return ref.lower() if _HEX.match(ref.lower()) else None
        matches = [c for c in self.commits if c.startswith(ref.lower())] if _HEX.match(ref.lower()) else []
        return matches[-1] if matches else None

    def branch(self, name: str) -> str | None:
        """The head of branch ``name`` (without a repository on disk only the default branch exists, at
        the last of ``commits``), or None."""
        if self.git is not None:
            return self.git.branches().get(name)
        if name == self.default_branch and self.commits:
            return self.commits[-1]
        return None


@dataclass
class Pull:
    """A pull request (GitLab: a merge request, ``number`` its iid) held by the server."""

    id: int  # the forge-wide id (GitLab: the merge request's id, not its iid)
    repo_id: int
    number: int
    title: str
    head_sha: str  # the head as last seen (kept when the branch is gone, frozen once merged)
    base_sha: str
    head_ref: str
    base_ref: str
    created_at: datetime
    author: str = ""
    body: str | None = None
    state: str = "open"  # open or closed (merged ones are closed and merged)
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    squash_commit_sha: str | None = None  # GitLab's squash commit
    closed_at: datetime | None = None
    closed_by: str | None = None
    updated_at: datetime | None = None  # the last edit (comments and reviews count too)
    labels: list[str] = field(default_factory=list)  # names
    squash: bool = False  # GitLab's "squash on merge"
    had_commits: bool = False  # its head was once ahead of its base (so reaching it means merged)


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
        if self.forge._git_path(self.command, self.path) is not None:  # git over smart HTTP, before REST
            self.forge._serve_git(self)
            return
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

    def read_body(self) -> bytes:
        """The request's body: ``Content-Length`` bytes, or the chunks of ``Transfer-Encoding: chunked``
        (git sends a request over ``http.postBuffer`` chunked) joined; any ``Content-Encoding`` kept."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)  # the CRLF closing the chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        """Send a whole answer (``Content-Length`` is the caller's)."""
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if payload:
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
    ``add_comment`` set the state up without API calls. ``clone_url(full_name)`` is where git reaches a
    repository served from disk over smart HTTP; ``git_log`` lists those requests (``GitExchange``).
    """

    def __init__(self, kind: str, token: str, *, user: str = "cm-bot") -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        self.kind, self.token, self.user = kind, token, user
        self.user_id = 5012
        self.requests: list[tuple[str, str]] = []
        self.log: list[Exchange] = []
        self.git_log: list[GitExchange] = []  # git over smart HTTP, apart from the API's requests and log
        self.url = ""  # the API base once started
        self.base = ""  # http://127.0.0.1:PORT
        self._repos: dict[str, Repo] = {}
        self._posted: dict[tuple[int, str], list[dict]] = {}  # (repo id, sha) -> post answers, in order
        self._stored: dict[int, list[dict]] = {}  # repo id -> the forge's status records
        self._pipelines: dict[tuple[int, str, str], int] = {}  # GitLab: (project, sha, ref) -> pipeline id
        self._pulls: dict[tuple[int, int], Pull] = {}  # (repo id, number) -> the pull request
        self._comments: list[Comment] = []  # every comment on every pull request, in order
        self._reviews: list[Review] = []  # every review (GitLab: approval), in order
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
        self,
        full_name: str,
        default_branch: str = "main",
        *,
        commits: Iterable[str] | None = None,
        git_dir: Path | str | None = None,
    ) -> dict:
        """Create a repository (GitLab: a project, ``full_name`` its path, e.g. ``group/sub/name``).

        ``git_dir``: a real repository on disk (bare, or a work tree) that the forge serves: branch heads,
        commits, merge bases and conflicts are read from it with git, and merges are made in it; git
        clones, fetches and pushes it over smart HTTP at ``clone_url(full_name)``. Without
        it, ``commits``: the shas it has, the last being the head of ``default_branch``; None (the
        default) accepts every hexadecimal sha. Returns ``{"id", "full_name", "default_branch"}``."""
        if full_name.count("/") < 1 or (self.kind != "gitlab" and full_name.count("/") != 1):
            raise ValueError(f"{full_name!r}: expected owner/name (GitLab: group[/subgroup]/name)")
        if git_dir is not None and commits is not None:
            raise ValueError("give commits or git_dir, not both: with git_dir the commits are git's")
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
                git=Git(Path(git_dir)) if git_dir is not None else None,
            )
            self._repos[full_name.lower()] = repo
            self._stored[repo.id] = []
        return {"id": repo.id, "full_name": full_name, "default_branch": default_branch}

    def protect(
        self,
        full_name: str,
        branch: str = "main",
        *,
        approvals: int = 1,
        checks: Iterable[str] = (),
        dismiss_stale: bool = True,
    ) -> None:
        """Protect ``branch``: pushes to it are refused and a merge into it needs ``approvals`` approving
        reviews by others than the pull request's author and a green latest status of every context in
        ``checks`` on the head (GitLab: a non-empty ``checks`` turns on "Pipelines must succeed": the
        head's pipeline, made of the statuses posted for it, must have succeeded; GitLab has no named
        required checks). ``dismiss_stale``: approvals of an older head do not count.

        With the repository on disk a ``pre-receive`` hook is installed that refuses any push updating a
        protected branch as the forge words it (GitHub ``GH006: Protected branch update failed for
        refs/heads/main.``, GitLab ``You are not allowed to push code to protected branches on this
        project.``, Gitea ``Not allowed to push to protected branch main``); the forge's own merges move
        the branch with ``git update-ref``, which runs no hook."""
        with self._lock:
            repo = self._repo(full_name)
            repo.protections[branch] = Protection(branch, int(approvals), tuple(checks), dismiss_stale)
            if repo.git is not None:
                self._install_hook(repo)

    def _install_hook(self, repo: Repo) -> None:
        """The ``pre-receive`` hook refusing pushes to the protected branches."""
        assert repo.git is not None
        cases = []
        for branch in sorted(repo.protections):
            ref = f"refs/heads/{branch}".replace("'", "'\\''")
            if self.kind == "github":
                lines = [
                    f"error: GH006: Protected branch update failed for refs/heads/{branch}.",
                    "error: Changes must be made through a pull request.",
                ]
            elif self.kind == "gitlab":
                lines = ["GitLab: You are not allowed to push code to protected branches on this project."]
            else:
                lines = [f"Gitea: Not allowed to push to protected branch {branch}"]
            say = "; ".join("echo '" + line.replace("'", "'\\''") + "' >&2" for line in lines)
            cases.append(f"    '{ref}') {say}; status=1 ;;")
        script = "\n".join(
            [
                "#!/bin/sh",
                "# installed by tests/servers/forges.py (ForgeServer.protect): protected branches",
                "status=0",
                "while read old new ref; do",
                '  case "$ref" in',
                *cases,
                "  esac",
                "done",
                "exit $status",
                "",
            ]
        )
        hooks = repo.git.hooks_dir()
        hooks.mkdir(parents=True, exist_ok=True)
        hook = hooks / "pre-receive"
        hook.write_text(script)
        hook.chmod(0o755)

    def add_label(
        self, full_name: str, name: str, *, color: str = GITHUB_LABEL_COLOR, description: str = ""
    ) -> dict:
        """Seed a label of the repository (Gitea's API sets labels by id: this is how a test makes one).
        Returns the forge's label object (GitLab: ``{"id", "name", "color", "description"}``)."""
        with self._lock:
            repo = self._repo(full_name)
            label = self._label(repo, name, color=color, description=description)
            return json.loads(json.dumps(self._render_label(repo, label)))

    def add_review(
        self,
        full_name: str,
        number: int,
        user: str,
        state: str = "APPROVED",
        *,
        commit: str | None = None,
        body: str = "",
    ) -> dict:
        """A review by ``user`` of pull request ``number``, as if made on the web page: ``state`` is
        ``APPROVED``, ``CHANGES_REQUESTED`` or ``COMMENTED`` (Gitea's ``REQUEST_CHANGES`` and ``COMMENT``
        are taken too); GitLab knows approvals only (``APPROVED``). ``commit`` defaults to the pull
        request's current head. ValueError for the author's own approval, which the forges refuse.
        Returns the forge's review object (GitLab: the merge request's approvals)."""
        state = {"REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}.get(
            state.upper(), state.upper()
        )
        if state not in REVIEW_STATES:
            raise ValueError(f"state must be one of {REVIEW_STATES}, not {state!r}")
        if self.kind == "gitlab" and state != "APPROVED":
            raise ValueError("GitLab has approvals, not reviews: only APPROVED")
        with self._lock:
            self._fresh()
            repo = self._repo(full_name)
            pull = self._pulls.get((repo.id, int(number)))
            if pull is None:
                raise KeyError(f"{full_name}#{number}")
            self._sync(repo, pull)
            if user == pull.author and state == "APPROVED":
                raise ValueError(f"{user} authored {full_name}#{number}: the forge refuses an own approval")
            if self.kind == "gitlab" and any(
                r.user == user for r in self._reviews_of(pull) if self._review_counts(repo, pull, r)
            ):
                raise ValueError(f"{user} has approved {full_name}!{number} already")
            self._login_id(user)
            when = _now().replace(microsecond=0) if self.kind != "gitlab" else _now()
            review = Review(
                next(self._ids),
                repo.id,
                pull.number,
                user,
                state,
                (commit or pull.head_sha).lower(),
                body,
                when,
            )
            self._reviews.append(review)
            pull.updated_at = when
            if self.kind == "gitlab":
                return json.loads(json.dumps(self._gl_approvals(repo, pull)))
            render = self._gh_review if self.kind == "github" else self._gt_review
            return json.loads(json.dumps(render(repo, pull, review)))

    def pulls(self, full_name: str) -> list[dict]:
        """Every pull request of the repository (open, closed, merged) as the forge renders it to a single
        GET now, lowest number first."""
        with self._lock:
            self._fresh()
            repo = self._repo(full_name)
            rows = sorted((p for p in self._pulls.values() if p.repo_id == repo.id), key=lambda p: p.number)
            return json.loads(json.dumps([self._render_pull(repo, p) for p in rows]))

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
        author: str | None = None,
    ) -> dict:
        """Open pull request ``number`` (GitLab: merge request ``!number``) of ``full_name``, from
        ``head_ref`` at ``head_sha`` into ``base_ref`` at ``base_sha``, authored by ``author`` (default:
        the token's user). With the repository on disk the branches are followed once they exist (the
        shas given stand until then). Pull requests opened through the API take the next number.

        Returns the forge's pull-request object as its ``GET`` answers it now (GitHub's pull request,
        GitLab's merge request, Gitea's pull request). KeyError for an unknown repository, ValueError if
        the number is taken."""
        with self._lock:
            self._fresh()
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
                author=author or self.user,
            )
            self._login_id(pull.author)
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

    def clone_url(self, full_name: str) -> str:
        """The HTTP URL git clones, fetches and pushes ``full_name`` at, as the forge has it (on the web
        host, not under the API): ``http://127.0.0.1:PORT/OWNER/NAME.git`` (GitLab
        ``.../GROUP[/SUBGROUP]/NAME.git``). The repository must have been added with ``git_dir``
        (ValueError otherwise; KeyError for an unknown one) and the server started (RuntimeError)."""
        if not self.base:
            raise RuntimeError("the server is not started: clone_url needs its port")
        with self._lock:
            repo = self._repo(full_name)
        if repo.git is None:
            raise ValueError(f"{full_name} has no repository on disk: add_repo(..., git_dir=...) serves git")
        return f"{self.base}/{quote(repo.full_name)}.git"

    # --- git over smart HTTP ----------------------------------------------------------------------------

    @staticmethod
    def _git_path(method: str, target: str) -> re.Match | None:
        """The match of a smart-HTTP request (``.../info/refs``, ``git-upload-pack``, ``git-receive-pack``
        of an ``owner/name`` path, with the method git uses for it), else None: the REST API's."""
        m = _GIT_PATH.fullmatch(urlsplit(target).path)
        if m is None or "/" not in m["repo"] or _GIT_METHOD[m["what"]] != method:
            return None
        return m

    def _git_login(self, headers: dict[str, str]) -> tuple[bool, str | None]:
        """(credentials given, the user they authenticate or None) from ``Authorization: Basic``, as each
        forge takes a token for HTTPS git: the password, with any username (GitHub ``x-access-token``,
        GitLab ``oauth2``, Gitea the user's name); GitHub and Gitea also take the token as the username
        with an empty password (or ``x-oauth-basic``)."""
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            username, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return True, None
        if password == self.token:
            return True, self.user
        if self.kind != "gitlab" and username == self.token and password in ("", "x-oauth-basic"):
            return True, self.user
        return True, None

    def _git_refusal(self, given: bool) -> tuple[int, dict[str, str], bytes]:
        """401 to a request without (``given`` False) or with wrong credentials: the challenge that makes
        git ask its credential helper, and the forge's words (git shows a ``text/plain`` body as
        ``remote: ...``)."""
        if self.kind == "github":
            text = GITHUB_GIT_BAD_CREDENTIALS if given else ""
        elif self.kind == "gitlab":
            text = GITLAB_GIT_ACCESS_DENIED.format(base=self.base)
        else:
            text = "Verify\n" if given else "Unauthorized\n"
        headers = {"WWW-Authenticate": f'Basic realm="{GIT_REALM[self.kind]}"'}
        return 401, headers, text.encode()

    def _serve_git(self, handler: _Handler) -> None:
        """Answer one request of git's smart HTTP protocol: authenticate it as the forge does, then hand
        it to ``git http-backend`` (CGI) on the repository's git directory. Runs outside the server's
        lock: a push or a fetch does not stall the API, and the forge reads branches afresh per request."""
        m = self._git_path(handler.command, handler.path)
        assert m is not None
        parts = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        body = handler.read_body()
        given, user = self._git_login(headers)
        with self._lock:
            repo = self._repos.get(unquote(m["repo"]).lower())
        stderr = ""
        if user is None:  # every repository is private: nobody unknown sees whether it exists
            status, out, payload = self._git_refusal(given)
        elif repo is None or repo.git is None:
            status, out = 404, {}
            payload = GIT_NOT_FOUND[self.kind].encode()
        else:
            status, out, payload, stderr = self._http_backend(
                repo.git.git_dir(), m["what"], parts.query, handler, headers, body, user
            )
        if status >= 400 and "Content-Type" not in out:
            out["Content-Type"] = "text/plain; charset=utf-8"
        out |= {"Date": formatdate(usegmt=True), "Content-Length": str(len(payload))}
        seen = {k: ("Basic (hidden)" if k == "authorization" else v) for k, v in headers.items()}
        with self._lock:
            exchange = GitExchange(handler.command, parts.path, parts.query, seen, status, user, stderr)
            self.git_log.append(exchange)
        handler.answer(status, out, payload)

    def _http_backend(
        self,
        git_dir: Path,
        what: str,
        query: str,
        handler: _Handler,
        headers: dict[str, str],
        body: bytes,
        user: str,
    ) -> tuple[int, dict[str, str], bytes, str]:
        """Run ``git http-backend`` as a web server runs a CGI program and parse what it answers: status,
        headers, body, and its stderr. ``GIT_PROJECT_ROOT`` is the repository's git directory and
        ``PATH_INFO`` the service's path in it; ``REMOTE_USER`` turns receive-pack on (its default), and
        receive-pack runs the repository's hooks; a gzip-encoded body is handed over as it came, with
        ``HTTP_CONTENT_ENCODING``, which http-backend inflates itself."""
        env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATING and not k.startswith("HTTP_")}
        for name, value in headers.items():  # the request's headers, as CGI passes them
            if name not in ("authorization", "content-type", "content-length", "proxy-authorization"):
                env["HTTP_" + name.upper().replace("-", "_")] = value
        env |= {
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": handler.request_version,
            "SERVER_SOFTWARE": f"codemonkeys-test-{self.kind}",
            "REQUEST_METHOD": handler.command,
            "GIT_PROJECT_ROOT": str(git_dir),
            "PATH_INFO": "/" + what,
            "QUERY_STRING": query,
            "REMOTE_USER": user,
            "REMOTE_ADDR": handler.client_address[0],
            "AUTH_TYPE": "Basic",
            "GIT_HTTP_EXPORT_ALL": "1",
        }
        env.pop("HTTP_TRANSFER_ENCODING", None)  # the chunks are joined: the body has its length
        if handler.command == "POST":
            env["CONTENT_TYPE"] = headers.get("content-type", "")
            env["CONTENT_LENGTH"] = str(len(body))
        protocol = headers.get("git-protocol", "")
        if _GIT_PROTOCOL.match(protocol):  # protocol v2, as the forges pass it on
            env["GIT_PROTOCOL"] = protocol
        done = subprocess.run(
            ["git", "http-backend"], input=body, capture_output=True, env=env, timeout=120, check=False
        )
        raw, stderr = done.stdout, done.stderr.decode(errors="replace")
        if not raw:
            return 500, {}, f"git http-backend failed: {stderr.strip()}\n".encode(), stderr
        end = raw.find(b"\r\n\r\n")
        head, payload = (raw[:end], raw[end + 4 :]) if end >= 0 else (b"", raw)
        status, out = 200, {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                out[name.strip()] = value.strip()
        return status, out, payload, stderr

    # --- dispatch ---------------------------------------------------------------------------------------

    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes):
        parts = urlsplit(target)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        lower = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self._fresh()
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
        """A pull request's last update: its opening, an edit, its latest comment or review."""
        times = [pull.created_at] + [c.updated_at for c in self._comments_on(pull)]
        times += [r.submitted_at for r in self._reviews_of(pull)]
        return max(times + ([pull.updated_at] if pull.updated_at else []))

    # --- pull requests: git, gates, merges ----------------------------------------------------------

    def _fresh(self) -> None:
        """Branches are read anew (once) in each request and each call of the test's helpers."""
        for repo in self._repos.values():
            if repo.git is not None:
                repo.git.fresh()

    def _reviews_of(self, pull: Pull) -> list[Review]:
        return [r for r in self._reviews if r.repo_id == pull.repo_id and r.number == pull.number]

    def _pulls_of(self, repo: Repo) -> list[Pull]:
        return sorted((p for p in self._pulls.values() if p.repo_id == repo.id), key=lambda p: p.number)

    def _next_number(self, repo: Repo) -> int:
        """The number an API-created pull request takes (after those of ``add_pull``)."""
        return max((p.number for p in self._pulls_of(repo)), default=0) + 1

    def _sync(self, repo: Repo, pull: Pull) -> None:
        """Follow an open pull request's branches in the repository on disk (the forge does on every
        push). Once its head was ahead of its base, a head that the base reaches means its commits were
        pushed to the base: the forges then mark it merged (GitHub and Gitea name the commit that brought
        them; GitLab leaves ``merge_commit_sha`` unset)."""
        git = repo.git
        if git is None or pull.state != "open":
            return
        branches = git.branches()
        head, base = branches.get(pull.head_ref), branches.get(pull.base_ref)
        if head:
            pull.head_sha = head
        if base:
            pull.base_sha = base
        if not (head and base):
            return
        if not git.is_ancestor(head, base):
            pull.had_commits = True
        elif pull.had_commits:
            path = git.out("rev-list", "--ancestry-path", "--reverse", f"{head}..{base}").split()
            self._mark_merged(pull, None if self.kind == "gitlab" else (path[0] if path else head), None)

    def _mark_merged(self, pull: Pull, sha: str | None, by: str | None, squash: str | None = None) -> None:
        now = _now() if self.kind == "gitlab" else _now().replace(microsecond=0)
        pull.state, pull.merged, pull.merged_at, pull.merged_by = "closed", True, now, by
        pull.merge_commit_sha, pull.squash_commit_sha = sha, squash
        pull.closed_at, pull.updated_at = now, now

    def _facts(self, repo: Repo, pull: Pull) -> dict[str, Any]:
        """What git says of a pull request now: conflict, merge base, commits and diff size (without the
        repository on disk: no conflict, one commit, no diff)."""
        self._sync(repo, pull)
        facts: dict[str, Any] = {
            "git": False,
            "conflict": False,
            "merge_base": pull.base_sha,
            "commits": 1,
            "additions": 0,
            "deletions": 0,
            "files": 0,
        }
        git = repo.git
        if git is None or not (git.has(pull.head_sha) and git.has(pull.base_sha)):
            return facts
        base = git.merge_base(pull.base_sha, pull.head_sha)
        facts["git"] = True
        facts["merge_base"] = base or pull.base_sha
        facts["conflict"] = not pull.merged and git.merge_tree(pull.base_sha, pull.head_sha) is None
        facts["commits"] = len(git.commits_between(pull.base_sha, pull.head_sha))
        if base:
            facts["additions"], facts["deletions"], facts["files"] = git.diffstat(base, pull.head_sha)
        return facts

    def _protection(self, repo: Repo, pull: Pull) -> Protection | None:
        return repo.protections.get(pull.base_ref)

    def _review_counts(self, repo: Repo, pull: Pull, review: Review) -> bool:
        """An approval that counts: not the author's, and not of an older head when stale approvals are
        dismissed (the base branch's protection says)."""
        if review.state != "APPROVED" or review.user == pull.author:
            return False
        protection = self._protection(repo, pull)
        return not (protection and protection.dismiss_stale and review.commit != pull.head_sha)

    def _dismissed(self, repo: Repo, pull: Pull, review: Review) -> bool:
        protection = self._protection(repo, pull)
        return bool(
            review.state == "APPROVED"
            and protection
            and protection.dismiss_stale
            and review.commit != pull.head_sha
        )

    def _approvers(self, repo: Repo, pull: Pull) -> list[str]:
        """Who approves now: per user their latest review that is not a mere comment (GitHub, Gitea; a
        later change request withdraws an approval), if it is an approval that counts; GitLab: every
        approval that counts."""
        reviews = self._reviews_of(pull)
        if self.kind == "gitlab":
            counted = [r.user for r in reviews if self._review_counts(repo, pull, r)]
            return list(dict.fromkeys(counted))
        latest = {r.user: r for r in reviews if r.state != "COMMENTED"}  # the last one wins
        return [user for user, r in latest.items() if self._review_counts(repo, pull, r)]

    def _latest_statuses(self, repo: Repo, sha: str) -> dict[str, str]:
        """GitHub and Gitea: the latest state of each status context on ``sha``."""
        key = "state" if self.kind == "github" else "status"
        latest: dict[str, str] = {}
        for row in self._stored[repo.id]:  # oldest first
            if row.get("_sha") == sha:
                latest[row["context"]] = row[key]
        return latest

    def _gl_pipeline(self, repo: Repo, pull: Pull) -> str | None:
        """GitLab: the status of the head pipeline (the statuses posted for the head sha, preferably on the
        source branch), composed as GitLab composes a pipeline's status from its jobs; None without one."""
        mine = [
            (ref, pid)
            for (rid, sha, ref), pid in self._pipelines.items()
            if rid == repo.id and sha == pull.head_sha
        ]
        if not mine:
            return None
        pid = max([pid for ref, pid in mine if ref == pull.head_ref] or [pid for _ref, pid in mine])
        states = [j["status"] for j in self._stored[repo.id] if j["pipeline_id"] == pid and not j["_retried"]]
        if not states:
            return None
        if all(s == "skipped" for s in states):
            return "skipped"
        if all(s in ("success", "skipped") for s in states):
            return "success"
        if all(s in ("created", "skipped", "pending") for s in states):
            return "pending"
        if any(s in ("running", "pending", "created") for s in states):
            return "running"
        return "canceled" if "canceled" in states else "failed"

    def _gate(self, repo: Repo, pull: Pull) -> dict[str, Any]:
        """What the base branch's protection still asks of a pull request: approvals left, the required
        checks that are not green (GitHub, Gitea: ``(context, latest state or None)``), the pipeline
        (GitLab, when it must succeed)."""
        protection = self._protection(repo, pull)
        approvers = self._approvers(repo, pull)
        required = protection.approvals if protection else 0
        gate: dict[str, Any] = {
            "approvers": approvers,
            "approvals_required": required,
            "approvals_left": max(required - len(approvers), 0),
            "checks": [],
            "ci_required": bool(protection and protection.checks and self.kind == "gitlab"),
            "pipeline": self._gl_pipeline(repo, pull) if self.kind == "gitlab" else None,
        }
        if protection and protection.checks and self.kind != "gitlab":
            latest = self._latest_statuses(repo, pull.head_sha)
            gate["checks"] = [(c, latest.get(c)) for c in protection.checks if latest.get(c) != "success"]
        return gate

    def _person(self, login: str) -> Person:
        """Who a user is in a commit the forge writes."""
        if self.kind == "gitlab":
            return Person(
                "Code Monkeys" if login == self.user else login.title(), f"{login}@noreply.127.0.0.1"
            )
        if self.kind == "github":
            return Person(login, f"{login}@users.noreply.127.0.0.1")
        return Person(login, f"{login}@noreply.127.0.0.1")

    def _merge_in_git(
        self,
        repo: Repo,
        pull: Pull,
        style: str,
        message: str,
        *,
        committer: Person,
        author: Person | None = None,
        squash_message: str = "",
    ) -> tuple[str, str | None] | None:
        """Merge a pull request in the repository on disk; (the commit the base now points at, GitLab's
        squash commit), or None when it cannot be done (conflict; the base moved meanwhile).

        ``style``: ``merge`` (a merge commit: base then head), ``squash`` (one commit on the base with the
        merged tree), ``rebase`` (the head's commits re-applied on the base, always new commits:
        GitHub), ``rebase-ff`` (Gitea's rebase: a fast-forward when the base has not moved),
        ``rebase-merge`` (Gitea: rebased, then a merge commit), ``gitlab-squash`` (GitLab's squash then
        merge: a squash commit on the base and a merge commit of it)."""
        git, base, head = repo.git, pull.base_sha, pull.head_sha
        author = author or committer
        if git is None:  # bookkeeping only: a made-up merge commit
            sha = hashlib.sha1(f"{style} {base} {head} {message}".encode()).hexdigest()
            if repo.commits is not None and pull.base_ref == repo.default_branch:
                repo.commits.append(sha)
            return sha, None
        squash = None
        if style in ("merge", "squash", "gitlab-squash"):
            tree = git.merge_tree(base, head)
            if tree is None:
                return None
            if style == "merge":
                new = git.commit_tree(tree, [base, head], message, author, committer)
            elif style == "squash":
                new = git.commit_tree(tree, [base], message, author, committer)
            else:
                squash = git.commit_tree(tree, [base], squash_message, author, committer)
                new = git.commit_tree(tree, [base, squash], message, author, committer)
        else:
            if style in ("rebase-ff", "rebase-merge") and git.is_ancestor(base, head):
                tip: str | None = head
            else:
                tip = git.replay(git.commits_between(base, head), base, committer)
            if tip is None:
                return None
            new = tip
            if style == "rebase-merge":
                new = git.commit_tree(git.info(tip)["tree"], [base, tip], message, author, committer)
        if not git.move_branch(pull.base_ref, new, base):
            return None
        return new, squash

    def _label(
        self, repo: Repo, name: str, *, color: str = GITHUB_LABEL_COLOR, description: str | None = None
    ) -> Label:
        """The repository's label called ``name`` (any case), made if missing."""
        label = repo.labels.get(name.lower())
        if label is None:
            label = Label(next(self._ids), name, color.lstrip("#").lower(), description)
            repo.labels[name.lower()] = label
        return label

    def _pull_labels(self, repo: Repo, pull: Pull) -> list[Label]:
        return sorted((self._label(repo, n) for n in pull.labels), key=lambda lb: lb.name.lower())

    def _render_label(self, repo: Repo, label: Label) -> dict:
        if self.kind == "github":
            return {
                "id": label.id,
                "node_id": _node_id("Label", label.id),
                "url": f"{self.base}/repos/{repo.full_name}/labels/{quote(label.name, safe='')}",
                "name": label.name,
                "description": label.description,
                "color": label.color,
                "default": False,
            }
        if self.kind == "gitea":
            return {
                "id": label.id,
                "name": label.name,
                "exclusive": False,
                "color": label.color,
                "description": label.description or "",
                "url": f"{self.base}/api/v1/repos/{repo.full_name}/labels/{label.id}",
            }
        return {
            "id": label.id,
            "name": label.name,
            "color": f"#{label.color}",
            "description": label.description,
        }

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
            ("GET", repo + r"/pulls", self._gh_list_pulls),
            ("POST", repo + r"/pulls", self._gh_create_pull),
            ("GET", repo + r"/pulls/(?P<number>[^/]+)", self._gh_get_pull),
            ("PATCH", repo + r"/pulls/(?P<number>[^/]+)", self._gh_update_pull),
            ("GET", repo + r"/pulls/(?P<number>[^/]+)/reviews", self._gh_list_reviews),
            ("PUT", repo + r"/pulls/(?P<number>[^/]+)/merge", self._gh_merge),
            ("POST", repo + r"/issues/(?P<number>[^/]+)/labels", self._gh_add_labels),
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
        committer = person
        tree = hashlib.sha1(sha.encode()).hexdigest()
        message = f"commit {sha[:7]}"
        parent_shas = []
        if repo.git is not None:  # the real commit
            info = repo.git.info(sha)
            tree, parent_shas, message = info["tree"], info["parents"], info["message"]
            (an, ae, ad), (cn, ce, cd) = info["author"], info["committer"]
            person = {"name": an, "email": ae, "date": _iso(datetime.fromisoformat(ad).astimezone(UTC))}
            committer = {"name": cn, "email": ce, "date": _iso(datetime.fromisoformat(cd).astimezone(UTC))}
        elif repo.commits and sha in repo.commits and repo.commits.index(sha) > 0:
            parent_shas = [repo.commits[repo.commits.index(sha) - 1]]
        parents = [
            {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{self.base}/{repo.full_name}/commit/{p}"}
            for p in parent_shas
        ]
        doc = {
            "sha": sha,
            "node_id": _node_id("Commit", int(sha[:8], 16)),
            "commit": {
                "author": person,
                "committer": committer,
                "message": message,
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

    def _gh_pull(self, repo: Repo, pull: Pull, *, simple: bool = False) -> dict:
        """GitHub's ``pull-request`` (``simple``: the ``pull-request-simple`` of a list). ``mergeable`` is
        computed at once (GitHub may answer null first): false on a conflict; ``mergeable_state`` is
        ``dirty`` (conflict), ``blocked`` (the protection's reviews or checks missing), ``unstable`` (some
        other status not green), else ``clean``; a merged pull request is ``unknown`` with null."""
        facts = self._facts(repo, pull)
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
        doc: dict[str, Any] = {
            "url": f"{api}/pulls/{n}",
            "id": pull.id,
            "node_id": _node_id("PullRequest", pull.id),
            "html_url": f"{b}/{fn}/pull/{n}",
            "diff_url": f"{b}/{fn}/pull/{n}.diff",
            "patch_url": f"{b}/{fn}/pull/{n}.patch",
            "issue_url": f"{api}/issues/{n}",
            "number": n,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": self._gh_user(pull.author, self._login_id(pull.author)),
            "body": pull.body,
            "created_at": _iso(pull.created_at),
            "updated_at": _iso(self._updated(pull)),
            "closed_at": _iso(pull.closed_at) if pull.closed_at else None,
            "merged_at": _iso(pull.merged_at) if pull.merged_at else None,
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": [self._render_label(repo, label) for label in self._pull_labels(repo, pull)],
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
            "author_association": "COLLABORATOR" if pull.author == self.user else "CONTRIBUTOR",
            "auto_merge": None,
            "active_lock_reason": None,
        }
        if simple:
            return doc
        if pull.merged:
            mergeable, state = None, "unknown"
        elif facts["conflict"]:
            mergeable, state = False, "dirty"
        else:
            gate = self._gate(repo, pull)
            latest = self._latest_statuses(repo, pull.head_sha)
            mergeable = True
            if gate["approvals_left"] or gate["checks"]:
                state = "blocked"
            elif any(s != "success" for s in latest.values()):
                state = "unstable"
            else:
                state = "clean"
        merger = pull.merged_by
        doc |= {
            "merged": pull.merged,
            "mergeable": mergeable,
            "rebaseable": None if mergeable is None else mergeable,
            "mergeable_state": state,
            "merged_by": self._gh_user(merger, self._login_id(merger)) if merger else None,
            "comments": len(self._comments_on(pull)),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": facts["commits"],
            "additions": facts["additions"],
            "deletions": facts["deletions"],
            "changed_files": facts["files"],
        }
        return doc

    def _gh_review(self, repo: Repo, pull: Pull, review: Review) -> dict:
        """GitHub's ``pull-request-review``; an approval of an older head is ``DISMISSED`` when the base's
        protection dismisses stale approvals."""
        api = f"{self.base}/repos/{repo.full_name}/pulls/{pull.number}"
        html = f"{self.base}/{repo.full_name}/pull/{pull.number}#pullrequestreview-{review.id}"
        return {
            "id": review.id,
            "node_id": _node_id("PullRequestReview", review.id),
            "user": self._gh_user(review.user, self._login_id(review.user)),
            "body": review.body,
            "state": "DISMISSED" if self._dismissed(repo, pull, review) else review.state,
            "html_url": html,
            "pull_request_url": api,
            "_links": {"html": {"href": html}, "pull_request": {"href": api}},
            "submitted_at": _iso(review.submitted_at),
            "commit_id": review.commit,
            "author_association": "COLLABORATOR",
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

    def _open_pull(
        self, repo: Repo, head: tuple[str, str], base: tuple[str, str], title: str, body: str | None
    ) -> Pull:
        """A pull request opened through the API by the token's user: ``head`` and ``base`` are
        ``(branch, sha)``; it takes the repository's next number."""
        when = _now().replace(microsecond=0)
        pull = Pull(
            id=next(self._ids),
            repo_id=repo.id,
            number=self._next_number(repo),
            title=title,
            head_sha=head[1],
            base_sha=base[1],
            head_ref=head[0],
            base_ref=base[0],
            created_at=when,
            author=self.user,
            body=body,
        )
        self._pulls[(repo.id, pull.number)] = pull
        self._sync(repo, pull)
        return pull

    def _open_twin(self, repo: Repo, head_ref: str, base_ref: str, but: Pull | None = None) -> Pull | None:
        """An open pull request of the same head and base branches (the forges allow one)."""
        for other in self._pulls_of(repo):
            self._sync(repo, other)
            if (
                other is not but
                and other.state == "open"
                and (other.head_ref, other.base_ref) == (head_ref, base_ref)
            ):
                return other
        return None

    def _gh_validation(self, doc: str, *errors: dict) -> Answer:
        return self._gh_error(422, "Validation Failed", doc, errors=list(errors))

    def _gh_list_pulls(self, owner: str, name: str, headers: dict, query: dict, **_: Any) -> Answer:
        """``GET /repos/{owner}/{repo}/pulls``: ``state`` (default open), ``head`` (``owner:branch``; a
        head without its owner filters nothing, as on GitHub), ``base``, ``sort``, ``direction``; paged."""
        doc = "/pulls/pulls#list-pull-requests"
        repo = self._gh_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            return self._gh_validation(doc, {"resource": "Issue", "field": "state", "code": "invalid"})
        rows = self._pulls_of(repo)
        for pull in rows:
            self._sync(repo, pull)
        if state != "all":
            rows = [p for p in rows if p.state == state]
        head = query.get("head", "")
        if ":" in head:
            who, _, ref = head.partition(":")
            rows = [p for p in rows if who.lower() == repo.owner.lower() and p.head_ref == ref]
        if query.get("base"):
            rows = [p for p in rows if p.base_ref == query["base"]]
        sort = query.get("sort", "created")
        direction = query.get("direction") or ("desc" if sort == "created" else "asc")
        keys: dict[str, Callable[[Pull], Any]] = {
            "updated": lambda p: (self._updated(p), p.number),
            "popularity": lambda p: (len(self._comments_on(p)), p.number),
        }
        rows.sort(key=keys.get(sort, lambda p: (p.created_at, p.number)), reverse=direction == "desc")
        shown = [self._gh_pull(repo, p, simple=True) for p in rows]
        page, extra = self._gh_page(f"/repos/{repo.full_name}/pulls", query, shown)
        return Answer(200, page, extra)

    def _gh_create_pull(self, owner: str, name: str, headers: dict, body: bytes, **_: Any) -> Answer:
        """``POST /repos/{owner}/{repo}/pulls``: 201; 422 for a missing branch (``head`` / ``base``
        ``invalid``), an open pull request of the same branches (``A pull request already exists for
        owner:branch.``) or a head the base has (``No commits between main and branch``)."""
        doc = "/pulls/pulls#create-a-pull-request"
        repo = self._gh_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        params = self._json_body(body, headers, {})
        if params is None:
            return self._gh_error(400, "Problems parsing JSON", doc)
        for key in ("head", "base"):
            if not isinstance(params.get(key), str):
                return self._gh_error(422, f'Invalid request.\n\n"{key}" wasn\'t supplied.', doc)
        if not params.get("title"):
            return self._gh_validation(
                doc, {"resource": "PullRequest", "code": "missing_field", "field": "title"}
            )
        head_owner, _, head_ref = params["head"].rpartition(":")
        base_ref = params["base"]
        same_owner = not head_owner or head_owner.lower() == repo.owner.lower()
        head_sha = repo.branch(head_ref) if same_owner else None
        base_sha = repo.branch(base_ref)
        invalid = [
            {"resource": "PullRequest", "field": field_name, "code": "invalid"}
            for field_name, sha in (("base", base_sha), ("head", head_sha))
            if sha is None
        ]
        if invalid:
            return self._gh_validation(doc, *invalid)
        assert head_sha is not None and base_sha is not None
        if self._open_twin(repo, head_ref, base_ref):
            message = f"A pull request already exists for {repo.owner}:{head_ref}."
            return self._gh_validation(doc, {"resource": "PullRequest", "code": "custom", "message": message})
        if head_sha == base_sha or (repo.git is not None and repo.git.is_ancestor(head_sha, base_sha)):
            message = f"No commits between {base_ref} and {params['head']}"
            return self._gh_validation(doc, {"resource": "PullRequest", "code": "custom", "message": message})
        body_text = params.get("body") if isinstance(params.get("body"), str) else None
        pull = self._open_pull(
            repo, (head_ref, head_sha), (base_ref, base_sha), str(params["title"]), body_text
        )
        shown = self._gh_pull(repo, pull)
        return Answer(201, shown, {"Location": shown["url"]})

    def _gh_update_pull(
        self, owner: str, name: str, number: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        """``PATCH /repos/{owner}/{repo}/pulls/{pull_number}``: ``title``, ``body``, ``state`` (open,
        closed), ``base``; 200. Reopening next to an open twin is 422; a merged one keeps its state."""
        doc = "/pulls/pulls#update-a-pull-request"
        found = self._gh_pull_or_error(headers, owner, name, number, doc)
        if isinstance(found, Answer):
            return found
        repo, pull = found
        params = self._json_body(body, headers, {})
        if params is None:
            return self._gh_error(400, "Problems parsing JSON", doc)
        state = params.get("state")
        if state is not None and state not in ("open", "closed"):
            return self._gh_validation(doc, {"resource": "PullRequest", "code": "invalid", "field": "state"})
        if "base" in params and repo.branch(str(params["base"])) is None:
            return self._gh_validation(doc, {"resource": "PullRequest", "code": "invalid", "field": "base"})
        self._sync(repo, pull)
        base_ref = str(params.get("base") or pull.base_ref)
        if (
            state == "open"
            and pull.state == "closed"
            and not pull.merged
            and self._open_twin(repo, pull.head_ref, base_ref, pull)
        ):
            message = f"A pull request already exists for {repo.owner}:{pull.head_ref}."
            return self._gh_validation(doc, {"resource": "PullRequest", "code": "custom", "message": message})
        now = _now().replace(microsecond=0)
        if isinstance(params.get("title"), str) and params["title"]:
            pull.title = params["title"]
        if "body" in params:
            pull.body = params["body"] if isinstance(params["body"], str) else None
        if base_ref != pull.base_ref:
            pull.base_ref, pull.base_sha = base_ref, repo.branch(base_ref) or pull.base_sha
        if state and not pull.merged and state != pull.state:
            pull.state, pull.closed_at = state, (now if state == "closed" else None)
        pull.updated_at = now
        return Answer(200, self._gh_pull(repo, pull))

    def _gh_add_labels(
        self, owner: str, name: str, number: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        """``POST /repos/{owner}/{repo}/issues/{issue_number}/labels``: ``{"labels": [names]}`` or a bare
        list (PyGithub's); a missing label is created; 200 with every label of the issue."""
        doc = "/issues/labels#add-labels-to-an-issue"
        found = self._gh_pull_or_error(headers, owner, name, number, doc)
        if isinstance(found, Answer):
            return found
        repo, pull = found
        try:
            sent = json.loads(body) if body else None
        except ValueError:
            return self._gh_error(400, "Problems parsing JSON", doc)
        names = sent.get("labels") if isinstance(sent, dict) else sent
        if isinstance(names, list):
            names = [n.get("name") if isinstance(n, dict) else n for n in names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            return self._gh_error(422, 'Invalid request.\n\nNo subschema in "oneOf" matched.', doc)
        have = {n.lower() for n in pull.labels}
        for label_name in names:
            label = self._label(repo, label_name)
            if label.name.lower() not in have:
                pull.labels.append(label.name)
                have.add(label.name.lower())
        pull.updated_at = _now().replace(microsecond=0)
        return Answer(200, [self._render_label(repo, label) for label in self._pull_labels(repo, pull)])

    def _gh_list_reviews(
        self, owner: str, name: str, number: str, headers: dict, query: dict, **_: Any
    ) -> Answer:
        """``GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews``: oldest first, paged."""
        found = self._gh_pull_or_error(
            headers, owner, name, number, "/pulls/reviews#list-reviews-for-a-pull-request"
        )
        if isinstance(found, Answer):
            return found
        repo, pull = found
        self._sync(repo, pull)
        rows = [self._gh_review(repo, pull, r) for r in self._reviews_of(pull)]
        page, extra = self._gh_page(f"/repos/{repo.full_name}/pulls/{pull.number}/reviews", query, rows)
        return Answer(200, page, extra)

    def _gh_merge(self, owner: str, name: str, number: str, headers: dict, body: bytes, **_: Any) -> Answer:
        """``PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge``: ``merge_method`` merge (a merge
        commit), squash (one commit), rebase (the commits re-applied on the base, new shas); ``sha``;
        ``commit_title``, ``commit_message`` (GitHub's defaults otherwise). 200 ``{sha, merged,
        message}``; 405 when not open, on a conflict, a rebase that does not apply, or missing reviews or
        required checks (as the protection words them); 409 when ``sha`` is not the head."""
        doc = "/pulls/pulls#merge-a-pull-request"
        found = self._gh_pull_or_error(headers, owner, name, number, doc)
        if isinstance(found, Answer):
            return found
        repo, pull = found
        params = self._json_body(body, headers, {})
        if params is None:
            return self._gh_error(400, "Problems parsing JSON", doc)
        method = params.get("merge_method") or "merge"
        if method not in ("merge", "squash", "rebase"):
            return self._gh_error(
                422,
                f"Invalid request.\n\nFor 'properties/merge_method', {json.dumps(method)} is not one of "
                '["merge", "squash", "rebase"].',
                doc,
            )
        facts = self._facts(repo, pull)
        if pull.state != "open" or facts["conflict"]:
            return self._gh_error(405, "Pull Request is not mergeable", doc)
        if params.get("sha") and str(params["sha"]).lower() != pull.head_sha:
            return self._gh_error(409, "Head branch was modified. Review and try the merge again.", doc)
        gate = self._gate(repo, pull)
        refusal = None
        if gate["approvals_left"]:
            n = gate["approvals_required"]
            reviews = "review is" if n == 1 else "reviews are"
            refusal = f"At least {n} approving {reviews} required by reviewers with write access."
        elif gate["checks"]:
            failing = [c for c, st in gate["checks"] if st in ("failure", "error")]
            if len(gate["checks"]) == 1:
                context = gate["checks"][0][0]
                refusal = f'Required status check "{context}" is {"failing" if failing else "expected"}.'
            else:
                total = len(self._protection(repo, pull).checks)  # type: ignore[union-attr]
                verb = "have not succeeded" if failing else "are expected"
                refusal = f"{len(gate['checks'])} of {total} required status checks {verb}."
        if refusal:
            return Answer(405, {"message": refusal, "documentation_url": GITHUB_PROTECTION_DOC})
        commits = repo.git.commits_between(pull.base_sha, pull.head_sha) if facts["git"] and repo.git else []
        messages = [repo.git.info(c)["message"] for c in commits] if repo.git else []
        if method == "merge":
            title = f"Merge pull request #{pull.number} from {repo.owner}/{pull.head_ref}"
            detail = pull.title
        else:
            first = messages[0].split("\n", 1) if len(messages) == 1 else [pull.title]
            title = f"{first[0]} (#{pull.number})"
            detail = (
                first[1].strip()
                if len(first) > 1
                else "\n\n".join(f"* {m}" for m in messages if len(messages) > 1)
            )
        title = str(params.get("commit_title") or title)
        detail = str(params["commit_message"]) if params.get("commit_message") is not None else detail
        message = title + (f"\n\n{detail}" if detail else "")
        done = self._merge_in_git(
            repo,
            pull,
            method,
            message,
            committer=Person("GitHub", "noreply@github.com"),
            author=self._person(pull.author if method == "squash" else self.user),
        )
        if done is None:
            refused = (
                "This branch can't be rebased" if method == "rebase" else "Pull Request is not mergeable"
            )
            return self._gh_error(405, refused, doc)
        self._mark_merged(pull, done[0], self.user)
        return Answer(200, {"sha": done[0], "merged": True, "message": "Pull Request successfully merged"})

    # --- GitLab -----------------------------------------------------------------------------------------

    def _gitlab_routes(self) -> list[tuple[str, str, Callable[..., Answer]]]:
        project = r"/api/v4/projects/(?P<pid>[^/]+)"
        return [
            ("GET", r"/api/v4/user", self._gl_get_user),
            ("GET", project, self._gl_get_project),
            ("POST", project + r"/statuses/(?P<sha>[^/]+)", self._gl_post_status),
            ("GET", project + r"/repository/commits/(?P<sha>[^/]+)/statuses", self._gl_list_statuses),
            ("GET", project + r"/merge_requests", self._gl_list_merge_requests),
            ("POST", project + r"/merge_requests", self._gl_create_merge_request),
            ("GET", project + r"/merge_requests/(?P<iid>[^/]+)", self._gl_get_merge_request),
            ("PUT", project + r"/merge_requests/(?P<iid>[^/]+)", self._gl_update_merge_request),
            ("GET", project + r"/merge_requests/(?P<iid>[^/]+)/approvals", self._gl_get_approvals),
            ("PUT", project + r"/merge_requests/(?P<iid>[^/]+)/merge", self._gl_merge),
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
            "only_allow_merge_if_pipeline_succeeds": any(p.checks for p in repo.protections.values()),
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

    def _gl_detailed_status(self, repo: Repo, pull: Pull, facts: dict, gate: dict) -> str:
        """``detailed_merge_status``: the first failing check in GitLab's order (EE's approvals, then
        open, draft, commits, then the git checks: conflict), else the CI check (``ci_still_running``
        while the head pipeline runs, ``ci_must_pass`` otherwise), else ``mergeable``
        (``MergeRequests::Mergeability::DetailedMergeStatusService``)."""
        if gate["approvals_left"]:
            return "not_approved"
        if pull.state != "open":
            return "not_open"
        if self._gl_draft(pull):
            return "draft_status"
        if facts["git"] and facts["commits"] == 0:
            return "commits_status"
        if facts["conflict"]:
            return "conflict"
        if gate["ci_required"] and gate["pipeline"] != "success":
            return (
                "ci_still_running"
                if gate["pipeline"] in ("created", "pending", "running")
                else "ci_must_pass"
            )
        return "mergeable"

    @staticmethod
    def _gl_draft(pull: Pull) -> bool:
        """A draft by its title (``Draft:``, ``[Draft]``, ``(Draft)``), as GitLab reads it."""
        return re.match(r"^\s*(\[draft\]|\(draft\)|draft:)", pull.title, re.IGNORECASE) is not None

    def _gl_state(self, pull: Pull) -> str:
        return "merged" if pull.merged else ("opened" if pull.state == "open" else "closed")

    def _gl_merge_request(self, repo: Repo, pull: Pull, *, basic: bool = False, single: bool = True) -> dict:
        """The ``MergeRequest`` entity (issuable, basic and full fields) as a single merge request's GET
        shows it (``single``: with ``first_contribution``, which only that GET turns on; create, update
        and merge answer without it); ``basic``: the ``MergeRequestBasic`` of a list."""
        facts = self._facts(repo, pull)
        gate = self._gate(repo, pull)
        n, path, when = pull.number, repo.full_name, _iso_ms(pull.created_at)
        merger = self._gl_user(pull.merged_by) if pull.merged_by else None
        closer = self._gl_user(pull.closed_by) if pull.closed_by and not pull.merged else None
        doc: dict[str, Any] = {
            "id": pull.id,
            "iid": n,
            "project_id": repo.id,
            "title": pull.title,
            "description": pull.body if pull.body is not None else "",
            "state": self._gl_state(pull),
            "created_at": when,
            "updated_at": _iso_ms(self._updated(pull)),
            "merged_by": merger,
            "merge_user": merger,
            "merged_at": _iso_ms(pull.merged_at) if pull.merged_at else None,
            "closed_by": closer,
            "closed_at": _iso_ms(pull.closed_at) if pull.closed_at and not pull.merged else None,
            "target_branch": pull.base_ref,
            "source_branch": pull.head_ref,
            "user_notes_count": len(self._comments_on(pull)),
            "upvotes": 0,
            "downvotes": 0,
            "author": self._gl_user(pull.author),
            "assignees": [],
            "assignee": None,
            "reviewers": [],
            "source_project_id": repo.id,
            "target_project_id": repo.id,
            "labels": sorted(pull.labels),
            "draft": self._gl_draft(pull),
            "imported": False,
            "imported_from": "none",
            "work_in_progress": False,
            "milestone": None,
            "merge_when_pipeline_succeeds": False,
            "merge_status": "cannot_be_merged" if facts["conflict"] else "can_be_merged",
            "detailed_merge_status": self._gl_detailed_status(repo, pull, facts, gate),
            "merge_after": None,
            "sha": pull.head_sha,
            "merge_commit_sha": pull.merge_commit_sha,
            "squash_commit_sha": pull.squash_commit_sha,
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
            "squash": pull.squash,
            "squash_on_merge": pull.squash,
            "task_completion_status": {"count": 0, "completed_count": 0},
            "has_conflicts": facts["conflict"],
            "blocking_discussions_resolved": True,
        }
        doc["work_in_progress"] = doc["draft"]
        if basic:
            return doc
        doc |= {
            "subscribed": True,
            "changes_count": str(facts["files"]) if facts["git"] else "1",
            "latest_build_started_at": None,
            "latest_build_finished_at": None,
            "first_deployed_to_production_at": None,
            "pipeline": None,
            "head_pipeline": None,
            "diff_refs": {
                "base_sha": facts["merge_base"],
                "head_sha": pull.head_sha,
                "start_sha": pull.base_sha,
            },
            "merge_error": None,
        }
        if single:
            doc["first_contribution"] = False
        doc["user"] = {"can_merge": True}
        return doc

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

    @staticmethod
    def _gl_bool(value: Any) -> bool:
        return value is True or str(value).lower() in ("true", "1", "yes", "t", "on")

    @staticmethod
    def _gl_labels(value: Any) -> list[str]:
        """Grape's ``CommaSeparatedToArray``: a list, or a comma-separated string."""
        items = value if isinstance(value, list) else str(value or "").split(",")
        return list(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))

    def _gl_list_merge_requests(self, pid: str, headers: dict, query: dict, **_: Any) -> Answer:
        """``GET /projects/:id/merge_requests``: ``state`` (default all), ``source_branch``,
        ``target_branch``, ``labels``, ``iids[]``, ``order_by`` created_at|updated_at, ``sort`` (desc);
        the ``MergeRequestBasic`` entity, paged."""
        repo = self._gl_project_or_error(headers, pid)
        if isinstance(repo, Answer):
            return repo
        state = query.get("state", "all")
        order, sort = query.get("order_by", "created_at"), query.get("sort", "desc")
        invalid = [
            param
            for param, value, allowed in (
                ("state", state, ("opened", "closed", "locked", "merged", "all")),
                ("order_by", order, ("created_at", "updated_at")),
                ("sort", sort, ("asc", "desc")),
            )
            if value not in allowed
        ]
        if invalid:
            return Answer(400, {"error": f"{', '.join(invalid)} does not have a valid value"})
        rows = self._pulls_of(repo)
        for pull in rows:
            self._sync(repo, pull)
        if state != "all":
            rows = [p for p in rows if self._gl_state(p) == state]
        for param, attr in (("source_branch", "head_ref"), ("target_branch", "base_ref")):
            if query.get(param):
                rows = [p for p in rows if getattr(p, attr) == query[param]]
        if query.get("labels"):
            wanted = {n.lower() for n in self._gl_labels(query["labels"])}
            rows = [p for p in rows if wanted <= {n.lower() for n in p.labels}]
        iids = self._gl_labels(query.get("iids[]") or query.get("iids"))  # comma-separated or one
        if iids:
            rows = [p for p in rows if str(p.number) in iids]
        when = (lambda p: p.created_at) if order == "created_at" else self._updated
        rows.sort(key=lambda p: (when(p), p.id), reverse=sort == "desc")
        path = f"/api/v4/projects/{pid}/merge_requests"
        return self._gl_page(path, query, [self._gl_merge_request(repo, p, basic=True) for p in rows])

    def _gl_create_merge_request(self, pid: str, headers: dict, body: bytes, query: dict, **_: Any) -> Answer:
        """``POST /projects/:id/merge_requests``: 201; the same branch as source and target is 422, an
        open merge request of the same branches 409 ``["Another open merge request already exists for
        this source branch: !N"]``, a branch that does not exist 400 (the model's validation)."""
        repo = self._gl_project_or_error(headers, pid)
        if isinstance(repo, Answer):
            return repo
        params = self._json_body(body, headers, query)
        if params is None:
            return Answer(400, {"error": "The provided content-type is not supported."})
        missing = [k for k in ("title", "source_branch", "target_branch") if params.get(k) in (None, "")]
        if missing:
            return Answer(400, {"error": ", ".join(f"{k} is missing" for k in missing)})
        source, target = str(params["source_branch"]), str(params["target_branch"])
        if source == target:
            return Answer(422, {"message": ["You can't use same project/branch for source and target"]})
        twin = self._open_twin(repo, source, target)
        if twin is not None:
            message = f"Another open merge request already exists for this source branch: !{twin.number}"
            return Answer(409, {"message": [message]})
        head_sha, base_sha = repo.branch(source), repo.branch(target)
        problems = {
            k: ["does not exist"]
            for k, sha in (("source_branch", head_sha), ("target_branch", base_sha))
            if not sha
        }
        if problems:
            return Answer(400, {"message": problems})
        assert head_sha is not None and base_sha is not None
        description = params.get("description")
        pull = self._open_pull(
            repo,
            (source, head_sha),
            (target, base_sha),
            str(params["title"]),
            None if description is None else str(description),
        )
        pull.labels = self._gl_labels(params.get("labels"))
        for label_name in pull.labels:
            self._label(repo, label_name)
        pull.squash = self._gl_bool(params.get("squash"))
        return Answer(201, self._gl_merge_request(repo, pull, single=False))

    def _gl_update_merge_request(
        self, pid: str, iid: str, headers: dict, body: bytes, query: dict, **_: Any
    ) -> Answer:
        """``PUT /projects/:id/merge_requests/:iid``: ``title``, ``description``, ``labels``,
        ``add_labels``, ``remove_labels``, ``target_branch``, ``squash``, ``state_event`` close|reopen; at
        least one (400 otherwise); 200."""
        found = self._gl_merge_request_or_error(headers, pid, iid, "merge_request_iid")
        if isinstance(found, Answer):
            return found
        repo, pull = found
        params = self._json_body(body, headers, query)
        if params is None:
            return Answer(400, {"error": "The provided content-type is not supported."})
        known = (
            "assignee_id", "assignee_ids", "reviewer_ids", "description", "labels", "add_labels",
            "remove_labels", "milestone_id", "remove_source_branch", "allow_collaboration",
            "allow_maintainer_to_push", "squash", "target_branch", "title", "state_event",
            "discussion_locked", "merge_after",
        )  # fmt: skip
        if not any(k in params for k in known):
            return Answer(
                400, {"error": f"{', '.join(known)} are missing, at least one parameter must be provided"}
            )
        for key in ("title", "target_branch"):
            if key in params and not str(params[key] or "").strip():
                return Answer(400, {"error": f"{key} is empty"})
        event = params.get("state_event")
        if event is not None and event not in ("close", "reopen"):
            return Answer(400, {"error": "state_event does not have a valid value"})
        self._sync(repo, pull)
        target = str(params.get("target_branch") or pull.base_ref)
        reopening = event == "reopen" and pull.state == "closed" and not pull.merged
        if pull.state == "open" or reopening:
            twin = self._open_twin(repo, pull.head_ref, target, pull)
            if twin is not None and (reopening or target != pull.base_ref):
                message = f"Another open merge request already exists for this source branch: !{twin.number}"
                return Answer(409, {"message": [message]})
        now = _now()
        if "title" in params:
            pull.title = str(params["title"])
        if "description" in params:
            pull.body = None if params["description"] is None else str(params["description"])
        if target != pull.base_ref:
            pull.base_ref, pull.base_sha = target, repo.branch(target) or pull.base_sha
        if "labels" in params:
            pull.labels = self._gl_labels(params["labels"])
        pull.labels += [n for n in self._gl_labels(params.get("add_labels")) if n not in pull.labels]
        removed = set(self._gl_labels(params.get("remove_labels")))
        pull.labels = [n for n in pull.labels if n not in removed]
        for label_name in pull.labels:
            self._label(repo, label_name)
        if "squash" in params:
            pull.squash = self._gl_bool(params["squash"])
        if event == "close" and pull.state == "open":  # a merged one cannot be closed: nothing happens
            pull.state, pull.closed_at, pull.closed_by = "closed", now, self.user
        elif reopening:
            pull.state, pull.closed_at, pull.closed_by = "open", None, None
            self._sync(repo, pull)
        pull.updated_at = now
        return Answer(200, self._gl_merge_request(repo, pull, single=False))

    def _gl_approvals(self, repo: Repo, pull: Pull) -> dict:
        """The approvals of a merge request: EE's ``ApprovalState`` entity (issuable fields, merge
        status, the approvals required and left by the "any approver" rule, who approved)."""
        facts, gate = self._facts(repo, pull), self._gate(repo, pull)
        approvers = gate["approvers"]
        rule = {"id": repo.id * 10 + 1, "name": "All Members", "rule_type": "any_approver"}
        return {
            "id": pull.id,
            "iid": pull.number,
            "project_id": repo.id,
            "title": pull.title,
            "description": pull.body if pull.body is not None else "",
            "state": self._gl_state(pull),
            "created_at": _iso_ms(pull.created_at),
            "updated_at": _iso_ms(self._updated(pull)),
            "merge_status": "cannot_be_merged" if facts["conflict"] else "can_be_merged",
            "approved": gate["approvals_left"] == 0,
            "approvals_required": gate["approvals_required"],
            "approvals_left": gate["approvals_left"],
            "require_password_to_approve": False,
            "approved_by": [{"user": self._gl_user(user)} for user in approvers],
            "suggested_approvers": [],
            "approvers": [],
            "approver_groups": [],
            "user_has_approved": self.user in approvers,
            "user_can_approve": self.user != pull.author and self.user not in approvers,
            "approval_rules_left": [rule] if gate["approvals_left"] else [],
            "has_approval_rules": gate["approvals_required"] > 0,
            "merge_request_approvers_available": True,
            "multiple_approval_rules_available": False,
            "invalid_approvers_rules": [],
        }

    def _gl_get_approvals(self, pid: str, iid: str, headers: dict, **_: Any) -> Answer:
        """``GET /projects/:id/merge_requests/:iid/approvals``."""
        found = self._gl_merge_request_or_error(headers, pid, iid, "merge_request_iid")
        return found if isinstance(found, Answer) else Answer(200, self._gl_approvals(*found))

    def _gl_merge(self, pid: str, iid: str, headers: dict, body: bytes, query: dict, **_: Any) -> Answer:
        """``PUT /projects/:id/merge_requests/:iid/merge``: ``sha``, ``squash``, ``merge_commit_message``,
        ``squash_commit_message``, ``should_remove_source_branch``; 200 with the merged merge request.
        As ``lib/api/merge_requests.rb``: 405 ``405 Method Not Allowed`` unless ``mergeable_state?``
        (approved, open, not a draft, commits, the pipeline when it must succeed), then 422 ``Branch
        cannot be merged`` on a conflict, then 409 ``SHA does not match HEAD of source branch: <sha>``."""
        found = self._gl_merge_request_or_error(headers, pid, iid, "merge_request_iid")
        if isinstance(found, Answer):
            return found
        repo, pull = found
        params = self._json_body(body, headers, query)
        if params is None:
            return Answer(400, {"error": "The provided content-type is not supported."})
        facts, gate = self._facts(repo, pull), self._gate(repo, pull)
        status = self._gl_detailed_status(repo, pull, facts, gate)
        if status not in ("mergeable", "conflict"):
            return Answer(405, {"message": "405 Method Not Allowed"})
        if status == "conflict":
            return Answer(422, {"message": "Branch cannot be merged"})
        if params.get("sha") and str(params["sha"]).lower() != pull.head_sha:
            return Answer(409, {"message": f"SHA does not match HEAD of source branch: {pull.head_sha}"})
        if self._gl_bool(params.get("squash")):
            pull.squash = True
        default = (
            f"Merge branch '{pull.head_ref}' into '{pull.base_ref}'\n\n{pull.title}\n\n"
            f"See merge request {repo.full_name}!{pull.number}"
        )
        me = self._person(self.user)
        done = self._merge_in_git(
            repo,
            pull,
            "gitlab-squash" if pull.squash else "merge",
            str(params.get("merge_commit_message") or default),
            committer=me,
            squash_message=str(params.get("squash_commit_message") or pull.title),
        )
        if done is None:
            return Answer(422, {"message": "Branch cannot be merged"})
        self._mark_merged(pull, done[0], self.user, done[1])
        if self._gl_bool(params.get("should_remove_source_branch")) and repo.git is not None:
            repo.git.delete_branch(pull.head_ref)
        return Answer(200, self._gl_merge_request(repo, pull, single=False))

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
            ("GET", repo + r"/pulls", self._gt_list_pulls),
            ("POST", repo + r"/pulls", self._gt_create_pull),
            ("GET", repo + r"/pulls/(?P<index>[^/]+)", self._gt_get_pull),
            ("PATCH", repo + r"/pulls/(?P<index>[^/]+)", self._gt_edit_pull),
            ("GET", repo + r"/pulls/(?P<index>[^/]+)/reviews", self._gt_list_reviews),
            ("POST", repo + r"/pulls/(?P<index>[^/]+)/merge", self._gt_merge),
            ("GET", repo + r"/labels", self._gt_list_labels),
            ("GET", repo + r"/branch_protections/(?P<branch>.+)", self._gt_get_branch_protection),
            ("POST", repo + r"/issues/(?P<index>[^/]+)/labels", self._gt_add_issue_labels),
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
        """Gitea's ``PullRequest``: ``mergeable`` is false on a conflict (Gitea's ``pr.Mergeable()``)."""
        facts = self._facts(repo, pull)
        html = f"{self.base}/{repo.full_name}/pulls/{pull.number}"

        def branch(ref: str, sha: str) -> dict:
            return {"label": ref, "ref": ref, "sha": sha, "repo_id": repo.id, "repo": self._gt_repo(repo)}

        merger = pull.merged_by
        return {
            "id": pull.id,
            "url": html,
            "number": pull.number,
            "user": self._gt_user(pull.author, self._login_id(pull.author)),
            "title": pull.title,
            "body": pull.body or "",
            "labels": [self._render_label(repo, label) for label in self._pull_labels(repo, pull)],
            "milestone": None,
            "assignee": None,
            "assignees": None,  # a nil Go slice when nobody is assigned
            "state": pull.state,
            "is_locked": False,
            "comments": len(self._comments_on(pull)),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "mergeable": not facts["conflict"],
            "merged": pull.merged,
            "merged_at": _iso(pull.merged_at) if pull.merged_at else None,
            "merge_commit_sha": pull.merge_commit_sha,
            "merged_by": self._gt_user(merger, self._login_id(merger)) if merger else None,
            "allow_maintainer_edit": False,
            "base": branch(pull.base_ref, pull.base_sha),
            "head": branch(pull.head_ref, pull.head_sha),
            "merge_base": facts["merge_base"],
            "due_date": None,
            "created_at": _iso(pull.created_at),
            "updated_at": _iso(self._updated(pull)),
            "closed_at": _iso(pull.closed_at) if pull.closed_at else None,
        }

    def _gt_review(self, repo: Repo, pull: Pull, review: Review) -> dict:
        """Gitea's ``PullReview``: ``stale`` when given on an older head, ``dismissed`` when the protection
        dismisses stale approvals, ``official`` for approvals and change requests (the reviewer may
        write)."""
        html = f"{self.base}/{repo.full_name}/pulls/{pull.number}"
        when = _iso(review.submitted_at)
        return {
            "id": review.id,
            "user": self._gt_user(review.user, self._login_id(review.user)),
            "team": None,
            "state": GITEA_REVIEW[review.state],
            "body": review.body,
            "commit_id": review.commit,
            "stale": review.commit != pull.head_sha,
            "official": review.state != "COMMENTED",
            "dismissed": self._dismissed(repo, pull, review),
            "comments_count": 0,
            "submitted_at": when,
            "updated_at": when,
            "html_url": f"{html}#issuecomment-{review.id}",
            "pull_request_url": html,
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

    @staticmethod
    def _gt_binding(*missing: str) -> Answer:
        """The binding's 422 for ``binding:"Required"`` fields left out."""
        return Answer(
            422,
            [{"fieldNames": [f], "classification": "RequiredError", "message": "Required"} for f in missing],
        )

    @staticmethod
    def _gt_undecodable() -> Answer:
        error = {"fieldNames": [], "classification": "DeserializationError", "message": "invalid JSON"}
        return Answer(422, [error])

    def _gt_label_ids(self, repo: Repo, ids: Any) -> list[str] | Answer:
        """The names of the repository's labels with these ids (Gitea 1.20 takes ids; unknown ones are
        skipped), or the binding's 422 for anything but a list of integers."""
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            message = "json: cannot unmarshal into Go struct field of type []int64"
            return Answer(
                422,
                [{"fieldNames": ["Labels"], "classification": "DeserializationError", "message": message}],
            )
        by_id = {label.id: label.name for label in repo.labels.values()}
        return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]

    def _gt_list_pulls(self, owner: str, name: str, headers: dict, query: dict, **_: Any) -> Answer:
        """``GET /repos/{owner}/{repo}/pulls``: ``state`` open|closed (anything else, the default
        included, lists all: Gitea's ``listPullRequestStatement``), ``sort`` (newest first by default),
        ``page``, ``limit``; ``X-Total-Count``, ``Link``."""
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        rows = self._pulls_of(repo)
        for pull in rows:
            self._sync(repo, pull)
        state = query.get("state", "").strip()
        if state in ("open", "closed"):
            rows = [p for p in rows if p.state == state]
        sort = query.get("sort", "")
        keys: dict[str, tuple[Callable[[Pull], Any], bool]] = {
            "oldest": (lambda p: (p.created_at, p.id), False),
            "recentupdate": (lambda p: (self._updated(p), p.id), True),
            "leastupdate": (lambda p: (self._updated(p), p.id), False),
            "mostcomment": (lambda p: (len(self._comments_on(p)), p.id), True),
            "leastcomment": (lambda p: (len(self._comments_on(p)), p.id), False),
        }
        key, reverse = keys.get(sort, (lambda p: (p.created_at, p.id), True))
        rows.sort(key=key, reverse=reverse)
        return self._gt_page(
            f"/api/v1/repos/{repo.full_name}/pulls", query, [self._gt_pull(repo, p) for p in rows]
        )

    def _gt_create_pull(self, owner: str, name: str, headers: dict, body: bytes, **_: Any) -> Answer:
        """``POST /repos/{owner}/{repo}/pulls``: 201. 422 when ``head`` is ``base``, 404 for a branch
        that does not exist (``parseCompareInfo``), 409 ``pull request already exists for these targets
        [...]`` for an open one of the same branches; ``labels`` are ids."""
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        params = self._json_body(body, headers, {})
        if params is None:
            return self._gt_undecodable()
        missing = [f for f in ("Head", "Base", "Title") if not params.get(f.lower())]
        if missing:
            return self._gt_binding(*missing)
        head, base_ref = str(params["head"]), str(params["base"])
        if head == base_ref:
            return self._gt_error(
                422, "Invalid PullRequest: There are no changes between the head and the base"
            )
        head_owner, _, head_ref = head.rpartition(":")
        if head_owner and head_owner.lower() != repo.owner.lower():
            return self._gt_not_found()  # no fork of that user
        head_sha, base_sha = repo.branch(head_ref), repo.branch(base_ref)
        if head_sha is None or base_sha is None:
            return self._gt_not_found()
        twin = self._open_twin(repo, head_ref, base_ref)
        if twin is not None:
            return self._gt_error(
                409,
                f"pull request already exists for these targets [id: {twin.id}, issue_id: {twin.number}, "
                f"head_repo_id: {repo.id}, base_repo_id: {repo.id}, head_branch: {twin.head_ref}, "
                f"base_branch: {twin.base_ref}]",
            )
        labels = self._gt_label_ids(repo, params.get("labels") or [])
        if isinstance(labels, Answer):
            return labels
        text = params.get("body")
        pull = self._open_pull(
            repo,
            (head_ref, head_sha),
            (base_ref, base_sha),
            str(params["title"]),
            text if isinstance(text, str) else None,
        )
        pull.labels = labels
        return Answer(201, self._gt_pull(repo, pull))

    def _gt_edit_pull(
        self, owner: str, name: str, index: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        """``PATCH /repos/{owner}/{repo}/pulls/{index}``: ``title``, ``body``, ``labels`` (ids, replacing),
        ``state``, ``base``; 201 (sic: Gitea's ``TODO this should be 200``). A merged one's state is 412
        ``cannot change state of this pull request, it was already merged``."""
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        params = self._json_body(body, headers, {})
        if params is None:
            return self._gt_undecodable()
        pull = self._pull_of(repo, index)
        if pull is None:
            return self._gt_not_found()
        self._sync(repo, pull)
        now = _now().replace(microsecond=0)
        if params.get("title"):
            pull.title = str(params["title"])
        if "body" in params and params["body"] is not None:
            pull.body = str(params["body"])
        if params.get("labels") is not None:
            labels = self._gt_label_ids(repo, params["labels"])
            if isinstance(labels, Answer):
                return labels
            pull.labels = labels
        if params.get("state") is not None:
            if pull.merged:
                return self._gt_error(412, "cannot change state of this pull request, it was already merged")
            closing = params["state"] == "closed"
            if closing != (pull.state == "closed"):
                pull.state, pull.closed_at = ("closed", now) if closing else ("open", None)
                self._sync(repo, pull)
        base = params.get("base")
        if base and not pull.merged and base != pull.base_ref:
            if repo.branch(str(base)) is None:
                return self._gt_error(404, f"new base '{base}' not exist")
            pull.base_ref, pull.base_sha = str(base), repo.branch(str(base)) or pull.base_sha
        pull.updated_at = now
        return Answer(201, self._gt_pull(repo, pull))

    def _gt_list_labels(self, owner: str, name: str, headers: dict, query: dict, **_: Any) -> Answer:
        """``GET /repos/{owner}/{repo}/labels``: by name, paged."""
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        rows = sorted(repo.labels.values(), key=lambda lb: lb.name)
        return self._gt_page(
            f"/api/v1/repos/{repo.full_name}/labels", query, [self._render_label(repo, lb) for lb in rows]
        )

    def _gt_add_issue_labels(
        self, owner: str, name: str, index: str, headers: dict, body: bytes, **_: Any
    ) -> Answer:
        """``POST /repos/{owner}/{repo}/issues/{index}/labels``: ``{"labels": [ids]}``; 200 with every
        label of the issue."""
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        params = self._json_body(body, headers, {})
        if params is None:
            return self._gt_undecodable()
        labels = self._gt_label_ids(repo, params.get("labels") or [])
        if isinstance(labels, Answer):
            return labels
        pull = self._pull_of(repo, index)
        if pull is None:
            return self._gt_not_found()
        pull.labels += [n for n in labels if n not in pull.labels]
        pull.updated_at = _now().replace(microsecond=0)
        return Answer(200, [self._render_label(repo, label) for label in self._pull_labels(repo, pull)])

    def _gt_get_branch_protection(self, owner: str, name: str, headers: dict, **_: Any) -> Answer:
        """``GET /repos/{owner}/{repo}/branch_protections/{name}``: for repository admins only (Gitea's
        ``reqAdmin``); the token's user may push but is no admin (``permissions.admin`` false), so 403."""
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        return self._gt_error(403, "user should be an owner or a site admin")

    def _gt_list_reviews(self, owner: str, name: str, index: str, headers: dict, **_: Any) -> Answer:
        """``GET /repos/{owner}/{repo}/pulls/{index}/reviews``: oldest first."""
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        pull = self._pull_of(repo, index)
        if pull is None:
            return self._gt_not_found()
        self._sync(repo, pull)
        return Answer(200, [self._gt_review(repo, pull, r) for r in self._reviews_of(pull)])

    def _gt_merge(self, owner: str, name: str, index: str, headers: dict, body: bytes, **_: Any) -> Answer:
        """``POST /repos/{owner}/{repo}/pulls/{index}/merge``: ``Do`` merge|rebase|rebase-merge|squash,
        ``head_commit_id``, ``MergeTitleField``, ``MergeMessageField``, ``delete_branch_after_merge``; 200
        with no body. As Gitea's ``MergePullRequest`` and ``CheckPullMergeable``: 405 with an empty
        message when merged, 404 when closed, 405 ``Work in progress PRs cannot be merged``, ``Please try
        again later`` (conflict), ``not allowed to merge [reason: Not all required status checks
        successful]`` then ``... [reason: Does not have enough approvals]``; 405 for a style the
        repository does not allow (``manually-merged``); 409 ``head out of date`` when
        ``head_commit_id`` is not the head, 409 with the conflict when a rebase does not apply."""
        repo = self._gt_repo_or_error(headers, owner, name)
        if isinstance(repo, Answer):
            return repo
        params = self._json_body(body, headers, {})
        if params is None:
            return self._gt_undecodable()
        style = params.get("Do")
        if not style:
            return self._gt_binding("Do")
        styles = ("merge", "rebase", "rebase-merge", "squash", "manually-merged")
        if style not in styles:
            return Answer(422, [{"fieldNames": ["Do"], "classification": "InError", "message": "In"}])
        pull = self._pull_of(repo, index)
        if pull is None:
            return self._gt_not_found()
        facts = self._facts(repo, pull)
        if pull.merged:
            return self._gt_error(405, "")
        if pull.state != "open":
            return self._gt_not_found()
        if style == "manually-merged":
            return self._gt_error(
                405, "manually-merged is not allowed an allowed merge style for this repository"
            )
        if re.match(r"^\s*(WIP:|\[WIP\])", pull.title, re.IGNORECASE):
            return self._gt_error(405, "Work in progress PRs cannot be merged")
        if facts["conflict"]:
            return self._gt_error(405, "Please try again later")
        gate = self._gate(repo, pull)
        if gate["checks"]:
            return self._gt_error(
                405, "not allowed to merge [reason: Not all required status checks successful]"
            )
        if gate["approvals_left"]:
            return self._gt_error(405, "not allowed to merge [reason: Does not have enough approvals]")
        expected = params.get("head_commit_id")
        if expected and str(expected).lower() != pull.head_sha:
            return self._gt_error(409, "head out of date")
        title = str(params.get("MergeTitleField") or "").strip()
        if not title:
            if style == "squash":
                title = f"{pull.title} (#{pull.number})"
            else:
                title = (
                    f"Merge pull request '{pull.title}' (#{pull.number}) "
                    f"from {pull.head_ref} into {pull.base_ref}"
                )
        extra = str(params.get("MergeMessageField") or "").strip()
        message = title + (f"\n\n{extra}" if extra else "")
        doer = self._person(self.user)
        done = self._merge_in_git(
            repo,
            pull,
            {"rebase": "rebase-ff"}.get(style, style),
            message,
            committer=doer,
            author=self._person(pull.author) if style == "squash" else doer,
        )
        if done is None:
            conflict = {
                "Style": style,
                "StdOut": "",
                "StdErr": "CONFLICT (content): Merge conflict",
                "Err": {},
            }
            return Answer(409, conflict)
        self._mark_merged(pull, done[0], self.user)
        if self._gl_bool(params.get("delete_branch_after_merge")) and repo.git is not None:
            repo.git.delete_branch(pull.head_ref)
        return Answer(200, None)


def quote_path(path: str) -> str:
    """A GitLab project path as its API addresses it (``group%2Fname``)."""
    return quote(path, safe="")
