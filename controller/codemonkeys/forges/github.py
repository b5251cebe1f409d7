"""GitHub (REST v3) through PyGithub: commit statuses, the plan comment, and pull requests."""

from __future__ import annotations

from github import Auth, Github, GithubException
from github.PullRequest import PullRequest

from codemonkeys.forges.base import (
    TIMEOUT_S,
    ForgeError,
    ForgeRefused,
    PullInfo,
    PullState,
    StatusState,
)
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

    # --- pull requests -----------------------------------------------------------------------------

    def _refused(self, exc: GithubException, what: str) -> ForgeError:
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        errors = exc.data.get("errors") if isinstance(exc.data, dict) else None
        detail = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict)) if errors else ""
        said = f"{message or 'refused'}{': ' + detail if detail else ''}"
        kind = ForgeRefused if exc.status in (405, 409, 422) else ForgeError
        return kind(f"GitHub {self.repo}{what}: {exc.status} {said}")

    def open_pull(self, head: str, base: str, title: str, body: str, labels: list[str]) -> PullInfo:
        """``GET .../pulls?head=OWNER:BRANCH`` (one call when it is open and current), else ``POST
        .../pulls`` and ``POST .../issues/{n}/labels``; a title or body that moved is ``PATCH``ed."""
        owner = self.repo.split("/", 1)[0]
        try:
            repo = self._api.get_repo(self.repo)
            found = next(iter(repo.get_pulls(state="open", head=f"{owner}:{head}", base=base)), None)
            if found is None:
                try:
                    found = repo.create_pull(base=base, head=head, title=title, body=body)
                except GithubException as exc:  # opened meanwhile (a resumed action): use that one
                    if exc.status != 422 or "already exists" not in str(exc.data):
                        raise
                    found = next(iter(repo.get_pulls(state="open", head=f"{owner}:{head}", base=base)))
                else:
                    if labels:
                        found.add_to_labels(*labels)
            if found.title != title or (found.body or "") != body:
                found.edit(title=title, body=body)
            return self._info(found, reviews=False)
        except GithubException as exc:
            raise self._refused(exc, f" {head}") from None
        except OSError as exc:
            raise ForgeError(f"GitHub {self.repo}: cannot reach {self.url}: {exc}") from None

    def pull(self, number: int) -> PullInfo:
        """``GET .../pulls/{n}`` and, while it is open, ``GET .../pulls/{n}/reviews``."""
        try:
            return self._info(self._api.get_repo(self.repo).get_pull(number), reviews=True)
        except GithubException as exc:
            raise self._refused(exc, f"#{number}") from None
        except OSError as exc:
            raise ForgeError(f"GitHub {self.repo}: cannot reach {self.url}: {exc}") from None

    def _info(self, pr: PullRequest, *, reviews: bool) -> PullInfo:
        state = PullState.OPEN if pr.state == "open" else PullState.MERGED if pr.merged else PullState.CLOSED
        head = pr.head.sha
        approved: list[str] = []
        if reviews and state is PullState.OPEN:
            latest: dict[str, tuple[str, str]] = {}  # login -> (state, commit) of their latest review
            for review in pr.get_reviews():
                if review.user is None or review.state not in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
                    continue
                if _TRUSTED.isdisjoint({str(review.raw_data.get("author_association", "")).upper()}):
                    continue  # anyone who can read the repository may review: only its people count
                latest[review.user.login] = (review.state, review.commit_id)
            approved = sorted(u for u, (st, sha) in latest.items() if st == "APPROVED" and sha == head)
        ready, why = False, ""
        if state is PullState.OPEN:
            ready = bool(pr.mergeable) and pr.mergeable_state in ("clean", "unstable", "has_hooks")
            why = _WHY.get(pr.mergeable_state, f"the forge says {pr.mergeable_state}") if not ready else ""
            if pr.mergeable is None:
                why = "the forge is still checking whether it merges"
        return PullInfo(
            number=pr.number,
            url=pr.html_url,
            state=state,
            head=head,
            merge_commit=pr.merge_commit_sha if state is PullState.MERGED else None,
            ready=ready,
            why=why,
            approved_by=tuple(approved),
        )

    def merge_pull(self, number: int, sha: str, method: str, title: str) -> str:
        """``PUT .../pulls/{n}/merge`` at head ``sha``: GitHub's 405 and 409 say why it will not."""
        try:
            done = (
                self._api.get_repo(self.repo)
                .get_pull(number)
                .merge(commit_title=title[:250], merge_method=method, sha=sha)
            )
        except GithubException as exc:
            raise self._refused(exc, f"#{number}") from None
        except OSError as exc:
            raise ForgeError(f"GitHub {self.repo}: cannot reach {self.url}: {exc}") from None
        if not done.merged:
            raise ForgeRefused(f"GitHub {self.repo}#{number}: not merged: {done.message}")
        return done.sha

    def close_pull(self, number: int) -> None:
        """``PATCH .../pulls/{n}`` with ``state: closed``."""
        try:
            self._api.get_repo(self.repo).get_pull(number).edit(state="closed")
        except GithubException as exc:
            raise self._refused(exc, f"#{number}") from None
        except OSError as exc:
            raise ForgeError(f"GitHub {self.repo}: cannot reach {self.url}: {exc}") from None


_TRUSTED = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})  # author_association of a review that counts

_WHY = {  # GitHub's mergeable_state, said for a person
    "blocked": "blocked by the branch's protection: required reviews or checks are missing",
    "dirty": "it conflicts with its base branch",
    "behind": "its branch is behind the base branch (the protection wants it up to date)",
    "draft": "it is a draft",
    "unknown": "the forge is still checking whether it merges",
}
