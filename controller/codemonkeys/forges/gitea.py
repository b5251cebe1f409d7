"""Gitea and Forgejo (REST v1) over httpx: commit statuses (no well-kept Python client exists)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from codemonkeys.forges.base import TIMEOUT_S, ForgeError, StatusState
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
