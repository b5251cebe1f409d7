"""Which forge and token a product uses (issue 33): the product's own ``spec.git.forge`` (a company sets it
through its defaults) over the fleet's; the repository's path from its Git URL; the token from the
forge's credentials, else the Git credentials (the company's, else the fleet's); what is missing is
said by name, never by value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from codemonkeys.context import Context
from codemonkeys.forges import ForgeError, forge_config, forge_for, repo_path
from codemonkeys.kinds.models import ForgeType
from codemonkeys.load import load_fleet
from dashboard_fleet import write_dashboard_fleet


def test_the_repository_path_comes_from_the_git_url():
    gh, gl = ForgeType.GITHUB, ForgeType.GITLAB
    assert repo_path("https://github.com/acme/shop.git", gh) == "acme/shop"
    assert repo_path("git@github.com:acme/shop.git", gh) == "acme/shop"
    assert repo_path("ssh://git@gitea.example:2222/acme/shop", ForgeType.GITEA) == "acme/shop"
    assert repo_path("https://gitlab.example/group/sub/shop.git", gl) == "group/sub/shop"  # groups nest
    assert repo_path("https://gitlab.example/group/sub/shop.git", gh) == "sub/shop"
    assert repo_path("../shop-src", gh) is None and repo_path("/srv/git/shop", gh) is None
    assert repo_path("https://github.com/shop", gh) is None


def _fleet(tmp_path: Path, forge: dict, company_defaults: dict | None = None) -> Path:
    fleet = write_dashboard_fleet(tmp_path)
    doc = yaml.safe_load((fleet / "fleet.yaml").read_text())
    doc["spec"]["git"] = {"forge": forge}
    if company_defaults is not None:
        for c in doc["spec"]["companies"]:
            if c["name"] == "globex":
                c["defaults"] = company_defaults
    (fleet / "fleet.yaml").write_text(yaml.safe_dump(doc))
    return fleet


def _load(fleet: Path):
    desired, diags = load_fleet(fleet)
    assert desired is not None, diags
    return desired


def test_a_company_sets_its_products_forge_and_tokens_resolve_by_reference(tmp_path: Path):
    fleet_forge = {
        "type": "github",
        "url": "https://api.github.com",
        "repo": "acme/shop",
        "credentials": {"tokenEnv": "GH_TOKEN"},
    }
    globex = {
        "git": {
            "forge": {
                "type": "gitea",
                "url": "https://gitea.globex.example/api/v1",
                "repo": "globex/hash",
                "credentials": {"tokenEnv": "GITEA_TOKEN"},
            }
        }
    }
    desired = _load(_fleet(tmp_path, fleet_forge, globex))
    assert forge_config(desired, "shop").type is ForgeType.GITHUB
    assert forge_config(desired, "hash").type is ForgeType.GITEA  # its company's defaults
    env = {"GH_TOKEN": "gh-secret-token-1234", "GITEA_TOKEN": "gitea-secret-token-5678"}
    hash_client = forge_for(desired, "hash", Context(env=env).secrets)
    assert (hash_client.kind, hash_client.repo) == (ForgeType.GITEA, "globex/hash")
    with pytest.raises(ForgeError) as missing:  # the variable is not set
        forge_for(desired, "hash", Context(env={"GH_TOKEN": "x"}).secrets)
    assert "no token for the gitea forge" in str(missing.value)


def test_a_local_source_needs_the_repo_named(tmp_path: Path):
    desired = _load(
        _fleet(
            tmp_path, {"type": "gitlab", "url": "https://gitlab.example", "credentials": {"tokenEnv": "T"}}
        )
    )
    with pytest.raises(ForgeError) as where:
        forge_for(desired, "shop", Context(env={"T": "token-value-123456"}).secrets)
    assert "spec.git.forge.repo" in str(where.value) and "token-value" not in str(where.value)


def test_a_bad_forge_is_a_fleet_error_with_its_place(tmp_path: Path):
    fleet = _fleet(tmp_path, {"type": "bitbucket", "url": "ftp://x"})
    desired, diags = load_fleet(fleet)
    assert desired is None
    said = [f"{d.file}:{d.line}: {d.message}" for d in diags]
    assert any("fleet.yaml" in s and "forge" in s and "type" in s for s in said), said
