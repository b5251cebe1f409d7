"""Secrets by name: environment, then age files in the fleet (pyrage), then a secrets directory; errors
name the secret, never a value; `cmctl secrets ls` shows names and sources only."""

from __future__ import annotations

import json
from pathlib import Path

from codemonkeys.secrets import SecretProvider, env_name
from conftest import cmctl
from need import need_module

VALUE = "s3cr3t-value-for-tests"


def _age(fleet: Path, name: str, value: str, tmp: Path) -> Path:
    pyrage = need_module("pyrage", "pip install 'codemonkeys[deploy]'")
    ident = pyrage.x25519.Identity.generate()
    (fleet / "secrets").mkdir(parents=True, exist_ok=True)
    (fleet / "secrets" / f"{name}.age").write_bytes(pyrage.encrypt(value.encode(), [ident.to_public()]))
    key = tmp / "key.txt"
    key.write_text(f"# created by the test\n{ident}\n")
    return key


def test_resolution_order_and_errors(tmp_path: Path):
    fleet, secrets_dir = tmp_path / "fleet", tmp_path / "dir"
    secrets_dir.mkdir()
    key = _age(fleet, "db-password", VALUE, tmp_path)
    (secrets_dir / "db-password").write_text("from-dir\n")
    (secrets_dir / "only-dir").write_text("dir-value\n")
    env = {"CMCTL_AGE_IDENTITY": str(key), "CMCTL_SECRETS_DIR": str(secrets_dir)}
    p = SecretProvider.for_fleet(env, fleet)
    assert p.resolve("db-password").value == VALUE and p.resolve("db-password").source.startswith("age ")
    assert p.resolve("only-dir").value == "dir-value"
    assert env_name("db-password") == "CMCTL_SECRET_DB_PASSWORD"
    p = SecretProvider.for_fleet({**env, "CMCTL_SECRET_DB_PASSWORD": "from-env"}, fleet)
    assert p.resolve("db-password").value == "from-env"
    missing = p.resolve("nope")
    assert (
        not missing.ok and "secret nope is not set" in missing.error and "CMCTL_SECRET_NOPE" in missing.error
    )
    # the wrong key: an error naming the secret, and no value in it
    other = _age(tmp_path / "other", "x", "y", tmp_path / "other")
    bad = SecretProvider.for_fleet({"CMCTL_AGE_IDENTITY": str(other)}, fleet).resolve("db-password")
    assert not bad.ok and "db-password" in bad.error and "cannot be decrypted" in bad.error
    no_key = SecretProvider.for_fleet({}, fleet).resolve("db-password")
    assert "needs CMCTL_AGE_IDENTITY" in no_key.error
    assert VALUE not in repr(p.resolve("db-password")) and VALUE not in bad.error


def test_cmctl_secrets_ls_shows_sources_never_values(tmp_path: Path):
    fleet = tmp_path / "fleet"
    (fleet / "products").mkdir(parents=True)
    key = _age(fleet, "api-token", VALUE, tmp_path)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec: {}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {}\n"
    )
    (fleet / "products" / "web.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: web}\nspec:\n"
        "  source: {repo: ../web}\n  language: python\n  release: {}\n"
        "  deploy:\n    environments:\n"
        "      - {name: prod, inventory: inv.yml, healthCheck: {command: ['true']},\n"
        "         vars: {token: {secretRef: api-token}, db: {secretRef: db-password}}}\n"
    )
    r = cmctl("secrets", "ls", "--fleet", str(fleet), "--json", env={"CMCTL_AGE_IDENTITY": str(key)})
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert r.returncode == 1, r.stderr  # db-password is referenced and missing
    assert rows["api-token"]["ok"] and rows["api-token"]["source"] == "age secrets/api-token.age"
    assert rows["db-password"]["used_by"] == ["web/deploy/prod"] and "not set" in rows["db-password"]["error"]
    assert VALUE not in r.stdout + r.stderr
    text = cmctl("secrets", "ls", "--fleet", str(fleet), env={"CMCTL_AGE_IDENTITY": str(key)})
    assert "api-token" in text.stdout and VALUE not in text.stdout + text.stderr
