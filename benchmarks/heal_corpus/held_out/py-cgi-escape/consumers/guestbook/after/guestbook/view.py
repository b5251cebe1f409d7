import html
import os


def entry(author, body):
    return "<p><b>{}</b>: {}</p>{}".format(html.escape(author), html.escape(body), os.linesep)
