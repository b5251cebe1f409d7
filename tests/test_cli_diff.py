"""`cmctl diff BASE [HEAD]` (plan before merge), against real git repos, with golden output as files.

Each case in ``tests/cases/diff/<case>/case.yaml`` describes a branch of the demo fleet repo: files to
``write``, text to ``append``, ``replace`` edits ([file, old, new]), and the ``exit`` code expected with
``--detailed-exitcode``. The test commits the branch in a fresh demo workspace (fixed dates), runs the
real CLI from the fleet directory (``cmctl diff main BRANCH``) in every format, and compares with the
golden files next to the case: ``expected.txt`` (text), ``expected.md`` (markdown), ``expected.json``
(JSON, compared as data), or ``expected.stderr`` for a revision that does not load.

Output is normalized before comparing: the workspace's path becomes ``WS`` and the two commit ids
become ``BASE_COMMIT`` / ``HEAD_COMMIT`` (full and 12-character forms), so the golden files do not
change with where the test runs.

To regenerate the golden files after an intended change of the output, run::

    CM_UPDATE_GOLDEN=1 PYTHONPATH=controller .venv/bin/python -m pytest -q tests/test_cli_diff.py

(every golden file of each case is written, then the test fails with "regenerated": a regenerating run
never passes, and CI refuses the variable) and review the diff of ``tests/cases/diff/`` before
committing it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from codemonkeys import repos
from codemonkeys.demo import Workspace
from codemonkeys.plandiff import (
    DiffFormat,
    FieldChange,
    Side,
    diff_plans,
    field_changes,
    render,
    to_json,
)
from codemonkeys.vocab.plan import (
    Action,
    ActionKind,
    Decision,
    Facet,
    FacetState,
    FleetRef,
    Plan,
    ProductPlan,
    Verdict,
)
from conftest import CASES, cmctl
from golden import Parse, check_each

DIFF_CASES = CASES / "diff"
STAMP = "@1767312000 +0000"  # fixed commit dates: the branch's commit id is the same on every run
GOLDEN = {
    DiffFormat.TEXT: "expected.txt",
    DiffFormat.MARKDOWN: "expected.md",
    DiffFormat.JSON: "expected.json",
}


def _git(fleet: Path, *args: str) -> str:
    env = {**repos.IDENTITY, "GIT_AUTHOR_DATE": STAMP, "GIT_COMMITTER_DATE": STAMP}
    return repos.run(list(args), fleet, env=env)


def make_branch(fleet: Path, case: dict) -> None:
    """Commit the case's edits on a new branch of the fleet repo, then go back to main."""
    _git(fleet, "checkout", "-q", "-b", case["branch"], "main")
    for rel, text in (case.get("write") or {}).items():
        (fleet / rel).parent.mkdir(parents=True, exist_ok=True)
        (fleet / rel).write_text(text)
    for rel, text in (case.get("append") or {}).items():
        with (fleet / rel).open("a") as f:
            f.write(text)
    for rel, old, new in case.get("replace") or []:
        content = (fleet / rel).read_text()
        assert content.count(old) == 1, f"{rel}: {old!r} is not there exactly once"
        (fleet / rel).write_text(content.replace(old, new))
    _git(fleet, "add", "-A")
    _git(fleet, "commit", "-q", "-m", case["description"])
    _git(fleet, "checkout", "-q", "main")


def normalize(text: str, ws: Workspace, base: str, head: str) -> str:
    """Paths and commit ids that vary between runs become placeholders."""
    for commit, name in ((base, "BASE_COMMIT"), (head, "HEAD_COMMIT")):
        text = text.replace(commit, name).replace(commit[:12], name)
    return text.replace(str(ws.root), "WS")


def golden_of(path: Path, actual: str) -> tuple[Path, str, Parse | None]:
    """A golden file to check: JSON compared as data, the others as text."""
    return path, actual, json.loads if path.suffix == ".json" else None


def _case_dirs() -> list[Path]:
    return sorted(p for p in DIFF_CASES.iterdir() if (p / "case.yaml").is_file())


