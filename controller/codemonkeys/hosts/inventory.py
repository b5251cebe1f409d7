"""An environment's hosts: its Ansible inventory file, or one written from a Terraform output of the
product's applied infra (``hostsFrom: {terraformOutput: NAME}``). Host order is the inventory's."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codemonkeys.kinds.models import DocsSshTarget, Environment

_ANSIBLE = threading.Lock()


class InventoryError(Exception):
    """The inventory cannot be read (missing file, bad output); the message names what."""


@dataclass(frozen=True)
class Inventory:
    """An inventory Ansible can read (``path``) and its hosts in order."""

    path: Path
    hosts: tuple[str, ...]


def hosts_from_output(value: Any) -> dict[str, dict[str, Any]]:
    """Pure: a Terraform output -> host name -> host vars. Accepts a list of addresses, a list of
    ``{name, ...vars}``, or a map name -> vars."""
    if isinstance(value, dict):
        return {str(k): dict(v or {}) for k, v in value.items()}
    if isinstance(value, list):
        out: dict[str, dict[str, Any]] = {}
        for item in value:
            if isinstance(item, str):
                out[item] = {}
            elif isinstance(item, dict) and "name" in item:
                out[str(item["name"])] = {k: v for k, v in item.items() if k != "name"}
            else:
                raise InventoryError(
                    f"a host in the output is neither an address nor {{name: ...}}: {item!r}"
                )
        return out
    raise InventoryError(f"the output is not a list or map of hosts: {type(value).__name__}")


def list_hosts(path: Path) -> tuple[str, ...]:
    """The hosts of an inventory file in its order (Ansible's own inventory parser, in process)."""
    if not path.is_file():
        raise InventoryError(f"inventory {path} not found")
    with _ANSIBLE:  # Ansible's plugin loader is not thread-safe (environments and products observe at once)
        from ansible.inventory.manager import InventoryManager  # the [deploy] extra
        from ansible.parsing.dataloader import DataLoader

        manager = InventoryManager(loader=DataLoader(), sources=[str(path)])
        return tuple(h.name for h in manager.get_hosts())


def resolve(
    env: Environment | DocsSshTarget, fleet_root: Path, outputs: dict[str, Any] | None, scratch: Path
) -> Inventory:
    """The inventory of a deploy environment or a docs target; ``outputs`` are the product's applied
    Terraform outputs (hostsFrom), written as a YAML-compatible JSON inventory under ``scratch``."""
    if env.inventory is not None:
        path = (fleet_root / env.inventory).resolve()
        if not path.is_file():
            raise InventoryError(f"inventory {env.inventory} not found")
        return Inventory(path, list_hosts(path))
    assert env.hosts_from is not None
    name = env.hosts_from.terraform_output
    if not outputs or name not in outputs:
        raise InventoryError(f"the applied infra has no output {name!r} (hostsFrom)")
    hosts = hosts_from_output(outputs[name])
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"inventory-{env.key if isinstance(env, DocsSshTarget) else env.name}.json"
    path.write_text(json.dumps({"all": {"hosts": hosts}}))
    return Inventory(path, tuple(hosts))


def applied_outputs(desired, store, name: str) -> dict[str, Any] | None:
    """The outputs of the product's last applied infra (for ``hostsFrom``), None without infra."""
    product = desired.products[name]
    if product.spec.infra is None:
        return None
    record = store.infra_applied(name, product.spec.infra.terraform.workspace)
    return dict(record.outputs or {}) if record is not None else None
