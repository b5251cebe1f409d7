"""Contract test of the test Jenkins (tests/servers/jenkins) driven by the real python-jenkins client.

Checks the shapes in /work/shared/reference/jenkins-rest.md: version and whoami, Basic auth and
session-bound crumbs, 404s, folders and job CRUD, the queue lifecycle, builds that really run
(freestyle shell steps, a Pipeline from a Git repository), stop/cancel, `tree=` filtering, colors,
Notification plugin callbacks and persistence across a restart.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
import requests

from need import need_module
from servers.jenkins.launch import JenkinsServer, start_jenkins

jenkins = need_module("jenkins", "python-jenkins is a test dependency: pip install -e '.[test]'")

QUIET = 0.3  # the server's quiet period in these tests (seconds)
DEADLINE = 120.0  # how long a test waits for a build that must end early (a loaded machine is slow)
FOLDER_XML = """<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder@6.858">
  <description>a product folder</description>
  <properties/>
</com.cloudbees.hudson.plugins.folder.Folder>
"""


# --- config.xml builders ------------------------------------------------------------------------------


def _params_xml(params: dict[str, str]) -> str:
    if not params:
        return ""
    defs = "".join(
        "<hudson.model.StringParameterDefinition>"
        f"<name>{escape(k)}</name><defaultValue>{escape(v)}</defaultValue>"
        "</hudson.model.StringParameterDefinition>"
        for k, v in params.items()
    )
    prop = "hudson.model.ParametersDefinitionProperty"
    return f"<{prop}><parameterDefinitions>{defs}</parameterDefinitions></{prop}>"


def _notify_xml(url: str | None) -> str:
    if not url:
        return ""
    return (
        "<com.tikal.hudson.plugins.notification.HudsonNotificationProperty><endpoints>"
        "<com.tikal.hudson.plugins.notification.Endpoint><protocol>HTTP</protocol><format>JSON</format>"
        f"<urlInfo><urlOrId>{escape(url)}</urlOrId><urlType>PUBLIC</urlType></urlInfo>"
        "<event>all</event><timeout>30000</timeout><loglines>0</loglines>"
        "</com.tikal.hudson.plugins.notification.Endpoint>"
        "</endpoints></com.tikal.hudson.plugins.notification.HudsonNotificationProperty>"
    )


def freestyle_xml(*commands: str, params: dict[str, str] | None = None, description: str = "") -> str:
    shells = "".join(
        f"<hudson.tasks.Shell><command>{escape(c)}</command></hudson.tasks.Shell>" for c in commands
    )
    return (
        "<?xml version='1.1' encoding='UTF-8'?>\n<project>"
        f"<description>{escape(description)}</description><keepDependencies>false</keepDependencies>"
        f"<properties>{_params_xml(params or {})}</properties>"
        "<scm class='hudson.scm.NullSCM'/><canRoam>true</canRoam><disabled>false</disabled>"
        f"<builders>{shells}</builders><publishers/><buildWrappers/></project>"
    )


def pipeline_scm_xml(repo_url: str, *, branch: str = "*/main", notify: str | None = None) -> str:
    return f"""<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job@1400.v7fd111b_ec82f">
  <description>pipeline from git</description>
  <keepDependencies>false</keepDependencies>
  <properties>{_params_xml({"COMMIT": ""})}{_notify_xml(notify)}</properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition" plugin="workflow-cps@3894">
    <scm class="hudson.plugins.git.GitSCM" plugin="git@5.2.2">
      <configVersion>2</configVersion>
      <userRemoteConfigs><hudson.plugins.git.UserRemoteConfig><url>{escape(repo_url)}</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs>
      <branches><hudson.plugins.git.BranchSpec><name>{escape(branch)}</name></hudson.plugins.git.BranchSpec></branches>
    </scm>
    <scriptPath>Jenkinsfile</scriptPath>
    <lightweight>false</lightweight>
  </definition>
  <disabled>false</disabled>
