"""Pull-request mode end to end (issue 33): a product whose main branch is protected on its forge (a push to
it is refused, the way GitHub refuses a bot) heals through a pull request instead.

The heal scenario of test_e2e_heal.py (a typo makes ledger red; the scripted model's patch fixes it) on the
protocol-faithful forge servers (tests/servers/forges.py), backed by the product's real git repository: the
proven heal branch becomes one pull request (title, body with the failure, the candidate, the proof build and
the patch; labels), the proof build's commit status is on its head, and the merge is held first by the
constitution (an LLM patch waits for a maintainer), then, once a maintainer approved, by the forge (its branch
protection wants a review; Gitea, whose protection only admins may read, says so when the merge is tried, and
that refusal holds the merge until the head or the reviews change), until a review lands; the forge then
merges it through its API and main moves on the forge's merge commit. A cross-repo change goes the same way,
and a change whose pull request a person closed is dropped, its branch deleted.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.repos import run as git
from codemonkeys.vocab.plan import Verdict
from servers.forges import ForgeServer
from test_e2e_heal import GOOD_PATCH, PRODUCTS, TYPO, commit, converge, heads, make_fleet

pytestmark = pytest.mark.slow
TOKEN = "forge-token-for-pull-requests-42"
WHY = {  # what each forge says of a pull request its protection blocks for want of a review
    "github": "required reviews or checks are missing",  # REST: only mergeable_state "blocked"
    "gitlab": "1 approval(s) required",  # approvals_left of the merge request's approvals
    "gitea": "Does not have enough approvals",  # the refused merge (the protection is for admins to read)
}


def _pull_mode(fleet: Path, server: ForgeServer, kind: str, repo: str) -> None:
    """The fleet's products live on ``server`` (``kind``) and land their changes by pull request; the
    forge login ``ada-gh`` is the constitution's ``owner``."""
    path = fleet / "fleet.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["spec"]["git"] = {
        "mode": "pull-request",
        "forge": {
            "type": kind,
            "url": server.url,
            "repo": repo,
            "credentials": {"tokenEnv": "CM_FORGE_TOKEN"},
            "labels": ["codemonkeys", "heal"],
            "reviewers": {"ada-gh": "owner"},
        },
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _session(fleet: Path, tmp: Path) -> FleetSession:
    base = Context.from_environ({**os.environ, "CM_FORGE_TOKEN": TOKEN})
    env = {**base.env, "CORE_LIBS": str(tmp / "core-libs")}
    env.pop("OLLAMA_HOST", None)
    return FleetSession.open(fleet, replace(base, env=env, unsandboxed=True))


def _push_refused(repo: Path, tmp: Path) -> str:
    """A direct push to the protected main, as a bot would try it: git's complaint."""
    clone = tmp / "bot-clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    commit(clone, {"NOTES.md": "a bot was here\n"}, "docs: notes")
    pushed = subprocess.run(
        ["git", "-C", str(clone), "push", "origin", "main"], capture_output=True, text=True
    )
    assert pushed.returncode != 0, pushed
    return pushed.stderr


