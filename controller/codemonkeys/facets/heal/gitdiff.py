"""A unified diff read as ``git apply`` reads it (pure): which files each part touches, its modes, hunks.

The patch checks (facets/heal/patches.py) must judge the paths git will write, not the paths a friendlier
reading would see. So this is a port of the header parser of git's ``apply.c`` (``find_header``,
``parse_git_diff_header``, ``git_header_name``, ``find_name*``, ``parse_traditional_patch``,
``parse_fragment``) for ``git apply`` as the controller runs it, at the top of a worktree with no options:

- one leading component stripped (``-p1``) from ``diff --git``, ``---`` and ``+++`` names; none from
  ``rename from/to`` and ``copy from/to``; a traditional (non-git) patch whose names hold no ``/``
  makes git guess ``-p0`` for the rest of the input, as git does;
- C-quoted names (``"a/\\303\\251.txt"``), names ending at a tab or a timestamp, ``/dev/null``, repeated
  slashes squashed;
- ``old mode``, ``new mode``, ``new file mode``, ``deleted file mode``, ``index .. MODE``, renames, copies,
  binary parts; text between parts is skipped, as git skips it (a header after prose still counts).

Stricter than git, never looser: a hunk must hold the lines its header counts, and anything git would
refuse to parse raises ``ValueError`` saying where. Bytes that are not UTF-8 come back as surrogate escapes.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

_SPACE = b" \t\n\v\f\r"
_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("v"): 11}
_TERM_SPACE, _TERM_TAB = 1, 2
SYMLINK = 0o120000
_HEXSZ = 40  # SHA-1 object names, as git's apply reads an ``index`` line
_TYPE_MASK = 0o170000


@dataclass
class FilePatch:
    """One file's part of a diff, with git's reading of its names (repo-relative, ``None`` where the
    side does not exist) and modes (0: not given)."""

    old_name: str | None = None
    new_name: str | None = None
    is_new: int = -1  # git's tri-state: -1 unknown, 0 no, 1 yes
    is_delete: int = -1
    is_rename: bool = False
    is_copy: bool = False
    old_mode: int = 0
    new_mode: int = 0
    binary: bool = False
    line: int = 0  # where its header starts (1-based)
    added: list[tuple[int, str]] = field(default_factory=list)  # (new line number, text)
    removed: int = 0

    @property
    def touched(self) -> tuple[str, ...]:
        """The names git reads or writes for this part: a copy's source is read, everything else written."""
        names = [] if self.is_new == 1 else [self.old_name]
        names += [] if self.is_delete == 1 else [self.new_name]
        return tuple(dict.fromkeys(n for n in names if n))

    @property
    def written(self) -> tuple[str, ...]:
        """The names git writes (creates, changes or removes) for this part."""
        names = [] if self.is_new == 1 or self.is_copy else [self.old_name]
        names += [] if self.is_delete == 1 else [self.new_name]
        return tuple(dict.fromkeys(n for n in names if n))

    @property
    def symlink(self) -> bool:
        """Whether the file this part leaves behind is a symlink (mode 120000)."""
        if self.is_delete == 1:
            return False
        mode = self.new_mode or self.old_mode
        return mode & _TYPE_MASK == SYMLINK


def _text(name: bytes | None) -> str | None:
    return None if name is None else name.decode("utf-8", "surrogateescape")


def _at(buf: bytes, i: int) -> int:
    """The byte at ``i``, 0 past the end (git's buffers end in NULs)."""
    return buf[i] if 0 <= i < len(buf) else 0


def _linelen(buf: bytes, i: int) -> int:
    end = buf.find(b"\n", i)
    return (len(buf) if end < 0 else end + 1) - i