</flow-definition>
"""


def pipeline_inline_xml(script: str) -> str:
    return (
        "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition><properties/>"
        '<definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition">'
        f"<script>{escape(script)}</script><sandbox>true</sandbox></definition></flow-definition>"
    )


# --- helpers ------------------------------------------------------------------------------------------


def wait_for(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    """Poll check() until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def started_build(client, queue_id: int) -> int:
    """The build number of a queue item, once it has left the queue."""
    item = wait_for(
        lambda: client.get_queue_item(queue_id).get("executable") or None, f"queue item {queue_id}"
    )
    return item["number"]


def finished(client, name: str, number: int, timeout: float = 30.0) -> dict:
    return wait_for(
        lambda: info if not (info := client.get_build_info(name, number))["building"] else None,
        f"{name} #{number} to finish",
        timeout,
    )


def run_build(client, name: str, params: dict[str, str] | None = None) -> tuple[int, dict]:
    number = started_build(client, client.build_job(name, params))
    return number, finished(client, name, number)


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


# --- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JenkinsServer]:
    with start_jenkins(tmp_path_factory.mktemp("jenkins") / "home", quiet_period=QUIET) as srv:
        yield srv


def busy_builds(client) -> list[tuple[str, int]]:
    """(full name, number) of the running builds, in top-level jobs and one folder level down."""
    tree = "jobs[fullName,color,lastBuild[number],jobs[fullName,color,lastBuild[number]]]"
    jobs = client.get_info(query="?tree=" + tree)["jobs"]
    jobs += [j for folder in jobs for j in folder.get("jobs", [])]
    return [(j["fullName"], j["lastBuild"]["number"]) for j in jobs if j.get("color", "").endswith("_anime")]


@pytest.fixture
def client(server: JenkinsServer):
    """A fresh client (own session and crumb); afterwards nothing is left queued or running."""
    c = server.client()
    yield c

    def idle() -> bool:
        for item in c.get_queue_info():
            c.cancel_queue(item["id"])
        busy = busy_builds(c)
        for name, number in busy:
            c.stop_build(name, number)
        return not busy and not c.get_queue_info()

    wait_for(idle, "all builds to stop")


class Receiver:
    """Collects the JSON bodies POSTed to it (a webhook endpoint for the Notification plugin)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.httpd.shutdown()
    r.httpd.server_close()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A Git repo with a Jenkinsfile; commits `one` then `two` on main."""
    path = tmp_path_factory.mktemp("repo")
    git(path, "init", "-q", "-b", "main")
    (path / "Jenkinsfile").write_text(
        """// a declarative pipeline within the supported subset
pipeline {
    agent any
    options { timeout(time: 1, unit: 'MINUTES') }
    environment {
        GREETING = 'hello'
        TARGET = "build-${env.BUILD_NUMBER}"
    }
    stages {
        stage('Build') {
            steps {
                sh 'echo "$GREETING from $(cat VERSION)"'
                sh "echo target=${TARGET} commit=${params.COMMIT}"
            }
        }
        stage('Test') {
            environment { LEVEL = "unit" }
            steps {
                sh '''
                    test -f VERSION
                    echo "multi-line $LEVEL ok"
                '''
                echo 'tests passed'
            }
        }
    }
}
"""
    )
    shas = []
    for version in ("one", "two"):
        (path / "VERSION").write_text(version + "\n")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"version {version}")
        shas.append(git(path, "rev-parse", "HEAD"))
    return {"url": str(path), "first": shas[0], "second": shas[1]}


# --- basics -------------------------------------------------------------------------------------------


def test_version_whoami_and_root(server: JenkinsServer, client) -> None:
    assert client.get_version() == "2.440.3"
    me = client.get_whoami()
    assert me["id"] == server.user and me["fullName"] == server.user
    info = client.get_info()
    assert info["mode"] == "NORMAL" and isinstance(info["jobs"], list)
    anonymous = requests.get(server.url + "/", timeout=10)
    assert anonymous.status_code == 200 and anonymous.headers["X-Jenkins"] == "2.440.3"


