"""build.run on Jenkins: make sure the job matches, trigger it for the commit, follow it to a result.

Steps: the company folder and the product's Pipeline job ("Pipeline script from SCM", the repo's
Jenkinsfile, a ``COMMIT`` parameter) are created or reconfigured from resources/jenkins/; the build is
triggered with ``COMMIT``, followed from the queue item to the build number, polled with backoff until
it finishes (stopped when it exceeds ``build.timeout``), and its console is kept in the journal.

While it runs, its console streams to the action's live log (``cmctl logs --follow``, the dashboard): each
poll is one request to Jenkins' progressive console API (``logText/progressiveText?start=N``), line by
line and redacted; once Jenkins says no more data will come, one build-info request reads the result.
A Jenkins without that API (404) is polled for the build's info and its console read once at the end.

Idempotent: a finished build of the commit is a noop, a running one is followed rather than started
again. A failure leaves the finished (red) Jenkins build, which the observer reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from codemonkeys.act import run_hooks
from codemonkeys.act.base import LOG_LIMIT, ActContext, ActionResult, Outcome
from codemonkeys.ci.jenkins import (
    COMMIT_PARAM,
    Connection,
    JenkinsError,
    build_facts,
    connect,
    folder_builds,
    job_name,
    progressive_console,
    render_folder_config,
    render_jenkinsfile,
    render_job_config,
    same_config,
)
from codemonkeys.gitcred import helper_for
from codemonkeys.repos import GitError, Mirror, is_working_copy, repo_lock, sync_mirror
from codemonkeys.swarm.knowledge import is_test_failure, learn_from_failure, record_flaky
from codemonkeys.swarm.signatures import extract_signatures
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.facts import BuildStatus
from codemonkeys.vocab.plan import Action

QUEUE_TIMEOUT = 600.0
STOP_GRACE = 60.0  # past build.timeout before a build is stopped (the Jenkinsfile's own timeout acts first)


def ensure_job(conn: Connection, action: Action, ctx: ActContext) -> str:
    """Create or reconfigure the folder and the job; returns the job name."""
    product = ctx.desired.products[action.product]
    job = job_name(product)
    client = conn.client
    parts = job.split("/")
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        if not conn.call(f"folder {folder}", client.job_exists, folder):
            conn.call(
                f"folder {folder}",
                client.create_job,
                folder,
                render_folder_config(parts[depth - 1], ctx.context.resources),
            )
    script = (
        f"{product.spec.source.path.strip('/')}/Jenkinsfile" if product.spec.source.path else "Jenkinsfile"
    )
    wanted = render_job_config(
        product, ctx.desired.repo_location(action.product), ctx.context.resources, script
    )
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


class _Console:
    """A build's console, followed with the progressive console API and passed to ``sink`` line by line
    (a chunk ending mid-line keeps the partial line for the next one, so a secret is never split between
    two chunks of the redacted stream); ``text`` is the whole console, as ``consoleText`` gives it."""

    def __init__(self, conn: Connection, job: str, number: int, sink: Callable[[str], None] | None):
        self.conn, self.job, self.number, self.sink = conn, job, number, sink
        self.offset = 0
        self.parts: list[str] = []
        self.pending = b""
        self.complete = False  # Jenkins said no more data will come
        self.streaming = True  # False: this Jenkins has no progressive console (read it at the end)

    def poll(self) -> bool:
        """Read what the build wrote since the last poll (one request); True when the console is complete
        or cannot be followed (then only the build's info tells whether it ended)."""
        if self.complete or not self.streaming:
            return True
        try:
            chunk = progressive_console(self.conn, self.job, self.number, self.offset)
        except JenkinsError as exc:
            if "not found" not in str(exc) or self.offset:
                raise
            self.streaming = False  # no such API here: poll the build's info, read the console at the end
            return True
        self.offset = chunk.size
        lines, newline, self.pending = (self.pending + chunk.data).rpartition(b"\n")
        if newline:
            self._emit((lines + newline).decode(errors="replace"))
        self.complete = not chunk.more
        return self.complete

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        if self.sink is not None and text:
            self.sink(text)

    def text(self) -> str:
        """The whole console (the rest of a last line without a newline is passed on now); read once with
        ``consoleText`` when it could not be followed."""
        if not self.streaming:
            self._emit(
                self.conn.call(
                    f"job {self.job} #{self.number}",
                    self.conn.client.get_build_console_output,
                    self.job,
                    self.number,
                )
            )
        elif self.pending:
            self._emit(self.pending.decode(errors="replace"))
            self.pending = b""
        return "".join(self.parts)


def _follow(
    conn: Connection, job: str, number: int, timeout: float, sink: Callable[[str], None] | None
) -> tuple[dict, str]:
    """Follow build ``number`` to its result, its console streamed to ``sink`` as it comes (one request
    per poll, with backoff); stopped once ``timeout`` (the build's timeout) and ``STOP_GRACE`` have
    passed. Returns the build's info and its whole console."""
    deadline, delay = time.monotonic() + timeout + STOP_GRACE, 0.2
    console = _Console(conn, job, number, sink)
    while True:
        if console.poll():  # the console is complete (or cannot be followed): has the build ended?
            info = conn.call(f"job {job} #{number}", conn.client.get_build_info, job, number)
            if not info.get("building") and info.get("result"):
                return info, console.text()
        if time.monotonic() > deadline:
            conn.call(f"job {job} #{number}", conn.client.stop_build, job, number)
            raise JenkinsError(f"job {job} #{number}: stopped after the {timeout:.0f}s build timeout")
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)


