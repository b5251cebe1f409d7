"""Build-time prediction: the statistics on known data, the predictor and the trend test on seeded
synthetic histories, the critical path on a small DAG, the plan document's prediction fields, and real
builds of the demo products recording durations that `cmctl plan` then predicts from (e2e)."""

from __future__ import annotations

import json
import math
import random
import sqlite3

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.engine.durations import predict
from codemonkeys.engine.scheduler import simulate
from codemonkeys.repos import run as git
from codemonkeys.swarm.predict import (
    Change,
    Predictor,
    Sample,
    backtest,
    hodges_lehmann,
    jenkins_estimate,
    mann_kendall,
    slowdowns,
    theil_sen,
)
from codemonkeys.vocab.plan import Action, Decision, FleetRef, Plan, Verdict
from conftest import cmctl

# --- statistics on known data ---------------------------------------------------------------------------


def test_theil_sen_is_exact_on_a_line_and_ignores_an_outlier():
    xs = list(range(10))
    ys = [2 * x + 1 for x in xs]
    assert theil_sen(xs, ys) == (2.0, 1.0)
    ys[7] = 100  # one wild point moves least squares, not the median of slopes
    slope, intercept = theil_sen(xs, ys)
    assert slope == pytest.approx(2.0) and intercept == pytest.approx(1.0)
    assert theil_sen([1, 1, 1], [1, 2, 3]) == (0.0, 2)


def test_mann_kendall_matches_the_textbook_values():
    # S = 10, Var(S) = 5*4*15/18, z = (S - 1) / sqrt(Var) = 2.2045, two-sided p = 0.0275
    z, p = mann_kendall([1, 2, 3, 4, 5])
    assert z == pytest.approx(9 / math.sqrt(50 / 3), rel=1e-9)
    assert p == pytest.approx(0.0275, abs=1e-4)
    assert mann_kendall([3, 3, 3, 3]) == (0.0, 1.0)
    z, p = mann_kendall([5, 4, 3, 2, 1])
    assert z < 0 and p == pytest.approx(0.0275, abs=1e-4)
    # ties shrink the variance: S = 8 over [1, 2, 2, 3, 3]; Var = (5*4*15 - 2*(2*1*9)) / 18 = 14.667
    z, _ = mann_kendall([1, 2, 2, 3, 3])
    assert z == pytest.approx(7 / math.sqrt(14 + 2 / 3), rel=1e-9)


def test_hodges_lehmann_is_the_median_of_pairwise_means():
    assert hodges_lehmann([1.0, 2.0, 9.0]) == 3.5  # of 1, 1.5, 2, 5, 5.5, 9
    assert hodges_lehmann([3.0]) == 3.0
    assert hodges_lehmann([1.0, 2.0, 3.0, 4.0, 100.0]) == 3.0  # the wild value barely counts


def test_the_fleet_pace_follows_a_machine_that_slows_everyone_down():
    runs = fleet(seed=9, products=6, runs=32, beta=0.0)
    calm, busy = runs[:-12], runs[-12:]  # the last two rounds ran 50% slower
    busy = [Sample(s.product, s.kind, s.ci, s.seconds * 1.5, s.files, s.lines, s.hour) for s in busy]
    assert abs(Predictor.fit(calm).pace) < 0.05
    paced = Predictor.fit(calm + busy)
    assert paced.pace == pytest.approx(math.log(1.5) * 10 / 13, abs=0.08)


def test_jenkins_estimate_is_the_mean_of_the_last_three_successful_runs():
    runs = [Sample("p", "build.run", "jenkins", s, ok=ok) for s, ok in [(10, True), (99, False), (20, True)]]
    runs += [Sample("p", "build.run", "jenkins", 30), Sample("p", "build.run", "jenkins", 40)]
    assert jenkins_estimate(runs) == 30.0
    assert jenkins_estimate([]) is None


# --- the predictor on seeded synthetic histories ----------------------------------------------------------


def fleet(seed: int = 7, products: int = 12, runs: int = 40, beta: float = 0.12) -> list[Sample]:
    """Products with their own base times, a shared change-size effect, lognormal noise."""
    rnd = random.Random(seed)
    out = []
    bases = {f"p{i}": rnd.uniform(20, 300) for i in range(products)}
    for _ in range(runs):
        for name, base in bases.items():
            lines = int(rnd.lognormvariate(3, 1.5))
            seconds = base * math.exp(beta * math.log1p(lines) + rnd.gauss(0, 0.08))
            out.append(Sample(name, "build.run", "local", seconds, 1, lines, rnd.randrange(24)))
    return out


