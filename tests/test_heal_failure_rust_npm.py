"""Where Rust and npm builds' failures point, on real logs: cargo and node run here on small broken
projects in tmp dirs (rustc errors among warnings, test panics with backtraces, a path dependency's
breaking release, ESM imports of a name a package no longer exports, a package node cannot find, a
CommonJS require stack); tsc and the npm registry's answers are recorded (tests/cases/heal_logs/: how
each was made). Also what the prompt takes from them: the manifest of a dependency error, the functions
that use what a failing import line names.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from codemonkeys.facets.heal import Location, Relevance, build_messages, excerpt, gather_context, locations
from codemonkeys.facets.heal.failure import manifests
from need import need_program

LOGS = Path(__file__).parent / "cases" / "heal_logs"


def run(cmd: list[str], cwd: Path, **env: str) -> str:
    """The console output (stdout + stderr) of a command that must fail."""
    done = subprocess.run(
        cmd,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", "CARGO_TERM_COLOR": "never", **env},
    )
    assert done.returncode != 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def write(root: Path, files: dict[str, str]) -> dict[str, str]:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return files


def cargo(root: Path, *args: str, **env: str) -> str:
    exe = need_program("cargo", "install Rust (rustup)")
    return run([exe, *args, "--offline"], root, CARGO_TARGET_DIR=str(root / "target"), **env)


def node(root: Path, *args: str) -> str:
    return run([need_program("node", "install Node.js"), *args], root)


# --- Rust ------------------------------------------------------------------------------------------

HASHING = {
    "Cargo.toml": '[package]\nname = "hashing"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/lib.rs": (
        "pub mod report;\n\n/// The checksum of bytes.\npub fn digest(bytes: &[u8]) -> u32 {\n"
        "    let unused = 3;\n"
        "    bytes.iter().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(*b as u32))\n}\n"
    ),
    "src/report.rs": (
        "use crate::digest;\n\n/// A line for the report.\npub fn line(name: &str) -> String {\n"
        "    let sum = checksum(name.as_bytes());\n"
        '    format!("{name}: {sum:08x}")\n}\n'
    ),
}


def test_a_rustc_error_among_warnings_points_at_the_error_only(tmp_path: Path) -> None:
    files = write(tmp_path, HASHING)
    log = cargo(tmp_path, "test", "--quiet")
    # the real log has warnings before and after the error, each with its own --> position
    assert "warning: unused import" in log and "warning: unused variable" in log
    assert (
        log.index("--> src/report.rs:1:5") < log.index("--> src/report.rs:5:") < log.index("src/lib.rs:5:9")
    )
    assert locations(log, files) == [Location("src/report.rs", 5)]
    assert manifests(log, files) == []  # a name of the product's own: not a dependency error
    short = excerpt(log, files=files)
    assert "error[E0425]: cannot find function `checksum`" in short and "src/report.rs:5:" in short
    assert "unused variable" not in short  # the warning after the error is not part of it


def test_a_panicking_integration_test_points_at_the_assertion_then_its_callers(tmp_path: Path) -> None:
    fixed = (
        HASHING["src/report.rs"].replace("checksum(", "crate::digest(").replace("use crate::digest;\n", "")
    )
    files = write(
        tmp_path,
        {
            **HASHING,
            "src/report.rs": fixed,
            "tests/api.rs": (
                "use hashing::digest;\n\nfn check(name: &str, want: u32) {\n"
                '    assert_eq!(digest(name.as_bytes()), want, "digest of {name}");\n}\n\n'
                '#[test]\nfn known_digests() {\n    check("", 7);\n    check("a", 1);\n}\n'
            ),
        },
    )
    plain = cargo(tmp_path, "test", "--quiet", "--test", "api", RUST_BACKTRACE="0")
    assert "panicked at tests/api.rs:4:5" in plain
    assert locations(plain, files) == [Location("tests/api.rs", 4)]
    traced = cargo(tmp_path, "test", "--quiet", "--test", "api", RUST_BACKTRACE="1")
    assert "/rustc/" in traced and "library/core/src/panicking.rs" in traced  # the standard library's
    assert locations(traced, files) == [
        Location("tests/api.rs", 4),  # the assertion (check)
        Location("tests/api.rs", 10),  # its caller: the failing check("a", 1)
        Location("tests/api.rs", 8),  # the test function
    ]
    short = excerpt(traced, files=files)
    assert "tests/api.rs:4:5" in short and "digest of a" in short


def test_standard_library_frames_never_map_onto_a_repository_file_of_the_same_name(tmp_path: Path) -> None:
    files = write(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "opts"\nversion = "0.1.0"\nedition = "2021"\n',
            "src/lib.rs": "pub mod option;\n",
            # a module named like core's src/option.rs, whose unwrap panics inside the standard library
            "src/option.rs": (
                "/// The first value.\npub fn first(values: &[u32]) -> u32 {\n"
                "    *values.first().unwrap()\n}\n\n"
                "#[test]\nfn first_of_nothing() {\n    assert_eq!(first(&[]), 0);\n}\n"
            ),
        },
    )
    log = cargo(tmp_path, "test", "--quiet", RUST_BACKTRACE="1")
    assert "/library/core/src/option.rs:" in log  # core's frames, printed under /rustc/<hash>/
    assert locations(log, files) == [
        Location("src/option.rs", 3),  # the unwrap (#[track_caller]: the panic is reported here)
        Location("src/option.rs", 8),  # the test calling it
        Location("src/option.rs", 7),
    ]


SHOP = {
    "Cargo.toml": '[workspace]\nmembers = ["crates/money", "crates/shop"]\nresolver = "2"\n',
    "crates/money/Cargo.toml": '[package]\nname = "money"\nversion = "2.0.0"\nedition = "2021"\n',
    "crates/money/src/lib.rs": (
        "/// Cents as a decimal amount.\npub fn format_amount(cents: i64) -> String {\n"
        '    format!("{}.{:02}", cents / 100, cents % 100)\n}\n'
    ),
    "crates/shop/Cargo.toml": (
        '[package]\nname = "shop"\nversion = "0.1.0"\nedition = "2021"\n\n'
        '[dependencies]\nmoney = { path = "../money", version = "2" }\n'
    ),
    "crates/shop/src/lib.rs": (
        "use money::format_price;\n\n"
        + "".join(f"/// Tax rate {n}.\npub const RATE_{n}: i64 = {n};\n" for n in range(12))
        + "\n/// A price label.\npub fn label(cents: i64) -> String {\n"
        + '    format!("EUR {}", format_price(cents))\n}\n'
    ),
}


def test_a_dependency_api_break_brings_the_manifest_and_the_uses_of_the_import(tmp_path: Path) -> None:
    files = write(tmp_path, SHOP)
    log = cargo(tmp_path, "build")
    assert "error[E0432]: unresolved import `money::format_price`" in log
    where = locations(log, files)
    assert where == [Location("crates/shop/src/lib.rs", 1)]  # relative to the workspace root
    deps = manifests(log, files, [w.path for w in where])
    assert deps == [Location("crates/shop/Cargo.toml", 7)]  # the line that declares money
    context = gather_context(where, files, manifests=deps)
    by_relevance = {s.relevance: s for s in context.snippets}
    assert by_relevance[Relevance.FAILURE].start == 1
    use = by_relevance[Relevance.USE]  # `label` is beyond the window around the import: shown as a use
    assert use.label.endswith("label") and "format_price(cents)" in use.text
    assert by_relevance[Relevance.MANIFEST].path == "crates/shop/Cargo.toml"
    (_, user) = build_messages(excerpt(log, files=files), context)
    prompt = user["content"]
    assert 'money = { path = "../money", version = "2" }' in prompt and "pub fn label" in prompt
    assert "unresolved import `money::format_price`" in prompt


def test_a_version_the_resolver_cannot_select_brings_the_manifest_that_asks_for_it(tmp_path: Path) -> None:
    files = write(tmp_path, SHOP)
    files["crates/shop/Cargo.toml"] = SHOP["crates/shop/Cargo.toml"].replace('version = "2"', 'version = "1"')
    write(tmp_path, files)
    log = cargo(tmp_path, "build")
    assert 'failed to select a version for the requirement `money = "^1"`' in log
    assert locations(log, files) == []
    assert manifests(log, files) == [Location("crates/shop/Cargo.toml", 7)]  # not the workspace's


# --- npm / node ------------------------------------------------------------------------------------

STOREFRONT = {
    "package.json": (
        '{\n  "name": "storefront",\n  "version": "1.0.0",\n  "type": "module",\n'
        '  "scripts": {\n    "test": "node --test"\n  },\n'
        '  "dependencies": {\n    "@fleet/money": "^2.0.0"\n  }\n}\n'
    ),
    "src/cart.js": (
        'import { formatPrice } from "@fleet/money";\n\n'
        + "".join(f"export const RATE_{n} = {n};\n" for n in range(20))
        + "\nexport function label(cents) {\n  return `EUR ${formatPrice(cents)}`;\n}\n"
    ),
    "test/cart.test.js": (
        'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'
        'import { label } from "../src/cart.js";\n\n'
        'test("label", () => {\n  assert.equal(label(150), "EUR 1.50");\n});\n'
    ),
}
MONEY_2 = {
    "node_modules/@fleet/money/package.json": (
        '{"name": "@fleet/money", "version": "2.0.0", "type": "module", "exports": "./index.js"}\n'
    ),
    "node_modules/@fleet/money/index.js": (
        "export function formatAmount(c) {\n  return (c / 100).toFixed(2);\n}\n"
    ),
}


def test_an_esm_import_of_a_name_a_package_no_longer_exports(tmp_path: Path) -> None:
    files = write(tmp_path, STOREFRONT)
    write(tmp_path, MONEY_2)  # installed, not part of the repository
    log = node(tmp_path, "--test")
    assert "does not provide an export named 'formatPrice'" in log and "# file://" in log
    where = locations(log, files)
    assert where[0] == Location("src/cart.js", 1)  # the import, from node's header of the load error
    assert Location("test/cart.test.js", 1) in where  # the test file that failed to load
    deps = manifests(log, files, [w.path for w in where])
    assert deps == [Location("package.json", 9)]  # "@fleet/money": "^2.0.0"
    short = excerpt(log, files=files)
    # the TAP report only says "test failed": the error node printed before it is kept
    assert "SyntaxError: The requested module '@fleet/money' does not provide an export named" in short
    assert "src/cart.js:1" in short and str(tmp_path) not in short and "node:internal" not in short
    context = gather_context(where, files, manifests=deps)
    uses = [s for s in context.snippets if s.relevance is Relevance.USE]
    assert [s.label for s in uses] == ["src/cart.label"] and "formatPrice(cents)" in uses[0].text
    (_, user) = build_messages(short, context)
    assert '"@fleet/money": "^2.0.0"' in user["content"]


def test_a_package_node_cannot_find_points_at_the_line_that_imports_it(tmp_path: Path) -> None:
    files = write(tmp_path, {**STOREFRONT, "src/cart.js": "// prices\n" + STOREFRONT["src/cart.js"]})
    log = node(tmp_path, "--test")  # @fleet/money is not installed
    assert "Cannot find package '@fleet/money' imported from" in log
    where = locations(log, files)
    assert where[0] == Location("src/cart.js", 2)  # node names the file; the line is its import
    assert manifests(log, files, [w.path for w in where]) == [Location("package.json", 9)]


def test_a_commonjs_require_stack_points_at_the_require(tmp_path: Path) -> None:
    files = write(
        tmp_path,
        {
            "package.json": '{"name": "cli", "version": "1.0.0", "dependencies": {}}\n',
            "lib/app.js": "'use strict';\n\nconst pad = require('left-pad');\n\nmodule.exports = { pad };\n",
            "bin/cli.js": "#!/usr/bin/env node\nrequire('../lib/app.js');\n",
        },
    )
    log = node(tmp_path, "bin/cli.js")
    assert "Require stack:" in log
    where = locations(log, files)
    assert where[:2] == [Location("lib/app.js", 3), Location("bin/cli.js", 2)]
    # a package that is not there is a dependency error even though no manifest declares it
    assert manifests(log, files, [w.path for w in where]) == [Location("package.json", 1)]


def test_an_error_thrown_while_a_script_runs_points_at_the_throw_then_the_stack(tmp_path: Path) -> None:
    files = write(
        tmp_path,
        {
            "src/half.js": 'export function half(n) {\n  if (n === 0) throw new RangeError("zero");\n'
            "  return n / 2;\n}\n",
            "src/main.js": 'import { half } from "./half.js";\n\nconsole.log(half(0));\n',
            "package.json": '{"type": "module"}\n',
        },
    )
    log = node(tmp_path, "src/main.js")
    assert "RangeError: zero" in log
    assert locations(log, files)[:2] == [Location("src/half.js", 2), Location("src/main.js", 3)]
    assert manifests(log, files) == []


def test_a_package_npm_cannot_fetch_brings_the_manifest_that_declares_it(tmp_path: Path) -> None:
    files = write(
        tmp_path,
        {
            "package.json": '{\n  "private": true,\n  "workspaces": ["packages/*"]\n}\n',
            "packages/web/package.json": (
                '{\n  "name": "web",\n  "dependencies": {\n    "@types/node": "^20.0.0",\n'
                '    "left-pad": "^1.3.0"\n  }\n}\n'
            ),
            "packages/api/package.json": '{\n  "name": "api",\n  "dependencies": {}\n}\n',
        },
    )
    npm = need_program("npm", "install Node.js and npm")
    # offline with an empty cache: npm's own error without any network (ENOTCACHED)
    log = run(
        [npm, "install", "--offline", "--cache", str(tmp_path / "cache"), "--no-audit"],
        tmp_path / "packages/web",
    )
    assert "npm error code ENOTCACHED" in log and "@types%2fnode" in log
    assert locations(log, files) == []
    assert manifests(log, files) == [Location("packages/web/package.json", 4)]


# --- recorded: tsc, the npm registry ---------------------------------------------------------------

CHECKOUT = {
    "package.json": '{\n  "private": true,\n  "workspaces": ["packages/*"]\n}\n',
    "packages/checkout/package.json": (
        '{\n  "name": "checkout",\n  "version": "1.0.0",\n  "type": "module",\n'
        '  "scripts": {\n    "build": "tsc"\n  },\n'
        '  "dependencies": {\n    "@fleet/money": "^2.0.0"\n  }\n}\n'
    ),
    "packages/checkout/src/cart.ts": (
        'import { formatPrice } from "@fleet/money";\n\nexport function label(cents: number): string {\n'
        "  return `EUR ${formatPrice(cents)}`;\n}\n"
    ),
    "packages/checkout/src/total.ts": (
        "export function total(prices: number[]): number {\n"
        "  const sum: string = prices.reduce((a, b) => a + b, 0);\n  return sum;\n}\n"
    ),
    "packages/web/src/total.ts": "export const total = 0;\n",  # another package's total.ts
}


@pytest.mark.parametrize("name", ["tsc-checkout.log", "tsc-checkout-pretty.log"])
def test_tsc_errors_point_into_the_package_that_ran_it(name: str) -> None:
    log = (LOGS / name).read_text()
    where = locations(log, CHECKOUT)
    assert where == [
        Location("packages/checkout/src/cart.ts", 1),
        Location("packages/checkout/src/total.ts", 2),
        Location("packages/checkout/src/total.ts", 3),
    ]
    # TS2305 names @fleet/money: the package's manifest declares it, the workspace root does not
    assert manifests(log, CHECKOUT, [w.path for w in where]) == [
        Location("packages/checkout/package.json", 9)
    ]
    short = excerpt(log, files=CHECKOUT)
    assert "error TS2305: Module '\"@fleet/money\"' has no exported member 'formatPrice'" in short
    assert "\x1b[" not in short


def test_a_version_npm_cannot_find_brings_the_manifest_that_asks_for_it() -> None:
    log = (LOGS / "npm-etarget.log").read_text()
    files = {
        "package.json": '{"name": "mono", "private": true}\n',
        "packages/web/package.json": (
            '{\n  "name": "web",\n  "dependencies": {\n    "left-pad": "^99.0.0"\n  }\n}\n'
        ),
        "packages/api/package.json": '{\n  "name": "api",\n  "dependencies": {}\n}\n',
    }
    assert locations(log, files) == []
    assert manifests(log, files) == [Location("packages/web/package.json", 4)]
    assert "No matching version found for left-pad@^99.0.0" in excerpt(log, files=files)
