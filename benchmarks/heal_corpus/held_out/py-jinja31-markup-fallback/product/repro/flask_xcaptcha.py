from jinja2 import Markup
