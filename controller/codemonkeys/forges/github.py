"""GitHub (REST v3) through PyGithub: commit statuses."""

from __future__ import annotations

from github import Auth, Github, GithubException

from codemonkeys.forges.base import TIMEOUT_S, ForgeError, StatusState
from codemonkeys.kinds.models import ForgeType


class GitHubClient:
    """One repository on GitHub (or GitHub Enterprise: ``url`` is its API base)."""

    kind = ForgeType.GITHUB

    def __init__(self, url: str, repo: str, token: str) -> None:
        self.url, self.repo = url.rstrip("/"), repo
        # retries: PyGithub's own (urllib3 Retry), which honours Retry-After and the rate limit's reset
        self._api = Github(  # lazy: the repository and the commit are not fetched before the POST
            base_url=self.url, auth=Auth.Token(token), timeout=int(TIMEOUT_S), per_page=100, lazy=True
        )

    def post_status(
        self, sha: str, state: StatusState, context: str, description: str, target_url: str | None
    ) -> None:
        """``POST /repos/{owner}/{repo}/statuses/{sha}``: one call (GitHub's states are ours)."""
        try:
            commit = self._api.get_repo(self.repo).get_commit(sha)
            extra = {"target_url": target_url} if target_url else {}
            commit.create_status(state=str(state), description=description[:140], context=context, **extra)
        except GithubException as exc:
            message = exc.data.get("message") if isinstance(exc.data, dict) else None
            raise ForgeError(f"GitHub {self.repo}: {exc.status} {message or 'refused'}") from None
        except OSError as exc:  # connection refused, DNS, timeout
            raise ForgeError(f"GitHub {self.repo}: cannot reach {self.url}: {exc}") from None

    def upsert_comment(self, number: int, marker: str, body: str) -> str:
        """The pull request's comment that starts with ``marker``, kept current (issue comments API)."""
        text = f"{marker}\n{body}"
        try:
            me = self._api.get_user().login  # only our own comment: another's with the marker is not it
            issue = self._api.get_repo(self.repo).get_issue(number)
            for comment in issue.get_comments():
                if comment.user.login == me and comment.body.startswith(marker):
                    if comment.body == text:
                        return "unchanged"
                    comment.edit(text)
                    return "updated"
            issue.create_comment(text)
            return "created"
        except GithubException as exc:
            message = exc.data.get("message") if isinstance(exc.data, dict) else None
            raise ForgeError(f"GitHub {self.repo}#{number}: {exc.status} {message or 'refused'}") from None
        except OSError as exc:
            raise ForgeError(f"GitHub {self.repo}: cannot reach {self.url}: {exc}") from None
