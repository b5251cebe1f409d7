"""Write the ripple benchmark's fleet: real git repositories, a ``file`` registry at ``../registry``, local
builds that read the manifests (as ``tests/test_e2e_updates.py``'s STUB does) and then work a measured,
varied time, and ``dependsOn`` levels: the root, then levels 1.. each depending on products of the level
above. Python and npm products are mixed; each names the fleet packages of its ``dependsOn`` in the
manifest of their ecosystem (``pyproject.toml`` / ``package.json`` for its own language, ``requirements.txt``
for a node product's Python dependencies, a private ``package.json`` for a Python product's npm ones):
``>=1.0,<1.1`` for the root (so its next minor and major are both excluded), exact pins (``==1.0.0``,
``"1.0.0"``) below, so every patch release ripples on. Every dependent follows by itself
(``spec.dependencies.update.policy: major``) and heals with fix templates.

Every product is tagged ``v1.0.0`` at its head and its 1.0.0 artifact is in the registry, so once each
head is built the fleet is in sync. Two more products take part in the heal story of the major release:

* the **breaker** (the first Python product of level 1): its ``app.py`` calls the root's ``load``, which
  the root's 2.0 renames ``load_all`` (the build's stub of the root's API decides by the range the manifest
  takes, as the test's STUB);
* the **teacher** (outside the ripple: it releases nothing): its manifest already takes the root's 2.x and
  its ``app.py`` still calls ``load``, so its build is red until a person's fix (``fix_teacher``), whose
  green build teaches the fleet the template that heals the breaker's bump.
"""

from __future__ import annotations

import json
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ripple Bench",
    "GIT_AUTHOR_EMAIL": "ripple@example.invalid",
    "GIT_COMMITTER_NAME": "Ripple Bench",
    "GIT_COMMITTER_EMAIL": "ripple@example.invalid",
}
API = {"apiVersion": "codemonkeys.dev/v1"}
ROOT = "root"
TEACHER = "teacher"
ROOT_PACKAGE = "bench-root"
ROOT_RANGE = ">=1.0,<1.1"  # excludes 1.1.0 (the minor) and 2.0.0 (the major)

# The build: read the manifests as an installer would (every fleet package this product depends on must be
# named), work SLEEP seconds, and for a product with an app.py, import it against a stub of the root's API
# chosen by the range the manifest takes (2.x renamed load to load_all), as tests/test_e2e_updates.py's STUB.
CHECK = '''"""The build of {name}: the manifests read, {sleep:.2f} s of work, the app run against the root."""
import json, pathlib, re, sys, time, tomllib, types
SLEEP = {sleep!r}
NEEDS = {needs!r}
ranges = {{}}
here = pathlib.Path(".")
if (here / "pyproject.toml").is_file():
    project = tomllib.loads((here / "pyproject.toml").read_text()).get("project", {{}})
    for line in project.get("dependencies", []):
        m = re.match(r"([A-Za-z0-9._-]+)(.*)", line)
        ranges[m.group(1).lower()] = m.group(2)
if (here / "requirements.txt").is_file():
    for line in (here / "requirements.txt").read_text().splitlines():
        m = re.match(r"([A-Za-z0-9._-]+)(.*)", line.strip())
        if m:
            ranges[m.group(1).lower()] = m.group(2)
if (here / "package.json").is_file():
    ranges.update(json.loads((here / "package.json").read_text()).get("dependencies", {{}}))
missing = [p for p in NEEDS if p not in ranges]
if missing:
    sys.exit("the manifests name no " + ", ".join(missing))
print("building against", json.dumps({{p: ranges[p] for p in NEEDS}}, sort_keys=True), flush=True)
time.sleep(SLEEP)
if (here / "app.py").is_file():
    root = types.ModuleType("bench_root")
    if ">=2" in ranges.get("bench-root", ""):
        root.load_all = lambda: ["ok"]  # 2.0 renamed load
    else:
        root.load = lambda: ["ok"]
    sys.modules["bench_root"] = root
    import app
    print(app.main())
print("built", flush=True)
'''

TEACHER_APP = "from bench_root import load\n\n\ndef main():\n    return load()\n"
BREAKER_APP = "from bench_root import load\n\n\ndef main():\n    items = load()\n    return sorted(items)\n"


@dataclass
class Node:
    """One product of the generated fleet."""

    name: str
    level: int
    language: str  # python | node
    package: str
    deps: list[str] = field(default_factory=list)
    sleep: float = 1.0
    breaker: bool = False

    @property
    def ecosystem(self) -> str:
        return "pypi" if self.language == "python" else "npm"


