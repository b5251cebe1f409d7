"""How long an action will take, learned from the fleet's recorded durations (pure: samples in, estimates
out; no store, no git, no clock).

The model, and why:

* **Durations are multiplicative**, so everything happens on ``log(seconds)``: a product that takes 10 s
  and one that takes 10 min share the same relative noise, and an error of 20% means the same for both.
* **Level: a robust, recent baseline per (product, action kind).** The Hodges-Lehmann location (the
  median of pairwise means) of the product's last successful runs, each first adjusted to a common
  change size and hour (below). It ignores the odd cold cache or stuck agent that drags a mean (Jenkins'
  estimate is the mean of the last three successful builds, so one outlier costs it the next three
  predictions), and is nearly as steady as a mean on ordinary noise, where a median of a few runs jumps.
* **How many runs, learned per kind across the fleet.** The window (``WINDOWS``) whose walk-forward
  predictions of the fleet's recent runs erred least: steady, noisy products want a long one; a fleet
  whose speed moves wants a short one.
* **Change size, learned across the fleet.** ``x = log1p(lines changed since the last build)``; the
  slope of ``log(seconds)`` on ``x`` per action kind is a Theil-Sen estimate pooled over the whole
  fleet, from pairs of runs of the same product at most ``PAIR_SPAN`` runs apart (near pairs, so a
  product drifting over months does not pass for a change-size effect). One product has too few runs
  to learn a slope; the fleet has plenty.
* **Hour of day per CI backend** (a shared Jenkins is slower in working hours): the median residual of
  the runs at that hour, shrunk towards zero by ``HOUR_PRIOR`` pseudo-runs, so a handful of runs at 3 am
  cannot invent an effect.
* **Trend.** When the product's adjusted runs show a significant upward or downward trend (Mann-Kendall,
  ``p < TREND_P``), the baseline follows the Theil-Sen line to the next run instead of sitting at the
  window's middle.
* **Pace.** A loaded machine or a busy CI slows every product at once: the median error of predicting
  the fleet's last ``PACE_RUNS`` runs (shrunk by ``PACE_PRIOR``) moves every prediction, as one product's
  own history would notice it only runs later.
* **No history** for the product and kind: the fleet's median level for the kind (on the same CI
  backend when there is one), adjusted the same way; the estimate says it rests on the fleet.

``slowdowns`` uses the same adjusted series: a product whose builds are getting slower is a significant
Mann-Kendall trend over its last ``SLOWDOWN_WINDOW`` runs *and* a Theil-Sen growth of at least
``SLOWDOWN_MIN`` over them (significant and large enough to matter), so noise and single spikes are
not reported.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import median

WINDOW = 7  # runs in the baseline, unless the fleet's history shows another window predicts better
WINDOWS = (1, 3, 5, 7, 11)  # the candidates, chosen per kind by walk-forward error over the fleet
SELECT_RUNS = 20  # the last runs of each product scored when choosing
SELECT_GROUPS = 100  # at most this many products per kind (the most active) take part in choosing
SELECT_MIN = 20  # fewer scored runs than this: keep WINDOW
PACE_RUNS = 10  # the fleet's latest runs that say how fast it runs now
PACE_PRIOR = 3.0  # pseudo-runs of "no pace change"
PAIR_SPAN = 5  # the change-size slope compares runs at most this far apart
HOUR_PRIOR = 20.0  # pseudo-runs of "no hour effect"
TREND_WINDOW = 20  # runs the baseline's trend test looks at
TREND_P = 0.01
SLOWDOWN_WINDOW = 20
SLOWDOWN_MIN_RUNS = 8
SLOWDOWN_P = 0.01
SLOWDOWN_MIN = 0.10  # at least 10% slower over the window


@dataclass(frozen=True)
class Sample:
    """One finished action's duration with what predicts it (in the order they finished)."""

    product: str
    kind: str
    ci: str
    seconds: float
    files: int | None = None  # changed since the product's previous run of this kind (None: unknown)
    lines: int | None = None
    hour: int = 0  # hour of day (UTC) it started
    ok: bool = True  # succeeded (failed runs are kept but not learned from)
    commit: str | None = None


@dataclass(frozen=True)
class Change:
    """What is known about a run to predict: its change size and hour (None: unknown)."""

    files: int | None = None
    lines: int | None = None
    hour: int | None = None


@dataclass(frozen=True)
class Estimate:
    """A predicted duration, how many runs it rests on, and whose (``product``, ``fleet`` or ``none``)."""

    seconds: float | None
    samples: int
    basis: str = "none"


