"""Key bindings: a built-in set (vi or emacs), then the user's [keybinding] section."""

import configparser

DEFAULT_KEYBINDINGS_SECTIONS = ("global", "navigation")

BUILTIN_KEYBINDINGS = {
    "vi": {
        "global": {"q": "{ACTION_QUIT}", ":": "{ACTION_COMMAND_BAR}"},
        "navigation": {"j": "{ACTION_DOWN}", "k": "{ACTION_UP}", "gg": "{ACTION_TOP}"},
    },
    "emacs": {
        "global": {"<Ctrl> x <Ctrl> c": "{ACTION_QUIT}"},
        "navigation": {"<Ctrl> n": "{ACTION_DOWN}", "<Ctrl> p": "{ACTION_UP}"},
    },
}


class KeybindingParser:
    def __init__(self, config):
        self.config = config
        self.noop_action_name = "{ACTION_NOOP}"
        self.default_keybinding_name = self.config.get('vit', 'default_keybindings')
        self.default_keybindings = configparser.ConfigParser()
        self.default_keybindings.optionxform=str
        self.sections = DEFAULT_KEYBINDINGS_SECTIONS
        self.keybindings = {}
        self.load_default_keybindings()
        self.load_user_keybindings()

    def load_default_keybindings(self):
        self.default_keybindings.read_dict(BUILTIN_KEYBINDINGS[self.default_keybinding_name])
        for section in self.sections:
            for key, action in self.default_keybindings.items(section):
                self.keybindings[key] = action

    def load_user_keybindings(self):
        for key, action in self.config.items("keybinding"):
            self.keybindings[key] = action or self.noop_action_name
