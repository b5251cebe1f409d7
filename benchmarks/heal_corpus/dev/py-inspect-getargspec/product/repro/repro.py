import inspect


def func(inp, bot=None, **kw):
    pass


argspec = inspect.getargspec(func)
