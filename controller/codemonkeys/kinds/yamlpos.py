"""YAML with positions: documents as plain Python data plus a map from field path to line/column.

PyYAML's composer gives every node a start mark; we build the data ourselves from the node tree so
duplicate keys become diagnostics (PyYAML would silently keep the last one) and so a pydantic error
location such as ``('spec', 'build', 'timeout')`` maps back to the line of the offending key or value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from codemonkeys.vocab.diagnostics import Diagnostic

try:  # the C composer is ~5x faster and gives the same marks
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Pos:
    """A place in a file: its display name, 1-based line and column."""

    file: str
    line: int  # 1-based
    col: int  # 1-based


class Document:
    """One YAML document: its data, where it starts, and the positions of its keys and values.

    A document read on the fast path (``load_yaml_fast``) has its data only; its positions are computed
    the first time a diagnostic asks for one, by re-parsing its file with the position-keeping loader.
    ``on_positions`` registers what to add to them then (positions merged in from elsewhere).
    """

    def __init__(
        self,
        file: str,
        data: Any,
        start: Pos | None = None,
        keys: dict[Path, Pos] | None = None,
        values: dict[Path, Pos] | None = None,
        text: str | Callable[[], str] | None = None,
        index: int = 0,
    ):
        self.file, self.data = file, data
        self._text, self._index = text, index
        self._start = start
        eager = text is None  # a document built with its positions (or without a source to find them)
        self._keys: dict[Path, Pos] | None = keys if keys is not None else ({} if eager else None)
        self._values: dict[Path, Pos] | None = values if values is not None else ({} if eager else None)
        self._pending: list[Callable[[Document], None]] = []
        self.hints: dict[Path, Pos] = {}  # value positions known without computing the others

    @property
    def lazy(self) -> bool:
        """Whether the positions are not computed yet."""
        return self._keys is None

    def _materialize(self) -> None:
        if self._keys is not None:
            return
        text = self._text() if callable(self._text) else self._text
        docs, _ = load_yaml(text or "", self.file)
        doc = docs[self._index]
        self._start, self._keys, self._values = doc.start, doc.keys, doc.values
        pending, self._pending = self._pending, []
        for fn in pending:
            fn(self)

    def on_positions(self, fn: Callable[[Document], None]) -> None:
        """Call ``fn(self)`` once the positions exist (now, if they do)."""
        if self._keys is None:
            self._pending.append(fn)
        else:
            fn(self)

    @property
    def start(self) -> Pos:
        """Where the document starts."""
        self._materialize()
        assert self._start is not None
        return self._start

    @property
    def keys(self) -> dict[Path, Pos]:
        """Position of the key naming each field."""
        self._materialize()
        assert self._keys is not None
        return self._keys

    @property
    def values(self) -> dict[Path, Pos]:
        """Position of each field's (or list item's) value."""
        self._materialize()
        assert self._values is not None
        return self._values

    def key_pos(self, path: Path) -> Pos:
        """Position of the key at ``path``, else of the closest enclosing field."""
        keys, values = self.keys, self.values
        for n in range(len(path), 0, -1):
            p = path[:n]
            if p in keys:
                return keys[p]
            if p in values:
                return values[p]
        return self.start

    def value_pos(self, path: Path) -> Pos:
        """Position of the value at ``path``, else of the closest enclosing field."""
        if self._keys is None and path in self.hints:
            return self.hints[path]
        keys, values = self.keys, self.values
        for n in range(len(path), 0, -1):
            p = path[:n]
            if p in values:
                return values[p]
            if p in keys:
                return keys[p]
        return self.start


def _pos(file: str, node: yaml.Node) -> Pos:
    return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, file: str, loader: Any, doc: Document, diags: list[Diagnostic]):
        self.file, self.loader, self.doc, self.diags = file, loader, doc, diags

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.values[path] = _pos(self.file, node)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            seen: dict[Any, Pos] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    p = _pos(self.file, key_node)
                    self.diags.append(
                        Diagnostic(self.file, p.line, p.col, "YAML merge keys (<<) are not supported")
                    )
                    continue
                key = self.loader.construct_object(key_node, deep=True)
                if isinstance(key, bool) and isinstance(key_node, yaml.ScalarNode):
                    key = key_node.value  # a key `on:` / `yes:` is a name, not YAML 1.1's boolean
                kp = _pos(self.file, key_node)
                if not isinstance(key, str | int | float | bool) or key is None:
                    self.diags.append(Diagnostic(self.file, kp.line, kp.col, "mapping keys must be scalars"))
                    continue
                if key in seen:
                    first = seen[key]
                    self.diags.append(
                        Diagnostic(
                            self.file,
                            kp.line,
                            kp.col,
                            f"{_dotted(path)}: duplicate key {key!r} (first defined at line {first.line})",
                        )
                    )
                    continue
                seen[key] = kp
                self.doc.keys[(*path, key)] = kp
                out[key] = self.build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


dotted = _dotted


def load_yaml(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document in ``text``. A syntax error ends parsing of that file with one diagnostic."""
    diags: list[Diagnostic] = []
    docs: list[Document] = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            doc = Document(file=file, data=None, start=_pos(file, node))
            doc.data = _Builder(file, loader, doc, diags).build(node, ())
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}: {exc.problem}"
        diags.append(Diagnostic(file, line, col, f"YAML syntax error: {problem}"))
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        diags.append(Diagnostic(file, 1, 1, f"YAML error: {exc}"))
    finally:
        loader.dispose()
    return docs, diags


