"""A changed line's shape, with each product's own names left open (anti-unification, as Getafix does on
trees, here on tokens).

A fix learned as a whole-line change (``draws = draws.append(pd.DataFrame(x))`` ->
``draws = pd.concat([draws, pd.DataFrame(x)])``) fits no other product: its variables and arguments are the
product's own. ``LineShape`` keeps what the library fixes (the names after a dot, the imported modules, the
keywords, the literals) and opens the rest:

* a **name** the old line uses and the new line keeps (``draws``) matches any other product's operand: a
  dotted name, subscripts included (``self.entries``, ``frames[0]``), the same text wherever it recurs;
* an **argument list** the new line keeps verbatim (``pd.DataFrame(x)``) matches any balanced arguments.

Only the part of the line that changed is kept (``base64::encode(data)`` ->
``general_purpose::STANDARD.encode(data)`` is ``base64::`` -> ``general_purpose::STANDARD.``, found anywhere
in a line), unless it starts with an operand of the product's own (``draws.append(...)``): a call on any
receiver would match every list's ``append``, so there the whole line is the shape (``A = A.append(B)``).

``reshape_lines`` rewrites the places in a text that have the old shape. Pure text; the caller decides where
(the files the failure points at) and checks that the result parses.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(
    r"\s+|[rRbBfFuU]{0,2}(?:\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')|[^\W\d][\w$]*|\$[\w$]*|\d[\w.]*"
    r"|::|->|=>|\*\*|[^\s\w]|."
)
_NAME = re.compile(r"(?:[^\W\d]|\$)[\w$]*")
MAX_LINE = 2000  # longer lines (minified code, data) are never reshaped: matching is not for them
_STARTERS = set(keyword.kwlist) | {"let", "mut", "const", "var", "await", "yield", "new", "throw", "of", "in"}
_OPEN, _CLOSE = "([{", ")]}"
_FIXED = set(keyword.kwlist) | set(dir(builtins)) | {"self", "cls", "this", "let", "mut", "const", "var"}


def tokens(line: str) -> list[str]:
    """A line's tokens, whitespace dropped (strings and numbers whole; ``::`` one token)."""
    return [t for t, _ in _spans(line)]


def _spans(line: str) -> list[tuple[str, int]]:
    """Tokens with where each starts."""
    return [(m.group(0), m.start()) for m in _TOKEN.finditer(line) if not m.group(0).isspace()]


@dataclass(frozen=True)
class LineShape:
    """The old line's tokens, where ``\x00N`` is an open name and ``\x01N`` open arguments; the new line's
    text with the same markers where their bindings go."""

    old: tuple[str, ...]
    new: str


def _balanced_end(toks: list[str], start: int) -> int | None:
    """The index of the bracket closing the one at ``start``."""
    depth = 0
    for i in range(start, len(toks)):
        if toks[i] in _OPEN:
            depth += 1
        elif toks[i] in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return None


def _find(seq: list[str], part: list[str]) -> int:
    for i in range(len(seq) - len(part) + 1):
        if seq[i : i + len(part)] == part:
            return i
    return -1


def _core(old: list[str], new: list[str]) -> tuple[int, int, int, int]:
    """The part of two token lists that differs: what is left of each without their common head and tail,
    widened until its brackets balance and it starts where an operand does (``base64::encode(data)`` ->
    ``general_purpose::STANDARD.encode(data)``: ``base64::encode`` / ``general_purpose::STANDARD.encode``)."""
    a = 0
    while a < min(len(old), len(new)) and old[a] == new[a]:
        a += 1
    z = 0
    while z < min(len(old), len(new)) - a and old[-1 - z] == new[-1 - z]:
        z += 1
    ob, nb = a, a
    oe, ne = len(old) - z, len(new) - z

    def depth(seq: list[str], lo: int, hi: int) -> tuple[int, int]:
        d, low = 0, 0
        for t in seq[lo:hi]:
            d += (t in _OPEN) - (t in _CLOSE)
            low = min(low, d)
        return d, low

    for _ in range(len(old) + len(new)):
        (od, olow), (nd, nlow) = depth(old, ob, oe), depth(new, nb, ne)
        if olow < 0 or nlow < 0:  # a closing bracket whose opening one is before: widen to the left
            ob, nb = ob - 1, nb - 1
        elif od > 0 or nd > 0:  # an opening one whose closing one is after: widen to the right
            oe, ne = oe + 1, ne + 1
        elif ob > 0 and (old[ob - 1] in (".", "::") or old[ob] in (".", "::", "(", "[")):
            ob, nb = ob - 1, nb - 1  # a member or call of the operand before: the operand too
        else:
            break
        if ob < 0 or nb < 0 or oe > len(old) or ne > len(new):
            return 0, len(old), 0, len(new)
    return ob, oe, nb, ne


