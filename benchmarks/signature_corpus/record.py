"""Record the labelled signature corpus: small real projects, broken on purpose, really run.

Each case is one product (its own name, package, module and layout, in its own workspace) broken by one
root cause; the same cause is recorded in several products, and causes that look alike (another name
removed from the same module, another missing package) are recorded beside them. The console of each
run (``$ command`` then the combined output, as ``act/base.py:run_command`` stores it) is written to
``dev/`` or ``heldout/`` and labelled in ``labels.json`` with its cause.

The held-out third (whole groups of causes, with their look-alikes) was recorded together with the rest,
BEFORE the fleet-wide normalization (``Signature.cause``) was written, and is only measured, never
tuned on (``benchmarks/signatures.py --corpus``).

Needs (see the README of the corpus): a venv with pytest, NumPy 2, pydantic 2 and a small fleet library
``acmeunits`` 2.0 (``parse_size`` renamed ``parse``), node + npm (chalk 5 and node-fetch 3 installed
once in a cache), cargo (offline: std and a path dependency only). Run::

    python benchmarks/signature_corpus/record.py --python /tmp/sigc/venv/bin/python \
        --npm-cache /tmp/sigc/npmcache
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class Case:
    name: str  # the log's file name (without .log)
    cause: str  # the label
    split: str  # dev | heldout
    tool: str  # pytest | python | npm | cargo
    files: dict[str, str]
    command: list[str]
    shown: str  # the command as the log's header shows it
    env: dict[str, str] = field(default_factory=dict)
    node_modules: str | None = None  # a cache dir whose node_modules is copied in


def _pyproject(name: str, paths: str | None) -> str:
    text = f'[project]\nname = "{name}"\nversion = "0.1.0"\n'
    if paths is not None:
        text += f"\n[tool.pytest.ini_options]\npythonpath = [{paths}]\n"
    return text


def py_pytest(
    name, cause, split, pkg, mod, body, *, layout="src", test_args=(), params=False, paths="auto"
) -> Case:
    """A pytest product: ``body`` is the module's code; the test calls ``mod.run``."""
    base = f"src/{pkg}" if layout == "src" else pkg
    if paths == "auto":
        paths = '"src"' if layout == "src" else '"."'
    if params:
        test = (
            f"import pytest\n\nfrom {pkg} import {mod}\n\n\n"
            f'@pytest.mark.parametrize(("a", "b"), [(1, 2), (3, 4), (0.5, 7)])\n'
            f"def test_{mod}_run(a, b):\n    assert {mod}.run([a, b]) > 0\n"
        )
    else:
        test = f"from {pkg} import {mod}\n\n\ndef test_{mod}_run():\n    assert {mod}.run([1, 2]) > 0\n"
    files = {
        "pyproject.toml": _pyproject(name, paths),
        f"{base}/__init__.py": "",
        f"{base}/{mod}.py": body,
        f"tests/test_{mod}.py": test,
    }
    args = ["python", "-m", "pytest", *test_args]
    return Case(name, cause, split, "pytest", files, args, " ".join(args))


def py_script(name, cause, split, pkg, mod, body, *, nested: str | None = None) -> Case:
    """A product run as ``python -m pkg``: a plain traceback, no pytest rootdir to say where it is."""
    base = f"{nested}/{pkg}" if nested else pkg
    files = {
        f"{base}/__init__.py": "",
        f"{base}/{mod}.py": body,
        f"{base}/__main__.py": f"from {pkg} import {mod}\n\nprint({mod}.run([1, 2]))\n",
    }
    env = {"PYTHONPATH": nested} if nested else {}
    return Case(name, cause, split, "python", files, ["python", "-m", pkg], f"python -m {pkg}", env)


def npm_test(name, cause, split, files: dict[str, str], node_modules: str | None = None) -> Case:
    pkg = {"name": name, "version": "1.0.0", "scripts": {"test": "node --test"}}
    if any(path.endswith(".mjs") for path in files) or '"type": "module"' in files.get("_type", ""):
        pkg["type"] = "module"
    files = {k: v for k, v in files.items() if k != "_type"}
    files["package.json"] = json.dumps(pkg, indent=2) + "\n"
    return Case(name, cause, split, "npm", files, ["npm", "test"], "npm test", node_modules=node_modules)


