from jinja2 import Markup


def render(key):
    return Markup('<div data-key="%s"></div>' % key)
