"""Secrets' failure paths: an age identity that cannot be read and a secrets directory that cannot be read
are errors naming the secret and the path (never a value, never a crash), and they block only what needs
those secrets. Against the real registry observer and a real pypiserver (three companies, each reading
the registry with its own password from another place: an age file in the fleet decrypted by pyrage, an
environment variable, a file of ``CMCTL_SECRETS_DIR``), the real ``cmctl secrets ls``, and, for a
directory or identity the process has no permission to read, the provider in a process of another user
(root reads everything: the test drops to ``nobody`` when it runs as root).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from codemonkeys.context import Context
from codemonkeys.facets.release.observer import observe_release
from codemonkeys.load import load_fleet
from codemonkeys.registries.http import RegistryHttp
from codemonkeys.vocab.facts import RegistryFacts, Unknown
from conftest import ROOT, cmctl
from need import need_module, need_program
from servers.registries import Server

COMPANIES = {"acme": "rocket", "globex": "widget", "initech": "stapler"}  # company -> its product


def age_file(fleet: Path, name: str, value: str, key: Path) -> None:
    """``fleet/secrets/NAME.age`` holding ``value``, and its identity written to ``key``."""
    pyrage = need_module("pyrage", "pip install -e '.[test]' (the deploy extra: pyrage)")
    identity = pyrage.x25519.Identity.generate()
    (fleet / "secrets").mkdir(parents=True, exist_ok=True)
    (fleet / "secrets" / f"{name}.age").write_bytes(pyrage.encrypt(value.encode(), [identity.to_public()]))
    key.write_text(f"# the fleet's age identity\n{identity}\n")


def write_fleet(root: Path, registry: Server) -> Path:
    """Three companies reading one registry, each with its password from a secret of its own."""
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    companies = "".join(
        f"    - name: {company}\n      credentials:\n        registries:\n"
        f"          pypi: {{username: {registry.username}, password: {{secretRef: {company}-pypi}}}}\n"
        for company in COMPANIES
    )
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec:\n"
        f"  companies:\n{companies}"
        f"  registries:\n    pypi: {{type: pypi, url: '{registry.url}'}}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {}\n"
    )
    for company, product in COMPANIES.items():
        (fleet / "products" / f"{product}.yaml").write_text(
            "apiVersion: codemonkeys.dev/v1\nkind: Product\n"
            f"metadata: {{name: {product}, company: {company}}}\n"
            f"spec:\n  source: {{repo: x}}\n  language: python\n"
            f"  release:\n    publish: [{{registry: pypi, package: cm-{product}}}]\n"
        )
    return fleet


def observe(fleet: Path, env: dict[str, str]) -> dict[str, object]:
    """Each product's registry facts, as the real release observer reads them with ``env``."""
    desired, diags = load_fleet(fleet)
    assert diags == [], diags
    context = Context.from_environ(env)
    with RegistryHttp() as http:
        run = SimpleNamespace(desired=desired, context=context, http=http)
        return {product: observe_release(run, product, None)["pypi"] for product in COMPANIES.values()}


