"""Company constitution overlays (constitution.d/<company>.yaml): they tighten the fleet's rules for that
company's products only, never allow anything, and a loosening overlay is a load error at FILE:LINE:COL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import cmctl
from dashboard_fleet import write_dashboard_fleet

ENV = {"apiVersion": "codemonkeys.dev/v1", "kind": "Constitution", "metadata": {"name": "overlay"}}


def overlay(fleet: Path, company: str, spec: dict) -> Path:
    path = fleet / "constitution.d" / f"{company}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump({**ENV, "spec": spec}, sort_keys=False))
    return path


def verdicts(fleet: Path) -> dict[str, tuple[str, str]]:
    r = cmctl("plan", "--json", "--fleet", str(fleet))
    assert r.returncode == 0, r.stderr
    return {
        a["id"]: (a["decision"]["verdict"], a["decision"]["rule"]) for a in json.loads(r.stdout)["actions"]
    }


def test_overlays_tighten_their_company_only_and_never_allow(tmp_path: Path):
    fleet = write_dashboard_fleet(tmp_path)
    constitution = yaml.safe_load((fleet / "constitution.yaml").read_text())
    constitution["spec"]["rules"] = [
        {"id": "allow-globex-releases", "match": {"actions": ["release.*"], "companies": ["globex"]}}
    ]
    (fleet / "constitution.yaml").write_text(yaml.safe_dump(constitution))
    assert verdicts(fleet) == {
        "hash/release.cut": ("allow", "allow-globex-releases"),
        "ledger/release.cut": ("deny", "default"),
        "shop/release.cut": ("deny", "default"),
    }
    overlay(
        fleet,
        "globex",
        {
            "rules": [
                {"id": "globex-cuts-held", "match": {"actions": ["release.cut"]}, "hold": {"approvals": 1}}
            ]
        },
    )
    # a rule whose condition is false matches acme's releases but does not allow them
    overlay(
        fleet,
        "acme",
        {
            "rules": [
                {
                    "id": "acme-never",
                    "match": {"actions": ["release.*"]},
                    "deny": {"when": "false", "message": "never"},
                }
            ]
        },
    )
    assert verdicts(fleet) == {
        "hash/release.cut": ("hold", "globex-cuts-held"),
        "ledger/release.cut": ("deny", "default"),
        "shop/release.cut": ("deny", "default"),
    }
    r = cmctl("approve", "hash/release.cut", "--as", "ann", "--fleet", str(fleet))
    assert r.returncode == 0, r.stderr
    assert verdicts(fleet)["hash/release.cut"] == ("allow", "allow-globex-releases")


LOOSENING = [
    ("acme", {"default": "allow"}, 6, "spec.default: allow would loosen it"),
    ("acme", {"groups": {"ops": ["eve"]}}, 6, "spec.groups: would widen who may approve"),
    (
        "acme",
        {"rules": [{"id": "just-allow", "match": {"actions": ["release.*"]}}]},
        7,
        "spec.rules[0]: a rule with no deny",
    ),
    (
        "acme",
        {"rules": [{"id": "x", "match": {"companies": ["globex"]}, "hold": {"approvals": 1}}]},
        10,
        "spec.rules[0].match.companies: the overlay of 'acme' applies to it only",
    ),
    (
        "acme",
        {"rules": [{"id": "shop-releases-need-approval", "deny": {"message": "no"}}]},
        7,
        "spec.rules[0].id: 'shop-releases-need-approval' is a rule of the fleet's constitution",
    ),
    ("initech", {"rules": []}, 1, "no company 'initech' in fleet.yaml spec.companies"),
]


@pytest.mark.parametrize(("company", "spec", "line", "message"), LOOSENING, ids=[m for *_, m in LOOSENING])
def test_a_loosening_overlay_is_a_load_error_at_its_place(
    tmp_path: Path, company: str, spec: dict, line: int, message: str
):
    fleet = write_dashboard_fleet(tmp_path)
    path = overlay(fleet, company, spec)
    r = cmctl("validate", "--fleet", str(fleet))
    assert r.returncode == 1
    assert f"{path}:{line}:" in r.stderr and message in r.stderr, r.stderr
    assert r.stderr.count(": error: ") == 1, r.stderr  # exactly this problem


def _companies(fleet: Path, defaults: dict[str, dict]) -> Path:
    doc = yaml.safe_load((fleet / "fleet.yaml").read_text())
    doc["spec"]["companies"] = [{"name": c, "defaults": d} for c, d in defaults.items()]
    (fleet / "fleet.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return fleet / "fleet.yaml"


def test_company_defaults_apply_to_its_products_and_the_product_wins(tmp_path: Path):
    from codemonkeys.api import FleetSession
    from codemonkeys.context import Context

    fleet = write_dashboard_fleet(tmp_path)
    shop = yaml.safe_load((fleet / "products" / "shop.yaml").read_text())
    shop["spec"]["suspend"] = False  # the product's own value wins over its company's default
    (fleet / "products" / "shop.yaml").write_text(yaml.safe_dump(shop))
    _companies(
        fleet,
        {"acme": {"suspend": True}, "globex": {"release": {"versioning": "pinned", "version": "2.0.0"}}},
    )
    FleetSession.open(fleet, Context.from_environ())  # a first load fills the load cache
    products = FleetSession.open(fleet, Context.from_environ()).desired.products  # from the cache
    assert (products["ledger"].spec.suspend, products["shop"].spec.suspend) == (True, False)
    assert not products["hash"].spec.suspend
    assert (
        str(products["hash"].spec.release.versioning) == "pinned"
        and products["hash"].spec.release.version == "2.0.0"
    )
    assert str(products["ledger"].spec.release.versioning) == "conventional"
    _companies(fleet, {"acme": {}, "globex": {}})  # a changed company default voids the cache
    products = FleetSession.open(fleet, Context.from_environ()).desired.products
    assert not products["ledger"].spec.suspend and str(products["hash"].spec.release.versioning) != "pinned"


def test_an_invalid_company_default_is_reported_in_fleet_yaml(tmp_path: Path):
    fleet = write_dashboard_fleet(tmp_path)
    path = _companies(fleet, {"acme": {"release": {"versioning": "sometimes"}}, "globex": {}})
    r = cmctl("validate", "--fleet", str(fleet))
    assert r.returncode == 1
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "sometimes" in text)
    col = path.read_text().splitlines()[line - 1].index("sometimes") + 1
    assert f"{path}:{line}:{col}: error: spec.release.versioning" in r.stderr, r.stderr