def npm_install(name, cause, split, dependency: str) -> Case:
    pkg = {"name": name, "version": "1.0.0", "dependencies": {dependency: "^1.0.0"}}
    files = {"package.json": json.dumps(pkg, indent=2) + "\n", "index.js": "module.exports = {};\n"}
    args = ["npm", "install", "--no-audit", "--no-fund"]
    return Case(name, cause, split, "npm", files, args, " ".join(args))


UNITS = {
    "units/Cargo.toml": '[package]\nname = "units"\nversion = "2.0.0"\nedition = "2021"\n',
    "units/src/lib.rs": (
        "/// units 2.0: `parse_size` was renamed `parse`.\n"
        "pub fn parse(text: &str) -> u64 {\n    text.trim().parse().unwrap_or(0)\n}\n"
    ),
}


def cargo(name, cause, split, crate, code: str, *, bin_=False, units=False, test=False) -> Case:
    root = f"{crate}"
    deps = '\n[dependencies]\nunits = { path = "../units" }\n' if units else ""
    files = {
        f"{root}/Cargo.toml": f'[package]\nname = "{crate}"\nversion = "0.3.1"\nedition = "2021"\n{deps}',
        f"{root}/src/{'main' if bin_ else 'lib'}.rs": code,
    }
    if units:
        files.update(UNITS)
    args = ["cargo", "test" if test else "build", "--offline"]
    return Case(name, cause, split, "cargo", files, args, " ".join(args), env={"_cwd": root})


MAPPING = (
    "from collections import Mapping\n"
    "\n"
    "\n"
    "def run(xs):\n"
    "    return len(xs) if isinstance({}, Mapping) else 0\n"
)
MAPPING_LATE = (
    "def run(xs):\n"
    "    from collections import Mapping\n"
    "\n"
    "    return len(xs) if isinstance({}, Mapping) else 0\n"
)
CALLABLE = (
    "from collections import Callable\n"
    "\n"
    "\n"
    "def run(xs):\n"
    "    return sum(1 for x in xs if not isinstance(x, Callable))\n"
)
FLOAT_ = "import numpy as np\n\n\ndef run(xs):\n    return np.float_(sum(xs))\n"
FLOAT_TOP = "import numpy as np\n\nZERO = np.float_(0)\n\n\ndef run(xs):\n    return ZERO + sum(xs)\n"
NAN = "import numpy as np\n\n\ndef run(xs):\n    return np.nansum([*xs, np.NaN])\n"
SETTINGS = (
    "from pydantic import BaseSettings\n\n\nclass Settings(BaseSettings):\n    debug: bool = False\n\n\n"
    "def run(xs):\n    return len(xs) + Settings().debug\n"
)
SETTINGS_LATE = (
    "def run(xs):\n    from pydantic import BaseSettings\n\n    class Settings(BaseSettings):\n"
    "        debug: bool = False\n\n    return len(xs) + Settings().debug\n"
)
YAML = "import yaml\n\n\ndef run(xs):\n    return len(yaml.safe_dump(xs))\n"
PLAIN = "def run(xs):\n    return sum(xs)\n"
UNITS_PY = (
    "from acmeunits import parse_size\n\n\ndef run(xs):\n    return sum(parse_size(f'{x}k') for x in xs)\n"
)
UNITS_PY_LATE = (
    "import acmeunits\n\n\ndef run(xs):\n    return sum(acmeunits.parse_size(f'{x}k') for x in xs)\n"
)
UNITS_FMT = "from acmeunits import format_size\n\n\ndef run(xs):\n    return len(format_size(sum(xs)))\n"

