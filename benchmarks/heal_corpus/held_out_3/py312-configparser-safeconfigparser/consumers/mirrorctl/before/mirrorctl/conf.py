"""mirrorctl.ini: one section per mirror, with a url and an interval in minutes."""

from configparser import SafeConfigParser


def read_mirrors(path):
    parser = SafeConfigParser(defaults={"interval": "60", "enabled": "yes"})
    parser.read(path)
    return {
        name: {"url": parser.get(name, "url"), "interval": parser.getint(name, "interval")}
        for name in parser.sections()
        if parser.getboolean(name, "enabled")
    }
