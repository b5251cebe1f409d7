"""One product's Terraform: where its state, init cache and saved plans live, the environment Terraform
runs with (secret variables as ``TF_VAR_*``), and a ``Workdir`` on its configuration in a checkout.
Shared by the infra observer and the ``infra.apply`` actuator."""

from __future__ import annotations

from pathlib import Path

from codemonkeys.context import Secrets
from codemonkeys.kinds.models import Product, SecretRef, Terraform
from codemonkeys.terraform.runner import Workdir, base_env, terraform_bin


def infra_dir(state_dir: Path, product: str) -> Path:
    """Where one product's Terraform state, init cache and saved plans live."""
    return state_dir / "infra" / product


def plan_path(state_dir: Path, product: str, plan: str) -> Path:
    """The saved plan file of id ``plan``."""
    return infra_dir(state_dir, product) / "plans" / f"{plan}.tfplan"


def terraform_env(
    env: dict[str, str], tf: Terraform, where: Path, secrets: Secrets | None = None
) -> tuple[dict[str, str], list[str]]:
    """The environment for Terraform with each secret variable as ``TF_VAR_<name>`` (never on a command
    line nor in a file), and why each secret variable that cannot be had is missing: its environment
    variable is unset, or its ``{secretRef: NAME}`` cannot be resolved (through ``secrets``)."""
    out = base_env(env, where)
    missing = []
    for var, ref in sorted(tf.secret_vars.items()):
        if isinstance(ref, SecretRef):
            r = secrets.refs.resolve(ref.secret_ref) if secrets is not None else None
            if r is not None and r.value:
                out[f"TF_VAR_{var}"] = r.value
            else:
                missing.append(
                    f"secret variable {var}: {r.error if r else f'secret {ref.secret_ref}: no provider'}"
                )
            continue
        value = env.get(ref)
        if value:
            out[f"TF_VAR_{var}"] = value
        else:
            missing.append(f"secret variable {var} (${ref}) is not set")
    return out, missing


def workdir(
    product: Product, name: str, checkout: Path, state_dir: Path, env: dict[str, str], scratch: Path
) -> Workdir:
    """A ``Workdir`` on the product's configuration inside a checkout."""
    infra = product.spec.infra
    assert infra is not None
    tf = infra.terraform
    product_dir = checkout / product.spec.source.path if product.spec.source.path else checkout
    return Workdir(
        config_dir=product_dir / tf.dir,
        infra_dir=infra_dir(state_dir, name),
        bin_path=terraform_bin(env, scratch),
        env=env,
        workspace=tf.workspace,
        backend_config=tf.backend,
    )