@pytest.mark.parametrize("case_dir", _case_dirs(), ids=lambda p: p.name)
def test_diff_case(case_dir: Path, workspace: Workspace):
    case = yaml.safe_load((case_dir / "case.yaml").read_text())
    fleet = workspace.fleet
    make_branch(fleet, case)
    base = _git(fleet, "rev-parse", "main")
    head = _git(fleet, "rev-parse", case["branch"])
    before = (_git(fleet, "status", "--porcelain"), _git(fleet, "rev-parse", "--abbrev-ref", "HEAD"))

    if case["exit"] == 1:
        r = cmctl("diff", "main", case["branch"], "--detailed-exitcode", cwd=fleet)
        assert r.returncode == 1, r.stderr
        assert r.stdout == ""
        check_each([golden_of(case_dir / "expected.stderr", normalize(r.stderr, workspace, base, head))])
    else:
        outputs = []
        for fmt, golden in GOLDEN.items():
            r = cmctl("diff", "main", case["branch"], "--format", str(fmt), "--detailed-exitcode", cwd=fleet)
            assert r.returncode == case["exit"], r.stderr
            outputs.append(golden_of(case_dir / golden, normalize(r.stdout, workspace, base, head)))
        check_each(outputs)

    # the working tree (and the branch checked out) are as they were: nothing but .cmctl/ was written
    after = (_git(fleet, "status", "--porcelain"), _git(fleet, "rev-parse", "--abbrev-ref", "HEAD"))
    assert after == before == ("", "main")


def test_working_tree_is_the_default_head(workspace: Workspace):
    fleet = workspace.fleet
    r = cmctl("diff", "main", "--detailed-exitcode", cwd=fleet)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "Diff: no differences"
    assert "-> working tree (" in r.stdout.splitlines()[0]

    # an uncommitted edit counts, and the sides load from anywhere (--fleet)
    path = fleet / "products" / "acme" / "acme-text.yaml"
    path.write_text(path.read_text().replace("command: [python, -m, pytest, -q]", "command: [pytest]"))
    r = cmctl(
        "diff", "main", "--fleet", str(fleet), "--format", "json", "--detailed-exitcode", cwd=fleet.parent
    )
    assert r.returncode == 2, r.stderr
    doc = json.loads(r.stdout)
    assert doc["head"]["label"] == "working tree" and doc["head"]["revision"].endswith("+dirty")
    assert doc["products"]["changed"] == [
        {
            "name": "acme-text",
            "fields": [
                {
                    "path": "spec.build.command",
                    "old": ["python", "-m", "pytest", "-q"],
                    "new": ["pytest"],
                }
            ],
        }
    ]


def test_an_unknown_revision_is_an_error(workspace: Workspace):
    r = cmctl("diff", "no-such-branch", cwd=workspace.fleet)
    assert r.returncode == 1
    assert "error: base no-such-branch: cannot read revision 'no-such-branch'" in r.stderr


# --- the pure diff, on data ------------------------------------------------------------------------


def _action(
    aid: str, verdict: Verdict = Verdict.ALLOW, rule: str | None = "allow-all", message: str = ""
) -> Action:
    product, kind = aid.split("/", 2)[:2]
    return Action(
        id=aid,
        product=product,
        kind=ActionKind(kind),
        reason="because",
        decision=Decision(verdict=verdict, rule=rule, message=message),
    )


def _side(label: str, products: dict, rules: list, actions: list[Action], build: FacetState) -> Side:
    facet = Facet(want="green", observed="", in_sync=False, state=build, message=f"build is {build}")
    plan = Plan(
        fleet=FleetRef(root="/fleet", revision=label),
        fingerprint="",
        actions=actions,
        products={"a": ProductPlan(in_sync=False, facets={"build": facet})},
    )
    return Side(label, "0" * 40, products, {"registries": {}}, {"default": "deny", "rules": rules}, plan)


