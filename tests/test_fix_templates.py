"""Fix templates (``codemonkeys.swarm.templates``): learned from one product's red -> green diff, applied
to another product failing with the same (or a same-shaped) error.

The cases under ``cases/templates/`` are real: each product is a git repo in a temp dir, its tests run
with pytest against a shared library (``lib``, on PYTHONPATH, outside the products); the failure
summaries come from ``extract_signatures`` on that pytest output, the fix diff from ``git diff``, and the
instantiated patch must pass ``git apply --check`` and turn the target's tests green.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from codemonkeys.swarm import extract_signatures
from codemonkeys.swarm.templates import (
    Edit,
    FixTemplate,
    NotLearned,
    Patch,
    error_text,
    file_diff,
    hint_paths,
    instantiate,
    learn_template,
    make_template,
    match,
)

CASES = Path(__file__).parent / "cases" / "templates"


# --- real products in temp dirs ------------------------------------------------------------------------


def git(repo: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        input=input,
    ).stdout


def write(root: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        path = root / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def product(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    write(root, files)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "red")
    return root


def pytest_run(repo: Path, lib: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(PYTHONPATH=f"{lib}{os.pathsep}{repo}", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def tracked(repo: Path) -> dict[str, str]:
    return {name: (repo / name).read_text() for name in git(repo, "ls-files").split()}


def load(name: str) -> dict:
    return yaml.safe_load((CASES / name).read_text())


def learn_from_case(case: dict, tmp: Path) -> tuple[FixTemplate | NotLearned, Path]:
    """Run the learning product red, apply the person's fix, check it is green, learn from its diff."""
    lib = tmp / "lib"
    lib.mkdir(parents=True)
    write(lib, case.get("lib") or {})
    repo = product(tmp / "learn", case["learn"]["red"])
    red = pytest_run(repo, lib)
    assert red.returncode != 0, red.stdout
    signature = extract_signatures(red.stdout)[0]
    write(repo, case["learn"]["fix"])
    assert pytest_run(repo, lib).returncode == 0, "the person's fix must be green"
    return learn_template(signature.summary, str(signature.kind), git(repo, "diff")), lib


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_learned_template_fixes_other_products_for_real(path: Path, tmp_path: Path) -> None:
    case = load(path.name)
    template, lib = learn_from_case(case, tmp_path)
    assert isinstance(template, FixTemplate), (case["description"], template)
    assert template.pattern == case["expect"]["pattern"]
    assert template.describe() == case["expect"]["describe"]
    assert dict(template.fixed) == case["expect"]["fixed"]
    for n, target in enumerate(case["targets"]):
        repo = product(tmp_path / f"target{n}", target["red"])
        red = pytest_run(repo, lib)
        assert red.returncode != 0, red.stdout
        fits = [(s, b) for s in extract_signatures(red.stdout) if (b := match(template, s.summary))]
        if target.get("matches", True) is False:
            assert not fits, target["name"]
            continue
        assert fits, (target["name"], [s.summary for s in extract_signatures(red.stdout)])
        signature, bindings = fits[0]
        patch = instantiate(template, bindings, tracked(repo), hint_paths(signature.detail))
        assert patch is not None, target["name"]
        assert list(patch.files) == target["files"], target["name"]
        git(repo, "apply", "--check", "-", input=patch.diff)
        git(repo, "apply", "-", input=patch.diff)
        green = pytest_run(repo, lib)
        assert green.returncode == 0, (target["name"], patch.diff, green.stdout)


def test_the_same_fix_learned_twice_has_the_same_id(tmp_path: Path) -> None:
    case = load("rename_across_products.yaml")
    first, _ = learn_from_case(case, tmp_path / "one")
    again, _ = learn_from_case(case, tmp_path / "two")
    assert isinstance(first, FixTemplate) and isinstance(again, FixTemplate)
    assert first.id == again.id and len(first.id) == 12
    assert FixTemplate.from_json(json.loads(json.dumps(first.to_json()))) == first


# --- error text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (
            "tests/test_billing.py - ImportError: cannot import name 'compute_total' from 'core_lib'"
            " (core_lib/__init__.py)",
            "ImportError: cannot import name 'compute_total' from 'core_lib'",
        ),
        (
            "tests/test_x.py::test_y[a-1] - ImportError: cannot import name 'compute_total' from 'core_lib'"
            " (.../__init__.py)",
            "ImportError: cannot import name 'compute_total' from 'core_lib'",
        ),
        (
            "FAILED tests/test_ne.py::test_ne - NameError: name 'os' is not defined. Did you forget to import"
            " 'os'?",
            "NameError: name 'os' is not defined",
        ),
        (
            "tests/test_ne.py::test_kw - TypeError: test_kw.<locals>.compute() got an unexpected keyword"
            " argument 'rate'",
            "TypeError: compute() got an unexpected keyword argument 'rate'",
        ),
        (
            "AttributeError: module 'core_lib' has no attribute 'compute_total' (shop/cart.py in total)",
            "AttributeError: module 'core_lib' has no attribute 'compute_total'",
        ),
        (
            "ModuleNotFoundError: No module named 'core_lib.money' (<root>/ledger/book.py)",
            "ModuleNotFoundError: No module named 'core_lib.money'",
        ),
        ("FileNotFoundError: [Errno 2] No such file or directory: 'data/x.csv'", None),
    ],
)
def test_error_text_drops_what_is_product_specific(summary: str, expected: str | None) -> None:
    assert error_text(summary) == (expected or summary)


