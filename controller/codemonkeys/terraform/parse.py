"""Pure parsing of what Terraform prints: the JSON of a saved plan (``terraform show -json``) and the
first diagnostic of a failed command. No I/O: tested on recorded output.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

SENSITIVE = "(sensitive)"
UNKNOWN_VALUE = "(known after apply)"


@dataclass(frozen=True)
class PlanSummary:
    """What a saved plan would do: counts, the addresses it touches, drift, outputs and a stable digest."""

    adds: int = 0
    changes: int = 0
    destroys: int = 0
    replaces: int = 0
    addresses: tuple[str, ...] = ()
    drift: tuple[str, ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict)
    digest: str = ""

    @property
    def pending(self) -> int:
        """How many resource changes the plan holds."""
        return self.adds + self.changes + self.destroys + self.replaces


def _kind(actions: list[str]) -> str | None:
    """Terraform's action list for one resource -> add / change / destroy / replace (None: no-op, read)."""
    if "create" in actions and "delete" in actions:
        return "replace"
    return {"create": "add", "update": "change", "delete": "destroy"}.get(actions[0] if actions else "")


def _outputs(doc: dict[str, Any]) -> dict[str, Any]:
    """The planned output values; sensitive ones redacted, unknown ones marked."""
    planned = (doc.get("planned_values") or {}).get("outputs") or {}
    changes = doc.get("output_changes") or {}
    out: dict[str, Any] = {}
    for name in sorted(set(planned) | set(changes)):
        value = planned.get(name, {})
        change = (changes.get(name) or {}).get("after_unknown")
        if value.get("sensitive") or (changes.get(name) or {}).get("after_sensitive"):
            out[name] = SENSITIVE
        elif "value" in value:
            out[name] = value["value"]
        elif change:
            out[name] = UNKNOWN_VALUE
    return out


def summarize_plan(doc: dict[str, Any], commit: str) -> PlanSummary:
    """The summary of ``terraform show -json PLANFILE`` for the config at ``commit``. The digest hashes
    what the plan would do and the state it was made against (never printed), not when it was made, so
    observing the same world twice names the same plan."""
    counts = {"add": 0, "change": 0, "destroy": 0, "replace": 0}
    addresses = []
    for rc in doc.get("resource_changes") or []:
        kind = _kind((rc.get("change") or {}).get("actions") or [])
        if kind is None:
            continue
        counts[kind] += 1
        addresses.append(rc["address"])
    drift = sorted(
        rc["address"]
        for rc in doc.get("resource_drift") or []
        if _kind((rc.get("change") or {}).get("actions") or []) is not None
    )
    basis = {k: doc.get(k) for k in ("resource_changes", "resource_drift", "output_changes", "prior_state")}
    basis["commit"] = commit
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return PlanSummary(
        counts["add"],
        counts["change"],
        counts["destroy"],
        counts["replace"],
        tuple(sorted(addresses)),
        tuple(drift),
        _outputs(doc),
        digest,
    )


_ERROR = re.compile(r"^[│|\s]*Error: (?P<summary>.+?)\s*$")
_WHERE = re.compile(r"^[│|\s]*on (?P<file>\S+) line (?P<line>\d+)")


def first_diagnostic(output: str) -> str:
    """Terraform's first error as ``file:line: summary``. The first error that names a place wins (init
    opens with a general "problems during initialisation" before the real one); else the first error's
    summary; the last non-empty line when no ``Error:`` is found."""
    lines = output.splitlines()
    errors: list[str] = []
    for i, line in enumerate(lines):
        m = _ERROR.match(line)
        if not m:
            continue
        for follow in lines[i + 1 : i + 6]:
            w = _WHERE.match(follow)
            if w:
                return f"{w['file']}:{w['line']}: {m['summary']}"
            if _ERROR.match(follow):
                break
        errors.append(m["summary"])
    if errors:
        return errors[0]
    rest = [line.strip(" │|╷╵") for line in lines if line.strip(" │|╷╵")]
    return rest[-1] if rest else "terraform failed without a message"


def is_stale_plan(output: str) -> bool:
    """Whether Terraform refused a saved plan because the state changed after it was made."""
    return "Saved plan is stale" in output or "saved plan is stale" in output.lower()


def is_lock_error(output: str) -> bool:
    """Whether Terraform could not take the state lock (another run holds it)."""
    return "Error acquiring the state lock" in output
