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

        # the database's job queue (``--workers``): per worker process (label ``worker``: host:pid)
        self.jobs_running = Gauge(
            "codemonkeys_jobs_running",
            "Reconcile jobs running in this process",
            ["worker"],
            registry=self.registry,
        )
        self.queue_age = Gauge(
            "codemonkeys_queue_oldest_age_seconds",
            "Age of the oldest reconcile job due in the shared queue",
            registry=self.registry,
        )
        self.lock_waits = Counter(
            "codemonkeys_lock_waits",
            "Jobs deferred because a dependency was being reconciled or a product was locked",
            ["worker", "reason"],
            registry=self.registry,
        )
        self.start_latency = Histogram(
            "codemonkeys_job_start_latency_seconds",
            "From a reconcile's first trigger to a worker starting it",
            ["worker"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
            registry=self.registry,
        )
        self.elected = Gauge(
            "codemonkeys_elected",
            "1 while this process does the singleton duties",
            ["worker"],
            registry=self.registry,
        )
        self.recovered = Counter(
            "codemonkeys_stalled_jobs", "Jobs of dead workers recovered", ["result"], registry=self.registry
        )

    def render(self) -> bytes:
        """The metrics in the Prometheus text exposition format."""
        return generate_latest(self.registry)
