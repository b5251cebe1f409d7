try:
    from jinja2 import Markup
except ImportError:
    from markupsafe import Markup


def render(key):
    return Markup('<div data-key="%s"></div>' % key)
