"""The Jenkins CI backend: connection, job naming, job and Jenkinsfile templates, and the batch read of
a folder's builds (pure parse included).

Used by the build observer (facets/build/observer.py, one request per folder) and the build actuator
(facets/build/jenkins.py); neither reaches into the other. Talks the Jenkins Remote Access API through
``python-jenkins`` (the ``[jenkins]`` extra). Credentials (user + API token) come from the secrets the
Fleet names; errors name the job and the server and never carry the token.

Batch read: instead of two requests per job (job info, then build info), one
``GET /job/<folder>/api/json?tree=jobs[name,builds[number,result,building,duration,timestamp,url,
actions[parameters[name,value]]]]`` returns every job of a folder with its builds and their parameters;
``parse_folder`` (pure) turns it into build records, ``build_facts`` picks the newest build of the
commit a product wants built (the ``COMMIT`` parameter).
"""

from __future__ import annotations

import json
import re
import shlex
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from codemonkeys.context import Resources, Secrets
from codemonkeys.kinds.credentials import company_of, credentials_for
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import Credentials, JenkinsConfig, Product
from codemonkeys.secrets import SecretError
from codemonkeys.vocab.facts import BuildFacts, BuildStatus

COMMIT_PARAM = "COMMIT"


class JenkinsError(Exception):
    """A Jenkins call failed: the message names the server and the job, never a credential."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def templates_dir(resources: Resources) -> Path:
    """Where the job, folder and Jenkinsfile templates live."""
    return resources.jenkins


def job_name(product: Product) -> str:
    """``build.job`` if given, else ``<company>/<product>`` (a folder per company), else the product."""
    if product.spec.build and product.spec.build.job:
        return product.spec.build.job
    company = product.metadata.company
    return f"{company}/{product.metadata.name}" if company else product.metadata.name


def render_job_config(
    product: Product, repo_url: str, resources: Resources, script_path: str = "Jenkinsfile"
) -> str:
    """The Pipeline job's config.xml ("Pipeline script from SCM" of the product's repo and branch)."""
    text = (templates_dir(resources) / "job-pipeline.xml").read_text()
    return Template(text).substitute(
        product=escape(product.metadata.name),
        branch=escape(product.spec.source.branch),
        repo=escape(repo_url),
        script_path=escape(script_path),
    )


def render_folder_config(company: str, resources: Resources) -> str:
    """The config.xml of a company's folder."""
    return Template((templates_dir(resources) / "folder.xml").read_text()).substitute(company=escape(company))


def render_jenkinsfile(product: Product, resources: Resources) -> str:
    """A Jenkinsfile for a product without one, from resources/jenkins/Jenkinsfile.<language>."""
    build = product.spec.build
    assert build is not None and build.command, "a generated Jenkinsfile runs build.command"
    path = templates_dir(resources) / f"Jenkinsfile.{product.spec.language}"
    if not path.is_file():
        path = templates_dir(resources) / "Jenkinsfile.python"
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
    source: str = ""  # whose credentials these are, for the message of a refusal
    _last: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """The server's URL without a trailing slash."""
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
                    f"check {self.source or f'{self.config.user_env} / {self.config.token_env}'}"
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


@dataclass(frozen=True)
class ConsoleChunk:
    """One answer of the progressive console API: the bytes from the offset asked for, the offset to ask
    for next (``X-Text-Size``), and whether the build may still write more (``X-More-Data``)."""

    data: bytes
    size: int
    more: bool


def progressive_console(conn: Connection, job: str, number: int, start: int) -> ConsoleChunk:
    """``GET /job/<job>/<number>/logText/progressiveText?start=<start>``: the build's console from byte
    ``start`` on (one request). ``JenkinsError`` ("not found") when the server has no such build or no
    such API."""
    import requests

    url = f"{conn.url}/{job_path(job)}/{number}/logText/progressiveText?start={start}"
    request = requests.Request("GET", url)
    response = conn.call(f"job {job} #{number} console", conn.client.jenkins_request, request)
    data = response.content
    try:
        size = int(response.headers.get("X-Text-Size", ""))
    except ValueError:
        size = start + len(data)
    more = response.headers.get("X-More-Data", "").lower() == "true"
    return ConsoleChunk(data, max(size, start), more)


