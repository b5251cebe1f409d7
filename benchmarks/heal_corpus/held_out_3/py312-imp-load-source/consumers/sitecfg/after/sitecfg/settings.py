"""Site settings: defaults, overridden by an optional local file of Python assignments (site.conf)."""

import os
import types
from importlib.machinery import SourceFileLoader

DEFAULTS = {"DEBUG": False, "WORKERS": 2, "ALLOWED_HOSTS": ["localhost"]}


def load(path="site.conf"):
    settings = dict(DEFAULTS)
    if os.path.exists(path):
        loader = SourceFileLoader("site_local_settings", path)
        local = types.ModuleType(loader.name)
        loader.exec_module(local)
        settings.update({k: v for k, v in vars(local).items() if k.isupper()})
    return settings
