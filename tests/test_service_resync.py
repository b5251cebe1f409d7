"""The controller's resync schedule: each product at its own phase of the interval, so a fleet's resyncs
spread evenly (no burst when the controller starts or when another process takes the duty over)."""

from __future__ import annotations

from collections import Counter

import pytest

from codemonkeys.service.controller import next_resync

NOW = 1_790_000_000.25  # any wall-clock time
INTERVAL = 180.0


def test_a_fleet_of_10000_resyncs_evenly_over_the_interval():
    names = [f"product-{i:05d}" for i in range(10_000)]
    due = [next_resync(n, NOW, INTERVAL) for n in names]
    assert all(NOW < d <= NOW + INTERVAL for d in due)
    per_second = Counter(int(d - NOW) for d in due)
    mean = len(names) / INTERVAL  # 55.6 a second
    assert len(per_second) == int(INTERVAL)  # every second of the interval has some
    assert max(per_second.values()) < 2 * mean, max(per_second.values())  # never a burst


@pytest.mark.parametrize("name", ["acme-cli", "globex-widgets", "x"])
def test_a_product_keeps_its_phase_whoever_schedules_it(name: str):
    first = next_resync(name, NOW, INTERVAL)
    assert next_resync(name, first, INTERVAL) == pytest.approx(first + INTERVAL)  # every interval
    later = NOW + 7.3 * INTERVAL  # another process, much later: the same phase
    periods = (next_resync(name, later, INTERVAL) - first) / INTERVAL
    assert periods == pytest.approx(round(periods)) and round(periods) in (7, 8)


@pytest.mark.parametrize("interval", [0.0, 1.0])
def test_interval_zero_turns_the_resync_timer_off(tmp_path, interval: float):
    """With a 1-second interval every product's timer queues a resync within 2.5 s; with 0 none does
    (only events reconcile), and the backoff of a waiting product still has a cap."""
    import threading

    from codemonkeys.context import Context
    from codemonkeys.service.controller import Controller, ControllerConfig, wait_delay
    from scale_fleet import write_scale_fleet

    fleet, _ = write_scale_fleet(tmp_path, products=3, edges=0)
    config = ControllerConfig(fleet=fleet, watch=False, interval=interval)
    ctl = Controller(config, Context(env={}, home_dir=tmp_path / "home"))
    timers = threading.Thread(target=ctl._timers, daemon=True)
    timers.start()
    ctl.stop.wait(2.6)
    ctl.stop.set()
    timers.join(5)
    assert not timers.is_alive()
    assert ctl.queue.depth() == (0 if interval == 0 else 3), ctl.queue.depth()
    assert wait_delay(config, 30) == (ControllerConfig.interval if interval == 0 else interval)