def test_the_change_size_effect_is_learned_across_the_fleet():
    model = Predictor.fit(fleet())
    assert model.beta["build.run"] == pytest.approx(0.12, abs=0.03)
    small = model.estimate("p0", "build.run", Change(lines=1))
    big = model.estimate("p0", "build.run", Change(lines=5000))
    assert big.seconds > small.seconds * 2
    assert model.window["build.run"] >= 7  # steady noise: a long window predicts best
    assert small.samples == model.window["build.run"] and small.basis == "product"


def test_a_product_without_history_rests_on_the_fleet():
    model = Predictor.fit(fleet())
    est = model.estimate("newcomer", "build.run", Change(lines=10), "local")
    assert est.basis == "fleet" and est.samples > 7 and est.seconds > 0
    assert model.estimate("newcomer", "infra.apply").seconds is None


def test_one_outlier_moves_jenkins_more_than_the_predictor():
    runs = [Sample("p", "build.run", "local", 60.0 + i % 3, 1, 10) for i in range(10)]
    runs.append(Sample("p", "build.run", "local", 600.0, 1, 10))  # a cold cache
    est = Predictor.fit(runs).estimate("p", "build.run", Change(lines=10))
    assert est.seconds == pytest.approx(61, rel=0.05)
    assert jenkins_estimate(runs) > 200


def test_backtest_beats_jenkins_on_a_fleet_with_change_size_effects():
    samples = fleet(seed=3)
    model = Predictor.fit(samples)
    ours = [backtest(model, f"p{i}", "build.run") for i in range(12)]
    assert all(b.runs == 39 for b in ours)
    mine = sorted(b.mdape for b in ours)[6]
    theirs = sorted(b.jenkins_mdape for b in ours)[6]
    assert mine < theirs


# --- slowdowns --------------------------------------------------------------------------------------------


def series(name: str, values: list[float], lines: list[int] | None = None) -> list[Sample]:
    sizes = lines or [10] * len(values)
    return [Sample(name, "build.run", "local", v, 1, sizes[i]) for i, v in enumerate(values)]


def test_a_steady_slowdown_is_reported_and_noise_is_not():
    rnd = random.Random(11)
    slower = series("slower", [60 * 1.02**i * math.exp(rnd.gauss(0, 0.05)) for i in range(25)])
    noisy = series("noisy", [60 * math.exp(rnd.gauss(0, 0.25)) for _ in range(25)])
    spike = series("spike", [60.0 + i % 2 for i in range(24)] + [240.0])
    found = slowdowns(slower + noisy + spike)
    assert [s.product for s in found] == ["slower"]
    s = found[0]
    assert s.runs == 20 and s.p < 0.01
    assert s.per_run == pytest.approx(0.02, abs=0.01)
    assert s.to_s > s.from_s * 1.3


def test_slower_builds_explained_by_bigger_changes_are_not_a_slowdown():
    rnd = random.Random(5)
    other = [s for s in fleet(seed=5, products=6) if s.product != "p0"]
    lines = [int(2 ** (i / 2)) for i in range(25)]  # changes grow, builds grow with them
    grown = series("grown", [60 * math.exp(0.12 * math.log1p(n) + rnd.gauss(0, 0.03)) for n in lines], lines)
    assert Predictor.fit(other + grown).beta["build.run"] == pytest.approx(0.12, abs=0.03)
    assert [s.product for s in slowdowns(other + grown)] == []
    unadjusted = series("grown", [s.seconds for s in grown])  # same durations, change size unknown
    assert [s.product for s in slowdowns(other + unadjusted)] == ["grown"]


# --- critical path ----------------------------------------------------------------------------------------


def small_plan() -> Plan:
    """a -> c, b -> c, d alone; e is denied and f waits for it."""

    def act(aid: str, wave: int, deps=(), verdict=Verdict.ALLOW) -> Action:
        return Action(
            id=aid,
            product=aid,
            kind="build.run",
            reason="r",
            depends_on=list(deps),
            wave=wave,
            decision=Decision(verdict=verdict),
        )

    actions = [
        act("a", 0),
        act("b", 0),
        act("d", 0),
        act("c", 1, ["a", "b"]),
        act("e", 0, verdict=Verdict.DENY),
        act("f", 1, ["e"]),
    ]
    return Plan(fleet=FleetRef(root="/f", revision="r"), fingerprint="fp", actions=actions, products={})


SECONDS = {"a": 10.0, "b": 3.0, "c": 5.0, "d": 7.0, "e": 100.0, "f": 100.0}


@pytest.mark.parametrize(
    ("parallelism", "makespan", "order"),
    [
        (1, 25.0, ["a", "b", "d", "c"]),  # one worker: the sum of what runs
        (2, 15.0, ["a", "b", "d", "c"]),  # b ends at 3, d runs 3-10, c 10-15 after a
        (3, 15.0, ["a", "b", "d", "c"]),  # the longest chain a -> c
        (8, 15.0, ["a", "b", "d", "c"]),
    ],
)
def test_the_critical_path_replays_the_scheduler(parallelism, makespan, order):
    assert simulate(small_plan(), SECONDS, parallelism) == (makespan, order)