@dataclass
class RippleFleet:
    """The generated fleet: where it is and what it is made of."""

    root: Path
    nodes: dict[str, Node]  # the ripple's products (root included), teacher excluded
    teacher: Node

    @property
    def fleet(self) -> Path:
        return self.root / "fleet"

    @property
    def registry(self) -> Path:
        return self.root / "registry"

    def repo(self, name: str) -> Path:
        return self.root / "repos" / name

    @property
    def dependents(self) -> list[str]:
        return sorted(n for n, node in self.nodes.items() if node.level > 0)

    def dependents_of(self, name: str) -> list[str]:
        return sorted(n for n, node in self.nodes.items() if name in node.deps)

    def versions(self, name: str) -> set[str]:
        """The versions of ``name``'s package in the file registry."""
        node = self.nodes[name]
        if node.language == "python":
            d = self.registry / "simple" / node.package
            return {f.name.split("-")[1] for f in d.glob("*.whl")} if d.is_dir() else set()
        d = self.registry / "npm" / node.package / "-"
        base = node.package.removeprefix("@").replace("/", "-") + "-"
        return {f.name[len(base) : -len(".tgz")] for f in d.glob("*.tgz")} if d.is_dir() else set()


def git(cwd: Path, *args: str) -> str:
    import os

    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, capture_output=True, text=True
    )
    return done.stdout


def _levels(products: int, levels: int) -> list[int]:
    """How many products each level holds: one root, the rest in proportion to the level's depth."""
    rest = products - 1
    weights = list(range(1, levels))
    sizes = [max(1, round(rest * w / sum(weights))) for w in weights]
    sizes[-1] = rest - sum(sizes[:-1])
    return [1, *sizes]


def _package(name: str, language: str) -> str:
    return f"bench-{name}" if language == "python" else f"@bench/{name}"


def plan_fleet(products: int, levels: int, seed: int, sleep: tuple[float, float]) -> dict[str, Node]:
    """The products, their languages, dependencies and build times, drawn from ``seed``."""
    rng = random.Random(seed)
    nodes: dict[str, Node] = {ROOT: Node(ROOT, 0, "python", ROOT_PACKAGE, [], round(rng.uniform(*sleep), 2))}
    above = [ROOT]
    for level, size in enumerate(_levels(products, levels)[1:], start=1):
        here = []
        for i in range(size):
            name = f"l{level}-{i:02d}"
            language = "python" if i % 2 == 0 else "node"
            if level == 1:
                deps = [ROOT]
            else:  # each product of the level above has a dependent; some take two
                first = above[i % len(above)]
                deps = [first]
                if len(above) > 1 and rng.random() < 0.35:
                    deps.append(rng.choice([a for a in above if a != first]))
            node = Node(name, level, language, _package(name, language), sorted(deps))
            node.sleep = round(rng.uniform(*sleep), 2)
            nodes[name] = node
            here.append(name)
        above = here
    breaker = next(n for n in nodes.values() if n.level == 1 and n.language == "python")
    breaker.breaker = True
    return nodes


def _range(dep: Node) -> str:
    if dep.name == ROOT:
        return ROOT_RANGE
    return "==1.0.0" if dep.ecosystem == "pypi" else "1.0.0"


def _files(node: Node, nodes: dict[str, Node], version: str | None = "1.0.0", root_range: str = "") -> dict:
    """The files of a product's repository (``version`` None: a version-less product, the teacher)."""
    deps = [nodes.get(d) for d in node.deps]
    py = [f"{d.package}{root_range or _range(d)}" for d in deps if d is not None and d.ecosystem == "pypi"]
    npm = {d.package: _range(d) for d in deps if d is not None and d.ecosystem == "npm"}
    needs = sorted([d.package for d in deps if d is not None])
    files = {
        "check.py": CHECK.format(name=node.name, sleep=node.sleep, needs=needs),
        "README.md": f"# {node.name}\n\nA product of the ripple benchmark's fleet (level {node.level}).\n",
    }
    if node.language == "python":
        files["pyproject.toml"] = (
            '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{node.package}"\nversion = "{version or "0.0.0"}"\n'
            f"dependencies = {json.dumps(py)}\n\n[tool.setuptools]\npy-modules = []\n"
        )
        if npm:
            files["package.json"] = json.dumps({"private": True, "dependencies": npm}, indent=2) + "\n"
    else:
        files["package.json"] = (
            json.dumps(
                {
                    "name": node.package,
                    "version": version,
                    "main": "index.js",
                    "files": ["index.js"],
                    "dependencies": npm,
                },
                indent=2,
            )
            + "\n"
        )
        files["index.js"] = f"module.exports = {json.dumps(node.name)};\n"
        if py:
            files["requirements.txt"] = "".join(f"{r}\n" for r in py)
    return files