def learn_shape(old_line: str, new_line: str, fixed: set[str]) -> LineShape | None:
    """The shape of the part of one changed line that changed, or None when it is empty."""
    olds, news = _spans(old_line), _spans(new_line)
    ob, oe, nb, ne = _core([t for t, _ in olds], [t for t, _ in news])
    if oe <= ob or ne <= nb:
        return None
    while (
        oe < len(olds) and ne < len(news) and olds[oe - 1][0] in (".", "::") and _NAME.fullmatch(olds[oe][0])
    ):
        oe, ne = oe + 1, ne + 1  # a qualifier changed: the member it qualifies too (``base64::encode``)
    first = olds[ob][0]
    if _NAME.fullmatch(first) and first not in fixed | _FIXED and any(t == first for t, _ in news):
        ob, oe, nb, ne = 0, len(olds), 0, len(news)  # any receiver's call (``x.append(y)``): the whole line
    if not any(_NAME.fullmatch(t) and t not in _FIXED for t, _ in olds[ob:oe]):
        return None  # only literals or operators changed (``30`` -> ``300``): no shape to look for
    old_line = old_line[olds[ob][1] : olds[oe - 1][1] + len(olds[oe - 1][0])]
    new_line = new_line[news[nb][1] : news[ne - 1][1] + len(news[ne - 1][0])]
    old, news = tokens(old_line), _spans(new_line)
    new = [t for t, _ in news]
    holes: list[tuple[int, int, str]] = []  # (first, last) token of the new line, marker
    n, i = 0, 0
    while i < len(old):  # argument lists the new line keeps verbatim: open (outermost first)
        if old[i] == "(" and i > 0 and (_NAME.fullmatch(old[i - 1]) or old[i - 1] in _CLOSE):
            end = _balanced_end(old, i)
            inner = old[i + 1 : end] if end is not None else []
            at = _find(new, inner) if inner else -1
            if (
                end is not None
                and at >= 0
                and not any(a <= at + len(inner) - 1 and at <= b for a, b, _ in holes)
            ):
                marker = f"\x01{n}\x03"
                n += 1
                old = [*old[: i + 1], marker, *old[end:]]
                holes.append((at, at + len(inner) - 1, marker))
        i += 1
    names: dict[str, str] = {}
    for i, t in enumerate(old):
        after_dot = i > 0 and old[i - 1] in (".", "::")
        before_path = i + 1 < len(old) and old[i + 1] == "::"
        if _NAME.fullmatch(t) and not after_dot and not before_path and t not in fixed and t not in _FIXED:
            names.setdefault(t, f"\x00{len(names)}\x03")
    for j, t in enumerate(new):
        free = t in names and not (j > 0 and new[j - 1] in (".", "::"))
        if free and not any(a <= j <= b for a, b, _ in holes):
            holes.append((j, j, names[t]))
    used = {m for _, _, m in holes}
    names = {k: v for k, v in names.items() if v in used}  # a name the new line drops stays as it is
    old = [names.get(t, t) if not (i > 0 and old[i - 1] in (".", "::")) else t for i, t in enumerate(old)]
    text, at = "", 0
    for a, b, marker in sorted(holes):
        first, last = news[a], news[b]
        text += new_line[at : first[1]] + marker
        at = last[1] + len(last[0])
    return LineShape(tuple(old), text + new_line[at:])


