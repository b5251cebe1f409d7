"""Cross-repo operations as governed changes, end to end with the real CLI on real git repos and real
local CI builds: `cmctl fleet patch` bumps a shared dependency in three products of two companies ->
three proposals; the globex overlay (constitution.d/globex.yaml) denies its own; `cmctl apply` commits
the other two on change/<id>/<product>, builds them green with the product's CI and merges them; a
re-apply runs nothing. `fleet patch` / `fleet exec` report the products they cannot change (exit 1)
and propose nothing for them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from announce_fleet import git
from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.engine.changes import Exec, Patch
from conftest import cmctl

ENV = {"apiVersion": "codemonkeys.dev/v1"}
PRODUCTS = {"billing": "acme", "shop": "acme", "hash": "globex"}
CHECK = (
    "import pathlib, sys\n"
    "reqs = pathlib.Path('requirements.txt').read_text().split()\n"
    "sys.exit(0 if any(r.startswith('core-lib==') for r in reqs) else 1)\n"
)


def write_fleet(root: Path) -> Path:
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "constitution.d").mkdir()
    doc = {"companies": [{"name": "acme"}, {"name": "globex"}]}
    (fleet / "fleet.yaml").write_text(
        yaml.safe_dump({**ENV, "kind": "Fleet", "metadata": {"name": "chg"}, "spec": doc})
    )
    rules = [
        {"id": "allow-builds", "match": {"actions": ["build.run"]}},
        {
            "id": "big-changes-need-approval",
            "match": {"actions": ["change.*"]},
            "hold": {"when": "action.params.lines > 40", "approvals": 1},
        },
        {"id": "allow-changes", "match": {"actions": ["change.*"]}},
    ]
    spec = {"default": "deny", "rules": rules}
    (fleet / "constitution.yaml").write_text(
        yaml.safe_dump({**ENV, "kind": "Constitution", "metadata": {"name": "c"}, "spec": spec})
    )
    overlay = {
        "rules": [
            {
                "id": "globex-pins-by-hand",
                "match": {"actions": ["change.*"]},
                "deny": {
                    "when": '"requirements.txt" in action.params.files',
                    "message": "globex bumps its dependencies by hand",
                },
            }
        ]
    }
    (fleet / "constitution.d" / "globex.yaml").write_text(
        yaml.safe_dump({**ENV, "kind": "Constitution", "metadata": {"name": "globex"}, "spec": overlay})
    )
    for name, company in PRODUCTS.items():
        repo = root / "repos" / name
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        (repo / "requirements.txt").write_text("core-lib==1.0\nrequests==2.31\n")
        (repo / "check.py").write_text(CHECK)
        (repo / "README.md").write_text(f"# {name}\n\nNeeds core-lib==1.0 or later.\n")
        git(repo, "add", ".")
        git(repo, "commit", "-qm", f"feat: {name}")
        product = {
            **ENV,
            "kind": "Product",
            "metadata": {"name": name, "company": company},
            "spec": {
                "source": {"repo": f"../repos/{name}", "branch": "main"},
                "language": "python",
                "build": {"command": [sys.executable, "check.py"]},
            },
        }
        (fleet / "products" / f"{name}.yaml").write_text(yaml.safe_dump(product))
    git(fleet, "init", "-q", "-b", "main")
    git(fleet, "add", ".")
    git(fleet, "commit", "-qm", "fleet")
    return fleet


def run_json(*args: str) -> object:
    r = cmctl(*args, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def states(fleet: Path) -> dict[str, str]:
    return {r["product"]: r["state"] for r in session(fleet).changes()}


def session(fleet: Path) -> FleetSession:
    return FleetSession.open(fleet, Context.from_environ())


def test_fleet_patch_proposes_gates_proves_and_merges(tmp_path: Path):
    fleet = write_fleet(tmp_path)
    f = ("--fleet", str(fleet))
    repos = tmp_path / "repos"
    heads = {n: git(repos / n, "rev-parse", "HEAD").strip() for n in PRODUCTS}

    # one command, one proposal per product it changes (only requirements.txt: README is not matched)
    proposed = run_json(
        "fleet", "patch", *f, "--select", "company=acme", "--select", "hash",
        "--replace", "core-lib==1.0", "core-lib==2.0", "--glob", "requirements.txt",
        "-m", "build: core-lib 2.0",
    )  # fmt: skip
    change = proposed["change"]
    assert {p["product"]: (p["status"], p["files"], p["lines"]) for p in proposed["products"]} == {
        n: ("proposed", ["requirements.txt"], 2) for n in PRODUCTS
    }
    rows = session(fleet).changes()
    assert {r["product"]: r["state"] for r in rows} == dict.fromkeys(PRODUCTS, "proposed")
    assert {r["selector"] for r in rows} == {"company=acme | hash"}
    assert all(r["author"] and r["base"] == heads[r["product"]] for r in rows)

    # planned and gated: CEL sees the files; the globex overlay denies its own, the fleet allows acme's
    plan = session(fleet).plan()
    verdicts = {a.id: (str(a.decision.verdict), a.decision.rule) for a in plan.actions}
    for n in ("billing", "shop"):
        assert verdicts[f"{n}/change.propose/{change}"][0] == "allow"
        assert verdicts[f"{n}/change.merge/{change}"][0] == "allow"
    assert verdicts[f"hash/change.propose/{change}"] == ("deny", "globex-pins-by-hand")
    merge = plan.action(f"shop/change.merge/{change}")
    assert merge.depends_on == [f"shop/change.propose/{change}"]
    assert "+core-lib==2.0" in merge.params["diff"] and merge.params["selector"] == "company=acme | hash"

    # one apply builds, proves each change on its branch and merges it (fast-forward)
    r = cmctl("apply", *f, "--auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    for n in ("billing", "shop"):
        repo = repos / n
        assert (repo / "requirements.txt").read_text() == "core-lib==2.0\nrequests==2.31\n"
        assert git(repo, "log", "-1", "--format=%s").strip() == "build: core-lib 2.0"
        assert git(repo, "rev-parse", "HEAD~1").strip() == heads[n]
        assert git(repo, "branch", "--list", "change/*").strip() == ""  # the change branch is deleted
        assert git(repo, "status", "--porcelain") == ""
        assert "Change-Selector: company=acme | hash" in git(repo, "log", "-1", "--format=%b")
    assert git(repos / "hash", "rev-parse", "HEAD").strip() == heads["hash"]
    assert git(repos / "hash", "branch", "--list", "change/*").strip() == ""
    table = cmctl("fleet", "changes", *f)
    assert table.returncode == 0 and "denied" in table.stdout and "merged" in table.stdout, table.stdout
    assert states(fleet) == {"billing": "merged", "shop": "merged", "hash": "denied"}
    events = [(a.event, a.product) for a in session(fleet).store.audit_records()]
    for n in ("billing", "shop"):
        for event in ("change.recorded", "change.proposed", "change.green", "change.merged"):
            assert (event, n) in events
    assert ("change.recorded", "hash") in events and ("change.proposed", "hash") not in events

    # re-apply: the merged changes' commits were built green on their branch: nothing runs
    plan = session(fleet).plan()
    assert sorted((a.id, str(a.decision.verdict)) for a in plan.actions) == [
        (f"hash/change.merge/{change}", "deny"),
        (f"hash/change.propose/{change}", "deny"),
    ]
    assert plan.products["billing"].in_sync and "change" not in plan.products["billing"].facets
    applied = session(fleet).apply(plan)
    assert applied.report.ok and {str(o.status) for o in applied.report.outcomes.values()} == {"blocked"}

    # a patch that applies nowhere, a command that fails or changes nothing: reported, nothing proposed
    fs = session(fleet)
    bad = fs.propose_change(["*"], Patch("--- a/nope.txt\n+++ b/nope.txt\n@@ -1 +1 @@\n-x\n+y\n"))
    assert {(o.status, o.reason.split(":")[0]) for o in bad.outcomes} == {
        ("failed", "the patch does not apply")
    }
    noop = fs.propose_change(["billing"], Exec((sys.executable, "-c", "print('nothing')")))
    assert [(o.status, o.reason) for o in noop.outcomes] == [("unchanged", "")]
    r = cmctl("fleet", "exec", *f, "--select", "hash", "--", sys.executable, "-c", "raise SystemExit(4)")
    assert r.returncode == 1 and "failed" in r.stdout and "exited 4" in r.stdout, r.stdout + r.stderr

    # a change that breaks the build is red: its branch deleted, main untouched; a change on a branch
    # that moved since it was proposed lands as a merge commit
    red = fs.propose_change(["billing"], Exec((sys.executable, "-c", BREAK)))
    notes = fs.propose_change(["shop"], Exec((sys.executable, "-c", WRITE_NOTES)))
    assert [(o.status, o.files) for o in notes.outcomes] == [("proposed", ["NOTES"])]
    (repos / "shop" / "CHANGELOG.md").write_text("# changes\n")  # a maintainer's commit meanwhile
    git(repos / "shop", "add", "CHANGELOG.md")
    git(repos / "shop", "commit", "-qm", "docs: changelog")
    billing_head = git(repos / "billing", "rev-parse", "HEAD").strip()
    applied = fs.apply(fs.plan())
    outcomes = {a: str(o.status) for a, o in applied.report.outcomes.items()}
    assert outcomes[f"billing/change.propose/{red.change}"] == "failed"
    assert outcomes[f"billing/change.merge/{red.change}"] == "skipped"
    assert not applied.report.ok
    assert git(repos / "billing", "rev-parse", "HEAD").strip() == billing_head
    assert git(repos / "billing", "branch", "--list", "change/*").strip() == ""
    assert len(git(repos / "shop", "rev-list", "--parents", "-n1", "HEAD").split()) == 3  # a merge commit
    assert (repos / "shop" / "NOTES").read_text() == "hi\n" and (repos / "shop" / "CHANGELOG.md").is_file()
    assert {
        (r["product"], r["state"]) for r in fs.changes() if r["change"] in (red.change, notes.change)
    } == {
        ("billing", "red"),
        ("shop", "merged"),
    }
    assert session(fleet).plan(["billing"]).products["billing"].facets["change"].state == "failed"
    assert fs.drop_change(red.change) == ["billing"]  # withdrawn: billing has no change facet any more
    assert "change" not in session(fleet).plan(["billing"]).products["billing"].facets


WRITE_NOTES = "import pathlib; pathlib.Path('NOTES').write_text('hi\\n')"
BREAK = "import pathlib; pathlib.Path('requirements.txt').write_text('requests==2.31\\n')"
