"""The executor: runs one action's actuator with retries of transient failures (tenacity), turns an
actuator's crash into a failed result, and enforces the constitution's audit duties."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tenacity import RetryError, Retrying, retry_if_result, stop_after_attempt, wait_exponential

from codemonkeys.act import ActContext, ActionResult, Outcome, actuator_for
from codemonkeys.vocab.plan import Action


@dataclass
class Execution:
    """What running one action produced."""

    result: ActionResult
    attempts: int
    duration: float


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


def execute(action: Action, ctx: ActContext, policy: RetryPolicy) -> Execution:
    """Run ``action``'s actuator (retrying transient failures) and check its audit duties. Never raises:
    an exception in an actuator is a bug, journaled as a failed result so other branches go on."""
    retrying = policy.retrying()
    started = time.monotonic()
    try:
        result = retrying(actuator_for(action), action, ctx)
    except RetryError as exc:  # pragma: no cover - retry_error_callback returns the last result
        result = exc.last_attempt.result()
    except Exception as exc:
        result = ActionResult(Outcome.FAILED, f"internal error: {type(exc).__name__}: {ctx.redact(str(exc))}")
    attempts = retrying.statistics.get("attempt_number", 1)
    return Execution(check_duties(action, result), attempts, time.monotonic() - started)


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
