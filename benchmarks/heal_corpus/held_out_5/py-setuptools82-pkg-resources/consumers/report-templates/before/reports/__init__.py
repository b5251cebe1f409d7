"""Render report headers from the templates shipped in the package."""

import json

import pkg_resources


def default_settings():
    return json.loads(pkg_resources.resource_string(__name__, "data/defaults.json"))


def header_path():
    return pkg_resources.resource_filename(__name__, "data/header.txt")


def render(title):
    with open(header_path()) as f:
        header = f.read()
    settings = default_settings()
    return header.format(title=title.upper() if settings["upper"] else title)
