"""The Redactor knows every secret the process holds, in every form a build may print it: raw, base64 and
base64url (padded or not, alone or inside a longer encoded text), URL-encoded, hex, JSON-escaped; and
``Redactor.for_fleet`` collects them from the fleet, the provider (env, age files, secrets directory),
the process's secret-looking variables, the front end's tokens and the state database's URL."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from codemonkeys.act.base import Redactor, encodings
from codemonkeys.context import Context
from codemonkeys.load import load_fleet
from need import need_module

SECRET = "tok-3x4mpl3+/?&=Zq"  # characters that base64, URL-encoding and JSON each treat specially


def printed(secret: str) -> dict[str, str]:
    """Ways a hostile build prints a secret (computed here, not by the code under test)."""
    raw = secret.encode()
    forms = {
        "raw": secret,
        "b64": base64.b64encode(raw).decode(),
        "b64-unpadded": base64.b64encode(raw).decode().rstrip("="),
        "b64url": base64.urlsafe_b64encode(raw).decode(),
        "b64url-unpadded": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "url": quote(secret, safe=""),
        "url-plus": quote_plus(secret),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "json": json.dumps({"k": secret}),
    }
    for prefix in ("u", "us", "user:", "CMCTL_SECRET_X="):  # inside a longer encoded text, every offset
        for suffix in ("", "!", "\nMORE=1"):
            whole = (prefix + secret + suffix).encode()
            forms[f"b64 {prefix!r}..{suffix!r}"] = base64.b64encode(whole).decode()
            forms[f"b64url {prefix!r}..{suffix!r}"] = base64.urlsafe_b64encode(whole).decode()
    return forms


def leaks(text: str, secret: str) -> list[str]:
    """The forms of ``secret`` still readable in ``text`` (decoding every base64 run back)."""
    found = [name for name, form in printed(secret).items() if form in text and name != "json"]
    if secret in text:
        found.append("raw")
    return found


@pytest.mark.parametrize("name", sorted(printed(SECRET)))
def test_every_printed_form_is_masked(name: str):
    redact = Redactor([SECRET])
    text = f"before {printed(SECRET)[name]} after"
    out = redact(text)
    assert "***" in out, (name, out)
    assert not leaks(out, SECRET), (name, out)


def test_encodings_are_long_enough_and_short_values_are_left_alone():
    assert all(len(f) >= 4 for f in encodings(SECRET))
    redact = Redactor(["abc", "true"])  # "abc" is too short to mask; "true" is 4 characters: masked
    assert redact("abc true") == "abc ***"
    assert Redactor([])("nothing to mask") == "nothing to mask"


def test_many_secrets_longest_first_and_data():
    redact = Redactor(["secret-one", "secret-one-longer", "other-secret"])
    assert redact("a secret-one-longer b secret-one c") == "a *** b *** c"
    data = {"log": ["x other-secret y"], "n": 3, "nested": {"m": base64.b64encode(b"other-secret").decode()}}
    assert redact.data(data) == {"log": ["x *** y"], "n": 3, "nested": {"m": "***"}}


def _fleet(tmp: Path, state_url: str | None = None) -> Path:
    fleet = tmp / "fleet"
    (fleet / "products").mkdir(parents=True)
    state = f"  state: {{url: '{state_url}'}}\n" if state_url else ""
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec:\n"
        "  registries:\n    pypi: {type: pypi, url: 'http://127.0.0.1:1/',"
        " credentials: {tokenEnv: PYPI_TOKEN}}\n" + state
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {}\n"
    )
    (fleet / "products" / "p.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: p}\nspec:\n"
        "  source: {repo: ../repo}\n  language: python\n"
        "  build: {command: [python, -V], env: {DEPLOY_KEY: {secretRef: deploy-key}, PLAIN: visible-value}}\n"
    )
    return fleet


def test_for_fleet_knows_every_secret_the_process_holds(tmp_path: Path):
    pyrage = need_module("pyrage", "pip install 'codemonkeys[deploy]'")
    fleet = _fleet(tmp_path, "postgresql+psycopg://cm:db-pass-w0rd@127.0.0.1:5432/cm")
    ident = pyrage.x25519.Identity.generate()
    (fleet / "secrets").mkdir()
    (fleet / "secrets" / "from-age.age").write_bytes(pyrage.encrypt(b"age-secret-value", [ident.to_public()]))
    key = tmp_path / "key.txt"
    key.write_text(f"{ident}\n")
    secrets_dir = tmp_path / "secrets.d"
    secrets_dir.mkdir()
    (secrets_dir / "deploy-key").write_text("deploy-key-value\n")
    (secrets_dir / "unused-by-the-fleet").write_text("dir-secret-value\n")
    env = {
        "PATH": "/usr/bin",
        "CMCTL_AGE_IDENTITY": str(key),
        "CMCTL_SECRETS_DIR": str(secrets_dir),
        "CMCTL_SECRET_OPS_TOKEN": "env-secret-value",
        "CMCTL_API_TOKEN": "api-token-value",
        "CMCTL_WEBHOOK_SECRET": "webhook-secret-value",
        "PYPI_TOKEN": "pypi-token-value",  # named by the fleet (tokenEnv)
        "GITHUB_TOKEN": "gh-token-value",  # secret by its name
        "CMCTL_HOME": "/nowhere/cache",  # a place, not a secret
        "FEATURE_TOKEN_ENABLED": "true",  # too short to be one
    }
    desired, diags = load_fleet(fleet)
    assert desired is not None, diags
    context = Context.from_environ(env).holding(["tokens-file-admin-token"], [tmp_path / "tokens.yaml"])
    redact = Redactor.for_fleet(desired, context.secrets)
    held = [
        "age-secret-value",
        "deploy-key-value",
        "dir-secret-value",
        "env-secret-value",
        "api-token-value",
        "webhook-secret-value",
        "pypi-token-value",
        "gh-token-value",
        "tokens-file-admin-token",
        "db-pass-w0rd",
    ]
    for value in held:
        for name, form in printed(value).items():
            assert not leaks(redact(f"<{form}>"), value), (value, name)
    assert redact("/nowhere/cache true visible-value") == "/nowhere/cache true visible-value"
    assert "tokens-file-admin-token" not in repr(context)  # held values never print with the context


def test_a_context_holding_values_passes_them_on(tmp_path: Path):
    context = Context.from_environ({"PATH": "/usr/bin"})
    held = context.holding(["front-end-secret", None], [tmp_path / "t.yaml", None])
    assert held.secrets.extra == frozenset({"front-end-secret"})
    assert held.secrets.at(tmp_path).extra == held.secrets.extra
    assert held.held_files == frozenset({(tmp_path / "t.yaml").resolve()})
    assert replace(held, unsandboxed=True).held_secrets == held.held_secrets
