"""Heal, end to end, for a Rust and an npm product: real cargo and npm builds in the bubblewrap sandbox,
real git repos, the shipped default constitution, the real `ollama` client against the scripted
Ollama-compatible server (SmolLM2 cannot write these patches; the script answers what a capable model
would, and the pipeline around it is what is tested).

- Rust: a workspace whose ``money`` crate 2.0 renames ``format_price`` to ``format_amount``; the
  ``shop`` crate moves to it (Cargo.toml and Cargo.lock) and its ``cargo test`` goes red with
  ``error[E0432]: unresolved import``. The prompt shows the error, the import, the function using it and
  ``crates/shop/Cargo.toml`` (a dependency error). The model's first answer pins the old version in
  Cargo.lock: refused (a lock file is protected), nothing built. Its second answer adapts the code: proven
  green by ``cargo test`` on a heal branch, held for a maintainer (an LLM patch), approved, merged.
- npm: a fleet library ``@heal-e2e/money`` published to the test npm registry (verdaccio) drops
  ``formatPrice`` in 2.0; ``storefront`` moves to it (package.json and package-lock.json) and its
  ``npm cit`` (npm ci + node --test) goes red with node's ``SyntaxError: The requested module ... does
  not provide an export named 'formatPrice'``. The prompt shows that error, ``src/cart.js`` and
  ``package.json``; a patch to package-lock.json is refused; the code fix is proven green, merged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.repos import run as git
from codemonkeys.vocab.plan import Verdict
from need import need_program
from test_e2e_heal import commit, converge, heads

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def make_fleet(tmp: Path, ollama_url: str, model: str, products: dict[str, tuple[str, list[str]]]) -> Path:
    """A fleet of ``products`` (name -> language, build command), their repos under ``tmp/repos``
    (empty git repos with a main branch: the test commits to them), LLM heal after templates."""
    fleet = tmp / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: heal-rust-npm}\nspec:\n"
        f"  llm:\n    ollama: {{host: '{ollama_url}', model: '{model}', timeout: 120}}\n"
        "  defaults:\n    build:\n      heal: {strategies: [template, llm], maxAttempts: 2}\n"
    )
    shutil.copy(ROOT / "constitution" / "default.yaml", fleet / "constitution.yaml")
    for name, (language, command) in products.items():
        repo = tmp / "repos" / name
        repo.mkdir(parents=True)
        git(["init", "-q", "-b", "main"], repo)
        (fleet / "products" / f"{name}.yaml").write_text(
            "apiVersion: codemonkeys.dev/v1\nkind: Product\n"
            f"metadata: {{name: {name}}}\nspec:\n  source: {{repo: ../repos/{name}}}\n"
            f"  language: {language}\n"
            f"  build: {{command: {json.dumps(command)}}}\n"
        )
    return fleet


def sandboxed(fleet: Path) -> FleetSession:
    """A session whose product builds run in the sandbox (bubblewrap), as a controller's do."""
    base = Context.from_environ()
    env = {k: v for k, v in base.env.items() if k not in ("OLLAMA_HOST", "CMCTL_UNSANDBOXED")}
    context = Context(env=env, resources=base.resources, home_dir=base.home_dir)
    assert not context.unsandboxed
    return FleetSession.open(fleet, context)


