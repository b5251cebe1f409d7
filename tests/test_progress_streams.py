"""Long actions stream their output while they run (issue 32, progress), applied by the engine on one-product
fleets: a publish to a ``file`` registry streams ``python -m build``'s lines before anything is copied; a
publish through a product's own Ansible playbook (to pypiserver) streams its task names while it runs; a
Jenkins build streams its console (the progressive console API) while the build is still running, and
its console is not read again at the end. In each, the lines reach the listener (the CLI's and the
dashboard's events) and the store's live log row of the running action, and the journal's final log is
the same as without streaming (the streamed text, once)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.engine.apply import apply_plan
from codemonkeys.repos import run as git
from need import need_module
from servers.jenkins.launch import start_jenkins
from solo_fleet import IDENT
from test_failure_paths_release import PYPROJECT, journal, planned, registry_files, release_fleet

pytestmark = pytest.mark.slow


class Watch:
    """An apply's listener for one action: the text it streamed and, when ``marker`` first came, the
    store's live row of the action (status, log) and what ``probe`` said then."""

    def __init__(self, fs: FleetSession, action_id: str, marker: str, probe: Callable[[], Any]):
        self.fs, self.action_id, self.marker, self.probe = fs, action_id, marker, probe
        self.texts: list[str] = []
        self.seen: tuple[str, str, Any] | None = None

    def __call__(self, kind: str, action, payload) -> None:
        if kind != "output" or action.id != self.action_id:
            return
        self.texts.append(payload)
        if self.seen is None and self.marker in self.streamed:
            row = self.fs.store.action_record(self.action_id)
            assert row is not None
            self.seen = (str(row.status), row.log or "", self.probe())

    @property
    def streamed(self) -> str:
        return "".join(self.texts)

    def check_live(self) -> Any:
        """The marker came while the action ran, its first lines already in the store's live row; returns
        what the probe said then."""
        assert self.seen is not None, f"{self.marker!r} never streamed: {self.streamed!r}"
        status, live, probed = self.seen
        assert status == "running" and live and self.streamed.startswith(live), self.seen
        return probed


def test_a_file_publish_streams_its_packaging_before_the_copy(tmp_path: Path):
    fs, _ = release_fleet(tmp_path, {"pyproject.toml": PYPROJECT.format(version="0.0.0")})
    watch = Watch(fs, "solo/release.publish/local", "Successfully built", lambda: registry_files(fs))
    apply_plan(planned(fs), fs.desired, fs.store, fs.context, on_event=watch)
    status, _, message, log = journal(fs)["solo/release.publish/local"]
    assert (status, message) == ("succeeded", "published solo 0.1.0 to local"), message
    assert watch.check_live() == []  # packaged, streamed, and nothing copied yet
    copied = [ln for ln in watch.streamed.splitlines(keepends=True) if ln.startswith("copied ")]
    assert [ln.split(" (")[0] for ln in copied] == [
        "copied solo-0.1.0-py3-none-any.whl",
        "copied solo-0.1.0.tar.gz",
    ]
    assert watch.streamed == log + "".join(copied)  # the final log is the packaging's, streamed once
    assert log.count("Successfully built") == 1 and " -m build " in log.splitlines()[0]


OWN_PLAYBOOK = """\
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Announce the upload
      ansible.builtin.debug: {{msg: uploading}}
    - name: Upload slowly
      ansible.builtin.command: {{argv: [sleep, "1"]}}
    - name: Mark the upload
      ansible.builtin.command: {{argv: [touch, "{marker}"]}}
"""


