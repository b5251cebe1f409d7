"""The user's configuration (config.ini), read over built-in defaults."""

import configparser
import os

VIT_CONFIG_FILE = "config.ini"

DEFAULTS = {
    "vit": {
        "default_keybindings": "vi",
        "confirmation": "True",
        "wait": "True",
    },
    "report": {
        "default_report": "next",
        "indicator.active": "*",
    },
}

BOOLEAN_VALUES = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class Loader:
    """Where the user's files are: a directory, VIT_DIR or ~/.vit."""

    def __init__(self, user_config_dir=None):
        self.user_config_dir = user_config_dir or os.environ.get("VIT_DIR") or os.path.expanduser("~/.vit")


class ConfigParser:
    def __init__(self, loader):
        self.loader = loader
        self.config = configparser.SafeConfigParser()
        self.config.optionxform = str
        self.user_config_dir = self.loader.user_config_dir
        self.user_config_filepath = '%s/%s' % (self.user_config_dir, VIT_CONFIG_FILE)
        self.config.read_dict(DEFAULTS)
        if os.path.exists(self.user_config_filepath):
            self.config.read(self.user_config_filepath)

    def get(self, section, key):
        return self.config.get(section, key)

    def is_true(self, section, key):
        return BOOLEAN_VALUES[self.get(section, key).strip().lower()]

    def items(self, section):
        return self.config.items(section) if self.config.has_section(section) else []


if __name__ == "__main__":
    import tempfile

    from vit.keybinding_parser import KeybindingParser

    with tempfile.TemporaryDirectory() as home:
        with open(os.path.join(home, VIT_CONFIG_FILE), "w") as f:
            f.write("[vit]\nconfirmation = no\n\n[keybinding]\nZZ = {ACTION_QUIT}\n")
        config = ConfigParser(Loader(home))
        print("confirmation:", config.is_true("vit", "confirmation"), "report:", config.get("report", "default_report"))
        keys = KeybindingParser(config)
        print(sorted(keys.keybindings.items()))
