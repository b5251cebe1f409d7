"""A fleet repo the controller follows from a git URL: cloned once, then fetched (polling or on a push
webhook) and fast-forwarded to the remote branch. The checkout is the fleet root the loader reads."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from codemonkeys.gitutil import git

_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/\s]+@[^/\s]+:)", re.I)


def is_git_url(text: str) -> bool:
    return bool(_URL.match(text))


def cache_home() -> Path:
    return Path(os.environ.get("CMCTL_HOME") or Path.home() / ".cache" / "codemonkeys")


@dataclass
class RemoteFleet:
    url: str
    branch: str = "main"
    root: Path | None = None

    def __post_init__(self) -> None:
        if self.root is None:
            name = self.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "fleet"
            self.root = (
                cache_home() / "fleets" / f"{name}-{hashlib.sha256(self.url.encode()).hexdigest()[:8]}"
            )

    def sync(self) -> bool:
        """Clone or fetch; make the checkout the remote branch. Returns whether the commit changed."""
        assert self.root is not None
        if not (self.root / ".git").exists():
            self.root.parent.mkdir(parents=True, exist_ok=True)
            git(["clone", "--quiet", "--branch", self.branch, self.url, str(self.root)], self.root.parent)
            return True
        before = git(["rev-parse", "HEAD"], self.root)
        git(["fetch", "--quiet", "--prune", "origin", self.branch], self.root)
        git(["reset", "--quiet", "--hard", f"origin/{self.branch}"], self.root)
        return git(["rev-parse", "HEAD"], self.root) != before
