"""The executor: runs one action's actuator with retries of transient failures (tenacity), records each
attempt (when it started, how long it took, how it ended), turns an actuator's crash into a failed result,
and enforces the constitution's audit duties."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tenacity import RetryError, Retrying, retry_if_result, stop_after_attempt, wait_exponential

from codemonkeys.act import ActContext, ActionResult, Outcome, actuator_for
from codemonkeys.vocab.plan import Action

MESSAGE_LIMIT = 500  # characters of an attempt's message kept with it (the action's own message is whole)


@dataclass(frozen=True)
class Attempt:
    """One run of an action's actuator: its number (from 1), when it started (UTC), how long it took, how
    it ended (``succeeded``, ``noop``, ``failed``), its message and whether a failure was transient (retried
    while attempts were left)."""

    number: int
    started_at: datetime
    seconds: float
    outcome: str
    message: str
    transient: bool = False

    def to_json(self, redact: Callable[[str], str] = str) -> dict[str, Any]:
        """The attempt as the journal keeps it (``actions.tries``), its message passed through ``redact``."""
        return {
            "number": self.number,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "outcome": self.outcome,
            "message": redact(self.message)[:MESSAGE_LIMIT],
            "transient": self.transient,
        }


# Hears the attempts so far each time one ends (from the worker thread that runs the action).
OnAttempt = Callable[[list[Attempt]], None]


@dataclass
class Execution:
    """What running one action produced: the result, how many attempts it took (each one in ``tries``)
    and how long all of them took."""

    result: ActionResult
    attempts: int
    duration: float
    tries: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per action and the base of the exponential wait between them (seconds)."""

    attempts: int = 3
    wait: float = 1.0

    def retrying(self) -> Retrying:
        """A tenacity retryer: retry FAILED results marked transient, return the last result."""
        return Retrying(
            stop=stop_after_attempt(max(1, self.attempts)),
            wait=wait_exponential(multiplier=self.wait, max=30 * self.wait),
            retry=retry_if_result(lambda r: r.outcome is Outcome.FAILED and r.transient),
            retry_error_callback=lambda state: state.outcome.result(),
            reraise=True,
        )


def execute(
    action: Action, ctx: ActContext, policy: RetryPolicy, on_attempt: OnAttempt | None = None
) -> Execution:
    """Run ``action``'s actuator (retrying transient failures) and check its audit duties; ``on_attempt``
    hears the attempts so far as each one ends (best effort: a listener that raises changes nothing). Never
    raises: an exception in an actuator is a bug, journaled as a failed result so other branches go on."""
    retrying = policy.retrying()
    started = time.monotonic()
    tries: list[Attempt] = []
    try:
        result = retrying(_recorded(actuator_for(action), tries, on_attempt), action, ctx)
    except RetryError as exc:  # pragma: no cover - retry_error_callback returns the last result
        result = exc.last_attempt.result()
    except Exception as exc:
        result = ActionResult(Outcome.FAILED, _crash_text(exc, ctx))
    attempts = retrying.statistics.get("attempt_number", 1)
    return Execution(check_duties(action, result), attempts, time.monotonic() - started, tries)


def _crash_text(exc: Exception, ctx: ActContext) -> str:
    return f"internal error: {type(exc).__name__}: {ctx.redact(str(exc))}"


def _recorded(actuator, tries: list[Attempt], on_attempt: OnAttempt | None):
    """``actuator`` recording each call as an ``Attempt`` in ``tries`` and telling ``on_attempt``."""

    def attempt(action: Action, ctx: ActContext) -> ActionResult:
        at, clock = datetime.now(UTC), time.monotonic()
        try:
            result = actuator(action, ctx)
        except Exception as exc:
            crash = _crash_text(exc, ctx)
            _tell(tries, Attempt(len(tries) + 1, at, time.monotonic() - clock, "failed", crash), on_attempt)
            raise
        took = time.monotonic() - clock
        done = Attempt(len(tries) + 1, at, took, str(result.outcome), result.message, result.transient)
        _tell(tries, done, on_attempt)
        return result

    return attempt


def _tell(tries: list[Attempt], done: Attempt, on_attempt: OnAttempt | None = None) -> None:
    tries.append(done)
    if on_attempt is not None:
        with contextlib.suppress(Exception):  # the journal's final write (Journal.ended) has them all
            on_attempt(list(tries))


def check_duties(action: Action, result: ActionResult) -> ActionResult:
    """Audit duties from the constitution: a succeeded action that cannot prove one is failed.

    ``log`` is proven by a non-empty log; other duties by the actuator's ``evidence``. A noop made no
    side effect, so it owes no proof.
    """
    if result.outcome is not Outcome.SUCCEEDED or not action.decision.audit:
        return result
    proofs = {**result.evidence, **({"log": "log kept in the journal"} if result.log.strip() else {})}
    missing = [duty for duty in action.decision.audit if duty not in proofs]
    if not missing:
        result.outputs = {**result.outputs, "audit": {d: proofs[d] for d in action.decision.audit}}
        return result
    result.outcome = Outcome.FAILED
    result.message = (
        f"{result.message}; but the audit duty {', '.join(missing)} required by the constitution "
        "could not be proven by this actuator"
    )
    return result
