"""Fix templates for the shapes real upgrades take, in JavaScript/TypeScript and Rust, call shapes, manifest
pins, config keys, and the test-file guard (``codemonkeys.swarm.templates`` over ``swarm/codeshapes.py``).

Python's moves and call shapes run for real in ``tests/cases/templates/`` (test_fix_templates.py). Here the
Node and Rust cases are built and run for real (node 20, cargo --offline on path crates that have the API
shape of the real upgrade: a package whose subpath export took a name, rand 0.9's ``distributions`` ->
``distr``); the error texts are the tools' own. pandas is not installed: its case is checked as text.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from codemonkeys.swarm.templates import (
    FixTemplate,
    NotLearned,
    file_diff,
    instantiate,
    instantiate_fitting,
    learn_template,
    match,
)


def diff_of(path: str, before: str, after: str) -> str:
    return file_diff(path, before, after)[0]


def apply(template: FixTemplate, summary: str, files: dict[str, str], hints=()) -> dict[str, str]:
    bindings = match(template, summary)
    assert bindings is not None, (template.pattern, summary)
    patch = instantiate(template, bindings, files, list(hints))
    assert patch is not None
    out = dict(files)
    for path in patch.files:  # the patch's result, by re-instantiating per file
        one = instantiate(template, bindings, {path: files[path]}, list(hints))
        assert one is not None
        out[path] = _patched(files[path], one.diff, path)
    return out


def _patched(before: str, diff: str, path: str) -> str:
    tmp = Path(subprocess.run(["mktemp", "-d"], capture_output=True, text=True, check=True).stdout.strip())
    try:
        (tmp / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp / path).write_text(before)
        subprocess.run(["git", "init", "-q"], cwd=tmp, check=True)
        subprocess.run(["git", "apply", "-"], cwd=tmp, input=diff, text=True, check=True)
        return (tmp / path).read_text()
    finally:
        shutil.rmtree(tmp)


# --- JavaScript / TypeScript (node 20, real ESM resolution) ---------------------------------------------

PKG = {
    "node_modules/uuidlike/package.json": (
        '{"name": "uuidlike", "version": "9.0.0", "type": "module",'
        ' "exports": {".": "./index.js", "./format": "./format.js"}}\n'
    ),
    "node_modules/uuidlike/index.js": 'export const v4 = () => "0f";\n',
    "node_modules/uuidlike/format.js": "export const stringify = (a) => `id:${a}`;\n",
}


def node(root: Path, files: dict[str, str], entry: str) -> subprocess.CompletedProcess[str]:
    for rel, text in {**PKG, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return subprocess.run(["node", entry], cwd=root, capture_output=True, text=True, timeout=60)


def node_error(run: subprocess.CompletedProcess[str]) -> str:
    return next(line for line in run.stderr.splitlines() if "Error" in line and ":" in line)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_an_esm_import_moved_to_a_subpath_export_is_learned_and_heals_another_product(tmp_path: Path):
    red = {"app.mjs": "import { v4, stringify } from 'uuidlike';\nconsole.log(stringify(v4()));\n"}
    run = node(tmp_path / "a", red, "app.mjs")
    summary = node_error(run)
    assert summary == (
        "SyntaxError: The requested module 'uuidlike' does not provide an export named 'stringify'"
    )
    fix = (
        "import { v4 } from 'uuidlike';\nimport { stringify } from 'uuidlike/format';\n"
        "console.log(stringify(v4()));\n"
    )
    assert node(tmp_path / "a", {"app.mjs": fix}, "app.mjs").returncode == 0
    template = learn_template(summary, "npm_error", diff_of("app.mjs", red["app.mjs"], fix))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "import stringify from uuidlike/format (not uuidlike)"

    other = {
        "src/ids.ts": (
            '// ids\nimport { stringify as show, v4 } from "uuidlike";\n\n'
            "export const id = () => show(v4());\n"
        ),
        "main.mjs": 'import { stringify } from "uuidlike";\nconsole.log(stringify("x"));\n',
    }
    target = tmp_path / "b"
    assert node(target, other, "main.mjs").returncode != 0
    healed = apply(template, node_error(node(target, other, "main.mjs")), other)
    assert healed["src/ids.ts"] == (
        '// ids\nimport { v4 } from "uuidlike";\nimport { stringify as show } from "uuidlike/format";\n\n'
        "export const id = () => show(v4());\n"
    )
    assert (
        healed["main.mjs"] == 'import { stringify } from "uuidlike/format";\nconsole.log(stringify("x"));\n'
    )
    assert node(target, healed, "main.mjs").stdout == "id:x\n"


def test_a_require_path_and_an_added_import_in_javascript() -> None:
    summary = "Error: Cannot find module 'lodash/fp/get'"
    red = "const get = require('lodash/fp/get');\n"
    fix = "const get = require('lodash/get');\n"
    template = learn_template(summary, "npm_error", diff_of("index.cjs", red, fix))
    assert isinstance(template, FixTemplate), template
    files = {"lib/a.js": 'const x = 1;\nconst get = require("lodash/fp/get");\nmodule.exports = get;\n'}
    assert apply(template, summary, files)["lib/a.js"] == (
        'const x = 1;\nconst get = require("lodash/get");\nmodule.exports = get;\n'
    )
    # an added import: node's own message for a name used but never imported
    summary = "ReferenceError: readFile is not defined"
    assert not learn_template(summary, "npm_error", "")  # quotes nothing: nothing to learn


# --- Rust (cargo --offline, path crates) ----------------------------------------------------------------

RANDLIKE = {
    "randlike/Cargo.toml": '[package]\nname = "randlike"\nversion = "0.9.0"\nedition = "2021"\n',
    "randlike/src/lib.rs": "pub mod distr {\n    pub struct Uniform(pub u32);\n"
    "    pub struct Bernoulli;\n}\n",
}


def cargo(root: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    manifest = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
    manifest += 'rand = { path = "../randlike", package = "randlike" }\n'
    for rel, text in {**RANDLIKE, "app/Cargo.toml": manifest, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return subprocess.run(
        ["cargo", "build", "--offline", "-q"], cwd=root / "app", capture_output=True, text=True, timeout=300
    )


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_a_rust_module_renamed_in_use_paths_is_learned_and_builds_another_crate(tmp_path: Path):
    from codemonkeys.swarm import extract_signatures

    red = 'use rand::distributions::Uniform;\n\nfn main() {\n    println!("{}", Uniform(4).0);\n}\n'
    run = cargo(tmp_path / "a", {"app/src/main.rs": red})
    summary = extract_signatures(run.stderr)[0].summary
    assert summary == "error[E0432]: unresolved import `rand::distributions` (src/main.rs)"
    fix = red.replace("rand::distributions::", "rand::distr::")
    assert cargo(tmp_path / "a", {"app/src/main.rs": fix}).returncode == 0
    template = learn_template(summary, "cargo_error", diff_of("src/main.rs", red, fix))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "import from rand::distr (not rand::distributions)"

    other = {
        "src/main.rs": (
            "use rand::distributions::{Bernoulli, Uniform};\n\nfn main() {\n"
            "    let _b = Bernoulli;\n    let u = rand::distributions::Uniform(2);\n"
            '    println!("{}", u.0);\n}\n'
        )
    }
    target = tmp_path / "b"
    broken = cargo(target, {f"app/{k}": v for k, v in other.items()})
    assert broken.returncode != 0
    healed = apply(template, extract_signatures(broken.stderr)[0].summary, other)
    assert "use rand::distr::{Bernoulli, Uniform};" in healed["src/main.rs"]
    assert cargo(target, {f"app/{k}": v for k, v in healed.items()}).returncode == 0


def test_a_cargo_pin_is_learned_for_the_crate_the_error_names() -> None:
    summary = "error[E0432]: unresolved import `rand::distr` (src/main.rs)"
    before = '[dependencies]\nrand = "0.9"\nserde = "1"\n'
    after = '[dependencies]\nrand = "0.8"\nserde = "1.0.200"\n'
    template = learn_template(summary, "cargo_error", diff_of("Cargo.toml", before, after))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == 'pin rand in cargo: `rand = "0.8"`'  # serde's bump is unrelated
    files = {"crates/x/Cargo.toml": '[dependencies]\nrand = { version = "0.9", features = ["small_rng"] }\n'}
    assert apply(template, summary, files)["crates/x/Cargo.toml"] == '[dependencies]\nrand = "0.8"\n'


# --- Python: call shapes, pins, config keys --------------------------------------------------------------


def test_a_positional_argument_made_keyword_pandas_2() -> None:
    # pandas 2.0 made DataFrame.drop's arguments after labels keyword-only (pandas' own message)
    summary = "TypeError: DataFrame.drop() takes from 1 to 2 positional arguments but 3 were given"
    red = 'def clean(df):\n    return df.drop("tmp", 1)\n'
    fix = 'def clean(df):\n    return df.drop("tmp", axis=1)\n'
    template = learn_template(summary, "pytest_failure", diff_of("etl.py", red, fix))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "reshape calls of drop: pos:1=axis"
    files = {
        "report.py": "out = frame.drop(['a', 'b'], 1).head()\nkeep = frame.drop(columns=['c'])\n",
        "sets.py": "s.drop(x)\n",
    }
    healed = apply(template, summary.replace("3 were", "3 were"), files)
    assert (
        healed["report.py"]
        == "out = frame.drop(['a', 'b'], axis=1).head()\nkeep = frame.drop(columns=['c'])\n"
    )
    assert healed["sets.py"] == "s.drop(x)\n"  # one argument: not this call's shape


def test_a_requirements_pin_for_urllib3_2() -> None:
    # urllib3 2 removed DEFAULT_CIPHERS (the real ImportError of code written for 1.26)
    summary = "ImportError: cannot import name 'DEFAULT_CIPHERS' from 'urllib3.util.ssl_'"
    diff = diff_of("requirements.txt", "requests>=2.28\nurllib3\n", "requests>=2.28\nurllib3<2\n")
    template = learn_template(summary, "pytest_error", diff)
    assert isinstance(template, FixTemplate), template
    files = {
        "requirements-dev.txt": "pytest\nurllib3>=1.25  # http\n",
        "pyproject.toml": '"urllib3>=1.25",\n',
    }
    assert template.describe() == "cap urllib3 as `urllib3<2` in Python manifests (added where absent)"
    patch = instantiate(template, match(template, summary) or {}, files)
    # a cap: each Python manifest keeps what it asks for besides (its lower bound, its comment)
    assert patch is not None and patch.files == ("pyproject.toml", "requirements-dev.txt")
    assert "+urllib3>=1.25,<2  # http\n" in patch.diff and '+"urllib3>=1.25,<2",\n' in patch.diff


def test_a_renamed_configuration_key_pydantic_2() -> None:
    # pydantic 2's own message when a model's config still says orm_mode
    summary = "UserWarning: Valid config keys have changed in V2: * "
    summary += "'orm_mode' has been renamed to 'from_attributes'"
    red = "class User(BaseModel):\n    class Config:\n        orm_mode = True\n"
    fix = red.replace("orm_mode", "from_attributes")
    template = learn_template(summary, "pytest_failure", diff_of("models.py", red, fix))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "rename orm_mode -> {1}"  # the new key is bound from the error text
    files = {"app/schemas.py": "class Item(BaseModel):\n    class Config:\n        orm_mode=True\n"}
    assert "from_attributes=True" in apply(template, summary, files)["app/schemas.py"]


def test_a_keyword_renamed_in_a_call_a_formatter_also_reflowed() -> None:
    # pydantic 2: Field(regex=) is pattern=; the fix split the call over three lines (black's magic comma)
    summary = "pydantic.errors.PydanticUserError: `regex` is removed. use `pattern` instead"
    red = (
        'class H(BaseModel):\n    kind: str = Field(\n        ..., description="d", regex="^(a|b)$"\n    )\n'
    )
    fix = (
        'class H(BaseModel):\n    kind: str = Field(\n        ...,\n        description="d",\n'
        '        pattern="^(a|b)$",\n    )\n'
    )
    template = learn_template(summary, "python_traceback", diff_of("models.py", red, fix))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "rename the keyword regex= -> {1}= in calls of Field"
    files = {
        "app/schemas.py": 'sku: str = Field(..., regex="^[A-Z]{3}$", max_length=3)\n'
        'cols = df.filter(regex="^sku")\n'
    }
    assert apply(template, summary, files)["app/schemas.py"] == (  # pandas' filter(regex=) is not Field's
        'sku: str = Field(..., pattern="^[A-Z]{3}$", max_length=3)\ncols = df.filter(regex="^sku")\n'
    )


def test_a_removed_module_takes_the_other_names_it_imported_with_it() -> None:
    # Werkzeug 3 dropped werkzeug.urls' quoting: both names move to urllib.parse under new names, though
    # the error quotes only the first; the import lines pair in order (not by likeness: unquote_plus is
    # more like url_quote_plus than quote_plus is)
    summary = "ImportError: cannot import name 'url_quote_plus' from 'werkzeug.urls' (/x/werkzeug/urls.py)"
    red = (
        "from werkzeug.urls import url_quote_plus\nfrom werkzeug.urls import url_unquote_plus\n\n"
        "def f(t):\n    return url_quote_plus(t)\n\n\ndef g(t):\n    t = url_unquote_plus(t)\n    return t\n"
    )
    fix = (
        "from urllib.parse import quote_plus\nfrom urllib.parse import unquote_plus\n\n"
        "def f(t):\n    return quote_plus(t)\n\n\ndef g(t):\n    t = unquote_plus(t)\n    return t\n"
    )
    template = learn_template(summary, "python_traceback", diff_of("app/main.py", red, fix))
    assert isinstance(template, FixTemplate), template
    links = "from werkzeug.urls import url_quote_plus, url_unquote_plus\nx = url_unquote_plus(y)\n"
    files = {"svc/links.py": links}
    assert apply(template, summary, files)["svc/links.py"] == (
        "from urllib.parse import quote_plus, unquote_plus\nx = unquote_plus(y)\n"
    )


def test_names_still_imported_from_the_quoted_module_are_not_part_of_the_fix() -> None:
    # typing.ByteString went; the same commit also modernized List[int] -> list[int], a change of its own:
    # List is still imported from typing after the fix, so it is no sibling and its rename is not learned
    summary = "ImportError: cannot import name 'ByteString' from 'typing' (/usr/lib/python3.14/typing.py)"
    red = "from typing import ByteString, List\n\nx: List[int] = []\ny: ByteString = b''\n"
    fix = "from typing import List\n\nx: list[int] = []\ny: bytes = b''\n"
    template = learn_template(summary, "python_traceback", diff_of("app/t.py", red, fix))
    described = template.describe() if isinstance(template, FixTemplate) else str(template)
    assert "List -> list" not in described and "rename List" not in described, described


def test_an_import_the_fix_adds_for_what_it_renames_to_comes_with_it() -> None:
    # Werkzeug 2.1 dropped safe_str_cmp: hmac.compare_digest, and `import hmac`, which quotes nothing
    summary = "ImportError: cannot import name 'safe_str_cmp' from 'werkzeug.security' (/x/security.py)"
    red = "from base64 import b64decode\nfrom werkzeug.security import safe_str_cmp\n\n"
    red += "ok = safe_str_cmp(a, b)\n"
    fix = "import hmac\nfrom base64 import b64decode\n\nok = hmac.compare_digest(a, b)\n"
    template = learn_template(summary, "python_traceback", diff_of("auth.py", red, fix))
    assert isinstance(template, FixTemplate), template
    assert "add `import hmac`" in template.describe(), template.describe()
    keys = "import os\nfrom werkzeug.security import safe_str_cmp\n\nx = safe_str_cmp(k, os.environ['K'])\n"
    patched = apply(template, summary, {"svc/keys.py": keys}, hints=["svc/keys.py"])["svc/keys.py"]
    assert "import hmac\n" in patched and "hmac.compare_digest(k, os.environ['K'])" in patched
    assert "safe_str_cmp" not in patched


# --- the test-file guard ------------------------------------------------------------------------------

MOVED = "tests/test_a.py - ImportError: cannot import name 'Mapping' from 'collections' (/usr/lib/x.py)"
SOURCE_FIX = diff_of(
    "app/cfg.py", "from collections import Mapping\n", "from collections.abc import Mapping\n"
)
TARGET = {
    "svc/settings.py": "from collections import Mapping\n",
    "tests/test_settings.py": "from collections import Mapping\n",
    "svc/settings_test.py": "from collections import Mapping\n",
}


def test_a_template_from_a_fix_that_edited_no_test_never_edits_tests() -> None:
    template = learn_template(MOVED, "pytest_error", SOURCE_FIX)
    assert isinstance(template, FixTemplate) and template.tests is False
    patch = instantiate(template, match(template, MOVED) or {}, TARGET)
    assert patch is not None and patch.files == ("svc/settings.py",)


def test_a_template_from_a_fix_that_edited_a_test_may_edit_tests() -> None:
    test_fix = diff_of(
        "tests/test_cfg.py", "from collections import Mapping\n", "from collections.abc import Mapping\n"
    )
    template = learn_template(MOVED, "pytest_error", SOURCE_FIX + test_fix)
    assert isinstance(template, FixTemplate) and template.tests is True
    assert FixTemplate.from_json(template.to_json()) == template
    patch = instantiate(template, match(template, MOVED) or {}, TARGET)
    assert patch is not None and set(patch.files) == set(TARGET)


# --- why nothing was learned ------------------------------------------------------------------------------


def test_an_import_move_is_relevant_though_every_quoted_name_keeps_its_count() -> None:
    # the case: the names keep their counts in the changed line; the module they come from changes
    template = learn_template(MOVED, "pytest_error", SOURCE_FIX)
    assert isinstance(template, FixTemplate)
    assert template.describe() == "import Mapping from collections.abc (not collections)"


@pytest.mark.parametrize(
    ("diff", "reason"),
    [
        (
            diff_of("CHANGELOG.md", "a\n", "b\n"),
            "changes only non-source files (docs, changelogs, lock files)",
        ),
        (diff_of("app.py", "x = 1\n", "x = 2\n"), "touches no quoted name ('Mapping', 'collections')"),
        (
            diff_of("a.py", "from collections import Mapping\n", "from collections.abc import Mapping\n")
            + diff_of("b.py", "from collections import Mapping\n", "from typing import Mapping\n"),
            "ambiguous rename (('collections', 'py:Mapping') is changed two ways)",
        ),
    ],
)
def test_learn_template_says_why_nothing_was_learned(diff: str, reason: str) -> None:
    assert learn_template(MOVED, "pytest_error", diff) == NotLearned(reason)


# --- shapes an error names only in part: a whole-module binding, a compiler rule, a config key ----------


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_required_subpath_becomes_a_named_import_of_the_package(tmp_path: Path) -> None:
    from codemonkeys.swarm import extract_signatures

    pkg = {  # like uuid 9: only "." is exported, v4 is a named export of it
        "node_modules/idlike/package.json": '{"name": "idlike", "exports": {".": "./index.js"}}\n',
        "node_modules/idlike/index.js": 'exports.v4 = () => "0f";\n',
        "node_modules/idlike/v4.js": 'module.exports = () => "0f";\n',
    }

    def run(root: Path, files: dict[str, str], entry: str) -> subprocess.CompletedProcess[str]:
        for rel, text in {**pkg, **files}.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        return subprocess.run(["node", entry], cwd=root, capture_output=True, text=True, timeout=60)

    red = "const uuid = require('idlike/v4');\nconsole.log(uuid());\n"
    summary = extract_signatures(run(tmp_path / "a", {"app.js": red}, "app.js").stderr)[0].summary
    fix = "const { v4: uuid } = require('idlike');\nconsole.log(uuid());\n"
    assert run(tmp_path / "a", {"app.js": fix}, "app.js").stdout == "0f\n"
    template = learn_template(summary, "npm_error", diff_of("app.js", red, fix))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "import { v4 } from idlike (not the whole of idlike/v4)"

    other = {
        "lib/jobs.js": 'const newId = require("idlike/v4");\nmodule.exports = () => newId();\n',
        "main.mjs": (
            "import v4 from 'idlike/v4';\nimport jobs from './lib/jobs.js';\nconsole.log(v4(), jobs());\n"
        ),
    }
    broken = run(tmp_path / "b", other, "main.mjs")
    assert broken.returncode != 0
    healed = apply(template, extract_signatures(broken.stderr)[0].summary, other)
    assert healed["lib/jobs.js"].startswith('const { v4: newId } = require("idlike");\n')
    assert healed["main.mjs"].startswith("import { v4 } from 'idlike';\n")
    assert run(tmp_path / "b", healed, "main.mjs").stdout == "0f 0f\n"


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_one_line_change_everywhere_is_learned_from_a_compiler_error_that_quotes_no_name(tmp_path: Path):
    from codemonkeys.swarm import extract_signatures

    def build(root: Path, lib: str) -> subprocess.CompletedProcess[str]:
        (root / "src").mkdir(parents=True, exist_ok=True)
        (root / "Cargo.toml").write_text('[package]\nname = "ffi"\nversion = "0.1.0"\nedition = "2024"\n')
        (root / "src" / "lib.rs").write_text(lib)
        return subprocess.run(
            ["cargo", "build", "--offline", "-q"], cwd=root, capture_output=True, text=True, timeout=300
        )

    red = (  # the fix changes both sites: a rule applied everywhere, not one change
        '#[no_mangle]\npub extern "C" fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n'
        '#[no_mangle]\npub extern "C" fn neg(a: i32) -> i32 {\n    -a\n}\n'
    )
    summary = extract_signatures(build(tmp_path / "a", red).stderr)[0].summary
    assert summary.startswith("error: unsafe attribute used without unsafe"), summary
    fix = red.replace("#[no_mangle]", "#[unsafe(no_mangle)]")
    assert build(tmp_path / "a", fix).returncode == 0
    template = learn_template(summary, "cargo_error", diff_of("src/lib.rs", red, fix))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "change `#[no_mangle]` -> `#[unsafe(no_mangle)]`"
    # a test failure that quotes nothing teaches nothing, however uniform its fix
    assert not learn_template("assert 1 == 2", "pytest_failure", diff_of("src/lib.rs", red, fix))

    other = (
        '#[no_mangle]\npub extern "C" fn one() -> i32 {\n    1\n}\n\n'
        '#[no_mangle]\npub extern "C" fn two() -> i32 {\n    2\n}\n'
    )
    broken = build(tmp_path / "b", other)
    healed = apply(template, extract_signatures(broken.stderr)[0].summary, {"src/lib.rs": other})
    assert healed["src/lib.rs"].count("#[unsafe(no_mangle)]") == 2
    assert build(tmp_path / "b", healed["src/lib.rs"]).returncode == 0


def test_a_removed_compiler_option_is_replaced_in_another_products_tsconfig() -> None:
    import json

    summary = (
        "ts/config.json(9,5): error TS5102: Option 'importsNotUsedAsValues' has been removed."
        " Please remove it from your configuration."
    )
    before = (
        '{\n  "compilerOptions": {\n    "strict": true,\n    "importsNotUsedAsValues": "preserve",\n'
        '    "noEmit": true\n  }\n}\n'
    )
    after = before.replace('"importsNotUsedAsValues": "preserve"', '"verbatimModuleSyntax": true')
    template = learn_template(summary, "npm_error", diff_of("ts/config.json", before, after))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == 'set `"verbatimModuleSyntax": true` for the json key importsNotUsedAsValues'
    # another product: the option is the last entry (no comma), another value, the file at the root
    other = '{\n  "compilerOptions": {\n    "strict": true,\n    "importsNotUsedAsValues": "error"\n  }\n}\n'
    theirs = summary.replace("ts/config.json", "tsconfig.json")
    healed = apply(template, theirs, {"tsconfig.json": other})["tsconfig.json"]
    assert json.loads(healed) == {"compilerOptions": {"strict": True, "verbatimModuleSyntax": True}}
    # removed rather than replaced: the entry before it loses its comma
    gone = learn_template(
        summary,
        "npm_error",
        diff_of("ts/config.json", other, other.replace(',\n    "importsNotUsedAsValues": "error"', "")),
    )
    assert isinstance(gone, FixTemplate), gone
    assert json.loads(apply(gone, theirs, {"tsconfig.json": other})["tsconfig.json"]) == {
        "compilerOptions": {"strict": True}
    }


def test_a_module_attribute_is_renamed_through_the_module_only() -> None:
    # NumPy 2 removed np.product: the fix's rename is of numpy's attribute, not of every word `product`
    summary = "AttributeError: module 'numpy' has no attribute 'product'"
    red = "import numpy as np\n\n\ndef size(shape):\n    return int(np.product(shape))\n"
    template = learn_template(
        summary, "python_traceback", diff_of("pkg/io.py", red, red.replace("np.product", "np.prod"))
    )
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "use numpy.prod for numpy.product"
    other = {
        "grid/cells.py": (
            "import itertools\nimport numpy\n\n\ndef cells(dims):\n"
            "    return numpy.product(dims), list(itertools.product(range(2), repeat=2))\n"
        ),
        "grid/named.py": (
            "from numpy import product as mul, zeros\nfrom numpy import product\n\n"
            "x = product([2]) + mul([3])\n"
        ),
    }
    healed = apply(template, summary, other)
    assert "numpy.prod(dims), list(itertools.product(" in healed["grid/cells.py"]  # itertools' left alone
    assert healed["grid/named.py"] == (
        "from numpy import prod as mul, zeros\nfrom numpy import prod\n\nx = prod([2]) + mul([3])\n"
    )


def test_a_renamed_config_key_keeps_each_products_value_and_a_type_name_is_where_not_what() -> None:
    summary = (
        "tsconfig.json(6,5): error TS5102: Option 'out' has been removed."
        " Please remove it from your configuration."
    )
    before = '{\n  "compilerOptions": {\n    "out": "../built/sim.js",\n    "strict": true\n  }\n}\n'
    after = before.replace('"out"', '"outFile"')
    template = learn_template(summary, "npm_error", diff_of("libs/sim/tsconfig.json", before, after))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == 'rename the json key out -> "outFile"'
    theirs = {"tsconfig.json": '{\n  "compilerOptions": {\n    "out": "dist/w.js"\n  }\n}\n'}
    assert apply(template, summary, theirs)["tsconfig.json"] == theirs["tsconfig.json"].replace(
        '"out"', '"outFile"'
    )

    # the class whose object lacks the attribute is a test class of each product's own: the pattern is
    # about the attribute
    summary = (
        "AttributeError: 'HostsTest' object has no attribute 'assertEquals'. Did you mean: 'assertEqual'?"
    )
    red = "class HostsTest(unittest.TestCase):\n    def test_a(self):\n        self.assertEquals(1, 1)\n"
    template = learn_template(
        summary, "python_traceback", diff_of("tests/host_test.py", red, red.replace("Equals", "Equal"))
    )
    assert isinstance(template, FixTemplate), template
    assert match(template, "AttributeError: 'SlugifyTest' object has no attribute 'assertEquals'") is not None
    assert match(template, "AttributeError: 'SlugifyTest' object has no attribute 'assertItemsEqual'") is None


def test_a_javascript_callee_that_is_not_a_function_is_what_the_error_names() -> None:
    summary = "TypeError: mime.lookup is not a function"
    red = "const mime = require('mime');\nmodule.exports = (f) => mime.lookup(f);\n"
    template = learn_template(
        summary, "npm_error", diff_of("lib/files.js", red, red.replace("lookup", "getType"))
    )
    assert isinstance(template, FixTemplate), template
    # the receiver is each product's own name for the module: free, but only a binding of `mime` is renamed
    assert template.pattern == "TypeError: {0}.lookup is not a function" and dict(template.fixed) == {}
    files = {"src/upload.js": "const mime = require('mime');\nconst t = mime.lookup(name) || 'bin';\n"}
    assert "mime.getType(name)" in apply(template, summary, files)["src/upload.js"]
    assert match(template, "TypeError: Mime.lookup is not a function") == {"0": "Mime"}
    assert match(template, "TypeError: mime.extension is not a function") is None


def test_a_keyword_the_new_version_requires_is_added_where_no_call_passes_it_pyyaml_6() -> None:
    # PyYAML 6 made yaml.load's Loader required (its own message); the fix adds it to the call
    summary = "TypeError: load() missing 1 required positional argument: 'Loader'"
    red = "import yaml\n\ndef read(text):\n    return yaml.load(text)\n"
    template = learn_template(
        summary,
        "python_traceback",
        diff_of("cfg.py", red, red.replace("load(text)", "load(text, Loader=yaml.FullLoader)")),
    )
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "reshape calls of load: add:Loader=yaml.FullLoader, recv:yaml, npos:1"
    files = {
        "app.py": (
            "import yaml\nA = yaml.load(open('a'))\nB = yaml.load(s, Loader=yaml.SafeLoader)\n"
            "C = yaml.load(s, **opts)\n"
        ),
        # another module's load, another call shape: left alone (a build would not say why)
        "other.py": (
            "import json, yaml\nJ = json.load(f)\nP = yaml.load(f, yaml.SafeLoader)\nQ = yaml.load(*a)\n"
        ),
    }
    assert instantiate(template, match(template, summary) or {}, {"other.py": files["other.py"]}) is None
    healed = apply(template, summary, files)["app.py"]
    # added where absent; a call that passes it, or may through **opts, is left as it is
    assert healed == (
        "import yaml\nA = yaml.load(open('a'), Loader=yaml.FullLoader)\n"
        "B = yaml.load(s, Loader=yaml.SafeLoader)\nC = yaml.load(s, **opts)\n"
    )


def test_a_template_is_made_for_every_failure_it_fits_in_one_patch() -> None:
    # rustc reports each use of a removed function: one patch fixes every one the template fits
    summary = "error[E0425]: cannot find function `old_name` in crate `textkit`"
    red = "fn main() {\n    textkit::old_name(1);\n}\n"
    template = learn_template(
        summary, "cargo_error", diff_of("src/main.rs", red, red.replace("old_", "new_"))
    )
    assert isinstance(template, FixTemplate), template
    files = {
        "src/a.rs": "pub fn a() {\n    textkit::old_name(2);\n}\n",
        "src/b.rs": "pub fn b() {\n    textkit::old_other(3);\n}\n",
    }
    seen = [
        "error[E0425]: cannot find function `old_name` in crate `textkit`",
        "error[E0425]: cannot find function `parse` in crate `serde_json`",  # fits no template: left alone
    ]
    patch = instantiate_fitting(template, seen, files, ["src/a.rs"])
    assert patch is not None and patch.files == ("src/a.rs",)
    assert "+    textkit::new_name(2);" in patch.diff
    assert instantiate_fitting(template, seen[1:], files) is None  # fits nothing: no patch


def test_a_line_change_fits_other_products_by_its_shape_with_their_own_names_open() -> None:
    # base64 0.22 (the real fix: base64::encode(data) -> general_purpose::STANDARD.encode(data) and a `use`):
    # no other product has the fix's line word for word; the changed part is found anywhere in a line
    summary = "error[E0425]: cannot find function `encode` in crate `base64`"
    red = "use std::io;\n\nfn put(data: &[u8]) -> String {\n"
    red += "    let encoded = base64::encode(data);\n    encoded\n}\n"
    fix = red.replace("base64::encode", "general_purpose::STANDARD.encode").replace(
        "use std::io;\n", "use std::io;\nuse base64::{engine::general_purpose, Engine as _};\n"
    )
    template = learn_template(summary, "cargo_error", diff_of("src/log.rs", red, fix))
    assert isinstance(template, FixTemplate), template
    files = {
        "src/main.rs": (
            "use std::env;\n\nfn header(u: &str) -> String {\n"
            '    format!("Basic {}", base64::encode(u))\n}\n'
            "fn back(h: &str) -> Vec<u8> {\n    base64::decode(h).unwrap()\n}\n"
        )
    }
    seen = [summary, "error[E0425]: cannot find function `decode` in crate `base64`"]
    patch = instantiate_fitting(template, seen, files, ["src/main.rs"])
    assert patch is not None
    healed = _patched(files["src/main.rs"], patch.diff, "src/main.rs")
    # the import goes in once the file uses what it binds; the qualifier changes where it qualifies encode
    assert "use base64::{engine::general_purpose, Engine as _};\n" in healed
    assert 'format!("Basic {}", general_purpose::STANDARD.encode(u))' in healed
    # only the member the fix showed: the crate's other names (decode, DecodeError) may map otherwise
    assert "base64::decode(h).unwrap()" in healed


def test_a_line_shape_on_any_receiver_needs_the_whole_line() -> None:
    # pandas 2 removed DataFrame.append: the fix's line with the product's own names open
    from codemonkeys.swarm.lineshapes import learn_shape, reshape_lines

    shape = learn_shape(
        "draws = draws.append(pd.DataFrame(clf.model(X)))",
        "draws = pd.concat([draws, pd.DataFrame(clf.model(X))])",
        {"pd"},
    )
    assert shape is not None
    text = "    self.rows = self.rows.append(frame)\n    items.append(3)\n    x = y.append(z)\n"
    # a call on any receiver would be every list's append: only a line of the same shape is rewritten
    assert reshape_lines(text, shape) == (
        "    self.rows = pd.concat([self.rows, frame])\n    items.append(3)\n    x = y.append(z)\n"
    )


def test_a_renamed_keyword_in_an_options_dict_the_calls_spread() -> None:
    # pandas 2 renamed to_csv(line_terminator=) to lineterminator= (its own message)
    summary = "TypeError: NDFrame.to_csv() got an unexpected keyword argument 'line_terminator'"
    red = "def save(df, f):\n    df.to_csv(f, line_terminator='\\n')\n"
    template = learn_template(
        summary, "python_traceback", diff_of("io.py", red, red.replace("line_terminator", "lineterminator"))
    )
    assert isinstance(template, FixTemplate), template
    files = {
        "tsv.py": (
            'OPTS = {"sep": "\\t", "line_terminator": "\\n"}\n'
            'KW = dict(line_terminator="\\n", x=g(line_terminator=1))\n'
            'OTHER = {"line_terminator": 1}\n\n'
            "def a(df, buf):\n    df.to_csv(buf, **OPTS)\n    df.to_csv(buf, **KW)\n    show(**OTHER)\n"
            'def b(f):\n    kw = {"line_terminator": 2}\n    other(f, **kw)\n'
            'def c(df, f):\n    kw = {"line_terminator": 3}\n    df.to_csv(f, **kw)\n'
        )
    }
    healed = apply(template, summary, files)["tsv.py"]
    # the dicts the calls of to_csv spread are renamed (the assignment that reaches each call: the last one
    # before it); one spread into another function is not, nor a call's keyword inside dict(...)
    assert 'OPTS = {"sep": "\\t", "lineterminator": "\\n"}' in healed
    assert 'KW = dict(lineterminator="\\n", x=g(line_terminator=1))' in healed
    assert 'OTHER = {"line_terminator": 1}' in healed
    assert 'kw = {"line_terminator": 2}' in healed and 'kw = {"lineterminator": 3}' in healed


def test_a_default_export_gone_from_the_same_package_heals_every_member_it_was_called_for() -> None:
    # commander 12 dropped its CommonJS default export (the real fix: `{ program } = require('commander')`)
    summary = "TypeError: program.version is not a function"
    red = "const program = require('commander');\nprogram.version('1.0');\n"
    template = learn_template(
        summary, "npm_error", diff_of("src/cli.js", red, red.replace("const program", "const { program }"))
    )
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "import { program } from commander (not the whole of commander)"
    # any member of the old binding fails, under each product's own name for it
    files = {"bin/tool.js": "const cli = require('commander');\ncli.name('tool').parse();\n"}
    healed = apply(template, "TypeError: cli.name is not a function", files)["bin/tool.js"]
    assert healed.startswith("const { program: cli } = require('commander');\n")
    assert match(template, "TypeError: Cannot read properties of undefined (reading 'x')") is None


def test_a_line_shape_is_never_only_literals_nor_found_in_comments_or_long_lines() -> None:
    from codemonkeys.swarm.lineshapes import MAX_LINE, learn_shape, reshape_lines

    assert learn_shape("s.get(u, timeout=(3, 30))", "s.get(u, timeout=(3, 300))", set()) is None
    shape = learn_shape(
        "let e = base64::encode(data);", "let e = general_purpose::STANDARD.encode(data);", set()
    )
    assert shape is not None
    text = (
        "// base64::encode(x) was the old way\n"
        "fn f() -> Result<(), base64::DecodeError> { return base64::encode(x); }\n"
        + "let y = base64::encode(z); " * (MAX_LINE // 20)
        + "\n"
    )
    out = reshape_lines(text, shape).splitlines()
    assert out[0] == "// base64::encode(x) was the old way"  # a comment is left alone
    # the member the fix changed the qualifier of, after a keyword too; not the crate's other names
    assert (
        out[1] == "fn f() -> Result<(), base64::DecodeError> { return general_purpose::STANDARD.encode(x); }"
    )
    assert out[2].startswith("let y = base64::encode(z);")  # a line too long to be code a person wrote


def test_a_line_shape_with_many_open_names_and_non_ascii_ones() -> None:
    from codemonkeys.swarm.lineshapes import learn_shape, reshape_lines

    names = ", ".join(f"a{i}" for i in range(12))
    shape = learn_shape(f"r = r.f({names})", f"r = r.g({names})", set())
    assert shape is not None
    other = ", ".join(f"b{i}" for i in range(12))
    assert reshape_lines(f"q = q.f({other})\n", shape) == f"q = q.g({other})\n"
    shape = learn_shape("d = d.append(x)", "d = pd.concat([d, x])", {"pd"})
    assert shape is not None
    assert reshape_lines("über = über.append(row)\n", shape) == "über = pd.concat([über, row])\n"
