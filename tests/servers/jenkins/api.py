"""JSON rendering of the Jenkins remote API: `depth=` summaries and `tree=` filtering.

The server describes each model object (job, folder, build, queue item) as an `Obj`: a dict of all its
fields whose values may be `Lazy` (computed only when rendered), plus

- `summary`: the fields Jenkins shows when the object is nested deeper than `depth` (a job's
  `lastBuild` at depth 0 is `{_class, number, url}`);
- `hidden`: fields Jenkins only shows when `tree=` asks for them (`allBuilds`).

Plain dicts are value objects (actions, parameters, causes): always rendered whole.

`tree=` follows Jenkins: `jobs[name,lastBuild[number,result]]`, comma lists, nested brackets, and a
range after a list `builds[number]{0,5}` (`{M,N}` from M to N exclusive, `{M,}`, `{,N}`, `{N}`).
Objects keep their `_class`; a requested field that is null stays null; unknown fields are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class Lazy:
    """A field value computed when (and only if) it is rendered."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn


class Obj(dict):
    """A Jenkins model object; see the module docstring."""

    __slots__ = ("hidden", "summary")

    def __init__(self, fields: dict[str, Any], summary: tuple[str, ...] = (), hidden: tuple[str, ...] = ()):
        super().__init__(fields)
        self.summary = summary
        self.hidden = frozenset(hidden)


def _value(v: Any) -> Any:
    return v.fn() if isinstance(v, Lazy) else v


# --- depth ---------------------------------------------------------------------------------------------


def render(value: Any, depth: int = 0, level: int = 0) -> Any:
    """Plain JSON data for value; model objects nested deeper than depth show their summary."""
    if isinstance(value, Obj):
        if level > depth and value.summary:
            keys = [k for k in ("_class", *value.summary) if k in value]
        else:
            keys = [k for k in value if k not in value.hidden]
        return {k: render(_value(value[k]), depth, level + 1) for k in keys}
    if isinstance(value, dict):
        return {k: render(_value(v), depth, level) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render(v, depth, level) for v in value]
    return value


# --- tree ----------------------------------------------------------------------------------------------


class TreeError(ValueError):
    """A malformed `tree=` expression."""


@dataclass
class Node:
    """One requested field: its sub-fields and an optional range over a list value."""

    children: dict[str, Node] = field(default_factory=dict)
    start: int | None = None
    stop: int | None = None


def parse_tree(text: str) -> dict[str, Node]:
    """Parse a tree expression into {field: Node}."""
    pos = 0

    def fields() -> dict[str, Node]:
        nonlocal pos
        nodes: dict[str, Node] = {}
        while True:
            start = pos
            while pos < len(text) and text[pos] not in "[]{},":
                pos += 1
            name = text[start:pos].strip()
            if not name:
                raise TreeError(f"tree: expected a field name at offset {start} in {text!r}")
            node = Node()
            if pos < len(text) and text[pos] == "[":
                pos += 1
                node.children = fields()
                if pos >= len(text) or text[pos] != "]":
                    raise TreeError(f"tree: missing ] in {text!r}")
                pos += 1
            if pos < len(text) and text[pos] == "{":
                end = text.find("}", pos)
                if end < 0:
                    raise TreeError(f"tree: missing }} in {text!r}")
                node.start, node.stop = _range(text[pos + 1 : end])
                pos = end + 1
            nodes[name] = node
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            return nodes

    nodes = fields()
    if pos != len(text):
        raise TreeError(f"tree: unexpected {text[pos]!r} at offset {pos} in {text!r}")
    return nodes


def _range(spec: str) -> tuple[int | None, int | None]:
    try:
        if "," not in spec:
            n = int(spec)
            return n, n + 1
        lo, hi = (s.strip() for s in spec.split(",", 1))
        return (int(lo) if lo else None), (int(hi) if hi else None)
    except ValueError:
        raise TreeError(f"tree: bad range {{{spec}}}") from None


def filter_tree(value: Any, nodes: dict[str, Node]) -> Any:
    """Plain JSON data for value with only the requested fields."""
    if isinstance(value, dict):
        out = {"_class": value["_class"]} if "_class" in value else {}
        for name, node in nodes.items():
            if name in value and name != "_class":
                out[name] = _filter_field(_value(value[name]), node)
        return out
    if isinstance(value, list | tuple):
        return [filter_tree(v, nodes) for v in value]
    return value


def _filter_field(value: Any, node: Node) -> Any:
    if isinstance(value, list | tuple):
        value = list(value)[node.start : node.stop]
        return [_filter_field_item(v, node) for v in value]
    return _filter_field_item(value, node)


def _filter_field_item(value: Any, node: Node) -> Any:
    if isinstance(value, dict):
        return filter_tree(value, node.children)
    return render(value)
