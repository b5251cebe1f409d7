"""Git hosting credentials: a company's products reach their private HTTPS repositories with the
company's login (``companies[].credentials.git``), fetching and pushing a release through git's own
``git http-backend`` behind HTTP Basic authentication; a product of a company without a login is refused
with git's message; a login whose secret is gone is named; the token is never written anywhere."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import cmctl
from servers.githttp import git_http

TOKEN = "ghp-canary-3f9d-git-token"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def git(args: list[str], cwd: Path) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **GIT_ENV},
    ).stdout.strip()


def _repo(served: Path, work: Path, name: str) -> None:
    """A released python package with one fix since v0.1.0, as the bare ``served/<name>.git``."""
    work.mkdir(parents=True)
    git(["init", "-q", "-b", "main"], work)
    (work / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0.1.0"\n')
    git(["add", "-A"], work)
    git(["commit", "-qm", "feat: first"], work)
    git(["tag", "v0.1.0"], work)
    (work / "fix.txt").write_text("fixed\n")
    git(["add", "-A"], work)
    git(["commit", "-qm", "fix: a fix"], work)
    git(["clone", "-q", "--bare", str(work), str(served / f"{name}.git")], work.parent)


def _fleet(root: Path, url: str) -> Path:
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec:\n"
        "  companies:\n"
        "    - name: acme\n"
        "      credentials:\n"
        "        git: {username: acme-bot, token: {secretRef: acme-git}}\n"
        "    - name: globex\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\n"
        "spec:\n  default: deny\n  rules:\n    - {id: releases, match: {actions: [release.cut]}}\n"
    )
    for name, company in (("rocket", "acme"), ("widget", "globex")):
        (fleet / "products" / f"{name}.yaml").write_text(
            f"apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {{name: {name}, company: {company}}}\n"
            f"spec:\n  source: {{repo: '{url}/{name}.git'}}\n  language: python\n  release: {{}}\n"
        )
    return fleet


def test_a_company_reaches_its_private_repositories_with_its_own_login(tmp_path: Path):
    served = tmp_path / "served"
    served.mkdir()
    for name in ("rocket", "widget"):
        _repo(served, tmp_path / "work" / name, name)
    with git_http(served, "acme-bot", TOKEN) as server:
        fleet = _fleet(tmp_path, server.url)
        env = {"CMCTL_SECRET_ACME_GIT": TOKEN, "HOME": str(tmp_path)}
        r = cmctl("apply", "--auto-approve", "--fleet", str(fleet), env=env)
        out = r.stdout + r.stderr

        # acme's product: fetched and its release pushed (commit and tag) with acme's login
        assert "rocket/release.cut" in out and "0.1.1" in out, out
        assert git(["tag", "--list"], served / "rocket.git").split() == ["v0.1.0", "v0.1.1"]
        assert git(["log", "-1", "--format=%s", "main"], served / "rocket.git").startswith("chore(release)")
        pushes = [s for m, p, s in server.requests if m == "POST" and "git-receive-pack" in p]
        assert pushes == [200], server.requests  # authenticated once asked (401s come first)
        assert any(s == 401 for *_, s in server.requests)

        # globex's product has no login: git's refusal, nothing pushed, no prompt
        doc = json.loads(cmctl("plan", "--json", "--fleet", str(fleet), env=env).stdout)
        widget = doc["products"]["widget"]["facets"]["release"]["message"]
        assert "widget.git" in widget and ("Authentication failed" in widget or "could not read" in widget), (
            widget
        )
        assert git(["tag", "--list"], served / "widget.git").split() == ["v0.1.0"]

        # the secret gone: the error names it (the mirror exists, the fetch asks the helper)
        gone = cmctl("plan", "--json", "--fleet", str(fleet), "-p", "rocket", env={"HOME": str(tmp_path)})
        message = json.loads(gone.stdout)["products"]["rocket"]["facets"]["release"]["message"]
        assert "secret acme-git" in message, message

    # the token itself is nowhere: output, the state database, mirrors' config and files
    assert TOKEN not in out + gone.stdout + gone.stderr
    for path in (fleet / ".cmctl").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
