"""Greedy word wrapping."""

from typing import List


def wrap(text: str, width: int = 70) -> List[str]:
    """Break *text* into lines of at most *width* characters.

    Whitespace is normalised; words longer than *width* are split.

    >>> wrap("the quick brown fox jumps", width=10)
    ['the quick', 'brown fox', 'jumps']
    """
    if width < 1:
        raise ValueError("width must be positive")
    lines: List[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def fill(text: str, width: int = 70) -> str:
    """Like :func:`wrap`, but return a single newline-joined string."""
    return "\n".join(wrap(text, width))
