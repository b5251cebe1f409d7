"""A person's one-line import-move fix in one product is learned and heals the same breakage in another
product with zero LLM calls; a person's fix that teaches nothing says why (``template.not_learned``, read
back by ``cmctl swarm templates --why``). Real git repos, real pytest builds, the shipped constitution,
the real `ollama` client against the scripted server (which must not be called).

core-lib 2.0 moves ``compute_total`` from ``core_lib`` into ``core_lib.money`` (a name moved to another
module: the shape of Python 3.10's ``collections`` -> ``collections.abc``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codemonkeys.repos import run as git
from conftest import cmctl
from test_e2e_heal import commit, converge, make_fleet, session

pytestmark = pytest.mark.slow
TOTAL = "def compute_total(items):\n    return round(sum(items), 2)\n"
CORE_LIB = {"1": {"__init__.py": TOTAL}, "2": {"__init__.py": "VERSION = 2\n", "money.py": TOTAL}}
PRODUCTS = {
    "billing": {
        "billing.py": "from core_lib import compute_total\n\n\ndef bill(xs):\n    return compute_total(xs)\n",
        "tests/test_billing.py": "from billing import bill\n\n\ndef test_bill():\n"
        "    assert bill([1, 2]) == 3\n",
    },
    "shop": {
        "shop/__init__.py": "",
        "shop/cart.py": (
            "import os\n\nfrom core_lib import compute_total\n\n\n"
            "def total(prices):\n    return compute_total(prices) if os.sep else 0\n"
        ),
        "tests/test_cart.py": "from shop.cart import total\n\n\ndef test_total():\n"
        "    assert total([1, 3]) == 4\n",
    },
    "payroll": {
        "payroll.py": "from core_lib import compute_total\n\n\ndef cost():\n"
        "    return compute_total([10, 5])\n",
        "tests/test_payroll.py": "from payroll import cost\n\n\ndef test_cost():\n    assert cost() == 15\n",
    },
}


def test_a_one_line_import_move_is_learned_and_heals_another_product(tmp_path: Path, ollama_scripted):
    fleet = make_fleet(
        tmp_path, ollama_scripted.url, ollama_scripted.model, CORE_LIB, PRODUCTS, max_attempts=1
    )
    fs = session(fleet, tmp_path)
    converge(fs)
    repos = tmp_path / "repos"

    # payroll moves to core-lib 2.0, goes red; a person pins core-lib back: nothing to learn, and why
    commit(repos / "payroll", {"core-lib.version": "2\n"}, "build: core-lib 2.0")
    converge(fs, rounds=1)
    commit(repos / "payroll", {"core-lib.version": "1\n"}, "build: back to core-lib 1")
    converge(fs, rounds=1)
    assert fs.templates() == []
    (why,) = fs.templates_why("payroll")
    assert why["learned"] is None
    assert [r["reason"] for r in why["reasons"]] == ["touches no quoted name ('compute_total', 'core_lib')"]

    # billing moves to 2.0; a person's one-line fix moves the import to core_lib.money
    commit(repos / "billing", {"core-lib.version": "2\n"}, "build: core-lib 2.0")
    converge(fs, rounds=1)
    fixed = PRODUCTS["billing"]["billing.py"].replace("from core_lib import", "from core_lib.money import")
    commit(repos / "billing", {"billing.py": fixed}, "fix: core-lib 2.0 moved compute_total")
    converge(fs, rounds=1)
    (template,) = fs.templates()
    assert template["description"] == "import compute_total from core_lib.money (not core_lib)"

    # shop moves to 2.0: healed from the template, proven green and merged, with no LLM call
    commit(repos / "shop", {"core-lib.version": "2\n"}, "build: core-lib 2.0")
    ollama_scripted.reset()
    converge(fs)
    assert ollama_scripted.llm_calls() == 0
    (attempt,) = fs.heal_attempts("shop")
    assert (attempt["strategy"], attempt["template"], attempt["status"]) == (
        "template",
        template["id"],
        "merged",
    )
    assert "from core_lib.money import compute_total" in git(["show", "main:shop/cart.py"], repos / "shop")
    assert fs.plan().products["shop"].in_sync

    listed = cmctl("swarm", "templates", "--why", "payroll", "--json", "--fleet", str(fleet))
    assert json.loads(listed.stdout)[0]["reasons"][0]["reason"].startswith("touches no quoted name")
    text = cmctl("swarm", "templates", "--why", "billing", "--fleet", str(fleet)).stdout
    assert "learned" in text and template["id"] in text
