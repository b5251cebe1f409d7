"""The dashboard's pure parts: the grid's state, filters, order and counts (service/views.py), where a
form's redirect may go, and the templates' autoescaping (service/pages.py)."""

from __future__ import annotations

from codemonkeys.service.pages import environment, local, seconds, when
from codemonkeys.service.views import GridFilter, grid, status


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
    assert [status(r) for r in ROWS] == ["drifting", "suspended", "failed", "in_sync", "unknown", "suspended"]
    g = grid([dict(r) for r in ROWS], GridFilter())
    assert names(g) == ["lib", "web", "new", "cli", "paused", "hash"]
    assert g.counts == {"failed": 1, "drifting": 1, "unknown": 1, "suspended": 2, "in_sync": 1}
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
    assert kept(state="failed", company="globex") == []


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
