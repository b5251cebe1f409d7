"""Firewall admin backend: the password part (a small part, written for this corpus)."""
import os
import sqlite3
import sys
import tempfile

import psutil
from passlib.context import CryptContext

crypto = CryptContext(schemes=["bcrypt"], deprecated="auto")


class SQLite:
    """A tiny key/value store on top of sqlite3."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path)
        self.conn.execute("CREATE TABLE IF NOT EXISTS keys_values (key TEXT PRIMARY KEY, value TEXT)")

    def get(self, key):
        row = self.conn.execute("SELECT value FROM keys_values WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key, value):
        self.conn.execute("INSERT OR REPLACE INTO keys_values (key, value) VALUES (?, ?)", (key, value))
        self.conn.commit()


db = SQLite(os.environ.get("FIREGEX_DB", os.path.join(tempfile.mkdtemp(), "firegex.db")))


def APP_STATUS(): return "init" if db.get("password") is None else "run"


def set_psw(psw: str):
    hash_psw = crypto.hash(psw)
    db.put("password", hash_psw)


def login(psw: str) -> bool:
    stored = db.get("password")
    return stored is not None and crypto.verify(psw, stored)


def status():
    return {"status": APP_STATUS(), "cpus": psutil.cpu_count()}


if __name__ == "__main__":
    print(status())
    set_psw("s3cr3t-Passw0rd")
    ok, bad = login("s3cr3t-Passw0rd"), login("wrong")
    print(status(), ok, bad)
    sys.exit(0 if (ok and not bad and APP_STATUS() == "run") else 1)
