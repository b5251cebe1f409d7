"""The heal pillar's LLM strategy (codemonkeys.facets.heal): real logs made by really running pytest, a
script, node --test, cargo and gcc on small projects in tmp dirs; the prompt built from the real code; the
real `ollama` client against the scripted Ollama-compatible server (a known diff, errors) and the real tiny
model (SmolLM2-135M) behind the same API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from codemonkeys.facets.heal import (
    Commit,
    LLMError,
    Location,
    OllamaSettings,
    PromptContext,
    Relevance,
    Snippet,
    ask_for_patch,
    build_messages,
    check_patch,
    excerpt,
    extract_diff,
    gather_context,
    inspect_patch,
    locations,
)
from need import need_module, need_program
from servers.ollama.launch import OllamaServer

CALC = """\
def mean(xs):
    return total(xs) / len(xs) + 1


def total(xs):
    return sum(xs)


def report(xs):
    return f"mean: {mean(xs)}"
"""
TEST_CALC = """\
from app.calc import mean


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_empty():
    assert mean([]) == 0
"""
FIXED_REPLY = """\
Sure! The mean adds one and divides by zero for an empty list. Here is the fix:

```diff
--- app/calc.py
+++ app/calc.py
@@ -1,5 +1,5 @@
 def mean(xs):
-    return total(xs) / len(xs) + 1
+    return total(xs) / len(xs) if xs else 0

```

This makes both tests pass.
"""


def run(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1", **env}
    )


def write(root: Path, files: dict[str, str]) -> dict[str, str]:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return files


@pytest.fixture
def calc(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A small Python project whose tests fail (an off-by-one and a division by zero)."""
    root = tmp_path / "calc"
    files = write(root, {"app/__init__.py": "", "app/calc.py": CALC, "tests/test_calc.py": TEST_CALC})
    (root / "pytest.ini").write_text("[pytest]\n")
    return root, files


def pytest_log(root: Path, *args: str) -> str:
    done = run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        root,
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONPATH=str(root),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout + done.stderr


# --- where the failure points --------------------------------------------------------------------------


def test_a_real_pytest_log_points_at_the_test_and_at_the_code(calc: tuple[Path, dict[str, str]]) -> None:
    root, files = calc
    log = pytest_log(root)
    assert locations(log, files) == [
        Location("tests/test_calc.py", 5),  # test_mean's assertion
        Location("app/calc.py", 2),  # innermost frame of test_empty: the division
        Location("tests/test_calc.py", 9),
    ]
    native = pytest_log(root, "--tb=native")  # absolute paths in `File "..."` frames
    assert str(root) in native
    assert Location("app/calc.py", 2) in locations(native, files)
    assert locations(native, files)[:2] == [Location("tests/test_calc.py", 5), Location("app/calc.py", 2)]


def test_a_real_traceback_maps_absolute_paths_and_drops_site_packages(tmp_path: Path) -> None:
    need_module("yaml", "pip install pyyaml")
    root = tmp_path / "wt-abcd1234"
    files = write(
        root,
        {
            "app/main.py": "import yaml\n\n\ndef load(text):\n    return yaml.safe_load(text)\n\n\n"
            "load('a: [')\n",
            "yaml/parser.py": "# a repo file whose name a site-packages frame ends with\n",
        },
    )
    done = run([sys.executable, str(root / "app" / "main.py")], tmp_path)
    assert done.returncode == 1 and "site-packages" in done.stderr
    assert locations(done.stderr, files) == [Location("app/main.py", 5), Location("app/main.py", 8)]
    short = excerpt(done.stderr, files=files)
    assert "app/main.py" in short and str(root) not in short
    assert "yaml.parser.ParserError" in short or "ParserError" in short