def test_authentication_required(server: JenkinsServer) -> None:
    for c in (
        jenkins.Jenkins(server.url),
        jenkins.Jenkins(server.url, username=server.user, password="wrong"),
    ):
        with pytest.raises(jenkins.JenkinsException, match=r"\[401\]"):
            c.get_whoami()
    raw = requests.get(server.url + "/api/json", timeout=10)
    assert raw.status_code == 401
    assert raw.headers["WWW-Authenticate"] == 'Basic realm="Jenkins"'
    assert raw.headers["X-Jenkins"] == "2.440.3"


def test_crumbs_are_bound_to_the_session(server: JenkinsServer, client) -> None:
    s = requests.Session()
    s.auth = (server.user, server.token)
    issued = s.get(server.url + "/crumbIssuer/api/json", timeout=10)
    assert issued.headers["Content-Type"].startswith("application/json")
    crumb = issued.json()
    assert crumb["crumbRequestField"] == "Jenkins-Crumb" and crumb["crumb"]
    assert "JSESSIONID" in s.cookies
    url = server.url + "/createItem?name=crumbs"
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    assert s.post(url, data=FOLDER_XML, headers=headers, timeout=10).status_code == 403
    other = requests.Session()
    other.auth = (server.user, server.token)
    other.get(server.url + "/api/json", timeout=10)
    stolen = {**headers, "Jenkins-Crumb": crumb["crumb"]}
    refused = other.post(url, data=FOLDER_XML, headers=stolen, timeout=10)
    assert refused.status_code == 403 and "crumb" in refused.text
    assert s.post(url, data=FOLDER_XML, headers=stolen, timeout=10).status_code == 200

    # The same through python-jenkins: a client that sends another session's crumb is refused.
    a, b = server.client(), server.client()
    a.get_whoami()
    b.get_whoami()
    b.crumb = a.crumb
    with pytest.raises(jenkins.JenkinsException, match=r"\[403\]"):
        b.delete_job("crumbs")
    client.delete_job("crumbs")
    assert not client.job_exists("crumbs")


def test_not_found(server: JenkinsServer, client) -> None:
    with pytest.raises(jenkins.NotFoundException, match=r"^Requested item could not be found$"):
        client.get_job_config("no-such-job")
    with pytest.raises(jenkins.NotFoundException, match=r"^Requested item could not be found$"):
        client.jenkins_open(requests.Request("GET", server.url + "/job/no-such-job/1/api/json"))
    with pytest.raises(jenkins.JenkinsException, match="does not exist"):
        client.get_build_info("no-such-job", 1)
    with pytest.raises(jenkins.JenkinsException, match="does not exist"):
        client.get_queue_item(999999)
    assert client.get_job_name("no-such-job") is None


# --- items --------------------------------------------------------------------------------------------


def test_folders_and_job_crud(client) -> None:
    client.create_job("company", FOLDER_XML)
    client.create_job("company/product", freestyle_xml("echo v1"))
    assert client.job_exists("company/product")
    assert "echo v1" in client.get_job_config("company/product")
    client.reconfig_job("company/product", freestyle_xml("echo v2", description="second"))
    assert "echo v2" in client.get_job_config("company/product")
    info = client.get_job_info("company/product")
    assert info["fullName"] == "company/product" and info["description"] == "second"
    assert info["url"].endswith("/job/company/job/product/")
    assert info["color"] == "notbuilt" and info["nextBuildNumber"] == 1 and info["lastBuild"] is None
    folder = client.get_info(item="job/company")
    assert folder["_class"] == "com.cloudbees.hudson.plugins.folder.Folder"
    assert [j["name"] for j in folder["jobs"]] == ["product"]
    with pytest.raises(jenkins.JenkinsException, match="already exists"):
        client.create_job("company/product", freestyle_xml("echo again"))
    with pytest.raises(jenkins.JenkinsException, match="folder for the job does not exist"):
        client.create_job("missing/product", freestyle_xml("echo"))
    client.delete_job("company/product")
    assert not client.job_exists("company/product")
    client.create_job("company/other", freestyle_xml("echo"))
    client.delete_job("company")  # a folder goes with everything in it
    assert not client.job_exists("company") and not client.job_exists("company/other")


