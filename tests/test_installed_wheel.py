"""Code Monkeys as a user installs it (issue 36): built into a wheel, installed into a fresh venv outside the
checkout, and run from an empty directory with no ``CMCTL_PROJECT_DIR`` and the checkout not importable.

The build goes the way ``python -m build`` goes: an sdist from a copy of the sources, then the wheel from
that sdist, so both must carry ``resources/``, ``schemas/``, ``fleet-repo-example/`` and ``constitution/``
(``setup.py`` maps them into ``codemonkeys/_data/``). The fresh venv gets the dependencies of the
project's ``.venv`` without its editable install: a ``.pth`` file lists ``.venv``'s site-packages, which
puts that directory on ``sys.path`` without processing its own ``.pth`` files (the editable finder among
them), and ``import codemonkeys`` is checked to resolve to the fresh install. Then, as a user would:
``cmctl --version``, ``cmctl version --json``, ``cmctl demo init``, ``validate``, ``plan`` (acme-web's
deploy facet observed by the packaged ``deploy-probe.yml``), ``apply`` of acme-text with its release
published to a pypiserver through the packaged ``publish-pypi.yml`` (check mode first, then for real),
and the controller serving the dashboard's grid and its static files.

Also here: ``Resources`` finds the shipped folders in an installed layout and in a checkout, and
``CMCTL_PROJECT_DIR`` still overrides both (fake layouts, no build).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import codemonkeys
from codemonkeys.context import PROJECT_DIR_ENV, Context, Resources
from codemonkeys.demo import Workspace
from need import missing, need_module, need_program
from servers.fixtures import serve
from servers.registries import Server, start_pypiserver

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("resources", "schemas", "fleet-repo-example", "constitution")
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "ARCHITECTURE.md")
# never copied into the build's source tree (large, or another build's); .cmctl/ and __pycache__ are
# copied when the checkout has them: the build itself must leave them out
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "*.egg-info", "target", "node_modules", "_data")
PRODUCT = "acme-text"  # applied: build, docs, release, publish to pypiserver through publish-pypi.yml


# --- Resources: the lookup, on fake layouts -----------------------------------------------------------


def _layout(root: Path) -> Path:
    for folder in ("resources/ansible", "schemas"):
        (root / folder).mkdir(parents=True)
    return root


def test_resources_are_found_in_an_installed_package(tmp_path: Path):
    package = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "codemonkeys"
    data = _layout(package / "_data")
    assert Resources.locate(package) == data
    assert Resources(data).packaged and Resources(data).ansible == data / "resources" / "ansible"


def test_resources_are_found_in_a_checkout(tmp_path: Path):
    package = tmp_path / "checkout" / "controller" / "codemonkeys"
    package.mkdir(parents=True)
    checkout = _layout(tmp_path / "checkout")
    assert Resources.locate(package) == checkout
    assert not Resources(checkout).packaged
    # the package's own copy wins over folders that happen to be two levels up
    data = _layout(package / "_data")
    assert Resources.locate(package) == data


def test_without_either_the_package_data_is_named(tmp_path: Path):
    package = tmp_path / "lib" / "python3.11" / "site-packages" / "codemonkeys"
    package.mkdir(parents=True)
    assert Resources.locate(package) == package / "_data"  # what "example fleet not found at" names


def test_this_checkout_and_the_override(tmp_path: Path):
    assert Resources.default().root == ROOT  # the editable install runs from the checkout
    assert Resources.default().example_fleet == ROOT / "fleet-repo-example"
    assert Resources.default().constitution.is_file() and Resources.default().schemas.is_dir()
    other = _layout(tmp_path / "elsewhere")
    assert Resources.default(str(other)).root == other
    assert Context.from_environ({PROJECT_DIR_ENV: str(other)}).resources.root == other
    assert Context.from_environ({}).resources.root == ROOT


# --- the wheel, installed -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    """A wheel built from an sdist of this checkout, installed into a fresh venv outside it."""

    wheel: Path
    sdist: Path
    venv: Path
    env: dict[str, str]  # PATH: the venv's bin first; no CMCTL_PROJECT_DIR, no PYTHONPATH
    home: Path  # an empty directory to run from

    @property
    def cmctl(self) -> Path:
        """The installed ``cmctl``."""
        return self.venv / "bin" / "cmctl"

    def run(self, *args: str, timeout: float = 120, **more_env: str) -> subprocess.CompletedProcess:
        """The installed ``cmctl ARGS`` (found on PATH, as a shell would) in the empty directory."""
        return subprocess.run(
            ["cmctl", *args],
            cwd=self.home,
            env={**self.env, **more_env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _copy_sources(dest: Path) -> Path:
    """The files a build reads, copied out of the checkout (a build never writes into it)."""
    dest.mkdir(parents=True)
    for name in SOURCES:
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "controller", dest / "controller", ignore=NOT_COPIED)
    for folder in SHIPPED:
        shutil.copytree(ROOT / folder, dest / folder, ignore=NOT_COPIED, symlinks=True)
    return dest


def _build(tmp: Path) -> tuple[Path, Path]:
    """``python -m build``: the sdist, then the wheel from it (no isolation: the venv's setuptools)."""
    need_module("build", "pip install -e '.[test]' (the ship extra brings PEP 517 build)")
    src, out = _copy_sources(tmp / "src"), tmp / "dist"
    argv = [sys.executable, "-m", "build", "--no-isolation", "--skip-dependency-check", "--outdir", str(out)]
    done = subprocess.run([*argv, str(src)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("codemonkeys-*.whl")
    (sdist,) = out.glob("codemonkeys-*.tar.gz")
    return wheel, sdist


def _fresh_venv(venv: Path, wheel: Path) -> None:
    """A venv from the base interpreter; ``.venv``'s packages through a ``.pth`` (not its editable
    install); the wheel installed without dependencies (pip compiles its files, as for a user)."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (Path(site) / "zz-project-venv-dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    done = subprocess.run([*pip, "install", "-q", "--no-deps", str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _environment(venv: Path) -> dict[str, str]:
    bin_dirs = [str(venv / "bin"), str(Path(sys.executable).parent)]  # ansible-playbook & co: .venv/bin
    rest = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in bin_dirs]
    env = {k: v for k, v in os.environ.items() if k not in (PROJECT_DIR_ENV, "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=os.pathsep.join(bin_dirs + rest), NO_COLOR="1", COLUMNS="200", VIRTUAL_ENV=str(venv))
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """The wheel, built and installed once for this module."""
    need_program("git", "apt-get install git")
    tmp = tmp_path_factory.mktemp("installed")
    assert not tmp.resolve().is_relative_to(ROOT), "the install must live outside the checkout"
    wheel, sdist = _build(tmp)
    venv = tmp / "venv"
    _fresh_venv(venv, wheel)
    home = tmp / "empty"
    home.mkdir()
    env = _environment(venv)
    env["CMCTL_HOME"] = str(tmp / "cmctl-home")
    return Installed(wheel, sdist, venv, env, home)


def _shippable() -> list[str]:
    """The checkout's files of the shipped folders that git does not ignore (tracked or new)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        missing("the checkout is no git repository", "run the tests from a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "--", *SHIPPED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return sorted(f for f in set(listed) if (ROOT / f).is_file())


def test_the_sdist_and_the_wheel_carry_what_ships_and_nothing_generated(installed: Installed):
    expected = _shippable()
    with zipfile.ZipFile(installed.wheel) as whl:
        names = whl.namelist()
    data = sorted(n.removeprefix("codemonkeys/_data/") for n in names if n.startswith("codemonkeys/_data/"))
    assert data == expected, sorted(set(data) ^ set(expected))
    assert {"codemonkeys/cli/completion_tree.json", "codemonkeys/store/migrations/env.py"} <= set(names)
    assert not [n for n in names if re.search(r"(^|/)(\.cmctl|__pycache__|target|node_modules)/", n)]
    with tarfile.open(installed.sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        files = sorted(
            m.name.removeprefix(f"{top}/") for m in tar.getmembers() if m.isfile() and m.name != top
        )
    in_sdist = [f for f in files if f.split("/")[0] in SHIPPED]
    assert in_sdist == expected, sorted(set(in_sdist) ^ set(expected))
    assert {"setup.py", "MANIFEST.in", "pyproject.toml"} <= set(files)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ok(done: subprocess.CompletedProcess, *codes: int) -> str:
    assert done.returncode in (codes or (0,)), (
        f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    return done.stdout


def _not_from_the_checkout(installed: Installed) -> None:
    assert shutil.which("cmctl", path=installed.env["PATH"]) == str(installed.cmctl)
    python = installed.venv / "bin" / "python"
    probe = "import codemonkeys, json, sys; print(json.dumps([codemonkeys.__file__, sys.path]))"
    out = subprocess.run(
        [python, "-c", probe], env=installed.env, cwd=installed.home, capture_output=True, text=True
    )
    where, path = json.loads(_ok(out))
    assert Path(where).is_relative_to(installed.venv), where
    deps = Path(sys.prefix).resolve()  # .venv: its site-packages through the .pth, nothing else of ROOT
    checkout = [p for p in path if p and Path(p).resolve().is_relative_to(ROOT)]
    assert checkout and all(Path(p).resolve().is_relative_to(deps) for p in checkout), path


def _git(repo: Path, *args: str) -> None:
    ident = ["-c", "user.name=Code Monkeys Tests", "-c", "user.email=tests@codemonkeys.dev"]
    subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True)


def _publish_to_pypiserver(fleet: Path, pypi: Server) -> dict[str, str]:
    """acme-text publishes to the pypiserver (``publish-pypi.yml``, in check mode first: the constitution's
    dry-run duty) instead of the file registry; its credentials come from the environment returned."""
    doc = fleet / "fleet.yaml"
    registry = (
        f"    pypi:\n      type: pypi\n      url: {pypi.url}\n"
        "      credentials: {usernameEnv: CM_TEST_PYPI_USER, passwordEnv: CM_TEST_PYPI_PASSWORD}\n  ci:\n"
    )
    doc.write_text(doc.read_text().replace("  ci:\n", registry, 1))
    product = fleet / "products" / "acme" / f"{PRODUCT}.yaml"
    old = f"registry: local\n        package: {PRODUCT}"
    assert old in product.read_text()
    product.write_text(product.read_text().replace(old, f"registry: pypi\n        package: {PRODUCT}"))
    _git(fleet, "commit", "-qam", f"{PRODUCT}: publish to the team's PyPI")
    return {"CM_TEST_PYPI_USER": pypi.username, "CM_TEST_PYPI_PASSWORD": pypi.password}


@pytest.fixture(scope="module")
def fresh_pypi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A pypiserver of this module's own: the session's may already hold the acme-text version the demo
    releases (another test published it), and then this apply would find it there instead of publishing."""
    yield from serve(tmp_path_factory, "pypiserver-installed", start_pypiserver)


@pytest.mark.slow
def test_installed_cmctl_runs_the_demo_and_the_controller_without_the_checkout(
    installed: Installed, fresh_pypi: Server
):
    need_module("ansible_runner", "pip install -e '.[test]' (the deploy extra)")
    need_module("uvicorn", "pip install -e '.[test]' (the service extra)")
    _not_from_the_checkout(installed)
    assert _ok(installed.run("--version")).strip() == f"cmctl {codemonkeys.__version__}"

    report = json.loads(_ok(installed.run("version", "--json")))
    assert report["codemonkeys"]["layout"] == "installed", report["codemonkeys"]
    data = Path(report["codemonkeys"]["resources"])  # where every playbook below comes from
    assert data.is_relative_to(installed.venv) and data.name == "_data", report["codemonkeys"]
    assert report["tools"]["git"]["version"] and report["tools"]["ansible-core"]["version"], report["tools"]
    assert report["python"]["executable"].startswith(str(installed.venv)), report["python"]

    _ok(installed.run("demo", "init", "ws"))  # relative: in the empty directory
    ws = installed.home / "ws"
    fleet = ["--fleet", str(ws / "fleet")]
    assert _ok(installed.run("validate", *fleet)).startswith("valid: fleet 'demo-fleet', 6 products")
    plan = json.loads(_ok(installed.run("plan", "--json", "--detailed-exitcode", *fleet), 2))
    assert len(plan["products"]) == 6 and not any(p["in_sync"] for p in plan["products"].values())
    # acme-web's deploy facet is observed by deploy-probe.yml, one Ansible run per environment
    deploy = plan["products"]["acme-web"]["facets"]["deploy"]
    assert deploy["state"] == "drift" and deploy["observed"] == "staging=none, production=none", deploy

    creds = _publish_to_pypiserver(ws / "fleet", fresh_pypi)
    # unsandboxed: the fresh venv reaches the checkout venv's packages (pytest, for the product's build)
    # through a .pth, and bubblewrap's private /tmp hides a checkout that lives under /tmp (a CI clone)
    apply = installed.run(
        "apply", "--auto-approve", "--unsandboxed", "-p", PRODUCT, *fleet, timeout=240, **creds
    )
    applied = _ok(apply) + apply.stderr  # the actions' progress is on stderr
    assert re.search(rf"{PRODUCT}/release.publish/pypi: published .* with publish-pypi.yml", applied), applied
    assert fresh_pypi.password not in applied
    index = httpx.get(fresh_pypi.authed_url(f"/simple/{PRODUCT}/"), timeout=10)
    assert index.status_code == 200 and re.search(r"acme_text-\d+\.\d+\.\d+-py3-none-any\.whl", index.text)
    status = json.loads(_ok(installed.run("status", "--json", *fleet, **creds)))
    assert status["products"][PRODUCT]["in_sync"], status["products"][PRODUCT]
    assert status["last_run"]["status"] == "succeeded", status["last_run"]

    # the controller on the product it now keeps in sync (nothing to build while the test looks)
    others = [p for p in (ws / "fleet" / "products").rglob("*.yaml") if p.stem != PRODUCT]
    _git(ws / "fleet", "rm", "-q", *(str(p) for p in others))
    _git(ws / "fleet", "commit", "-qm", f"Only {PRODUCT}")
    _controller_serves_the_grid(installed, ws, [PRODUCT], creds)


def _controller_serves_the_grid(installed: Installed, ws: Path, products: list[str], creds: dict) -> None:
    port = _free_port()
    log = installed.home / "controller.log"
    argv = ["cmctl", "controller", "run", "--fleet", str(ws / "fleet"), "--listen", f"127.0.0.1:{port}"]
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [*argv, "--interval", "0"],
            cwd=installed.home,
            env={**installed.env, **creds},
            stdout=sink,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"the controller exited:\n{log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"not ready in 30 s:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        page = httpx.get(url + "/", timeout=10)
        assert page.status_code == 200, page.text[:500]
        assert '<table id="grid">' in page.text, page.text[:500]
        assert re.findall(r'<tr data-product="([^"]+)"', page.text) == products, page.text
        css = re.search(r'href="/ui/([^"]+\.css)"', page.text)  # the package's static files
        assert css, page.text[:800]
        static = next(installed.venv.glob(f"lib/python*/site-packages/codemonkeys/service/static/{css[1]}"))
        assert httpx.get(f"{url}/ui/{css[1]}", timeout=10).text == static.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()[-3000:]


def _head(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_installed_demo_replays_the_same_histories_as_a_checkout(
    installed: Installed, demo_template: Workspace
):
    _ok(installed.run("demo", "init", "ws-histories"))
    ws = Workspace(installed.home / "ws-histories")
    for repo in sorted(demo_template.repos.iterdir()):
        ours = ws.repos / repo.name
        files = ["git", "ls-files"]
        extra = set(_ok(subprocess.run(files, cwd=ours, capture_output=True, text=True)).split()) - set(
            _ok(subprocess.run(files, cwd=repo, capture_output=True, text=True)).split()
        )
        assert not extra, f"{repo.name}: {sorted(extra)}"
        assert _head(ours) == _head(repo), repo.name
