"""A real Git HTTP server for tests: git's own ``git http-backend`` (smart HTTP, fetch and push) behind
HTTP Basic authentication, as private Git hosting is. Each request runs the backend as a CGI process."""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BACKEND = Path("/usr/lib/git-core/git-http-backend")


@dataclass
class GitHttp:
    """Where the server answers, the repositories it serves and the one login it accepts."""

    url: str
    root: Path
    username: str
    password: str
    requests: list[tuple[str, str, int]]  # (method, path, status)


def _handler(server: GitHttp) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{server.username}:{server.password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _serve(self) -> None:
            if self.headers.get("Authorization") != expected:
                server.requests.append((self.command, self.path, 401))
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = self._body()
            path, _, query = self.path.partition("?")
            env = {
                "PATH": os.environ.get("PATH", ""),
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REMOTE_USER": server.username,  # lets the backend accept pushes
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            }
            out = subprocess.run([str(BACKEND)], input=body, env=env, capture_output=True, check=False).stdout
            head, _, payload = out.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.decode("latin-1").split("\r\n"):
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.split()[0])
                elif key:
                    headers.append((key, value.strip()))
            server.requests.append((self.command, self.path, status))
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        do_GET = do_POST = _serve

    return Handler


@contextlib.contextmanager
def git_http(root: Path, username: str, password: str) -> Iterator[GitHttp]:
    """Serve the bare repositories under ``root`` at ``http://127.0.0.1:PORT/<name>.git``."""
    if not BACKEND.exists():
        raise RuntimeError(f"{BACKEND} is missing: install Debian's git")
    info = GitHttp("", root, username, password, [])
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(info))
    info.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield info
    finally:
        httpd.shutdown()
        httpd.server_close()
