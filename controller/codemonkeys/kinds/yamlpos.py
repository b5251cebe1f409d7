"""YAML with positions: documents as plain Python data plus a map from field path to line/column.

PyYAML's composer gives every node a start mark; we build the data ourselves from the node tree so
duplicate keys become diagnostics (PyYAML would silently keep the last one) and so a pydantic error
location such as ``('spec', 'build', 'timeout')`` maps back to the line of the offending key or value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class Document:
    """One YAML document: its data, where it starts, and the positions of its keys and values."""

    file: str
    data: Any
    start: Pos
    keys: dict[Path, Pos] = field(default_factory=dict)  # position of the key naming a field
    values: dict[Path, Pos] = field(default_factory=dict)  # position of a field's (or list item's) value

    def key_pos(self, path: Path) -> Pos:
        """Position of the key at ``path``, else of the closest enclosing field."""
        for n in range(len(path), 0, -1):
            p = path[:n]
            if p in self.keys:
                return self.keys[p]
            if p in self.values:
                return self.values[p]
        return self.start

    def value_pos(self, path: Path) -> Pos:
        """Position of the value at ``path``, else of the closest enclosing field."""
        for n in range(len(path), 0, -1):
            p = path[:n]
            if p in self.values:
                return self.values[p]
            if p in self.keys:
                return self.keys[p]
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
