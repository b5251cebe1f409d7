"""One product's Terraform: where its state, init cache and saved plans live, the environment Terraform
runs with (secret variables as ``TF_VAR_*``), and a ``Workdir`` on its configuration in a checkout.
Shared by the infra observer and the ``infra.apply`` actuator."""

from __future__ import annotations

from pathlib import Path

from codemonkeys.kinds.models import Product, Terraform
from codemonkeys.terraform.runner import Workdir, base_env, terraform_bin


def infra_dir(state_dir: Path, product: str) -> Path:
    """Where one product's Terraform state, init cache and saved plans live."""
    return state_dir / "infra" / product


def plan_path(state_dir: Path, product: str, plan: str) -> Path:
    """The saved plan file of id ``plan``."""
    return infra_dir(state_dir, product) / "plans" / f"{plan}.tfplan"


def terraform_env(env: dict[str, str], tf: Terraform, where: Path) -> tuple[dict[str, str], list[str]]:
    """The environment for Terraform with each secret variable as ``TF_VAR_<name>`` (never on a command
    line nor in a file), and the names of secret variables whose environment variable is unset."""
    out = base_env(env, where)
    missing = []
    for var, env_name in sorted(tf.secret_vars.items()):
        value = env.get(env_name)
        if value:
            out[f"TF_VAR_{var}"] = value
        else:
            missing.append(f"{var} (${env_name})")
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
