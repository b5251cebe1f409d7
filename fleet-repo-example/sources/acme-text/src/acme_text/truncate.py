"""Shorten text to a maximum width."""


def truncate(text: str, width: int, suffix: str = "…") -> str:
    """Return *text* shortened to at most *width* characters.

    If *text* is longer than *width*, it is cut (preferably at a word
    boundary) and *suffix* is appended; the suffix counts toward *width*.

    >>> truncate("The quick brown fox", 12)
    'The quick…'
    """
    if width < len(suffix):
        raise ValueError("width must be at least len(suffix)")
    if len(text) <= width:
        return text
    cut = text[: width - len(suffix)]
    if not text[len(cut)].isspace():
        # We are in the middle of a word: back up to the previous space.
        head, space, _ = cut.rpartition(" ")
        if space and head.strip():
            cut = head
    return cut.rstrip() + suffix