def test_two_products_with_the_same_error_have_the_same_error_text() -> None:
    one = "tests/test_a.py::test_one - NameError: name 'json' is not defined"
    other = "app/tests/test_b.py::TestB::test_two - NameError: name 'json' is not defined"
    assert error_text(one) == error_text(other) == "NameError: name 'json' is not defined"


# --- learning: what is left out -----------------------------------------------------------------------

RENAME = "tests/test_a.py::test_a - AttributeError: module 'core_lib' has no attribute 'compute_total'"


def diff_of(path: str, before: str, after: str) -> str:
    return file_diff(path, before, after)[0]


def test_docs_only_fixes_and_errors_that_quote_nothing_teach_nothing_and_say_why() -> None:
    docs = diff_of("README.md", "use compute_total\n", "use calculate_total\n")
    docs += diff_of("docs/api.py", "compute_total\n", "calculate_total\n")
    assert learn_template(RENAME, "pytest_failure", docs) == NotLearned(
        "changes only non-source files (docs, changelogs, lock files)"
    )
    code = diff_of("a.py", "x = compute_total(1)\n", "x = calculate_total(1)\n")
    assert learn_template("tests/test_a.py::test_a - assert 1 == 2", "pytest_failure", code) == NotLearned(
        "the error quotes no name: assert 1 == 2"
    )
    assert learn_template(RENAME, "pytest_failure", "") == NotLearned("the fix changes nothing")
    assert not learn_template(RENAME, "pytest_failure", "")  # false, as None was


def test_changes_that_do_not_touch_the_quoted_names_are_left_out() -> None:
    diff = diff_of("a.py", "x = compute_total(1)\ny = other(2)\n", "x = calculate_total(1)\ny = other(3)\n")
    diff += diff_of("CHANGELOG.md", "# C\n", "# C\n- fix\n")
    template = learn_template(RENAME, "pytest_failure", diff)
    assert template is not None
    assert template.edits == (Edit("replace", "{0}", "calculate_total"),)
    assert template.pattern == "AttributeError: module 'core_lib' has no attribute '{0}'"
    assert learn_template(
        RENAME, "pytest_failure", diff_of("a.py", "y = other(2)\n", "y = other(3)\n")
    ) == NotLearned("touches no quoted name ('core_lib', 'compute_total')")


def test_too_large_or_ambiguous_fixes_teach_nothing() -> None:
    before = "".join(f"v{i} = compute_total({i})\n" for i in range(150))
    assert learn_template(
        RENAME, "f", diff_of("a.py", before, before.replace("compute", "calculate"))
    ) == NotLearned("too large (300 changed lines > 200)")
    two_ways = diff_of("a.py", "a = compute_total(1)\n", "a = calculate_total(1)\n")
    two_ways += diff_of("b.py", "b = compute_total(1)\n", "b = total(1)\n")
    assert learn_template(RENAME, "f", two_ways) == NotLearned(
        "ambiguous rename (compute_total is changed two ways)"
    )


def test_a_changed_line_that_is_not_a_rename_is_learned_as_a_line_change() -> None:
    summary = "tests/test_a.py::test_a - NameError: name 'json' is not defined"
    diff = diff_of("a.py", "def f():\n    return json.dumps(1)\n", "def f():\n    return str(1) or None\n")
    template = learn_template(summary, "pytest_failure", diff)
    assert template is not None
    assert template.edits == (Edit("line", "return {0}.dumps(1)", "return str(1) or None"),)
    assert template.fixed == (("0", "json"),)
    assert template.describe() == "change `return json.dumps(1)` -> `return str(1) or None`"


def test_a_line_added_after_a_statement_keeps_its_anchor_and_relative_indentation() -> None:
    summary = "tests/test_a.py::test_a - NameError: name 'logger' is not defined"
    before = "import logging\n\n\ndef f():\n    return logger.info('x')\n"
    after = (
        "import logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef f():\n    return logger.info('x')\n"
    )
    template = learn_template(summary, "pytest_failure", diff_of("m.py", before, after))
    assert template is not None
    assert template.edits == (
        Edit("add", new="{0} = logging.getLogger(__name__)", anchor="after:import logging"),
    )
    bindings = match(template, "tests/t.py::t - NameError: name 'log' is not defined")
    assert bindings == {"0": "log"}
    patch = instantiate(
        template, bindings, {"p.py": "import logging\n\ndef g():\n    log.warning('y')\n"}, ["p.py"]
    )
    assert patch is not None and "+log = logging.getLogger(__name__)\n" in patch.diff


