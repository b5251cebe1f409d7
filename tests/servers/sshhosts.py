"""Real SSH test hosts: one Debian ``sshd`` per host on its own loopback address (127.0.0.N:2222), each
with its own host key and deploy directory, reached with a key made here. Hosts run their own service
processes (started by the deploys). Used by tests/test_e2e_deploy.py and benchmarks/deploy.py."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"
PORT = 2222


@dataclass
class SshHost:
    """One host: its name, address, directory and its sshd process."""

    name: str
    address: str
    root: Path
    config: Path
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start (or restart) this host's sshd and wait until it accepts connections."""
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-f", str(self.config), "-E", str(self.root.parent / f"{self.name}-sshd.log")]
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.address, PORT), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd of {self.name} did not start")

    def stop(self) -> None:
        """Stop this host's sshd (the host is down for Ansible)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
            self.proc = None

    def stop_service(self) -> None:
        """Kill the service process a deploy started on this host, if any."""
        self.stop_service_at(self.root)

    def stop_service_at(self, root: Path) -> None:
        """Kill the service process a deploy started in ``root`` (a deploy_root on this host), if any."""
        pid_file = root / "service.pid"
        if pid_file.exists():
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)


@dataclass
class SshHosts:
    """A set of hosts, the client key and known_hosts that reach them."""

    base: Path
    key: Path
    known_hosts: Path
    hosts: list[SshHost] = field(default_factory=list)

    def inventory(self, names: list[str], extra: dict[str, dict] | None = None) -> str:
        """An Ansible YAML inventory of ``names`` over real SSH (never a local connection)."""
        lines = ["all:", "  hosts:"]
        for h in self.hosts:
            if h.name not in names:
                continue
            lines += [
                f"    {h.name}:",
                f"      ansible_host: {h.address}",
                f"      ansible_port: {PORT}",
                "      ansible_user: root",
                "      ansible_connection: ssh",
                f"      ansible_ssh_private_key_file: {self.key}",
                "      ansible_ssh_common_args: "
                f"'-o UserKnownHostsFile={self.known_hosts} -o StrictHostKeyChecking=yes'",
                "      ansible_python_interpreter: /usr/bin/python3",
                f"      deploy_root: {h.root}",
            ]
            for k, v in ((extra or {}).get(h.name) or {}).items():
                lines.append(f"      {k}: {v}")
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        """Stop every sshd and service."""
        for h in self.hosts:
            h.stop_service()
            h.stop()


def start_hosts(base: Path, count: int, first_octet: int = 21) -> SshHosts:
    """Create and start ``count`` hosts under ``base`` (needs root and Debian's openssh-server)."""
    base.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    key = base / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    authorized = base / "authorized_keys"
    shutil.copy(f"{key}.pub", authorized)
    known = []
    hosts = SshHosts(base, key, base / "known_hosts")
    for i in range(count):
        name, address = f"h{i + 1}", f"127.0.0.{first_octet + i}"
        hkey = base / f"{name}_host_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(hkey)], check=True)
        known.append(f"[{address}]:{PORT} " + " ".join(Path(f"{hkey}.pub").read_text().split()[:2]))
        root = base / "hosts" / name
        root.mkdir(parents=True)
        config = base / f"{name}_sshd_config"
        config.write_text(
            f"ListenAddress {address}:{PORT}\nHostKey {hkey}\nPidFile {base}/{name}-sshd.pid\n"
            f"AuthorizedKeysFile {authorized}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPrintMotd no\nMaxStartups 50\n"
            "MaxSessions 50\nSubsystem sftp internal-sftp\n"
        )
        host = SshHost(name, address, root, config)
        hosts.hosts.append(host)
        host.start()
    hosts.known_hosts.write_text("\n".join(known) + "\n")
    return hosts
