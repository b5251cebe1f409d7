import cgi
import os


def entry(author, body):
    return "<p><b>{}</b>: {}</p>{}".format(cgi.escape(author), cgi.escape(body), os.linesep)