# --- builds -------------------------------------------------------------------------------------------


def test_freestyle_build_lifecycle(client, tmp_path: Path) -> None:
    gate = tmp_path / "gate"  # the build waits for this file: it is running until the test creates it
    script = (
        'echo "commit=$COMMIT flavour=$FLAVOUR n=$BUILD_NUMBER job=$JOB_NAME ws=$WORKSPACE"\n'
        f"while [ ! -e {gate} ]; do sleep 0.05; done\n"
        "sleep 0.3"
    )
    client.create_job("lifecycle", freestyle_xml(script, params={"COMMIT": "", "FLAVOUR": "plain"}))
    queue_id = client.build_job("lifecycle", {"COMMIT": "abc123", "UNDEFINED": "dropped"})
    item = client.get_queue_item(queue_id)
    assert item["_class"] == "hudson.model.Queue$WaitingItem"
    assert isinstance(item["why"], str) and item.get("executable") is None  # Jenkins: only LeftItems have it
    assert item["task"]["name"] == "lifecycle"
    assert client.get_job_info("lifecycle")["inQueue"] is True
    assert [i["id"] for i in client.get_queue_info()] == [queue_id]

    number = started_build(client, queue_id)
    left = client.get_queue_item(queue_id)
    assert left["_class"] == "hudson.model.Queue$LeftItem" and left["cancelled"] is False
    assert left["executable"]["url"].endswith(f"/job/lifecycle/{number}/")
    running = client.get_build_info("lifecycle", number)
    assert running["building"] is True and running["result"] is None and running["duration"] == 0
    assert client.get_job_info("lifecycle")["color"] == "notbuilt_anime"
    assert [b for b in busy_builds(client) if b[0] == "lifecycle"] == [("lifecycle", number)]
    time.sleep(0.3)  # still held by the gate: it stays running, however long the test looks
    assert client.get_build_info("lifecycle", number)["building"] is True

    gate.touch()
    info = finished(client, "lifecycle", number)
    assert info["result"] == "SUCCESS" and info["building"] is False
    assert info["duration"] >= 300 and abs(info["timestamp"] / 1000 - time.time()) < 60
    assert info["queueId"] == queue_id and info["number"] == number == 1
    actions = {a["_class"]: a for a in info["actions"] if a}
    params = {p["name"]: p["value"] for p in actions["hudson.model.ParametersAction"]["parameters"]}
    assert params == {"COMMIT": "abc123", "FLAVOUR": "plain"}  # undefined parameters are dropped
    cause = actions["hudson.model.CauseAction"]["causes"][0]
    assert cause["userId"] == "cm" and cause["shortDescription"] == "Started by user cm"

    console = client.get_build_console_output("lifecycle", number)
    assert console.startswith("Started by user cm\n")
    assert "+ echo " in console and "+ sleep 0.3" in console  # sh -x traces the commands
    assert "commit=abc123 flavour=plain n=1 job=lifecycle ws=" in console
    assert console.rstrip().endswith("Finished: SUCCESS")

    job = client.get_job_info("lifecycle")
    assert job["color"] == "blue" and job["nextBuildNumber"] == 2 and job["inQueue"] is False
    assert job["lastBuild"]["number"] == job["lastSuccessfulBuild"]["number"] == 1
    assert job["lastFailedBuild"] is None and [b["number"] for b in job["builds"]] == [1]
    definitions = job["property"][0]["parameterDefinitions"]
    assert [d["name"] for d in definitions] == ["COMMIT", "FLAVOUR"]
    assert definitions[1]["defaultParameterValue"]["value"] == "plain"
    assert client.get_build_info("lifecycle", "lastBuild")["number"] == 1


