"""Product code in a sandbox: every process that runs a product's code (local builds, heal and change
proofs, ``cmctl fleet exec``, docs builds, packaging for a file registry) runs under bubblewrap.

A base-layer module beside ``context.py``: the actuators (``act/``) and the change proposals
(``engine/changes.py``) ask ``prepare`` for the argument list and environment of one run, then start it
with ``act.base.run_command`` as before. What the product's process gets (``Jail``):

* its own PID, IPC and UTS namespaces (``--unshare-pid``: ``/proc`` shows only its own processes, not the
  controller's ``/proc/<pid>/environ``), ``--die-with-parent``, ``--new-session``, every capability dropped;
* ``/`` read-only; over it a fresh ``/tmp`` (``TMPDIR``) with a temporary ``HOME`` in it, the real home
  directory replaced by an empty one in which only the toolchains come back read-only (pyenv, rustup,
  Cargo's binaries and registry cache, nvm, ``~/.local``, and the PATH entries under home), the fleet's
  state directory (``.cmctl``: the store, the mirrors, other products' work), the fleet's ``secrets/``,
  ``CMCTL_SECRETS_DIR``, the age identity, the cache home (``CMCTL_HOME``) and whatever else the front end
  names hidden (an empty directory, or ``/dev/null`` over a file);
* the product's worktree writable (and an output directory when packaging), its own git mirror
  read-only (so ``git log`` / ``git describe`` work in the worktree);
* an environment that is an allow-list: PATH, LANG, LC_ALL, TZ, HOME, TMPDIR, the toolchain locators
  (RUSTUP_HOME, CARGO_HOME, PYENV_ROOT, ...), and what the product declares in ``spec.build.env`` (a
  ``{secretRef: NAME}`` resolved here, and redacted like every secret);
* the network the product declares (``spec.build.network``): ``none`` is a network namespace of its own
  (loopback only); ``registries`` (the default) and ``all`` share the host's network: bubblewrap cannot
  filter by address, so ``registries`` documents the intent and is enforced only as far as the host's
  own firewall does (see the threat model in ARCHITECTURE.md).

Where bubblewrap cannot run, ``prepare`` refuses (``Prepared.refused`` says why). A context that is
``unsandboxed`` (``--unsandboxed``, ``CMCTL_UNSANDBOXED=1``) runs product code as before the sandbox:
the controller's environment (``Context.tool_env``) plus ``build.env``, everything the controller may read
readable. Ansible and Terraform runs are the controller's own playbooks and
configurations and are not sandboxed here.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codemonkeys.context import Context
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import SecretRef
from codemonkeys.repos import mirror_path
from codemonkeys.secrets import DIR_ENV, IDENTITY_ENV, SecretError
from codemonkeys.vocab.enums import BuildNetwork

BWRAP = "bwrap"
BWRAP_ENV = "CMCTL_BWRAP"  # another bubblewrap executable (a path or a name on PATH)
SANDBOX_HOME = "/tmp/home"  # HOME inside the sandbox (in its own /tmp)
PASSED = ("LANG", "LC_ALL", "TZ")  # taken from the controller's environment when set
TOOLCHAIN_VARS = ("RUSTUP_HOME", "CARGO_HOME", "PYENV_ROOT", "RUSTUP_TOOLCHAIN", "PYENV_VERSION", "NVM_DIR")
TOOLCHAINS = (  # under the real home directory, read-only when they exist (never credentials)
    ".pyenv",
    ".rustup",
    ".cargo/bin",
    ".cargo/registry",
    ".cargo/git",
    ".nvm",
    ".volta",
    ".local/bin",
    ".local/lib",
    ".local/share/pnpm",
)
UNSANDBOXED_HINT = "give --unsandboxed (or CMCTL_UNSANDBOXED=1) to run product code without a sandbox"


@dataclass(frozen=True)
class Jail:
    """What one run of product code may see and use."""

    writable: tuple[Path, ...]  # the worktree, an output directory
    readable: tuple[Path, ...] = ()  # read-only inside what is hidden (the product's git mirror)
    hidden: tuple[Path, ...] = ()  # state directory, secrets, identity, cache home
    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # the product's declared env, resolved
    network: BuildNetwork = BuildNetwork.REGISTRIES


@dataclass(frozen=True)
class Prepared:
    """A command ready for ``run_command``: its argument list and environment, or why it may not run."""

    args: list[str]
    env: dict[str, str] = field(repr=False)
    refused: str | None = None  # product code must not run: bubblewrap is missing and no opt-out given
    sandboxed: bool = True


@functools.cache
def unavailable(bwrap: str = BWRAP) -> str | None:
    """Why bubblewrap cannot run here (None when it can): not installed, or refused by the kernel (no
    user namespaces, a container without the privilege). Probed once per process."""
    path = shutil.which(bwrap)
    if path is None:
        return f"bubblewrap ({bwrap}) is not installed (Debian: apt-get install bubblewrap)"
    args = [path, "--unshare-pid", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc"]
    args += ["--dev", "/dev", "--cap-drop", "ALL", "true"]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap cannot run: {exc}"
    if done.returncode != 0:
        return f"bubblewrap cannot run here: {(done.stderr or done.stdout).strip()[:200]}"
    return None


def status(context: Context) -> str:
    """One line for ``cmctl status`` and the controller's start: how product code runs in this process."""
    if context.unsandboxed:
        return (
            "product code runs UNSANDBOXED (--unsandboxed): it can read the controller's environment, files"
        )
    why = unavailable(context.env.get(BWRAP_ENV) or BWRAP)
    if why is None:
        return "product code runs sandboxed (bubblewrap)"
    return f"product code is refused: {why}; {UNSANDBOXED_HINT}"


