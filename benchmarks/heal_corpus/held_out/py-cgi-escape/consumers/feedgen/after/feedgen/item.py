import html


def title(text):
    return "<title>%s</title>" % html.escape(text)
