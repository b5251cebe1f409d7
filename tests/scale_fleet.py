"""A generated fleet of many tiny products for the scale tests and benchmarks: each product a real git
repository (a one-file node package, one ``feat:`` commit, so it has a release to cut), a trivial
local-runner build, a release published to the fleet's ``file`` registry, and a few ``dependsOn``
edges (always to an earlier product, so the graph stays acyclic), all drawn from a seed."""

from __future__ import annotations

import json
import random
from pathlib import Path

from codemonkeys.repos import run as git

FLEET = """apiVersion: codemonkeys.dev/v1
kind: Fleet
metadata: {{name: scale-fleet}}
spec:
  companies:
    - name: scale
  registries:
    local: {{type: file, path: {registry}}}
  ci:
    default: local
"""

CONSTITUTION = """apiVersion: codemonkeys.dev/v1
kind: Constitution
metadata: {name: scale-constitution}
spec:
  default: deny
  rules:
    - id: allow-pipeline
      match: {actions: [build.run, release.cut, release.publish]}
    - id: release-needs-green-build
      match: {actions: ["release.*"]}
      require: [build.green]
    - id: release-after-dependencies
      match: {actions: [release.cut]}
      require: [deps.release.published]
"""

PRODUCT = """apiVersion: codemonkeys.dev/v1
kind: Product
metadata: {{name: {name}, company: scale}}
spec:
  source: {{repo: {repo}}}
  language: node
{depends}  build:
    command: {command}
  release:
    want: released
    versioning: conventional
    publish:
      - registry: local
        package: {name}
"""

GIT_ENV = ["-c", "user.name=Scale", "-c", "user.email=scale@example.invalid"]


def write_scale_fleet(
    root: Path, products: int = 60, edges: int = 12, seed: int = 19, command: list[str] | None = None
) -> tuple[Path, dict[str, list[str]]]:
    """Write ``root/fleet`` (a git repo), ``root/repos/<name>`` and ``root/registry``; returns the fleet
    directory and each product's dependencies."""
    rng = random.Random(seed)
    command = command or ["node", "-e", "process.exit(0)"]
    fleet, repos, registry = root / "fleet", root / "repos", root / "registry"
    (fleet / "products").mkdir(parents=True)
    registry.mkdir(parents=True)
    names = [f"scale-{i:02d}" for i in range(products)]
    deps: dict[str, list[str]] = {n: [] for n in names}
    while sum(len(d) for d in deps.values()) < min(edges, products - 1):
        i = rng.randrange(1, products)
        j = rng.randrange(0, i)
        if names[j] not in deps[names[i]]:
            deps[names[i]].append(names[j])
    for name in names:
        repo = repos / name
        repo.mkdir(parents=True)
        package = {"name": name, "version": "0.0.0", "main": "index.js", "files": ["index.js"]}
        (repo / "package.json").write_text(json.dumps(package, indent=2) + "\n")
        (repo / "index.js").write_text(f"module.exports = {json.dumps(name)};\n")
        git(["init", "-q", "-b", "main"], repo)
        git(["add", "package.json", "index.js"], repo)
        git([*GIT_ENV, "commit", "-qm", f"feat: {name}"], repo)
        depends = f"  dependsOn: {json.dumps(sorted(deps[name]))}\n" if deps[name] else ""
        (fleet / "products" / f"{name}.yaml").write_text(
            PRODUCT.format(name=name, repo=f"../repos/{name}", depends=depends, command=json.dumps(command))
        )
    (fleet / "fleet.yaml").write_text(FLEET.format(registry="../registry"))
    (fleet / "constitution.yaml").write_text(CONSTITUTION)
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "fleet.yaml", "constitution.yaml", "products"], fleet)
    git([*GIT_ENV, "commit", "-qm", "scale fleet"], fleet)
    return fleet, deps