# --- the fast path ------------------------------------------------------------------------------

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"


class _Unusual(Exception):
    """The document needs the position-keeping loader (a problem to report, or an alias to copy)."""


def _fast_build(node: yaml.Node, construct: Callable[[yaml.Node], Any], seen: set[int]) -> Any:
    """The data ``_Builder`` would build, without positions; raises ``_Unusual`` where it would report."""
    if id(node) in seen:  # an alias: _Builder copies, keep its semantics by taking the slow path
        raise _Unusual
    seen.add(id(node))
    cls = type(node)
    if cls is yaml.ScalarNode:
        return node.value if node.tag == _STR else construct(node)
    if cls is yaml.SequenceNode:
        return [_fast_build(item, construct, seen) for item in node.value]
    if cls is not yaml.MappingNode:  # pragma: no cover - the composer makes only these three
        raise _Unusual
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if type(key_node) is not yaml.ScalarNode or key_node.tag == _MERGE:
            raise _Unusual
        key = key_node.value if key_node.tag in (_STR, _BOOL) else construct(key_node)  # `on:` is a name
        if key is None or not isinstance(key, str | int | float | bool) or key in out:
            raise _Unusual
        out[key] = _fast_build(value_node, construct, seen)
    return out


def load_yaml_fast(text: str, file: str) -> list[Document] | None:
    """Every document in ``text`` with its data only (libyaml's C parser and composer, no positions),
    or None when the file needs ``load_yaml`` to report something (syntax error, duplicate or merge key,
    non-scalar key) or copies aliases. Positions of a returned document come from ``load_yaml`` on demand.
    """
    loader = _Loader(text)
    docs: list[Document] = []
    try:
        construct = loader.construct_object
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                continue
            doc = Document(file, _fast_build(node, construct, set()), text=text, index=len(docs))
            name = _name_value(node)
            if name is not None:  # the one position every valid product keeps (ProductEntry.pos)
                doc.hints[("metadata", "name")] = _pos(file, name)
            docs.append(doc)
    except (_Unusual, yaml.YAMLError):
        return None
    finally:
        loader.dispose()
    return docs


def _name_value(node: yaml.Node) -> yaml.Node | None:
    """The node of ``metadata.name`` in a document's root node, if any."""
    for section in ("metadata", "name"):
        if not isinstance(node, yaml.MappingNode):
            return None
        found = next((v for k, v in node.value if k.value == section), None)
        if found is None:
            return None
        node = found
    return node