def test_unreadable_identity_and_secrets_dir_name_the_path_and_block_only_their_products(
    tmp_path: Path,
    pypi_server: Server,
):
    fleet = write_fleet(tmp_path, pypi_server)
    key = tmp_path / "age-key.txt"
    age_file(fleet, "acme-pypi", pypi_server.password, key)
    for product in COMPANIES.values():
        (pypi_server.workdir / "packages" / f"cm_{product}-2.0.0.tar.gz").write_bytes(b"an sdist by its name")
    secrets_dir = tmp_path / "secrets-dir"
    secrets_dir.mkdir()
    (secrets_dir / "initech-pypi").write_text(pypi_server.password + "\n")
    readable = {
        "CMCTL_AGE_IDENTITY": str(key),
        "CMCTL_SECRET_GLOBEX_PYPI": pypi_server.password,
        "CMCTL_SECRETS_DIR": str(secrets_dir),
    }
    seen = RegistryFacts(versions=["2.0.0"])
    assert observe(fleet, readable) == dict.fromkeys(COMPANIES.values(), seen)  # every place readable

    # the identity is a directory, the secrets directory a file: the two products that need them are
    # unknown, saying which secret and which path; the third reads the registry as before
    not_a_file, not_a_dir = tmp_path / "identity-dir", tmp_path / "secrets-file"
    not_a_file.mkdir()
    not_a_dir.write_text("not a directory\n")
    broken = {**readable, "CMCTL_AGE_IDENTITY": str(not_a_file), "CMCTL_SECRETS_DIR": str(not_a_dir)}
    facts = observe(fleet, broken)
    assert facts["widget"] == seen
    assert isinstance(facts["rocket"], Unknown) and isinstance(facts["stapler"], Unknown), facts
    assert facts["rocket"].error == (
        f"registry 'pypi': credentials (password): secret acme-pypi: cannot read {not_a_file}: Is a directory"
    ), facts["rocket"]
    assert facts["stapler"].error == (
        f"registry 'pypi': credentials (password): secret initech-pypi: CMCTL_SECRETS_DIR {not_a_dir} "
        "is not a directory"
    ), facts["stapler"]

    r = cmctl("secrets", "ls", "--json", "--fleet", str(fleet), env=broken)
    assert r.returncode == 1, r.stdout + r.stderr  # referenced secrets cannot be had
    rows = {row["name"]: (row["ok"], row["error"]) for row in json.loads(r.stdout)}
    assert rows == {
        "acme-pypi": (False, f"secret acme-pypi: cannot read {not_a_file}: Is a directory"),
        "globex-pypi": (True, None),
        "initech-pypi": (False, f"secret initech-pypi: CMCTL_SECRETS_DIR {not_a_dir} is not a directory"),
    }, rows
    assert pypi_server.password not in r.stdout + r.stderr

    gone = {
        **readable,
        "CMCTL_AGE_IDENTITY": str(tmp_path / "no-key"),
        "CMCTL_SECRETS_DIR": str(tmp_path / "no"),
    }
    facts = observe(fleet, gone)
    assert facts["widget"] == seen
    assert facts["rocket"].error.endswith(
        f"secret acme-pypi: cannot read {tmp_path / 'no-key'}: No such file or directory"
    )
    assert facts["stapler"].error.endswith(
        f"secret initech-pypi: CMCTL_SECRETS_DIR {tmp_path / 'no'} does not exist"
    )


# --- no permission: a process of another user ------------------------------------------------------------

PROBE = """\
import json, sys
from pathlib import Path
from codemonkeys.secrets import SecretProvider

env = json.loads(sys.argv[1])
provider = SecretProvider.for_fleet(env, Path(sys.argv[2]))
resolved = {name: [provider.resolve(name).ok, provider.resolve(name).error] for name in sys.argv[3:]}
print(json.dumps({"resolved": resolved, "names": provider.names()}))
"""


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can reach (pytest's own temporary directories are the owner's only)."""
    path = Path(tempfile.mkdtemp(prefix="cm-secrets-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for p in [path, *path.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(path)


def probe(env: dict[str, str], fleet: Path, *names: str) -> dict:
    """Resolve ``names`` in a process that cannot read what mode 000 hides (``nobody`` when root)."""
    argv = [sys.executable, "-c", PROBE, json.dumps(env), str(fleet), *names]
    if os.geteuid() == 0:
        setpriv = need_program("setpriv", "apt-get install util-linux")
        argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    run_env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT / "controller")}
    done = subprocess.run(argv, env=run_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr  # never a crash
    return json.loads(done.stdout)


def test_an_identity_and_a_secrets_dir_without_permission_are_named_not_a_crash(shared_dir: Path):
    fleet = shared_dir / "fleet"
    key = shared_dir / "age-key.txt"
    age_file(fleet, "db-password", "hunter2-canary", key)
    secrets_dir = shared_dir / "secrets-dir"
    secrets_dir.mkdir()
    (secrets_dir / "api-token").write_text("token-canary\n")
    for path in (fleet, fleet / "secrets", fleet / "secrets" / "db-password.age"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    env = {
        "CMCTL_AGE_IDENTITY": str(key),
        "CMCTL_SECRETS_DIR": str(secrets_dir),
        "CMCTL_SECRET_FROM_ENV": "v",
    }

    key.chmod(0o644)
    secrets_dir.chmod(0o755)
    (secrets_dir / "api-token").chmod(0o644)
    ok = probe(env, fleet, "db-password", "api-token", "from-env")
    assert ok == {
        "resolved": {"db-password": [True, None], "api-token": [True, None], "from-env": [True, None]},
        "names": ["api-token", "db-password", "from-env"],
    }

    key.chmod(0o000)
    secrets_dir.chmod(0o000)
    denied = probe(env, fleet, "db-password", "api-token", "from-env")
    assert denied == {
        "resolved": {
            "db-password": [False, f"secret db-password: cannot read {key}: Permission denied"],
            "api-token": [
                False,
                f"secret api-token: cannot read {secrets_dir / 'api-token'}: Permission denied",
            ],
            "from-env": [True, None],  # what needs neither still resolves
        },
        "names": ["db-password", "from-env"],  # an unreadable directory holds no names
    }
