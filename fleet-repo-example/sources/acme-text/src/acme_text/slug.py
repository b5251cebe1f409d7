"""Turn arbitrary titles into URL-safe slugs."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, separator: str = "-") -> str:
    """Return a lowercase ASCII slug for *text*.

    Accents are stripped, every run of characters that is not a letter or
    digit becomes a single *separator*, and leading/trailing separators are
    removed.

    >>> slugify("Héllo, Wörld!")
    'hello-world'
    """
    normalized = unicodedata.normalize("NFKD", text)
    ascii_text = normalized.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_WORD.sub(separator, ascii_text).strip(separator)