def test_an_ansible_publish_streams_its_tasks_while_the_playbook_runs(tmp_path: Path, pypi_server):
    fs, _ = release_fleet(tmp_path, {"pyproject.toml": PYPROJECT.format(version="0.0.0")})
    fleet, marker = fs.desired.root, tmp_path / "uploaded"
    (fleet / "playbooks").mkdir()
    (fleet / "playbooks" / "own.yml").write_text(OWN_PLAYBOOK.format(marker=marker))
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  registries:\n"
        f"    pypi:\n      type: pypi\n      url: {pypi_server.url}\n"
        "      credentials: {usernameEnv: CM_TEST_PYPI_USER, passwordEnv: CM_TEST_PYPI_PASSWORD}\n"
    )
    product = fleet / "products" / "solo.yaml"
    product.write_text(
        product.read_text().replace(
            "{registry: local, package: solo}", "{registry: pypi, package: solo, playbook: playbooks/own.yml}"
        )
    )
    git(["add", "-A"], fleet)
    git([*IDENT, "commit", "-qm", "publish to pypi with our own playbook"], fleet)
    env = {**os.environ, "CM_TEST_PYPI_USER": pypi_server.username}
    env["CM_TEST_PYPI_PASSWORD"] = pypi_server.password
    fs = FleetSession.open(fleet, Context.from_environ(env))
    plan = fs.plan()
    assert [a.id for a in plan.actions] == ["solo/release.cut", "solo/release.publish/pypi"], plan.actions
    watch = Watch(fs, "solo/release.publish/pypi", "TASK [Announce the upload]", marker.exists)
    apply_plan(plan, fs.desired, fs.store, fs.context, on_event=watch)
    status, _, message, log = journal(fs)["solo/release.publish/pypi"]
    assert (status, message) == ("succeeded", "published solo 0.1.0 to pypi with own.yml"), message
    assert watch.check_live() is False and marker.exists()  # the task name came before the last task ran
    assert "TASK [Mark the upload]" in watch.streamed and pypi_server.password not in watch.streamed
    assert log.count("TASK [Announce the upload]") == 1  # the final log as before: each line once
    assert [ln for ln in watch.streamed.splitlines() if ln.strip()] == [
        ln.strip("\r\n") for ln in log.split("\n") if ln.strip()
    ]


JENKINSFILE = """\
pipeline {
  agent any
  stages {
    stage('Test') {
      steps {
        sh 'echo streamed-early; sleep 3; echo streamed-late'
      }
    }
  }
}
"""


def jenkins_fleet(root: Path, url: str) -> Path:
    """A fleet of one product, ``solo`` (a repo with a slow Jenkinsfile), built on the Jenkins at ``url``."""
    repo, fleet = root / "repos" / "solo", root / "fleet"
    repo.mkdir(parents=True)
    (repo / "Jenkinsfile").write_text(JENKINSFILE)
    git(["init", "-q", "-b", "main"], repo)
    git(["add", "-A"], repo)
    git([*IDENT, "commit", "-qm", "feat: solo"], repo)
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec:\n"
        f"  ci:\n    default: jenkins\n    jenkins:\n      url: {url}\n"
        "      userEnv: CM_JENKINS_USER\n      tokenEnv: CM_JENKINS_TOKEN\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec:\n  default: deny\n"
        "  rules:\n    - id: allow-builds\n      match: {actions: [build.run]}\n"
    )
    (fleet / "products" / "solo.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: solo}\nspec:\n"
        "  source: {repo: ../repos/solo}\n  language: python\n"
        "  build: {command: [python, -m, pytest], timeout: 120}\n"
    )
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "-A"], fleet)
    git([*IDENT, "commit", "-qm", "fleet"], fleet)
    return fleet


