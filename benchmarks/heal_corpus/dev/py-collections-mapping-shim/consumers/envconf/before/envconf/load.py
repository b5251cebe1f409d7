import os
from collections import defaultdict, Mapping


def flatten(conf):
    out = defaultdict(str)
    for k, v in conf.items():
        if not isinstance(v, Mapping):
            out[k.upper()] = str(v)
    return dict(out, **os.environ)
