"""Engine: the library path shared by the CLI and the controller service, in parts.

* ``planning``  observe -> gate inputs -> pure plan -> status and decision log      (stages 2-4)
* ``apply``     the apply loop: fleet lock, blocked actions, parallel walk, stop   (stage 5)
* ``scheduler`` which allowed actions may start, which are skipped (pure)
* ``executor``  one action: its actuator, retries of transient failures, audit duties
* ``journal``   the run, each action's status and the hash-chained audit records   (stage 6)
"""

from codemonkeys.engine.apply import Event, FleetBusy, apply_plan, product_lock
from codemonkeys.engine.executor import check_duties
from codemonkeys.engine.journal import ActionOutcome, ApplyReport, actor
from codemonkeys.engine.planning import (
    StalePlan,
    approvals_on_record,
    check_fresh,
    desired_view,
    load_plan_file,
    make_gate,
    make_plan,
    open_store,
    state_url_with_credentials,
)

__all__ = [
    "ActionOutcome",
    "ApplyReport",
    "Event",
    "FleetBusy",
    "StalePlan",
    "actor",
    "apply_plan",
    "approvals_on_record",
    "check_duties",
    "check_fresh",
    "desired_view",
    "load_plan_file",
    "make_gate",
    "make_plan",
    "open_store",
    "product_lock",
    "state_url_with_credentials",
]
