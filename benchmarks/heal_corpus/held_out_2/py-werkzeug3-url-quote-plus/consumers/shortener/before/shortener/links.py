from werkzeug.urls import url_quote


def short_link(base, slug):
    """The public link of a slug; a slash in the slug is escaped, not a path separator."""
    return base.rstrip("/") + "/" + url_quote(slug, safe="")
