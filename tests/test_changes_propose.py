"""`fleet patch` / `fleet exec` proposals in process (engine/changes.py) on a real monorepo: a patch's
paths are relative to each product's directory, `--replace` touches only the files its globs match, a
diff that would carry a secret's value or touch a secret file is refused (a lockfile or a big diff is
not: the constitution decides), a bad selector or an empty selection changes nothing; a dropped
proposal is closed; a green change that no longer merges (its product's branch moved and conflicts)
becomes a conflict, is not planned again, and can be dropped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from announce_fleet import git
from codemonkeys.act.base import ActContext, Outcome, Redactor
from codemonkeys.act.branches import commit_on_branch
from codemonkeys.api import ApiError, FleetSession, SelectorError
from codemonkeys.context import Context
from codemonkeys.engine.changes import Patch, Replace
from codemonkeys.facets.change.actuators import merge_change

ENV = {"apiVersion": "codemonkeys.dev/v1"}
SECRET = "s3cr3t-token-value"
PROTECTED = "CI configuration, lock files, git's own files and secrets"


def write_monorepo_fleet(root: Path) -> Path:
    mono = root / "mono"
    for name in ("api", "web"):
        (mono / name / "cfg").mkdir(parents=True)
        (mono / name / "settings.toml").write_text('core = "1.0"\n')
        (mono / name / "cfg" / "deps.toml").write_text('core = "1.0"\n')
    git(mono, "init", "-q", "-b", "main")
    git(mono, "add", ".")
    git(mono, "commit", "-qm", "feat: mono")
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    registry = {"type": "file", "path": "../registry", "credentials": {"tokenEnv": "CM_TEST_TOKEN"}}
    spec = {"registries": {"local": registry}}
    (fleet / "fleet.yaml").write_text(
        yaml.safe_dump({**ENV, "kind": "Fleet", "metadata": {"name": "m"}, "spec": spec})
    )
    constitution = {**ENV, "kind": "Constitution", "metadata": {"name": "c"}, "spec": {"default": "deny"}}
    (fleet / "constitution.yaml").write_text(yaml.safe_dump(constitution))
    for name in ("api", "web"):
        product = {
            **ENV,
            "kind": "Product",
            "metadata": {"name": name},
            "spec": {"source": {"repo": "../mono", "path": name}, "language": "other"},
        }
        (fleet / "products" / f"{name}.yaml").write_text(yaml.safe_dump(product))
    git(fleet, "init", "-q", "-b", "main")
    git(fleet, "add", ".")
    git(fleet, "commit", "-qm", "fleet")
    return fleet


def test_proposals_in_a_monorepo(tmp_path: Path):
    fleet = write_monorepo_fleet(tmp_path)
    fs = FleetSession.open(fleet, Context.from_environ({**os.environ, "CM_TEST_TOKEN": SECRET}))
    head = git(tmp_path / "mono", "rev-parse", "HEAD").strip()

    patch = '--- a/settings.toml\n+++ b/settings.toml\n@@ -1 +1 @@\n-core = "1.0"\n+core = "2.0"\n'
    result = fs.propose_change(["*"], Patch(patch), author="ann")
    assert [(o.product, o.status, o.files, o.lines) for o in result.outcomes] == [
        ("api", "proposed", ["api/settings.toml"], 2),
        ("web", "proposed", ["web/settings.toml"], 2),
    ]
    rows = {r["product"]: r for r in fs.changes()}
    assert rows["api"]["base"] == head and rows["api"]["branch"] == f"change/{result.change}/api"
    record = fs.store.change_proposals(product="web")[0]
    assert record.diff.startswith("diff --git a/web/settings.toml b/web/settings.toml")
    assert record.author == "ann" and record.selector == "*" and record.status == "proposed"

    only_cfg = fs.propose_change(["api"], Replace('"1.0"', '"2.0"', ("cfg/*.toml",)))
    assert [(o.status, o.files) for o in only_cfg.outcomes] == [("proposed", ["api/cfg/deps.toml"])]
    nothing = fs.propose_change(["api"], Replace("no such text", "x"))
    assert [o.status for o in nothing.outcomes] == ["unchanged"]

    leak = fs.propose_change(["web"], Replace('"1.0"', f'"{SECRET}"', ("settings.toml",)))
    assert [(o.status, o.reason) for o in leak.outcomes] == [
        ("failed", "the diff holds a secret's value: not proposed")
    ]
    assert all(SECRET not in r.diff for r in fs.store.change_proposals())
    dotenv = "--- /dev/null\n+++ b/.env\n@@ -0,0 +1 @@\n+MODE=dev\n"
    checked = fs.propose_change(["*"], Patch(dotenv), author="ann").outcomes
    assert [(o.product, o.status, o.reason) for o in checked] == [
        (p, "failed", f"refused by the patch checks: {p}/.env: protected (matches '.env*'): " + PROTECTED)
        for p in ("api", "web")
    ]
    # a person's change may touch a lockfile and be big (a dependency bump): the constitution decides
    bump = "--- /dev/null\n+++ b/Cargo.lock\n@@ -0,0 +1,201 @@\n" + "+line\n" * 201
    bumped = fs.propose_change(["api"], Patch(bump), author="ann").outcomes
    assert [(o.status, o.files, o.lines) for o in bumped] == [("proposed", ["api/Cargo.lock"], 201)]
    assert git(tmp_path / "mono", "rev-parse", "HEAD").strip() == head  # nothing committed by a proposal
    assert git(tmp_path / "mono", "status", "--porcelain") == ""

    with pytest.raises(SelectorError, match=r"^unknown selector key 'colour' in 'colour=red' \(known: "):
        fs.propose_change(["colour=red"], Patch(patch))
    with pytest.raises(ApiError, match="no product matches"):
        fs.propose_change(["nope-*"], Patch(patch))
    assert len(fs.store.change_proposals()) == 4

    assert fs.drop_change(result.change, ["web"]) == ["web"]  # withdrawn: never planned again
    assert {(r["product"], r["state"]) for r in fs.changes() if r["change"] == result.change} == {
        ("api", "proposed"),
        ("web", "dropped"),
    }
    with pytest.raises(ApiError, match="no open proposal"):
        fs.drop_change(result.change, ["web"])
    assert ("change.dropped", "web") in [(a.event, a.product) for a in fs.store.audit_records()]


def test_a_change_that_no_longer_merges_is_a_conflict_until_dropped(tmp_path: Path):
    fleet = write_monorepo_fleet(tmp_path)
    mono = tmp_path / "mono"
    fs = FleetSession.open(fleet, Context.from_environ({**os.environ, "CM_TEST_TOKEN": SECRET}))
    patch = '--- a/settings.toml\n+++ b/settings.toml\n@@ -1 +1 @@\n-core = "1.0"\n+core = "2.0"\n'
    change = fs.propose_change(["api"], Patch(patch), author="ann").change
    rec = fs.store.change_proposals(change=change)[0]
    ctx = ActContext(fs.desired, fs.store, Redactor.for_fleet(fs.desired, fs.context.secrets), fs.context)
    when = rec.created_at.isoformat(timespec="seconds")
    commit = commit_on_branch(
        ctx, "api", rec.base_commit, rec.diff, rec.files, "chore: 2.0", "", when, rec.branch
    )
    fs.store.save_change_proposal(
        change, "api", commit=commit, status="green"
    )  # as its green build leaves it
    (mono / "api" / "settings.toml").write_text('core = "3.0"\n')  # meanwhile, on main
    git(mono, "commit", "-qam", "fix: core 3.0")
    head = git(mono, "rev-parse", "HEAD").strip()
    merge = next(a for a in fs.plan(["api"]).actions if a.id == f"api/change.merge/{change}")

    result = merge_change(merge, ctx)
    assert result.outcome is Outcome.FAILED
    assert "no longer merges: main moved to" in result.message and "api/settings.toml" in result.message
    assert git(mono, "rev-parse", "HEAD").strip() == head  # the product's branch untouched
    assert git(mono, "status", "--porcelain") == ""
    assert git(mono, "rev-parse", rec.branch).strip() == commit  # the change branch stays for a look
    [row] = fs.changes()
    assert (row["state"], row["reason"]) == ("conflict", result.message.split(": ", 1)[1].split("; drop")[0])
    again = fs.plan(["api"])  # never planned again until dropped or proposed anew
    assert [a.id for a in again.actions if a.product == "api"] == []
    facet = again.products["api"].facets["change"]
    assert facet.state == "failed" and f"{change} conflicts with main" in facet.message
    assert "change.conflict" in [a.event for a in fs.store.audit_records()]
    assert merge_change(merge, ctx).outcome is Outcome.FAILED  # still not green: nothing lands

    assert fs.drop_change(change) == ["api"]
    assert fs.changes()[0]["state"] == "dropped"
    assert git(mono, "branch", "--list", rec.branch).strip() == ""  # deleted at the source
