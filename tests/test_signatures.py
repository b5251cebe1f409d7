"""Failure signatures (``codemonkeys.swarm.signatures``) on recorded console logs.

The logs under ``payloads/consoles/`` were recorded once by really running the failing tools (see the
README there); ``*.variant.log`` files are copies edited to differ the way two builds of the same failure
differ (machine, workspace, line numbers, timings, temp dirs, shas, pids). No tool runs here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from codemonkeys.swarm import (
    MAX_SIGNATURES,
    Signature,
    SignatureKind,
    extract_signatures,
    fingerprint,
    normalize,
)
from codemonkeys.swarm.signatures import MAX_LINE

CONSOLES = Path(__file__).parent / "payloads" / "consoles"
K = SignatureKind


def signatures(name: str) -> list[Signature]:
    return extract_signatures((CONSOLES / name).read_text())


def summaries(name: str) -> list[tuple[SignatureKind, str]]:
    return [(s.kind, s.summary) for s in signatures(name)]


# --- each kind, on a real log ----------------------------------------------------------------------

EXPECTED = {
    "pytest-failures.log": [
        (
            K.PYTEST_ERROR,
            "tests/test_widgets.py::test_fetch - ConnectionRefusedError: [Errno 111] Connection refused: "
            "localhost:<port>",
        ),
        (
            K.PYTEST_FAILURE,
            "tests/test_widgets.py::test_parse_size - AssertionError: assert <n> == ((3 * 1000) * 1000)",
        ),
        (K.PYTEST_FAILURE, "tests/test_widgets.py::test_parse_size_units - KeyError: 'g'"),
        (K.PYTEST_FAILURE, "tests/test_widgets.py::test_load_config - KeyError: 'version'"),
    ],
    "pytest-collection-error.log": [
        (
            K.PYTEST_ERROR,
            "tests/test_helpers.py - ModuleNotFoundError: No module named 'yaml_widgets_helpers'",
        ),
    ],
    "pytest-timeout.log": [
        (
            K.TIMEOUT,
            "tests/test_slow.py::test_waits_for_registry - Failed: Timeout (><dur>) from pytest-timeout.",
        ),
    ],
    "python-traceback.log": [
        (
            K.PYTHON_TRACEBACK,
            "RuntimeError: no docs manifest under <root> (tools/gen_docs.py in read_manifest)",
        ),
    ],
    "python-memoryerror.log": [(K.OOM_KILLED, "MemoryError (tools/bigtable.py in <listcomp>)")],
    "npm-install-e404.log": [
        (K.NPM_ERROR, "npm E404: 404 Not Found - GET https://registry.npmjs.org/acme-widgets-left-pad-zz9"),
    ],
    "npm-test.log": [
        (K.NPM_ERROR, "parses megabytes - AssertionError: Expected values to be strictly equal:"),
        (K.NPM_ERROR, "parses gigabytes - TypeError: unknown unit: g"),
    ],
    "cargo-build.log": [
        (K.CARGO_ERROR, "error[E0425]: cannot find value `overhead` in this scope (src/lib.rs)"),
        (K.CARGO_ERROR, "error[E0308]: mismatched types (src/lib.rs)"),
    ],
    "cargo-test.log": [
        (K.CARGO_ERROR, "tests::parses_megabytes panicked: assertion `left == right` failed (src/lib.rs)"),
    ],
    "gcc-make.log": [
        (K.COMPILER_ERROR, "src/size.c: error: expected ';' before '}' token"),
        (K.COMPILER_ERROR, "src/size.c: error: 'undefined_status' undeclared (first use in this function)"),
    ],
    "gcc-link.log": [(K.COMPILER_ERROR, "undefined reference to `unit_scale'")],
    "timeout-codemonkeys.log": [(K.TIMEOUT, "timed out running `python -m pytest tests/test_slow.py`")],
    "jenkins-timeout.log": [(K.TIMEOUT, "timed out running `python -m pytest tests/test_slow.py`")],
    "oom-killed.log": [(K.OOM_KILLED, "Killed: python tools/build_index.py")],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_kind_is_recognized_with_its_summary(name: str) -> None:
    assert summaries(name) == EXPECTED[name]


def test_every_kind_but_generic_has_a_recorded_log() -> None:
    seen = {kind for expected in EXPECTED.values() for kind, _ in expected}
    assert seen == set(SignatureKind) - {K.GENERIC, K.MINED}  # mined: tests/test_mining.py


def test_line_is_where_the_failure_starts() -> None:
    lines = (CONSOLES / "pytest-failures.log").read_text().splitlines()
    found = signatures("pytest-failures.log")
    assert lines[found[0].line - 1] == "_" * 25 + " ERROR at setup of test_fetch " + "_" * 25
    (traceback,) = signatures("python-traceback.log")
    assert (CONSOLES / "python-traceback.log").read_text().splitlines()[traceback.line - 1] == (
        "Traceback (most recent call last):"
    )


def test_detail_is_normalized_context() -> None:
    by_summary = {s.summary: s for s in signatures("pytest-failures.log")}
    load = by_summary["tests/test_widgets.py::test_load_config - KeyError: 'version'"]
    assert load.detail == ("KeyError: 'version'", "src/acme_widgets/__init__.py: KeyError")
    (traceback,) = signatures("python-traceback.log")
    assert (
        traceback.detail[-1]
        == "caused by FileNotFoundError: [Errno 2] No such file or directory: 'docs/manifest.json'"
    )
    (panic,) = signatures("cargo-test.log")
    assert panic.detail == ("left: Some(<n>)", "right: Some(<n>)")
    for sig in [
        *signatures("gcc-make.log"),
        *signatures("npm-install-e404.log"),
        *signatures("cargo-build.log"),
    ]:
        assert 0 < len(sig.detail) <= 8
        assert not any("/tmp/" in line or "wt-" in line for line in sig.detail)


NODE_UNCAUGHT = """\
node:internal/errors:541
      throw error;
      ^