def test_diff_plans_on_data():
    a = {"metadata": {"name": "a"}, "spec": {"build": {"timeout": 1800}, "dependsOn": ["b"]}}
    a2 = {"metadata": {"name": "a"}, "spec": {"build": {"timeout": 900}, "dependsOn": ["b", "c"]}}
    rule = {"id": "r1", "match": {"actions": ["release.publish"]}, "limit": {"count": 5, "per": 3600}}
    deny = {
        "id": "r2",
        "match": {"actions": ["release.publish"], "companies": ["x"]},
        "deny": {"message": "no"},
    }
    base = _side(
        "base",
        {"a": a, "old": {"metadata": {"name": "old"}}},
        [rule],
        [_action("a/build.run"), _action("a/release.publish/local"), _action("old/build.run")],
        FacetState.DRIFT,
    )
    head = _side(
        "head",
        {"a": a2, "new": {"metadata": {"name": "new"}}},
        [{**rule, "limit": {"count": 3, "per": 3600}}, deny],
        [
            _action("a/build.run"),
            _action("a/release.publish/local", Verdict.DENY, "r2", "no"),
            _action("new/build.run"),
        ],
        FacetState.UNKNOWN,
    )
    diff = diff_plans(base, head)
    assert diff.has_changes
    assert (diff.products_added, diff.products_removed) == (("new",), ("old",))
    assert [p.name for p in diff.products_changed] == ["a"]
    assert diff.products_changed[0].fields == (
        FieldChange("spec.build.timeout", 1800, 900),
        FieldChange("spec.dependsOn", ["b"], ["b", "c"]),
    )
    assert [r.id for r in diff.rules_added] == ["r2"]
    assert diff.rules_added[0].summary == "deny release.publish for companies x: no"
    assert diff.rules_changed[0].fields == (FieldChange("limit.count", 5, 3),)
    assert [a.id for a in diff.actions_added] == ["new/build.run"]
    assert [a.id for a in diff.actions_removed] == ["old/build.run"]
    [v] = diff.verdicts
    assert (v.id, v.old.verdict, v.new.verdict, v.new.rule) == (
        "a/release.publish/local",
        "allow",
        "deny",
        "r2",
    )
    [f] = diff.facets
    assert (f.product, f.facet, f.old, f.new) == ("a", "build", "drift", "unknown")
    assert not diff.fleet and not diff.constitution
    assert to_json(diff)["verdicts"][0]["new"] == {"verdict": "deny", "rule": "r2", "message": "no"}
    assert "| `a/release.publish/local` | allow (`allow-all`) | **deny** (`r2`): no |" in render(
        diff, DiffFormat.MARKDOWN
    )
    assert "~ a/release.publish/local: allow (allow-all) -> deny (r2): no" in render(diff, DiffFormat.TEXT)

    same = diff_plans(base, base)
    assert not same.has_changes
    assert render(same, DiffFormat.TEXT).endswith("Diff: no differences\n")
    assert to_json(same)["changed"] is False


def test_field_changes_paths():
    old = {"publish": [{"registry": "local", "package": "p"}], "labels": {"tier": "app"}}
    new = {"publish": [{"registry": "local", "package": "q"}, {"registry": "pypi"}], "labels": None}
    assert field_changes(old, new, "spec") == [
        FieldChange("spec.labels.tier", "app", None),
        FieldChange("spec.publish[0].package", "p", "q"),
        FieldChange("spec.publish[1].registry", None, "pypi"),
    ]
    assert field_changes({"a": 1}, {"a": 1}) == []
    assert field_changes({"a": {"b": 1}}, {"a": 2}) == [FieldChange("a", {"b": 1}, 2)]


# --- loading a revision from git --------------------------------------------------------------------


def test_a_revision_loads_as_if_at_the_real_fleet_root(tmp_path: Path):
    """A fleet in a sub-directory of its repository, read at a commit: paths resolve against the real
    fleet directory, never the temporary copy, and the working tree is left alone."""
    from codemonkeys.plandiff import load_revision

    top = tmp_path / "mono"
    fleet = top / "deploy" / "fleet"
    example = Path(__file__).resolve().parents[1] / "fleet-repo-example"
    fleet.mkdir(parents=True)
    for name in ("fleet.yaml", "constitution.yaml"):
        (fleet / name).write_text((example / name).read_text())
    shutil.copytree(example / "products", fleet / "products")
    _git(top, "init", "-q", "-b", "main")
    _git(top, "add", "-A")
    _git(top, "commit", "-q", "-m", "fleet")
    commit = _git(top, "rev-parse", "HEAD")
    (fleet / "products" / "acme" / "acme-text.yaml").write_text("kind: [\n")  # the working tree is broken

    loaded = load_revision(fleet, "main", "base")
    assert loaded.ok, loaded.diagnostics
    desired = loaded.desired
    assert desired.root == fleet.resolve()
    assert (desired.revision, desired.constitution_revision) == (commit, commit)
    assert desired.repo_location("acme-text") == str((fleet / "../repos/acme-text").resolve())
    assert desired.registry_path("local") == (fleet / "../registry").resolve()
    assert desired.entries["acme-text"].file == str(fleet / "products" / "acme" / "acme-text.yaml")
    assert (fleet / "products" / "acme" / "acme-text.yaml").read_text() == "kind: [\n"

    broken = load_revision(fleet, None, "head")
    assert not broken.ok
    files = {d.file for d in broken.diagnostics}
    assert str(fleet / "products" / "acme" / "acme-text.yaml") in files
    assert all(f.startswith(str(fleet / "products")) for f in files), files
