import inspect


def arity(func):
    spec = inspect.getargspec(func)
    return len(spec.args) - len(spec.defaults or ())