def _unquote(buf: bytes, i: int) -> tuple[bytes, int] | None:
    """git's ``unquote_c_style`` at ``buf[i] == '"'``: (the name, the index after the closing quote)."""
    if _at(buf, i) != ord('"'):
        return None
    out = bytearray()
    i += 1
    while True:
        c = _at(buf, i)
        i += 1
        if c == ord('"'):
            return bytes(out), i
        if c == 0:
            return None
        if c != ord("\\"):
            out.append(c)
            continue
        c = _at(buf, i)
        i += 1
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c in (ord("\\"), ord('"')):
            out.append(c)
        elif ord("0") <= c <= ord("3"):
            value = c - ord("0")
            for _ in range(2):
                d = _at(buf, i)
                i += 1
                if not ord("0") <= d <= ord("7"):
                    return None
                value = value * 8 + d - ord("0")
            out.append(value)
        else:
            return None


def _squash(name: bytes | None) -> bytes | None:
    if name is None:
        return None
    while b"//" in name:
        name = name.replace(b"//", b"/")
    return name


def _find_name_gnu(buf: bytes, i: int, p_value: int) -> bytes | None:
    got = _unquote(buf, i)
    if got is None:
        return None
    name, cut = got[0], 0
    for _ in range(p_value):
        slash = name.find(b"/", cut)
        if slash < 0:
            return None
        cut = slash + 1
    return _squash(name[cut:])


def _terminates(c: int, terminate: int) -> bool:
    if c == ord(" ") and not terminate & _TERM_SPACE:
        return False
    return not (c == ord("\t") and not terminate & _TERM_TAB)


def _find_name_common(
    buf: bytes, i: int, default: bytes | None, p_value: int, end: int | None, terminate: int
) -> bytes | None:
    start = i if p_value == 0 else None
    while i != end and i < len(buf):
        c = buf[i]
        if end is None and c in _SPACE and (c == ord("\n") or _terminates(c, terminate)):
            break
        i += 1
        if c == ord("/"):
            p_value -= 1
            if p_value == 0:
                start = i
    if start is None or i - start <= 0:
        return _squash(default)
    name = buf[start:i]
    if default is not None and len(default) < len(name) and name.startswith(default):
        return _squash(default)
    return _squash(name)


def _find_name(buf: bytes, i: int, default: bytes | None, p_value: int, terminate: int) -> bytes | None:
    if _at(buf, i) == ord('"'):
        name = _find_name_gnu(buf, i, p_value)
        if name is not None:
            return name
    return _find_name_common(buf, i, default, p_value, None, terminate)


def _digits(line: bytes, start: int, count: int) -> bool:
    return all(ord("0") <= _at(line, k) <= ord("9") for k in range(start, start + count))


def _sane_tz_len(line: bytes, n: int) -> int:
    if n < 6 or line[n - 6] != ord(" "):
        return 0
    tz = n - 6
    if line[tz + 1] not in b"+-":
        return 0
    return n - tz if _digits(line, tz + 2, n - tz - 2) else 0


def _tz_with_colon_len(line: bytes, n: int) -> int:
    if n < 7 or line[n - 3] != ord(":"):
        return 0
    tz = n - 7
    if line[tz] != ord(" ") or line[tz + 1] not in b"+-":
        return 0
    ok = _digits(line, tz + 2, 2) and line[tz + 4] == ord(":") and _digits(line, tz + 5, 2)
    return n - tz if ok else 0


def _date_len(line: bytes, n: int) -> int:
    if n < 8 or line[n - 3] != ord("-"):
        return 0
    date = n - 8
    ok = (
        _digits(line, date, 2)
        and line[date + 2] == ord("-")
        and _digits(line, date + 3, 2)
        and line[date + 5] == ord("-")
        and _digits(line, date + 6, 2)
    )
    if not ok:
        return 0
    if date >= 2 and _digits(line, date - 2, 2):
        date -= 2
    return n - date


def _short_time_len(line: bytes, n: int) -> int:
    if n < 9 or line[n - 3] != ord(":"):
        return 0
    t = n - 9
    ok = (
        line[t] == ord(" ")
        and _digits(line, t + 1, 2)
        and line[t + 3] == ord(":")
        and _digits(line, t + 4, 2)
        and line[t + 6] == ord(":")
        and _digits(line, t + 7, 2)
    )
    return n - t if ok else 0


