"""The Jenkins CI backend's shared pieces: connection, job naming, job and Jenkinsfile templates.

Used by the Jenkins observer (observe/ci_jenkins.py, batch observation) and the build actuator
(act/build_jenkins.py). Talks the Jenkins Remote Access API through ``python-jenkins`` (the ``[jenkins]``
extra). Credentials (user + API token) come from the environment variables the Fleet names; errors
name the job and the server and never carry the token.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from codemonkeys.demo import project_dir
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import JenkinsConfig, Product

COMMIT_PARAM = "COMMIT"


class JenkinsError(Exception):
    """A Jenkins call failed: the message names the server and the job, never a credential."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def templates_dir() -> Path:
    return project_dir() / "resources" / "jenkins"


def job_name(product: Product) -> str:
    """``build.job`` if given, else ``<company>/<product>`` (a folder per company), else the product."""
    if product.spec.build and product.spec.build.job:
        return product.spec.build.job
    company = product.metadata.company
    return f"{company}/{product.metadata.name}" if company else product.metadata.name


def render_job_config(product: Product, repo_url: str, script_path: str = "Jenkinsfile") -> str:
    text = (templates_dir() / "job-pipeline.xml").read_text()
    return Template(text).substitute(
        product=escape(product.metadata.name),
        branch=escape(product.spec.source.branch),
        repo=escape(repo_url),
        script_path=escape(script_path),
    )


def render_folder_config(company: str) -> str:
    return Template((templates_dir() / "folder.xml").read_text()).substitute(company=escape(company))


def render_jenkinsfile(product: Product) -> str:
    """A Jenkinsfile for a product without one, from resources/jenkins/Jenkinsfile.<language>."""
    build = product.spec.build
    assert build is not None and build.command, "a generated Jenkinsfile runs build.command"
    path = templates_dir() / f"Jenkinsfile.{product.spec.language}"
    if not path.is_file():
        path = templates_dir() / "Jenkinsfile.python"
    command = shlex.join(build.command).replace("'", "\\'")
    return Template(path.read_text()).substitute(command=command, timeout_minutes=max(1, build.timeout // 60))


def same_config(a: str, b: str) -> bool:
    """Configs match when they differ only in whitespace between tags and the XML declaration."""

    def norm(x: str) -> str:
        x = re.sub(r"<\?xml[^>]*\?>", "", x)
        x = re.sub(r"<!--.*?-->", "", x, flags=re.S)
        return re.sub(r">\s+<", "><", x).strip()

    return norm(a) == norm(b)


@dataclass
class Connection:
    """A python-jenkins client with a per-host minimum interval between requests."""

    config: JenkinsConfig
    client: Any
    min_interval: float = 0.02
    _last: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.config.url.rstrip("/")

    def call(self, what: str, fn, *args, **kwargs):
        """Run one client call; map python-jenkins errors to JenkinsError naming ``what`` and the server."""
        import jenkins
        import requests

        with self._lock:
            wait = self._last + self.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
        try:
            return fn(*args, **kwargs)
        except jenkins.NotFoundException:
            raise JenkinsError(f"{what}: not found on Jenkins {self.url}") from None
        except jenkins.TimeoutException:
            raise JenkinsError(f"{what}: Jenkins {self.url} timed out", transient=True) from None
        except jenkins.JenkinsException as exc:
            text = str(exc)
            code = re.search(r"\[(\d{3})\]", text)
            status = code.group(1) if code else ""
            if status in ("401", "403"):
                raise JenkinsError(
                    f"{what}: Jenkins {self.url} refused the credentials ({status}); "
                    f"check {self.config.user_env} / {self.config.token_env}"
                ) from None
            raise JenkinsError(
                f"{what}: Jenkins {self.url} error {status or ''}".strip(), transient=status.startswith("5")
            ) from None
        except requests.RequestException as exc:
            raise JenkinsError(
                f"{what}: cannot reach Jenkins {self.url} ({type(exc).__name__})", transient=True
            ) from None


def job_path(job: str) -> str:
    """URL path of a job: ``a/b`` -> ``job/a/job/b``."""
    return "/".join(f"job/{quote(part, safe='')}" for part in job.split("/"))


def get_json(conn: Connection, path: str, what: str) -> Any:
    """GET ``path`` (relative to the server) as JSON through the client's authenticated session."""
    import requests

    url = f"{conn.url}/{path.lstrip('/')}"
    text = conn.call(what, conn.client.jenkins_open, requests.Request("GET", url))
    return json.loads(text)


def connect(desired: DesiredState, timeout: float = 30.0) -> Connection:
    try:
        import jenkins  # the [jenkins] extra
    except ImportError:
        raise JenkinsError(
            "the Jenkins backend needs the [jenkins] extra: pip install 'codemonkeys[jenkins]'"
        ) from None

    config = desired.fleet.spec.ci.jenkins
    if config is None:
        raise JenkinsError("the Fleet has no spec.ci.jenkins")
    user = os.environ.get(config.user_env or "", "")
    token = os.environ.get(config.token_env or "", "")
    client = jenkins.Jenkins(config.url, username=user or None, password=token or None, timeout=timeout)
    if not config.verify_tls:
        client._session.verify = False  # python-jenkins exposes no public switch
    return Connection(config=config, client=client)
