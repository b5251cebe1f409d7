import collections.abc


def deep_merge(base, override):
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, collections.abc.MutableMapping) and key in out:
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
