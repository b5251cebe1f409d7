"""Base class for device modules."""


def merge(d, u):
    """Update dict recursively."""
    for k, v in u.items():
        if isinstance(v, dict):
            d[k] = merge(d.get(k, {}), v)
        else:
            d[k] = v
    return d


class Module:
    def __init__(self, name, data):
        self.name = name
        self.data = data
