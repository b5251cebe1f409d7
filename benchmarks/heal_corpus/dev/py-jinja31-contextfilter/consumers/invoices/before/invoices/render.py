from jinja2 import Environment, contextfilter

env = Environment()


@contextfilter
def money(ctx, value):
    return '%s %.2f' % (ctx.get('currency', 'EUR'), value)


env.filters['money'] = money
