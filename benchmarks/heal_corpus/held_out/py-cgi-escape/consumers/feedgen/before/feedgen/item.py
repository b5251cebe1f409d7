import cgi


def title(text):
    return "<title>%s</title>" % cgi.escape(text)