def _fractional_time_len(line: bytes, n: int) -> int:
    if not n or not _digits(line, n - 1, 1):
        return 0
    p = n - 1
    while p > 0 and _digits(line, p, 1):
        p -= 1
    if line[p] != ord("."):
        return 0
    m = _short_time_len(line, p)
    return n - p + m if m else 0


def _trailing_spaces_len(line: bytes, n: int) -> int:
    if not n or line[n - 1] != ord(" "):
        return 0
    p = n
    while p:
        p -= 1
        if line[p] != ord(" "):
            return n - (p + 1)
    return n


def _timestamp_len(line: bytes) -> int:
    """git's ``diff_timestamp_len``: the length of a trailing timestamp (and the space before it)."""
    n = end = len(line)
    if not n or not _digits(line, n - 1, 1):
        return 0
    end -= _sane_tz_len(line, end) or _tz_with_colon_len(line, end)
    end -= _short_time_len(line, end) or _fractional_time_len(line, end)
    d = _date_len(line, end)
    if not d:
        return 0
    end -= d
    if end == 0:
        return 0
    if line[end - 1] == ord("\t"):
        return n - (end - 1)
    if line[end - 1] != ord(" "):
        return 0
    end -= _trailing_spaces_len(line, end)
    return n - end


def _find_name_traditional(buf: bytes, i: int, default: bytes | None, p_value: int) -> bytes | None:
    if _at(buf, i) == ord('"'):
        name = _find_name_gnu(buf, i, p_value)
        if name is not None:
            return name
    eol = buf.find(b"\n", i)
    n = (len(buf) if eol < 0 else eol) - i
    stamp = _timestamp_len(buf[i : i + n])
    if not stamp:
        return _find_name_common(buf, i, default, p_value, None, _TERM_TAB)
    return _find_name_common(buf, i, default, p_value, i + n - stamp, 0)


def _is_dev_null(buf: bytes, i: int) -> bool:
    return buf.startswith(b"/dev/null", i) and _at(buf, i + 9) in _SPACE and _at(buf, i + 9) != 0


def _skip_tree_prefix(p_value: int, s: bytes, start: int, length: int) -> int | None:
    """The index in ``s`` after ``p_value`` leading components of ``s[start:start+length]``."""
    if not p_value:
        return None if length and s[start] == ord("/") else start
    slashes = p_value
    for k in range(start, start + length):
        if s[k] == ord("/"):
            slashes -= 1
            if slashes <= 0:
                return None if k == start else k + 1
    return None


def _git_header_name(p_value: int, buf: bytes, line: int, llen: int) -> bytes | None:
    """git's ``git_header_name``: the name a ``diff --git`` line gives both sides, if it is the same."""
    end = line + llen
    if _at(buf, line) == ord('"'):
        got = _unquote(buf, line)
        if got is None:
            return None
        first, second = got
        cut = _skip_tree_prefix(p_value, first, 0, len(first))
        if cut is None:
            return None
        first = first[cut:]
        while second < end and buf[second] in _SPACE:
            second += 1
        if end <= second:
            return None
        if buf[second] == ord('"'):
            got = _unquote(buf, second)
            if got is None:
                return None
            sp = got[0]
            cut = _skip_tree_prefix(p_value, sp, 0, len(sp))
            return first if cut is not None and sp[cut:] == first else None
        cut = _skip_tree_prefix(p_value, buf, second, end - second)
        if cut is None or end - cut != len(first) or buf[cut:end] != first:
            return None
        return first
    name = _skip_tree_prefix(p_value, buf, line, llen)
    if name is None:
        return None
    for second in range(name, end):
        if buf[second] == ord('"'):
            got = _unquote(buf, second)
            if got is None:
                return None
            sp = got[0]
            np = _skip_tree_prefix(p_value, sp, 0, len(sp))
            if np is None:
                return None
            n = len(sp) - np
            if n < second - name and buf[name : name + n] == sp[np:] and _at(buf, name + n) in _SPACE:
                return sp[np:]
            return None
    eol = buf.find(b"\n", name)
    if eol < 0:
        return None
    line_len = eol - name
    n = 0
    while True:
        c = _at(buf, name + n)
        if c == ord("\n"):
            return None
        if c in (ord("\t"), ord(" ")):
            if not _at(buf, name + n + 1):
                return None
            second = _skip_tree_prefix(p_value, buf, name + n + 1, line_len - (n + 1))
            if second is None:
                # git 2.39 (Debian 12, what the controller runs) gives up here; later versions go on to
                # the next space and may find a name where 2.39 finds none (then they accept a header
                # 2.39 refuses, and never read another name)
                return None
            if _at(buf, second + n) == ord("\n") and buf[name : name + n] == buf[second : second + n]:
                return buf[name : name + n]
        elif c == 0:
            return None
        n += 1