def commit_jenkinsfile(action: Action, ctx: ActContext, script: str) -> str | ActionResult:
    """Commit a Jenkinsfile generated from resources/jenkins/ to the product's branch; returns the commit
    to build. Idempotent: a branch that already has one is built as it is. A refused push leaves
    nothing at the source (the next sync of the mirror drops the local commit)."""
    product = ctx.desired.products[action.product]
    branch, planned = product.spec.source.branch, action.params["commit"]
    url = ctx.desired.repo_location(action.product)
    with repo_lock(ctx.mirror(action.product)) as mirror:
        try:
            sync_mirror(url, mirror, helper_for(ctx.desired, action.product))
        except GitError as exc:
            return ActionResult(Outcome.FAILED, f"cannot fetch {url}: {exc.stderr}", transient=True)
        with Mirror(mirror) as repo:
            head = repo.branch_head(branch)
            if repo.object_id(head, script):
                return head
            if repo.moved_since(planned, head, product.spec.source.path):
                return ActionResult(Outcome.FAILED, f"{branch} moved since the plan; plan again")
            with repo.worktree(head, ctx.work_dir) as tree:
                (tree.path / script).write_text(render_jenkinsfile(product, ctx.context.resources))
                new = tree.commit(
                    [script],
                    f"ci: add a Jenkinsfile for {product.metadata.name}",
                    "Generated by Code Monkeys.",
                )
                try:
                    tree.push(new, branch, update_instead=is_working_copy(url))
                except GitError as exc:
                    return ActionResult(
                        Outcome.FAILED, f"push to {url} failed: {ctx.redact(exc.stderr)}", transient=True
                    )
            repo.set_branch(branch, new)
        return new


def build_jenkins(action: Action, ctx: ActContext) -> ActionResult:
    """build.run on Jenkins (see the module docstring for what a failure leaves)."""
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
    with Mirror(ctx.mirror(action.product)) as repo:
        has_script = bool(repo.object_id(commit, script))
    if not has_script:
        return ActionResult(
            Outcome.FAILED,
            f"no {script} at {commit[:12]}: Jenkins builds the repo's Jenkinsfile; start from "
            f"resources/jenkins/Jenkinsfile.{product.spec.language}",
        )
    return jenkins_result(action, ctx, commit, run_jenkins_build(action, ctx, commit))


@dataclass(frozen=True)
class JenkinsBuild:
    """A Jenkins build of a commit: finished now, or already finished before (``existing``)."""

    status: BuildStatus
    job: str
    number: int | None = None
    url: str | None = None
    result: str | None = None
    duration: float = 0.0
    log: str = ""
    existing: bool = False
    summary: str = ""  # the top failure signature of a red build
    signatures: tuple[dict, ...] = ()


