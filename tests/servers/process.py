"""What every test server process shares: its log's tail, a stop that escalates, context-manager use.

Mixed into the server dataclasses (registries.Server, jenkins.launch.JenkinsServer), which provide
``process``, ``log_path`` and ``_log_file``.
"""

from __future__ import annotations

import subprocess
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

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
