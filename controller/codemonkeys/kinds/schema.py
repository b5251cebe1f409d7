"""JSON Schemas (draft 2020-12) of every kind, generated from the pydantic models.

``schemas/`` holds the committed copies; a test fails when they drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path

from codemonkeys.kinds.models import KINDS

SCHEMA_BASE = "https://codemonkeys.dev/schemas/v1/"


def render_schemas() -> dict[str, str]:
    """File name -> schema text for each kind, deterministic byte for byte."""
    out: dict[str, str] = {}
    for kind, model in KINDS.items():
        name = f"{kind.lower()}.schema.json"
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_BASE + name,
            **schema,
        }
        out[name] = json.dumps(schema, indent=2, sort_keys=False) + "\n"
    return out


def export_schemas(directory: Path) -> list[Path]:
    """Write every kind's JSON Schema into ``directory`` (created if missing) and return the files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written
