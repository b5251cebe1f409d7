"""What a deploy run needs from an environment's spec: the health check as playbook variables, the
settings split into plain and secret ones, the playbook, the artifact of a version."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codemonkeys.kinds.models import Environment, Product, SecretRef
from codemonkeys.registries.file import list_files, package_dir
from codemonkeys.secrets import SecretProvider

PROBE_PLAYBOOK = "deploy-probe.yml"
DEPLOY_PLAYBOOK = "deploy.yml"


def health_vars(env: Environment) -> dict[str, Any]:
    """``cm_health`` for the playbooks."""
    hc = env.health_check
    if hc.http is not None:
        return {"kind": "http", "path": hc.http.path, "port": hc.http.port, "expect": hc.http.expect or ""}
    return {"kind": "command", "command": list(hc.command or [])}


@dataclass(frozen=True, repr=False)
class Settings:
    """An environment's vars: plain ones, secret ones (values: never printed), and unresolvable names."""

    plain: dict[str, Any]
    secret: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Settings(plain={sorted(self.plain)}, secret={sorted(self.secret)}, errors={self.errors})"


def settings(env: Environment, provider: SecretProvider) -> Settings:
    """Resolve the environment's ``{secretRef: NAME}`` vars through ``provider``."""
    plain = {k: v for k, v in env.vars.items() if not isinstance(v, SecretRef)}
    secret: dict[str, str] = {}
    errors: list[str] = []
    for key, value in env.vars.items():
        if isinstance(value, SecretRef):
            r = provider.resolve(value.secret_ref)
            if r.value is None:
                errors.append(r.error or f"secret {value.secret_ref} is not set")
            else:
                secret[key] = r.value
    return Settings(plain, secret, errors)


def playbook(env: Environment, fleet_root: Path, ansible_dir: Path, default: str) -> Path:
    """The environment's own playbook (a fleet-repo path), else the shipped one."""
    return (fleet_root / env.playbook) if env.playbook else ansible_dir / default


def module_name(product: Product, name: str) -> str:
    """The Python module the shipped playbook runs (``python -m``): the first published package's name."""
    rel = product.spec.release
    package = rel.publish[0].package if rel and rel.publish else name
    return re.sub(r"[^A-Za-z0-9_]", "_", package)


def find_artifact(registry_root: Path, product: Product, package: str, version: str) -> Path | None:
    """The wheel of ``package`` ``version`` in a ``file`` registry, None if it is not there."""
    norm = re.sub(r"[-_.]+", "_", package).lower()
    for f in list_files(registry_root, product.spec.language, package):
        if f.endswith(".whl") and f.lower().startswith(f"{norm}-{version}-"):
            return package_dir(registry_root, product.spec.language, package) / f
    return None
