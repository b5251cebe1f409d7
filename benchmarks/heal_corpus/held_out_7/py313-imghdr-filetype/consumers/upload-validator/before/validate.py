"""Check uploaded files: only PNG, JPEG and GIF images are accepted."""
import imghdr

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif"}


class RejectedUpload(ValueError):
    pass


def image_kind(path):
    """'png', 'jpeg' or 'gif', or RejectedUpload."""
    kind = imghdr.what(path)
    if kind not in CONTENT_TYPES:
        raise RejectedUpload("%s: not an accepted image (%s)" % (path, kind or "unknown"))
    return kind


def content_type(path):
    return CONTENT_TYPES[image_kind(path)]


def sniff_stream(stream):
    """Kind of an uploaded stream, from its first bytes (the stream is rewound)."""
    head = stream.read(32)
    stream.seek(0)
    return imghdr.what(None, h=head)
