"""A Jenkins-REST-compatible test server that really runs jobs (stdlib only).

It speaks the subset of the Jenkins remote API that python-jenkins 1.8.3 uses (see
/work/shared/reference/jenkins-rest.md), well enough for the Code Monkeys tests to drive it with the
real client instead of a mock:

- every response carries `X-Jenkins: 2.440.3`; HTTP Basic auth (user + API token) is required
  everywhere except an anonymous `GET /` (401 + `WWW-Authenticate: Basic realm="Jenkins"` otherwise);
- `GET /crumbIssuer/api/json` issues a crumb bound to the `JSESSIONID` cookie (set on the first
  authenticated response of a session); a POST without the crumb of its own session gets 403 (stricter
  than Jenkins, which lets API-token requests skip the crumb). Session ids and crumbs are HMACs keyed
  by HOME/secret.key, so clients stay valid across a restart;
- items (folders, freestyle and Pipeline jobs) are config.xml files under `HOME/jobs/`, builds are
  `build.json` + `log` under each job's `builds/N/`, so a restarted server knows them (builds that were
  running when it stopped end ABORTED; queued items are not kept);
- a queue with a quiet period (`$WaitingItem`), one build at a time per job (`$BlockedItem`), a global
  executor limit (`$BuildableItem`), then `$LeftItem` with the `executable` build; identical requests
  for a job already in the queue are merged into the queued item, as Jenkins does; `delay=Nsec`
  overrides the quiet period;
- builds run for real (runner.py): freestyle `hudson.tasks.Shell` steps with `sh -xe`, Pipeline jobs
  (inline or a Jenkinsfile from Git, see jenkinsfile.py for the declarative subset);
- Notification plugin endpoints in a job's config get the plugin's JSON on QUEUED, STARTED, COMPLETED
  and FINALIZED;
- `api/json` understands `depth=` and `tree=` (api.py).

Parameters follow Jenkins: `buildWithParameters` on a job without parameter definitions is an error
(500), `build` on a parameterized job is an error (400: it wants the form), values of undefined
parameters are dropped unless `--keep-undefined-parameters` (Jenkins'
`hudson.model.ParametersAction.keepUndefinedParameters`) is given; missing ones take their default.

Endpoints (J = `job/NAME/` repeated for folders, N = a build number or lastBuild, lastCompletedBuild,
lastSuccessfulBuild, lastFailedBuild, lastStableBuild, lastUnstableBuild, lastUnsuccessfulBuild)::

    GET  /                              anonymous ok: the X-Jenkins header
    GET  /api/json  /me/api/json  /crumbIssuer/api/json  /queue/api/json  /queue/item/ID/api/json
    POST /queue/cancelItem?id=ID  /queue/item/ID/cancelQueue
    POST /createItem?name=X  /J/createItem?name=X                  (body: config.xml)
    GET  /J/api/json  GET|POST /J/config.xml  POST /J/doDelete  /J/enable  /J/disable
    POST /J/build  /J/buildWithParameters?K=V                      201, Location: /queue/item/ID/
    GET  /J/N/api/json  /J/N/consoleText  /J/N/logText/progressiveText?start=B
    POST /J/N/stop  (also /term, /kill)

Not implemented: views, nodes, credentials, plugins, scriptText, artifacts, test reports, build
deletion, job copy/rename, `api/xml`, Pipeline input/replay, concurrent builds of one job.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import queue
import re
import secrets
import shutil
import signal
import sys
import threading
import time
import traceback
import urllib.request
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from . import api, config, runner

JENKINS_VERSION = "2.440.3"
HOST = "127.0.0.1"
CRUMB_FIELD = "Jenkins-Crumb"
SESSION_COOKIE = "JSESSIONID"
LEFT_ITEM_TTL = 300.0  # seconds a left queue item stays visible (then 404), as in Jenkins
BAD_NAME_CHARS = set("?*/\\%!@#$^&|<>[]:;")
RESULT_COLORS = {
    "SUCCESS": "blue",
    "UNSTABLE": "yellow",
    "FAILURE": "red",
    "NOT_BUILT": "notbuilt",
    "ABORTED": "aborted",
}
BUILD_CLASSES = {
    "freestyle": "hudson.model.FreeStyleBuild",
    "pipeline": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
}
QUEUE_CLASSES = {
    "waiting": "hudson.model.Queue$WaitingItem",
    "blocked": "hudson.model.Queue$BlockedItem",
    "buildable": "hudson.model.Queue$BuildableItem",
    "left": "hudson.model.Queue$LeftItem",
}
# Permalinks: which finished results each one accepts (None: any build, running ones included).
PERMALINKS: dict[str, tuple[str, ...] | None] = {
    "lastBuild": None,
    "lastCompletedBuild": ("SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED"),
    "lastSuccessfulBuild": ("SUCCESS", "UNSTABLE"),
    "lastStableBuild": ("SUCCESS",),
    "lastFailedBuild": ("FAILURE",),
    "lastUnstableBuild": ("UNSTABLE",),
    "lastUnsuccessfulBuild": ("UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED"),
}

log = logging.getLogger("jenkins-test-server")


class HttpError(Exception):
    """Answer the request with this status (and a short text body)."""

    def __init__(self, status: int, message: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message or {404: "Not Found", 405: "Method Not Allowed"}.get(status, "")
        self.headers = headers or {}


# --- model -------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Item:
    """A folder or a job, stored in `path` (config.xml, nextBuildNumber, builds/, jobs/)."""

    name: str
    parent: Item | None  # None: a top-level item
    path: Path
    config_xml: bytes
    spec: config.JobSpec
    children: dict[str, Item] = field(default_factory=dict)  # folders
    builds: dict[int, Build] = field(default_factory=dict)  # jobs
    next_build_number: int = 1
    deleted: bool = False

    @property
    def names(self) -> list[str]:
        return [*(self.parent.names if self.parent else []), self.name]

    @property
    def full_name(self) -> str:
        return "/".join(self.names)

    @property
    def full_display_name(self) -> str:
        return " \u00bb ".join(self.names)  # Jenkins joins folder names with a right guillemet

    @property
    def url(self) -> str:
        """Relative to the root URL: job/a/job/b/."""
        return "".join(f"job/{quote(n, safe='')}/" for n in self.names)

    def save_config(self) -> None:
        _write_atomic(self.path / "config.xml", self.config_xml)

    def save_next_build_number(self) -> None:
        _write_atomic(self.path / "nextBuildNumber", f"{self.next_build_number}\n".encode())


@dataclass(eq=False)
class Build:
    item: Item
    number: int
    queue_id: int
    timestamp: int  # ms since the epoch
    parameters: list[dict]  # ParameterValue JSON: {_class, name, value}
    causes: list[dict]
    estimated_duration: int = -1
    result: str | None = None
    building: bool = True
    duration: int = 0  # ms, 0 while building
    scm: dict[str, str] | None = None  # {"url", "branch", "commit"}
    execution: runner.Execution | None = None  # while running
    started: float = 0.0  # time.monotonic() at start

    @property
    def dir(self) -> Path:
        return self.item.path / "builds" / str(self.number)

    @property
    def log_path(self) -> Path:
        return self.dir / "log"

    @property
    def url(self) -> str:
        return f"{self.item.url}{self.number}/"

    def save(self) -> None:
        if self.item.deleted:
            return
        data = {
            "number": self.number,
            "queueId": self.queue_id,
            "timestamp": self.timestamp,
            "duration": self.duration,
            "estimatedDuration": self.estimated_duration,
            "result": self.result,
            "building": self.building,
            "parameters": self.parameters,
            "causes": self.causes,
            "scm": self.scm,
        }
        _write_atomic(self.dir / "build.json", json.dumps(data, indent=2).encode())

    @classmethod
    def load(cls, item: Item, path: Path) -> Build:
        data = json.loads(path.read_text())
        return cls(
            item=item,
            number=data["number"],
            queue_id=data.get("queueId", 0),
            timestamp=data["timestamp"],
            parameters=data.get("parameters", []),
            causes=data.get("causes", []),
            estimated_duration=data.get("estimatedDuration", -1),
            result=data.get("result"),
            building=data.get("building", False),
            duration=data.get("duration", 0),
            scm=data.get("scm"),
        )


@dataclass(eq=False)
class QueueItem:
    id: int
    item: Item
    parameters: list[dict]
    causes: list[dict]
    in_queue_since: int  # ms since the epoch
    quiet_until: float  # time.monotonic()
    state: str = "waiting"  # waiting, blocked, buildable, left
    why: str | None = None
    cancelled: bool = False
    build: Build | None = None
    left_at: float = 0.0


# --- the server state --------------------------------------------------------------------------------


class Jenkins:
    """Items, builds, queue and executors. One lock guards all of it; builds run outside the lock."""

    def __init__(
        self,
        home: Path,
        user: str,
        token: str,
        *,
        executors: int = 2,
        quiet_period: float = 0.5,
        keep_undefined_parameters: bool = False,
    ) -> None:
        self.home = home.resolve()
        self.user = user
        self.token = token
        self.executors = executors
        self.quiet_period = quiet_period
        self.keep_undefined_parameters = keep_undefined_parameters
        self.base_url = f"http://{HOST}/"  # set once the port is known
        self.lock = threading.RLock()
        self.wakeup = threading.Condition(self.lock)
        self.items: dict[str, Item] = {}  # top-level items
        self.queue: list[QueueItem] = []
        self.left: dict[int, QueueItem] = {}
        self.running: dict[Item, Build] = {}
        self.threads: set[threading.Thread] = set()
        self.closing = False
        self.notifier = Notifier()
        (self.home / "jobs").mkdir(parents=True, exist_ok=True)
        self.secret = self._secret()
        self.next_queue_id = self._read_int(self.home / "nextQueueId", 1)
        self.items = self._load(self.home / "jobs", None)
        self.scheduler = threading.Thread(target=self._schedule_loop, name="scheduler", daemon=True)
        self.scheduler.start()

    # --- persistence ------------------------------------------------------------------------------

    def _secret(self) -> bytes:
        path = self.home / "secret.key"
        if not path.exists():
            _write_atomic(path, secrets.token_hex(32).encode())
        return path.read_bytes().strip()

    @staticmethod
    def _read_int(path: Path, default: int) -> int:
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            return default

    def _load(self, jobs_dir: Path, parent: Item | None) -> dict[str, Item]:
        items: dict[str, Item] = {}
        for path in sorted(jobs_dir.iterdir()) if jobs_dir.is_dir() else []:
            try:
                xml = (path / "config.xml").read_bytes()
                spec = config.parse(xml)
            except (OSError, config.ConfigError) as e:
                log.warning("skipping %s: %s", path, e)
                continue
            item = Item(name=path.name, parent=parent, path=path, config_xml=xml, spec=spec)
            if spec.is_folder:
                item.children = self._load(path / "jobs", item)
            else:
                self._load_builds(item)
            items[item.name] = item
        return items

    def _load_builds(self, item: Item) -> None:
        for path in (item.path / "builds").glob("*/build.json"):
            try:
                build = Build.load(item, path)
            except (OSError, ValueError, KeyError) as e:
                log.warning("skipping %s: %s", path, e)
                continue
            if build.building:  # the server stopped while it ran
                build.building, build.result = False, "ABORTED"
                _append(
                    build.log_path, "Build was interrupted by a restart of the server\nFinished: ABORTED\n"
                )
                build.save()
            item.builds[build.number] = build
        last = max(item.builds, default=0)
        item.next_build_number = max(self._read_int(item.path / "nextBuildNumber", 1), last + 1)

    # --- sessions and crumbs ----------------------------------------------------------------------

    def _sign(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()

    def new_session(self) -> str:
        """A session id the server can check without storing it (so sessions survive a restart)."""
        nonce = secrets.token_hex(12)
        return f"node0{nonce}.{self._sign('session:' + nonce)[:20]}"

    def valid_session(self, session: str) -> bool:
        nonce, _, sig = session.removeprefix("node0").partition(".")
        return bool(nonce) and hmac.compare_digest(sig, self._sign("session:" + nonce)[:20])

    def crumb(self, user: str, session: str) -> str:
        return self._sign(f"crumb:{user}:{session}")

    # --- items ------------------------------------------------------------------------------------

    def children(self, folder: Item | None) -> dict[str, Item]:
        return self.items if folder is None else folder.children

    def create_item(self, parent: Item | None, name: str, xml: bytes) -> Item:
        if not name or name in (".", "..") or BAD_NAME_CHARS & set(name) or name != name.strip():
            raise HttpError(400, f"\u2018{name}\u2019 is an unsafe name for a job")
        try:
            spec = config.parse(xml)
        except config.ConfigError as e:
            raise HttpError(400, str(e)) from None
        with self.lock:
            siblings = self.children(parent)
            if name in siblings:
                raise HttpError(400, f"A job already exists with the name \u2018{name}\u2019")
            base = self.home / "jobs" if parent is None else parent.path / "jobs"
            path = base / name
            if path.exists():  # left over from a delete that could not finish
                shutil.rmtree(path, ignore_errors=True)
            path.mkdir(parents=True)
            item = Item(name=name, parent=parent, path=path, config_xml=xml, spec=spec)
            item.save_config()
            siblings[name] = item
            log.info("created %s (%s)", item.full_name, spec.kind)
            return item

    def update_config(self, item: Item, xml: bytes) -> None:
        try:
            spec = config.parse(xml)
        except config.ConfigError as e:
            raise HttpError(400, str(e)) from None
        if spec.is_folder != item.spec.is_folder:
            raise HttpError(400, f"cannot turn {item.full_name} into a {spec.kind} (delete and create it)")
        with self.lock:
            if item.deleted:
                raise HttpError(404, f"No such job: {item.full_name}")
            item.config_xml, item.spec = xml, spec
            item.save_config()

    def set_disabled(self, item: Item, disabled: bool) -> None:
        value = b"true" if disabled else b"false"
        xml, count = re.subn(
            rb"<disabled>\s*(true|false)\s*</disabled>",
            b"<disabled>" + value + b"</disabled>",
            item.config_xml,
        )
        if not count:  # add the element before the root's closing tag
            xml = re.sub(rb"(</[^>]+>\s*)$", b"<disabled>" + value + rb"</disabled>\n\1", xml.rstrip())
        self.update_config(item, xml)

    def delete_item(self, item: Item) -> None:
        """Abort its builds, drop its queue items, then remove it (a folder: with everything inside)."""
        with self.lock:
            if item.deleted:
                raise HttpError(404, f"No such job: {item.full_name}")
            doomed = [item, *self._descendants(item)]
            for it in doomed:
                it.deleted = True
            for qi in [q for q in self.queue if q.item in doomed]:
                self._leave(qi, cancelled=True)
            executions = [b.execution for it in doomed if (b := self.running.get(it)) and b.execution]
            threads = [t for t in self.threads if getattr(t, "item", None) in doomed]
            del self.children(item.parent)[item.name]
            trash = self.home / f".deleted-{secrets.token_hex(6)}"
            item.path.rename(trash)  # the name is free at once; the files go below
            self.wakeup.notify_all()
        for execution in executions:
            execution.abort(self.user)
        for thread in threads:
            thread.join(timeout=10)
        shutil.rmtree(trash, ignore_errors=True)
        for it in doomed:
            for ws in (self.home / "workspace").glob(f"{_glob_escape(it.full_name)}@*"):
                shutil.rmtree(ws, ignore_errors=True)
        log.info("deleted %s", item.full_name)

    def _descendants(self, item: Item) -> list[Item]:
        out = []
        for child in item.children.values():
            out += [child, *self._descendants(child)]
        return out

    # --- queue ------------------------------------------------------------------------------------

    def schedule(self, item: Item, given: dict[str, str] | None, delay: float | None, user: str) -> QueueItem:
        """Queue a build. given: the submitted parameters (None: the plain `build` endpoint)."""
        spec = item.spec
        if spec.disabled:
            raise HttpError(409, f"{item.full_name} is not buildable")
        if given is None and spec.params:
            raise HttpError(400, "Nothing is submitted")  # Jenkins wants the parameter form here
        if given is not None and not spec.params:
            raise HttpError(500, "java.lang.IllegalStateException: This build is not parameterized!")
        parameters = []
        given = dict(given or {})
        for definition in spec.params:
            try:
                value = definition.value(given.pop(definition.name, None))
            except ValueError as e:
                raise HttpError(500, f"java.lang.IllegalArgumentException: {e}") from None
            parameters.append({"_class": definition.value_class, "name": definition.name, "value": value})
        if given and self.keep_undefined_parameters:
            parameters += [
                {"_class": "hudson.model.StringParameterValue", "name": k, "value": v}
                for k, v in given.items()
            ]
        elif given:
            log.warning("%s: dropped undefined parameters %s", item.full_name, ", ".join(sorted(given)))
        cause = {
            "_class": "hudson.model.Cause$UserIdCause",
            "shortDescription": f"Started by user {user}",
            "userId": user,
            "userName": user,
        }
        with self.lock:
            if item.deleted:  # deleted while this request was on its way
                raise HttpError(404, f"No such job: {item.full_name}")
            for qi in self.queue:  # Jenkins merges a request identical to a queued one
                if qi.item is item and qi.parameters == parameters:
                    return qi
            quiet = self.quiet_period if delay is None else delay
            qi = QueueItem(
                id=self.next_queue_id,
                item=item,
                parameters=parameters,
                causes=[cause],
                in_queue_since=_now_ms(),
                quiet_until=time.monotonic() + quiet,
            )
            self.next_queue_id += 1
            _write_atomic(self.home / "nextQueueId", f"{self.next_queue_id}\n".encode())
            self.queue.append(qi)
            self.wakeup.notify_all()
        self._notify(item, "QUEUED", queue_item=qi)
        return qi

    def cancel(self, queue_id: int) -> bool:
        with self.lock:
            qi = next((q for q in self.queue if q.id == queue_id), None)
            if qi is None:
                return False
            self._leave(qi, cancelled=True)
            self.wakeup.notify_all()
            return True

    def _leave(self, qi: QueueItem, *, cancelled: bool = False, build: Build | None = None) -> None:
        self.queue.remove(qi)
        qi.state, qi.why, qi.cancelled, qi.build = "left", None, cancelled, build
        qi.left_at = time.monotonic()
        self.left[qi.id] = qi

    def queue_item(self, queue_id: int) -> QueueItem | None:
        with self.lock:
            return next((q for q in self.queue if q.id == queue_id), None) or self.left.get(queue_id)

    def _schedule_loop(self) -> None:
        with self.lock:
            while not self.closing:
                self.wakeup.wait(self._dispatch())

    def _dispatch(self) -> float:
        """Move queue items along; returns how long the scheduler may sleep."""
        now = time.monotonic()
        for qid in [i for i, q in self.left.items() if now - q.left_at > LEFT_ITEM_TTL]:
            del self.left[qid]
        sleep = 1.0
        for qi in list(self.queue):
            if now < qi.quiet_until:
                qi.state = "waiting"
                sleep = min(sleep, qi.quiet_until - now)
            elif running := self.running.get(qi.item):
                qi.state, qi.why = "blocked", f"Build #{running.number} is already in progress (ETA: N/A)"
            elif len(self.running) >= self.executors:
                qi.state, qi.why = "buildable", "Waiting for next available executor"
            else:
                self._start(qi)
        return max(sleep, 0.005)

    # --- builds -----------------------------------------------------------------------------------

    def _start(self, qi: QueueItem) -> None:
        item = qi.item
        number = item.next_build_number
        item.next_build_number += 1
        item.save_next_build_number()
        last_ok = self._permalink(item, "lastSuccessfulBuild")
        build = Build(
            item=item,
            number=number,
            queue_id=qi.id,
            timestamp=_now_ms(),
            parameters=qi.parameters,
            causes=qi.causes,
            estimated_duration=last_ok.duration if last_ok else -1,
            started=time.monotonic(),
        )
        build.dir.mkdir(parents=True, exist_ok=True)
        build.log_path.write_text("".join(f"{c['shortDescription']}\n" for c in qi.causes))
        build.save()
        item.builds[number] = build
        self._leave(qi, build=build)
        self.running[item] = build
        workspace = self.home / "workspace" / f"{item.full_name}@{number}"
        params = {p["name"]: _env_value(p["value"]) for p in build.parameters}
        build.execution = runner.Execution(
            spec=item.spec,
            log_path=build.log_path,
            workspace=workspace,
            env=self._build_env(build, workspace, params),
            params=params,
        )
        thread = threading.Thread(
            target=self._execute, args=(build,), name=f"{item.full_name}#{number}", daemon=True
        )
        thread.item = item  # type: ignore[attr-defined]
        self.threads.add(thread)
        thread.start()

    def _build_env(self, build: Build, workspace: Path, params: dict[str, str]) -> dict[str, str]:
        item = build.item
        env = dict(os.environ)
        env.update(
            {
                "BUILD_NUMBER": str(build.number),
                "BUILD_ID": str(build.number),
                "BUILD_DISPLAY_NAME": f"#{build.number}",
                "BUILD_TAG": f"jenkins-{item.full_name.replace('/', '-')}-{build.number}",
                "BUILD_URL": self.base_url + build.url,
                "JOB_NAME": item.full_name,
                "JOB_BASE_NAME": item.name,
                "JOB_URL": self.base_url + item.url,
                "JENKINS_URL": self.base_url,
                "JENKINS_HOME": str(self.home),
                "NODE_NAME": "built-in",
                "NODE_LABELS": "built-in",
                "EXECUTOR_NUMBER": str(len(self.running) - 1),
                "WORKSPACE": str(workspace),
                "WORKSPACE_TMP": f"{workspace}@tmp",
            }
        )
        env.update(params)
        return env

    def _execute(self, build: Build) -> None:
        """The executor thread of one build."""
        execution = build.execution
        assert execution is not None
        self._notify(build.item, "STARTED", build=build)
        try:
            result = execution.run()
        except Exception:  # a bug here must not leave the build running forever
            log.exception("build %s #%s crashed", build.item.full_name, build.number)
            _append(
                build.log_path, f"ERROR: the test server failed to run the build:\n{traceback.format_exc()}"
            )
            result = "FAILURE"
        build.scm = execution.scm
        self._notify(build.item, "COMPLETED", build=build, result=result)
        with self.lock:
            _append(build.log_path, f"Finished: {result}\n")  # the last line, before `building` turns false
            build.result, build.building = result, False
            build.duration = max(1, int((time.monotonic() - build.started) * 1000))
            build.execution = None
            build.save()
            if self.running.get(build.item) is build:
                del self.running[build.item]
            self.threads.discard(threading.current_thread())
            self.wakeup.notify_all()
        self._notify(build.item, "FINALIZED", build=build, result=result)
        log.info("%s #%s: %s", build.item.full_name, build.number, result)

    def stop_build(self, build: Build, user: str) -> None:
        with self.lock:
            execution = build.execution
        if execution is not None:
            execution.abort(user)

    def _permalink(self, item: Item, name: str) -> Build | None:
        accepted = PERMALINKS[name]
        for number in sorted(item.builds, reverse=True):
            build = item.builds[number]
            if accepted is None or (not build.building and build.result in accepted):
                return build
        return None

    def find_build(self, item: Item, ref: str) -> Build | None:
        if ref.isdigit():
            return item.builds.get(int(ref))
        if ref in PERMALINKS:
            return self._permalink(item, ref)
        return None

    def color(self, item: Item) -> str:
        if item.spec.disabled:
            return "disabled"
        done = self._permalink(item, "lastCompletedBuild")
        color = RESULT_COLORS.get(done.result or "", "notbuilt") if done else "notbuilt"
        return color + "_anime" if item in self.running else color

    # --- notifications ----------------------------------------------------------------------------

    def _notify(
        self,
        item: Item,
        phase: str,
        *,
        build: Build | None = None,
        queue_item: QueueItem | None = None,
        result: str | None = None,
    ) -> None:
        """Send the Notification plugin's JSON to the job's endpoints (in order, off this thread)."""
        endpoints = [e for e in item.spec.notify if e.wants(phase, result)]
        if not endpoints:
            return
        state: dict[str, Any] = {
            "phase": phase,
            "parameters": {},
            "scm": {},
            "log": "",
            "notes": "",
            "artifacts": {},
        }
        params = build.parameters if build else queue_item.parameters if queue_item else []
        state["parameters"] = {p["name"]: _env_value(p["value"]) for p in params}
        if queue_item is not None:
            state["queue_id"] = queue_item.id
        if build is not None:
            scm = build.scm or (build.execution.scm if build.execution else None)
            state.update(
                {
                    "full_url": self.base_url + build.url,
                    "number": build.number,
                    "queue_id": build.queue_id,
                    "timestamp": build.timestamp,
                    "duration": build.duration,
                    "url": build.url,
                    "scm": dict(scm or {}),
                }
            )
        if result is not None:  # the plugin (Gson) leaves null fields out
            state["status"] = result
        payload = {"name": item.name, "display_name": item.name, "url": item.url, "build": state}
        for endpoint in endpoints:
            if build is not None and phase in ("STARTED", "COMPLETED"):
                _append(build.log_path, f"Notifying endpoint 'HTTP:{endpoint.url}'\n")
            self.notifier.post(endpoint.url, payload, endpoint.timeout)

    # --- shutdown ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Abort running builds (their process groups are killed) and stop the threads."""
        with self.lock:
            self.closing = True
            for qi in list(self.queue):
                self._leave(qi, cancelled=True)
            executions = [b.execution for b in self.running.values() if b.execution]
            threads = list(self.threads)
            self.wakeup.notify_all()
        for execution in executions:
            execution.abort("SYSTEM")
        for thread in threads:
            thread.join(timeout=10)
        self.notifier.close(timeout=5)

    # --- JSON -------------------------------------------------------------------------------------

    def root_obj(self) -> api.Obj:
        base = self.base_url
        view = {"_class": "hudson.model.AllView", "name": "all", "url": base}
        return api.Obj(
            {
                "_class": "hudson.model.Hudson",
                "assignedLabels": [{"name": "built-in"}],
                "mode": "NORMAL",
                "nodeDescription": "the Jenkins controller's built-in node",
                "nodeName": "",
                "numExecutors": self.executors,
                "description": None,
                "jobs": api.Lazy(lambda: [self.item_obj(i) for i in self.items.values()]),
                "overallLoad": {},
                "primaryView": view,
                "quietDownReason": None,
                "quietingDown": False,
                "slaveAgentPort": -1,
                "unlabeledLoad": {"_class": "jenkins.model.UnlabeledLoadStatistics"},
                "url": base,
                "useCrumbs": True,
                "useSecurity": True,
                "views": [view],
            }
        )

    def item_obj(self, item: Item) -> api.Obj:
        base = self.base_url
        common = {
            "_class": item.spec.xml_class,
            "actions": [],
            "description": item.spec.description,
            "displayName": item.name,
            "displayNameOrNull": None,
            "fullDisplayName": item.full_display_name,
            "fullName": item.full_name,
            "name": item.name,
            "url": base + item.url,
            "healthReport": [],
        }
        if item.spec.is_folder:
            view = {"_class": "hudson.model.AllView", "name": "All", "url": base + item.url}
            fields = {
                **common,
                "jobs": api.Lazy(lambda: [self.item_obj(c) for c in item.children.values()]),
                "primaryView": view,
                "views": [view],
            }
            return api.Obj(fields, summary=("name", "url"))

        def builds() -> list[Build]:
            return [item.builds[n] for n in sorted(item.builds, reverse=True)]

        def link(name: str) -> api.Lazy:
            return api.Lazy(lambda: self._build_or_none(self._permalink(item, name)))

        def queue_item() -> api.Obj | None:
            qi = next((q for q in self.queue if q.item is item), None)
            return self.queue_obj(qi) if qi else None

        prop = []
        if item.spec.params:
            prop.append(
                {
                    "_class": config.PARAMS_PROPERTY,
                    "parameterDefinitions": [p.to_json() for p in item.spec.params],
                }
            )
        fields = {
            **common,
            "buildable": not item.spec.disabled,
            "builds": api.Lazy(lambda: [self.build_obj(b) for b in builds()[:100]]),
            "allBuilds": api.Lazy(lambda: [self.build_obj(b) for b in builds()]),
            "color": api.Lazy(lambda: self.color(item)),
            "firstBuild": api.Lazy(lambda: self._build_or_none(builds()[-1] if item.builds else None)),
            "inQueue": api.Lazy(lambda: any(q.item is item for q in self.queue)),
            "keepDependencies": False,
            **{name: link(name) for name in PERMALINKS},
            "nextBuildNumber": api.Lazy(lambda: item.next_build_number),
            "property": prop,
            "queueItem": api.Lazy(queue_item),
            "concurrentBuild": False,
            "disabled": item.spec.disabled,
        }
        if item.spec.kind == "pipeline":
            fields["resumeBlocked"] = False
        return api.Obj(fields, summary=("name", "url", "color"), hidden=("allBuilds",))

    def _build_or_none(self, build: Build | None) -> api.Obj | None:
        return self.build_obj(build) if build else None

    def build_obj(self, build: Build) -> api.Obj:
        item = build.item
        actions: list[dict] = []
        if build.parameters:
            actions.append({"_class": "hudson.model.ParametersAction", "parameters": build.parameters})
        actions.append({"_class": "hudson.model.CauseAction", "causes": build.causes})
        scm = build.scm or (build.execution.scm if build.execution else None)
        if scm:
            branch = {"SHA1": scm["commit"], "name": scm["branch"]}
            actions.append(
                {
                    "_class": "hudson.plugins.git.util.BuildData",
                    "buildsByBranchName": {scm["branch"]: {"buildNumber": build.number, "buildResult": None}},
                    "lastBuiltRevision": {"SHA1": scm["commit"], "branch": [branch]},
                    "remoteUrls": [scm["url"]],
                    "scmName": "",
                }
            )
        fields: dict[str, Any] = {
            "_class": BUILD_CLASSES.get(item.spec.kind, BUILD_CLASSES["freestyle"]),
            "actions": actions,
            "artifacts": [],
            "building": build.building,
            "description": None,
            "displayName": f"#{build.number}",
            "duration": build.duration,
            "estimatedDuration": build.estimated_duration,
            "executor": None,
            "fullDisplayName": f"{item.full_display_name} #{build.number}",
            "id": str(build.number),
            "keepLog": False,
            "number": build.number,
            "queueId": build.queue_id,
            "result": build.result,
            "timestamp": build.timestamp,
            "url": self.base_url + build.url,
            "changeSets": [],
            "culprits": [],
            "nextBuild": api.Lazy(lambda: self._neighbour(build, +1)),
            "previousBuild": api.Lazy(lambda: self._neighbour(build, -1)),
        }
        if item.spec.kind == "pipeline":
            fields["inProgress"] = build.building
        else:
            fields["builtOn"] = ""
        return api.Obj(fields, summary=("number", "url"))

    def _neighbour(self, build: Build, step: int) -> api.Obj | None:
        numbers = sorted(build.item.builds)
        i = numbers.index(build.number) + step if build.number in numbers else -1
        return self.build_obj(build.item.builds[numbers[i]]) if 0 <= i < len(numbers) else None

    def queue_obj(self, qi: QueueItem) -> api.Obj:
        state = qi.state
        now = time.monotonic()
        if state != "left" and now < qi.quiet_until:
            state = "waiting"
        why = qi.why
        if state == "waiting":
            why = f"In the quiet period. Expires in {max(qi.quiet_until - now, 0):.2f} sec"
        actions: list[dict] = []
        if qi.parameters:
            actions.append({"_class": "hudson.model.ParametersAction", "parameters": qi.parameters})
        actions.append({"_class": "hudson.model.CauseAction", "causes": qi.causes})
        fields: dict[str, Any] = {
            "_class": QUEUE_CLASSES[state],
            "actions": actions,
            "blocked": state == "blocked",
            "buildable": state == "buildable",
            "id": qi.id,
            "inQueueSince": qi.in_queue_since,
            "params": "".join(f"\n{p['name']}={_env_value(p['value'])}" for p in qi.parameters),
            "stuck": False,
            "task": api.Lazy(lambda: self.item_obj(qi.item)),
            "url": f"queue/item/{qi.id}/",
            "why": why,
        }
        if state == "waiting":
            fields["timestamp"] = _now_ms() + int(max(qi.quiet_until - now, 0) * 1000)
        if state == "buildable":
            fields["pending"] = False
        if state == "left":
            fields["cancelled"] = qi.cancelled
            fields["executable"] = api.Lazy(lambda: self._build_or_none(qi.build))
        return api.Obj(fields, summary=("id", "url"))

    def queue_list(self) -> dict:
        return {
            "_class": "hudson.model.Queue",
            "discoverableItems": [],
            "items": [self.queue_obj(q) for q in self.queue],
        }


