"""A fleet repo the controller follows from a git URL: cloned once, then fetched (polling or on a push
webhook) and fast-forwarded to the remote branch. The checkout is the fleet root the loader reads."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from codemonkeys.api.tools import FollowedClone

_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/\s]+@[^/\s]+:)", re.I)


def is_git_url(text: str) -> bool:
    """Whether ``text`` names a git remote (a URL or scp-style ``user@host:path``) rather than a directory."""
    return bool(_URL.match(text))


class RemoteFleet(FollowedClone):
    """The checkout of a fleet repo followed by URL, under ``home/fleets/<name>-<hash>``."""

    def __init__(self, url: str, branch: str, home: Path):
        name = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "fleet"
        root = home / "fleets" / f"{name}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
        super().__init__(url=url, branch=branch, root=root)