CHALK_CJS = (
    "const chalk = require('chalk');\n"
    "\n"
    "function banner(text) {\n"
    "  return chalk.bold(text);\n"
    "}\n"
    "\n"
    "module.exports = { banner };\n"
)
FETCH_CJS = (
    "const fetch = require('node-fetch');\n"
    "\n"
    "async function ping(url) {\n"
    "  return (await fetch(url)).status;\n"
    "}\n"
    "\n"
    "module.exports = { ping };\n"
)
LODASH_ESM = "import _ from 'lodash';\n\nexport function chunks(xs) {\n  return _.chunk(xs, 2);\n}\n"
LEFTPAD_ESM = "import leftPad from 'left-pad';\n\nexport function pad(x) {\n  return leftPad(x, 8);\n}\n"


def _cjs_test(module: str, fn: str, title: str) -> str:
    return (
        f"const test = require('node:test');\nconst assert = require('node:assert');\n"
        f"const {{ {fn} }} = require('{module}');\n\n"
        f"test('{title}', async () => {{\n  assert.ok(await {fn}('http://127.0.0.1:9/x'));\n}});\n"
    )


def _esm_test(module: str, fn: str, title: str) -> str:
    return (
        f"import test from 'node:test';\nimport assert from 'node:assert';\n"
        f"import {{ {fn} }} from '{module}';\n\n"
        f"test('{title}', () => {{\n  assert.ok({fn}([1, 2, 3]));\n}});\n"
    )


RUST_UNITS_USE = (
    "use units::parse_size;\n\npub fn reading(text: &str) -> u64 {\n    parse_size(text) / 1000\n}\n"
)
RUST_UNITS_USE_BIN = 'use units::parse_size;\n\nfn main() {\n    println!("{}", parse_size("42"));\n}\n'
RUST_UNITS_PATH = "pub fn weigh(text: &str) -> u64 {\n    units::parse_size(text) * 2\n}\n"
RUST_ASYNC = "pub fn step(x: u32) -> u32 {\n    let async = x + 1;\n    async * 2\n}\n"
RUST_ASYNC_BIN = 'fn main() {\n    let async = std::env::args().count();\n    println!("{async}");\n}\n'
RUST_U32 = 'pub fn limit() -> u32 {\n    let n: u32 = "5";\n    n\n}\n'
RUST_U32_B = 'pub fn retries() -> u32 {\n    let max: u32 = "3";\n    max + 1\n}\n'
RUST_STRING = 'pub fn label() -> String {\n    let s: String = "tank";\n    s\n}\n'
RUST_UNWRAP_CONFIG = (
    "pub fn port(config: &str) -> u16 {\n"
    '    config.lines().find(|l| l.starts_with("port=")).unwrap()[5..].parse().unwrap()\n}\n\n'
    "#[cfg(test)]\nmod tests {\n    #[test]\n    fn reads_the_port() {\n"
    '        assert_eq!(super::port("host=a\\n"), 80);\n    }\n}\n'
)
RUST_UNWRAP_LOOKUP = (
    "pub fn first_even(xs: &[u32]) -> u32 {\n    *xs.iter().find(|x| *x % 2 == 0).unwrap()\n}\n\n"
    "#[cfg(test)]\nmod tests {\n    #[test]\n    fn finds_even() {\n"
    "        assert_eq!(super::first_even(&[1, 3]), 2);\n    }\n}\n"
)