TypeError [ERR_INVALID_ARG_TYPE]: The "original" argument must be of type function. Received undefined
    at promisify (node:internal/util:409:3)
    at Object.<anonymous> (/home/ci/ws/acme/src/bot/Utils.js:3:14)
    at Module._compile (node:internal/modules/cjs/loader:1521:14)
  code: 'ERR_INVALID_ARG_TYPE'
}

Node.js v20.20.2
"""


def test_a_node_uncaught_exception_is_its_error_line_not_where_node_threw_it() -> None:
    top = extract_signatures(NODE_UNCAUGHT)[0]
    assert top.kind is SignatureKind.NPM_ERROR
    assert top.summary.startswith('TypeError [ERR_INVALID_ARG_TYPE]: The "original" argument must be')
    assert top.line == 1  # the lines saying where node threw it are claimed with it
    summaries = [s.summary for s in extract_signatures(NODE_UNCAUGHT)]
    assert not any(s.startswith(("node:internal", "throw error")) for s in summaries), summaries


def test_a_v8_message_printed_without_its_error_name_is_that_error() -> None:
    # a CLI whose handler prints only err.message (commander 12's default export gone)
    log = "$ node src/cli.js --version\nprogram.version is not a function\nexit 1\n"
    [top] = extract_signatures(log, mine=False)
    assert top.kind is SignatureKind.NPM_ERROR
    assert top.summary == "TypeError: program.version is not a function"
    # a sentence that only looks like one is not (no dotted callee), nor what any program may print
    assert extract_signatures("this is not a function of the build\n", mine=False) == []
    assert extract_signatures("DATABASE_URL is not defined\n", mine=False) == []


def test_old_npm_spelling_is_recognized() -> None:
    (sig,) = signatures("npm-install-e404.npm9.log")
    assert sig.kind == K.NPM_ERROR
    assert sig.summary.startswith(
        "npm E404: 404 Not Found - GET https://registry.npmjs.org/acme-widgets-left-pad-zz9"
    )


# --- stable and distinct fingerprints ------------------------------------------------------------------

VARIANTS = sorted(p.name for p in CONSOLES.glob("*.variant.log"))


@pytest.mark.parametrize("variant", VARIANTS)
def test_fingerprints_are_stable_across_builds_of_the_same_failure(variant: str) -> None:
    original = variant.replace(".variant", "")
    assert (CONSOLES / original).read_text() != (CONSOLES / variant).read_text()
    assert summaries(variant) == summaries(original)
    assert [s.fingerprint for s in signatures(variant)] == [s.fingerprint for s in signatures(original)]
    assert [s.detail for s in signatures(variant)] == [s.detail for s in signatures(original)]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("pytest-failures.log", "pytest-failures.color.log"),  # ANSI colours
        ("pytest-failures.log", "pytest-native.log"),  # --tb=native: Python tracebacks, no E lines
        ("pytest-failures.log", "pytest-short-rN.log"),  # --tb=short -rN -v: no short summary
        ("npm-test.log", "npm-test.spec.log"),  # node's TAP and spec reporters
        ("timeout-codemonkeys.log", "jenkins-timeout.log"),  # the same hang under two CIs
    ],
)
def test_the_same_failure_told_differently_has_one_fingerprint(one: str, other: str) -> None:
    assert [s.fingerprint for s in signatures(one)] == [s.fingerprint for s in signatures(other)]


def test_different_failures_have_different_fingerprints() -> None:
    by_fingerprint: dict[str, set[str]] = {}
    for path in CONSOLES.glob("*.log"):
        for sig in extract_signatures(path.read_text()):
            assert sig.fingerprint == fingerprint(sig.kind, sig.cause)
            by_fingerprint.setdefault(sig.fingerprint, set()).add(sig.cause)
    assert all(len(found) == 1 for found in by_fingerprint.values())
    assert len(by_fingerprint) >= 20
    e0308, e0425 = (s.fingerprint for s in reversed(signatures("cargo-build.log")))
    assert e0308 != e0425
    # pytest and a plain traceback tell Python's failures: one family; other kinds stay apart
    assert fingerprint(K.PYTEST_FAILURE, "x") == fingerprint(K.PYTEST_ERROR, "x")
    assert fingerprint(K.PYTEST_FAILURE, "x") == fingerprint(K.PYTHON_TRACEBACK, "x")
    assert fingerprint(K.PYTEST_FAILURE, "x") != fingerprint(K.NPM_ERROR, "x")
    assert len(fingerprint(K.GENERIC, "x")) == 16


@pytest.mark.parametrize("name", ["green-pytest.log", "green-cargo.log"])
def test_a_green_log_has_no_signatures(name: str) -> None:
    assert signatures(name) == []


def test_empty_logs() -> None:
    assert extract_signatures("") == []
    assert extract_signatures("\n\n  \n") == []


# --- normalization -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "error[E0308]: mismatched types",
        "npm error code E404",
        "npm error code ERESOLVE",
        "OSError: [Errno 28] No space left on device",
        "connect ECONNREFUSED",
        "Error: ENOENT: no such file or directory",
        "Process completed with exit code 137.",
        "(signal: 9, SIGKILL: kill)",
        "HTTP 404 Not Found",
        "AssertionError: assert 3 == 4",
        "rustc --explain E0308",
    ],
)
def test_normalization_keeps_error_codes(text: str) -> None:
    assert normalize(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/home/runner/work/acme/acme/src/size.c:12:5: error: x", "src/size.c: error: x"),
        ("/var/lib/jenkins/workspace/acme_main@2/tests/t.py:3: in test", "tests/t.py: in test"),
        ("/builds/acme/widgets/src/lib.rs:7:1", "src/lib.rs"),
        ("/srv/ci/.cmctl/work/wt-Ab3dE9_z/setup.py:12", "setup.py"),
        ("under /tmp/cm/.cmctl/work/wt-Ab3dE9_z", "under <root>"),
        ("/usr/include/stdio.h", ".../stdio.h"),
        ("/root/.pyenv/versions/3.11.7/lib/python3.11/pathlib.py", "pathlib.py"),
        ("/opt/venv/lib/python3.12/site-packages/httpx/_client.py", "httpx/_client.py"),
        ("/app/node_modules/react/index.js:12:3", "node_modules/react/index.js"),
        ("C:\\Users\\ci\\acme\\src\\x.py:12", ".../x.py"),
        (
            "see https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
            "see https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
        ),
        ("at ./src/lib.rs:35:9", "at src/lib.rs"),
        (
            "tmp_path = PosixPath('/tmp/pytest-of-root/pytest-94/test_x0')",
            "tmp_path = PosixPath('<tmp>/test_x0')",
        ),
        ("wrote /tmp/tmpk2j3h4l5/out.json and tmpab12cd_x", "wrote .../out.json and <tmp>"),
        ("object at 0x7f3a2b1c9d40", "object at 0x<hex>"),
        ("commit 59807616e1fa2540724bfbac14d7976d7e4a3860 (59807616e1fa)", "commit <hex> (<hex>)"),
        ("run 3f2a9c1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b", "run <uuid>"),
        ("[2026-11-24 10:00:01] started", "[<time>] started"),
        ("at 2026-11-24T10:00:01.123Z", "at <time>"),
        ("log 2026-11-24T10_12_57_986Z-debug-0.log", "log <time>-debug-0.log"),
        ("=== 3 failed, 12 passed in 0.42s ===", "=== <n> failed, <n> passed in <dur> ==="),
        ("took 1m 2.5s, then 12ms", "took <dur>, then <dur>"),
        ("connect ECONNREFUSED 127.0.0.1:4873", "connect ECONNREFUSED <ip>:<port>"),
        ("Connection refused: localhost:54321", "Connection refused: localhost:<port>"),
        ("line 4: 14334 Killed", "line <n>: <n> Killed"),
        ("\x1b[31m\x1b[1mFAILED\x1b[0m  x", "FAILED x"),
        ("\u2018undefined_status\u2019 undeclared", "'undefined_status' undeclared"),
        ("  16 |     let kib: u32 = size / 1024;", "| let kib: u32 = size / 1024;"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_roots_found_in_the_log_make_paths_repo_relative() -> None:
    assert normalize("/srv/checkouts/acme/src/x.py:3", roots=["/srv/checkouts/acme"]) == "src/x.py"
    log = "rootdir: /srv/checkouts/acme\nERROR /srv/checkouts/acme/tests/test_x.py - ImportError: boom\n"
    (sig,) = extract_signatures(log.replace("ERROR /srv/checkouts/acme/", "ERROR "))
    assert sig.summary == "tests/test_x.py - ImportError: boom"


def test_lines_are_capped() -> None:
    message = "x" * 5000
    (sig,) = extract_signatures(
        f'Traceback (most recent call last):\n  File "a.py", line 1, in f\nValueError: {message}\n'
    )
    assert len(sig.summary) == MAX_LINE
    assert sig.summary.endswith("...")
    assert normalize("y" * 1000).endswith("...")


# --- deduplication, cap, weak consequences, shapes without a recording ----------------------------------


def test_identical_failures_are_counted_once() -> None:
    log = (CONSOLES / "pytest-collection-error.log").read_text()
    twice = log + "\n$ python -m pytest  # retried\n" + log.replace("0.14s", "0.31s")
    (sig,) = extract_signatures(twice)
    assert sig.count == 2
    assert sig.line == signatures("pytest-collection-error.log")[0].line


def test_output_is_capped() -> None:
    log = "\n".join(f"src/f{i}.c:{i}:1: error: unknown type name 't{i}'" for i in range(50))
    found = extract_signatures(log)
    assert len(found) == MAX_SIGNATURES
    assert [s.line for s in found] == list(range(1, MAX_SIGNATURES + 1))
    assert len(extract_signatures(log, limit=3)) == 3


def test_consequences_are_dropped_when_a_cause_is_known() -> None:
    make_only = "$ make\ncc -c x.c\nmake: *** [Makefile:7: x.o] Error 1\n"
    assert summaries_of(make_only) == [(K.GENERIC, "make: *** [Makefile: x.o] Error 1")]
    cargo_only = "$ cargo build\nerror: could not compile `acme` (lib) due to 3 previous errors\n"
    assert summaries_of(cargo_only) == [(K.CARGO_ERROR, "error: could not compile `acme` (lib)")]
    lifecycle = (
        "npm error Lifecycle script `build` failed with error:\nnpm error code 2\nnpm error path /w/app\n"
        "npm error workspace @acme/app@1.0.0\nnpm error location /w/app\nnpm error command failed\n"
        "npm error command sh -c tsc -p .\n"
    )
    assert summaries_of(lifecycle) == [
        (K.NPM_ERROR, "Lifecycle script `build` failed with error: sh -c tsc -p . (exit code 2)")
    ]
    assert summaries_of("src/a.ts(3,1): boom\n" + lifecycle + "\nsrc/x.c:1:1: error: boom\n") == [
        (K.COMPILER_ERROR, "src/x.c: error: boom")
    ]
    # make, collect2 and cargo's wrap-up lines in the recorded logs are gone: only the causes remain
    assert all("make: ***" not in s for _, s in summaries("gcc-link.log"))
    assert all("could not compile" not in s for _, s in summaries("cargo-build.log"))


def summaries_of(log: str) -> list[tuple[SignatureKind, str]]:
    """The parsers' signatures (the miner, the ``mining`` extra, is tested in test_mining.py)."""
    return [(s.kind, s.summary) for s in extract_signatures(log, mine=False)]


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (
            "Build timed out (after 10 minutes). Marking the build as failed.\nFinished: FAILURE\n",
            (K.TIMEOUT, "Build timed out (after <dur>). Marking the build as failed."),
        ),
        (
            "$ ./gradlew test\nERROR: Job failed: execution took longer than 1h0m0s seconds\n",
            (K.TIMEOUT, "timed out running `gradlew test`"),  # ./ is dropped
        ),
        (
            "[ 4212.811234] Out of memory: Killed process 31337 (cc1plus) total-vm:3145728kB\n",
            (K.OOM_KILLED, "Out of memory: Killed process <n> (cc1plus) total-vm:<n>kB"),
        ),
        (
            "c++: fatal error: Killed signal terminated program cc1plus\ncompilation terminated.\n",
            (K.OOM_KILLED, "c++: fatal error: Killed signal terminated program cc1plus"),
        ),
        (
            "  process didn't exit successfully: `rustc --crate-name big` (signal: 9, SIGKILL: kill)\n",
            (
                K.OOM_KILLED,
                "process didn't exit successfully: `rustc --crate-name big` (signal: 9, SIGKILL: kill)",
            ),
        ),
        (
            "Error: Process completed with exit code 137.\n",
            (K.OOM_KILLED, "Error: Process completed with exit code 137."),
        ),
        (
            "fatal: could not read Username for 'https://github.com'\n",
            (K.GENERIC, "could not read Username for 'https://github.com'"),
        ),
        ("##[error]The operation was canceled.\n", (K.GENERIC, "The operation was canceled.")),
        (
            "./build.sh: line 3: mkdocs: command not found\n",
            (K.GENERIC, "build.sh: line <n>: mkdocs: command not found"),
        ),
        (
            "thread 'main' panicked at 'index out of bounds: the len is 3 but the index is 7', "
            "src/main.rs:9:5\n",
            (
                K.CARGO_ERROR,
                "main panicked: index out of bounds: the len is 3 but the index is 7 (src/main.rs)",
            ),
        ),
        (
            "clang: error: linker command failed with exit code 1 (use -v to see invocation)\n",
            (
                K.COMPILER_ERROR,
                "clang: error: linker command failed with exit code 1 (use -v to see invocation)",
            ),
        ),
        (
            '  File "/w/wt-Ab3dE9_z/x.py", line 3\n    def f(:\n          ^\nSyntaxError: invalid syntax\n',
            None,  # a frame without "Traceback (most recent call last):" is not a traceback
        ),
    ],
)
def test_shapes_without_a_recording(log: str, expected: tuple[SignatureKind, str] | None) -> None:
    assert summaries_of(log) == ([expected] if expected else [])


