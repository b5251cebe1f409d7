"""Post events to a collector, with retries."""

import json

import urllib3
from urllib3.util.retry import Retry


class EventSink:

    def pool(self, attempts=4, pause=0.2, codes=(429, 500, 503), manager=None):
        manager = manager or urllib3.PoolManager()
        policy = Retry(total=attempts, connect=attempts, backoff_factor=pause, status_forcelist=codes)
        manager.connection_pool_kw["retries"] = policy
        return manager

    def encode(self, event):
        return json.dumps({"event": event}).encode()


if __name__ == "__main__":
    print(EventSink().pool().connection_pool_kw["retries"])
