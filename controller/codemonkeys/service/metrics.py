"""Prometheus metrics of the controller (served at /metrics), in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """The controller's metrics: reconciles, queue depth, action durations, observer and fleet-load errors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reconciles = Counter(
            "codemonkeys_reconciles", "Reconciles by result", ["result"], registry=self.registry
        )
        self.queue_depth = Gauge(
            "codemonkeys_queue_depth", "Products waiting in the work queue", registry=self.registry
        )
        self.action_duration = Histogram(
            "codemonkeys_action_duration_seconds",
            "Duration of applied actions",
            ["kind"],
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
            registry=self.registry,
        )
        self.observer_errors = Counter(
            "codemonkeys_observer_errors", "Facets left unknown by an observer error", registry=self.registry
        )
        self.last_success = Gauge(
            "codemonkeys_last_success_timestamp_seconds",
            "Unix time of the last successful reconcile",
            ["product"],
            registry=self.registry,
        )
        self.fleet_errors = Counter(
            "codemonkeys_fleet_load_errors", "Fleet reloads refused as invalid", registry=self.registry
        )

    def render(self) -> bytes:
        """The metrics in the Prometheus text exposition format."""
        return generate_latest(self.registry)
