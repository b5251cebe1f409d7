"""What the swarm store knows and how it learns: failure signatures and fix templates.

Called by the build actuators (local runner and Jenkins) when a build fails: the console log becomes
failure signatures (``extract_signatures``), kept per product and build in the store, and each
signature is looked up across the fleet first, so the action's message can say "seen before in ...".
Fix templates (``swarm/templates.py``) are stored with their record (successes, failures, origin);
``fitting_templates`` ranks the ones that fit a failure for the heal observer and actuator.
"""

from __future__ import annotations

from dataclasses import dataclass

from codemonkeys.store.db import FixTemplateRecord, SignatureRecord, Store
from codemonkeys.swarm.deps import ResolverConflict, resolver_conflicts
from codemonkeys.swarm.signatures import Signature, SignatureKind, extract_signatures, normalize
from codemonkeys.swarm.templates import FixTemplate, match


@dataclass(frozen=True)
class Lesson:
    """What one failed build taught: its failure signatures and which products saw each one before."""

    signatures: list[Signature]
    seen_before: dict[str, list[str]]  # fingerprint -> products that had it earlier
    conflicts: tuple[ResolverConflict, ...] = ()  # what a dependency resolver refused in the log

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
    """Extract the failure signatures of a build log, look each up across the fleet, then record them;
    the dependency resolvers' conflicts in it (pip, npm, cargo) are recorded too."""
    signatures = extract_signatures(log)
    found = resolver_conflicts(log)
    store.record_conflicts(
        [
            {
                "product": product,
                "commit": commit,
                "ci": ci,
                "tool": c.tool,
                "package": c.package,
                "involved": [normalize(x) for x in c.involved],  # workspace paths made relative
                "build_url": build_url,
            }
            for c in found
        ]
    )
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
                "cause": s.cause,
                "location": s.location,
                "detail": "\n".join(s.detail),
                "count": s.count,
                "build_url": build_url,
            }
            for s in signatures
        ]
    )
    return Lesson(signatures, seen, tuple(found))


# --- flaky builds -----------------------------------------------------------------------------------

_NOT_FLAKY = ("ImportError", "ModuleNotFoundError", "SyntaxError", "IndentationError")


def is_test_failure(signatures: list[Signature]) -> bool:
    """Whether every failure of a red build is a test failure (an assertion or a panic in a test, a test
    timeout), not a compile, import or syntax error: the kind of red a re-run may turn green."""
    if not signatures:
        return False
    return all(_test_failure(s) for s in signatures)


def _test_failure(sig: Signature) -> bool:
    if any(word in sig.summary for word in _NOT_FLAKY):
        return False
    if sig.kind is SignatureKind.PYTEST_FAILURE:
        return True
    if sig.kind is SignatureKind.CARGO_ERROR:
        return " panicked: " in sig.summary
    if sig.kind is SignatureKind.NPM_ERROR:
        return not sig.summary.startswith("npm ")  # node --test failures, not npm's own errors
    return sig.kind is SignatureKind.TIMEOUT and "::" in sig.summary  # pytest-timeout in a test


def record_flaky(store: Store, product: str, commit: str, ci: str, signatures: list[Signature]) -> None:
    """Record the failures of a red build that passed when the same commit was built again."""
    store.record_flaky(
        [
            {
                "product": product,
                "commit": commit,
                "ci": ci,
                "fingerprint": s.fingerprint,
                "kind": str(s.kind),
                "summary": s.summary,
            }
            for s in signatures
        ]
    )


# --- fix templates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A stored fix template that fits a failure: the record, the template, its placeholder bindings."""

    record: FixTemplateRecord
    template: FixTemplate
    bindings: dict[str, str]

    @property
    def score(self) -> float:
        """The template's record as a success rate with a prior (1 success in 1 use ranks below 5 in 5)."""
        return (self.record.successes + 1) / (self.record.successes + self.record.failures + 2)


def failure_summaries(store: Store, product: str, commit: str) -> list[SignatureRecord]:
    """The failure signatures recorded for the build of ``product`` at ``commit``, top first."""
    return [r for r in store.signatures(product=product) if r.commit == commit]


def fitting_templates(records: list[FixTemplateRecord], summaries: list[str]) -> list[Fit]:
    """The fix templates (``store.templates()``) that fit any of the failure summaries, best record
    first, then the most recently used or learned."""
    fits: list[Fit] = []
    for record in records:
        template = FixTemplate.from_json(record.data)
        for summary in summaries:
            bindings = match(template, summary)
            if bindings is not None:
                fits.append(Fit(record, template, bindings))
                break
    newest = {f.record.id: (f.record.last_used_at or f.record.learned_at).timestamp() for f in fits}
    return sorted(fits, key=lambda f: (-f.score, -newest[f.record.id], f.record.id))


def remember_template(
    store: Store, template: FixTemplate, signature: str, origin: str, product: str, commit: str
) -> tuple[FixTemplateRecord, bool]:
    """Store a template learned from a human fix (``origin`` human) or a merged heal (``heal``): a new one
    starts with one success (the fix it came from); one already known gains a success."""
    return store.save_template(
        {
            "id": template.id,
            "pattern": template.pattern,
            "kind": template.kind,
            "signature": signature,
            "description": template.describe(),
            "data": template.to_json(),
            "origin": origin,
            "origin_product": product,
            "origin_commit": commit,
            "successes": 1,
            "failures": 0,
        }
    )
