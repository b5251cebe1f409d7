import inspect


def accepts_extra(handler):
    argspec = inspect.getargspec(handler)
    return bool(argspec.keywords)
