import time


class TTLCache:
    """A dict whose entries expire `ttl` seconds after they were set."""

    def __init__(self, ttl, clock=time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._items = {}

    def set(self, key, value):
        self._items[key] = (self.clock() + self.ttl, value)

    def get(self, key, default=None):
        expires, value = self._items.get(key, (None, default))
        if expires is not None and expires <= self.clock():
            del self._items[key]
            return default
        return value

    def remaining(self, key):
        """Seconds left before `key` expires."""
        return max(0.0, self._items[key][0] - self.clock())