def test_a_real_node_test_log_points_at_the_throwing_function(tmp_path: Path) -> None:
    node = need_program("node", "install Node.js")
    files = write(
        tmp_path,
        {
            "src/math.js": 'function half(n) {\n  if (n === 0) throw new Error("zero");\n  return n / 2;\n}\n'
            "module.exports = { half };\n",
            "test/math.test.js": 'const test = require("node:test");\n'
            'const assert = require("node:assert");\n'
            'const { half } = require("../src/math.js");\n\n'
            'test("half of zero", () => {\n  assert.strictEqual(half(0), 0);\n});\n',
        },
    )
    done = run([node, "--test", "test/"], tmp_path)
    log = done.stdout + done.stderr
    assert done.returncode == 1, log
    found = locations(log, files)
    assert found[:2] == [Location("src/math.js", 2), Location("test/math.test.js", 6)]
    assert Location("test/math.test.js", 5) in found  # the test's own location comes after the stack
    short = excerpt(log, files=files)
    assert "src/math.js:2:" in short and "half of zero" in short and "node:internal" not in short


def test_a_real_cargo_log_points_into_the_crate_below_the_repo_root(tmp_path: Path) -> None:
    cargo = need_program("cargo", "install Rust (rustup)")
    files = write(
        tmp_path,
        {
            "crates/calc/Cargo.toml": '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n',
            "crates/calc/src/lib.rs": 'pub fn answer() -> i32 {\n    let x: i32 = "42";\n    x\n}\n',
        },
    )
    done = run(
        [cargo, "build", "--offline"], tmp_path / "crates" / "calc", CARGO_TARGET_DIR=str(tmp_path / "t")
    )
    assert done.returncode != 0, done.stderr
    assert locations(done.stderr, files) == [Location("crates/calc/src/lib.rs", 2)]
    short = excerpt(done.stderr)
    assert "error[E0308]: mismatched types" in short and "src/lib.rs:2:" in short


def test_a_real_gcc_log_points_at_the_error(tmp_path: Path) -> None:
    gcc = need_program("gcc", "apt-get install gcc")
    files = write(tmp_path, {"native/calc.c": "int twice(int x) {\n    return x * 2\n}\n"})
    done = run([gcc, "-c", str(tmp_path / "native" / "calc.c"), "-o", str(tmp_path / "calc.o")], tmp_path)
    assert done.returncode != 0
    assert locations(done.stderr, files)[0] == Location("native/calc.c", 2)
    assert "error:" in excerpt(done.stderr)


def test_the_excerpt_keeps_the_assertion_and_the_innermost_frames(calc: tuple[Path, dict[str, str]]) -> None:
    root, _ = calc
    log = pytest_log(root)
    short = excerpt(log, limit=14)
    assert len(short.splitlines()) <= 14
    assert "E       assert 3.0 == 2" in short
    assert "E       ZeroDivisionError: division by zero" in short
    assert "app/calc.py:2: ZeroDivisionError" in short
    assert "platform linux" not in short and "rootdir" not in short
    assert excerpt("all good\nexit 3\n") == "all good\nexit 3"  # nothing recognized: the tail


# --- the prompt ----------------------------------------------------------------------------------------


def test_gather_context_takes_the_enclosing_functions_their_callees_and_callers(
    calc: tuple[Path, dict[str, str]],
) -> None:
    root, files = calc
    found = locations(pytest_log(root), files)
    context = gather_context(
        found,
        files,
        history=[("0123456789abcdef", "calc: off by one", "-    return total(xs) / len(xs)\n+ ... + 1")],
        near=[("README.md", 1, "mean() returns the average")],
    )
    by_label = {s.label: s for s in context.snippets}
    assert by_label["app.calc.mean"].relevance is Relevance.FAILURE
    assert (by_label["app.calc.mean"].start, by_label["app.calc.mean"].end) == (1, 2)
    assert by_label["app.calc.total"].relevance is Relevance.CALLEE
    assert by_label["app.calc.report"].relevance is Relevance.CALLER  # calls mean
    assert [s.relevance for s in context.snippets] == sorted(s.relevance for s in context.snippets)
    assert context.snippets[-1] == Snippet("README.md", 1, "mean() returns the average", Relevance.NEAR)
    assert context.history == (
        Commit("0123456789abcdef", "calc: off by one", "-    return total(xs) / len(xs)\n+ ... + 1"),
    )


