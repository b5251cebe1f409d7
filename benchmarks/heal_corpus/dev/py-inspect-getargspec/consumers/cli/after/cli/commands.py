import inspect


def arity(func):
    spec = inspect.getfullargspec(func)
    return len(spec.args) - len(spec.defaults or ())
