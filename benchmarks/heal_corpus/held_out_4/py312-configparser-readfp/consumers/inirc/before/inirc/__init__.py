"""Read a tool's settings from an INI file."""

import configparser


def load_settings(path):
    parser = configparser.RawConfigParser()
    with open(path) as fh:
        parser.readfp(fh)
    return {
        "editor": parser.get("core", "editor", fallback="vi"),
        "pager": parser.get("core", "pager", fallback="less"),
        "color": parser.getboolean("ui", "color", fallback=False),
    }
