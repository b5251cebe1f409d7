"""Run a hosts playbook (probe or rollout) over an inventory with ansible-runner, collecting per-host
results from its events.

Secret variables never travel on a command line nor in ansible-runner's ``env/extravars``: they go into
a file of mode 600 in the run's private directory (mode 700), passed as ``-e @FILE``, and removed with
the directory after the run. Every line of output is redacted before anyone sees it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class HostResult:
    """What one host did in a run: tasks ok/changed, its failure or unreachability, reported values."""

    host: str
    changed: int = 0
    failed: str | None = None  # the failing task's message
    unreachable: str | None = None
    reported: dict[str, Any] = field(default_factory=dict)  # debug var -> value ("Report ..." tasks)
    finished: bool = False  # it completed the last task of the play


@dataclass
class HostsRun:
    """A finished run: ansible-runner's status, the redacted log and the results by host."""

    status: str
    log: str
    hosts: dict[str, HostResult]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the playbook succeeded on every host."""
        return self.status == "successful"


def _message(res: dict[str, Any]) -> str:
    parts = [str(res.get(k) or "").strip() for k in ("msg", "stderr")]
    text = ": ".join(p for p in parts if p) or str(res.get("stdout") or "").strip()
    return text[:500]


def _handle(event: dict[str, Any], hosts: dict[str, HostResult], last_task: str | None) -> None:
    data = event.get("event_data") or {}
    host, kind = data.get("host"), event.get("event")
    if not host:
        return
    r = hosts.setdefault(host, HostResult(host))
    res = data.get("res") or {}
    if kind == "runner_on_ok":
        if res.get("changed"):
            r.changed += 1
        for key, value in res.items():
            if key.startswith("cm_"):
                r.reported[key] = value
        if last_task and data.get("task") == last_task:
            r.finished = True
    elif kind == "runner_on_skipped" and last_task and data.get("task") == last_task:
        r.finished = True
    elif kind == "runner_on_failed" and not data.get("ignore_errors"):
        r.failed = f"{data.get('task')}: {_message(res)}"
    elif kind == "runner_on_unreachable":
        r.unreachable = _message(res) or "unreachable"


def run_hosts_playbook(
    playbook: Path,
    inventory: Path,
    extravars: Mapping[str, Any],
    secret_vars: Mapping[str, Any],
    tool_env: Mapping[str, str],
    redact: Callable[[str], str],
    limit: Sequence[str] | None = None,
    last_task: str | None = None,
    on_line: Callable[[str], None] | None = None,
    forks: int = 10,
) -> HostsRun:
    """Run ``playbook`` on ``inventory`` (``limit``: only these hosts); ``last_task`` names the task whose
    completion marks a host finished."""
    import time

    try:
        import ansible_runner  # the [deploy] extra
    except ImportError:
        return HostsRun("failed", "deploying needs the [deploy] extra (ansible-runner)", {})
    lines: list[str] = []
    hosts: dict[str, HostResult] = {}

    def on_event(event: dict[str, Any]) -> bool:
        text = _ANSI.sub("", event.get("stdout") or "")
        if text.strip():
            line = redact(text.strip("\r\n")) + "\n"  # one event's output per line (a task, then its result)
            lines.append(line)
            if on_line is not None:
                on_line(line)
        _handle(event, hosts, last_task)
        return True

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cm-deploy-") as private:
        os.chmod(private, 0o700)
        cmdline = []
        if secret_vars:
            path = Path(private) / "secret-vars.json"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(dict(secret_vars), f)
            cmdline += ["-e", f"@{path}"]
        envvars = {
            "PATH": tool_env["PATH"],
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_HOME": f"{private}/home",
            "ANSIBLE_LOCAL_TEMP": f"{private}/tmp",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_PIPELINING": "1",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": f"{private}/cp",
        }
        result = ansible_runner.run(
            private_data_dir=private,
            playbook=str(playbook),
            inventory=str(inventory),
            extravars=dict(extravars),
            envvars=envvars,
            cmdline=shlex.join(cmdline) if cmdline else None,
            limit=",".join(limit) if limit else None,
            forks=forks,
            quiet=True,
            rotate_artifacts=1,
            event_handler=on_event,
        )
        status = result.status
    return HostsRun(status, "".join(lines), hosts, time.monotonic() - start)