def test_failing_build_is_red(client) -> None:
    client.create_job("fails", freestyle_xml("echo before", "exit 3", "echo never"))
    number, info = run_build(client, "fails")
    assert info["result"] == "FAILURE"
    console = client.get_build_console_output("fails", number)
    assert "+ exit 3" in console and "echo never" not in console
    assert console.rstrip().endswith("Finished: FAILURE")
    job = client.get_job_info("fails")
    assert job["color"] == "red" and job["lastFailedBuild"]["number"] == number


def test_parameter_rules(server: JenkinsServer, client) -> None:
    client.create_job("plain", freestyle_xml("true"))
    with pytest.raises(jenkins.JenkinsException, match=r"\[500\]"):  # not parameterized
        client.build_job("plain", {"X": "1"})
    client.create_job("needs-params", freestyle_xml("true", params={"COMMIT": ""}))
    with pytest.raises(requests.HTTPError, match="400"):  # `build` wants the parameter form
        client.build_job("needs-params")
    first = client.build_job("plain")
    assert client.build_job("plain") == first  # merged with the identical queued request
    started_build(client, first)


def test_stop_blocked_and_cancel(client) -> None:
    client.create_job("long", freestyle_xml("echo sleeping; sleep 30"))
    number = started_build(client, client.build_job("long"))
    assert client.get_job_info("long")["color"] == "notbuilt_anime"
    running = client.get_build_info("long", number)
    assert running["building"] is True and running["result"] is None and running["duration"] == 0

    second = client.build_job("long")
    blocked = wait_for(
        lambda: i if (i := client.get_queue_item(second))["_class"].endswith("$BlockedItem") else None,
        "the second build to be blocked",
    )
    assert blocked["why"].startswith(f"Build #{number} is already in progress") and blocked["blocked"] is True
    client.cancel_queue(second)
    cancelled = client.get_queue_item(second)
    assert cancelled["_class"] == "hudson.model.Queue$LeftItem" and cancelled["cancelled"] is True
    assert cancelled["executable"] is None

    client.stop_build("long", number)
    info = finished(client, "long", number, timeout=DEADLINE)
    # stopped, not finished by itself: its 30 s sleep was cut short (the server's own measure)
    assert info["result"] == "ABORTED" and info["duration"] < 30_000, info
    console = client.get_build_console_output("long", number)
    assert "Aborted by cm" in console and console.rstrip().endswith("Finished: ABORTED")
    assert client.get_job_info("long")["color"] == "aborted"


def test_executor_limit(client) -> None:
    for name in ("busy-a", "busy-b", "busy-c"):
        client.create_job(name, freestyle_xml("sleep 30"))
    a, b = (client.build_job(n) for n in ("busy-a", "busy-b"))
    started_build(client, a)
    started_build(client, b)
    c = client.build_job("busy-c")
    waiting = wait_for(
        lambda: i if (i := client.get_queue_item(c))["_class"].endswith("$BuildableItem") else None,
        "the third build to wait for an executor",
    )
    assert waiting["why"] == "Waiting for next available executor" and waiting["buildable"] is True
    client.stop_build("busy-a", 1)
    number = started_build(client, c)  # the freed executor takes it
    assert number == 1