def run_jenkins_build(action: Action, ctx: ActContext, commit: str) -> JenkinsBuild | ActionResult:
    """Build ``commit`` with the product's Jenkins job (created or reconfigured first) and follow it to its
    result; a build of the commit that already finished is returned as it is, a running one followed.
    A failure to talk to Jenkins is an ``ActionResult``."""
    product = ctx.desired.products[action.product]
    build = product.spec.build
    assert build is not None
    try:
        conn = connect(ctx.desired, ctx.context.secrets, product=action.product)
        job = job_name(product)
        folder, _, leaf = job.rpartition("/")
        existing = build_facts(folder_builds(conn, folder).get(leaf), commit)
        if existing.status in (BuildStatus.SUCCESS, BuildStatus.FAILURE):
            return JenkinsBuild(existing.status, job, url=existing.url, existing=True)
        job = ensure_job(conn, action, ctx)
        running = None
        if existing.status is BuildStatus.RUNNING and existing.url:
            running = int(existing.url.rstrip("/").rsplit("/", 1)[-1])
        sink = ctx.output(action)  # the console, line by line as the build writes it
        number, info, console = _build_once(conn, job, commit, build.timeout, running, sink)
        flaky: list = []
        for n in range(1, build.confirm_red + 1):
            signatures = extract_signatures(console) if info.get("result") != "SUCCESS" else []
            if not is_test_failure(signatures):
                break
            number, info, again = _build_once(conn, job, commit, build.timeout, sink=sink, rerun=n)
            console += again
            flaky = signatures if info.get("result") == "SUCCESS" else []
    except JenkinsError as exc:
        return ActionResult(Outcome.FAILED, ctx.redact(str(exc)), transient=exc.transient)
    result = info.get("result")
    duration = (info.get("duration") or 0) / 1000
    log = ctx.redact(console)[-LOG_LIMIT:]
    status = BuildStatus.SUCCESS if result == "SUCCESS" else BuildStatus.FAILURE
    ctx.store.record_build(action.product, commit, str(status), duration, log)
    run = JenkinsBuild(status, job, number, info.get("url"), result, duration, log)
    if flaky:
        record_flaky(ctx.store, action.product, commit, CIKind.JENKINS, flaky)
        return replace(run, summary=f"flaky: passed on a re-run after {flaky[0].kind}: {flaky[0].summary}")
    if status is BuildStatus.SUCCESS:
        return run
    lesson = learn_from_failure(ctx.store, action.product, commit, CIKind.JENKINS, log, info.get("url"))
    return replace(run, summary=lesson.summary(), signatures=tuple(lesson.outputs()))


def _build_once(
    conn: Connection,
    job: str,
    commit: str,
    timeout: float,
    running: int | None = None,
    sink: Callable[[str], None] | None = None,
    rerun: int = 0,
) -> tuple[int, dict, str]:
    """Trigger a build of ``commit`` (or follow the ``running`` one) to its end, its console streamed to
    ``sink``: number, info, console (of a ``rerun``, headed by ``_rerun_header``)."""
    if running is None:
        queue_id = conn.call(f"job {job}", conn.client.build_job, job, {COMMIT_PARAM: commit})
        running = _wait_for_start(conn, job, queue_id)
    header = _rerun_header(rerun, running, commit) if rerun else ""
    if header and sink is not None:
        sink(header)
    info, console = _follow(conn, job, running, timeout, sink)
    return running, info, header + console


def _rerun_header(n: int, number: int, commit: str) -> str:
    """The line that separates the ``n``-th re-run's console from the builds before it in the log."""
    return f"\n--- re-run {n} (#{number}) of {commit[:12]} to confirm the red build ---\n"


def jenkins_result(
    action: Action, ctx: ActContext, commit: str, run: JenkinsBuild | ActionResult
) -> ActionResult:
    """The build.run result of a Jenkins build of ``commit`` (a green one may teach a fix template)."""
    if isinstance(run, ActionResult):
        return run
    if run.existing:
        return ActionResult(
            Outcome.NOOP,
            f"{run.job} already built {commit[:12]}: {run.status}",
            {"status": str(run.status), "url": run.url},
        )
    outputs = {
        "status": str(run.status),
        "commit": commit,
        "job": run.job,
        "number": run.number,
        "url": run.url,
        "result": run.result,
        "duration": run.duration,
    }
    if run.status is BuildStatus.SUCCESS:
        learned = "; ".join(str(r) for r in run_hooks("build.green", action, ctx, commit) if r)
        message = f"{run.job} #{run.number} passed in {run.duration:.1f}s"
        message += f" ({run.summary})" if run.summary else ""
        message += f"; {learned}" if learned else ""
        return ActionResult(Outcome.SUCCEEDED, message, outputs, run.log)
    outputs["signatures"] = list(run.signatures)
    why = f": {run.summary}" if run.summary else ""
    return ActionResult(
        Outcome.FAILED, f"{run.job} #{run.number} of {commit[:12]} ended {run.result}{why}", outputs, run.log
    )
