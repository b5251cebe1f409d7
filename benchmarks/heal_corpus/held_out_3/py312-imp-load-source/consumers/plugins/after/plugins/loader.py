"""Load every plugin file of a directory: each defines NAME and run(text)."""

import importlib.util
import os


def load_all(directory):
    plugins = {}
    for filename in sorted(os.listdir(directory)):
        if not filename.endswith(".py") or filename.startswith("_"):
            continue
        modname = "plugin_" + filename[:-3]
        spec = importlib.util.spec_from_file_location(modname, os.path.join(directory, filename))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        plugins[module.NAME] = module.run
    return plugins