def jenkins_estimate(history: Sequence[Sample]) -> float | None:
    """Jenkins' own estimate: the mean of the last three successful runs (None with no successful run)."""
    ok = [s.seconds for s in history if s.ok][-3:]
    return sum(ok) / len(ok) if ok else None


# --- small, well-known statistics ---------------------------------------------------------------------


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """The Theil-Sen line through the points: (slope, intercept), the medians of the pairwise slopes and
    of ``y - slope * x``. Slope 0 when no two x differ."""
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for i in range(len(xs))
        for j in range(i + 1, len(xs))
        if xs[j] != xs[i]
    ]
    slope = median(slopes) if slopes else 0.0
    return slope, median(y - slope * x for x, y in zip(xs, ys, strict=True))


def mann_kendall(ys: Sequence[float]) -> tuple[float, float]:
    """The Mann-Kendall trend test of a series in order: (z, two-sided p), with the variance corrected
    for ties and a continuity correction. Fewer than three values: (0, 1)."""
    n = len(ys)
    if n < 3:
        return 0.0, 1.0
    s = sum((ys[j] > ys[i]) - (ys[j] < ys[i]) for i in range(n) for j in range(i + 1, n))
    ties: dict[float, int] = defaultdict(int)
    for y in ys:
        ties[y] += 1
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())) / 18
    if var <= 0 or s == 0:
        return 0.0, 1.0
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var)
    return z, math.erfc(abs(z) / math.sqrt(2))


def hodges_lehmann(values: Sequence[float]) -> float:
    """The Hodges-Lehmann location: the median of all pairwise means (each value with itself included).
    As robust as a median to a few wild values (29% breakdown), nearly as efficient as a mean on
    well-behaved noise (95% at the normal), where a median of a few runs is jumpy."""
    vs = list(values)
    return median((vs[i] + vs[j]) / 2 for i in range(len(vs)) for j in range(i, len(vs)))


def _x(lines: int | None) -> float | None:
    return None if lines is None else math.log1p(max(0, lines))


# --- the fleet model --------------------------------------------------------------------------------------


@dataclass
class Predictor:
    """The fleet-level parameters (change-size slope per kind, hour effects per CI backend) and every
    product's history, fitted from the fleet's samples (``Predictor.fit``)."""

    beta: dict[str, float] = field(default_factory=dict)  # kind -> d log(seconds) / d log1p(lines)
    hours: dict[tuple[str, int], float] = field(default_factory=dict)  # (ci, hour) -> log factor
    groups: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)  # (product, kind) -> ok runs
    ci: dict[tuple[str, str], str] = field(default_factory=dict)
    window: dict[str, int] = field(default_factory=dict)  # kind -> runs in the baseline
    pace: float = 0.0  # log factor: how much slower (> 0) the fleet's latest runs were than predicted

    @classmethod
    def fit(cls, samples: Iterable[Sample]) -> Predictor:
        """Learn from ``samples`` (oldest first); failed runs are ignored."""
        p = cls()
        latest: list[tuple[tuple[str, str], int]] = []  # the fleet's runs in order: (group, position)
        for s in samples:
            if s.ok and s.seconds > 0:
                group = p.groups.setdefault((s.product, s.kind), [])
                latest.append(((s.product, s.kind), len(group)))
                group.append(s)
                p.ci[(s.product, s.kind)] = s.ci
        p.beta = _fit_beta(p.groups)
        p.hours = _fit_hours(p.groups, p.beta)
        p.window = _fit_windows(p)
        p.pace = _fit_pace(p, latest[-PACE_RUNS * 3 :])
        return p

    def adjusted(self, runs: Sequence[Sample]) -> list[float]:
        """``log(seconds)`` of each run brought to zero change size and no hour effect (a missing
        change size counts as the runs' median one)."""
        xs = [x for x in (_x(s.lines) for s in runs) if x is not None]
        typical = median(xs) if xs else 0.0
        out = []
        for s in runs:
            x = _x(s.lines)
            beta = self.beta.get(s.kind, 0.0)
            out.append(math.log(s.seconds) - beta * (typical if x is None else x) - self._hour(s.ci, s.hour))
        return out

    def _hour(self, ci: str, hour: int | None) -> float:
        return 0.0 if hour is None else self.hours.get((ci, hour), 0.0)

    def history(self, product: str, kind: str) -> list[Sample]:
        """The successful runs of ``product``'s ``kind`` actions, oldest first."""
        return self.groups.get((product, kind), [])

    def level(self, runs: Sequence[Sample], window: int | None = None) -> float:
        """The baseline of a product's runs (adjusted log seconds): the median of the last ``window``
        (the kind's learned window by default), moved along the Theil-Sen line when the last
        ``TREND_WINDOW`` runs trend significantly."""
        window = window or self.window.get(runs[-1].kind, WINDOW)
        adj = self.adjusted(runs[-TREND_WINDOW:])
        recent = adj[-window:]
        base = hodges_lehmann(recent)
        if len(adj) >= 2 * max(window, WINDOW):
            _, p = mann_kendall(adj)
            if p < TREND_P:
                slope, _ = theil_sen(list(range(len(adj))), adj)
                base += slope * (len(recent) + 1) / 2  # from the window's middle to the next run
        return base

    def estimate(self, product: str, kind: str, change: Change = Change(), ci: str | None = None) -> Estimate:
        """The predicted seconds of ``product``'s next ``kind`` action with ``change``."""
        runs = self.history(product, kind)
        ci = ci or self.ci.get((product, kind), "")
        if runs:
            base, basis = self.level(runs), "product"
            n = min(len(runs), self.window.get(kind, WINDOW))
            xs = [x for x in (_x(s.lines) for s in runs) if x is not None]
        else:
            peers = self._peers(kind, ci)
            if not peers:
                return Estimate(None, 0)
            base = median(self.level(g) for g in peers)
            n, basis = sum(min(len(g), self.window.get(kind, WINDOW)) for g in peers), "fleet"
            xs = [x for g in peers for x in (_x(s.lines) for s in g) if x is not None]
        x = _x(change.lines)
        x = x if x is not None else (median(xs) if xs else 0.0)
        log_s = base + self.beta.get(kind, 0.0) * x + self._hour(ci, change.hour) + self.pace
        return Estimate(math.exp(log_s), n, basis)

    def _peers(self, kind: str, ci: str) -> list[list[Sample]]:
        same = [g for (_, k), g in self.groups.items() if k == kind]
        on_ci = [g for g in same if g[-1].ci == ci]
        return on_ci or same