class DiffError(ValueError):
    """A diff git would not read, or whose hunks do not hold the lines their headers count."""


class _Parser:
    def __init__(self, diff: str) -> None:
        self.buf = diff.encode("utf-8", "surrogateescape")
        self.p_value, self.p_known = 1, False
        self.starts = [0] + [m.end() for m in re.finditer(b"\n", self.buf)]

    def _line_no(self, pos: int) -> int:
        return bisect_right(self.starts, pos)

    def parse(self) -> list[FilePatch]:
        patches: list[FilePatch] = []
        pos = 0
        while pos < len(self.buf):
            found = self._find_header(pos)
            if found is None:
                break
            patch, pos = found
            pos = self._hunks(patch, pos)
            patches.append(patch)
        if not patches:
            raise DiffError("not a unified diff: no file headers (--- a/PATH, +++ b/PATH or diff --git)")
        return patches

    # -- headers -------------------------------------------------------------------------------------

    def _find_header(self, pos: int) -> tuple[FilePatch, int] | None:
        buf = self.buf
        patch = FilePatch()
        while pos < len(buf):
            n = _linelen(buf, pos)
            if not n:
                break
            if n < 6:
                pos += n
                continue
            if buf.startswith(b"@@ -", pos):
                if _fragment_header(buf, pos, n) is not None:
                    raise DiffError(
                        f"line {self._line_no(pos)}: a hunk before any file header (--- a/PATH, +++ b/PATH)"
                    )
                pos += n
                continue
            if len(buf) - pos < n + 6:
                break
            if buf.startswith(b"diff --git ", pos):
                patch.line = self._line_no(pos)
                size = self._git_header(patch, pos, n)
                if size <= n:
                    pos += n
                    continue
                return patch, pos + size
            if not (buf.startswith(b"--- ", pos) and buf.startswith(b"+++ ", pos + n)):
                pos += n
                continue
            nxt = _linelen(buf, pos + n)
            if len(buf) - pos < nxt + 14 or not buf.startswith(b"@@ -", pos + n + nxt):
                pos += n
                continue
            patch.line = self._line_no(pos)
            self._traditional(patch, pos + 4, pos + n + 4)
            return patch, pos + n + nxt
        return None

    def _guess_p(self, i: int) -> int:
        if _is_dev_null(self.buf, i):
            return -1
        name = _find_name_traditional(self.buf, i, None, 0)
        if name is None:
            return -1
        return 0 if b"/" not in name else -1

    def _traditional(self, patch: FilePatch, first: int, second: int) -> None:
        buf, where = self.buf, self._line_no(first)
        if not self.p_known:
            p, q = self._guess_p(first), self._guess_p(second)
            if p < 0:
                p = q
            if 0 <= p == q:
                self.p_value, self.p_known = p, True
        if _is_dev_null(buf, first):
            patch.is_new, patch.is_delete = 1, 0
            name = _find_name_traditional(buf, second, None, self.p_value)
            patch.new_name = _text(name)
        elif _is_dev_null(buf, second):
            patch.is_new, patch.is_delete = 0, 1
            name = _find_name_traditional(buf, first, None, self.p_value)
            patch.old_name = _text(name)
        else:
            first_name = _find_name_traditional(buf, first, None, self.p_value)
            name = _find_name_traditional(buf, second, first_name, self.p_value)
            if _has_epoch_timestamp(buf, first):
                patch.is_new, patch.is_delete, patch.new_name = 1, 0, _text(name)
            elif _has_epoch_timestamp(buf, second):
                patch.is_new, patch.is_delete, patch.old_name = 0, 1, _text(name)
            else:
                patch.old_name = patch.new_name = _text(name)
        if name is None:
            raise DiffError(f"line {where}: no file name in the header")

    def _git_header(self, patch: FilePatch, pos: int, n: int) -> int:
        """``parse_git_diff_header``: the size of the header (the ``diff --git`` line and the extended
        header lines after it), the names and modes set on ``patch``."""
        buf, p_value = self.buf, self.p_value
        patch.is_new = patch.is_delete = 0
        default = _git_header_name(p_value, buf, pos + 11, n - 11)
        offset = n
        while pos + offset < len(buf):
            line = pos + offset
            size = _linelen(buf, line)
            if not size or buf[line + size - 1] != ord("\n"):
                break
            done = self._header_line(patch, buf[line : line + size], default, line)
            extensions = (patch.is_delete == 1) + (patch.is_new == 1) + patch.is_rename + patch.is_copy
            if extensions > 1:
                raise DiffError(f"line {self._line_no(line)}: inconsistent header lines")
            if done:
                break
            offset += size
        if patch.old_name is None and patch.new_name is None:
            if default is None:
                raise DiffError(f"line {self._line_no(pos)}: git diff header lacks file names")
            patch.old_name = patch.new_name = _text(default)
        no_new = patch.new_name is None and patch.is_delete != 1
        if no_new or (patch.old_name is None and patch.is_new != 1):
            raise DiffError(f"line {self._line_no(pos)}: git diff header lacks file names")
        return offset

    def _header_line(self, patch: FilePatch, rest: bytes, default: bytes | None, at: int) -> bool:
        """One extended header line read into ``patch``; whether the header ends here."""
        buf, p_value, where = self.buf, self.p_value, self._line_no(at)
        arg = at
        for op in _OPS:
            if rest.startswith(op):
                arg = at + len(op)
                break
        else:
            return True
        if op == b"@@ -":
            return True
        if op in (b"--- ", b"+++ "):
            new = op == b"+++ "
            isnull = patch.is_delete == 1 if new else patch.is_new == 1
            current = patch.new_name if new else patch.old_name
            if current is None and not isnull:
                name = _text(_find_name(buf, arg, None, p_value, _TERM_TAB))
                if new:
                    patch.new_name = name
                else:
                    patch.old_name = name
            elif current is not None:
                if isnull:
                    raise DiffError(f"line {where}: expected /dev/null, got {current}")
                another = _text(_find_name(buf, arg, None, p_value, _TERM_TAB))
                if another != current:
                    side = "new" if new else "old"
                    raise DiffError(f"line {where}: inconsistent {side} file name")
            elif not _is_dev_null(buf, arg):
                raise DiffError(f"line {where}: expected /dev/null")
            return False
        if op in (b"old mode ", b"new mode ", b"deleted file mode ", b"new file mode "):
            mode = _mode(buf, arg, where)
            if op == b"deleted file mode ":
                patch.is_delete, patch.old_name = 1, _text(default)
            if op == b"new file mode ":
                patch.is_new, patch.new_name = 1, _text(default)
            if op in (b"old mode ", b"deleted file mode "):
                patch.old_mode = mode
            else:
                patch.new_mode = mode
            return False
        if op in (b"copy from ", b"copy to ", b"rename old ", b"rename new ", b"rename from ", b"rename to "):
            name = _text(_find_name(buf, arg, None, p_value - 1 if p_value else 0, 0))
            if op.startswith(b"copy"):
                patch.is_copy = True
            else:
                patch.is_rename = True
            if op in (b"copy from ", b"rename old ", b"rename from "):
                patch.old_name = name
            else:
                patch.new_name = name
            return False
        if op == b"index ":
            self._index(patch, buf, arg, where)
        return False

    def _index(self, patch: FilePatch, buf: bytes, i: int, where: int) -> None:
        dot = buf.find(b".", i)
        eol = buf.find(b"\n", i)
        if dot < 0 or _at(buf, dot + 1) != ord(".") or dot - i > _HEXSZ:
            return
        start = dot + 2
        space = buf.find(b" ", start)
        end = eol if space < 0 or (0 <= eol < space) else space
        if end - start > _HEXSZ:
            return
        if _at(buf, end) == ord(" "):
            patch.old_mode = _mode(buf, end + 1, where)

    # -- hunks ---------------------------------------------------------------------------------------

    def _hunks(self, patch: FilePatch, pos: int) -> int:
        buf = self.buf
        hunks, old, new = 0, 0, 0
        while len(buf) - pos > 4 and buf.startswith(b"@@ -", pos):
            pos, counted = self._hunk(patch, pos)
            hunks, old, new = hunks + 1, old + counted[0], new + counted[1]
        if patch.is_new < 0 and (old or hunks > 1):
            patch.is_new = 0
        if patch.is_delete < 0 and (new or hunks > 1):
            patch.is_delete = 0
        if patch.is_new == 1 and old:
            raise DiffError(f"line {patch.line}: new file {patch.new_name} depends on old contents")
        if patch.is_delete == 1 and new:
            raise DiffError(f"line {patch.line}: deleted file {patch.old_name} still has contents")
        if not hunks:
            if buf.startswith((b"GIT binary patch\n", b"Binary files ", b"Files "), pos):
                patch.binary = True
            elif not _metadata_changes(patch):
                raise DiffError(f"line {patch.line}: a file header without hunks, nor a mode or name change")
        return pos

    def _hunk(self, patch: FilePatch, pos: int) -> tuple[int, tuple[int, int]]:
        """One hunk at ``pos``: (where the next line starts, its header's (old, new) line counts)."""
        buf, start, name = self.buf, pos, patch.new_name or patch.old_name
        n = _linelen(buf, pos)
        ranges = _fragment_header(buf, pos, n)
        if ranges is None:
            raise DiffError(f"line {self._line_no(pos)}: a malformed hunk header of {name}")
        old, new, number = ranges
        counted = (old, new)
        header = self._line_no(start)
        pos += n
        added = removed = 0
        while old or new:
            if pos >= len(buf):
                raise DiffError(f"line {header}: the hunk of {name} ends before the lines its header counts")
            n = _linelen(buf, pos)
            line = buf[pos : pos + n]
            if not line.endswith(b"\n"):
                raise DiffError(f"line {header}: the hunk of {name} ends before the lines its header counts")
            tag = line[:1]
            if tag in (b" ", b"\n"):
                old, new, number = old - 1, new - 1, number + 1
            elif tag == b"-":
                old, removed = old - 1, removed + 1
            elif tag == b"+":
                patch.added.append((number, line[1:-1].decode("utf-8", "surrogateescape")))
                new, number, added = new - 1, number + 1, added + 1
            elif tag == b"\\" and n >= 12 and line.startswith(b"\\ "):
                pass
            else:
                text = line[:60].decode("utf-8", "replace").rstrip("\n")
                raise DiffError(f"line {self._line_no(pos)}: {text!r} is not a line of a hunk of {name}")
            if old < 0 or new < 0:
                where = self._line_no(pos)
                raise DiffError(f"line {where}: the hunk of {name} has more lines than its header counts")
            pos += n
        if not added and not removed:
            raise DiffError(f"line {header}: the hunk of {name} changes nothing")
        patch.removed += removed
        if len(buf) - pos > 12 and buf.startswith(b"\\ ", pos):
            pos += _linelen(buf, pos)
        return pos, counted


