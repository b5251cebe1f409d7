"""Start the test Jenkins (server.py) as a subprocess for a test.

    with start_jenkins(tmp_path / "jenkins") as jenkins:
        client = jenkins.client()  # a python-jenkins `Jenkins` with the user and token
        client.create_job("hello", CONFIG_XML)

The server picks a free port itself (`--port 0`) and announces it on its first stdout line, so there is
no race for the port. Its output goes to HOME/jenkins-server.log; a server that does not come up
raises `JenkinsStartError` with the tail of that log. Starting again on the same home keeps the jobs
and builds (use the same `token` to keep clients working).
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servers.process import ManagedProcess

HERE = Path(__file__).resolve().parent
LOG_NAME = "jenkins-server.log"


class JenkinsStartError(RuntimeError):
    """The server did not come up."""


@dataclass
class JenkinsServer(ManagedProcess):
    stop_timeout = 15.0  # on SIGTERM the server aborts its running builds first
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    user: str
    token: str
    process: subprocess.Popen
    home: Path
    log_path: Path
    startup_seconds: float = 0.0
    _log_file: Any = field(default=None, repr=False)

    def client(self, **kwargs: Any) -> Any:
        """A python-jenkins client for this server (python-jenkins is a test dependency)."""
        import jenkins  # only the tests that use it need python-jenkins

        return jenkins.Jenkins(self.url, username=self.user, password=self.token, **{"timeout": 30, **kwargs})


def start_jenkins(
    home: Path,
    user: str = "cm",
    *,
    token: str | None = None,
    executors: int = 2,
    quiet_period: float = 0.5,
    extra_args: tuple[str, ...] = (),
    timeout: float = 30.0,
) -> JenkinsServer:
    """Run `python tests/servers/jenkins` on a free port; returns once `GET /` answers."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    token = token or secrets.token_hex(16)
    log_path = home / LOG_NAME
    log_file = open(log_path, "ab")  # noqa: SIM115 - closed by JenkinsServer.stop()
    offset = log_file.tell()
    argv = [sys.executable, str(HERE), "--port", "0", "--home", str(home), "--user", user, "--token", token]
    argv += ["--executors", str(executors), "--quiet-period", str(quiet_period), *extra_args]
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=home,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C in the test run does not hit it first; stop() ends it
    )
    server = JenkinsServer(
        url="", user=user, token=token, process=process, home=home, log_path=log_path, _log_file=log_file
    )
    return server.wait_announced(offset, started, timeout, _answers, "the test Jenkins", JenkinsStartError)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.headers.get("X-Jenkins") is not None
    except urllib.error.HTTPError as e:
        return e.headers.get("X-Jenkins") is not None
    except (urllib.error.URLError, OSError):
        return False