def _fit_beta(groups: dict[tuple[str, str], list[Sample]]) -> dict[str, float]:
    """Per kind: the median slope of log(seconds) over log1p(lines) between runs of the same product at
    most ``PAIR_SPAN`` apart whose change sizes differ (a pooled, local Theil-Sen)."""
    slopes: dict[str, list[float]] = defaultdict(list)
    for (_, kind), runs in groups.items():
        pts = [(x, math.log(s.seconds)) for s in runs if (x := _x(s.lines)) is not None]
        for i, (xi, yi) in enumerate(pts):
            for xj, yj in pts[i + 1 : i + 1 + PAIR_SPAN]:
                if abs(xj - xi) >= 0.5:
                    slopes[kind].append((yj - yi) / (xj - xi))
    return {kind: median(v) for kind, v in slopes.items() if len(v) >= 10}


def _fit_windows(model: Predictor) -> dict[str, int]:
    """Per kind: the baseline window (``WINDOWS``) whose walk-forward predictions of the last
    ``SELECT_RUNS`` runs of the kind's most active products erred least (median absolute percentage
    error). Noisy, stable products favour a long window; a fleet whose pace moves (a loaded machine, a
    busy CI) favours a short one."""
    by_kind: dict[str, list[list[Sample]]] = defaultdict(list)
    for (_, kind), runs in model.groups.items():
        by_kind[kind].append(runs)
    out = {}
    for kind, groups in by_kind.items():
        groups = sorted(groups, key=lambda g: (-len(g), g[0].product))[:SELECT_GROUPS]
        errors: dict[int, list[float]] = {w: [] for w in WINDOWS}
        for runs in groups:
            for i in range(max(1, len(runs) - SELECT_RUNS), len(runs)):
                before, run = runs[:i], runs[i]
                offset = model.adjusted([*before[-TREND_WINDOW:], run])[-1] - math.log(run.seconds)
                for w in WINDOWS:
                    errors[w].append(abs(math.exp(model.level(before, w) - offset) / run.seconds - 1))
        if len(errors[WINDOW]) >= SELECT_MIN:
            out[kind] = min(WINDOWS, key=lambda w: (median(errors[w]), abs(w - WINDOW)))
    return out


def _fit_pace(model: Predictor, latest: Sequence[tuple[tuple[str, str], int]]) -> float:
    """The fleet's current pace: the median error (log) of predicting each of its last ``PACE_RUNS``
    runs (that had three runs before them) from its product's runs before it, shrunk towards zero by
    ``PACE_PRIOR`` pseudo-runs. A loaded machine or a busy CI slows every product at once; this follows
    it across products, where one product's own history notices it late."""
    residuals = []
    for key, pos in reversed(latest):
        runs = model.groups[key]
        if pos >= 3:
            run = runs[pos]
            residuals.append(
                model.adjusted([*runs[max(0, pos - TREND_WINDOW) : pos], run])[-1] - model.level(runs[:pos])
            )
        if len(residuals) == PACE_RUNS:
            break
    if not residuals:
        return 0.0
    return median(residuals) * len(residuals) / (len(residuals) + PACE_PRIOR)


