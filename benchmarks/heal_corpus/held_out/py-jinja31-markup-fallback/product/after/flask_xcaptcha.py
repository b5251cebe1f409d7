"""
A small badge widget for templates.
"""

import sys

NAME = "badge"
STYLE = "display:inline-block;padding:2px 6px"

try:
    import json
    try:
        from jinja2 import Markup
    except ImportError:
        from markupsafe import Markup
    from html import escape
except ImportError:
    print("badge: missing a dependency", file=sys.stderr)
    raise


def badge(label, colour="grey"):
    data = json.dumps({"label": label})
    return Markup('<span style="%s;background:%s" data-badge=\'%s\'>%s</span>'
                  % (STYLE, escape(colour), escape(data), escape(label)))


if __name__ == "__main__":
    print(badge("ok", "green"))
