"""The published docs site: where ``docs.build`` publishes a product's site, and the stamp it leaves there.

The stamp (``.codemonkeys-stamp.json``) records the commit, the docs-inputs hash and the API fingerprint
the site was built from. The docs actuator writes it; the docs observer reads it (``published_docs``);
the planner compares the inputs hash with HEAD's.
"""

from __future__ import annotations

import json
from pathlib import Path

from codemonkeys.vocab.facts import DocsFacts

STAMP = ".codemonkeys-stamp.json"


def site_dir(state_dir: Path, product: str) -> Path:
    """Where ``product``'s site is published (under the fleet's state dir)."""
    return state_dir / "sites" / product


def parse_stamp(text: str | None) -> DocsFacts:
    """Pure: the stamp's JSON (None: never published) -> docs facts."""
    if not text:
        return DocsFacts()
    data = json.loads(text)
    return DocsFacts(
        published_commit=data.get("commit"),
        published_inputs=data.get("inputs"),
        published_api=data.get("api"),
    )


def published_docs(state_dir: Path, product: str) -> DocsFacts:
    """What the published site of ``product`` was built from."""
    path = site_dir(state_dir, product) / STAMP
    return parse_stamp(path.read_text() if path.is_file() else None)
