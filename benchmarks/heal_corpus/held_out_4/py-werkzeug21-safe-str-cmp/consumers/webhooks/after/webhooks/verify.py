"""Check the HMAC-SHA256 signature that a forge sends with each webhook."""

import hashlib
import hmac as hmac_mod


def expected_signature(secret, body):
    return "sha256=" + hmac_mod.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid(secret, body, header):
    if not header:
        return False
    return hmac_mod.compare_digest(expected_signature(secret, body), header)


def is_replay(delivery_id, seen_ids):
    return any(hmac_mod.compare_digest(delivery_id, seen) for seen in seen_ids)