def test_jenkins_timestamps_in_front_of_lines_are_ignored() -> None:
    (sig,) = signatures("jenkins-timeout.variant.log")
    assert sig.line == 28
    assert sig.detail[-1] == "Timeout has been exceeded"


def test_signatures_are_frozen_values_and_the_kinds_closed() -> None:
    (sig,) = signatures("gcc-link.log")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sig.summary = "x"  # type: ignore[misc]
    assert signatures("gcc-link.log") == [sig]  # pure: the same text, the same values
    assert {k.value for k in SignatureKind} == {
        "pytest_failure",
        "pytest_error",
        "python_traceback",
        "npm_error",
        "cargo_error",
        "compiler_error",
        "timeout",
        "oom_killed",
        "generic",
        "mined",
    }


def test_error_lines_belong_to_cargo_only_in_a_cargo_log() -> None:
    git = "$ git push --atomic origin main v1.2.0\nerror: failed to push some refs to 'origin'\n"
    assert summaries_of(git) == [(K.GENERIC, "failed to push some refs to 'origin'")]
    cargo = "    Updating crates.io index\nerror: no matching package named `acme-gone` found\n"
    assert summaries_of(cargo) == [(K.CARGO_ERROR, "error: no matching package named `acme-gone` found")]


def test_progress_lines_and_identifiers_survive() -> None:
    log = "Downloading 10%\rDownloading 100%\r\nMemoryError\r\n"
    (sig,) = extract_signatures(log)
    assert (sig.kind, sig.summary, sig.line) == (K.OOM_KILLED, "MemoryError", 2)
    assert (
        normalize("def test_x(tmp_path_factory, tmp_dirname):")
        == "def test_x(tmp_path_factory, tmp_dirname):"
    )


def test_old_npm_lifecycle_failures_are_consequences() -> None:
    old = "npm ERR! code ELIFECYCLE\nnpm ERR! errno 2\nnpm ERR! acme@1.0.0 build: `tsc`\n"
    assert [s.kind for s in extract_signatures(old)] == [K.NPM_ERROR]
    assert summaries_of("src/x.c:1:1: error: boom\n" + old) == [(K.COMPILER_ERROR, "src/x.c: error: boom")]