def _operand_ends(toks: list[str], start: int) -> list[int]:
    """Where a dotted operand starting at ``start`` may end (exclusive), longest first."""
    if start >= len(toks) or not _NAME.fullmatch(toks[start]) or toks[start] in keyword.kwlist:
        return []
    ends, i = [start + 1], start + 1
    while i < len(toks):
        if toks[i] == "." and i + 1 < len(toks) and _NAME.fullmatch(toks[i + 1]):
            i += 2
        elif toks[i] == "[" and (end := _balanced_end(toks, i)) is not None:
            i = end + 1
        else:
            break
        ends.append(i)
    return ends[::-1]


Bound = dict[str, tuple[int, int]]


def _match(pat: tuple[str, ...], line: Line, p: int, t: int, bound: Bound) -> bool:
    """Whether ``pat[p:]`` matches the line's tokens from ``t``; the bindings fill ``bound``."""
    toks = line.toks
    if p == len(pat):
        bound["\x02"] = (t, t)  # where the match ends
        return True
    head = pat[p]
    if head[0] in "\x00\x01":
        if head[0] == "\x00":
            ends = _operand_ends(toks, t)
        else:  # balanced arguments up to the closing bracket
            depth, i = 0, t
            while i < len(toks) and not (depth == 0 and toks[i] in _CLOSE):
                depth += (toks[i] in _OPEN) - (toks[i] in _CLOSE)
                i += 1
            ends = [i] if i > t else []
        for end in ends:
            seen = bound.get(head)
            if seen is not None and line.text_of(*seen) != line.text_of(t, end):
                continue
            trial = {**bound, head: (t, end)}
            if _match(pat, line, p + 1, end, trial):
                bound.update(trial)
                return True
        return False
    return t < len(toks) and toks[t] == head and _match(pat, line, p + 1, t + 1, bound)


@dataclass(frozen=True)
class Line:
    """One line of code as tokens, with where each starts."""

    text: str
    spans: list[tuple[str, int]]
    toks: list[str]

    @classmethod
    def of(cls, text: str) -> Line:
        """A line of code, tokenized."""
        spans = _spans(text)
        return cls(text, spans, [t for t, _ in spans])

    def text_of(self, a: int, b: int) -> str:
        """The source text of tokens ``a`` to ``b`` (exclusive)."""
        return self.text[self.spans[a][1] : self.spans[b - 1][1] + len(self.spans[b - 1][0])]


_MARKER = re.compile("[\x00\x01]\\d+\x03")
_COMMENT = re.compile(r"^\s*(?:#|//|/\*|\*)")


def reshape_lines(text: str, shape: LineShape, skip: Callable[[str], bool] = lambda _line: False) -> str:
    """Every place in ``text``'s lines that has the shape's old form, in its new form; one line at a time
    (a shape never spans lines); comment lines, lines longer than ``MAX_LINE`` and lines ``skip`` says
    (imports) are left alone."""
    out = []
    for raw in re.findall(r"[^\n]*\n|[^\n]+$", text):
        if skip(raw.strip()) or len(raw) > MAX_LINE or _COMMENT.match(raw):
            out.append(raw)
            continue
        line, at, parts, t = Line.of(raw), 0, [], 0
        toks = line.toks
        while t < len(toks):
            bound: Bound = {}
            prev = toks[t - 1] if t else ""
            starts = not t or prev in _STARTERS or (prev not in (".", "::") and not _NAME.fullmatch(prev))
            if not (starts and _match(shape.old, line, 0, t, bound)) or bound["\x02"][0] == t:
                t += 1
                continue
            end = bound.pop("\x02")[0]
            new = _MARKER.sub(lambda m, b=bound, ln=line: ln.text_of(*b[m.group(0)]), shape.new)
            parts += [raw[at : line.spans[t][1]], new]
            at = line.spans[end - 1][1] + len(toks[end - 1])
            t = end
        out.append("".join(parts) + raw[at:])
    return "".join(out)