def tool_path(context: Context) -> str:
    """PATH for product code: our interpreter's bin directory first (so ``python`` is this Python)."""
    return os.pathsep.join([str(Path(sys.executable).parent), context.env.get("PATH", os.defpath)])


def real_home(context: Context) -> Path:
    """The controller's home directory (hidden from product code, but for its toolchains)."""
    return Path(context.env.get("HOME") or Path.home())


def base_env(context: Context, home: str, tmp: str) -> dict[str, str]:
    """The allow-listed environment of product code, before the product's own ``build.env``."""
    env = {"PATH": tool_path(context), "HOME": home, "TMPDIR": tmp, "PYTHONDONTWRITEBYTECODE": "1"}
    env |= {k: context.env[k] for k in PASSED if context.env.get(k)}
    home_dir = real_home(context)
    defaults = {"RUSTUP_HOME": home_dir / ".rustup", "CARGO_HOME": home_dir / ".cargo"}
    for name in TOOLCHAIN_VARS:  # toolchains found from HOME would be looked for in the temporary one
        value = context.env.get(name) or (str(defaults[name]) if name in defaults else "")
        if value and (name not in defaults or Path(value).exists()):
            env[name] = value
    return env


def product_jail(
    context: Context,
    desired: DesiredState,
    product: str,
    writable: Iterable[Path],
    hidden: Iterable[Path] = (),
) -> Jail | str:
    """The jail of ``product``'s code with ``writable`` (its worktree, an output directory) writable;
    a message instead when its declared environment names a secret that cannot be resolved."""
    spec = desired.products[product].spec
    build = spec.build
    env: dict[str, str] = {}
    if build is not None and build.env:
        secrets = context.secrets.at(desired.root)
        for name, value in build.env.items():
            if isinstance(value, SecretRef):
                try:
                    env[name] = secrets.refs.require(value.secret_ref)
                except SecretError as exc:
                    return f"spec.build.env.{name}: {exc}"
            else:
                env[name] = value
    network = (build.network if build is not None else None) or BuildNetwork.REGISTRIES
    mirror = mirror_path(desired.state_dir, desired.repo_location(product))
    return Jail(
        writable=tuple(writable),
        readable=(mirror,),
        hidden=(*secret_places(context, desired), *hidden),
        env=env,
        network=network,
    )


