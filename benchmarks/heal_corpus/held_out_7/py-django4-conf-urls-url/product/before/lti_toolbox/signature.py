"""HMAC-SHA1 signatures of LTI launch parameters (a simplified OAuth 1.0 base string)."""
import base64
import hashlib
import hmac
from urllib.parse import quote


def base_string(method, url, params):
    pairs = sorted((k, v) for k, v in params.items() if k != "oauth_signature")
    encoded = "&".join("%s=%s" % (quote(k, safe=""), quote(v, safe="")) for k, v in pairs)
    return "&".join(quote(part, safe="") for part in (method.upper(), url, encoded))


def sign_parameters(method, url, params, secret):
    key = (quote(secret, safe="") + "&").encode()
    digest = hmac.new(key, base_string(method, url, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify(method, url, params, secrets):
    """True if the request is signed by a known consumer."""
    secret = secrets.get(params.get("oauth_consumer_key", ""))
    if secret is None or "oauth_signature" not in params:
        return False
    expected = sign_parameters(method, url, params, secret)
    return hmac.compare_digest(expected, params["oauth_signature"])
