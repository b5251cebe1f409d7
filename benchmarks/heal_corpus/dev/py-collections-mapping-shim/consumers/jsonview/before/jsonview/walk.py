from collections import OrderedDict, Mapping


def keys(tree, prefix=''):
    out = OrderedDict()
    for k, v in tree.items():
        out[prefix + k] = v if not isinstance(v, Mapping) else None
    return out