def test_a_jenkins_build_streams_its_console_while_it_runs(tmp_path: Path):
    need_module("jenkins", "pip install 'codemonkeys[jenkins]'")
    with start_jenkins(tmp_path / "jenkins-home") as server:
        env = {**os.environ, "CM_JENKINS_USER": server.user, "CM_JENKINS_TOKEN": server.token}
        fs = FleetSession.open(jenkins_fleet(tmp_path, server.url), Context.from_environ(env))
        building = lambda: server.client().get_build_info("solo", 1)["building"]  # noqa: E731
        watch = Watch(fs, "solo/build.run", "\nstreamed-early\n", building)
        apply_plan(fs.plan(), fs.desired, fs.store, fs.context, on_event=watch)
        requests = server.log_path.read_text()
        info = server.client().get_build_info("solo", 1)
        console = server.client().get_build_console_output("solo", 1)
    status, _, message, log = journal(fs)["solo/build.run"]
    assert (status, info["result"]) == ("succeeded", "SUCCESS"), message
    assert watch.check_live() is True  # Jenkins still ran the build when its early line streamed
    assert log == console == watch.streamed and log.count("\nstreamed-late\n") == 1
    assert "Finished: SUCCESS" in log
    # the console was followed (one request a poll), not read again; the build's info read once at the end
    assert "/job/solo/1/logText/progressiveText?start=" in requests
    assert not re.search(r"GET /job/solo/1/consoleText", requests)
    assert len(re.findall(r"GET /job/solo/1/api/json", requests)) == 2  # the end, and the probe above


class FakeJenkins:
    """A python-jenkins client that answers the progressive console with ``chunks`` (bytes, more data),
    or 404 when there are none (a Jenkins without that API), and a finished build."""

    def __init__(self, chunks: list[tuple[bytes, bool]]):
        self.chunks, self.calls = chunks, []

    def jenkins_request(self, request):
        import jenkins

        self.calls.append(request.url.rsplit("/", 1)[-1])
        if not self.chunks:
            raise jenkins.NotFoundException("Requested item could not be found")
        data, more = self.chunks.pop(0)
        start = int(request.url.rsplit("=", 1)[-1])
        headers = {"X-Text-Size": str(start + len(data)), **({"X-More-Data": "true"} if more else {})}
        return type("Response", (), {"content": data, "headers": headers})()

    def get_build_info(self, job, number):
        self.calls.append("api/json")
        return {"building": False, "result": "SUCCESS"}

    def get_build_console_output(self, job, number):
        self.calls.append("consoleText")
        return "all\nat once\n"


def test_the_console_goes_out_in_whole_lines_or_at_the_end_without_the_progressive_api():
    need_module("jenkins", "pip install 'codemonkeys[jenkins]'")
    from codemonkeys.ci.jenkins import Connection
    from codemonkeys.facets.build import jenkins as build_jenkins
    from codemonkeys.kinds.models import JenkinsConfig

    config = JenkinsConfig(url="http://jenkins.invalid")
    client = FakeJenkins([(b"one\ntw", True), (b"o \xe2\x9c", True), (b"\x93\nthr", False)])
    out: list[str] = []
    info, console = build_jenkins._follow(Connection(config, client, min_interval=0), "j", 1, 60, out.append)
    assert out == ["one\n", "two \u2713\n", "thr"]  # whole lines (and characters), the rest at the end
    assert console == "one\ntwo \u2713\nthr"
    polls = [f"progressiveText?start={n}" for n in (0, 6, 10)]
    assert client.calls == [*polls, "api/json"]  # one request a poll; no console read at the end
    client, out = FakeJenkins([]), []
    info, console = build_jenkins._follow(Connection(config, client, min_interval=0), "j", 1, 60, out.append)
    assert out == [console] == ["all\nat once\n"] and info["result"] == "SUCCESS"
    assert client.calls == ["progressiveText?start=0", "api/json", "consoleText"]


def test_a_secret_of_several_lines_is_redacted_when_its_output_streams_line_by_line():
    from codemonkeys.act.base import Redactor

    key = "-----BEGIN KEY-----\nMIIEabcdefghijklmnopqrstuvwx\nyz0123456789ABCDEFGHIJKLMNOP\n"
    key += "-----END KEY-----\n"
    redact = Redactor([key])
    streamed = "".join(redact(line) for line in f"deploying\n{key}done\n".splitlines(keepends=True))
    assert "abcdefghijklmnop" not in streamed and "0123456789ABCDEF" not in streamed, streamed
    assert streamed.startswith("deploying\n") and streamed.endswith("done\n")
    assert "MIIE" not in redact(key)  # whole, it goes as before
