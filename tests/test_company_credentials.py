"""A company's own credentials (``spec.companies[].credentials``): a product of that company uses them for
the registries, Jenkins and Ollama they name, every other product the fleet's; the values are redacted
and ``cmctl secrets ls`` names where each is used. (The bad registry name is a loader case:
tests/cases/loader/company_credentials.yaml.)"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from codemonkeys.act.base import ActContext, Outcome, Redactor
from codemonkeys.ci.jenkins import connect
from codemonkeys.context import Context
from codemonkeys.facets.release.observer import observe_release
from codemonkeys.facets.release.publish_ansible import publish_with_ansible, registry_env
from codemonkeys.kinds.credentials import credentials_for, registry_for
from codemonkeys.load import load_fleet
from codemonkeys.registries.http import RegistryHttp
from codemonkeys.vocab.facts import RegistryFacts, Unknown
from codemonkeys.vocab.plan import Action, ActionKind
from servers.fixtures import pypi_server  # noqa: F401
from servers.registries import Server

FLEET_PASSWORD = "fleet-canary-0c7a-password"
ACME_JENKINS = "acme-canary-jenkins-token"


def _fleet(root: Path, registry: Server) -> Path:
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec:\n"
        "  companies:\n"
        "    - name: acme\n"
        "      credentials:\n"
        "        registries:\n"
        f"          pypi: {{username: {registry.username}, password: {{secretRef: acme-pypi}}}}\n"
        "        jenkins: {username: acme-bot, token: {secretRef: acme-jenkins}}\n"
        "        ollama: {tokenEnv: ACME_OLLAMA}\n"
        "    - name: globex\n"
        "  registries:\n"
        f"    pypi:\n      type: pypi\n      url: '{registry.url}'\n"
        "      credentials: {username: ci, password: {secretRef: fleet-pypi}}\n"
        "  ci:\n    jenkins: {url: 'http://127.0.0.1:9', userEnv: JENKINS_USER, tokenEnv: JENKINS_TOKEN}\n"
        "  llm:\n    ollama: {model: m}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {}\n"
    )
    for name, company in (("rocket", "acme"), ("widget", "globex")):
        (fleet / "products" / f"{name}.yaml").write_text(
            f"apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {{name: {name}, company: {company}}}\n"
            f"spec:\n  source: {{repo: x}}\n  language: python\n"
            f"  release:\n    publish: [{{registry: pypi, package: cm-{name}}}]\n"
        )
    return fleet


def test_a_company_uses_its_own_credentials_and_others_the_fleets(tmp_path: Path, pypi_server: Server):  # noqa: F811
    fleet = _fleet(tmp_path, pypi_server)
    env = {
        # acme's password is the server's, the fleet's is wrong: only acme's product may read the registry
        "CMCTL_SECRET_ACME_PYPI": pypi_server.password,
        "CMCTL_SECRET_FLEET_PYPI": FLEET_PASSWORD,
        "CMCTL_SECRET_ACME_JENKINS": ACME_JENKINS,
        "JENKINS_USER": "fleet-bot",
        "JENKINS_TOKEN": "fleet-jenkins-token",
        "ACME_OLLAMA": "acme-ollama-token",
    }
    desired, diags = load_fleet(fleet)
    assert diags == [], diags
    context = Context.from_environ(env)
    secrets = context.secrets.at(desired.root)

    # The resolver: acme's for acme's product, the fleet's for globex's (and for no product).
    assert credentials_for(desired, "rocket", "registry", "pypi").password.secret_ref == "acme-pypi"
    assert credentials_for(desired, "widget", "registry", "pypi").password.secret_ref == "fleet-pypi"
    assert credentials_for(desired, None, "jenkins").username_env == "JENKINS_USER"
    assert credentials_for(desired, "rocket", "ollama").token_env == "ACME_OLLAMA"
    assert credentials_for(desired, "widget", "ollama") is None

    # Observe: the real registry lets acme's product in (it sees the version there) and refuses globex's
    # (the fleet's wrong password: pypiserver's 403 to a user it does not know).
    (pypi_server.workdir / "packages" / "cm_rocket-1.2.0.tar.gz").write_bytes(b"an sdist by its name")
    observed: list[str] = []
    with RegistryHttp() as http:
        for product in ("rocket", "widget"):
            run = SimpleNamespace(desired=desired, context=context, http=http)
            facts = observe_release(run, product, None)["pypi"]
            observed.append(repr(facts))  # what the planner gets (a plan is made of facts)
            if product == "rocket":
                assert facts == RegistryFacts(versions=["1.2.0"]), facts
            else:
                refused = f"registry 'pypi': GET {pypi_server.url}/simple/cm-widget/: HTTP 403 (forbidden)"
                assert isinstance(facts, Unknown) and facts.error == refused, facts

    # Act: the publishing playbook's environment, and the Jenkins client, per company.
    assert registry_env(registry_for(desired, "rocket", "pypi"), secrets)["CM_REGISTRY_PASSWORD"] == (
        pypi_server.password
    )
    assert (
        registry_env(registry_for(desired, "widget", "pypi"), secrets)["CM_REGISTRY_PASSWORD"]
        == FLEET_PASSWORD
    )
    auths = {}
    for product in ("rocket", "widget"):
        ((_, basic),) = connect(desired, context.secrets, product=product).client._auths
        auths[product] = (basic.username, basic.password)
    assert auths == {
        "rocket": (b"acme-bot", ACME_JENKINS.encode()),
        "widget": (b"fleet-bot", b"fleet-jenkins-token"),
    }

    # Redaction covers the company's secretRefs and *Env names; facts and `secrets ls` carry no value.
    redact = Redactor.for_fleet(desired, context.secrets)
    text = f"{pypi_server.password} {ACME_JENKINS} acme-ollama-token {FLEET_PASSWORD}"
    assert redact(text) == "*** *** *** ***"
    from codemonkeys.api import FleetSession

    fs = FleetSession.open(fleet, context)
    rows = {row["name"]: row for row in fs.secrets()}
    assert rows["acme-pypi"]["used_by"] == ["company acme: credentials.registries.pypi.password"]
    assert rows["acme-jenkins"]["used_by"] == ["company acme: credentials.jenkins.token"]
    assert rows["fleet-pypi"]["used_by"] == ["fleet: spec.registries.pypi.credentials.password"]
    dumped = json.dumps(rows) + "".join(observed) + desired.fleet.model_dump_json()
    assert not [v for v in (pypi_server.password, FLEET_PASSWORD, ACME_JENKINS) if v in dumped]


def test_a_publish_whose_secret_is_gone_fails_for_good_and_names_it(tmp_path: Path, pypi_server: Server):  # noqa: F811
    """A saved plan applied after the registry's secret went away: the publish fails at once (not a
    transient failure retried in vain), naming the secret and never reaching the registry."""
    desired, diags = load_fleet(_fleet(tmp_path, pypi_server))
    assert diags == []
    context = Context.from_environ({})  # neither secret can be had
    action = Action(
        id="rocket/release.publish/pypi",
        product="rocket",
        kind=ActionKind.RELEASE_PUBLISH,
        params={"registry": "pypi", "package": "cm-rocket", "version": "1.0.0", "tag": "v1.0.0"},
        reason="r",
    )
    ctx = ActContext(desired, None, Redactor(), context)  # type: ignore[arg-type]  (no store is reached)
    result = publish_with_ansible(action, ctx)
    assert result.outcome is Outcome.FAILED and not result.transient
    assert "secret acme-pypi" in result.message, result.message
