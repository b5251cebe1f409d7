import re
try:
    from jinja2 import Markup
except ImportError:
    from markupsafe import Markup


def nl2br(text):
    return Markup(re.sub(r'\n', '<br>', text))
