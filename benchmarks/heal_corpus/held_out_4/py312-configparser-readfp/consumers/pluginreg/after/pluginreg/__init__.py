"""A plugin registry: built-in defaults, then the user's plugins.cfg on top."""

import configparser
import io

DEFAULTS = """
[plugin:json]
module = pluginreg.formats.json
enabled = true

[plugin:yaml]
module = pluginreg.formats.yaml
enabled = false
"""


def load_registry(path):
    cp = configparser.ConfigParser()
    cp.read_file(io.StringIO(DEFAULTS), "<defaults>")
    with open(path, encoding="utf-8") as fh:
        cp.read_file(fh, path)
    plugins = {}
    for section in cp.sections():
        if section.startswith("plugin:") and cp.getboolean(section, "enabled"):
            plugins[section[len("plugin:"):]] = cp.get(section, "module")
    return plugins
