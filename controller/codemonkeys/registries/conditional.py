"""Conditional requests for the registry observers: what a registry last answered for a document (its
``ETag`` / ``Last-Modified`` validators and body), kept in the state directory, so that the next
observation asks ``If-None-Match`` / ``If-Modified-Since`` and a registry where nothing moved answers
``304 Not Modified`` with no body (npm's packuments, PyPI's JSON API and crates.io's sparse index send
validators; a registry that sends none is fetched in full as before).

Every observation still asks the registry (a just-published version must show at once): this is
revalidation, never freshness, which is why a general RFC 9111 cache is not used here; such a cache
also keeps the request's headers, ``Authorization`` included, on disk. Only documents are kept (never a
token endpoint's answer: callers opt in per request), keyed by URL and ``Accept``; a product of another
company reading the same URL revalidates with its own credentials, and a refusal is not a 304.
The directory is safe to delete; an unreadable entry is a miss.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import httpx

from codemonkeys.vocab.atomicfile import write_atomic

VALIDATORS = {"etag": "If-None-Match", "last-modified": "If-Modified-Since"}
KEPT_HEADERS = ("content-type", "etag", "last-modified")


@dataclass(frozen=True)
class Kept:
    """A document as the registry last sent it."""

    status: int
    headers: dict[str, str]
    body: bytes

    def conditions(self) -> dict[str, str]:
        """The request headers that ask whether it changed."""
        return {ask: self.headers[h] for h, ask in VALIDATORS.items() if h in self.headers}


class ConditionalStore:
    """Kept documents under ``root``: ``<key>.json`` (status, validators) and ``<key>.body``."""

    def __init__(self, root: Path):
        self.root = root

    @staticmethod
    def key(url: str, accept: str) -> str:
        """The entry of a URL as asked for with ``accept``."""
        return hashlib.sha256(f"{url}\n{accept}".encode()).hexdigest()[:32]

    def get(self, key: str) -> Kept | None:
        """The kept document, or None (never kept, or unreadable)."""
        try:
            meta = json.loads((self.root / f"{key}.json").read_text())
            body = (self.root / f"{key}.body").read_bytes()
            if hashlib.sha256(body).hexdigest() != meta["sha256"]:
                return None
            return Kept(int(meta["status"]), dict(meta["headers"]), body)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, response: httpx.Response) -> None:
        """Keep ``response`` if it carries a validator (a write that fails only loses the entry)."""
        headers = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
        if not any(h in headers for h in VALIDATORS):
            return
        meta = {
            "status": response.status_code,
            "headers": headers,
            "sha256": hashlib.sha256(response.content).hexdigest(),
        }
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            write_atomic(self.root / f"{key}.body", response.content)  # the body first: meta names its hash
            write_atomic(self.root / f"{key}.json", json.dumps(meta).encode())
        except OSError:
            pass

    @staticmethod
    def answer(kept: Kept, response: httpx.Response) -> httpx.Response:
        """The kept document as the answer to the request a 304 answered."""
        return httpx.Response(kept.status, headers=kept.headers, content=kept.body, request=response.request)