def secret_places(context: Context, desired: DesiredState | None) -> list[Path]:
    """What product code must never see: the fleet's state directory and secrets, the secrets
    directory, the age identity, the cache home (the real home directory is hidden as a whole)."""
    places = [context.home, *sorted(context.held_files)]
    if desired is not None:
        places += [desired.state_dir, desired.root / "secrets"]
    places += [Path(context.env[n]) for n in (DIR_ENV, IDENTITY_ENV) if context.env.get(n)]
    return places


def prepare(context: Context, args: Sequence[str], jail: Jail) -> Prepared:
    """The argument list and environment that run ``args`` in ``jail``; refused (with the reason and how
    to opt out) when bubblewrap cannot run and the context is not ``unsandboxed``."""
    if context.unsandboxed:  # as before the sandbox: the controller's environment, its files, its /proc
        return Prepared(list(args), context.tool_env() | dict(jail.env), sandboxed=False)
    why = unavailable(context.env.get(BWRAP_ENV) or BWRAP)
    if why is not None:
        refused = f"refusing to run product code: {why}; {UNSANDBOXED_HINT}"
        return Prepared(list(args), {}, refused=refused)
    env = _fixed(base_env(context, SANDBOX_HOME, "/tmp") | dict(jail.env), context, SANDBOX_HOME, "/tmp")
    return Prepared([*bwrap_args(context, jail), "--", *args], env)


def _fixed(env: dict[str, str], context: Context, home: str, tmp: str) -> dict[str, str]:
    """The product may add variables, never move PATH, HOME or TMPDIR."""
    return env | {"PATH": tool_path(context), "HOME": home, "TMPDIR": tmp}


def bwrap_args(context: Context, jail: Jail) -> list[str]:
    """bubblewrap's arguments for ``jail`` (the mounts are applied in order: hide, then re-expose)."""
    path = shutil.which(context.env.get(BWRAP_ENV) or BWRAP) or BWRAP
    args = [path, "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if jail.network is BuildNetwork.NONE:
        args.append("--unshare-net")
    args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    home = real_home(context)
    masked = [Path("/tmp")]  # replaced by empty ones: what a toolchain needs there comes back read-only
    if home != Path("/") and home.is_dir():
        args += ["--tmpfs", str(home)]
        masked.append(home)
        for rel in TOOLCHAINS:
            if (home / rel).is_dir():
                args += ["--ro-bind", str(home / rel), str(home / rel)]
    # the interpreter's environment and the PATH's directories, also where they live under /tmp (a
    # virtual environment of a checkout there) or under the home directory
    tools = [Path(e) for e in tool_path(context).split(os.pathsep) if e]
    for entry in dict.fromkeys([*tools, Path(sys.prefix), Path(sys.base_prefix)]):
        if any(entry.is_relative_to(m) for m in masked) and entry.is_dir():
            args += ["--ro-bind", str(entry), str(entry)]
    for hidden in jail.hidden:
        if hidden.is_dir():
            args += ["--tmpfs", str(hidden)]
        elif hidden.exists():
            args += ["--ro-bind", "/dev/null", str(hidden)]
    args += ["--dir", SANDBOX_HOME]
    for readable in jail.readable:
        if readable.exists():
            args += ["--ro-bind", str(readable), str(readable)]
    for writable in jail.writable:
        args += ["--bind", str(writable), str(writable)]
    return args


def product_command(
    context: Context,
    desired: DesiredState,
    product: str,
    args: Sequence[str],
    writable: Iterable[Path],
) -> Prepared:
    """``prepare`` for ``product``'s code (``product_jail``): the one call the actuators and
    ``cmctl fleet exec`` make before ``run_command``."""
    jail = product_jail(context, desired, product, writable)
    if isinstance(jail, str):
        return Prepared(list(args), {}, refused=jail)
    return prepare(context, args, jail)