def test_predict_fills_the_plan_without_touching_its_fingerprint():
    plan = small_plan()
    history = [Sample(p, "build.run", "local", s) for p, s in SECONDS.items() if p != "d" for _ in range(3)]
    model = Predictor.fit(history)
    predicted = predict(plan, model, {}, 2)
    assert predicted.fingerprint == plan.fingerprint
    by_id = {a.id: a for a in predicted.actions}
    assert by_id["a"].predicted_s == pytest.approx(10.0) and by_id["a"].predicted_samples == 3
    assert by_id["d"].predicted_basis == "fleet"  # no history of its own
    assert predicted.forecast.parallelism == 2 and predicted.forecast.unpredicted == 0
    doc = json.loads(predicted.model_dump_json())
    assert doc["summary"]["predicted_s"] == predicted.forecast.predicted_s
    assert doc["actions"][0]["predicted_s"] == pytest.approx(10.0)
    assert Plan.model_validate_json(predicted.model_dump_json()) == predicted
    bare = json.loads(plan.model_dump_json())  # never predicted: the document is as before
    assert "summary" not in bare and "predicted_s" not in bare["actions"][0]


# --- real builds (e2e) ------------------------------------------------------------------------------------


def durations(ws: Workspace) -> list[tuple]:
    with sqlite3.connect(ws.fleet / ".cmctl" / "state.db") as conn:
        return conn.execute(
            'SELECT product, kind, ci, status, seconds, "commit", files, lines, hour '
            "FROM durations ORDER BY id"
        ).fetchall()


@pytest.mark.slow
def test_real_builds_record_durations_and_the_plan_predicts_from_them(workspace: Workspace):
    fleet_dir = str(workspace.fleet)
    only = ["-p", "acme-text", "-p", "globex-hash"]  # two products are enough to learn from
    r = cmctl("apply", "--fleet", fleet_dir, "--auto-approve", "--parallelism", "2", *only)
    assert r.returncode == 0, r.stdout + r.stderr
    first = durations(workspace)
    kinds = {(p, k) for p, k, *_ in first}
    assert ("acme-text", "build.run") in kinds and ("globex-hash", "build.run") in kinds
    assert all(status == "succeeded" and seconds > 0 for _, _, _, status, seconds, *_ in first)
    assert all(0 <= hour < 24 for *_, hour in first)

    repo = workspace.repos / "acme-text"
    (repo / "src" / "acme_text" / "generated.py").write_text("".join(f"X{i} = {i}\n" for i in range(120)))
    git(["add", "-A"], repo)
    git(["commit", "-q", "-m", "chore: generated constants"], repo)

    r = cmctl("plan", "--json", "--fleet", fleet_dir, "--parallelism", "2")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    build = next(a for a in doc["actions"] if a["id"] == "acme-text/build.run")
    assert build["predicted_s"] > 0 and build["predicted_samples"] == 1
    assert build["predicted_basis"] == "product"
    assert doc["summary"]["parallelism"] == 2 and doc["summary"]["predicted_s"] >= build["predicted_s"]
    text = cmctl("plan", "--fleet", fleet_dir, "--parallelism", "2").stdout
    assert "acme-text/build.run (wave 1) ~" in text and "predicted: " in text and "at parallelism 2" in text

    r = cmctl("apply", "--fleet", fleet_dir, "--auto-approve", *only)
    assert r.returncode == 0, r.stdout + r.stderr
    rebuilt = [row for row in durations(workspace)[len(first) :] if row[:2] == ("acme-text", "build.run")]
    assert len(rebuilt) == 1
    old = next(row[5] for row in first if row[:2] == ("acme-text", "build.run"))
    numstat = [line.split("\t") for line in git(["diff", "--numstat", old, rebuilt[0][5]], repo).splitlines()]
    # since the last build: the release commit (version, changelog) and the 120 generated lines
    assert rebuilt[0][6:8] == (len(numstat), sum(int(a) + int(d) for a, d, _ in numstat))
    assert ["120", "0", "src/acme_text/generated.py"] in numstat

    r = cmctl("swarm", "predict", "acme-text", "--json", "--fleet", fleet_dir)
    assert r.returncode == 0, r.stderr
    rows = {row["kind"]: row for row in json.loads(r.stdout)}
    assert rows["build.run"]["runs"] == 2 and rows["build.run"]["backtested"] == 1
    r = cmctl("swarm", "slowdowns", "--json", "--fleet", fleet_dir)
    assert r.returncode == 0 and json.loads(r.stdout) == []  # two runs are no trend
