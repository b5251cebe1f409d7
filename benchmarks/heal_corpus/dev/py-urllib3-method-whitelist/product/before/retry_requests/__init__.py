"""A urllib3 pool that retries, POST included."""

import urllib3
from urllib3.util.retry import Retry


def retrying_pool(attempts=3, pause=0.5, codes=(500, 502, 503, 504), **retry_args):
    pool = urllib3.PoolManager()

    # also retry methods that are not idempotent
    retry_args.setdefault("method_whitelist", False)

    policy = Retry(
        total=attempts,
        backoff_factor=pause,
        status_forcelist=codes,
        **retry_args
    )
    pool.connection_pool_kw["retries"] = policy
    return pool


if __name__ == "__main__":
    print(retrying_pool().connection_pool_kw["retries"])