def tool(cmd: list[str], cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def user_prompt(server, n: int) -> str:
    """The user message of the ``n``-th chat request the Ollama server received."""
    chats = [r for r in server.requests() if r["path"] == "/api/chat"]
    return next(m["content"] for m in chats[n]["body"]["messages"] if m["role"] == "user")


def finish_held_merge(fs: FleetSession, name: str) -> None:
    merge = fs.plan().action(f"{name}/heal.merge")
    assert merge.decision.verdict is Verdict.HOLD, merge.decision
    assert merge.decision.rule == "heal-merge-needs-a-clean-template"
    fs.approve(f"{name}/heal.merge", "owner", "the diff adapts the code to the new API")
    assert converge(fs) == [{f"{name}/heal.merge": "succeeded"}]


# --- Rust --------------------------------------------------------------------------------------------

MONEY_RS = {
    "1": (
        '//! Money formatting.\n\n/// Cents as a decimal amount ("1.50").\n'
        "pub fn format_price(cents: i64) -> String {\n"
        '    format!("{}.{:02}", cents / 100, cents % 100)\n}\n'
    ),
}
MONEY_RS["2"] = MONEY_RS["1"].replace("format_price", "format_amount")
SHOP_RS = (
    "use money::format_price;\n\n/// A price label in euros.\npub fn label(cents: i64) -> String {\n"
    '    format!("EUR {}", format_price(cents))\n}\n\n'
    "#[cfg(test)]\nmod tests {\n    #[test]\n    fn labels_in_euros() {\n"
    '        assert_eq!(super::label(150), "EUR 1.50");\n    }\n}\n'
)


def shop_workspace(version: str) -> dict[str, str]:
    return {
        "Cargo.toml": '[workspace]\nmembers = ["crates/money", "crates/shop"]\nresolver = "2"\n',
        "crates/money/Cargo.toml": (
            f'[package]\nname = "money"\nversion = "{version}.0.0"\nedition = "2021"\n'
        ),
        "crates/money/src/lib.rs": MONEY_RS[version],
        "crates/shop/Cargo.toml": (
            '[package]\nname = "shop"\nversion = "0.1.0"\nedition = "2021"\n\n'
            f'[dependencies]\nmoney = {{ path = "../money", version = "{version}" }}\n'
        ),
        ".gitignore": "/target\n",
    }


def blank(diff: str) -> str:
    """A diff written with ``.`` for its blank context lines (a lone space, which editors strip)."""
    return diff.replace("\n.\n", "\n \n")


PIN_CARGO_LOCK = """The new money crate breaks the build, pin the old one:

```diff
--- a/Cargo.lock
+++ b/Cargo.lock
@@ -4,4 +4,4 @@
.
 [[package]]
 name = "money"
-version = "2.0.0"
+version = "1.0.0"
```
"""
PIN_CARGO_LOCK = blank(PIN_CARGO_LOCK)
ADAPT_SHOP = """```diff
--- a/crates/shop/src/lib.rs
+++ b/crates/shop/src/lib.rs
@@ -1,6 +1,6 @@
-use money::format_price;
+use money::format_amount;
.
 /// A price label in euros.
 pub fn label(cents: i64) -> String {
-    format!("EUR {}", format_price(cents))
+    format!("EUR {}", format_amount(cents))
 }
```
"""
ADAPT_SHOP = blank(ADAPT_SHOP)


def rust_commit(repo: Path, files: dict[str, str], message: str) -> str:
    """Write ``files``, let cargo write Cargo.lock for them (offline: path dependencies only), commit."""
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    tool([need_program("cargo", "install Rust (rustup)"), "generate-lockfile", "--offline"], repo)
    return commit(repo, {}, message)


def test_a_rust_product_broken_by_a_crate_rename_is_healed_by_an_llm_patch(
    tmp_path: Path, ollama_scripted
) -> None:
    cargo = need_program("cargo", "install Rust (rustup)")
    fleet = make_fleet(
        tmp_path,
        ollama_scripted.url,
        ollama_scripted.model,
        {"shop": ("rust", [cargo, "test", "--offline", "--quiet"])},
    )
    repo = tmp_path / "repos" / "shop"
    rust_commit(repo, {**shop_workspace("1"), "crates/shop/src/lib.rs": SHOP_RS}, "feat: shop labels")
    fs = sandboxed(fleet)
    converge(fs)
    assert fs.plan().products["shop"].in_sync  # green: cargo test passes in the sandbox

    broken = rust_commit(repo, shop_workspace("2"), "feat(money)!: 2.0 renames format_price to format_amount")
    assert 'version = "2.0.0"' in git(["show", "HEAD:Cargo.lock"], repo)
    converge(fs, rounds=1)
    assert fs.plan().products["shop"].facets["build"].observed == "red"

    ollama_scripted.script(PIN_CARGO_LOCK, ADAPT_SHOP)
    history = converge(fs)
    assert history == [{"shop/build.heal": "failed"}, {"shop/build.heal": "succeeded"}]
    assert ollama_scripted.llm_calls() == 2
    first, second = sorted(fs.heal_attempts("shop"), key=lambda a: a["attempt"])
    assert (first["status"], first["llm_calls"]) == ("invalid", 1)
    assert "Cargo.lock: protected" in first["reason"] and first["heal_commit"] is None
    assert (second["strategy"], second["status"]) == ("llm", "green")

    prompt = user_prompt(ollama_scripted, 0)
    assert "error[E0432]: unresolved import `money::format_price`" in prompt
    assert "crates/shop/src/lib.rs:1:" in prompt and str(tmp_path) not in prompt
    assert "### crates/shop/src/lib.rs lines 1-" in prompt and "pub fn label" in prompt
    assert "### crates/shop/Cargo.toml lines 1-" in prompt and "(manifest)" in prompt
    assert 'money = { path = "../money", version = "2" }' in prompt
    assert "feat(money)!: 2.0 renames format_price" in prompt  # the commit that touched the manifest

    assert heads(tmp_path, "shop") == (broken, sorted(["main", second["branch"]]))  # main untouched
    finish_held_merge(fs, "shop")
    head, branches = heads(tmp_path, "shop")
    assert branches == ["main"] and git(["rev-parse", f"{head}~1"], repo) == broken
    assert "format_amount(cents)" in git(["show", f"{head}:crates/shop/src/lib.rs"], repo)
    assert git(["diff", "--name-only", broken, head], repo) == "crates/shop/src/lib.rs"
    assert fs.plan().products["shop"].in_sync
    (attempt,) = [a for a in fs.heal_attempts("shop") if a["status"] == "merged"]
    assert attempt["attempt"] == second["attempt"]


# --- npm ---------------------------------------------------------------------------------------------

MONEY = "@heal-e2e/money"
MONEY_JS = {
    "1": "export function formatPrice(cents) {\n  return (cents / 100).toFixed(2);\n}\n",
    "2": "export function formatAmount(cents) {\n  return (cents / 100).toFixed(2);\n}\n",
}
CART_JS = (
    f'import {{ formatPrice }} from "{MONEY}";\n\n'
    "/** A price label in euros. */\nexport function label(cents) {\n"
    "  return `EUR ${formatPrice(cents)}`;\n}\n"
)
CART_TEST = (
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'
    'import { label } from "../src/cart.js";\n\n'
    'test("labels in euros", () => {\n  assert.equal(label(150), "EUR 1.50");\n});\n'
)
PIN_NPM_LOCK = """```diff
--- a/package-lock.json
+++ b/package-lock.json
@@ -1,3 +1,3 @@
 {
   "name": "storefront",
-  "version": "1.0.0",
+  "version": "1.0.1",
```
"""
ADAPT_CART = f"""The package renamed formatPrice to formatAmount in 2.0:

```diff
--- a/src/cart.js
+++ b/src/cart.js
@@ -1,6 +1,6 @@
-import {{ formatPrice }} from "{MONEY}";
+import {{ formatAmount }} from "{MONEY}";
.
 /** A price label in euros. */
 export function label(cents) {{
-  return `EUR ${{formatPrice(cents)}}`;
+  return `EUR ${{formatAmount(cents)}}`;
 }}
```
"""
ADAPT_CART = blank(ADAPT_CART)


def publish_money(server, tmp: Path, npm: str) -> None:
    """Publish the fleet library's 1.0.0 and 2.0.0 with the real npm client."""
    for version, text in MONEY_JS.items():
        pkg = tmp / "money" / version
        pkg.mkdir(parents=True)
        manifest = {"name": MONEY, "version": f"{version}.0.0", "type": "module", "exports": "./index.js"}
        (pkg / "package.json").write_text(json.dumps(manifest) + "\n")
        (pkg / "index.js").write_text(text)
        tool([npm, "publish", "--userconfig", str(server.npmrc), "--registry", server.url + "/"], pkg)


def storefront_files(server, version: str) -> dict[str, str]:
    manifest = {
        "name": "storefront",
        "version": "1.0.0",
        "private": True,
        "type": "module",
        "scripts": {"test": "node --test"},
        "dependencies": {MONEY: f"^{version}.0.0"},
    }
    return {
        "package.json": json.dumps(manifest, indent=2) + "\n",
        ".npmrc": f"registry={server.url}/\n",
        ".gitignore": "node_modules/\n",
    }


def npm_commit(repo: Path, npm: str, files: dict[str, str], message: str) -> str:
    """Write ``files``, let npm write package-lock.json for them (from the test registry), commit."""
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    tool([npm, "install", "--package-lock-only", "--no-audit", "--no-fund"], repo)
    return commit(repo, {}, message)


def test_an_npm_product_broken_by_a_fleet_library_is_healed_by_an_llm_patch(
    tmp_path: Path, ollama_scripted, npm_server
) -> None:
    npm = need_program("npm", "install Node.js and npm")
    publish_money(npm_server, tmp_path, npm)
    fleet = make_fleet(
        tmp_path,
        ollama_scripted.url,
        ollama_scripted.model,
        {"storefront": ("node", [npm, "cit", "--no-audit", "--no-fund"])},
    )
    repo = tmp_path / "repos" / "storefront"
    files = {**storefront_files(npm_server, "1"), "src/cart.js": CART_JS, "test/cart.test.js": CART_TEST}
    npm_commit(repo, npm, files, "feat: storefront labels")
    locked = json.loads((repo / "package-lock.json").read_text())["packages"][f"node_modules/{MONEY}"]
    assert locked["version"] == "1.0.0"
    fs = sandboxed(fleet)
    converge(fs)
    assert fs.plan().products["storefront"].in_sync  # npm ci from the registry + node --test, sandboxed

    broken = npm_commit(repo, npm, storefront_files(npm_server, "2"), f"build: {MONEY} 2.0")
    converge(fs, rounds=1)
    assert fs.plan().products["storefront"].facets["build"].observed == "red"

    ollama_scripted.script(PIN_NPM_LOCK, ADAPT_CART)
    history = converge(fs)
    assert history == [{"storefront/build.heal": "failed"}, {"storefront/build.heal": "succeeded"}]
    first, second = sorted(fs.heal_attempts("storefront"), key=lambda a: a["attempt"])
    assert first["status"] == "invalid" and "package-lock.json: protected" in first["reason"]
    assert (second["strategy"], second["status"]) == ("llm", "green")

    prompt = user_prompt(ollama_scripted, 0)
    assert f"SyntaxError: The requested module '{MONEY}' does not provide an export named 'formatPrice'" in (
        prompt
    )
    assert "### src/cart.js lines 1-" in prompt and "export function label" in prompt
    assert "### package.json lines 1-" in prompt and f'"{MONEY}": "^2.0.0"' in prompt
    assert f"build: {MONEY} 2.0" in prompt and str(tmp_path) not in prompt

    assert heads(tmp_path, "storefront") == (broken, sorted(["main", second["branch"]]))
    finish_held_merge(fs, "storefront")
    head, branches = heads(tmp_path, "storefront")
    assert branches == ["main"] and git(["rev-parse", f"{head}~1"], repo) == broken
    assert git(["diff", "--name-only", broken, head], repo) == "src/cart.js"
    assert "formatAmount(cents)" in git(["show", f"{head}:src/cart.js"], repo)
    assert fs.plan().products["storefront"].in_sync
