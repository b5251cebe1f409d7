"""Docs readers can open (issue 39), on the demo's ``acme-text`` with real git, real SSH hosts and the real
controller:

* a versioned ``gh-pages`` branch of the product's repository, read back with ``git show``: HEAD's docs as
  ``dev``, the released version built from its tag, ``versions.json``, the ``latest`` alias and the root
  redirect as ``mike`` lays them out; someone's push over the branch is drift and is repaired without
  touching the released folder; a ``kill -9`` between the publish commit and its push converges with one
  commit on the branch;
* web hosts over SSH (Debian sshd, Ansible): the site unpacked into a release directory and ``current``
  switched, served by a real HTTP server from the copied directory; a host that lost its copy is drift;
* the controller's preview at ``/docs/<product>/``, sandboxed, and the product page's link to it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import cmctl
from need import need_module
from servers.sshhosts import start_hosts
from test_e2e_controller import TOKEN, free_port, start, wait_for
from test_e2e_engine import commit

pytestmark = pytest.mark.slow
PRODUCT = "acme-text"


def publish_to(ws: Workspace, targets: str) -> None:
    """Give acme-text the docs.publish ``targets`` (a YAML flow list) and commit the fleet."""
    path = ws.fleet / "products" / "acme" / f"{PRODUCT}.yaml"
    text = path.read_text().replace("spec:\n", f"spec:\n  docs:\n    publish: {targets}\n", 1)
    commit(ws.fleet, {str(path.relative_to(ws.fleet)): text}, "docs: publish acme-text")


def apply(ws: Workspace) -> subprocess.CompletedProcess:
    r = cmctl("apply", "--fleet", str(ws.fleet), "--auto-approve", "-p", PRODUCT)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def docs_plan(ws: Workspace) -> tuple[dict, list[dict]]:
    r = cmctl("plan", "--json", "--fleet", str(ws.fleet), "-p", PRODUCT)
    assert r.returncode in (0, 2), r.stderr
    doc = json.loads(r.stdout)
    actions = [a for a in doc["actions"] if a["kind"].startswith("docs.")]
    return doc["products"][PRODUCT]["facets"]["docs"], actions


def show(repo: Path, spec: str) -> str:
    return git(["show", spec], repo)


def test_versioned_branch_follows_head_and_releases_and_survives_kill_9(workspace: Workspace):
    ws, repo = workspace, workspace.repos / PRODUCT
    publish_to(ws, "[{type: git-branch, versions: true, url: 'https://acme.example/text/'}]")
    apply(ws)  # build, docs.build, docs.publish (dev), release.cut, release.publish
    apply(ws)  # the release is observed now: its docs, built from the tag, and the alias
    # the demo's acme-text was at 0.1.0: the first apply published its docs, then cut 0.2.0; the second
    # published 0.2.0's and moved the alias; the branch keeps the older version
    version = git(["describe", "--tags", "--abbrev=0", "main"], repo).removeprefix("v")
    assert version == "0.2.0"
    entries = json.loads(show(repo, "gh-pages:versions.json"))
    assert entries == [
        {"version": "dev", "title": "dev", "aliases": []},
        {"version": "0.2.0", "title": "0.2.0", "aliases": ["latest"]},
        {"version": "0.1.0", "title": "0.1.0", "aliases": []},
    ]
    tag_commit = git(["rev-parse", f"v{version}^{{commit}}"], repo)
    stamp = json.loads(show(repo, f"gh-pages:{version}/.codemonkeys-stamp.json"))
    assert stamp["commit"] == tag_commit and stamp["version"] == version
    dev = json.loads(show(repo, "gh-pages:dev/.codemonkeys-stamp.json"))
    # dev: built from the newest commit with main's docs inputs (the release commit changed none of them)
    assert dev["version"] == "dev" and git(["rev-parse", f"{dev['commit']}:docs"], repo) == git(
        ["rev-parse", "main:docs"], repo
    )
    assert "acme" in show(repo, f"gh-pages:{version}/index.html").lower()
    assert f'url=../{version}/index.html"' in show(repo, "gh-pages:latest/index.html")
    assert 'url=latest/"' in show(repo, "gh-pages:index.html")
    assert show(repo, "gh-pages:.nojekyll") == ""
    facet, actions = docs_plan(ws)
    assert facet["state"] == "in_sync" and actions == [], (facet, actions)

    # someone pushes over the branch: dev/ is gone -> drift; the publish restores dev alone
    released_tree = git(["rev-parse", f"gh-pages:{version}"], repo)
    git(["worktree", "add", "-q", str(ws.root / "pages"), "gh-pages"], repo)
    git(["rm", "-rq", "dev"], ws.root / "pages")
    git(["-c", "user.name=p", "-c", "user.email=p@p", "commit", "-qm", "oops"], ws.root / "pages")
    git(["worktree", "remove", "--force", str(ws.root / "pages")], repo)
    facet, actions = docs_plan(ws)
    assert facet["state"] == "drift" and [a["id"] for a in actions] == [f"{PRODUCT}/docs.publish/gh-pages"]
    assert "gh-pages/dev shows nothing" in actions[0]["reason"]
    apply(ws)
    assert json.loads(show(repo, "gh-pages:dev/.codemonkeys-stamp.json"))["commit"] == git(
        ["rev-parse", "main"], repo
    )
    assert git(["rev-parse", f"gh-pages:{version}"], repo) == released_tree

    # a docs-only change on main, and a kill -9 between the publish commit and its push
    commits = len(git(["rev-list", "gh-pages"], repo).split())
    commit(repo, {"docs/index.md": show(repo, "main:docs/index.md") + "\nMore words.\n"}, "docs: more words")
    mirror = next((ws.fleet / ".cmctl" / "repos").glob(f"{PRODUCT}-*.git"))
    hook = mirror / "hooks" / "pre-push"  # runs in git push, a child of cmctl: kill cmctl, as a crash would
    hook.write_text('#!/bin/sh\nkill -9 "$(ps -o ppid= -p "$PPID" | tr -d " ")"\nexit 1\n')
    hook.chmod(0o755)
    killed = cmctl("apply", "--fleet", str(ws.fleet), "--auto-approve", "-p", PRODUCT)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert len(git(["rev-list", "gh-pages"], repo).split()) == commits  # nothing reached the branch
    hook.unlink()
    apply(ws)
    assert len(git(["rev-list", "gh-pages"], repo).split()) == commits + 1  # one publish commit, not two
    assert "More words." in show(repo, "gh-pages:dev/index.html")
    assert git(["rev-parse", f"gh-pages:{version}"], repo) == released_tree  # a release's docs do not move
    facet, actions = docs_plan(ws)
    assert facet["state"] == "in_sync" and actions == [], (facet, actions)


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    need_module("ansible_runner", "pip install 'codemonkeys[deploy]'")
    hs = start_hosts(tmp_path_factory.mktemp("docs-hosts"), 2, first_octet=41)
    try:
        yield hs
    finally:
        hs.close()


def serve(directory: Path) -> tuple[subprocess.Popen, str]:
    """A real HTTP server of ``directory`` (as a web host's server reads ``current/``)."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "http.server",
        str(port),
        "--bind",
        "127.0.0.1",
        "--directory",
        str(directory),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def only_acme_text(ws: Workspace) -> None:
    """The fleet without the other products (the controller reconciles every product at its start)."""
    others = [p for p in (ws.fleet / "products").rglob("*.yaml") if p.stem != PRODUCT]
    git(["rm", "-q", *(str(p.relative_to(ws.fleet)) for p in others)], ws.fleet)
    git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "only acme-text"], ws.fleet)


