import os
from distutils.util import strtobool


def env_flag(name, default="no"):
    """Whether the environment turns a feature on: yes/no, true/false, on/off, 1/0, in any case."""
    return bool(strtobool(os.environ.get(name, default)))


DEBUG = env_flag("APP_DEBUG")
SEND_EMAILS = env_flag("APP_SEND_EMAILS", "yes")
