import jinja2


@jinja2.pass_context
def page_url(ctx, slug):
    return ctx.get('base', '/') + slug
