"""Check uploaded files: only PNG, JPEG and GIF images are accepted."""
import filetype

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif"}


class RejectedUpload(ValueError):
    pass


def _what(obj):
    """imghdr-style name of an image type ('jpeg', not filetype's 'jpg'), or None."""
    kind = filetype.image_match(obj)
    if kind is None:
        return None
    return "jpeg" if kind.extension == "jpg" else kind.extension


def image_kind(path):
    """'png', 'jpeg' or 'gif', or RejectedUpload."""
    kind = _what(path)
    if kind not in CONTENT_TYPES:
        raise RejectedUpload("%s: not an accepted image (%s)" % (path, kind or "unknown"))
    return kind


def content_type(path):
    return CONTENT_TYPES[image_kind(path)]


def sniff_stream(stream):
    """Kind of an uploaded stream, from its first bytes (the stream is rewound)."""
    head = stream.read(32)
    stream.seek(0)
    return _what(head)