# --- matching ------------------------------------------------------------------------------------------


def test_a_template_fits_its_error_family_and_only_its_fixed_values() -> None:
    template = make_template(
        "ImportError: cannot import name '{0}' from 'core_lib'",
        "pytest_error",
        [Edit("replace", "{0}", "calculate_total")],
        {"0": "compute_total"},
    )
    assert match(
        template, "tests/x.py - ImportError: cannot import name 'compute_total' from 'core_lib'"
    ) == {"0": "compute_total"}
    assert match(template, RENAME) == {"0": "compute_total"}
    assert match(template, RENAME.replace("compute_total", "compute_tax")) is None
    assert match(template, RENAME.replace("'core_lib'", "'other_lib'")) is None
    assert match(template, "tests/t.py::t - NameError: name 'compute_total' is not defined") is None


def test_a_free_placeholder_binds_any_quoted_name() -> None:
    template = make_template(
        "NameError: name '{0}' is not defined",
        "pytest_failure",
        [Edit("add", new="import {0}", anchor="imports")],
    )
    assert match(template, "t.py::t - NameError: name 'os' is not defined") == {"0": "os"}
    assert match(template, "t.py::t - NameError: name 'os.path' is not defined") == {"0": "os.path"}
    assert match(template, "t.py::t - TypeError: name 'os' is not defined") is None


# --- instantiating -------------------------------------------------------------------------------------


def test_an_import_goes_only_to_hinted_files_that_use_it_and_lack_it() -> None:
    template = make_template(
        "NameError: name '{0}' is not defined", "k", [Edit("add", new="import {0}", anchor="imports")]
    )
    files = {
        "a.py": "import sys\n\nprint(os.sep)\n",
        "b.py": "import os\n\nprint(os.sep)\n",
        "c.py": "print(os.sep)\n",
        "d.py": "print('no use')\n",
    }
    assert instantiate(template, {"0": "os"}, files, []) is None
    assert instantiate(template, {"0": "os"}, files, ["b.py", "d.py"]) is None
    patch = instantiate(template, {"0": "os"}, files, ["a.py", "c.py", "b.py"])
    assert patch == Patch(
        # a standard-library module goes among the standard-library imports, in isort's order
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,4 @@\n+import os\n import sys\n \n"
        " print(os.sep)\n"
        "diff --git a/c.py b/c.py\n--- a/c.py\n+++ b/c.py\n@@ -1 +1,2 @@\n+import os\n print(os.sep)\n",
        ("a.py", "c.py"),
        2,
    )
    assert instantiate(template, {}, files, ["a.py"]) is None  # no value for {0}


def test_patches_apply_with_git_to_files_without_a_final_newline(tmp_path: Path) -> None:
    files = {"m.py": "import core_lib\nx = core_lib.compute_total(1)", "n.py": "y = compute_total"}
    repo = product(tmp_path / "r", files)
    template = make_template(
        "x '{0}'", "k", [Edit("replace", "{0}", "calculate_total")], {"0": "compute_total"}
    )
    patch = instantiate(template, {"0": "compute_total"}, files)
    assert patch is not None and patch.lines == 4 and "\\ No newline at end of file\n" in patch.diff
    git(repo, "apply", "--check", "-", input=patch.diff)
    git(repo, "apply", "-", input=patch.diff)
    assert (repo / "m.py").read_text() == "import core_lib\nx = core_lib.calculate_total(1)"
    assert (repo / "n.py").read_text() == "y = calculate_total"


def test_keyword_substitutions_leave_attributes_and_comparisons_alone() -> None:
    template = make_template("k '{0}'", "k", [Edit("replace", "{0}=", "tax_rate=")], {"0": "rate"})
    text = "f(1, rate=2)\nself.rate=3\nif rate==2: pass\nrate = 4\ng(rate=rate)\n"
    patch = instantiate(template, {"0": "rate"}, {"a.py": text})
    assert patch is not None and patch.lines == 4
    assert "+f(1, tax_rate=2)\n" in patch.diff and "+g(tax_rate=rate)\n" in patch.diff


def test_hint_paths_are_the_repo_relative_files_innermost_first() -> None:
    detail = (
        "tests/test_a.py in test_a: x()",
        "app/core.py in x: y()",
        ".../site/lib.py in y",
        "app/util.py: NameError",
    )
    assert hint_paths(detail) == ["app/util.py", "app/core.py", "tests/test_a.py"]
