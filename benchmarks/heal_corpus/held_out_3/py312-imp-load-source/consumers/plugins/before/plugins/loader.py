"""Load every plugin file of a directory: each defines NAME and run(text)."""

import imp
import os


def load_all(directory):
    plugins = {}
    for filename in sorted(os.listdir(directory)):
        if not filename.endswith(".py") or filename.startswith("_"):
            continue
        modname = "plugin_" + filename[:-3]
        module = imp.load_source(modname, os.path.join(directory, filename))
        plugins[module.NAME] = module.run
    return plugins
