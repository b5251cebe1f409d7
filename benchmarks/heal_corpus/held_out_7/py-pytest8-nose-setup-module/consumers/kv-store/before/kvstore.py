"""A tiny append-only key/value store kept in one file."""
import json
import os


class KVStore:
    def __init__(self, path):
        self.path = path
        self.data = {}
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    rec = json.loads(line)
                    if rec.get("deleted"):
                        self.data.pop(rec["key"], None)
                    else:
                        self.data[rec["key"]] = rec["value"]

    def _append(self, rec):
        with open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def set(self, key, value):
        self.data[key] = value
        self._append({"key": key, "value": value})

    def delete(self, key):
        self.data.pop(key, None)
        self._append({"key": key, "deleted": True})

    def get(self, key, default=None):
        return self.data.get(key, default)
