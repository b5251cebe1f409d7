"""Small pure helpers over text that several layers show: the newest line of an action's output."""

from __future__ import annotations


def newest_line(text: str) -> str:
    """The last line of ``text`` that is not blank (as it is), empty if there is none."""
    for line in reversed(text.splitlines()):
        if line.strip():
            return line
    return ""
