"""The dashboard's pure parts: the grid's state, filters, order and counts (service/views.py), what an
approval card shows per action kind, which decisions are bound to what is held, who may decide, where a
form's redirect may go, and the templates' autoescaping (service/pages.py)."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from codemonkeys.service.auth import Principal, Role
from codemonkeys.service.pages import environment, local, seconds, when
from codemonkeys.service.views import (
    GridFilter,
    bound_to,
    details,
    grid,
    grid_filter,
    may_decide,
    status,
)


def row(name: str, company: str, labels: dict, facets: dict, in_sync, **extra) -> dict:
    return {
        "name": name,
        "company": company,
        "labels": labels,
        "language": "python",
        "facets": facets,
        "in_sync": in_sync,
        **extra,
    }


ROWS = [
    row("web", "acme", {"tier": "app"}, {"build": "in_sync", "deploy": "drift"}, False),
    row("cli", "acme", {"tier": "app"}, {"build": "drift"}, False, suspended=True),
    row("lib", "acme", {"tier": "library"}, {"build": "failed"}, False),
    row("hash", "globex", {"tier": "library"}, {"build": "in_sync"}, True),
    row("new", "globex", {}, {}, None),
    row("paused", "globex", {}, {"build": "in_sync"}, True, paused=True),
]


def names(g) -> list[str]:
    return [r["name"] for r in g.rows]


def test_the_grid_orders_needs_attention_first_and_counts_the_whole_fleet():
    assert [status(r) for r in ROWS] == ["drifting", "suspended", "stuck", "in_sync", "unknown", "suspended"]
    # a failed facet while another still acts: failed, not stuck (the controller is not done)
    assert status(row("half", "acme", {}, {"build": "failed", "change": "drift"}, False)) == "failed"
    g = grid([dict(r) for r in ROWS], GridFilter())
    assert names(g) == ["lib", "web", "new", "cli", "paused", "hash"]
    assert g.counts == {"stuck": 1, "drifting": 1, "unknown": 1, "suspended": 2, "in_sync": 1}
    assert g.companies == ["acme", "globex"] and g.total == 6
    narrowed = grid([dict(r) for r in ROWS], GridFilter(company="globex"))
    assert names(narrowed) == ["new", "paused", "hash"] and narrowed.counts == g.counts  # counts: the fleet


def test_the_grid_filters():
    def kept(**want) -> list[str]:
        return names(grid([dict(r) for r in ROWS], GridFilter(**want)))

    assert kept(state="suspended") == ["cli", "paused"]
    assert kept(label="tier=app") == ["web", "cli"]
    assert kept(label="tier") == ["lib", "web", "cli", "hash"]  # a key: any value
    assert kept(label="tier=") == []  # an empty value is a value
    assert kept(text="GLOBEX", state="in_sync") == ["hash"]
    assert kept(text="library") == ["lib", "hash"]  # labels are text too
    assert kept(state="stuck", company="globex") == [] and kept(state="stuck") == ["lib"]


def test_a_form_redirects_only_within_the_site():
    assert local("/approvals?x=1") == "/approvals?x=1"
    for outside in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "approvals", "", None):
        assert local(outside) == "/"


def test_templates_escape_what_they_show():
    env = environment()
    html = env.get_template("error.html").render(
        title="<b>t</b>", message="<script>alert(1)</script>", back="/", user=None, writable=False, here="/"
    )
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;t&lt;/b&gt;" in html
    assert when("2026-11-29T02:42:35.061161+00:00") == "2026-11-29 02:42:35" and when(None) == "-"
    assert (seconds(None), seconds(12.34), seconds(90)) == ("-", "12.3 s", "1.5 min")


def test_held_is_a_state_of_its_own_and_an_unknown_state_is_refused():
    held = row("api", "acme", {}, {"build": "in_sync", "release": "held"}, False)
    red_and_held = row("lib2", "acme", {}, {"build": "failed", "release": "held"}, False)
    assert (status(held), status(red_and_held)) == ("held", "failed")  # failed first: it needs a fix
    g = grid([dict(r) for r in [*ROWS, held]], grid_filter("held"))
    assert names(g) == ["api"] and g.counts["held"] == 1
    with pytest.raises(HTTPException) as refused:
        grid_filter("hold")
    assert refused.value.status_code == 400 and "failed, held, running, drifting" in refused.value.detail


def test_the_card_of_each_kind_says_what_an_approval_lets_happen():
    infra = details(
        "infra.apply",
        {
            "commit": "c0ffee" * 7,
            "workspace": "default",
            "adds": 1,
            "changes": 2,
            "destroys": 0,
            "replaces": 1,
            "addresses": ["terraform_data.a", "terraform_data.b"],
            "drift": False,
        },
        {},
    )
    assert dict(infra["facts"])["terraform plan"] == "1 to add, 2 to change, 0 to destroy, 1 to replace"
    assert infra["lists"] == [("addresses", ["terraform_data.a", "terraform_data.b"])]
    deploy = details(
        "deploy.run",
        {
            "environment": "prod",
            "version": "1.2.0",
            "previous": "1.1.0",
            "hosts": ["a", "b", "c"],
            "pending": ["a", "c"],
            "batch": 1,
            "secrets": ["db"],
        },
        {},
    )
    assert dict(deploy["facts"]) == {
        "environment": "prod",
        "version": "1.1.0 -> 1.2.0",
        "hosts": "2 of 3 to change",
        "batches": "2 of at most 1 host(s)",
    }
    assert deploy["lists"] == [("hosts", ["a (changes)", "b (unchanged)", "c (changes)"])]
    change = details("change.merge", {"change": "c1", "files": ["README.md"], "diff": "-a\n"}, {}, "-a\n+b\n")
    assert change["texts"] == [("diff", "-a\n+b\n")]  # the stored diff, whole, not the params' start
    heal = details("heal.merge", {"attempt": 2, "strategy": "template", "patch": "-x\n+y\n"}, {})
    assert heal["texts"] == [("diff", "-x\n+y\n")] and ("attempt", 2) in heal["facts"]
    commits = [{"sha": "abcdef1234", "type": "feat", "scope": "ui", "subject": "feat(ui): dark mode"}]
    cut = details(
        "release.cut",
        {"version": "0.3.3", "previous": "0.3.2", "bump": "patch", "tag": "v0.3.3"},
        {"git": {"last_tag": "v0.3.2", "commits_since": commits}},
        today="2026-12-07",
    )
    assert cut["lists"][0] == ("1 commit(s) since v0.3.2", ["abcdef1 feat(ui): dark mode"])
    assert cut["texts"][0][1].startswith("## 0.3.3 (2026-12-07)\n\n### Features\n\n- **ui:** dark mode")


def test_only_decisions_bound_to_the_current_identity_count_and_only_its_approvers_decide():
    given = {"event": "approval.given", "data": {"fingerprint": "f1", "params": {"version": "0.3.2"}}}
    assert bound_to(given, "f1", {"version": "0.3.2"}, "r")
    assert not bound_to(given, "f1", {"version": "0.3.3"}, "r")  # other params: another version
    assert not bound_to(given, "f2", {"version": "0.3.2"}, "r")  # another product fingerprint
    ruled = {"event": "approval.given", "data": {"fingerprint": "f1", "params": {}, "rules": "r1"}}
    assert bound_to(ruled, "f1", {}, "r1") and not bound_to(ruled, "f1", {}, "r2")
    rejected = {"event": "approval.rejected", "data": {"fingerprint": "f1"}}  # a rejection has no params
    assert bound_to(rejected, "f1", {"version": "0.3.3"}, "r")
    card = {"company": "acme", "approvers": ["ann"]}
    assert may_decide(Principal("ann", Role.approver, ("acme",)), card)
    assert not may_decide(Principal("bob", Role.approver, ("acme",)), card)  # not among the approvers
    assert not may_decide(Principal("ann", Role.approver, ("globex",)), card)  # another company
    assert not may_decide(Principal("ann", Role.viewer), card)
    assert not may_decide(None, card)
    assert may_decide(Principal("admin", Role.admin), card)  # the legacy token approves as someone named
    assert may_decide(Principal("bob", Role.approver), {"company": "acme", "approvers": []})  # anyone
