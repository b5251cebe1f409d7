"""Batch observation of Jenkins: one request per folder versus two requests per job.

Run from the project root::

    .venv/bin/python benchmarks/jenkins_observe.py            # 200 jobs in 4 folders
    .venv/bin/python benchmarks/jenkins_observe.py --jobs 50

Starts the Jenkins-REST-compatible test server (tests/servers/jenkins), creates the jobs (freestyle,
one `true` shell step), builds each once with a COMMIT parameter, then observes every job's builds
(a) the way the observer does, ``GET /job/<folder>/api/json?tree=jobs[...]`` once per folder, and
(b) job by job with python-jenkins, ``get_job_info`` then ``get_build_info`` of the last build.
Reports requests, wall time (best of 5) and the ratio. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from codemonkeys.ci.jenkins import (  # noqa: E402
    Connection,
    build_facts,
    fetch_folder,
    parse_folder,
)
from codemonkeys.kinds.models import JenkinsConfig  # noqa: E402
from servers.jenkins.launch import start_jenkins  # noqa: E402

FREESTYLE = """<?xml version='1.1' encoding='UTF-8'?>
<project>
  <properties>
    <hudson.model.ParametersDefinitionProperty><parameterDefinitions>
      <hudson.model.StringParameterDefinition><name>COMMIT</name><defaultValue>x</defaultValue>
      </hudson.model.StringParameterDefinition>
    </parameterDefinitions></hudson.model.ParametersDefinitionProperty>
  </properties>
  <builders><hudson.tasks.Shell><command>true</command></hudson.tasks.Shell></builders>
</project>
"""
FOLDER = """<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder">
  <properties/>
</com.cloudbees.hudson.plugins.folder.Folder>
"""


def best(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--folders", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, start_jenkins(Path(tmp) / "home", quiet_period=0) as server:
        client = server.client()
        folders = [f"company{i}" for i in range(args.folders)]
        for f in folders:
            client.create_job(f, FOLDER)
        jobs = [f"{folders[i % len(folders)]}/product-{i:03d}" for i in range(args.jobs)]
        setup = time.perf_counter()
        for job in jobs:
            client.create_job(job, FREESTYLE)
        queue = [(job, client.build_job(job, {"COMMIT": f"c{i:03d}"})) for i, job in enumerate(jobs)]
        for _job, qid in queue:
            while not client.get_queue_item(qid).get("executable"):
                time.sleep(0.05)
        for job in jobs:
            while client.get_build_info(job, 1).get("building"):
                time.sleep(0.05)
        print(
            f"{args.jobs} jobs in {args.folders} folders created and built once "
            f"({time.perf_counter() - setup:.1f}s)"
        )

        conn = Connection(config=JenkinsConfig(url=server.url), client=client, min_interval=0)

        def batch() -> int:
            found = 0
            for f in folders:
                listing = parse_folder(fetch_folder(conn, f))
                found += sum(
                    1
                    for name, builds in listing.items()
                    if build_facts(builds, f"c{int(name.rsplit('-', 1)[1]):03d}").status == "success"
                )
            assert found == args.jobs, found
            return len(folders)

        def per_job() -> int:
            found = 0
            for job in jobs:
                info = client.get_job_info(job)
                build = client.get_build_info(job, info["lastBuild"]["number"])
                found += build["result"] == "SUCCESS"
            assert found == args.jobs, found
            return 2 * len(jobs)

        batch_s = best(5, batch)
        per_job_s = best(5, per_job)
        print(f"  batch (1 request per folder): {len(folders):4d} requests  {batch_s * 1e3:8.1f} ms")
        print(f"  per job (2 requests per job): {2 * len(jobs):4d} requests  {per_job_s * 1e3:8.1f} ms")
        print(
            f"  ratio: {per_job_s / batch_s:.1f}x faster, {2 * len(jobs) / len(folders):.0f}x fewer requests"
        )


if __name__ == "__main__":
    main()