def test_web_hosts_over_ssh_and_the_controller_preview(workspace: Workspace, hosts, tmp_path: Path):
    ws = workspace
    only_acme_text(ws)
    roots = {h.name: h.root / "docs" for h in hosts.hosts}
    extra = {name: {"docs_path": str(root)} for name, root in roots.items()}
    (ws.fleet / "inventories").mkdir(exist_ok=True)
    commit(ws.fleet, {"inventories/docs.yml": hosts.inventory(["h1", "h2"], extra)}, "docs hosts")
    publish_to(ws, "[{type: ssh, inventory: inventories/docs.yml, path: /srv/docs}]")
    apply(ws)
    for root in roots.values():
        current = root / "current"
        assert current.is_symlink() and os.readlink(current).startswith("releases/")
        assert [p.name for p in (root / "releases").iterdir()] == [Path(os.readlink(current)).name]
    proc, url = serve(roots["h2"] / "current")
    try:
        wait_for(lambda: httpx.get(f"{url}/index.html").status_code == 200, 30, proc, Path(os.devnull))
        page = httpx.get(f"{url}/index.html").text
        stamp = httpx.get(f"{url}/.codemonkeys-stamp.json").json()
    finally:
        proc.terminate()
        proc.wait()
    assert "acme" in page.lower()
    repo = ws.repos / PRODUCT  # built from HEAD's docs inputs (the release commit after it changed none)
    assert git(["rev-parse", f"{stamp['commit']}:docs"], repo) == git(["rev-parse", "main:docs"], repo)
    facet, actions = docs_plan(ws)
    assert facet["state"] == "in_sync" and actions == [], (facet, actions)

    # a host loses its copy: drift on that host alone, published again
    subprocess.run(["rm", "-rf", str(roots["h1"])], check=True)
    facet, actions = docs_plan(ws)
    assert [a["id"] for a in actions] == [f"{PRODUCT}/docs.publish/ssh"]
    assert actions[0]["params"]["updates"] == [{"hosts": ["h1"]}], actions
    r = apply(ws)
    assert (roots["h1"] / "current" / "index.html").is_file(), r.stdout

    # the controller previews the newest site, sandboxed; the product page links to it
    proc, base = start(ws.fleet, tmp_path / "controller.log", interval="1h")
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        page = httpx.get(f"{base}/docs/{PRODUCT}/", headers=headers, timeout=60)
        assert page.status_code == 200 and "acme" in page.text.lower()
        assert page.headers["content-security-policy"].startswith("sandbox allow-scripts")
        folder = httpx.get(f"{base}/docs/{PRODUCT}/api", headers=headers, timeout=60)
        assert folder.status_code == 308 and folder.headers["location"] == f"/docs/{PRODUCT}/api/"
        escape = httpx.get(f"{base}/docs/{PRODUCT}/..%2F..%2Fstate.db", headers=headers, timeout=60)
        assert escape.status_code == 404
        missing = httpx.get(f"{base}/docs/nope/", headers=headers, timeout=60)
        assert missing.status_code == 404
        product = httpx.get(f"{base}/products/{PRODUCT}", headers=headers, timeout=120).text
        assert f'<a href="/docs/{PRODUCT}/">preview</a>' in product and "ssh (hosts:/srv/docs)" in product
        in_chromium(base, headers)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def in_chromium(base: str, headers: dict[str, str]) -> None:
    """A reader follows the product page's preview link in Chromium: the site renders, its own scripts run,
    and it runs in an opaque origin (it cannot read the dashboard's cookies or call its API as the reader)."""
    sync_api = need_module("playwright.sync_api", "pip install -e '.[announce]'")
    from codemonkeys.announce.macro import CHROMIUM, CHROMIUM_ARGS

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(extra_http_headers=headers).new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{base}/products/{PRODUCT}")
            page.click("#p-docs a")
            page.wait_for_url(f"{base}/docs/{PRODUCT}/")
            assert "acme" in page.title().lower()
            assert page.evaluate("window.origin") == "null"  # the CSP sandbox: an origin of its own
            assert page.evaluate("typeof window.base_url") == "string"  # MkDocs' inline script ran
        finally:
            browser.close()
