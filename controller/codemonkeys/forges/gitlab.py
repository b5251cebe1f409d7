"""GitLab (REST v4) through python-gitlab: commit statuses."""

from __future__ import annotations

import gitlab
import requests

from codemonkeys.forges.base import TIMEOUT_S, ForgeError, StatusState
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