def test_build_messages_asks_for_one_diff_and_trims_the_least_relevant_first(
    calc: tuple[Path, dict[str, str]],
) -> None:
    root, files = calc
    log = pytest_log(root)
    context = gather_context(locations(log, files), files, near=[("docs/x.md", 1, "NEAR " * 200)])
    system, user = build_messages(excerpt(log), context)
    assert system["role"] == "system" and "ONE unified diff" in system["content"]
    assert user["role"] == "user"
    assert "    2 |     return total(xs) / len(xs) + 1" in user["content"]  # line-numbered code
    assert "E       assert 3.0 == 2" in user["content"]
    assert "NEAR" in user["content"]
    small = PromptContext(context.snippets, (Commit("abc", "an old change", "x" * 400),), budget=1500)
    user = build_messages(excerpt(log), small)[1]["content"]
    assert len(user) <= 1500
    assert "NEAR" not in user and "app.calc.report" not in user  # search hits and callers go first
    assert "app.calc.mean" in user  # the code at the failure stays


# --- the diff in an answer -----------------------------------------------------------------------------


def test_extract_diff_fixes_prefixes_and_hunk_counts() -> None:
    diff = extract_diff(FIXED_REPLY)
    assert diff == (  # the header said 5 lines: the blank line after the hunk is counted context
        "--- a/app/calc.py\n+++ b/app/calc.py\n@@ -1,3 +1,3 @@\n def mean(xs):\n"
        "-    return total(xs) / len(xs) + 1\n+    return total(xs) / len(xs) if xs else 0\n \n"
    )
    assert inspect_patch(diff).files == ("app/calc.py",)


def test_extract_diff_places_hunks_where_the_file_has_their_lines(calc: tuple[Path, dict[str, str]]) -> None:
    root, files = calc
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        git(root, *args)
    reply = (  # no context, the wrong line number: what small models write
        "```diff\n--- a/app/calc.py\n+++ b/app/calc.py\n@@ -7,1 +7,1 @@\n"
        "-    return total(xs) / len(xs) + 1\n+    return total(xs) / len(xs) if xs else 0\n```"
    )
    blind = extract_diff(reply)
    assert blind is not None and git(root, "apply", "--check", input=blind).returncode != 0
    placed = extract_diff(reply, files)
    assert placed is not None and placed.startswith("--- a/app/calc.py\n+++ b/app/calc.py\n@@ -1,5 +1,5 @@\n")
    checked = git(root, "apply", "--check", input=placed)
    assert checked.returncode == 0, checked.stderr


def test_extract_diff_reads_bare_diffs_and_several_files() -> None:
    reply = (
        "Change these:\n--- a/x.py\n+++ b/x.py\n@@ -3,9 +3,9 @@ def f():\n"
        "     a = 1\n-    b = 2\n+    b = 3\n"
        "\n     c = 4\n--- ./y.py\n+++ ./y.py\n@@ -1 +1 @@\n-old\n+new\nThat is all.\n"
    )
    diff = extract_diff(reply)
    assert diff is not None
    assert "@@ -3,4 +3,4 @@ def f():" in diff  # the empty context line that lost its space counts
    assert "--- a/y.py\n+++ b/y.py\n@@ -1,1 +1,1 @@\n-old\n+new\n" in diff
    assert "That is all" not in diff
    assert inspect_patch(diff).added == 2


@pytest.mark.parametrize(
    "text",
    ["", "I cannot help with that.", "```python\ndef f():\n    return 1\n```", "--- a/x\n+++ b/x\nno hunk\n"],
)
def test_extract_diff_is_none_without_a_diff(text: str) -> None:
    assert extract_diff(text) is None


# --- the real ollama client against the scripted server -------------------------------------------------


def git(repo: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, input=input)


def test_a_scripted_answer_gives_a_diff_that_git_applies_and_that_fixes_the_build(
    ollama_scripted: OllamaServer, calc: tuple[Path, dict[str, str]]
) -> None:
    need_module("ollama", "pip install -e '.[test]' (the heal extra: ollama)")
    root, files = calc
    log = pytest_log(root)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        git(root, *args)
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "calc")
    messages = build_messages(excerpt(log), gather_context(locations(log, files), files))
    ollama_scripted.script(FIXED_REPLY)
    settings = OllamaSettings(ollama_scripted.url, ollama_scripted.model, {"temperature": 0}, 30)
    answer = ask_for_patch(settings, messages)
    assert answer.text == FIXED_REPLY and answer.model == ollama_scripted.model and answer.duration > 0
    (request,) = ollama_scripted.requests()
    assert request["body"]["messages"] == messages and request["body"]["stream"] is False
    assert request["body"]["options"] == {"temperature": 0}
    raw = FIXED_REPLY.split("```diff\n")[1].split("```")[0]
    assert git(root, "apply", "--check", input=raw).returncode != 0  # as the model wrote it: corrupt
    assert answer.diff is not None and check_patch(answer.diff) == []
    checked = git(root, "apply", "--check", input=answer.diff)
    assert checked.returncode == 0, checked.stderr
    assert git(root, "apply", input=answer.diff).returncode == 0
    done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], root, PYTHONPATH=str(root))
    assert done.returncode == 0, done.stdout  # the build is green again