def connect(
    desired: DesiredState, secrets: Secrets, timeout: float = 30.0, product: str | None = None
) -> Connection:
    """A client for the Fleet's Jenkins, authenticated with the user and token its secrets name
    (environment variables, or ``{secretRef: NAME}``; ``JenkinsError`` naming one that cannot be had);
    for ``product``, with its company's Jenkins credentials when the company gives them
    (``kinds.credentials.credentials_for``)."""
    try:
        import jenkins  # the [jenkins] extra
    except ImportError:
        raise JenkinsError(
            "the Jenkins backend needs the [jenkins] extra: pip install 'codemonkeys[jenkins]'"
        ) from None

    config = desired.fleet.spec.ci.jenkins
    if config is None:
        raise JenkinsError("the Fleet has no spec.ci.jenkins")
    creds = credentials_for(desired, product, "jenkins") or Credentials()
    company = company_of(desired, product)
    own = company is not None and company.credentials is not None and company.credentials.jenkins is not None
    source = f"the Jenkins credentials of company {company.name}" if own and company else ""
    fleet_secrets = secrets.at(desired.root)
    try:
        user = fleet_secrets.credential(creds.username_env, creds.username, "jenkins user")
        token = fleet_secrets.credential(
            creds.token_env or creds.password_env, creds.token or creds.password, "jenkins token"
        )
    except SecretError as exc:
        raise JenkinsError(f"{source}: {exc}" if source else str(exc)) from None
    client = jenkins.Jenkins(config.url, username=user or None, password=token or None, timeout=timeout)
    if not config.verify_tls:
        client._session.verify = False  # python-jenkins exposes no public switch
    return Connection(config=config, client=client, source=source)


# --- batch read of a folder (the observer and the actuator both use it) -----------------------

BUILDS_TREE = "builds[number,result,building,duration,timestamp,url,actions[parameters[name,value]]]"
FOLDER_TREE = f"jobs[name,{BUILDS_TREE}]"

# ABORTED / NOT_BUILT carry no verdict on the code: the commit may be built again.
_RESULTS = {"SUCCESS": BuildStatus.SUCCESS, "UNSTABLE": BuildStatus.FAILURE, "FAILURE": BuildStatus.FAILURE}


@dataclass(frozen=True)
class BuildRecord:
    """One Jenkins build of a job: number, result, whether it is running, timing, URL, the commit built."""

    number: int
    result: str | None
    building: bool
    duration_ms: int
    timestamp_ms: int
    url: str
    commit: str | None


def _params(build: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for action in build.get("actions") or []:
        for p in (action or {}).get("parameters") or []:
            out[p.get("name")] = p.get("value")
    return out


def parse_builds(job: dict[str, Any]) -> list[BuildRecord]:
    """Pure: a job's ``builds`` from the Jenkins API -> BuildRecords, in the order Jenkins lists them."""
    return [
        BuildRecord(
            number=b["number"],
            result=b.get("result"),
            building=bool(b.get("building")),
            duration_ms=int(b.get("duration") or 0),
            timestamp_ms=int(b.get("timestamp") or 0),
            url=b.get("url") or "",
            commit=_params(b).get(COMMIT_PARAM),
        )
        for b in job.get("builds") or []
    ]


def parse_folder(data: dict[str, Any]) -> dict[str, list[BuildRecord]]:
    """Pure: a folder's ``/api/json?tree=...`` answer -> job name -> its builds (newest first)."""
    return {
        job["name"]: sorted(parse_builds(job), key=lambda r: r.number, reverse=True)
        for job in data.get("jobs") or []
    }


def build_facts(builds: list[BuildRecord] | None, commit: str) -> BuildFacts:
    """Pure: the newest build of ``commit`` -> BuildFacts (NONE if never built or only aborted)."""
    for b in builds or []:
        if b.commit != commit:
            continue
        if b.building:
            return BuildFacts(commit=commit, status=BuildStatus.RUNNING, url=b.url)
        status = _RESULTS.get(b.result or "")
        if status is None:
            continue  # aborted or not built: look at older builds of the commit
        finished = datetime.fromtimestamp((b.timestamp_ms + b.duration_ms) / 1000, UTC)
        return BuildFacts(
            commit=commit,
            status=status,
            duration=b.duration_ms / 1000,
            finished_at=finished.isoformat(timespec="seconds"),
            url=b.url,
        )
    return BuildFacts(commit=commit, status=BuildStatus.NONE)


def folder_builds(conn: Connection, folder: str) -> dict[str, list[BuildRecord]]:
    """Job name -> builds (newest first) of every job in ``folder``; a folder that does not exist yet
    holds no builds (``build.run`` creates it). Other failures raise ``JenkinsError``."""
    try:
        return parse_folder(fetch_folder(conn, folder))
    except JenkinsError as exc:
        if "not found" in str(exc):
            return {}
        raise


def fetch_folder(conn: Connection, folder: str) -> dict[str, Any]:
    """One request for every job of ``folder`` ("" is the top level)."""
    base = f"{job_path(folder)}/" if folder else ""
    return get_json(conn, f"{base}api/json?tree={FOLDER_TREE}", f"folder {folder or '/'}")
