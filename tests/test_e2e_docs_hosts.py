"""Docs readers can open (issue 39), on web hosts and in the controller's preview, on the demo's ``acme-text``
(alone in its fleet, without releases: the docs facet needs neither):

* web hosts over SSH (Debian sshd, Ansible): the site unpacked into a release directory and ``current``
  switched, served by a real HTTP server from the copied directory; a host that lost its copy is drift;
* the controller's preview at ``/docs/<product>/``, sandboxed, the product page's link to it, in Chromium.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from need import need_module
from servers.sshhosts import start_hosts
from test_e2e_controller import TOKEN, free_port, start, wait_for
from test_e2e_docs_publish import PRODUCT, apply, docs_plan, publish_to
from test_e2e_engine import commit

pytestmark = pytest.mark.slow


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
    """The fleet without the other products (the controller reconciles every product at its start), and
    acme-text without releases (a build, then its docs)."""
    others = [p for p in (ws.fleet / "products").rglob("*.yaml") if p.stem != PRODUCT]
    git(["rm", "-q", *(str(p.relative_to(ws.fleet)) for p in others)], ws.fleet)
    path = ws.fleet / "products" / "acme" / f"{PRODUCT}.yaml"
    doc = yaml.safe_load(path.read_text())
    del doc["spec"]["release"]
    commit(
        ws.fleet, {str(path.relative_to(ws.fleet)): yaml.safe_dump(doc, sort_keys=False)}, "only acme-text"
    )


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
        release = Path(os.readlink(current)).name
        assert sorted(p.name for p in (root / "releases").iterdir()) == [release, f"{release}.tar.gz"]
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
