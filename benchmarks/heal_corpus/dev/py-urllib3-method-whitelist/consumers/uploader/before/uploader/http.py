from urllib3.util.retry import Retry

IDEMPOTENT = frozenset({"HEAD", "GET", "PUT", "DELETE"})


def retrying(total=3):
    return Retry(
        total=total,
        method_whitelist=IDEMPOTENT,
    )
