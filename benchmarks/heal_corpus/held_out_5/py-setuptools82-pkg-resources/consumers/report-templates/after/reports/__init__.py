"""Render report headers from the templates shipped in the package."""

import json
from importlib import resources


def default_settings():
    return json.loads(resources.files(__name__).joinpath("data/defaults.json").read_bytes())


def header_path():
    return str(resources.files(__name__).joinpath("data/header.txt"))


def render(title):
    with open(header_path()) as f:
        header = f.read()
    settings = default_settings()
    return header.format(title=title.upper() if settings["upper"] else title)
