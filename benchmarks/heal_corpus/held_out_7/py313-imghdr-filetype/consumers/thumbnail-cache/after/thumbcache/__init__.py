"""A content-addressed cache of thumbnails: <digest>.<image type> files."""
import hashlib
import os
import shutil

import filetype


class Qoi(filetype.Type):
    """filetype matcher for the QOI format ("Quite OK Image"), which filetype does not know."""

    MIME = "image/qoi"
    EXTENSION = "qoi"

    def __init__(self):
        super().__init__(mime=Qoi.MIME, extension=Qoi.EXTENSION)

    def match(self, buf):
        return buf[:4] == b"qoif"


filetype.add_type(Qoi())


def what(path):
    kind = filetype.guess(path)
    return kind.extension if kind is not None else None


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
