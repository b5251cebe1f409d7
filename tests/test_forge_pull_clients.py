"""The forge clients' pull requests (issue 33) against the protocol-faithful servers backed by a real git
repository: opening is idempotent (a resumed action, or two at once as after a kill -9 and a restart,
leaves one pull request, its body brought up to date), what the forge says is read back (open, ready or
why not, approving reviews of the head only), a merge at a head that moved is refused, and a merge the
protection blocks is a ``ForgeRefused`` with the forge's words."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from codemonkeys.forges.base import ForgeRefused, PullState
from codemonkeys.kinds.models import ForgeType
from codemonkeys.repos import run as git
from servers.forges import ForgeServer

TOKEN = "forge-token-for-clients-7"
REPO = "acme/lib"
REFUSED = {  # each forge's words for a merge its branch protection blocks for want of a review
    "github": r"405 At least 1 approving review is required",
    "gitlab": r"405 405 Method Not Allowed",
    "gitea": r"405 .*Does not have enough approvals",
}


def _client(kind: str, server: ForgeServer):
    if kind == "github":
        from codemonkeys.forges.github import GitHubClient

        return GitHubClient(server.url, REPO, TOKEN)
    if kind == "gitlab":
        from codemonkeys.forges.gitlab import GitLabClient

        return GitLabClient(server.url, REPO, TOKEN)
    from codemonkeys.forges.gitea import GiteaClient

    return GiteaClient(server.url, REPO, TOKEN)


def _repo(tmp: Path) -> tuple[Path, str]:
    repo = tmp / "lib"
    repo.mkdir()
    ident = ["-c", "user.name=Ada", "-c", "user.email=ada@example.com"]
    git(["init", "-q", "-b", "main"], repo)
    (repo / "lib.py").write_text("VALUE = 1\n")
    git(["add", "-A"], repo)
    git([*ident, "commit", "-qm", "feat: lib"], repo)
    git(["checkout", "-q", "-b", "heal/lib/abc-1"], repo)
    (repo / "lib.py").write_text("VALUE = 2\n")
    git([*ident, "commit", "-qam", "fix: value"], repo)
    head = git(["rev-parse", "HEAD"], repo)
    git(["checkout", "-q", "main"], repo)
    return repo, head


@pytest.mark.parametrize("kind", ["github", "gitlab", "gitea"])
def test_opening_is_idempotent_and_what_the_forge_says_is_read_back(tmp_path: Path, kind: str):
    repo, head = _repo(tmp_path)
    with ForgeServer(kind, TOKEN) as server:
        server.add_repo(REPO, git_dir=repo)
        client = _client(kind, server)
        with ThreadPoolExecutor(2) as pool:  # two at once: the one that loses the race finds the other's
            opened = list(
                pool.map(
                    lambda body: client.open_pull("heal/lib/abc-1", "main", "fix", body, ["cm"]), ["a", "b"]
                )
            )
        assert opened[0].number == opened[1].number and len(server.pulls(REPO)) == 1
        again = client.open_pull("heal/lib/abc-1", "main", "fix: value", "proven green", ["cm"])
        assert again.number == opened[0].number and len(server.pulls(REPO)) == 1
        (stored,) = server.pulls(REPO)
        assert (stored.get("body") or stored.get("description")) == "proven green"
        assert stored["title"] == "fix: value"

        info = client.pull(again.number)
        assert (info.state, info.head, info.ready, info.approved_by) == (PullState.OPEN, head, True, ())

        with pytest.raises(ForgeRefused, match=r" 409 "):  # a head that is not the proven one: not merged
            client.merge_pull(again.number, "0" * 40, "merge", "Merge fix")
        server.protect(REPO, "main", approvals=1)
        info = client.pull(again.number)
        if kind == "gitea":  # its protection is for admins to read: only the merge says why
            assert info.ready
        else:
            assert not info.ready and info.why, info
        with pytest.raises(ForgeRefused, match=REFUSED[kind]):
            client.merge_pull(again.number, head, "merge", "Merge fix")

        server.add_review(REPO, again.number, "ada-gh")
        base = git(["rev-parse", "main"], repo)
        info = client.pull(again.number)
        assert info.ready and info.approved_by == ("ada-gh",), info
        landed = client.merge_pull(again.number, head, "merge", "Merge fix")
        assert git(["rev-parse", "main"], repo) == landed
        parents = git(["rev-list", "--parents", "-n", "1", landed], repo).split()[1:]
        assert sorted(parents) == sorted([base, head])  # a merge commit of the base and the proven head
        merged = client.pull(again.number)
        assert (merged.state, merged.merge_commit) == (PullState.MERGED, landed)
        assert client.kind is ForgeType(kind)


def test_only_listed_reviewers_approve_and_a_forks_pull_request_is_not_ours():
    from codemonkeys.act.pulls import facts_of
    from codemonkeys.forges.base import PullInfo
    from codemonkeys.forges.gitea import _own as gitea_own
    from codemonkeys.forges.gitlab import _own as gitlab_own

    info = PullInfo(3, "u", PullState.OPEN, "h1", ready=True, approved_by=("ada-gh", "owner", "stranger"))
    # a login the fleet does not list approves nothing, even one spelled like an approver's name
    assert facts_of(info, "github", {"ada-gh": "owner"}, "h1").approvers == ["owner"]
    assert facts_of(info, "github", {}, "h1").approvers == []
    same = {
        "head": {"repo": {"id": 7, "full_name": "acme/lib"}},
        "base": {"repo": {"id": 7, "full_name": "acme/lib"}},
    }
    fork = {
        "head": {"repo": {"id": 9, "full_name": "mallory/lib"}},
        "base": {"repo": {"id": 7, "full_name": "acme/lib"}},
    }
    assert gitea_own(same) and not gitea_own(fork)

    class MR:
        def __init__(self, source: int, target: int) -> None:
            self.source_project_id, self.target_project_id = source, target

    assert gitlab_own(MR(7, 7)) and not gitlab_own(MR(9, 7))
