"""Serve ``/`` (the version), ``/version`` and ``/healthz`` over HTTP (standard library only)."""

import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import PackageNotFoundError, version

from acme_web import REQUIRED_SETTINGS


def current_version() -> str:
    """The installed distribution's version."""
    try:
        return version("acme-web")
    except PackageNotFoundError:
        return "0+unknown"


def load_settings(path: str | None) -> dict:
    """The JSON settings file, {} if there is none."""
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def health(settings: dict) -> tuple[int, str]:
    """200 and ``ok <version>`` when every required setting is present, else 503 naming the first gap."""
    missing = [k for k in REQUIRED_SETTINGS if not settings.get(k)]
    if missing:
        return 503, f"unhealthy {current_version()}: missing setting {missing[0]}"
    return 200, f"ok {current_version()}"


def handler(settings: dict):
    """A request handler over ``settings``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            if self.path == "/healthz":
                code, body = health(settings)
            elif self.path in ("/", "/version"):
                code, body = 200, current_version()
            else:
                code, body = 404, "not found"
            data = (body + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def main() -> None:
    """Parse the arguments and serve until killed."""
    p = argparse.ArgumentParser(prog="acme_web")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--config")
    a = p.parse_args()
    ThreadingHTTPServer((a.host, a.port), handler(load_settings(a.config))).serve_forever()


if __name__ == "__main__":
    main()
