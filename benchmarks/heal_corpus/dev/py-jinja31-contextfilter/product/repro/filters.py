import jinja2


@jinja2.contextfilter
def format_datetime(ctx, date, format='full'):
    return date