@pytest.mark.parametrize("kind", ["github", "gitlab", "gitea"])
def test_a_heal_lands_as_a_pull_request_once_the_constitution_and_the_forge_allow(
    tmp_path: Path, ollama_scripted, kind: str
):
    repo = "acme/ledger"
    fleet = make_fleet(
        tmp_path, ollama_scripted.url, ollama_scripted.model, products={"ledger": PRODUCTS["ledger"]}
    )
    ledger = tmp_path / "repos" / "ledger"
    with ForgeServer(kind, TOKEN) as server:
        server.add_repo(repo, git_dir=ledger)
        _pull_mode(fleet, server, kind, repo)
        fs = _session(fleet, tmp_path)
        assert converge(fs)[0] == {"ledger/build.run": "succeeded"}
        broken = commit(ledger, {"ledger.py": TYPO}, "refactor: shorter names")
        server.protect(repo, "main", approvals=1, checks=["codemonkeys/build"])
        assert "protected" in _push_refused(ledger, tmp_path).lower()
        converge(fs, rounds=1)  # the build of the typo: red
        ollama_scripted.script(GOOD_PATCH)
        assert converge(fs, rounds=1) == [{"ledger/build.heal": "succeeded"}]
        (attempt,) = fs.heal_attempts("ledger")
        assert attempt["status"] == "green" and heads(tmp_path, "ledger") == (
            broken,
            sorted(["main", attempt["branch"]]),
        )

        (pull,) = server.pulls(repo)  # one pull request, from the heal branch, open
        number = pull.get("number") or pull.get("iid")
        head = (pull.get("head") or {}).get("ref") or pull.get("source_branch")
        assert head == attempt["branch"] and pull["state"] in ("open", "opened")
        body = pull.get("body") or pull.get("description") or ""
        assert "NameError" in body and "green" in body and "+    return sum(amount" in body, body
        labels = [x if isinstance(x, str) else x["name"] for x in pull.get("labels") or []]
        if kind != "gitea":  # Gitea adds only labels the repository has
            assert sorted(labels) == ["codemonkeys", "heal"], pull
        states = [s.get("state") or s.get("status") for s in server.statuses(repo, attempt["heal_commit"])]
        assert states[-1] == "success", states  # the proof build, where the forge's required check looks

        # held by the constitution (an LLM patch waits for a maintainer) ...
        merge = fs.plan().action("ledger/heal.merge")
        assert (merge.decision.verdict, merge.decision.rule) == (
            Verdict.HOLD,
            "heal-merge-needs-a-clean-template",
        )
        assert merge.pull is not None and merge.pull.number == number
        fs.approve("ledger/heal.merge", "owner", "the patch is right")
        # ... then by the forge: its protection wants a review
        merge = fs.plan().action("ledger/heal.merge")
        if kind == "gitea":  # Gitea says why only when asked to merge: the refusal is kept, not retried
            assert merge.decision.verdict is Verdict.ALLOW, merge.decision
            assert converge(fs, rounds=1) == [{"ledger/heal.merge": "failed"}]
            assert "Does not have enough approvals" in fs.logs("ledger/heal.merge")["message"]
            merge = fs.plan().action("ledger/heal.merge")
        assert (merge.decision.verdict, merge.decision.rule) == (Verdict.HOLD, "forge"), merge.decision
        assert f"#{number}" in merge.decision.message and WHY[kind] in merge.decision.message, merge.decision
        assert converge(fs, rounds=1) == []  # nothing merges while the forge says no
        assert server.pulls(repo)[0]["state"] in ("open", "opened")

        server.add_review(repo, number, "ada-gh")
        assert converge(fs, rounds=1) == [{"ledger/heal.merge": "succeeded"}]
        (merged,) = server.pulls(repo)
        assert merged["state"] in ("closed", "merged") and (
            merged.get("merged") or merged["state"] == "merged"
        )
        head, branches = heads(tmp_path, "ledger")
        assert branches == ["main"] and head != broken  # the forge's merge commit, the heal branch deleted
        parents = git(["rev-list", "--parents", "-n", "1", head], ledger).split()[1:]
        assert sorted(parents) == sorted([broken, attempt["heal_commit"]])
        assert fs.heal_attempts("ledger")[0]["status"] == "merged"
        converge(fs)
        assert fs.plan().products["ledger"].in_sync
        calls = len(server.requests)
        fs.plan()  # in sync, no pull request open: the forge is not asked anything
        assert len(server.requests) == calls


def test_a_change_is_proposed_as_pull_requests_merged_by_the_forge_or_dropped_when_closed(tmp_path: Path):
    from github import Auth, Github

    from codemonkeys.engine.changes import Replace
    from test_e2e_changes import write_fleet

    fleet = write_fleet(tmp_path)
    repos = tmp_path / "repos"
    with ForgeServer("github", TOKEN) as server:
        for name in ("billing", "shop"):  # each on the forge as acme/<name>, landing by pull request
            server.add_repo(f"acme/{name}", git_dir=repos / name)
            path = fleet / "products" / f"{name}.yaml"
            doc = yaml.safe_load(path.read_text())
            forge = {"type": "github", "url": server.url, "repo": f"acme/{name}"}
            doc["spec"]["git"] = {
                "mode": "pull-request",
                "forge": forge | {"credentials": {"tokenEnv": "CM_FORGE_TOKEN"}},
            }
            path.write_text(yaml.safe_dump(doc))
        git(["commit", "-qam", "billing and shop land by pull request"], fleet)
        base = {n: git(["rev-parse", "main"], repos / n) for n in ("billing", "shop")}
        fs = FleetSession.open(fleet, Context.from_environ({**os.environ, "CM_FORGE_TOKEN": TOKEN}))
        proposed = fs.propose_change(
            ["billing", "shop"], Replace("core-lib==1.0", "core-lib==2.0"), "build: core-lib 2.0"
        )
        change = proposed.change

        # one round proves each change on its branch and opens its pull request; none merges yet
        applied = fs.apply(fs.plan())
        ran = {
            o.action.id: str(o.status) for o in applied.report.outcomes.values() if "change." in o.action.id
        }
        assert ran == {f"{n}/change.propose/{change}": "succeeded" for n in ("billing", "shop")}, ran
        pulls = {n: server.pulls(f"acme/{n}") for n in ("billing", "shop")}
        assert all(len(p) == 1 and p[0]["state"] == "open" for p in pulls.values()), pulls
        assert pulls["billing"][0]["head"]["ref"] == f"change/{change}/billing"
        assert "+core-lib==2.0" in pulls["billing"][0]["body"]

        # a person closes shop's pull request on the forge: the change is dropped there
        api = Github(base_url=server.url, auth=Auth.Token(TOKEN))
        api.get_repo("acme/shop").get_pull(pulls["shop"][0]["number"]).edit(state="closed")
        plan = fs.plan()
        merges = {
            a.id: (str(a.decision.verdict), a.pull.number if a.pull else None)
            for a in plan.actions
            if a.product != "hash"
        }
        assert merges == {
            f"billing/change.merge/{change}": ("allow", pulls["billing"][0]["number"]),
            f"shop/change.merge/{change}": ("allow", pulls["shop"][0]["number"]),
        }
        applied = fs.apply(plan)
        assert applied.report.ok, applied.report
        rows = {r["product"]: r["state"] for r in fs.changes()}
        assert rows == {"billing": "merged", "shop": "dropped"}, rows
        assert git(["show", "main:requirements.txt"], repos / "billing").startswith("core-lib==2.0")
        assert git(["rev-parse", "main"], repos / "shop") == base["shop"]  # untouched
        for n in ("billing", "shop"):
            assert git(["branch", "--list", "change/*"], repos / n) == ""  # branches deleted
        assert server.pulls("acme/billing")[0]["merged"] is True


