"""More of the CLI's conventions (issue 32), through the real `cmctl`: `-o json|yaml|name` on every read
command (the `--json` document, the same as YAML), `-o wide` adding columns to the tables (`fleet ls`,
`fleet changes`, `status`, `audit`, the plan's actions) while the text stays as it was, `graph --out
FILE` (`-o FILE` deprecated), `audit` saying it shows the newest 50 and who acted, "did you mean" for an
announce channel, NO_COLOR on a real terminal (typer's own help and usage errors too), and the README
tour's owner rules keeping the demo fleet's policy tests green.

The read commands run in one subprocess (``BATCH``: the real entry point, ``cli.launch.main``, once per
command line) so that forty-odd command lines cost one interpreter start, not forty."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from announce_fleet import write_fleet
from codemonkeys.api import Context, FleetSession
from codemonkeys.demo import Workspace
from codemonkeys.store.db import ActionStatus
from conftest import ROOT, cmctl, workspace_copy

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

BATCH = r"""
import contextlib, io, json, sys
from codemonkeys.cli.launch import main
results = []
for argv in json.loads(sys.argv[1]):
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    results.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
sys.__stdout__.write(json.dumps(results))
"""

# each read command (without --fleet): compared as --json, -o json and -o yaml
READ_COMMANDS = [
    ["explain", "acme-text"],
    ["logs", "acme-text/build.run"],
    ["policy", "explain", "acme-text/release.cut"],
    ["controller", "status"],
    ["swarm", "templates"],
    ["swarm", "templates", "--why", "acme-text"],
    ["swarm", "heals", "acme-text"],
    ["swarm", "flaky"],
    ["swarm", "signatures"],
    ["swarm", "conflicts"],
    ["swarm", "slowdowns"],
    ["swarm", "predict", "acme-text"],
    ["verify", "acme-text", "--key", "KEY"],
    ["secrets", "ls"],
    ["db", "current"],
    ["audit"],
]
FORMATS = (["--json"], ["-o", "json"], ["-o", "yaml"], ["-o", "name"])
# the table-printing read commands: as text and -o wide (kubectl's: the same rows with more columns)
WIDE = [["fleet", "ls"], ["fleet", "changes"], ["status"], ["audit"], ["plan", "-p", "acme-text"]]
EXTRA = [
    ["audit"],
    ["audit", "--limit", "0"],
    ["graph", "--out", "OUT/new.dot"],
    ["graph", "-o", "OUT/old.dot"],
    *(c for c in WIDE if c != ["audit"]),
    *([*c, "-o", "wide"] for c in WIDE),
]


def _journal_a_build(fs: FleetSession) -> None:
    """A finished ``acme-text/build.run`` in the journal (as an apply leaves it), for ``logs``."""
    from codemonkeys.store.db import utcnow

    run = fs.store.start_run("rev", "fp")
    fs.store.add_actions(
        run.id,
        [{"action_id": "acme-text/build.run", "product": "acme-text", "kind": "build.run", "params": {}}],
    )
    fs.store.append_log(run.id, "acme-text/build.run", "collected 3 items\n3 passed\n")
    now = utcnow()
    fs.store.update_action(
        run.id, "acme-text/build.run", status=ActionStatus.SUCCEEDED, started_at=now, finished_at=now
    )


def _record_a_proposal(fs: FleetSession) -> None:
    """A change proposal of globex-widgets in the store (as ``fleet patch`` records one, but not audited: the
    audit log holds alice's records only), for ``fleet changes``."""
    fs.store.save_change_proposal(
        "c0ffee",
        "globex-widgets",
        kind="replace",
        selector="globex-widgets",
        message="wording",
        author="alice",
        diff="",
        files=["README.md"],
        lines=2,
        base_commit="0123456789abcdef0123456789abcdef01234567",
        branch="change/c0ffee/globex-widgets",
        status="proposed",
    )


@pytest.fixture(scope="module")
def batch(demo_template_lite: Workspace, tmp_path_factory) -> dict:
    """One demo workspace for the module, with a journaled build and 52 audit records (alice suspends and
    resumes acme-cli 26 times), and every command line of the module run once: {argv tuple: result}."""
    tmp = tmp_path_factory.mktemp("conventions-more")
    with workspace_copy(demo_template_lite, tmp / "ws") as ws:
        fs, diags = FleetSession.load(ws.fleet, Context.from_environ())
        assert fs is not None, diags
        _journal_a_build(fs)
        _record_a_proposal(fs)
        for _ in range(26):
            assert fs.suspend("acme-cli", "alice") and fs.resume("acme-cli", "alice")
        key = tmp / "key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        lines = [[*c, *f] for c in READ_COMMANDS for f in FORMATS] + EXTRA
        subst = {
            "KEY": str(key) + ".pub",
            "OUT/new.dot": str(tmp / "new.dot"),
            "OUT/old.dot": str(tmp / "old.dot"),
        }
        argvs = [[subst.get(a, a) for a in line] + ["--fleet", str(ws.fleet)] for line in lines]
        done = subprocess.run(
            [sys.executable, "-c", BATCH, json.dumps(argvs)],
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        )
        assert done.returncode == 0, done.stderr
        results = dict(zip((tuple(line) for line in lines), json.loads(done.stdout), strict=True))
        results["files"] = {p.name: p.read_text() for p in tmp.glob("*.dot")}
        return results


def _steady(doc: object) -> object:
    """``doc`` without the time of the observation each command line makes afresh (``observed_at``)."""
    if isinstance(doc, dict):
        return {k: _steady(v) for k, v in doc.items() if k != "observed_at"}
    if isinstance(doc, list):
        return [_steady(v) for v in doc]
    return doc


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_o_json_and_o_yaml_are_the_json_document(batch: dict, command: list[str]):
    as_json, o_json, o_yaml = (batch[(*command, *f)] for f in FORMATS[:3])
    assert as_json["code"] == o_json["code"] == o_yaml["code"], (as_json, o_json, o_yaml)
    if command == ["controller", "status"]:  # on SQLite there is no doc: the same error either way
        assert as_json["code"] == 1 and "PostgreSQL" in as_json["stderr"]
        assert as_json["stderr"] == o_json["stderr"] == o_yaml["stderr"]
        return
    doc = _steady(json.loads(as_json["stdout"]))
    assert _steady(json.loads(o_json["stdout"])) == doc
    assert _steady(yaml.safe_load(o_yaml["stdout"])) == doc
    if doc:  # YAML, not JSON (which YAML also reads); an empty list is `[]` in both
        assert not o_yaml["stdout"].lstrip().startswith(("{", "[")), o_yaml["stdout"]


def test_o_name_prints_one_name_per_line(batch: dict):
    names = {c[0] if c[0] != "swarm" else " ".join(c[:2]): batch[(*c, "-o", "name")] for c in READ_COMMANDS}
    assert names["explain"]["stdout"] == "acme-text\n"
    assert names["logs"]["stdout"] == "acme-text/build.run\n"
    assert names["policy"]["stdout"] == "acme-text/release.cut\n"
    assert names["verify"]["stdout"] == "local\n"
    assert names["db"]["stdout"].strip() and "\n" not in names["db"]["stdout"].strip()
    assert names["swarm templates"]["code"] == 0 and names["swarm templates"]["stdout"] == ""
    audit = names["audit"]["stdout"].split()
    assert len(audit) == 50 and audit == [str(n) for n in range(int(audit[0]), int(audit[0]) + 50)]


def test_logs_o_json_is_the_journal_entry_with_its_log(batch: dict):
    doc = yaml.safe_load(batch[("logs", "acme-text/build.run", "-o", "yaml")]["stdout"])
    assert doc["status"] == "succeeded" and doc["log"] == "collected 3 items\n3 passed\n"


def test_audit_says_it_shows_the_newest_50_and_who_acted(batch: dict):
    shown = batch[("audit", "--json")]
    assert len(json.loads(shown["stdout"])) == 50
    text = batch[("audit", "--limit", "0")]
    rows = text["stdout"].splitlines()
    assert len(rows) == 52 and "newest" not in text["stderr"]  # all of them: nothing to say
    for row in rows:  # sequence, time, actor, event, what it is about
        assert re.match(
            r"\s*\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d alice\s+controller\.(suspended|resumed)\s+acme-cli", row
        ), row
    default = batch[("audit",)]
    assert len(default["stdout"].splitlines()) == 50
    assert "(the newest 50 of 52 records; --limit 0 shows all)" in default["stderr"], default["stderr"]


def test_graph_writes_out_file_and_o_file_is_deprecated(batch: dict):
    new, old = batch[("graph", "--out", "OUT/new.dot")], batch[("graph", "-o", "OUT/old.dot")]
    assert new["code"] == 0 and "deprecated" not in new["stderr"] and "wrote" in new["stderr"], new
    assert old["code"] == 0 and "-o FILE is deprecated: use --out" in old["stderr"], old
    assert (
        batch["files"]["new.dot"].startswith("digraph")
        and batch["files"]["old.dot"] == batch["files"]["new.dot"]
    )


def test_an_unknown_announce_channel_gets_the_nearest_name(tmp_path: Path):
    fleet = write_fleet(
        tmp_path,
        {"team-chat": {"type": "webhook", "url": "http://127.0.0.1:9/x"}},
        {"channels": ["team-caht"]},
    )
    r = cmctl("validate", "--fleet", str(fleet))
    assert r.returncode == 1
    assert "channel 'team-caht' is not declared in the Fleet's spec.announce.channels" in r.stderr, r.stderr
    assert "(did you mean team-chat?)" in r.stderr
    assert "products/shop.yaml:" in r.stderr  # where: the product's announce section


def _on_a_terminal(args: list[str], no_color: bool) -> tuple[int, str]:
    """``cmctl ARGS`` on a pseudo-terminal (stdout and stderr a TTY, as in a shell): exit code and output."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env.update(TERM="xterm-256color", COLUMNS="100", **({"NO_COLOR": "1"} if no_color else {}))
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(sys.executable, [sys.executable, "-m", "codemonkeys", *args], env)
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        data += chunk
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), data.decode(errors="replace")


def test_no_color_on_a_terminal_means_no_style_in_help_and_usage_errors():
    code, styled = _on_a_terminal(["status", "--help"], no_color=False)
    assert code == 0 and ANSI.search(styled)  # a terminal: typer's help is styled
    code, plain = _on_a_terminal(["status", "--help"], no_color=True)
    assert code == 0 and "Usage: cmctl status" in plain and not ANSI.search(plain), repr(plain[:300])
    code, error = _on_a_terminal(["status", "--bogus"], no_color=True)
    assert code == 2 and "No such option" in error and not ANSI.search(error), repr(error[:300])


def _tour_owner_rules_step() -> str:
    """The README tour's owner-rules step: from `git checkout -qb owner-rules` to its commit."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("git checkout -qb owner-rules")
    end = readme.index("\n", readme.index("git add policy-tests && git commit", start))
    return readme[start:end] + "\n"


def test_the_readme_tours_owner_rules_keep_the_policy_tests_green(workspace: Workspace):
    step = _tour_owner_rules_step()
    assert "text-releases-need-owner" in step and "policy-tests/owner-rules.yaml" in step
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "NO_COLOR": "1",
        "GIT_AUTHOR_NAME": "owner",
        "GIT_AUTHOR_EMAIL": "owner@example.com",
        "GIT_COMMITTER_NAME": "owner",
        "GIT_COMMITTER_EMAIL": "owner@example.com",
    }
    done = subprocess.run(
        ["bash", "-euc", step], cwd=workspace.fleet, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6/6 passed" in done.stdout, done.stdout  # the step's own `cmctl policy test`
    r = cmctl("policy", "test", cwd=workspace.fleet)  # and after its commit, as the tour goes on
    assert r.returncode == 0 and "6/6 passed" in r.stdout, r.stdout + r.stderr


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_o_wide_adds_columns_to_the_same_rows(batch: dict):
    for command, added in (
        (("fleet", "ls"), ["language", "depends on", "observed", "running", "last failure"]),
        (("fleet", "changes"), ["kind", "branch", "commit", "base"]),
    ):
        text, wide = batch[command], batch[(*command, "-o", "wide")]
        assert text["code"] == wide["code"] == 0, (text, wide)
        assert len(_lines(wide["stdout"])) == len(_lines(text["stdout"])) > 1, wide["stdout"]
        for short, long in zip(_lines(text["stdout"]), _lines(wide["stdout"]), strict=True):
            assert long.startswith(short), (short, long)  # the text's columns first, unchanged
        assert _lines(wide["stdout"])[0].split()[-len(" ".join(added).split()) :] == " ".join(added).split()
    ls = _lines(batch[("fleet", "ls", "-o", "wide")]["stdout"])
    report = next(line for line in ls if line.lstrip().startswith("acme-report "))
    assert re.search(r"\bpython\s+acme-text\s", report), report  # its language and dependency
    changes = _lines(batch[("fleet", "changes", "-o", "wide")]["stdout"])
    assert re.search(r"replace\s+change/c0ffee/globex-widgets\s+-\s+0123456789ab$", changes[1]), changes


def test_status_o_wide_is_a_table_with_version_last_run_and_what_runs(batch: dict):
    text, wide = batch[("status",)], batch[("status", "-o", "wide")]
    assert text["code"] == wide["code"] == 0, (text, wide)
    rows = _lines(wide["stdout"])
    assert rows[0].split() == ["product", "state", "facets", "version", "observed", "last", "run", "running"]
    products = [line.split()[1] for line in _lines(text["stdout"]) if line[:1] in "?✓~!"]
    assert [r.split()[0] for r in rows[1 : len(products) + 1]] == products  # one row each, in order
    acme = next(r for r in rows if r.split()[0] == "acme-text")
    assert re.search(r"#\d+ acme-text/build\.run succeeded\s+-$", acme), acme  # its last run; none running
    assert rows[-1] == _lines(text["stdout"])[-1] and rows[-1].startswith("sandbox: ")


def test_audit_o_wide_keeps_the_product_run_action_and_hash_apart(batch: dict):
    text, wide = batch[("audit",)], batch[("audit", "-o", "wide")]
    rows = _lines(wide["stdout"])
    assert rows[0].split() == ["seq", "at", "actor", "event", "product", "run", "action", "detail", "hash"]
    assert len(rows) == 51 and wide["stderr"] == text["stderr"]  # the newest 50, and it says so
    for row in rows[1:]:
        assert re.fullmatch(
            r"\d+\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00\s+alice\s+controller\.(suspended|resumed)"
            r"\s+acme-cli\s+-\s+-\s+-\s+[0-9a-f]{16}",
            row.strip(),
        ), row
    assert [r.split()[0] for r in rows[1:]] == [line.split()[0] for line in _lines(text["stdout"])]


def test_plan_o_wide_lists_the_actions_with_their_verdict_and_rule(batch: dict):
    text, wide = batch[("plan", "-p", "acme-text")], batch[("plan", "-p", "acme-text", "-o", "wide")]
    assert text["code"] == wide["code"] == 0, (text, wide)
    said = re.findall(r"\+ (\S+) \(wave (\d+)\).*? (allow|deny|hold) \(([^)]+)\)", text["stdout"])
    assert said, text["stdout"]
    shown = _lines(wide["stdout"])
    head = ["action", "wave", "verdict", "rule"]
    at = shown.index(next(line for line in shown if line.split()[:4] == head))
    for action, wave, verdict, rule in said:
        assert any(
            re.match(rf"\s*{re.escape(action)}\s+{wave}\s+{verdict}\s+{re.escape(rule)}\s", line)
            for line in shown[at + 1 :]
        ), (action, shown[at:])
    rest = shown[:at] + shown[at + len(said) + 1 :]
    assert [line for line in rest if line] == [line for line in _lines(text["stdout"]) if line]
