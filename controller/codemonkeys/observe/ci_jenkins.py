"""Jenkins observer: the build facts of many products from one request per folder (batch observation).

Instead of two requests per job (job info, then build info), one
``GET /job/<folder>/api/json?tree=jobs[name,builds[number,result,building,duration,timestamp,url,
actions[parameters[name,value]]]]`` returns every job of a folder with its builds and their parameters;
``parse_folder`` (pure) turns it into build records, ``build_facts`` picks the newest build of the
commit a product wants built (the ``COMMIT`` parameter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from codemonkeys.jenkinsci import COMMIT_PARAM, Connection, get_json, job_path
from codemonkeys.vocab.facts import BuildFacts, BuildStatus

BUILDS_TREE = "builds[number,result,building,duration,timestamp,url,actions[parameters[name,value]]]"
FOLDER_TREE = f"jobs[name,{BUILDS_TREE}]"

# ABORTED / NOT_BUILT carry no verdict on the code: the commit may be built again.
_RESULTS = {"SUCCESS": BuildStatus.SUCCESS, "UNSTABLE": BuildStatus.FAILURE, "FAILURE": BuildStatus.FAILURE}


@dataclass(frozen=True)
class BuildRecord:
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


def fetch_folder(conn: Connection, folder: str) -> dict[str, Any]:
    """One request for every job of ``folder`` ("" is the top level)."""
    base = f"{job_path(folder)}/" if folder else ""
    return get_json(conn, f"{base}api/json?tree={FOLDER_TREE}", f"folder {folder or '/'}")