def test_a_release_is_a_pull_request_merged_by_the_forge_then_tagged_and_published(workspace):
    """release-please's way: the release (version bump, changelog) is a pull request of release/<product>;
    nothing is published while it is open; once the forge merges it (after the review its protection
    wants), the merge is tagged and published."""
    repo, product = "acme/acme-text", "acme-text"
    source = workspace.repos / product
    with ForgeServer("github", TOKEN) as server:
        server.add_repo(repo, git_dir=source)
        path = workspace.fleet / "products" / "acme" / f"{product}.yaml"
        doc = yaml.safe_load(path.read_text())
        forge = {
            "type": "github",
            "url": server.url,
            "repo": repo,
            "credentials": {"tokenEnv": "CM_FORGE_TOKEN"},
        }
        doc["spec"]["git"] = {"mode": "pull-request", "forge": forge}
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        git(["commit", "-qam", f"{product}: releases by pull request"], workspace.fleet)
        fs = FleetSession.open(workspace.fleet, Context.from_environ({**os.environ, "CM_FORGE_TOKEN": TOKEN}))
        before = git(["rev-parse", "main"], source)

        plan = fs.plan([product])
        cut = plan.action(f"{product}/release.cut")
        assert cut.pull is None and not [a for a in plan.actions if a.kind == "release.publish"], plan.actions
        assert "open its release pull request" in plan.products[product].facets["release"].message
        applied = fs.apply(plan)
        assert applied.report.ok, applied.report
        version = cut.params["version"]
        (pull,) = server.pulls(repo)
        assert pull["head"]["ref"] == f"release/{product}" and pull["state"] == "open"
        assert pull["title"] == f"chore(release): {product} {version}"
        assert f"## {version}" in pull["body"] and "### Features" in pull["body"], pull["body"]
        assert git(["rev-parse", "main"], source) == before and not git(
            ["tag", "--list", f"v{version}"], source
        )
        states = [s["state"] for s in server.statuses(repo, pull["head"]["sha"])]
        assert states == ["success"]  # the release commit is [skip ci]: its parent's green build stands

        server.protect(repo, "main", approvals=1)
        plan = fs.plan([product])
        cut = plan.action(f"{product}/release.cut")
        assert (cut.decision.verdict, cut.decision.rule) == (Verdict.HOLD, "forge"), cut.decision
        publish = plan.action(f"{product}/release.publish/local")
        assert publish.depends_on == [cut.id]
        assert fs.apply(plan).report.ok
        assert not git(["tag", "--list", f"v{version}"], source)  # nothing released while it waits

        server.add_review(repo, pull["number"], "ada-gh")
        applied = fs.apply(fs.plan([product]))
        ran = {o.action.id: str(o.status) for o in applied.report.outcomes.values()}
        assert (
            ran[f"{product}/release.cut"] == "succeeded"
            and ran[f"{product}/release.publish/local"] == "succeeded"
        )
        (merged,) = server.pulls(repo)
        assert merged["merged"] is True
        tagged = git(["rev-list", "-n", "1", f"v{version}"], source)
        assert tagged == git(["rev-parse", "main"], source) == merged["merge_commit_sha"]
        assert git(["branch", "--list", "release/*"], source) == ""
        assert version in git(["show", f"v{version}:pyproject.toml"], source)
        fs.apply(fs.plan([product]))  # the merge commit's own build
        assert fs.plan([product]).products[product].facets["release"].in_sync