def test_tree_filtering(server: JenkinsServer, client) -> None:
    client.create_job("tree", FOLDER_XML)
    client.create_job("tree/app", freestyle_xml("true", params={"COMMIT": ""}))
    run_build(client, "tree/app", {"COMMIT": "c1"})
    run_build(client, "tree/app", {"COMMIT": "c2"})

    info = client.get_info(query="?tree=jobs[name,color,lastBuild[number,result]]")
    entry = next(j for j in info["jobs"] if j["name"] == "tree")
    assert entry == {"_class": "com.cloudbees.hudson.plugins.folder.Folder", "name": "tree"}
    assert set(info) == {"_class", "jobs"}

    query = "?tree=jobs[name,lastBuild[number,result,actions[parameters[name,value]]]]"
    folder = client.get_info(item="job/tree", query=query)
    assert folder == {
        "_class": "com.cloudbees.hudson.plugins.folder.Folder",
        "jobs": [
            {
                "_class": "hudson.model.FreeStyleProject",
                "name": "app",
                "lastBuild": {
                    "_class": "hudson.model.FreeStyleBuild",
                    "number": 2,
                    "result": "SUCCESS",
                    "actions": [
                        {
                            "_class": "hudson.model.ParametersAction",
                            "parameters": [
                                {
                                    "_class": "hudson.model.StringParameterValue",
                                    "name": "COMMIT",
                                    "value": "c2",
                                }
                            ],
                        },
                        {"_class": "hudson.model.CauseAction"},
                    ],
                },
            }
        ],
    }
    ranged = client.get_info(item="job/tree/job/app", query="?tree=builds[number]{0,1},allBuilds[number]")
    assert ranged["builds"] == [{"_class": "hudson.model.FreeStyleBuild", "number": 2}]
    assert [b["number"] for b in ranged["allBuilds"]] == [2, 1]
    bad = requests.get(server.url + "/api/json?tree=jobs[name", auth=(server.user, server.token), timeout=10)
    assert bad.status_code == 400


# --- Pipeline -----------------------------------------------------------------------------------------


def test_pipeline_from_scm(client, repo: dict[str, Any], receiver: Receiver) -> None:
    client.create_job("pipe", pipeline_scm_xml(repo["url"], notify=receiver.url))
    number, info = run_build(client, "pipe", {"COMMIT": repo["first"]})
    console = client.get_build_console_output("pipe", number)
    assert info["result"] == "SUCCESS", console
    assert info["_class"] == "org.jenkinsci.plugins.workflow.job.WorkflowRun"
    assert f"Checking out Revision {repo['first']}" in console
    assert "hello from one" in console and f"target=build-1 commit={repo['first']}" in console
    assert (
        "[Pipeline] stage" in console
        and "[Pipeline] { (Build)" in console
        and "[Pipeline] { (Test)" in console
    )
    assert "+ test -f VERSION" in console and "multi-line unit ok" in console and "tests passed" in console
    assert console.rstrip().endswith("Finished: SUCCESS")
    data = next(a for a in info["actions"] if a.get("_class") == "hudson.plugins.git.util.BuildData")
    assert data["lastBuiltRevision"]["SHA1"] == repo["first"]

    # With an empty COMMIT the branch from the job's BranchSpec is built.
    number, info = run_build(client, "pipe", {"COMMIT": ""})
    console = client.get_build_console_output("pipe", number)
    assert info["result"] == "SUCCESS" and "hello from two" in console
    data = next(a for a in info["actions"] if a.get("_class") == "hudson.plugins.git.util.BuildData")
    assert data["lastBuiltRevision"] == {
        "SHA1": repo["second"],
        "branch": [{"SHA1": repo["second"], "name": "origin/main"}],
    }

    # The Notification plugin's JSON, phase by phase, for both builds.
    bodies = wait_for(lambda: receiver.bodies if len(receiver.bodies) >= 8 else None, "8 notifications")
    assert {(b["name"], b["url"]) for b in bodies} == {("pipe", "job/pipe/")}
    queued = [b["build"] for b in bodies if b["build"]["phase"] == "QUEUED"]
    assert [q["parameters"] for q in queued] == [{"COMMIT": repo["first"]}, {"COMMIT": ""}]
    first = [b["build"] for b in bodies if b["build"].get("number") == 1]
    assert [b["phase"] for b in first] == ["STARTED", "COMPLETED", "FINALIZED"]
    completed = first[1]
    assert completed["status"] == "SUCCESS" and completed["full_url"].endswith("/job/pipe/1/")
    assert completed["queue_id"] == queued[0]["queue_id"]
    # A commit that is no branch tip is "detached", as the git plugin reports it.
    assert completed["scm"] == {"url": repo["url"], "branch": "detached", "commit": repo["first"]}
    second = next(
        b["build"] for b in bodies if b["build"].get("number") == 2 and b["build"]["phase"] == "COMPLETED"
    )
    assert second["scm"] == {"url": repo["url"], "branch": "origin/main", "commit": repo["second"]}
    assert "Notifying endpoint 'HTTP:" in client.get_build_console_output("pipe", 1)


