"""What every test server process shares: its log's tail, waiting for a ``--port 0`` server to announce
itself and answer, a stop that escalates, context-manager use.

Mixed into the server dataclasses (registries.Server, jenkins.launch.JenkinsServer,
ollama.launch.OllamaServer), which provide ``process``, ``log_path`` and ``_log_file``.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class ManagedProcess:
    stop_timeout: float = 10.0

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM, then SIGKILL after ``timeout``. Safe to call twice."""
        timeout = self.stop_timeout if timeout is None else timeout
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def wait_announced(
        self,
        offset: int,
        started: float,
        timeout: float,
        answers: Callable[[str], bool],
        what: str,
        error: type,
    ):
        """Wait for a server started with ``--port 0``: it writes ``listening URL`` to its log (after
        ``offset``), then ``answers(URL + "/")``. Sets ``url`` and ``startup_seconds`` and returns the
        server; a process that exits or does not answer within ``timeout`` raises ``error`` with the log."""
        deadline = started + timeout
        while True:
            if self.process.poll() is not None:
                self.stop()
                raise error(
                    f"{what} exited with code {self.process.returncode} before it was ready; "
                    f"last lines of {self.log_path}:\n{tail(self.log_path, 40)}"
                )
            if not self.url:
                m = re.search(rb"^listening (http://\S+)", self.log_path.read_bytes()[offset:], re.MULTILINE)
                if m:
                    self.url = m.group(1).decode()
            if self.url and answers(self.url + "/"):
                self.startup_seconds = time.monotonic() - started
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise error(
                    f"{what} did not answer within {timeout:.0f}s; last lines of {self.log_path}:\n"
                    f"{tail(self.log_path, 40)}"
                )
            time.sleep(0.05)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
