import os

_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0"}


def _strtobool(value):
    """1 or 0 for a truth word, ValueError otherwise (as distutils.util.strtobool, removed in Python 3.12)."""
    value = value.lower()
    if value in _TRUE:
        return 1
    if value in _FALSE:
        return 0
    raise ValueError(f"invalid truth value {value!r}")


def env_flag(name, default="no"):
    """Whether the environment turns a feature on: yes/no, true/false, on/off, 1/0, in any case."""
    return bool(_strtobool(os.environ.get(name, default)))


DEBUG = env_flag("APP_DEBUG")
SEND_EMAILS = env_flag("APP_SEND_EMAILS", "yes")
