"""{secretRef: NAME} on every credential field of the fleet: the models accept it beside the *Env names
(one way per part), each consumer resolves it through the one provider, a secret that cannot be had is
an error naming it (and what needs it), and every referenced value is redacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from codemonkeys.act.base import Redactor
from codemonkeys.announce.deliver import deliver
from codemonkeys.announce.message import Message
from codemonkeys.context import Secrets
from codemonkeys.engine.planning import state_url_with_credentials
from codemonkeys.kinds.models import (
    Credentials,
    EmailChannel,
    FleetSpec,
    SecretRef,
    Terraform,
    secret_ref_uses,
)
from codemonkeys.load import load_fleet
from codemonkeys.registries import resolve_auth
from codemonkeys.registries.http import RegistryError
from codemonkeys.secrets import SecretError, masker
from codemonkeys.store.db import StoreError
from codemonkeys.terraform.product import terraform_env

CANARY = "canary-2b9e-registry-password"
REF = {"secretRef": "reg-password"}


def _fleet(root: Path, spec: str) -> Path:
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        f"apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {{name: f}}\n{spec}"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {}\n"
    )
    return fleet


def test_credential_fields_accept_a_secret_ref_one_way_per_part():
    creds = Credentials.model_validate({"username": "ci", "password": REF})
    assert creds.parts()["password"] == (None, SecretRef(secret_ref="reg-password"))
    assert creds.parts()["username"] == (None, "ci")
    with pytest.raises(ValidationError, match="give password or passwordEnv, not both"):
        Credentials.model_validate({"password": REF, "passwordEnv": "REG_PASSWORD"})
    with pytest.raises(
        ValidationError, match=r"(?s)password\n +Input should be a valid dictionary or instance of SecretRef"
    ):
        Credentials.model_validate({"password": "hunter22"})  # a password is never written as a value
    spec = FleetSpec.model_validate(
        {
            "registries": {"pypi": {"type": "pypi", "url": "http://r", "credentials": {"token": REF}}},
            "ci": {"jenkins": {"url": "http://j", "user": "bot", "token": {"secretRef": "jenkins-token"}}},
            "state": {"url": "postgresql+psycopg://db/cm", "credentials": {"password": {"secretRef": "db"}}},
            "llm": {"ollama": {"model": "m", "token": {"secretRef": "ollama-token"}}},
            "announce": {
                "channels": {
                    "hook": {"type": "webhook", "url": "http://h", "key": {"secretRef": "hook-key"}},
                    "mail": {"type": "email", "host": "smtp", "from": "a@b", "to": ["c@d"], "password": REF},
                    "site": {
                        "type": "browser",
                        "macro": "m.yaml",
                        "secrets": ["SITE_ENV", {"secretRef": "site"}],
                    },
                }
            },
        }
    )
    assert sorted(secret_ref_uses(spec, "spec")) == [
        ("db", "spec.state.credentials.password"),
        ("hook-key", "spec.announce.channels.hook.key"),
        ("jenkins-token", "spec.ci.jenkins.token"),
        ("ollama-token", "spec.llm.ollama.token"),
        ("reg-password", "spec.announce.channels.mail.password"),
        ("reg-password", "spec.registries.pypi.credentials.token"),
        ("site", "spec.announce.channels.site.secrets.1"),
    ]
    tf = Terraform.model_validate({"dir": "infra", "secretVars": {"token": REF, "key": "TF_KEY"}})
    assert tf.env_names() == ["TF_KEY"]


def test_resolution_goes_through_the_provider_and_names_what_is_missing(tmp_path: Path):
    secrets = Secrets({"CMCTL_SECRET_REG_PASSWORD": CANARY, "REG_USER": "ci"}).at(tmp_path)
    ref, missing = SecretRef(secret_ref="reg-password"), SecretRef(secret_ref="nope")
    assert secrets.credential(None, ref, "registry r") == CANARY
    assert secrets.credential("REG_USER", None, "registry r") == "ci"
    assert secrets.credential(None, "plain-user", "registry r") == "plain-user"
    with pytest.raises(SecretError, match=r"^registry r: secret nope is not set \(CMCTL_SECRET_NOPE"):
        secrets.credential(None, missing, "registry r")
    assert secrets.lookup(ref) == CANARY and secrets.lookup(missing) is None

    auth = resolve_auth(Credentials(username="ci", password=ref), {}, secrets)
    assert auth.username == "ci" and auth.password == CANARY and CANARY not in repr(auth)
    with pytest.raises(RegistryError, match=r"credentials \(token\): secret nope is not set"):
        resolve_auth(Credentials(token=missing), {}, secrets)

    env, errors = terraform_env(
        {"PATH": "/bin"}, Terraform(dir="i", secret_vars={"a": ref, "b": missing}), tmp_path, secrets
    )
    assert env["TF_VAR_a"] == CANARY and "TF_VAR_b" not in env
    assert errors == [
        "secret variable b: secret nope is not set (CMCTL_SECRET_NOPE, secrets/nope.age, CMCTL_SECRETS_DIR)"
    ]


def test_state_url_and_smtp_login_by_reference(tmp_path: Path):
    fleet = _fleet(
        tmp_path,
        "spec:\n  state:\n    url: postgresql+psycopg://db.example:5432/cm\n"
        "    credentials: {username: cm, password: {secretRef: reg-password}}\n"
        "  ci:\n    jenkins: {url: 'http://127.0.0.1:9', user: bot, token: {secretRef: jenkins-token}}\n",
    )
    desired, diags = load_fleet(fleet)
    assert diags == [], diags
    secrets = Secrets({"CMCTL_SECRET_REG_PASSWORD": CANARY})
    assert (
        state_url_with_credentials(desired, secrets) == f"postgresql+psycopg://cm:{CANARY}@db.example:5432/cm"
    )
    with pytest.raises(StoreError, match="state database password: secret reg-password is not set"):
        state_url_with_credentials(desired, Secrets({}))
    assert CANARY not in Redactor.for_fleet(desired, secrets)(f"url {CANARY}")
    from codemonkeys.ci.jenkins import JenkinsError, connect

    with pytest.raises(JenkinsError, match="jenkins token: secret jenkins-token is not set"):
        connect(desired, secrets)
    conn = connect(desired, Secrets({"CMCTL_SECRET_JENKINS_TOKEN": "t0ken-value"}))
    ((_, basic),) = conn.client._auths  # python-jenkins got the user and the resolved token
    assert (basic.username, basic.password) == (b"bot", b"t0ken-value")

    channel = EmailChannel.model_validate(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": 9,
            "from": "a@b",
            "to": ["c@d"],
            "username": "u",
            "password": {"secretRef": "smtp-password"},
        }
    )
    sent = deliver(channel, Message("s", "t"), {}, root=tmp_path, secret=Secrets({}).at(tmp_path).lookup)
    assert not sent.ok and "SMTP password secret smtp-password cannot be resolved" in sent.message


def test_probe_output_is_masked():
    mask = masker(["abc", CANARY])  # values shorter than 4 characters are not masked (as the Redactor)
    assert mask(f"HTTP 200: token={CANARY} abc") == "HTTP 200: token=*** abc"
    assert masker([])("text") == "text"


def test_secrets_ls_names_every_use(tmp_path: Path):
    from codemonkeys.api import FleetSession
    from codemonkeys.context import Context

    fleet = _fleet(
        tmp_path,
        "spec:\n  registries:\n    pypi:\n      type: pypi\n      url: http://127.0.0.1:9\n"
        "      credentials: {username: ci, password: {secretRef: reg-password}}\n",
    )
    fs = FleetSession.open(fleet, Context.from_environ({"CMCTL_SECRET_REG_PASSWORD": CANARY}))
    rows = {row["name"]: row for row in fs.secrets()}
    assert rows["reg-password"]["used_by"] == ["fleet: spec.registries.pypi.credentials.password"]
    assert rows["reg-password"]["ok"] and CANARY not in json.dumps(rows)
