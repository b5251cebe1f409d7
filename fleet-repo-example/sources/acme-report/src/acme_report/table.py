"""Fixed-width and Markdown table rendering."""

from numbers import Number
from typing import Any, List, Optional, Sequence


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _pad(text: str, width: int, how: str) -> str:
    if how == "r":
        return text.rjust(width)
    if how == "c":
        return text.center(width)
    return text.ljust(width)


class Table:
    """A list of rows under a header row.

    *align* is an optional string with one of ``l``, ``r`` or ``c`` per
    column; by default columns whose values are all numbers are right-aligned.
    """

    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                 align: Optional[str] = None) -> None:
        self.headers = [str(h) for h in headers]
        self.rows = [list(r) for r in rows]
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"row {row!r} has {len(row)} cells, expected {len(self.headers)}")
        if align is not None and (len(align) != len(self.headers) or set(align) - set("lrc")):
            raise ValueError("align needs one of 'l', 'r', 'c' per column")
        self.align = align or self._guess_align()

    def _guess_align(self) -> str:
        def numeric(col: int) -> bool:
            values = [r[col] for r in self.rows if r[col] is not None]
            return bool(values) and all(isinstance(v, Number) and not isinstance(v, bool) for v in values)
        return "".join("r" if numeric(i) else "l" for i in range(len(self.headers)))

    def _widths(self, cells: List[List[str]]) -> List[int]:
        return [max(len(row[i]) for row in cells) for i in range(len(self.headers))]

    def to_text(self) -> str:
        """Render as a fixed-width table with ``|`` column separators."""
        body = [[_cell(v) for v in row] for row in self.rows]
        widths = self._widths([self.headers] + body)
        lines = [" | ".join(h.ljust(w) for h, w in zip(self.headers, widths)).rstrip(),
                 "-+-".join("-" * w for w in widths)]
        for row in body:
            lines.append(" | ".join(_pad(c, w, a) for c, w, a in zip(row, widths, self.align)).rstrip())
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """Render as a GitHub-flavoured Markdown table."""
        body = [[_cell(v).replace("|", "\\|") for v in row] for row in self.rows]
        widths = [max(w, 3) for w in self._widths([self.headers] + body)]
        rules = {"l": lambda w: ":" + "-" * (w - 1),
                 "r": lambda w: "-" * (w - 1) + ":",
                 "c": lambda w: ":" + "-" * (w - 2) + ":"}
        lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(self.headers, widths)) + " |",
                 "| " + " | ".join(rules[a](w) for a, w in zip(self.align, widths)) + " |"]
        for row in body:
            lines.append("| " + " | ".join(_pad(c, w, a) for c, w, a in zip(row, widths, self.align)) + " |")
        return "\n".join(lines)