def test_pipeline_failure_skips_later_stages(client) -> None:
    script = """pipeline {
        agent any
        stages {
            stage('A') { steps { sh 'echo a; exit 2' } }
            stage('B') { steps { sh 'echo b' } }
        }
    }"""
    client.create_job("pipe-fails", pipeline_inline_xml(script))
    number, info = run_build(client, "pipe-fails")
    console = client.get_build_console_output("pipe-fails", number)
    assert info["result"] == "FAILURE"
    assert "ERROR: script returned exit code 2" in console
    assert 'Stage "B" skipped due to earlier failure(s)' in console and "+ echo b" not in console


def test_pipeline_unsupported_construct(client) -> None:
    script = """pipeline {
        agent any
        stages { stage('A') { steps { script { echo 'groovy' } } } }
    }"""
    client.create_job("pipe-unsupported", pipeline_inline_xml(script))
    number, info = run_build(client, "pipe-unsupported")
    console = client.get_build_console_output("pipe-unsupported", number)
    assert info["result"] == "FAILURE"
    assert "ERROR: unsupported Jenkinsfile construct: `script`" in console


def test_pipeline_timeout_aborts(client) -> None:
    script = """pipeline {
        agent any
        options { timeout(time: 1, unit: 'SECONDS') }
        stages { stage('Slow') { steps { sh 'sleep 30' } } }
    }"""
    client.create_job("pipe-timeout", pipeline_inline_xml(script))
    number = started_build(client, client.build_job("pipe-timeout"))
    info = finished(client, "pipe-timeout", number, timeout=DEADLINE)
    # aborted by its 1 s timeout, not finished by itself: the 30 s sleep was cut short
    assert info["result"] == "ABORTED" and info["duration"] < 30_000, info
    console = client.get_build_console_output("pipe-timeout", number)
    assert "Timeout has been exceeded" in console and console.rstrip().endswith("Finished: ABORTED")


# --- persistence --------------------------------------------------------------------------------------


def test_restart_keeps_jobs_and_builds(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with start_jenkins(home, quiet_period=0.1) as first:
        c = first.client()
        c.create_job("keep", FOLDER_XML)
        c.create_job("keep/job", freestyle_xml("echo persisted", "sleep ${SLEEP:-0}", params={"SLEEP": "0"}))
        run_build(c, "keep/job", {"SLEEP": "0"})
        started_build(c, c.build_job("keep/job", {"SLEEP": "30"}))  # still running when the server stops
        token = first.token
    with start_jenkins(home, token=token, quiet_period=0.1) as second:
        c = second.client()
        assert c.job_exists("keep/job")
        assert c.get_build_info("keep/job", 1)["result"] == "SUCCESS"
        assert "persisted" in c.get_build_console_output("keep/job", 1)
        interrupted = c.get_build_info("keep/job", 2)
        assert interrupted["result"] == "ABORTED" and interrupted["building"] is False
        number, info = run_build(c, "keep/job", {"SLEEP": "0"})
        assert number == 3 and info["result"] == "SUCCESS"