_OPS = (
    b"@@ -",
    b"--- ",
    b"+++ ",
    b"old mode ",
    b"new mode ",
    b"deleted file mode ",
    b"new file mode ",
    b"copy from ",
    b"copy to ",
    b"rename old ",
    b"rename new ",
    b"rename from ",
    b"rename to ",
    b"similarity index ",
    b"dissimilarity index ",
    b"index ",
)


def _metadata_changes(patch: FilePatch) -> bool:
    modes = patch.old_mode and patch.new_mode and patch.old_mode != patch.new_mode
    return bool(patch.is_rename or patch.is_copy or patch.is_new > 0 or patch.is_delete or modes)


def _mode(buf: bytes, i: int, where: int) -> int:
    while _at(buf, i) in b" \t\v\f\r" and _at(buf, i):
        i += 1
    j = i
    while ord("0") <= _at(buf, j) <= ord("7"):
        j += 1
    if j == i or _at(buf, j) not in _SPACE or not _at(buf, j):
        raise DiffError(f"line {where}: invalid mode")
    return int(buf[i:j], 8)


def _number(buf: bytes, i: int) -> tuple[int, int] | None:
    j = i
    while ord("0") <= _at(buf, j) <= ord("9"):
        j += 1
    return (int(buf[i:j]), j) if j > i else None


