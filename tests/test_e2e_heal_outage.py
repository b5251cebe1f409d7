"""Heal through an LLM outage, and "stuck" as a state of its own (issue 38), on real git repos, real pytest
builds and the real `ollama` client.

Two products break the same way; heal may only ask the LLM. Its server (the scripted Ollama-compatible
server, behind a switch in this test that answers 503 while "down") is out: no heal attempt is counted, one
request finds the outage out and every product then waits for the endpoint's next try (the backoff is the
endpoint's, shared: the requests are counted; the test moves the next try to now instead of waiting),
`explain` says so, and nothing is stuck; once the server is back the heals proceed as attempt #1. A product
whose build is red and that does not heal is stuck: the plan says so, `cmctl plan --detailed-exitcode` exits
3, and a `stuck` notification goes out once per cause.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from codemonkeys.store.models import EndpointOutage, utcnow
from conftest import cmctl
from test_e2e_heal import GOOD_PATCH, PRODUCTS, TYPO, commit, converge, make_fleet, session

pytestmark = pytest.mark.slow


class Switch:
    """An HTTP front of the scripted Ollama server that can be taken down (it then answers 503, as a
    proxy in front of a stopped model server does) and counts what reaches it while down."""

    def __init__(self, upstream: str) -> None:
        self.upstream, self.up, self.refused = upstream, True, 0
        switch = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not switch.up:
                    switch.refused += 1
                    payload = json.dumps({"error": "upstream unavailable"}).encode()
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
                r = httpx.request(
                    self.command, switch.upstream + self.path, content=body, headers=headers, timeout=60
                )
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            do_GET = do_POST = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def outage(fs):
    """The LLM endpoint's outage on record (the only endpoint of these fleets), or None."""
    with fs.store.session() as s:
        return s.scalars(select(EndpointOutage)).first()


def next_try_is_due(fs) -> None:
    """Time passes: the outage's next try is due now (instead of waiting minutes in a test)."""
    with fs.store.session() as s:
        s.execute(update(EndpointOutage).values(retry_at=utcnow() - timedelta(seconds=1)))


def test_an_llm_outage_spends_no_attempt_backs_off_for_every_product_and_the_heal_resumes(
    tmp_path: Path, ollama_scripted
):
    switch = Switch(ollama_scripted.url)
    try:
        products = {"ledger": PRODUCTS["ledger"], "journal": PRODUCTS["ledger"]}
        fleet = make_fleet(tmp_path, switch.url, ollama_scripted.model, products=products)
        doc = (fleet / "fleet.yaml").read_text()
        doc = doc.replace("heal: {strategies: [template, llm]", "heal: {strategies: [llm]")
        doc = doc.replace(", timeout: 120}", ", timeout: 120, retryAfter: 600, retryMax: 1200}")
        (fleet / "fleet.yaml").write_text(doc)
        fs = session(fleet, tmp_path)
        converge(fs)
        for name in products:
            commit(tmp_path / "repos" / name, {"ledger.py": TYPO}, "refactor: shorter names")
        converge(fs, rounds=1)  # the red builds

        switch.up = False
        (ran,) = converge(fs, rounds=1)
        assert ran == {"journal/build.heal": "failed", "ledger/build.heal": "failed"}, ran
        assert switch.refused == 1  # the first finds the outage out; the other does not ask again
        assert fs.heal_attempts("ledger") == [] and fs.heal_attempts("journal") == []  # nothing counted
        said = {name: fs.logs(f"{name}/build.heal")["message"] for name in products}
        assert all("unavailable" in m and "not counted" in m for m in said.values()), said
        plan = fs.plan()
        assert not [a for a in plan.actions if a.kind == "build.heal"]  # every product waits for the try
        build = plan.products["ledger"].facets["build"]
        assert str(build.state) == "blocked" and "waits for the LLM at" in build.message, build
        assert "next try after" in build.message and not plan.stuck
        why = cmctl(
            "explain", "ledger", "--fleet", str(fleet), env={"CORE_LIBS": str(tmp_path / "core-libs")}
        )
        assert "waits for the LLM" in why.stdout and "stuck" not in why.stdout, why.stdout

        assert outage(fs).retry_at - outage(fs).since >= timedelta(seconds=599)  # retryAfter
        next_try_is_due(fs)  # the endpoint's next try: one product asks, it is still out, the wait doubles
        (ran,) = converge(fs, rounds=1)
        assert switch.refused == 2 and set(ran.values()) == {"failed"}, ran
        assert fs.heal_attempts("ledger") == [] and fs.heal_attempts("journal") == []
        assert outage(fs).failures == 2 and outage(fs).retry_at - utcnow() > timedelta(seconds=1100)

        switch.up = True
        ollama_scripted.script(GOOD_PATCH, GOOD_PATCH)
        assert not [a for a in fs.plan().actions if a.kind == "build.heal"]  # still waiting for the try
        next_try_is_due(fs)
        converge(fs)
        assert outage(fs) is None  # it answered: the outage is over
        plan = fs.plan()
        for name in products:  # attempt #1, proven green, held for a maintainer (an LLM patch)
            (attempt,) = fs.heal_attempts(name)
            assert (attempt["attempt"], attempt["strategy"], attempt["status"]) == (1, "llm", "green"), (
                attempt
            )
            assert plan.action(f"{name}/heal.merge").decision.rule == "heal-merge-needs-a-clean-template"
        assert ollama_scripted.llm_calls() == 2 and switch.refused == 2
    finally:
        switch.close()


