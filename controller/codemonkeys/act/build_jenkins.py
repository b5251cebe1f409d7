"""build.run on Jenkins: make sure the job matches, trigger it for the commit, follow it to a result.

Steps: the company folder and the product's Pipeline job ("Pipeline script from SCM", the repo's
Jenkinsfile, a ``COMMIT`` parameter) are created or reconfigured from resources/jenkins/; the build is
triggered with ``COMMIT``, followed from the queue item to the build number, polled with backoff until
it finishes (stopped when it exceeds ``build.timeout``), and its console is kept in the journal.

Idempotent: a finished build of the commit is a noop, a running one is followed rather than started
again. A failure leaves the finished (red) Jenkins build, which the observer reports.
"""

from __future__ import annotations

import time

from codemonkeys.act.base import (
    LOG_LIMIT,
    ActContext,
    ActionResult,
    Outcome,
    moved_since,
    repo_lock,
    worktree,
)
from codemonkeys.gitutil import IDENTITY, GitError, git
from codemonkeys.jenkinsci import (
    COMMIT_PARAM,
    Connection,
    JenkinsError,
    connect,
    job_name,
    render_folder_config,
    render_jenkinsfile,
    render_job_config,
    same_config,
)
from codemonkeys.observe.ci_jenkins import build_facts, fetch_folder, parse_folder
from codemonkeys.observe.git import sync_mirror
from codemonkeys.swarm.knowledge import learn_from_failure
from codemonkeys.vocab.facts import BuildStatus
from codemonkeys.vocab.plan import Action

QUEUE_TIMEOUT = 600.0


def ensure_job(conn: Connection, action: Action, ctx: ActContext) -> str:
    """Create or reconfigure the folder and the job; returns the job name."""
    product = ctx.desired.products[action.product]
    job = job_name(product)
    client = conn.client
    parts = job.split("/")
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        if not conn.call(f"folder {folder}", client.job_exists, folder):
            conn.call(f"folder {folder}", client.create_job, folder, render_folder_config(parts[depth - 1]))
    script = (
        f"{product.spec.source.path.strip('/')}/Jenkinsfile" if product.spec.source.path else "Jenkinsfile"
    )
    wanted = render_job_config(product, ctx.desired.repo_location(action.product), script)
    if not conn.call(f"job {job}", client.job_exists, job):
        conn.call(f"job {job}", client.create_job, job, wanted)
    elif not same_config(conn.call(f"job {job}", client.get_job_config, job), wanted):
        conn.call(f"job {job}", client.reconfig_job, job, wanted)
    return job


def _wait_for_start(conn: Connection, job: str, queue_id: int) -> int:
    deadline, delay = time.monotonic() + QUEUE_TIMEOUT, 0.2
    while time.monotonic() < deadline:
        item = conn.call(f"job {job} queue item {queue_id}", conn.client.get_queue_item, queue_id)
        if item.get("cancelled"):
            raise JenkinsError(f"job {job}: queue item {queue_id} was cancelled on Jenkins {conn.url}")
        if item.get("executable"):
            return int(item["executable"]["number"])
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)
    raise JenkinsError(
        f"job {job}: still queued after {QUEUE_TIMEOUT:.0f}s on Jenkins {conn.url}", transient=True
    )


def _wait_for_result(conn: Connection, job: str, number: int, timeout: float) -> dict:
    deadline, delay = time.monotonic() + timeout, 0.2
    while True:
        info = conn.call(f"job {job} #{number}", conn.client.get_build_info, job, number)
        if not info.get("building") and info.get("result"):
            return info
        if time.monotonic() > deadline:
            conn.call(f"job {job} #{number}", conn.client.stop_build, job, number)
            raise JenkinsError(f"job {job} #{number}: stopped after the {timeout:.0f}s build timeout")
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)


