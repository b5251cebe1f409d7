"""Site settings: defaults, overridden by an optional local file of Python assignments (site.conf)."""

import imp
import os

DEFAULTS = {"DEBUG": False, "WORKERS": 2, "ALLOWED_HOSTS": ["localhost"]}


def load(path="site.conf"):
    settings = dict(DEFAULTS)
    if os.path.exists(path):
        local = imp.load_source("site_local_settings", path)
        settings.update({k: v for k, v in vars(local).items() if k.isupper()})
    return settings