def test_a_product_no_heal_can_fix_is_stuck_exit_3_and_notified_once(tmp_path: Path):
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        fleet = make_fleet(tmp_path, "http://127.0.0.1:9", "none", products={"ledger": PRODUCTS["ledger"]})
        doc = (fleet / "fleet.yaml").read_text()
        doc = doc.replace(
            "  defaults:\n    build:\n      heal: {strategies: [template, llm], maxAttempts: 2}\n", ""
        )
        doc += (
            "  announce:\n"
            f"    channels: {{ops: {{type: webhook, url: 'http://127.0.0.1:{hook.server_address[1]}/hook'}}}}\n"
            "    notifications: [{on: [stuck], channels: [ops]}]\n"
        )
        (fleet / "fleet.yaml").write_text(doc)
        env = {"CORE_LIBS": str(tmp_path / "core-libs")}
        fs = session(fleet, tmp_path)
        converge(fs)
        assert cmctl("plan", "--detailed-exitcode", "--fleet", str(fleet), env=env).returncode == 0
        commit(tmp_path / "repos" / "ledger", {"ledger.py": TYPO}, "refactor: shorter names")
        converge(fs)  # builds it red; nothing else to do

        plan = fs.plan()
        assert plan.products["ledger"].stuck.startswith("build: build of"), plan.products["ledger"]
        exit3 = cmctl("plan", "--detailed-exitcode", "--fleet", str(fleet), env=env)
        assert exit3.returncode == 3, exit3.stdout + exit3.stderr
        why = json.loads(cmctl("explain", "ledger", "--json", "--fleet", str(fleet), env=env).stdout)
        assert why["stuck"] and "push a fix" in why["stuck"], why
        status = json.loads(cmctl("status", "--json", "--fleet", str(fleet), env=env).stdout)
        assert status["products"]["ledger"]["stuck"], status["products"]["ledger"]

        first = fs.reconcile("ledger")  # nothing to run: the controller's reconcile says it once
        assert not first.report and [r["event"] for r in received] == ["stuck"], received
        assert received[0]["product"] == "ledger" and "push a fix" in received[0]["message"]
        fs.reconcile("ledger")
        assert len(received) == 1  # once per cause
    finally:
        hook.shutdown()
        hook.server_close()
