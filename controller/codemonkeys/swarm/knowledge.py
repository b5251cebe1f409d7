"""The swarm store's first use: learn from a red build, and say where the fleet saw it before.

Called by the build actuators (local runner and Jenkins) when a build fails: the console log becomes
failure signatures (``extract_signatures``), kept per product and build in the store, and each
signature is looked up across the fleet first, so the action's message can say "seen before in ...".
"""

from __future__ import annotations

from dataclasses import dataclass

from codemonkeys.store.db import Store
from codemonkeys.swarm.signatures import Signature, extract_signatures


@dataclass(frozen=True)
class Lesson:
    """What one failed build taught: its failure signatures and which products saw each one before."""

    signatures: list[Signature]
    seen_before: dict[str, list[str]]  # fingerprint -> products that had it earlier

    def summary(self) -> str:
        """One line on the top signature, with where it was seen before ("" if none was found)."""
        if not self.signatures:
            return ""
        top = self.signatures[0]
        text = f"{top.kind}: {top.summary}"
        before = self.seen_before.get(top.fingerprint)
        if before:
            text += f" (seen before in {', '.join(before)})"
        return text

    def outputs(self) -> list[dict]:
        """The signatures as JSON-ready dicts for the action's outputs, each with its ``seen_before``."""
        return [
            {
                "kind": str(s.kind),
                "fingerprint": s.fingerprint,
                "summary": s.summary,
                "count": s.count,
                "seen_before": self.seen_before.get(s.fingerprint, []),
            }
            for s in self.signatures
        ]


def learn_from_failure(
    store: Store, product: str, commit: str, ci: str, log: str, build_url: str | None = None
) -> Lesson:
    """Extract the failure signatures of a build log, look each up across the fleet, then record them."""
    signatures = extract_signatures(log)
    seen: dict[str, list[str]] = {}
    for sig in signatures:
        products = sorted({r.product for r in store.signatures(fingerprint=sig.fingerprint)})
        if products:
            seen[sig.fingerprint] = products
    store.record_signatures(
        [
            {
                "product": product,
                "commit": commit,
                "ci": ci,
                "kind": str(s.kind),
                "fingerprint": s.fingerprint,
                "summary": s.summary,
                "detail": "\n".join(s.detail),
                "count": s.count,
                "build_url": build_url,
            }
            for s in signatures
        ]
    )
    return Lesson(signatures, seen)
