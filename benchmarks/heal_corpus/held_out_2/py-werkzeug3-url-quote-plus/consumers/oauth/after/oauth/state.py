from urllib.parse import quote_plus, unquote_plus


def encode_state(values):
    """The OAuth state parameter carrying a few key/value pairs through the provider."""
    return "&".join(f"{key}={quote_plus(str(value))}" for key, value in sorted(values.items()))


def decode_state(state):
    pairs = (item.split("=", 1) for item in state.split("&") if item)
    return {key: unquote_plus(value) for key, value in pairs}