# --- notifications -----------------------------------------------------------------------------------


class Notifier:
    """Delivers notification POSTs one after the other on a worker thread (failures are logged)."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="notifier", daemon=True)
        self.thread.start()

    def post(self, url: str, payload: dict, timeout: float) -> None:
        self.queue.put((url, json.dumps(payload).encode(), timeout))

    def close(self, timeout: float) -> None:
        self.queue.put(None)
        self.thread.join(timeout)

    def _loop(self) -> None:
        while (job := self.queue.get()) is not None:
            url, body, timeout = job
            request = urllib.request.Request(
                url, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=min(timeout, 10.0)) as response:
                    response.read()
            except Exception as e:
                log.warning("notification to %s failed: %s", url, e)


# --- HTTP --------------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    server_version = "Jetty(10.0.20)"  # what Jenkins 2.440 runs on
    protocol_version = "HTTP/1.1"  # keep-alive: every response has a Content-Length
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stalls

    @property
    def jenkins(self) -> Jenkins:
        return self.server.jenkins  # type: ignore[attr-defined]

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s", format % args)

    # --- plumbing ---------------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        self._new_session: str | None = None
        self.query: dict[str, str] = {}
        try:
            body = self._read_body()
            url = urlsplit(self.path)
            self.query = dict(parse_qsl(url.query, keep_blank_values=True))
            segments = [unquote(s) for s in url.path.split("/") if s]
            user = self._authenticate(method, segments)
            session = self.session = self._session(user)
            if method == "POST":
                self._check_crumb(user, session, body)
            self._route(method, segments, body, user)
        except HttpError as e:
            self._send(e.status, (e.message + "\n").encode(), "text/plain;charset=utf-8", e.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away
        except Exception:
            log.exception("%s %s failed", method, self.path)
            self._send(500, traceback.format_exc().encode(), "text/plain;charset=utf-8")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("X-Jenkins", JENKINS_VERSION)
        self.send_header("X-Hudson", "1.395")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self._new_session:
            self.send_header("Set-Cookie", f"{SESSION_COOKIE}={self._new_session}; Path=/; HttpOnly")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data: Any, status: int = 200) -> None:
        indent = 2 if self.query.get("pretty") == "true" else None
        body = json.dumps(data, indent=indent, separators=None if indent else (",", ":")).encode()
        self._send(status, body, "application/json;charset=utf-8")

    def _text(
        self, text: str | bytes, status: int = 200, content_type: str = "text/plain;charset=utf-8"
    ) -> None:
        self._send(status, text.encode() if isinstance(text, str) else text, content_type)

    def _authenticate(self, method: str, segments: list[str]) -> str | None:
        """The user, or None for the anonymous dashboard; raises 401."""
        header = self.headers.get("Authorization")
        challenge = {"WWW-Authenticate": 'Basic realm="Jenkins"'}
        if header is None:
            if method in ("GET", "HEAD") and not segments:
                return None
            raise HttpError(401, "Authentication required", challenge)
        scheme, _, encoded = header.partition(" ")
        try:
            user, _, token = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise HttpError(401, "Malformed Authorization header", challenge) from None
        ok_user = hmac.compare_digest(user.encode(), self.jenkins.user.encode())
        ok_token = hmac.compare_digest(token.encode(), self.jenkins.token.encode())
        if scheme.lower() != "basic" or not (ok_user and ok_token):
            raise HttpError(401, f"Invalid password/token for user: {user}", challenge)
        return user

    def _session(self, user: str | None) -> str | None:
        try:
            cookies = SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            cookies = SimpleCookie()
        morsel = cookies.get(SESSION_COOKIE)
        if morsel is not None and self.jenkins.valid_session(morsel.value):
            return morsel.value
        if user is None:
            return None
        self._new_session = self.jenkins.new_session()
        return self._new_session

    def _check_crumb(self, user: str | None, session: str | None, body: bytes) -> None:
        crumb = self.headers.get(CRUMB_FIELD) or self.query.get(CRUMB_FIELD)
        if crumb is None and self._is_form():
            crumb = dict(parse_qsl(body.decode(errors="replace"))).get(CRUMB_FIELD)
        expected = self.jenkins.crumb(user or "", session or "")
        if not crumb or not session or not hmac.compare_digest(crumb, expected):
            raise HttpError(403, "No valid crumb was included in the request")

    def _is_form(self) -> bool:
        return self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method == "HEAD":
            method = "GET"
        if method not in allowed:
            raise HttpError(405, f"{method} is not allowed here (use {' or '.join(allowed)})")

    # --- routing ----------------------------------------------------------------------------------

    def _route(self, method: str, segments: list[str], body: bytes, user: str | None) -> None:
        jenkins = self.jenkins
        item: Item | None = None
        i = 0
        with jenkins.lock:
            while i < len(segments) and segments[i] == "job":
                if i + 1 >= len(segments):
                    raise HttpError(404)
                child = (
                    jenkins.children(item).get(segments[i + 1])
                    if item is None or item.spec.is_folder
                    else None
                )
                if child is None:
                    raise HttpError(404, f"No such job: {'/'.join(segments[1 : i + 2 : 2])}")
                item, i = child, i + 2
        rest = segments[i:]
        if item is None:
            self._root(method, rest, body, user)
        elif item.spec.is_folder:
            self._folder(method, item, rest, body)
        else:
            self._job(method, item, rest, body, user)

    def _api(self, obj: Any) -> None:
        """Answer api/json for a (lazy) object, honouring depth= and tree=."""
        tree = self.query.get("tree")
        try:
            depth = min(max(int(self.query.get("depth") or 0), 0), 5)
            nodes = api.parse_tree(tree) if tree else None
        except ValueError as e:
            raise HttpError(400, str(e)) from None
        with self.jenkins.lock:
            data = obj() if callable(obj) else obj
            data = api.filter_tree(data, nodes) if nodes is not None else api.render(data, depth)
        self._json(data)

    def _root(self, method: str, rest: list[str], body: bytes, user: str | None) -> None:
        jenkins = self.jenkins
        match rest:
            case []:
                self._allow(method, "GET")
                self._text(
                    "<html><head><title>Dashboard [Jenkins]</title></head><body></body></html>",
                    content_type="text/html;charset=utf-8",
                )
            case ["api", "json"]:
                self._allow(method, "GET")
                self._api(jenkins.root_obj)
            case ["me", "api", "json"]:
                self._allow(method, "GET")
                self._json(
                    {
                        "_class": "hudson.model.User",
                        "absoluteUrl": f"{jenkins.base_url}user/{user}",
                        "description": None,
                        "fullName": user,
                        "id": user,
                        "property": [],
                    }
                )
            case ["crumbIssuer", "api", "json"]:
                self._allow(method, "GET")
                self._json(
                    {
                        "_class": "hudson.security.csrf.DefaultCrumbIssuer",
                        "crumb": jenkins.crumb(user or "", self.session or ""),
                        "crumbRequestField": CRUMB_FIELD,
                    }
                )
            case ["createItem"]:
                self._create(method, None, body)
            case ["queue", "api", "json"]:
                self._allow(method, "GET")
                self._api(jenkins.queue_list)
            case ["queue", "item", qid, "api", "json"]:
                self._allow(method, "GET")
                qi = jenkins.queue_item(_int(qid))
                if qi is None:
                    raise HttpError(404, f"No queue item {qid}")
                self._api(lambda: jenkins.queue_obj(qi))
            case ["queue", "cancelItem"] | ["queue", "item", _, "cancelQueue"]:
                self._allow(method, "POST")
                qid = rest[2] if len(rest) == 4 else self.query.get("id", "")
                if not jenkins.cancel(_int(qid)):
                    raise HttpError(404, f"Queue item with id {qid} not found")
                self._send(204, b"", "text/plain;charset=utf-8")
            case _:
                raise HttpError(404)

    def _create(self, method: str, parent: Item | None, body: bytes) -> None:
        self._allow(method, "POST")
        name = self.query.get("name", "")
        self.jenkins.create_item(parent, name, body)
        self._text("")

    def _item_common(self, method: str, item: Item, rest: list[str], body: bytes) -> bool:
        """Endpoints of folders and jobs alike; False when rest is none of them."""
        jenkins = self.jenkins
        match rest:
            case []:
                self._allow(method, "GET")
                self._text(
                    f"<html><body>{item.full_name}</body></html>", content_type="text/html;charset=utf-8"
                )
            case ["api", "json"]:
                self._allow(method, "GET")
                self._api(lambda: jenkins.item_obj(item))
            case ["config.xml"]:
                self._allow(method, "GET", "POST")
                if self.command == "POST":
                    jenkins.update_config(item, body)
                    self._text("")
                else:
                    self._text(item.config_xml, content_type="application/xml;charset=utf-8")
            case ["doDelete"]:
                self._allow(method, "POST")
                jenkins.delete_item(item)
                self._text("")
            case _:
                return False
        return True

    def _folder(self, method: str, item: Item, rest: list[str], body: bytes) -> None:
        if self._item_common(method, item, rest, body):
            return
        if rest == ["createItem"]:
            self._create(method, item, body)
        else:
            raise HttpError(404)

    def _job(self, method: str, item: Item, rest: list[str], body: bytes, user: str | None) -> None:
        jenkins = self.jenkins
        if self._item_common(method, item, rest, body):
            return
        match rest:
            case ["build" | "buildWithParameters" as endpoint]:
                self._allow(method, "POST")
                given = None
                if endpoint == "buildWithParameters":
                    given = {
                        k: v
                        for k, v in self.query.items()
                        if k not in ("token", "delay", "cause", CRUMB_FIELD)
                    }
                    if self._is_form():
                        form = dict(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
                        given.update({k: v for k, v in form.items() if k != CRUMB_FIELD})
                qi = jenkins.schedule(item, given, _delay(self.query.get("delay")), user or "anonymous")
                self._send(
                    201,
                    b"",
                    "text/plain;charset=utf-8",
                    {"Location": f"{jenkins.base_url}queue/item/{qi.id}/"},
                )
            case ["enable" | "disable" as action]:
                self._allow(method, "POST")
                jenkins.set_disabled(item, action == "disable")
                self._text("")
            case [ref, *build_rest]:
                with jenkins.lock:
                    build = jenkins.find_build(item, ref)
                if build is None:
                    raise HttpError(404, f"No build {ref} of {item.full_name}")
                self._build(method, build, build_rest, user)
            case _:
                raise HttpError(404)

    def _build(self, method: str, build: Build, rest: list[str], user: str | None) -> None:
        jenkins = self.jenkins
        match rest:
            case []:
                self._allow(method, "GET")
                self._text(
                    f"<html><body>{build.item.full_name} #{build.number}</body></html>",
                    content_type="text/html;charset=utf-8",
                )
            case ["api", "json"]:
                self._allow(method, "GET")
                self._api(lambda: jenkins.build_obj(build))
            case ["consoleText"]:
                self._allow(method, "GET")
                self._text(_read(build.log_path))
            case ["logText", "progressiveText"]:
                self._allow(method, "GET", "POST")
                with jenkins.lock:
                    building = build.building
                data = _read(build.log_path)
                start = min(max(_int(self.query.get("start") or "0"), 0), len(data))
                headers = {"X-Text-Size": str(len(data))}
                if building:
                    headers["X-More-Data"] = "true"
                self._send(200, data[start:], "text/plain;charset=utf-8", headers)
            case ["stop" | "term" | "kill"]:
                self._allow(method, "POST")
                jenkins.stop_build(build, user or "anonymous")
                self._text("")
            case _:
                raise HttpError(404)


# --- helpers -----------------------------------------------------------------------------------------


def _now_ms() -> int:
    return int(time.time() * 1000)


def _env_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise HttpError(404, f"not a number: {text!r}") from None


def _delay(text: str | None) -> float | None:
    """Jenkins' `delay=` query parameter: `10sec` or `10`."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(sec|secs|s)?\s*", text)
    if not m:
        raise HttpError(400, f"bad delay {text!r}")
    return float(m.group(1))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _append(path: Path, text: str) -> None:
    """Append to a build log; the build's job may have been deleted meanwhile."""
    try:
        with open(path, "a") as f:
            f.write(text)
    except OSError:
        pass


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