def cases() -> list[Case]:
    d, h = "dev", "heldout"
    return [
        # Python: a name removed from collections (3.10) vs another name removed from it
        py_pytest("books", "py:collections.Mapping removed", d, "books", "shelf", MAPPING),
        py_pytest(
            "ledger",
            "py:collections.Mapping removed",
            d,
            "ledger",
            "journal",
            MAPPING_LATE,
            layout="flat",
            params=True,
        ),
        py_script("inventory", "py:collections.Mapping removed", d, "inventory", "stock", MAPPING),
        py_pytest(
            "atlas-tools",
            "py:collections.Mapping removed",
            d,
            "atlas_tools",
            "maps",
            MAPPING_LATE,
            test_args=("-q", "--tb=short"),
        ),
        py_pytest("hermes", "py:collections.Callable removed", d, "hermes", "hooks", CALLABLE),
        py_script("quill", "py:collections.Callable removed", d, "quill", "ink", CALLABLE, nested="src"),
        # pydantic 2 moved BaseSettings out
        py_pytest("orders", "py:pydantic2 BaseSettings moved", d, "orders", "config", SETTINGS),
        py_script("billing", "py:pydantic2 BaseSettings moved", d, "billing", "settings", SETTINGS),
        py_pytest(
            "crm",
            "py:pydantic2 BaseSettings moved",
            d,
            "crm",
            "env",
            SETTINGS_LATE,
            layout="flat",
            test_args=("-v",),
        ),
        # the product's own package not importable vs a third-party package not installed
        py_pytest("harbor", "py:own package not on the path", d, "harbor", "docks", PLAIN, paths=None),
        py_pytest(
            "lantern",
            "py:own package not on the path",
            d,
            "lantern",
            "wick",
            PLAIN,
            paths=None,
            test_args=("-q",),
        ),
        py_pytest("relay", "py:yaml not installed", d, "relay", "state", YAML),
        py_script("sextant", "py:yaml not installed", d, "sextant", "angles", YAML),
        # held out: NumPy 2 removals, a fleet library's rename
        py_pytest("prices", "py:numpy2 float_ removed", h, "prices", "totals", FLOAT_, params=True),
        py_pytest("meteo", "py:numpy2 float_ removed", h, "meteo", "rain", FLOAT_TOP, layout="flat"),
        py_script("gridcalc", "py:numpy2 float_ removed", h, "gridcalc", "cells", FLOAT_),
        py_pytest("stats-kit", "py:numpy2 NaN removed", h, "stats_kit", "sums", NAN),
        py_script("tidal", "py:numpy2 NaN removed", h, "tidal", "waves", NAN),
        py_pytest("depot", "py:acmeunits parse_size renamed", h, "depot", "bins", UNITS_PY),
        py_script(
            "freight", "py:acmeunits parse_size renamed", h, "freight", "loads", UNITS_PY, nested="src"
        ),
        py_pytest(
            "cargo-ui",
            "py:acmeunits parse_size renamed",
            h,
            "cargo_ui",
            "panel",
            UNITS_PY_LATE,
            layout="flat",
            params=True,
        ),
        py_pytest("scales", "py:acmeunits format_size missing", h, "scales", "dial", UNITS_FMT),
        # npm / node: ESM-only packages required from CommonJS (Node 20.19 loads them: no CommonJS
        # export), missing packages, a 404
        npm_test(
            "webshop",
            "node:chalk5 has no CommonJS export",
            d,
            {"index.js": CHALK_CJS, "test/index.test.js": _cjs_test("..", "banner", "renders a banner")},
            "chalk_5",
        ),
        npm_test(
            "admin-panel",
            "node:chalk5 has no CommonJS export",
            d,
            {
                "lib/format.js": CHALK_CJS,
                "test/format.test.js": _cjs_test("../lib/format", "banner", "bold titles"),
            },
            "chalk_5",
        ),
        npm_test(
            "status-page",
            "node:chalk5 has no CommonJS export",
            d,
            {"src/app.js": CHALK_CJS, "test/app.test.js": _cjs_test("../src/app", "banner", "headline")},
            "chalk_5",
        ),
        npm_test(
            "pricing-api",
            "node:node-fetch3 has no CommonJS export",
            d,
            {"index.js": FETCH_CJS, "test/index.test.js": _cjs_test("..", "ping", "pings")},
            "node-fetch_3",
        ),
        npm_test(
            "notifier",
            "node:node-fetch3 has no CommonJS export",
            d,
            {"lib/http.js": FETCH_CJS, "test/http.test.js": _cjs_test("../lib/http", "ping", "sends")},
            "node-fetch_3",
        ),
        npm_install("mailer", "npm:@acme-fleet-zz/units-js missing", d, "@acme-fleet-zz/units-js"),
        npm_install("dashboard-js", "npm:@acme-fleet-zz/units-js missing", d, "@acme-fleet-zz/units-js"),
        npm_install("reports-js", "npm:@acme-fleet-zz/charts-js missing", d, "@acme-fleet-zz/charts-js"),
        npm_test(
            "catalog-js",
            "node:lodash not installed",
            h,
            {
                "_type": '"type": "module"',
                "src/index.js": LODASH_ESM,
                "test/index.test.js": _esm_test("../src/index.js", "chunks", "chunks"),
            },
        ),
        npm_test(
            "search-ui",
            "node:lodash not installed",
            h,
            {
                "_type": '"type": "module"',
                "lib/paging.js": LODASH_ESM,
                "test/paging.test.js": _esm_test("../lib/paging.js", "chunks", "pages"),
            },
        ),
        npm_test(
            "label-maker",
            "node:left-pad not installed",
            h,
            {
                "_type": '"type": "module"',
                "index.js": LEFTPAD_ESM,
                "test/index.test.js": _esm_test("../index.js", "pad", "pads"),
            },
        ),
        # Rust: a fleet crate's rename, edition keywords, mismatched types, unwraps
        cargo("meter", "rust:units parse_size renamed", d, "meter", RUST_UNITS_USE, units=True),
        cargo(
            "gauge", "rust:units parse_size renamed", d, "gauge", RUST_UNITS_USE_BIN, bin_=True, units=True
        ),
        cargo("scale-rs", "rust:units parse_size renamed", d, "scale_rs", RUST_UNITS_PATH, units=True),
        cargo("tankcfg", "rust:&str where u32 expected", d, "tankcfg", RUST_U32),
        cargo("valvecfg", "rust:&str where u32 expected", d, "valvecfg", RUST_U32_B),
        cargo("tanklabel", "rust:&str where String expected", d, "tanklabel", RUST_STRING),
        cargo("pump", "rust:async is a keyword (edition 2018+)", h, "pump", RUST_ASYNC),
        cargo("valve", "rust:async is a keyword (edition 2018+)", h, "valve", RUST_ASYNC_BIN, bin_=True),
        cargo("netcfg", "rust:port line missing from config", h, "netcfg", RUST_UNWRAP_CONFIG, test=True),
        cargo("evens", "rust:no even number in input", h, "evens", RUST_UNWRAP_LOOKUP, test=True),
    ]


