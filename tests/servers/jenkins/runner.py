"""Running one build for real: freestyle shell steps, or a Pipeline (inline or from a Git repo).

An `Execution` writes the console log (everything between the server's `Started by ...` line and its
`Finished: RESULT` line) and returns the result. Every process runs in its own process group with the
log file as stdout/stderr, in the build's workspace; `abort()` (the stop button) and Pipeline
`timeout`s kill the group (SIGTERM, then SIGKILL) and end the build ABORTED. Processes a step leaves
behind in its group are killed when the step ends.

Git checkouts clone the job's repository, then check out, in order: the `COMMIT` build parameter when
it is set, else the first branch specifier (`${PARAM}` references expanded; `*/main`, `origin/main`,
`refs/heads/main` and `main` all mean the remote branch; `**` or empty means the remote HEAD; a SHA is
checked out as is). GIT_COMMIT, GIT_BRANCH and GIT_URL are exported to the steps.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path

from . import jenkinsfile
from .config import CPS_INLINE, CPS_SCM, GIT_SCM, SHELL, GitSpec, JobSpec

SUCCESS, FAILURE, ABORTED = "SUCCESS", "FAILURE", "ABORTED"
KILL_GRACE = 3.0  # seconds between SIGTERM and SIGKILL
POLL = 0.05  # seconds between checks of a running process


class Execution:
    """One build's run. The server owns the log's first and last lines; this writes the rest."""

    def __init__(
        self,
        *,
        spec: JobSpec,
        log_path: Path,
        workspace: Path,
        env: dict[str, str],
        params: dict[str, str],
    ) -> None:
        self.spec = spec
        self.log_path = log_path
        self.workspace = workspace
        self.tmp = workspace.parent / f"{workspace.name}@tmp"  # scripts live next to, not in, the workspace
        self.env = env
        self.params = params
        self.scm: dict[str, str] | None = None  # {"url", "branch", "commit"} once checked out
        self.aborted_by: str | None = None
        self._abort = threading.Event()
        self._log = None

    # --- control (called from request threads) ------------------------------------------------------

    def abort(self, user: str) -> None:
        """Stop the build: the running process group is killed within POLL seconds."""
        if not self._abort.is_set():
            self.aborted_by = user
            self._abort.set()

    # --- running (the executor thread) --------------------------------------------------------------

    def run(self) -> str:
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab", buffering=0) as self._log:
            if self.spec.kind == "freestyle":
                return self._freestyle()
            return self._pipeline()

    def log(self, *lines: str) -> None:
        for line in lines:
            self._log.write((line + "\n").encode())  # type: ignore[union-attr]

    def _spawn(self, argv: list[str], env: dict[str, str], deadline: float | None = None) -> tuple[str, int]:
        """Run argv in the workspace, output to the log: ("exit", code), ("aborted" or "timeout", -1)."""
        if self._abort.is_set():
            return "aborted", -1
        proc = subprocess.Popen(
            argv,
            cwd=self.workspace,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the whole tree can be killed
        )
        outcome = None
        while outcome is None:
            try:
                code = proc.wait(timeout=POLL)
            except subprocess.TimeoutExpired:
                if self._abort.is_set():
                    outcome = ("aborted", -1)
                elif deadline is not None and time.monotonic() >= deadline:
                    outcome = ("timeout", -1)
                continue
            _killpg(proc.pid, signal.SIGKILL)  # what the step left running in its group
            return "exit", code
        _killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=KILL_GRACE)
        _killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return outcome

    def _script(self, text: str) -> Path:
        path = self.tmp / f"jenkins{secrets.token_hex(6)}.sh"
        path.write_text(text)
        return path

    def _aborted(self) -> str:
        if self.aborted_by:
            self.log(f"Aborted by {self.aborted_by}")
        return ABORTED

    # --- freestyle ----------------------------------------------------------------------------------

    def _freestyle(self) -> str:
        spec = self.spec
        self.log("Running as SYSTEM", f"Building in workspace {self.workspace}")
        if spec.unsupported_steps:
            self.log(f"ERROR: unsupported build step(s): {', '.join(spec.unsupported_steps)} (only {SHELL})")
            return FAILURE
        env = dict(self.env)
        if spec.scm_class and spec.scm_class != "hudson.scm.NullSCM":
            if spec.git is None:
                self.log(f"ERROR: unsupported SCM {spec.scm_class} (only {GIT_SCM})")
                return FAILURE
            if (failed := self._checkout(spec.git)) is not None:
                return failed
            env.update(self._git_env())
        for command in spec.shell_steps:
            script = self._script(command)
            if command.startswith("#!"):  # Jenkins runs a script with a shebang through its interpreter
                argv = [*shlex.split(command.splitlines()[0][2:]), str(script)]
            else:
                argv = ["/bin/sh", "-xe", str(script)]
            self.log(f"[{self.workspace.name}] $ {' '.join(argv)}")
            outcome, code = self._spawn(argv, env)
            if outcome == "aborted":
                self.log("Build was aborted")
                return self._aborted()
            if code != 0:
                self.log("Build step 'Execute shell' marked build as failure")
                return FAILURE
        return SUCCESS

    # --- git ----------------------------------------------------------------------------------------

    def _git_env(self) -> dict[str, str]:
        assert self.scm is not None
        return {
            "GIT_COMMIT": self.scm["commit"],
            "GIT_BRANCH": self.scm["branch"],
            "GIT_URL": self.scm["url"],
        }

    def _checkout(self, git: GitSpec) -> str | None:
        """Clone and check out the revision to build; None on success, else the build result."""
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
        self.log("The recommended git tool is: NONE", "Cloning the remote Git repository")
        self.log(f"Cloning repository {git.url}")
        argv = ["git", "clone", "--quiet", "--no-checkout", "--", git.url, str(self.workspace)]
        self.log(" > " + shlex.join(argv) + " # timeout=10")
        outcome, code = self._spawn(argv, env)
        if outcome == "aborted":
            return self._aborted()
        if code != 0:
            self.log(f"ERROR: Error cloning remote repo 'origin' ({git.url})")
            return FAILURE
        candidates, branch = self._revisions(git)
        sha = None
        for rev in candidates:
            found = self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
            if found:
                sha = found
                break
        if sha is None:
            self.log(
                "ERROR: Couldn't find any revision to build. Verify the repository and branch "
                f"configuration for this job (tried {', '.join(candidates)})."
            )
            return FAILURE
        if branch is None:  # a commit: name the remote branch whose tip it is, as the git plugin does
            tips = self._git("for-each-ref", "--points-at", sha, "--format=%(refname:short)", "refs/remotes/")
            names = [t for t in tips.splitlines() if t and not t.endswith("/HEAD") and t != "origin"]
            branch = names[0] if names else "detached"
        self.log(f"Checking out Revision {sha} ({branch})")
        argv = ["git", "-c", "advice.detachedHead=false", "checkout", "--quiet", "-f", sha]
        self.log(f" > git checkout -f {sha} # timeout=10")
        outcome, code = self._spawn(argv, env)
        if outcome == "aborted":
            return self._aborted()
        if code != 0:
            self.log(f"ERROR: checkout of {sha} failed")
            return FAILURE
        subject = self._git("log", "-1", "--format=%s", sha)
        self.log(f'Commit message: "{subject}"')
        self.scm = {"url": git.url, "branch": branch, "commit": sha}
        return None

    def _revisions(self, git: GitSpec) -> tuple[list[str], str | None]:
        """The revisions to try, and the branch name they stand for (None for a commit)."""
        commit = self.params.get("COMMIT", "").strip()
        if commit:
            return [commit], None
        spec = re.sub(
            r"\$\{(\w+)\}|\$(\w+)",
            lambda m: self.params.get(m.group(1) or m.group(2), m.group(0)),
            git.branches[0],
        ).strip()
        if spec in ("", "**", "*/*", "*"):
            return ["refs/remotes/origin/HEAD"], "origin/HEAD"
        name = re.sub(r"^(refs/heads/|refs/remotes/origin/|\*/|origin/)", "", spec)
        candidates = [f"refs/remotes/origin/{name}"]
        if re.fullmatch(r"[0-9a-fA-F]{7,40}", name):
            return [*candidates, name], None
        if re.fullmatch(r"refs/tags/.+", spec):
            return [spec], None
        return candidates, f"origin/{name}"

    def _git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.workspace, capture_output=True, text=True, timeout=60, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    # --- Pipeline -----------------------------------------------------------------------------------

    def _pipeline(self) -> str:
        spec = self.spec
        if spec.definition == CPS_SCM:
            if spec.git is None:
                self.log(f"ERROR: unsupported SCM {spec.scm_class or '(none)'} (only {GIT_SCM})")
                return FAILURE
            if (failed := self._checkout(spec.git)) is not None:
                return failed
            path = self.workspace / spec.script_path
            if not path.is_file():
                self.log(f"ERROR: Unable to find {spec.script_path} from git {spec.git.url}")
                return FAILURE
            self.log(f"Obtained {spec.script_path} from git {spec.git.url}")
            source = path.read_text(errors="replace")
        elif spec.definition == CPS_INLINE:
            source = spec.script or ""
        else:
            self.log(f"ERROR: unsupported Pipeline definition {spec.definition or '(none)'}")
            return FAILURE
        try:
            pipeline = jenkinsfile.parse(source)
        except jenkinsfile.Unsupported as e:
            self.log(f"ERROR: unsupported Jenkinsfile construct: {e}")
            self.log(f"(the test Jenkins runs this declarative subset: {jenkinsfile.SUBSET})")
            return FAILURE
        except jenkinsfile.JenkinsfileError as e:
            self.log("org.codehaus.groovy.control.MultipleCompilationErrorsException: startup failed:")
            self.log(f"WorkflowScript: {e}")
            return FAILURE
        return self._run_pipeline(pipeline)

    def _run_pipeline(self, pipeline: jenkinsfile.Pipeline) -> str:
        self.log("[Pipeline] Start of Pipeline")
        deadline = None
        closers = []
        if pipeline.timeout is not None:
            deadline = time.monotonic() + pipeline.timeout
            self.log(
                "[Pipeline] timeout", f"Timeout set to expire in {_span(pipeline.timeout)}", "[Pipeline] {"
            )
            closers.append("timeout")
        self.log("[Pipeline] node", f"Running on Jenkins in {self.workspace}", "[Pipeline] {")
        closers.append("node")
        env = dict(self.env)
        if self.scm is not None:
            env.update(self._git_env())
            self._stage(
                "Declarative: Checkout SCM", "[Pipeline] checkout", f"Checked out {self.scm['commit']}"
            )
        result, error = SUCCESS, None
        try:
            if pipeline.environment:
                self._with_env(env, pipeline.environment)
                closers.append("withEnv")
            for stage in pipeline.stages:
                self.log("[Pipeline] stage", f"[Pipeline] {{ ({stage.name})")
                if result != SUCCESS:
                    self.log(f'Stage "{stage.name}" skipped due to earlier failure(s)')
                else:
                    result, error = self._run_stage(stage, env, deadline)
                self.log("[Pipeline] }", "[Pipeline] // stage")
        except jenkinsfile.MissingProperty as e:
            result, error = FAILURE, str(e)
        for block in reversed(closers):
            self.log("[Pipeline] }", f"[Pipeline] // {block}")
        self.log("[Pipeline] End of Pipeline")
        if error:
            self.log(error if error.startswith(("Timeout", "groovy")) else f"ERROR: {error}")
        if result == ABORTED:
            return self._aborted()
        return result

    def _stage(self, name: str, *lines: str) -> None:
        self.log("[Pipeline] stage", f"[Pipeline] {{ ({name})", *lines, "[Pipeline] }", "[Pipeline] // stage")

    def _with_env(self, env: dict[str, str], values: list[tuple[str, jenkinsfile.Text]]) -> None:
        for name, text in values:  # later values may use earlier ones
            env[name] = text.expand(self.params, env)
        self.log("[Pipeline] withEnv", "[Pipeline] {")

    def _run_stage(
        self, stage: jenkinsfile.Stage, env: dict[str, str], deadline: float | None
    ) -> tuple[str, str | None]:
        env = dict(env)
        if stage.environment:
            self._with_env(env, stage.environment)
        if stage.timeout is not None:
            stage_deadline = time.monotonic() + stage.timeout
            deadline = stage_deadline if deadline is None else min(deadline, stage_deadline)
            self.log("[Pipeline] timeout", f"Timeout set to expire in {_span(stage.timeout)}", "[Pipeline] {")
        result, error = SUCCESS, None
        for step in stage.steps:
            text = step.text.expand(self.params, env)
            self.log(f"[Pipeline] {step.kind}")
            if step.kind == "echo":
                self.log(text)
                continue
            outcome, code = self._spawn(["/bin/sh", "-xe", str(self._script(text))], env, deadline)
            if outcome == "aborted":
                result = ABORTED
            elif outcome == "timeout":
                self.log("Cancelling nested steps due to timeout", "Sending interrupt signal to process")
                result, error = ABORTED, "Timeout has been exceeded"
            elif code != 0:
                result, error = FAILURE, f"script returned exit code {code}"
            if result != SUCCESS:
                break
        if stage.timeout is not None:
            self.log("[Pipeline] }", "[Pipeline] // timeout")
        if stage.environment:
            self.log("[Pipeline] }", "[Pipeline] // withEnv")
        return result, error


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _span(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} sec"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} hr"
