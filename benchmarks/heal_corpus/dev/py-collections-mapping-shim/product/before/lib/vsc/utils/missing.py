"""Small helpers for layered settings."""

import os
import sys
from collections import OrderedDict, Mapping

from .compat import quote


def layered(*layers):
    """Merge mappings left to right; later layers win."""
    merged = OrderedDict()
    for layer in layers:
        if not isinstance(layer, Mapping):
            raise TypeError("not a mapping: %r" % (layer,))
        merged.update(layer)
    return merged


def as_shell(settings):
    return " ".join("%s=%s" % (k, quote(str(v))) for k, v in settings.items())


if __name__ == "__main__":
    print(as_shell(layered({"HOME": os.sep}, {"PY": sys.version_info[0]})))
