"""Pure: a probe run's per-host results -> ``HostState`` facts (version, health, reachability)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from codemonkeys.hosts.runner import HostResult
from codemonkeys.vocab.facts import HostState


def parse_probe(hosts: Sequence[str], results: Mapping[str, HostResult]) -> list[HostState]:
    """One ``HostState`` per inventory host, in inventory order; a host the run never reached is
    unreachable with Ansible's message."""
    out = []
    for name in hosts:
        r = results.get(name)
        if r is None or r.unreachable is not None:
            out.append(
                HostState(host=name, reachable=False, detail=(r.unreachable if r else "no result")[:300])
            )
            continue
        if r.failed is not None or "cm_probe" not in r.reported:
            out.append(HostState(host=name, detail=(r.failed or "the probe reported nothing")[:300]))
            continue
        p = r.reported["cm_probe"]
        healthy = p.get("healthy") in (True, "True", "true")
        out.append(
            HostState(
                host=name,
                version=p.get("version") or None,
                healthy=healthy,
                detail=str(p.get("detail", ""))[:300],
            )
        )
    return out
