"""A decision's identity (issue 28): the same inputs decide the same and a long-lived session reuses the
decision; the time is an input only when a matching rule reads it; an approval binds to the product's
fingerprint, the params and the matching rules, and a lapsed one says why."""

from __future__ import annotations

from datetime import timedelta

from codemonkeys.kinds.models import Constitution
from codemonkeys.policy.gate import DecisionMemo, Gate, PolicyInput, params_json
from codemonkeys.vocab.plan import Verdict
from codemonkeys.vocab.policy import Approval
from test_plan_golden import CASES, NOW, load_case


def constitution(rules: list[dict]) -> Constitution:
    return Constitution.model_validate(
        {
            "apiVersion": "codemonkeys.dev/v1",
            "kind": "Constitution",
            "metadata": {"name": "c"},
            "spec": {"default": "allow", "groups": {"owners": ["ann"]}, "rules": rules},
        }
    )


HOLD = {
    "id": "cuts",
    "match": {"actions": ["release.cut"]},
    "hold": {"approvals": 1, "approvers": ["owners"]},
}
WINDOW = {"id": "weekdays", "match": {"actions": ["release.cut"]}, "window": {"days": ["mon", "tue"]}}


def product():
    _, desired, _, _ = load_case(CASES / "cross_product.yaml")
    return next(iter(desired.products.values()))


def inp(p, now=NOW, params=None, approvals=(), fingerprint="fp1") -> PolicyInput:
    return PolicyInput(
        "a/release.cut",
        "release.cut",
        p,
        {},
        now,
        params or {"version": "0.2.0"},
        "f",
        "rev1",
        fingerprint,
        approvals,
    )


def test_a_decision_whose_inputs_stand_is_reused_unless_a_rule_reads_the_time():
    p = product()
    memo = DecisionMemo()
    gate = Gate(constitution([HOLD]), memo=memo)
    first = gate.decide(inp(p))
    later = Gate(constitution([HOLD]), memo=memo).decide(inp(p, now=NOW + timedelta(days=3)))
    assert later is first and memo.hits == 1  # no rule reads the time: the same decision days later
    assert (
        first.input_hash == Gate(constitution([HOLD])).decide(inp(p, now=NOW + timedelta(hours=1))).input_hash
    )
    assert first.verdict is Verdict.HOLD

    timed = Gate(constitution([HOLD, WINDOW]), memo=DecisionMemo())
    a, b = timed.decide(inp(p)), timed.decide(inp(p, now=NOW + timedelta(days=1)))
    assert a.input_hash != b.input_hash and timed.memo.hits == 0  # a window reads the time
    # another rule set: another rules digest, another identity
    assert a.rules != first.rules and a.input_hash != first.input_hash


def test_an_approval_binds_to_fingerprint_params_and_rules_and_says_why_it_lapsed():
    p = product()
    gate = Gate(constitution([HOLD]))
    held = gate.decide(inp(p))
    given = Approval("ann", "rev0", "fp1", "ok", params_json({"version": "0.2.0"}), held.rules)
    assert gate.decide(inp(p, approvals=(given,))).verdict is Verdict.ALLOW
    # another revision alone changes nothing (an unrelated commit)
    assert Gate(constitution([HOLD])).decide(inp(p, approvals=(given,))).verdict is Verdict.ALLOW

    other_version = gate.decide(inp(p, params={"version": "0.3.0"}, approvals=(given,)))
    assert other_version.verdict is Verdict.HOLD
    assert "approval by ann lapsed: release.cut now has version 0.3.0, not 0.2.0" in other_version.message
    moved = gate.decide(inp(p, approvals=(given,), fingerprint="fp2"))
    assert moved.verdict is Verdict.HOLD and "fingerprint fp1 -> fp2" in moved.message
    reworded = Gate(constitution([{**HOLD, "description": "reworded"}])).decide(inp(p, approvals=(given,)))
    assert reworded.verdict is Verdict.HOLD and "rules that match the action changed" in reworded.message
    # someone who may not approve never counts, and is not reported as lapsed
    mallory = Approval("mallory", "rev0", "fp1", "", given.params, held.rules)
    assert "mallory" not in gate.decide(inp(p, approvals=(mallory,))).message

    # an approval from before approvals were bound this way keeps its old binding
    legacy = Approval("ann", "rev1", "old-fp")
    ok = PolicyInput(**{**inp(p, approvals=(legacy,)).__dict__, "legacy_fingerprint": "old-fp"})
    assert gate.decide(ok).verdict is Verdict.ALLOW
    stale = PolicyInput(**{**ok.__dict__, "revision": "rev2"})
    lapsed = gate.decide(stale)
    assert (
        lapsed.verdict is Verdict.HOLD
        and "approval by ann lapsed: given at fleet revision rev1" in lapsed.message
    )
