import inspect


def accepts_extra(handler):
    argspec = inspect.getfullargspec(handler)
    return bool(argspec.varkw)
