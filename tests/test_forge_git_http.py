"""Git over smart HTTP on the forge test servers (tests/servers/forges.py, issue 33), driven by the real git
CLI: each forge serves its repositories the way the forges do for HTTPS git, through git's own
``git http-backend``. A token given by a credential helper clones (as the password: GitHub
``x-access-token``, GitLab ``oauth2``, Gitea the user's name); a wrong one fails with git's "Authentication
failed" and the forge's words; none is challenged (401 ``WWW-Authenticate: Basic``), so git asks its helper.
A branch is pushed (a pack over ``http.postBuffer``, sent chunked), a push to a protected branch is refused
by the ``pre-receive`` hook of ``protect()`` speaking as the forge, and a fetch after the forge merged a
pull request through its REST API sees the merge commit. A work tree served works as a bare repository
does (git refuses a push to its checked-out branch, not to others), a gzip-encoded request reaches git, and
Code Monkeys' own path, ``repos.sync_mirror`` with the fleet's ``gitcred`` helper, mirrors a repository that
needs the login.
"""

from __future__ import annotations

import base64
import gzip
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from codemonkeys.gitcred import helper_for
from codemonkeys.load import load_fleet
from codemonkeys.repos import GitError, sync_mirror
from servers.forges import ForgeServer, quote_path

TOKEN = "cm-forge-token-0123456789"
KINDS = ("github", "gitlab", "gitea")
REALM = {"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea"}
NAME = {"github": "acme/web", "gitlab": "acme/platform/web", "gitea": "acme/web"}  # GitLab: a subgroup
LOGIN = {"github": "x-access-token", "gitlab": "oauth2", "gitea": "cm-bot"}  # as each forge's docs say
REFUSED = {
    "github": "remote: error: GH006: Protected branch update failed for refs/heads/main.",
    "gitlab": "remote: GitLab: You are not allowed to push code to protected branches on this project.",
    "gitea": "remote: Gitea: Not allowed to push to protected branch main",
}
BAD_TOKEN = {
    "github": "remote: Invalid username or token. Password authentication is not supported for Git",
    "gitlab": "remote: HTTP Basic: Access denied.",
    "gitea": "remote: Verify",
}
ENV = {
    **os.environ,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.test",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.test",
    "LC_ALL": "C",
}


def helper(username: str, password: str) -> str:
    """A ``credential.helper`` answering ``get`` with these credentials (as a shell function)."""
    return f'!f() {{ test "$1" = get && echo username={username} && echo password={password}; }}; f'


