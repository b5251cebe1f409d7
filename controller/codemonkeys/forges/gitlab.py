"""GitLab (REST v4) through python-gitlab: commit statuses, the plan note, and merge requests."""

from __future__ import annotations

import gitlab
import requests

from codemonkeys.forges.base import (
    TIMEOUT_S,
    ForgeError,
    ForgeRefused,
    PullInfo,
    PullState,
    StatusState,
)
from codemonkeys.kinds.models import ForgeType

_STATES = {  # GitLab's words: pending, running, success, failed, canceled, skipped
    StatusState.PENDING: "pending",
    StatusState.SUCCESS: "success",
    StatusState.FAILURE: "failed",
    StatusState.ERROR: "failed",
}


class GitLabClient:
    """One project on GitLab (``url``: the instance, without ``/api/v4``; ``repo``: the project's path)."""

    kind = ForgeType.GITLAB

    def __init__(self, url: str, repo: str, token: str) -> None:
        self.url, self.repo = url.rstrip("/").removesuffix("/api/v4"), repo
        # retries: python-gitlab's own on 429 and 5xx (it honours Retry-After)
        self._api = gitlab.Gitlab(
            self.url, private_token=token, timeout=TIMEOUT_S, retry_transient_errors=True
        )

    def post_status(
        self, sha: str, state: StatusState, context: str, description: str, target_url: str | None
    ) -> None:
        """``POST /projects/:id/statuses/:sha`` (one call: the project and commit are not fetched)."""
        doc = {"state": _STATES[state], "name": context, "description": description[:255]}
        if target_url:
            doc["target_url"] = target_url
        try:
            project = self._api.projects.get(self.repo, lazy=True)
            project.commits.get(sha, lazy=True).statuses.create(doc)
        except gitlab.GitlabError as exc:
            said = str(exc.error_message)
            if state is StatusState.PENDING and exc.response_code == 400 and "from :pending" in said:
                return  # already pending (a retried build): GitLab refuses the same transition twice
            raise ForgeError(f"GitLab {self.repo}: {exc.response_code} {said}") from None
        except (requests.RequestException, OSError) as exc:
            raise ForgeError(f"GitLab {self.repo}: cannot reach {self.url}: {type(exc).__name__}") from None

    def upsert_comment(self, number: int, marker: str, body: str) -> str:
        """The merge request's note that starts with ``marker``, kept current (notes API)."""
        text = f"{marker}\n{body}"
        try:
            self._api.auth()  # who we are: only our own note is ours to edit
            me = self._api.user.id
            project = self._api.projects.get(self.repo, lazy=True)
            notes = project.mergerequests.get(number, lazy=True).notes
            for note in notes.list(iterator=True):
                if note.author.get("id") == me and note.body.startswith(marker):
                    if note.body == text:
                        return "unchanged"
                    note.body = text
                    note.save()
                    return "updated"
            notes.create({"body": text})
            return "created"
        except gitlab.GitlabError as exc:
            raise ForgeError(
                f"GitLab {self.repo}!{number}: {exc.response_code} {exc.error_message}"
            ) from None
        except (requests.RequestException, OSError) as exc:
            raise ForgeError(f"GitLab {self.repo}: cannot reach {self.url}: {type(exc).__name__}") from None

    # --- merge requests ----------------------------------------------------------------------------

    def _failed(self, exc: Exception, what: str) -> ForgeError:
        if isinstance(exc, gitlab.GitlabError):
            kind = ForgeRefused if exc.response_code in (405, 406, 409, 422) else ForgeError
            return kind(f"GitLab {self.repo}{what}: {exc.response_code} {exc.error_message}")
        return ForgeError(f"GitLab {self.repo}: cannot reach {self.url}: {type(exc).__name__}")

    def open_pull(self, head: str, base: str, title: str, body: str, labels: list[str]) -> PullInfo:
        """The opened merge request of ``head`` into ``base`` (``GET .../merge_requests?source_branch=``),
        else ``POST .../merge_requests`` with the labels; a moved title or description is ``PUT``."""
        try:
            project = self._api.projects.get(self.repo, lazy=True)
            query = {"state": "opened", "source_branch": head, "target_branch": base}
            found = next((m for m in project.mergerequests.list(**query, get_all=False) if _own(m)), None)
            if found is None:
                doc = {"source_branch": head, "target_branch": base, "title": title, "description": body}
                if labels:
                    doc["labels"] = ",".join(labels)
                try:
                    found = project.mergerequests.create(doc)
                except gitlab.GitlabError as exc:  # opened meanwhile (a resumed action): use that one
                    if exc.response_code != 409:
                        raise
                    found = next(m for m in project.mergerequests.list(**query, get_all=False) if _own(m))
            if found.title != title or (found.description or "") != body:
                found.title, found.description = title, body
                found.save()
            return self._info(found, approvals=False)
        except (gitlab.GitlabError, requests.RequestException, OSError) as exc:
            raise self._failed(exc, f" {head}") from None

    def pull(self, number: int) -> PullInfo:
        """``GET .../merge_requests/:iid`` and, while it is open, ``GET .../approvals``."""
        try:
            mr = self._api.projects.get(self.repo, lazy=True).mergerequests.get(number)
            if not _own(mr):
                raise ForgeError(f"GitLab {self.repo}!{number} comes from another project: not ours")
            return self._info(mr, approvals=True)
        except (gitlab.GitlabError, requests.RequestException, OSError) as exc:
            raise self._failed(exc, f"!{number}") from None

    def _info(self, mr, *, approvals: bool) -> PullInfo:
        state = {"opened": PullState.OPEN, "merged": PullState.MERGED}.get(mr.state, PullState.CLOSED)
        approved: tuple[str, ...] = ()
        left = 0
        if approvals and state is PullState.OPEN:
            doc = mr.approvals.get()
            approved = tuple(sorted(a["user"]["username"] for a in doc.approved_by or []))
            left = int(getattr(doc, "approvals_left", 0) or 0)
        detailed = getattr(mr, "detailed_merge_status", None) or ""
        ready = state is PullState.OPEN and detailed == "mergeable"
        why = ""
        if state is PullState.OPEN and not ready:
            why = _WHY.get(detailed, f"the forge says {detailed or 'it is not mergeable'}")
            if detailed == "not_approved" and left:
                why = f"{left} approval(s) required"
        merged = getattr(mr, "merge_commit_sha", None) or getattr(mr, "squash_commit_sha", None) or mr.sha
        return PullInfo(
            number=mr.iid,
            url=mr.web_url,
            state=state,
            head=mr.sha,
            merge_commit=merged if state is PullState.MERGED else None,
            ready=ready,
            why=why,
            approved_by=approved,
        )

    def merge_pull(self, number: int, sha: str, method: str, title: str) -> str:
        """``PUT .../merge_requests/:iid/merge`` at ``sha`` (squashed when ``method`` is squash)."""
        try:
            mr = self._api.projects.get(self.repo, lazy=True).mergerequests.get(number, lazy=True)
            done = mr.merge(sha=sha, squash=method == "squash", merge_commit_message=title)
        except (gitlab.GitlabError, requests.RequestException, OSError) as exc:
            raise self._failed(exc, f"!{number}") from None
        landed = done.get("merge_commit_sha") or done.get("squash_commit_sha") or done.get("sha")
        if done.get("state") != "merged" or not landed:
            raise ForgeRefused(f"GitLab {self.repo}!{number}: not merged ({done.get('state')})")
        return str(landed)

    def close_pull(self, number: int) -> None:
        """``PUT .../merge_requests/:iid`` with ``state_event: close``."""
        try:
            mr = self._api.projects.get(self.repo, lazy=True).mergerequests.get(number, lazy=True)
            mr.state_event = "close"
            mr.save()
        except (gitlab.GitlabError, requests.RequestException, OSError) as exc:
            raise self._failed(exc, f"!{number}") from None


_WHY = {  # GitLab's detailed_merge_status, said for a person
    "not_approved": "approvals are required",
    "ci_must_pass": "its pipeline must pass first",
    "ci_still_running": "its pipeline is still running",
    "conflict": "it conflicts with its target branch",
    "broken_status": "it conflicts with its target branch",
    "need_rebase": "it must be rebased on its target branch",
    "discussions_not_resolved": "its discussions are not resolved",
    "draft_status": "it is a draft",
    "blocked_status": "it is blocked by another merge request",
    "checking": "the forge is still checking whether it merges",
    "unchecked": "the forge is still checking whether it merges",
}


def _own(mr) -> bool:
    """Whether the merge request's source is the project itself (not a fork's)."""
    source, target = getattr(mr, "source_project_id", None), getattr(mr, "target_project_id", None)
    return source is None or target is None or source == target