PROMPT = [
    {"role": "system", "content": "Answer with a diff."},
    {"role": "user", "content": "the failing line: assert token == 'sk-live-0123456789abcdef'"},
]


def test_server_errors_become_llm_errors_without_the_prompt(ollama_scripted: OllamaServer) -> None:
    need_module("ollama", "pip install -e '.[test]' (the heal extra: ollama)")
    settings = OllamaSettings(ollama_scripted.url, ollama_scripted.model, {}, 30)
    ollama_scripted.script({"error": "model runner crashed", "status": 500})
    with pytest.raises(LLMError) as raised:
        ask_for_patch(settings, PROMPT)
    assert raised.value.transient is True and "500" in raised.value.message
    assert "model runner crashed" in raised.value.message
    echoed = "cannot tokenize: the failing line: assert token == 'sk-live-0123456789abcdef'"
    ollama_scripted.script({"error": echoed, "status": 400})
    with pytest.raises(LLMError) as raised:
        ask_for_patch(settings, PROMPT)
    assert raised.value.transient is False and "sk-live" not in raised.value.message
    assert "<prompt>" in raised.value.message
    missing = OllamaSettings(ollama_scripted.url, "no-such-model:1b", {}, 30)
    with pytest.raises(LLMError) as raised:
        ask_for_patch(missing, PROMPT)
    assert raised.value.transient is False and "no-such-model:1b" in raised.value.message


def test_an_unreachable_or_silent_server_is_a_transient_error() -> None:
    need_module("ollama", "pip install -e '.[test]' (the heal extra: ollama)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    down = OllamaSettings(f"http://user:hunter2@127.0.0.1:{port}", "smollm2:135m", {}, 5)
    with pytest.raises(LLMError) as raised:
        ask_for_patch(down, PROMPT)
    assert raised.value.transient is True and "hunter2" not in str(raised.value)
    assert f"127.0.0.1:{port}" in str(raised.value)
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        slow = OllamaSettings(f"http://127.0.0.1:{silent.getsockname()[1]}", "smollm2:135m", {}, 0.5)
        with pytest.raises(LLMError) as raised:
            ask_for_patch(slow, PROMPT)
    assert raised.value.transient is True and "within 0.5s" in raised.value.message


# --- the real tiny model --------------------------------------------------------------------------------


def test_the_real_model_answers_a_built_prompt(
    ollama_real: OllamaServer, calc: tuple[Path, dict[str, str]]
) -> None:
    need_module("ollama", "pip install -e '.[test]' (the heal extra: ollama)")
    root, files = calc
    log = pytest_log(root)
    context = gather_context(locations(log, files), files, budget=3000)
    messages = build_messages(excerpt(log, limit=20), context)
    before = ollama_real.llm_calls()
    settings = OllamaSettings(ollama_real.url, ollama_real.model, {"temperature": 0, "num_predict": 64}, 300)
    answer = ask_for_patch(settings, messages)
    assert ollama_real.llm_calls() == before + 1
    assert answer.model == ollama_real.model
    assert answer.duration > 0 and isinstance(answer.text, str)
    assert answer.prompt_tokens and answer.prompt_tokens > 100  # the whole prompt went through
    # temperature 0 is deterministic: to this prompt SmolLM2-135M writes Python, not a diff, until the
    # 64 tokens are spent, so no diff is extracted (a diff in its answer would be a changed model or prompt)
    assert answer.eval_tokens == 64, answer
    assert answer.text.startswith("```python\n") and "\n+++ " not in answer.text, answer.text
    assert answer.diff is None, answer.diff
