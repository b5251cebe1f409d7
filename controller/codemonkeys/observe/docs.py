"""Docs observer: the stamp the docs actuator leaves next to the published site.

The stamp (``.codemonkeys-stamp.json``) records the commit and the docs-inputs hash the site was
built from; the planner compares the inputs hash with HEAD's.
"""

from __future__ import annotations

import json
from pathlib import Path

from codemonkeys.vocab.facts import DocsFacts

STAMP = ".codemonkeys-stamp.json"


def site_dir(state_dir: Path, product: str) -> Path:
    return state_dir / "sites" / product


def parse_stamp(text: str | None) -> DocsFacts:
    if not text:
        return DocsFacts()
    data = json.loads(text)
    return DocsFacts(
        published_commit=data.get("commit"),
        published_inputs=data.get("inputs"),
        published_api=data.get("api"),
    )


def observe_docs(state_dir: Path, product: str) -> DocsFacts:
    path = site_dir(state_dir, product) / STAMP
    return parse_stamp(path.read_text() if path.is_file() else None)
