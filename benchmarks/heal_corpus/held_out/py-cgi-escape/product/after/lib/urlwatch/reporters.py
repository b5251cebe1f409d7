"""Fill HTML templates with escaped values."""

import os
import sys
import html
import string


DEFAULT_PAGE = "<p>{name} changed: {what}</p>"


def page_template():
    return os.environ.get("PAGE_TEMPLATE", DEFAULT_PAGE)


class Escaped(object):
    """A template whose placeholders get escaped values."""

    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text

    def fill(self, *values, **named):
        return str(self).format(*(html.escape(str(v)) for v in values),
                                **{k: html.escape(str(v)) for k, v in named.items()})


if __name__ == "__main__":
    sys.stdout.write(Escaped(page_template()).fill(name="a<b>", what="x & y") + string.whitespace[2])
