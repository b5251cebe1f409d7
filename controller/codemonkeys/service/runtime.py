"""The controller service's lifecycle: build the controller from options, then run it once or serve it
(uvicorn in a thread, the controller's loops, SIGTERM/SIGINT for a graceful stop)."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codemonkeys.api import ApiError, Context, GitError
from codemonkeys.api.tools import sandbox_status
from codemonkeys.service.auth import AccessError, check_listen, load_access
from codemonkeys.service.controller import Controller, ControllerConfig
from codemonkeys.service.fleetsource import RemoteFleet, is_git_url
from codemonkeys.service.limits import BodyLimits


class ServiceError(Exception):
    """The service cannot start (invalid fleet, unreachable fleet repo, port in use)."""


@dataclass(frozen=True)
class ServiceOptions:
    """What ``cmctl controller run`` was asked for."""

    fleet: str
    branch: str = "main"
    listen: str = "127.0.0.1:8080"
    interval: float = 180.0
    parallelism: int = 2
    token_env: str = "CMCTL_API_TOKEN"
    webhook_secret_env: str = "CMCTL_WEBHOOK_SECRET"
    log_json: bool = False
    once: bool = False
    tokens: Path | None = None  # --tokens FILE: named callers with roles (service/auth.py)
    workers: int | None = None  # reconciles at once on the database's job queue (state on PostgreSQL)
    heartbeat: float = 5.0  # worker heartbeat; a worker silent 4 heartbeats is dead and its jobs recovered
    limits: BodyLimits = field(default_factory=BodyLimits)  # --max-body: largest request bodies (limits.py)


def build_controller(options: ServiceOptions, context: Context) -> Controller:
    """A controller for the options (a remote fleet is cloned first); ``ServiceError`` if it cannot start."""
    remote = RemoteFleet(options.fleet, options.branch, context.home) if is_git_url(options.fleet) else None
    config = ControllerConfig(
        fleet=Path(options.fleet),
        remote=remote,
        interval=options.interval,
        parallelism=options.parallelism,
        api_token=context.secrets.get(options.token_env),
        webhook_secret=context.secrets.get(options.webhook_secret_env),
        workers=None if options.once else options.workers,
        heartbeat=options.heartbeat,
        stalled_after=4 * options.heartbeat,
    )
    try:
        return Controller(config, context)
    except (ValueError, GitError, ApiError) as exc:
        raise ServiceError(str(exc)) from None


class JsonLines(logging.Formatter):
    """``--log-json``: one JSON object per record, ``{"at", "level", "msg"}``; the controller's own
    messages are JSON already and are kept as objects, any other (a library's text) as a string."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        text = record.getMessage()
        try:
            msg = json.loads(text) if text.startswith("{") else text
        except ValueError:
            msg = text
        doc = {"at": self.formatTime(record), "level": record.levelname, "msg": msg}
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc)


def serve(
    options: ServiceOptions, context: Context, say: Callable[[str], None], warn: Callable[[str], None]
) -> int:
    """Run the controller until SIGTERM/SIGINT (or once with ``options.once``); returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if options.log_json:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLines())
    host = options.listen.rpartition(":")[0]
    refused = None if options.once else check_listen(host, options.tokens)
    if refused:
        raise ServiceError(refused)
    access = None if options.once and options.tokens is None else _access(options, context)
    held = [options.tokens] if options.tokens is not None else []
    context = context.holding(  # every redactor masks the API tokens and the webhook secret too
        [
            *(access.secret_values() if access else ()),
            context.secrets.get(options.token_env),
            context.secrets.get(options.webhook_secret_env),
        ],
        held,
    )
    logging.getLogger("procrastinate").setLevel(logging.WARNING)  # a line per job: too much
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugins and DDL mode at every start
    ctl = build_controller(options, context)
    if options.once:
        return 0 if ctl.run_once() else 1
    server, http = _http_server(ctl, options.listen, access, options.limits)
    done = threading.Event()

    def on_signal(signum, _frame) -> None:
        warn(f"received {signal.Signals(signum).name}: finishing the action in flight, then exiting")
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ctl.start()
    http.start()
    say(f"controller running: fleet {options.fleet}, API http://{options.listen}")
    say(f"resync every {options.interval:g}s per product" if options.interval else "no resync timer")
    say(sandbox_status(context))
    if options.tokens is not None:
        say(f"access: {len(access.principals)} token(s) from {options.tokens}; reading needs a viewer")
    if ctl.jobs is not None:
        say(f"{options.workers} worker(s) on the state database's job queue, as {ctl.label}")
    code = 0
    while not done.wait(0.5):
        if not http.is_alive():
            warn("error: the HTTP server stopped (is the port free?)")
            code = 1
            break
    server.should_exit = True
    ctl.shutdown()
    http.join(timeout=10)
    say("controller stopped")
    return code


def _access(options: ServiceOptions, context: Context):
    """The callers (``--tokens`` plus the API token), checked before anything starts. ``tokenRef`` is
    resolved like a fleet's secrets (for a fleet given by URL: the environment and the secrets
    directory only, since it is not cloned yet)."""
    fleet_root = None if is_git_url(options.fleet) else Path(options.fleet)
    try:
        return load_access(
            options.tokens,
            context.secrets.get(options.token_env),
            context.secrets.provider(fleet_root).resolve,
        )
    except AccessError as exc:
        raise ServiceError(str(exc)) from None


def _http_server(ctl: Controller, listen: str, access=None, limits: BodyLimits | None = None):
    import uvicorn

    from codemonkeys.service.api import create_app

    host, _, port = listen.rpartition(":")
    config = uvicorn.Config(
        create_app(ctl, access, limits),
        host=host or "127.0.0.1",
        port=int(port),
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    return server, threading.Thread(target=server.run, name="cm-http", daemon=True)
