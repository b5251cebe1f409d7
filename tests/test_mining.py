"""The log miner (``codemonkeys.swarm.mining``, drain3) on recorded consoles of tools the parsers do not know.

The consoles (``payloads/consoles/``, see the README there) were recorded by really running javac, java,
Maven, a shell script, ``prove``, Ansible and Terraform, twice (``*.variant.log``: another worktree,
shifted line numbers, other temp dirs, build numbers, timings).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from need import need_module

need_module("drain3", "pip install -e '.[mining]'")

from codemonkeys.swarm import SignatureKind, extract_signatures, mining  # noqa: E402
from codemonkeys.swarm.signatures import mined_signatures  # noqa: E402

CONSOLES = Path(__file__).parent / "payloads" / "consoles"
K = SignatureKind
UNKNOWN = [
    "java-exception.log",
    "javac-errors.log",
    "maven-offline.log",
    "prove-failure.log",
    "shell-script.log",
    "ansible-fatal.log",
]


def found(name: str, **kw) -> list:
    return extract_signatures((CONSOLES / name).read_text(), **kw)


@pytest.mark.parametrize("name", UNKNOWN)
def test_the_parsers_find_nothing_specific_and_the_miner_a_stable_signature(name: str) -> None:
    assert all(s.kind is K.GENERIC for s in found(name, mine=False))
    mined = found(name)
    assert any(s.kind is K.MINED for s in mined)
    variant = found(name.replace(".log", ".variant.log"))
    assert [s.fingerprint for s in variant] == [s.fingerprint for s in mined]


def test_mined_summaries_are_templates_of_the_cause() -> None:
    (java,) = found("java-exception.log")
    assert java.summary == (
        'Exception in thread "main" java.lang.IllegalStateException: no docs manifest under '
        ".../acme-docs<n> (build <n>)"
    )
    assert [s.summary for s in found("javac-errors.log")] == [
        "src/com/acme/widgets/Size.java: error: ';' expected"
    ]
    (symbol,) = found("javac-symbol.log")  # two lines of one template: one signature, counted twice
    assert (symbol.summary, symbol.count) == (
        "other/com/acme/widgets/Size.java: error: cannot find symbol",
        2,
    )
    assert found("maven-offline.log")[0].summary.startswith(
        "[ERROR] Failed to execute goal on project acme-widgets: Could not resolve dependencies for project "
        "com.acme:acme-widgets:jar:1.4.0"  # versions are not masked
    )
    assert [s.summary for s in found("shell-unbound.log")] == [
        "scripts/tag.sh: line <n>: RELEASE_VERSION: unbound variable"
    ]


def test_consequences_only_when_nothing_else() -> None:
    prove = [s.summary for s in found("prove-failure.log")]
    assert prove[0] == "# Failed test 'parses megabytes'"
    assert not any("Wstat" in s or s.startswith("Result") for s in prove)
    lines = ["$ ./ci.sh", "compiling", "Build failed", "FAILURE: exit status 1"]
    assert [m.template for m in mining.mine(lines, str)] == ["Build failed", "FAILURE: exit status <n>"]
    assert [m.template for m in mining.mine([*lines, "ld: symbol parse_size not found"], str)] == [
        "ld: symbol parse_size not found"
    ]


def test_different_failures_of_one_tool_are_apart() -> None:
    one = {s.fingerprint for s in found("ansible-fatal.log")}
    other = {s.fingerprint for s in found("ansible-interpreter.log")}
    assert one.isdisjoint(other)
    assert {s.fingerprint for s in found("javac-errors.log")}.isdisjoint(
        s.fingerprint for s in found("javac-symbol.log")
    )


def test_the_parsers_stay_first() -> None:
    for name in ["pytest-failures.log", "cargo-build.log", "gcc-make.log", "terraform-validate.log"]:
        assert found(name) == found(name, mine=False)  # specific or generic lines are kept as they were
    assert [s.kind for s in found("green-pytest.log")] == []
    assert [s.kind for s in found("green-cargo.log")] == []
    assert all(s.kind is K.MINED for s in mined_signatures((CONSOLES / "pytest-failures.log").read_text()))


def test_info_and_warning_lines_are_not_errors() -> None:
    lines = ["[INFO] BUILD FAILURE", "[WARNING] Failed to retrieve plugin", "WARNING: error budget", "+ fail"]
    assert mining.error_lines(lines) == []


def test_without_drain3_the_old_behaviour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "drain3", None)  # import drain3 raises ImportError
    monkeypatch.setattr(mining, "available", lambda: False)
    assert found("java-exception.log") == []
    assert mining.mine(["error: boom"], str) == []