def _fit_hours(
    groups: dict[tuple[str, str], list[Sample]], beta: dict[str, float]
) -> dict[tuple[str, int], float]:
    """(ci, hour) -> the median residual of runs at that hour against their neighbours' median, shrunk
    towards zero by ``HOUR_PRIOR`` pseudo-runs."""
    residuals: dict[tuple[str, int], list[float]] = defaultdict(list)
    for (_, kind), runs in groups.items():
        b = beta.get(kind, 0.0)
        adj = [math.log(s.seconds) - b * (_x(s.lines) or 0.0) for s in runs]
        for i, s in enumerate(runs):
            around = adj[max(0, i - 4) : i] + adj[i + 1 : i + 5]
            if len(around) >= 4:
                residuals[(s.ci, s.hour)].append(adj[i] - median(around))
    return {key: median(r) * len(r) / (len(r) + HOUR_PRIOR) for key, r in residuals.items()}


# --- slowdowns ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slowdown:
    """A product whose runs of a kind are getting slower: the trend's size and how sure it is."""

    product: str
    kind: str
    runs: int  # in the tested window
    p: float  # Mann-Kendall, one-sided (getting slower)
    per_run: float  # Theil-Sen growth per run (0.02 = 2% slower each run)
    growth: float  # over the window (0.3 = 30% slower at its end than at its start)
    from_s: float  # the trend line at the window's start and end (typical change size)
    to_s: float


def slowdowns(
    samples: Iterable[Sample] | Predictor, window: int = SLOWDOWN_WINDOW, p_max: float = SLOWDOWN_P
) -> list[Slowdown]:
    """Products whose runs are getting slower: a one-sided Mann-Kendall ``p < p_max`` on the last
    ``window`` runs adjusted for change size and hour, and a Theil-Sen growth of at least
    ``SLOWDOWN_MIN`` over them. Biggest growth first."""
    model = samples if isinstance(samples, Predictor) else Predictor.fit(samples)
    out = []
    for (product, kind), runs in sorted(model.groups.items()):
        if len(runs) < SLOWDOWN_MIN_RUNS:
            continue
        adj = model.adjusted(runs[-window:])
        z, p2 = mann_kendall(adj)
        p = p2 / 2 if z > 0 else 1 - p2 / 2
        slope, intercept = theil_sen(list(range(len(adj))), adj)
        growth = math.exp(slope * (len(adj) - 1)) - 1
        if p < p_max and growth >= SLOWDOWN_MIN:
            xs = [x for x in (_x(s.lines) for s in runs[-window:]) if x is not None]
            shift = model.beta.get(kind, 0.0) * (median(xs) if xs else 0.0)
            start, end = intercept + shift, intercept + shift + slope * (len(adj) - 1)
            out.append(
                Slowdown(
                    product, kind, len(adj), p, math.exp(slope) - 1, growth, math.exp(start), math.exp(end)
                )
            )
    return sorted(out, key=lambda s: -s.growth)


# --- walk-forward error -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backtest:
    """Walk-forward errors over one history: each run predicted from the runs before it."""

    runs: int  # runs predicted (those with at least one successful run before them)
    mdape: float | None  # median absolute percentage error of the predictor
    jenkins_mdape: float | None  # the same for Jenkins' estimate (mean of the last three)


def ape(predicted: float, actual: float) -> float:
    """Absolute percentage error of one prediction (0.1 = 10%)."""
    return abs(predicted - actual) / actual


def backtest(model: Predictor, product: str, kind: str) -> Backtest:
    """Predict every successful run of ``product``'s ``kind`` from the runs before it (with the fleet
    parameters of ``model``) and compare with Jenkins' estimate on the same runs."""
    runs = model.history(product, kind)
    mine: list[float] = []
    theirs: list[float] = []
    for i in range(1, len(runs)):
        before, run = runs[:i], runs[i]
        jenkins = jenkins_estimate(before)
        sub = Predictor(model.beta, model.hours, {(product, kind): before}, model.ci, model.window, 0.0)
        est = sub.estimate(product, kind, Change(run.files, run.lines, run.hour), run.ci)
        if est.seconds is None or jenkins is None:
            continue
        mine.append(ape(est.seconds, run.seconds))
        theirs.append(ape(jenkins, run.seconds))
    return Backtest(len(mine), median(mine) if mine else None, median(theirs) if theirs else None)
