"""announce.post through a real browser: the release-note macro drives Debian's Chromium (Playwright) on
our server-rendered blog (tests/servers/blog.py): login, post, verify it is listed; the screenshot,
trace and video are kept and hashed into the audit; a kill -9 after the post landed does not post twice;
a renamed button fails the action with the screenshot at the failure and the failing step; the
``screenshot`` audit duty is proven by a browser post, and still fails a release.cut clearly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from announce_fleet import write_fleet
from codemonkeys.announce.macro import sha256_file
from conftest import cmctl
from need import need_module, need_program
from servers.blog import PASSWORD, USER, BlogServer

need_module("playwright", "pip install -e '.[announce]'")
need_program("chromium", "apt-get install chromium")
need_program("ffmpeg", "apt-get install ffmpeg")

MACRO = (Path(__file__).parent / "cases" / "announce" / "blog-macro.yaml").read_text()
SECRETS = {"BLOG_USER": USER, "BLOG_PASSWORD": PASSWORD}
ACTION = "shop/announce.post/blog"


@pytest.fixture(scope="session")
def blog_server() -> Iterator[BlogServer]:
    """The blog, started once per test session."""
    with BlogServer() as server:
        yield server


@pytest.fixture
def blog(blog_server: BlogServer) -> Iterator[BlogServer]:
    blog_server.reset()
    yield blog_server
    blog_server.reset()


def browser_fleet(tmp_path: Path, blog: BlogServer, rules=None, commits_after_tag: int = 0) -> Path:
    channels = {
        "blog": {"type": "browser", "macro": "macros/blog.yaml", "secrets": ["BLOG_USER", "BLOG_PASSWORD"]}
    }
    announce = {"channels": ["blog"], "links": {"site": blog.url}}
    return write_fleet(
        tmp_path, channels, announce, rules, commits_after_tag, files={"macros/blog.yaml": MACRO}
    )


def audit_of(fleet: Path, action_id: str) -> list[dict]:
    r = cmctl("audit", "--fleet", str(fleet), "--json", "--limit", "0")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    records = doc if isinstance(doc, list) else doc.get("records", [])
    return [rec for rec in records if rec.get("action_id") == action_id]


def test_the_macro_logs_in_posts_and_keeps_hashed_proof(tmp_path: Path, blog: BlogServer):
    fleet = browser_fleet(tmp_path, blog)
    plan = cmctl("plan", "--fleet", str(fleet), "--json")
    actions = json.loads(plan.stdout)["actions"]
    assert [(a["id"], a["params"]["version"]) for a in actions] == [(ACTION, "1.0.0")]

    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", env=SECRETS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert blog.titles() == ["shop 1.0.0"]
    assert "checkout page" in blog.state.posts[0].body  # the CHANGELOG section of 1.0.0

    logs = cmctl("logs", ACTION, "--fleet", str(fleet), "--json")
    doc = json.loads(logs.stdout)
    kept = doc["artifacts"]
    assert {"posted.png", "trace.zip", "video.webm"} <= set(kept)
    for name, entry in kept.items():
        path = Path(entry["path"])
        assert path.is_file() and path.stat().st_size > 0, name
        assert sha256_file(path) == entry["sha256"]
        assert str(fleet / ".cmctl") in str(path) or ".cmctl" in str(path)  # under the state dir
    assert PASSWORD not in doc["log"] and "step 3 (fill '#password'): ok" in doc["log"]
    shown = cmctl("logs", ACTION, "--fleet", str(fleet))
    assert (
        f"kept video.webm: {kept['video.webm']['path']} sha256:{kept['video.webm']['sha256']}" in shown.stderr
    )

    ended = [rec for rec in audit_of(fleet, ACTION) if rec["event"] == "action.succeeded"]
    assert (
        ended
        and ended[-1]["data"]["outputs"]["artifacts"]["video.webm"]["sha256"] == kept["video.webm"]["sha256"]
    )
    assert PASSWORD not in json.dumps(audit_of(fleet, ACTION))

    again = cmctl("plan", "--fleet", str(fleet), "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr  # announced: recorded in the journal
    assert blog.titles() == ["shop 1.0.0"]


def test_a_renamed_button_fails_with_the_screenshot_and_the_step(tmp_path: Path, blog: BlogServer):
    blog.state.button = "Post it"
    fleet = browser_fleet(tmp_path, blog)
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", env=SECRETS)
    assert r.returncode == 1, r.stdout + r.stderr
    assert blog.titles() == []
    doc = json.loads(cmctl("logs", ACTION, "--fleet", str(fleet), "--json").stdout)
    assert doc["status"] == "failed"
    assert "the macro failed at step 8 (click \"button:has-text('Publish')\")" in doc["message"]
    assert "failure.png" in doc["message"]
    shot = Path(doc["artifacts"]["failure.png"]["path"])
    assert shot.is_file() and sha256_file(shot) == doc["artifacts"]["failure.png"]["sha256"]
    assert "video.webm" in doc["artifacts"]


def test_a_kill_after_the_post_landed_does_not_post_twice(tmp_path: Path, blog: BlogServer):
    import threading

    fleet = browser_fleet(tmp_path, blog)
    blog.state.hold = threading.Event()
    proc = subprocess.Popen(
        [sys.executable, "-m", "codemonkeys", "apply", "--fleet", str(fleet), "--auto-approve"],
        env={**os.environ, **SECRETS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert blog.state.posted.wait(120), "the macro never posted"
        os.killpg(proc.pid, signal.SIGKILL)  # the apply and its browser, while the post's answer is held
        proc.wait(30)
    finally:
        blog.state.hold.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert blog.titles() == ["shop 1.0.0"]
    blog.state.hold = None

    plan = json.loads(cmctl("plan", "--fleet", str(fleet), "--json", env=SECRETS).stdout)
    assert plan["actions"] == []  # the observer's verify found the post on the site
    assert plan["products"]["shop"]["facets"]["announce"]["state"] == "in_sync"
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", env=SECRETS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert blog.titles() == ["shop 1.0.0"]  # no duplicate
    verified = list((fleet / ".cmctl").rglob("verified.json"))
    assert len(verified) == 1 and json.loads(verified[0].read_text())["version"] == "1.0.0"


SCREENSHOT_RULES = [
    {"id": "allow-all", "match": {"actions": ["release.*", "announce.post"]}},
    {
        "id": "with-screenshots",
        "match": {"actions": ["announce.post", "release.cut"]},
        "audit": ["screenshot"],
    },
]


def test_the_screenshot_duty_is_proven_by_a_browser_post(tmp_path: Path, blog: BlogServer):
    fleet = browser_fleet(tmp_path, blog, rules=SCREENSHOT_RULES)
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", env=SECRETS)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(cmctl("logs", ACTION, "--fleet", str(fleet), "--json").stdout)
    ended = [rec for rec in audit_of(fleet, ACTION) if rec["event"] == "action.succeeded"][-1]
    proof = ended["data"]["outputs"]["audit"]["screenshot"]
    assert proof == f"posted.png sha256:{doc['artifacts']['posted.png']['sha256']}"


def test_the_screenshot_duty_still_fails_a_release_cut(tmp_path: Path, blog: BlogServer):
    fleet = browser_fleet(tmp_path, blog, rules=SCREENSHOT_RULES, commits_after_tag=1)
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", env=SECRETS)
    assert r.returncode == 1, r.stdout + r.stderr
    doc = json.loads(cmctl("logs", "shop/release.cut", "--fleet", str(fleet), "--json").stdout)
    assert doc["status"] == "failed"
    assert "the audit duty screenshot required by the constitution could not be proven" in doc["message"]
    assert blog.titles() == []  # the announcement of 1.1.0 waited for the release and was skipped
