from jinja2 import Environment, pass_context

env = Environment()


@pass_context
def money(ctx, value):
    return '%s %.2f' % (ctx.get('currency', 'EUR'), value)


env.filters['money'] = money