# --- main --------------------------------------------------------------------------------------------


def serve(
    home: Path,
    user: str,
    token: str,
    port: int = 0,
    *,
    executors: int = 2,
    quiet_period: float = 0.5,
    keep_undefined_parameters: bool = False,
) -> None:
    """Run until SIGTERM/SIGINT; prints `listening URL` as the first line on stdout."""
    jenkins = Jenkins(
        home,
        user,
        token,
        executors=executors,
        quiet_period=quiet_period,
        keep_undefined_parameters=keep_undefined_parameters,
    )
    httpd = ThreadingHTTPServer((HOST, port), Handler)
    httpd.daemon_threads = True
    httpd.jenkins = jenkins  # type: ignore[attr-defined]
    jenkins.base_url = f"http://{HOST}:{httpd.server_address[1]}/"
    print(f"listening {jenkins.base_url.rstrip('/')}", flush=True)

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %s: shutting down", signum)
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        jenkins.close()
        httpd.server_close()
        log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tests/servers/jenkins", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--port", type=int, default=0, help="0: a free port (default)")
    parser.add_argument("--home", type=Path, required=True, help="JENKINS_HOME: jobs, builds, workspaces")
    parser.add_argument("--user", default="cm")
    parser.add_argument("--token", required=True, help="the user's API token (Basic auth password)")
    parser.add_argument("--executors", type=int, default=2)
    parser.add_argument("--quiet-period", type=float, default=0.5, help="seconds a queued build waits")
    parser.add_argument("--keep-undefined-parameters", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(threadName)s: %(message)s",
    )
    serve(
        args.home,
        args.user,
        args.token,
        args.port,
        executors=args.executors,
        quiet_period=args.quiet_period,
        keep_undefined_parameters=args.keep_undefined_parameters,
    )
    return 0