def git(*args: str, cwd: Path | None = None, cred: str | None = None, check: bool = True):
    """Plain git, isolated from the user's configuration; ``cred``: the only credential helper (else the
    repository's, if it has one)."""
    auth = ["-c", "credential.helper=", "-c", f"credential.helper={cred}"] if cred else []
    where = ["-C", str(cwd)] if cwd else []
    done = subprocess.run(
        ["git", *where, "-c", "commit.gpgsign=false", *auth, *args], capture_output=True, text=True, env=ENV
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done


def commit(tree: Path, files: dict[str, str | bytes], message: str) -> str:
    """Commit ``files`` in the work tree ``tree``; the new sha."""
    for name, content in files.items():
        path = tree / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    git("add", "-A", cwd=tree)
    git("commit", "-q", "-m", message, cwd=tree)
    return git("rev-parse", "HEAD", cwd=tree).stdout.strip()


def seeded(root: Path, *, bare: bool = True) -> tuple[Path, str]:
    """A repository with ``main`` at one commit: bare (``root/served.git``) or a work tree on main
    (``root/served``); returns its path and main's sha."""
    tree = root / "served"
    git("init", "-q", "-b", "main", str(tree))
    sha = commit(tree, {"app.txt": "one\ntwo\n"}, "initial")
    if not bare:
        return tree, sha
    git("clone", "-q", "--bare", str(tree), str(root / "served.git"))
    return root / "served.git", sha


@pytest.fixture(params=KINDS)
def forge(request) -> Iterator[ForgeServer]:
    """A started forge of each kind."""
    with ForgeServer(request.param, TOKEN) as server:
        yield server


def open_and_merge(forge: ForgeServer, name: str, head: str) -> str:
    """Open a pull request of ``head`` into main through the forge's REST API, approve it as alice (as on
    the web page), merge it through the API; the merge commit's sha."""
    auth = {"PRIVATE-TOKEN": TOKEN} if forge.kind == "gitlab" else {"Authorization": f"token {TOKEN}"}
    with httpx.Client(headers=auth, timeout=30) as client:
        if forge.kind == "gitlab":
            pulls = f"{forge.url}/api/v4/projects/{quote_path(name)}/merge_requests"
            opened = client.post(
                pulls, json={"title": "Heal", "source_branch": head, "target_branch": "main"}
            )
            number = opened.json()["iid"]
        else:
            pulls = f"{forge.url}/repos/{name}/pulls"
            opened = client.post(pulls, json={"title": "Heal", "head": head, "base": "main"})
            number = opened.json()["number"]
        assert opened.status_code == 201, opened.text
        forge.add_review(name, number, "alice")
        if forge.kind == "github":
            merge = client.put(f"{pulls}/{number}/merge", json={"merge_method": "merge"})
        elif forge.kind == "gitlab":
            merge = client.put(f"{pulls}/{number}/merge")
        else:
            merge = client.post(f"{pulls}/{number}/merge", json={"Do": "merge"})
        assert merge.status_code == 200, merge.text
    return next(p for p in forge.pulls(name) if p.get("iid", p.get("number")) == number)["merge_commit_sha"]


def test_clone_push_protect_and_fetch_a_merge_over_http(forge: ForgeServer, tmp_path: Path):
    name, kind = NAME[forge.kind], forge.kind
    served, base = seeded(tmp_path)
    forge.add_repo(name, git_dir=served)
    forge.protect(name, "main", approvals=1)
    url = forge.clone_url(name)
    assert url == f"{forge.base}/{name}.git"
    token = helper(LOGIN[kind], TOKEN)

    # no credentials: the forge challenges, so git asks for them (here: nobody to ask)
    anonymous = git("clone", "-q", url, str(tmp_path / "anonymous"), check=False)
    assert anonymous.returncode != 0 and "could not read Username" in anonymous.stderr
    challenge = httpx.get(f"{url}/info/refs", params={"service": "git-upload-pack"})
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"] == f'Basic realm="{REALM[kind]}"'

    wrong = git(
        "clone", "-q", url, str(tmp_path / "wrong"), cred=helper(LOGIN[kind], "not-the-token"), check=False
    )
    assert wrong.returncode != 0 and "Authentication failed" in wrong.stderr
    assert BAD_TOKEN[kind] in wrong.stderr

    clone = tmp_path / "clone"
    git("clone", "-q", url, str(clone), cred=token)
    assert git("rev-parse", "HEAD", cwd=clone).stdout.strip() == base
    git("config", "credential.helper", token, cwd=clone)  # fetches and pushes ask it

    # a branch with a pack over http.postBuffer: git sends it chunked (after a probe)
    git("checkout", "-q", "-b", "cm/heal", cwd=clone)
    head = commit(clone, {"app.txt": "one\ntwo (healed)\n", "blob.bin": os.urandom(200_000)}, "heal two")
    git("-c", "http.postBuffer=65536", "push", "-q", "origin", "cm/heal", cwd=clone)
    assert git("rev-parse", "cm/heal", cwd=served).stdout.strip() == head
    pushes = [e for e in forge.git_log if e.path.endswith("/git-receive-pack")]
    assert any(e.request_headers.get("transfer-encoding") == "chunked" for e in pushes)
    assert {e.user for e in pushes} == {forge.user}

    # a direct push to the protected branch: the hook refuses it over HTTP too
    git("checkout", "-q", "main", cwd=clone)
    commit(clone, {"app.txt": "one\nTWO\n"}, "a direct fix")
    refused = git("push", "origin", "main", cwd=clone, check=False)
    assert refused.returncode != 0
    assert REFUSED[kind] in refused.stderr and "pre-receive hook declined" in refused.stderr
    assert git("rev-parse", "main", cwd=served).stdout.strip() == base
    git("reset", "-q", "--hard", base, cwd=clone)

    # the forge merges the pull request; a fetch over HTTP sees its merge commit
    merged = open_and_merge(forge, name, "cm/heal")
    git("fetch", "-q", "origin", cwd=clone)
    assert git("rev-parse", "origin/main", cwd=clone).stdout.strip() == merged
    parents = git("rev-list", "--parents", "-n", "1", merged, cwd=clone).stdout.split()[1:]
    assert parents == [base, head]
    assert forge.requests and not any("/info/refs" in p or "-pack" in p for _, p in forge.requests)
    assert {e.status for e in forge.git_log} <= {200, 401}


@pytest.mark.parametrize("kind", KINDS)
def test_a_work_tree_is_served_like_a_bare_repository(kind: str, tmp_path: Path):
    served, base = seeded(tmp_path, bare=False)
    with ForgeServer(kind, TOKEN) as forge:
        forge.add_repo(NAME[kind], git_dir=served)
        clone, token = tmp_path / "clone", helper(LOGIN[kind], TOKEN)
        git("clone", "-q", forge.clone_url(NAME[kind]), str(clone), cred=token)
        git("checkout", "-q", "-b", "feature", cwd=clone)
        head = commit(clone, {"app.txt": "one\ntwo\nthree\n"}, "three")
        git("push", "-q", "origin", "feature", cwd=clone, cred=token)
        assert git("rev-parse", "feature", cwd=served).stdout.strip() == head
        checked_out = git("push", "origin", "feature:main", cwd=clone, cred=token, check=False)
        assert checked_out.returncode != 0 and "branch is currently checked out" in checked_out.stderr
        assert git("rev-parse", "main", cwd=served).stdout.strip() == base
        forge.protect(NAME[kind], "release")  # the hook goes to the work tree's .git/hooks, and runs
        protected = git("push", "origin", "feature:release", cwd=clone, cred=token, check=False)
        assert protected.returncode != 0 and "pre-receive hook declined" in protected.stderr
        assert git("branch", "--list", "release", cwd=served).stdout == ""


def test_requests_as_git_sends_them_and_as_it_must_not(tmp_path: Path):
    served, base = seeded(tmp_path)
    with ForgeServer("github", TOKEN) as forge:
        forge.add_repo("acme/web", git_dir=served)
        forge.add_repo("acme/api")  # no repository on disk: nothing to serve
        url = forge.clone_url("acme/web")
        auth = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
        as_username = "Basic " + base64.b64encode(f"{TOKEN}:x-oauth-basic".encode()).decode()
        # a gzip-encoded upload-pack request (git gzips one over 1 KiB) reaches git as it is
        want = f"want {base} ofs-delta\n"
        request = f"{len(want) + 4:04x}{want}00000009done\n".encode()
        headers = {
            "Authorization": auth,
            "Content-Type": "application/x-git-upload-pack-request",
            "Content-Encoding": "gzip",
        }
        answer = httpx.post(f"{url}/git-upload-pack", content=gzip.compress(request), headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"] == "application/x-git-upload-pack-result"
        assert answer.content.startswith(b"0008NAK\n") and b"PACK" in answer.content
        refs = httpx.get(f"{url}/info/refs?service=git-upload-pack", headers={"Authorization": as_username})
        assert refs.status_code == 200 and base.encode() in refs.content  # the token as the username
        missing = httpx.get(
            f"{forge.base}/acme/nope.git/info/refs?service=git-upload-pack", headers={"Authorization": auth}
        )
        assert (missing.status_code, missing.text) == (404, "Repository not found.\n")
        not_served = httpx.get(
            f"{forge.base}/acme/api.git/info/refs?service=git-upload-pack", headers={"Authorization": auth}
        )
        assert not_served.status_code == 404
        with pytest.raises(ValueError):
            forge.clone_url("acme/api")
        # the REST API on the same host is untouched
        repo = httpx.get(f"{forge.url}/repos/acme/web", headers={"Authorization": f"token {TOKEN}"})
        assert repo.status_code == 200 and repo.json()["full_name"] == "acme/web"
        assert forge.requests == [("GET", "/repos/acme/web")]


def test_sync_mirror_through_the_fleets_credential_helper(tmp_path: Path, monkeypatch):
    """Code Monkeys' own path: the fleet names the login (``spec.git.credentials``), ``gitcred.helper_for``
    makes the helper that names it, ``sync_mirror`` clones and fetches the mirror through it."""
    served, base = seeded(tmp_path)
    with ForgeServer("gitlab", TOKEN) as forge:
        forge.add_repo("acme/platform/web", git_dir=served)
        url = forge.clone_url("acme/platform/web")
        fleet = tmp_path / "fleet"
        (fleet / "products").mkdir(parents=True)
        api = {"apiVersion": "codemonkeys.dev/v1"}
        creds = {"username": "oauth2", "tokenEnv": "CM_TEST_FORGE_TOKEN"}
        spec = {"git": {"credentials": creds}}
        (fleet / "fleet.yaml").write_text(
            yaml.safe_dump({**api, "kind": "Fleet", "metadata": {"name": "f"}, "spec": spec})
        )
        constitution = {**api, "kind": "Constitution", "metadata": {"name": "c"}, "spec": {"default": "deny"}}
        (fleet / "constitution.yaml").write_text(yaml.safe_dump(constitution))
        product = {
            **api,
            "kind": "Product",
            "metadata": {"name": "web"},
            "spec": {"source": {"repo": url, "branch": "main"}, "language": "other"},
        }
        (fleet / "products" / "web.yaml").write_text(yaml.safe_dump(product))
        desired, diags = load_fleet(fleet)
        assert desired is not None, diags
        cred = helper_for(desired, "web")
        assert cred is not None and TOKEN not in cred  # names the secret, never its value

        monkeypatch.setenv("CM_TEST_FORGE_TOKEN", TOKEN)
        mirror = tmp_path / "state" / "web.git"
        sync_mirror(url, mirror, cred)
        assert git("rev-parse", "main", cwd=mirror).stdout.strip() == base
        tree = tmp_path / "work"  # a new commit on the forge reaches the mirror by a fetch
        git("clone", "-q", str(served), str(tree))
        head = commit(tree, {"app.txt": "one\ntwo\nthree\n"}, "three")
        git("push", "-q", "origin", "main", cwd=tree)
        sync_mirror(url, mirror, cred)
        assert git("rev-parse", "main", cwd=mirror).stdout.strip() == head
        assert {e.user for e in forge.git_log if e.status == 200} == {forge.user}

        monkeypatch.setenv("CM_TEST_FORGE_TOKEN", "a-wrong-token")
        with pytest.raises(GitError, match="Authentication failed"):
            sync_mirror(url, mirror, cred)
