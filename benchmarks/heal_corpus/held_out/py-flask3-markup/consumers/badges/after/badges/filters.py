import re

from markupsafe import Markup

BADGE = '<span class="badge">{}</span>'


def badge(label):
    return Markup(BADGE.format(re.sub(r"[<>]", "", label)))