def _repo(path: Path, files: dict[str, str], message: str, tag: str | None) -> None:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for rel, text in files.items():
        (path / rel).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-qm", message)
    if tag:
        git(path, "tag", "-a", tag, "-m", tag)


def _publish_v1(registry: Path, node: Node) -> None:
    """The 1.0.0 artifact, as an earlier release left it."""
    if node.language == "python":
        d = registry / "simple" / node.package
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{node.package.replace('-', '_')}-1.0.0-py3-none-any.whl").write_bytes(b"1.0.0")
    else:
        d = registry / "npm" / node.package / "-"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{node.package.removeprefix('@').replace('/', '-')}-1.0.0.tgz").write_bytes(b"1.0.0")


def _product_doc(node: Node, release: bool = True) -> dict:
    spec: dict = {
        "source": {"repo": f"../repos/{node.name}"},
        "language": node.language,
        "build": {"command": ["python3", "check.py"], "heal": {"strategies": ["template"]}},
    }
    if node.deps:
        spec["dependsOn"] = node.deps
        spec["dependencies"] = {"update": {"policy": "major"}}
    if release:
        spec["release"] = {
            "want": "released",
            "versioning": "conventional",
            "publish": [{"registry": "local", "package": node.package}],
        }
    return {**API, "kind": "Product", "metadata": {"name": node.name, "company": "bench"}, "spec": spec}


def write_fleet(
    root: Path,
    products: int = 40,
    levels: int = 4,
    seed: int = 35,
    sleep: tuple[float, float] = (1.0, 4.0),
    state_url: str | None = None,
) -> RippleFleet:
    """Write ``root/fleet`` (a git repo), ``root/repos/<name>`` and ``root/registry``."""
    import yaml

    nodes = plan_fleet(products, levels, seed, sleep)
    teacher = Node(
        TEACHER, 1, "python", "bench-teacher", [ROOT], round(random.Random(seed + 1).uniform(*sleep), 2)
    )
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (root / "registry").mkdir(parents=True)
    spec: dict = {
        "companies": [{"name": "bench"}],
        "registries": {"local": {"type": "file", "path": "../registry"}},
        "ci": {"default": "local"},
    }
    if state_url:
        spec["state"] = {"url": state_url}
    (fleet / "fleet.yaml").write_text(
        yaml.safe_dump({**API, "kind": "Fleet", "metadata": {"name": "ripple-bench"}, "spec": spec})
    )
    rules = [
        {"id": "allow-the-pipeline", "match": {"actions": ["build.*", "release.*", "change.*", "heal.*"]}}
    ]
    (fleet / "constitution.yaml").write_text(
        yaml.safe_dump(
            {
                **API,
                "kind": "Constitution",
                "metadata": {"name": "ripple-bench"},
                "spec": {"default": "deny", "rules": rules},
            }
        )
    )
    for node in nodes.values():
        files = _files(node, nodes)
        if node.breaker:
            files["app.py"] = BREAKER_APP
        _repo(root / "repos" / node.name, files, f"feat: {node.name}", "v1.0.0")
        _publish_v1(root / "registry", node)
        (fleet / "products" / f"{node.name}.yaml").write_text(yaml.safe_dump(_product_doc(node)))
    # the teacher: its range takes the root's 2.x already, its app still calls load (red until fix_teacher)
    files = _files(teacher, nodes, version=None, root_range=">=2.0,<3")
    files["app.py"] = TEACHER_APP
    _repo(root / "repos" / TEACHER, files, "feat: teacher moves to bench-root 2", None)
    (fleet / "products" / f"{TEACHER}.yaml").write_text(yaml.safe_dump(_product_doc(teacher, release=False)))
    git(fleet, "init", "-q", "-b", "main")
    (fleet / ".gitignore").write_text(".cmctl/\n")
    git(fleet, "add", "-A")
    git(fleet, "commit", "-qm", "ripple bench fleet")
    return RippleFleet(root, nodes, teacher)


def fix_teacher(rf: RippleFleet) -> None:
    """A person's fix of the teacher: bench-root 2 renamed load to load_all (what the template learns)."""
    repo = rf.repo(TEACHER)
    (repo / "app.py").write_text(TEACHER_APP.replace("load", "load_all"))
    git(repo, "commit", "-qam", "fix: bench-root 2 renamed load to load_all")


def commit_root(rf: RippleFleet, message: str) -> str:
    """A releasable commit on the root (``feat:`` -> minor, ``feat!:`` -> major); returns its id."""
    repo = rf.repo(ROOT)
    notes = repo / "NOTES.md"
    notes.write_text((notes.read_text() if notes.exists() else "") + f"- {message}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD").strip()
