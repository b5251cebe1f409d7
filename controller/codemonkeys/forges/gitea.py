"""Gitea and Forgejo (REST v1) over httpx: commit statuses, the plan comment and pull requests (no
well-kept Python client exists)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from codemonkeys.forges.base import (
    TIMEOUT_S,
    ForgeError,
    ForgeRefused,
    PullInfo,
    PullState,
    StatusState,
)
from codemonkeys.kinds.models import ForgeType

_STATES = {  # Gitea's words: pending, success, error, failure, warning
    StatusState.PENDING: "pending",
    StatusState.SUCCESS: "success",
    StatusState.FAILURE: "failure",
    StatusState.ERROR: "error",
}


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in (429, 502, 503, 504)


class GiteaClient:
    """One repository on Gitea or Forgejo (``url``: the API base, ``https://host/api/v1``)."""

    kind = ForgeType.GITEA

    def __init__(self, url: str, repo: str, token: str) -> None:
        self.url, self.repo = url.rstrip("/"), repo
        self._headers = {"Authorization": f"token {token}", "Accept": "application/json"}

    @retry(
        retry=retry_if_exception(_transient),
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=0.5, max=4),
        reraise=True,
    )
    def _call(self, method: str, path: str, **kw) -> httpx.Response:
        response = httpx.request(method, f"{self.url}{path}", headers=self._headers, timeout=TIMEOUT_S, **kw)
        response.raise_for_status()
        return response

    def _repo_path(self) -> str:
        owner, _, name = self.repo.partition("/")
        return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"

    def post_status(
        self, sha: str, state: StatusState, context: str, description: str, target_url: str | None
    ) -> None:
        """``POST /repos/{owner}/{repo}/statuses/{sha}``."""
        doc = {"state": _STATES[state], "context": context, "description": description[:255]}
        if target_url:
            doc["target_url"] = target_url
        path = f"{self._repo_path()}/statuses/{quote(sha, safe='')}"
        try:
            self._call("POST", path, json=doc)
        except httpx.HTTPStatusError as exc:
            said = exc.response.text[:200].strip()
            raise ForgeError(f"Gitea {self.repo}: {exc.response.status_code} {said}") from None
        except httpx.TransportError as exc:
            raise ForgeError(f"Gitea {self.repo}: cannot reach {self.url}: {type(exc).__name__}") from None

    def upsert_comment(self, number: int, marker: str, body: str) -> str:
        """The pull request's comment that starts with ``marker``, kept current (issue comments API)."""
        text = f"{marker}\n{body}"
        base = f"{self._repo_path()}/issues/{number}/comments"
        try:
            me = self._call("GET", "/user").json().get("login")  # only our own comment is ours to edit
            for comment in self._call("GET", base).json():  # the comments of an issue are not paged
                mine = (comment.get("user") or {}).get("login") == me
                if mine and str(comment.get("body", "")).startswith(marker):
                    if comment["body"] == text:
                        return "unchanged"
                    edit = f"{self._repo_path()}/issues/comments/{comment['id']}"
                    self._call("PATCH", edit, json={"body": text})
                    return "updated"
            self._call("POST", base, json={"body": text})
            return "created"
        except httpx.HTTPStatusError as exc:
            said = exc.response.text[:200].strip()
            raise ForgeError(f"Gitea {self.repo}#{number}: {exc.response.status_code} {said}") from None
        except httpx.TransportError as exc:
            raise ForgeError(f"Gitea {self.repo}: cannot reach {self.url}: {type(exc).__name__}") from None

    # --- pull requests -----------------------------------------------------------------------------

    def _failed(self, exc: httpx.HTTPError, what: str) -> ForgeError:
        if isinstance(exc, httpx.HTTPStatusError):
            code = exc.response.status_code
            try:
                said = str(exc.response.json().get("message") or "").strip()
            except ValueError:
                said = ""
            said = said or exc.response.text[:200].strip()
            kind = ForgeRefused if code in (405, 409, 422) else ForgeError
            return kind(f"Gitea {self.repo}{what}: {code} {said}")
        return ForgeError(f"Gitea {self.repo}: cannot reach {self.url}: {type(exc).__name__}")

    def _find(self, head: str, base: str) -> dict | None:
        page = 1
        while True:
            query = {"state": "open", "limit": 50, "page": page}
            rows = self._call("GET", f"{self._repo_path()}/pulls", params=query).json() or []
            for row in rows:  # a fork's pull request of a branch of the same name is not ours (_own)
                head_ref, base_ref = (row.get("head") or {}).get("ref"), (row.get("base") or {}).get("ref")
                if head_ref == head and base_ref == base and _own(row):
                    return row
            if len(rows) < 50 or page >= 20:
                return None
            page += 1

    def _label_ids(self, names: list[str]) -> list[int]:
        rows = self._call("GET", f"{self._repo_path()}/labels", params={"limit": 50}).json() or []
        return [row["id"] for row in rows if row.get("name") in names]  # Gitea 1.20 takes ids only

    def open_pull(self, head: str, base: str, title: str, body: str, labels: list[str]) -> PullInfo:
        """The open pull request of ``head`` into ``base`` (``GET .../pulls?state=open``), else ``POST
        .../pulls`` and the labels the repository has; a moved title or body is ``PATCH``ed."""
        try:
            found = self._find(head, base)
            if found is None:
                doc = {"head": head, "base": base, "title": title, "body": body}
                try:
                    found = self._call("POST", f"{self._repo_path()}/pulls", json=doc).json()
                except httpx.HTTPStatusError as exc:  # opened meanwhile (a resumed action): use that one
                    if exc.response.status_code != 409 or (found := self._find(head, base)) is None:
                        raise
                else:
                    ids = self._label_ids(labels) if labels else []
                    if ids:
                        path = f"{self._repo_path()}/issues/{found['number']}/labels"
                        self._call("POST", path, json={"labels": ids})
            if found.get("title") != title or (found.get("body") or "") != body:
                path = f"{self._repo_path()}/pulls/{found['number']}"
                found = self._call("PATCH", path, json={"title": title, "body": body}).json()
            return self._info(found, approvals=(), protected=None)
        except httpx.HTTPError as exc:
            raise self._failed(exc, f" {head}") from None

    def pull(self, number: int) -> PullInfo:
        """``GET .../pulls/{n}``; while it is open, its reviews and (when the token may read it) the base
        branch's protection: the approvals and status checks it asks for."""
        try:
            doc = self._call("GET", f"{self._repo_path()}/pulls/{number}").json()
            if not _own(doc):
                raise ForgeError(f"Gitea {self.repo}#{number} comes from another repository: not ours")
            if doc.get("state") != "open":
                return self._info(doc, approvals=(), protected=None)
            head = (doc.get("head") or {}).get("sha") or ""
            reviews = self._call("GET", f"{self._repo_path()}/pulls/{number}/reviews").json() or []
            latest: dict[str, dict] = {}
            for review in reviews:
                if review.get("state") in ("APPROVED", "REQUEST_CHANGES") and not review.get("dismissed"):
                    latest[(review.get("user") or {}).get("login", "")] = review
            approved = tuple(sorted(login for login, r in latest.items() if login and _approves(r, head)))
            base = quote((doc.get("base") or {}).get("ref") or "", safe="")
            try:
                protected = self._call("GET", f"{self._repo_path()}/branch_protections/{base}").json()
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code not in (403, 404):
                    raise
                protected = None  # not protected, or the token may not read it: the merge will say
            return self._info(doc, approvals=approved, protected=protected)
        except httpx.HTTPError as exc:
            raise self._failed(exc, f"#{number}") from None

    def _info(self, doc: dict, *, approvals: tuple[str, ...], protected: dict | None) -> PullInfo:
        if doc.get("state") == "open":
            state = PullState.OPEN
        else:
            state = PullState.MERGED if doc.get("merged") else PullState.CLOSED
        ready, why = state is PullState.OPEN and bool(doc.get("mergeable")), ""
        if state is PullState.OPEN and not doc.get("mergeable"):
            why = "it conflicts with its base branch"
        if ready and protected:
            wanted = int(protected.get("required_approvals") or 0)
            if len(approvals) < wanted:
                ready, why = False, f"{wanted - len(approvals)} approval(s) required"
        return PullInfo(
            number=int(doc["number"]),
            url=str(doc.get("html_url") or ""),
            state=state,
            head=(doc.get("head") or {}).get("sha") or "",
            merge_commit=doc.get("merge_commit_sha") if state is PullState.MERGED else None,
            ready=ready,
            why=why,
            approved_by=approvals,
        )

    def merge_pull(self, number: int, sha: str, method: str, title: str) -> str:
        """``POST .../pulls/{n}/merge`` at ``head_commit_id``; Gitea's 405 and 409 say why it will not.
        The merge commit is read back from the pull request."""
        path = f"{self._repo_path()}/pulls/{number}"
        try:
            self._call(
                "POST", f"{path}/merge", json={"Do": method, "head_commit_id": sha, "MergeTitleField": title}
            )
            doc = self._call("GET", path).json()
        except httpx.HTTPError as exc:
            raise self._failed(exc, f"#{number}") from None
        if not doc.get("merged") or not doc.get("merge_commit_sha"):
            raise ForgeRefused(f"Gitea {self.repo}#{number}: not merged")
        return str(doc["merge_commit_sha"])

    def close_pull(self, number: int) -> None:
        """``PATCH .../pulls/{n}`` with ``state: closed``."""
        try:
            self._call("PATCH", f"{self._repo_path()}/pulls/{number}", json={"state": "closed"})
        except httpx.HTTPError as exc:
            raise self._failed(exc, f"#{number}") from None


def _approves(review: dict, head: str) -> bool:
    """An official approving review of ``head`` that still stands (not stale, not dismissed): one by a
    person the repository lets approve, not by anyone who can read it."""
    fresh = review.get("commit_id") == head and not review.get("stale") and not review.get("dismissed")
    return review.get("state") == "APPROVED" and fresh and review.get("official") is not False


def _own(pull: dict) -> bool:
    """Whether the pull request's head is in the repository itself (not a fork's)."""
    head, base = (pull.get("head") or {}).get("repo") or {}, (pull.get("base") or {}).get("repo") or {}
    if not head or not base:
        return True  # the forge did not say: the branch name and the base decide
    return head.get("full_name") == base.get("full_name") or (
        head.get("id") is not None and head.get("id") == base.get("id")
    )
