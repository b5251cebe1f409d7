"""Check the HMAC-SHA256 signature that a forge sends with each webhook."""

import hashlib
import hmac as hmac_mod

from werkzeug.security import safe_str_cmp


def expected_signature(secret, body):
    return "sha256=" + hmac_mod.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid(secret, body, header):
    if not header:
        return False
    return safe_str_cmp(expected_signature(secret, body), header)


def is_replay(delivery_id, seen_ids):
    return any(safe_str_cmp(delivery_id, seen) for seen in seen_ids)
