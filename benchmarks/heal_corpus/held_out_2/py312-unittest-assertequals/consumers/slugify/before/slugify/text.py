import re
import unicodedata


def slugify(value, sep="-", max_length=None):
    """An ASCII, lower-case, separator-joined form of `value` for URLs."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    slug = re.sub(r"[-\s_]+", sep, value)
    if max_length:
        slug = slug[:max_length].rstrip(sep)
    return slug