def commit_jenkinsfile(action: Action, ctx: ActContext, script: str) -> str | ActionResult:
    """Commit a Jenkinsfile generated from resources/jenkins/ to the product's branch; returns the commit
    to build. Idempotent: a branch that already has one is built as it is."""
    product = ctx.desired.products[action.product]
    branch, planned = product.spec.source.branch, action.params["commit"]
    url = ctx.desired.repo_location(action.product)
    with repo_lock(ctx, action.product) as mirror:
        try:
            sync_mirror(url, mirror)
        except GitError as exc:
            return ActionResult(Outcome.FAILED, f"cannot fetch {url}: {exc.stderr}", transient=True)
        head = git(["rev-parse", f"refs/heads/{branch}"], mirror)
        if git(["rev-parse", "--verify", "--quiet", f"{head}:{script}"], mirror, check=False):
            return head
        if moved_since(mirror, planned, head, product.spec.source.path):
            return ActionResult(Outcome.FAILED, f"{branch} moved since the plan; plan again")
        with worktree(mirror, head, ctx.work_dir) as tree:
            (tree / script).write_text(render_jenkinsfile(product))
            git(["add", "--", script], tree)
            message = [f"ci: add a Jenkinsfile for {product.metadata.name}", "Generated by Code Monkeys."]
            git(["commit", "--quiet", "-m", message[0], "-m", message[1]], tree, env=IDENTITY)
            new = git(["rev-parse", "HEAD"], tree)
            try:
                git(["push", "--quiet", "origin", f"{new}:refs/heads/{branch}"], tree)
            except GitError as exc:
                return ActionResult(
                    Outcome.FAILED, f"push to {url} failed: {ctx.redact(exc.stderr)}", transient=True
                )
        git(["update-ref", f"refs/heads/{branch}", new], mirror)
        return new


def build_jenkins(action: Action, ctx: ActContext) -> ActionResult:
    product = ctx.desired.products[action.product]
    commit = action.params["commit"]
    build = product.spec.build
    assert build is not None
    script = (
        f"{product.spec.source.path.strip('/')}/Jenkinsfile" if product.spec.source.path else "Jenkinsfile"
    )
    if action.params.get("jenkinsfile") == "generate":
        made = commit_jenkinsfile(action, ctx, script)
        if isinstance(made, ActionResult):
            return made
        commit = made
    if not git(
        ["rev-parse", "--verify", "--quiet", f"{commit}:{script}"], ctx.mirror(action.product), check=False
    ):
        return ActionResult(
            Outcome.FAILED,
            f"no {script} at {commit[:12]}: Jenkins builds the repo's Jenkinsfile; start from "
            f"resources/jenkins/Jenkinsfile.{product.spec.language}",
        )
    try:
        conn = connect(ctx.desired)
        job = job_name(product)
        folder, _, leaf = job.rpartition("/")
        try:
            existing = build_facts(parse_folder(fetch_folder(conn, folder)).get(leaf), commit)
        except JenkinsError as exc:
            if "not found" not in str(exc):
                raise
            existing = build_facts(None, commit)
        if existing.status in (BuildStatus.SUCCESS, BuildStatus.FAILURE):
            return ActionResult(
                Outcome.NOOP,
                f"{job} already built {commit[:12]}: {existing.status}",
                {"status": str(existing.status), "url": existing.url},
            )
        job = ensure_job(conn, action, ctx)
        if existing.status is BuildStatus.RUNNING and existing.url:
            number = int(existing.url.rstrip("/").rsplit("/", 1)[-1])
        else:
            queue_id = conn.call(f"job {job}", conn.client.build_job, job, {COMMIT_PARAM: commit})
            number = _wait_for_start(conn, job, queue_id)
        info = _wait_for_result(conn, job, number, timeout=build.timeout + 60)
        console = conn.call(f"job {job} #{number}", conn.client.get_build_console_output, job, number)
    except JenkinsError as exc:
        return ActionResult(Outcome.FAILED, ctx.redact(str(exc)), transient=exc.transient)
    result = info.get("result")
    duration = (info.get("duration") or 0) / 1000
    log = ctx.redact(console)[-LOG_LIMIT:]
    status = "success" if result == "SUCCESS" else "failure"
    ctx.store.record_build(action.product, commit, status, duration, log)
    outputs = {
        "status": status,
        "commit": commit,
        "job": job,
        "number": number,
        "url": info.get("url"),
        "result": result,
        "duration": duration,
    }
    if result == "SUCCESS":
        return ActionResult(Outcome.SUCCEEDED, f"{job} #{number} passed in {duration:.1f}s", outputs, log)
    lesson = learn_from_failure(ctx.store, action.product, commit, "jenkins", log, info.get("url"))
    outputs["signatures"] = lesson.outputs()
    why = f": {lesson.summary()}" if lesson.signatures else ""
    return ActionResult(Outcome.FAILED, f"{job} #{number} of {commit[:12]} ended {result}{why}", outputs, log)
