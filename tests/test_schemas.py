"""Committed JSON Schemas match the models; example files point editors at them and validate against them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from codemonkeys.kinds.schema import render_schemas

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "fleet-repo-example"


def test_committed_schemas_do_not_drift():
    rendered = render_schemas()
    committed = {p.name: p.read_text() for p in (ROOT / "schemas").glob("*.schema.json")}
    assert committed == rendered, "schemas/ is stale: run `cmctl schema export schemas`"


def _example_files():
    return sorted(
        [EXAMPLE / "fleet.yaml", EXAMPLE / "constitution.yaml", *(EXAMPLE / "products").rglob("*.yaml")]
    )


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: str(p.relative_to(EXAMPLE)))
def test_example_files_carry_a_schema_modeline_that_resolves(path: Path):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    schema_path = (path.parent / first.split("$schema=", 1)[1]).resolve()
    schema = json.loads(schema_path.read_text())
    for doc in yaml.safe_load_all(path.read_text()):
        jsonschema.Draft202012Validator(schema).validate(doc)


def test_schema_rejects_unknown_fields():
    schema = json.loads(render_schemas()["product.schema.json"])
    doc = yaml.safe_load((EXAMPLE / "products/globex/globex-hash.yaml").read_text())
    doc["spec"]["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError, match="colour"):
        jsonschema.Draft202012Validator(schema).validate(doc)