def record(case: Case, python: str, npm_cache: Path, work: Path) -> str:
    prefix = {"pytest": "wt-", "python": "job-", "npm": "ws-", "cargo": "build-"}[case.tool]
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=work)) / case.name
    for path, text in case.files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    if case.node_modules:
        shutil.copytree(npm_cache / case.node_modules / "node_modules", root / "node_modules", symlinks=True)
    env = dict(os.environ)
    cwd = root / case.env.get("_cwd", ".")
    env.update({k: v for k, v in case.env.items() if not k.startswith("_")})
    env["PATH"] = f"{Path(python).parent}:{env['PATH']}"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.run(case.command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode != 0, f"{case.name} passed"
    return f"$ {case.shown}\n{proc.stdout}{proc.stderr}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="the venv's python (pytest, numpy 2, pydantic 2)")
    parser.add_argument("--npm-cache", type=Path, required=True, help="dirs with chalk 5, node-fetch 3")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "sigc" / "work")
    parser.add_argument("--only", nargs="*", help="names of the cases to record again")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    labels_path = HERE / "labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else {}
    for case in cases():
        if args.only and case.name not in args.only:
            continue
        text = record(case, args.python, args.npm_cache, args.work)
        out = HERE / case.split / f"{case.name}.log"
        out.parent.mkdir(exist_ok=True)
        out.write_text(text)
        labels[f"{case.split}/{case.name}.log"] = {"cause": case.cause, "tool": case.tool}
        print(f"{case.split}/{case.name}.log: {case.cause}")
    labels_path.write_text(json.dumps(dict(sorted(labels.items())), indent=2) + "\n")


if __name__ == "__main__":
    main()
