import jinja2


@jinja2.contextfilter
def page_url(ctx, slug):
    return ctx.get('base', '/') + slug
