"""A Jenkins build's failure path, through the real `cmctl apply` against the Jenkins-REST-compatible test
server: a queue item cancelled on Jenkins (by a person, before it started) is a failed build.run naming
the job, the queue item and the server, not retried; nothing waiting for the build runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from servers.jenkins.launch import start_jenkins
from test_e2e_jenkins import on_jenkins

pytestmark = pytest.mark.slow

DEADLINE = 120.0  # how long the test waits for the apply to queue the build, and to end


def test_a_queue_item_cancelled_on_jenkins_is_a_failed_build_naming_it(
    workspace: Workspace, tmp_path: Path, monkeypatch
):
    # the server runs sh steps with its own environment: our interpreter (with pytest) comes first
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    # a quiet period long enough for the test to find the queued item and cancel it before it starts
    with start_jenkins(tmp_path / "jenkins-home", quiet_period=60) as server:
        env = on_jenkins(workspace, server, with_jenkinsfile=("acme-text",))
        argv = [sys.executable, "-m", "codemonkeys", "apply", "--auto-approve", "--json", "-p", "acme-text"]
        apply = subprocess.Popen(
            [*argv, "--fleet", str(workspace.fleet)],
            env={**os.environ, **env, "NO_COLOR": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            client = server.client()
            deadline = time.monotonic() + DEADLINE
            queued: list[dict] = []
            while not queued and apply.poll() is None and time.monotonic() < deadline:
                queued = client.get_queue_info()
                time.sleep(0.1)
            assert len(queued) == 1, (queued, apply.poll())
            (item,) = queued
            assert item["task"]["name"] == "acme-text", item
            client.cancel_queue(item["id"])
            out, err = apply.communicate(timeout=DEADLINE)
        finally:
            if apply.poll() is None:
                apply.kill()
                apply.wait()
        assert apply.returncode == 1, out + err
        done = {e["action"]: e for e in map(json.loads, out.splitlines()) if e["type"] == "action_done"}
        build = done["acme-text/build.run"]
        assert (build["status"], build["attempts"]) == ("failed", 1), build  # a person's cancel: not retried
        assert build["message"] == (
            f"job acme/acme-text: queue item {item['id']} was cancelled on Jenkins {server.url}"
        ), build["message"]
        assert {a: e["status"] for a, e in done.items()} == {
            "acme-text/build.run": "failed",
            "acme-text/docs.build": "skipped",  # what waits for the build does not run
            "acme-text/release.cut": "skipped",
            "acme-text/release.publish/local": "skipped",
        }
        assert client.get_job_info("acme/acme-text")["nextBuildNumber"] == 1  # it never started
