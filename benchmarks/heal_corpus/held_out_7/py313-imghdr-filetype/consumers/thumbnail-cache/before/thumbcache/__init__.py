"""A content-addressed cache of thumbnails: <digest>.<image type> files."""
import hashlib
import imghdr
import os
import shutil
from imghdr import what


def _test_qoi(h, f):
    """imghdr test for the QOI format ("Quite OK Image"), which imghdr does not know."""
    if h[:4] == b"qoif":
        return "qoi"


imghdr.tests.append(_test_qoi)


def cache_name(path):
    kind = what(path)
    if kind is None:
        raise ValueError("%s is not an image" % path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    return "%s.%s" % (digest, kind)


def store(path, cachedir):
    """Copy path into the cache (once) and return its cache file name."""
    name = cache_name(path)
    target = os.path.join(cachedir, name)
    if not os.path.exists(target):
        shutil.copyfile(path, target)
    return name