def _fragment_header(buf: bytes, pos: int, n: int) -> tuple[int, int, int] | None:
    """``@@ -a,b +c,d @@``: (old lines, new lines, first new line number), None if it is not one."""
    if not n or buf[pos + n - 1] != ord("\n"):
        return None
    end = pos + n
    counts: list[int] = []
    i = pos + 4
    for expect in (b" +", b" @@"):
        got = _number(buf, i)
        if got is None or got[1] > end:
            return None
        first, i = got
        count = 1
        if _at(buf, i) == ord(","):
            got = _number(buf, i + 1)
            if got is None:
                return None
            count, i = got
        if not buf.startswith(expect, i) or i + len(expect) > end:
            return None
        i += len(expect)
        counts += [first, count]
    return counts[1], counts[3], counts[2]


def _has_epoch_timestamp(buf: bytes, i: int) -> bool:
    """A ``---``/``+++`` name followed by the epoch (GNU diff's mark of a created or deleted file)."""
    eol = buf.find(b"\n", i)
    line = buf[i : len(buf) if eol < 0 else eol]
    tab = line.rfind(b"\t")
    if tab < 0:
        return False
    stamp = line[tab + 1 :]
    if stamp.startswith(b"1969-12-31 "):
        epoch_hour, stamp = 24, stamp[11:]
    elif stamp.startswith(b"1970-01-01 "):
        epoch_hour, stamp = 0, stamp[11:]
    else:
        return False
    m = re.match(rb"([0-2][0-9]):([0-5][0-9]):00(\.0+)? ([-+])([0-2][0-9]):?([0-5][0-9])$", stamp)
    if m is None:
        return False
    offset = int(m.group(5)) * 60 + int(m.group(6))
    if m.group(4) == b"-":
        offset = -offset
    return int(m.group(1)) * 60 + int(m.group(2)) - offset == epoch_hour * 60


def parse_diff(diff: str) -> list[FilePatch]:
    """Every file's part of ``diff`` as ``git apply`` reads it (see the module docstring); ``DiffError``
    (a ``ValueError``) saying where, for text git would refuse or whose hunks miscount their lines."""
    return _Parser(diff).parse()
