import re
from jinja2 import Markup


def nl2br(text):
    return Markup(re.sub(r'\n', '<br>', text))
