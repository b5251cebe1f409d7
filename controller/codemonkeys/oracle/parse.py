"""The oracle's pure parse: one source file's bytes -> a ``FileGraph`` (symbols, imports, call edges).

Sits under ``oracle.store`` (which indexes whole trees per product and commit) and ``oracle.fingerprint``
(which hashes the public API for the docs facet). No I/O here: the caller hands over a path and bytes;
the path only chooses the grammar (by extension) and names the module that qualified names start from.

Grammars are the per-language tree-sitter wheels (``tree-sitter-python``, ``-javascript``,
``-typescript``, ``-rust``). Everything is best effort over a possibly broken tree: tree-sitter recovers
from syntax errors, and ``FileGraph.has_errors`` says when it had to.

Visibility rules: Python public = no leading underscore (dunders count as public) and, when the module
defines ``__all__``, listed there; JS/TS public = exported (``export ...``, ``export { a }``,
``export default``, ``module.exports``); Rust public = plain ``pub`` (``pub(crate)`` and friends are
private). A member is public only when its enclosing class / module / trait is.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

import tree_sitter
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_rust
import tree_sitter_typescript

Node = tree_sitter.Node

# Bump when the extraction changes: stored graphs of another version are parsed again.
PARSER_VERSION = 1


class SourceLanguage(StrEnum):
    """The grammars the oracle parses: Python, JavaScript, TypeScript, TSX, Rust."""

    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    TSX = "tsx"
    RUST = "rust"


class SymbolKind(StrEnum):
    """What a symbol is, across languages (a Rust ``struct``, a TS ``interface``, ...)."""

    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    METHOD = "method"
    INTERFACE = "interface"
    TYPE = "type"
    ENUM = "enum"
    STRUCT = "struct"
    TRAIT = "trait"


class Visibility(StrEnum):
    """Whether a symbol is part of the public API (see the module docstring for each language's rule)."""

    PUBLIC = "public"
    PRIVATE = "private"


EXTENSIONS: dict[str, SourceLanguage] = {
    ".py": SourceLanguage.PYTHON,
    ".js": SourceLanguage.JAVASCRIPT,
    ".mjs": SourceLanguage.JAVASCRIPT,
    ".cjs": SourceLanguage.JAVASCRIPT,
    ".jsx": SourceLanguage.JAVASCRIPT,
    ".ts": SourceLanguage.TYPESCRIPT,
    ".mts": SourceLanguage.TYPESCRIPT,
    ".cts": SourceLanguage.TYPESCRIPT,
    ".tsx": SourceLanguage.TSX,
    ".rs": SourceLanguage.RUST,
}


@dataclass(frozen=True)
class Symbol:
    """One definition: name and qualified name, kind, signature, docstring, lines and visibility."""

    name: str
    qualname: str
    kind: SymbolKind
    signature: str
    docstring: str | None
    start_line: int  # 1-based, inclusive
    end_line: int
    visibility: Visibility

    @property
    def public(self) -> bool:
        """Whether the symbol is part of the public API."""
        return self.visibility is Visibility.PUBLIC


@dataclass(frozen=True)
class Import:
    """One import statement: the module (resolved where possible), the names it takes, its line."""

    module: str  # resolved where possible: relative Python / JS imports, Rust self:: / super::
    names: tuple[str, ...] = ()  # `from m import a, b` / `use m::{a, b}`
    line: int = 0


@dataclass(frozen=True)
class Call:
    """One call site: the enclosing symbol, the callee as written, and the line."""

    caller: str  # qualified name of the innermost enclosing symbol (the module at top level)
    callee: str  # the callee expression as written, whitespace removed: `g`, `self.m`, `S::new`
    line: int = 0

    @property
    def callee_name(self) -> str:
        """The callee's last name part (``m`` of ``self.m``, ``new`` of ``S::new``)."""
        return re.split(r"[.:]+", self.callee)[-1]


@dataclass(frozen=True)
class FileGraph:
    """One parsed file: its language and module, symbols, imports and calls, and whether it had errors."""

    path: str
    language: SourceLanguage
    module: str
    symbols: tuple[Symbol, ...] = ()
    imports: tuple[Import, ...] = ()
    calls: tuple[Call, ...] = ()
    has_errors: bool = False

    @property
    def import_modules(self) -> list[str]:
        """The modules the file imports, sorted, without duplicates."""
        return sorted({i.module for i in self.imports})

    def symbol(self, qualname: str) -> Symbol | None:
        """The symbol named ``qualname``, None if the file defines none."""
        return next((s for s in self.symbols if s.qualname == qualname), None)

    def to_dict(self) -> dict[str, Any]:
        """The graph as JSON-ready data (``from_dict`` reads it back)."""
        return {
            "path": self.path,
            "language": str(self.language),
            "module": self.module,
            "has_errors": self.has_errors,
            "symbols": [
                {**s.__dict__, "kind": str(s.kind), "visibility": str(s.visibility)} for s in self.symbols
            ],
            "imports": [{"module": i.module, "names": list(i.names), "line": i.line} for i in self.imports],
            "calls": [c.__dict__ for c in self.calls],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileGraph:
        """A graph from ``to_dict`` data. Raises ``KeyError`` or ``ValueError`` on malformed data."""
        return cls(
            path=data["path"],
            language=SourceLanguage(data["language"]),
            module=data["module"],
            has_errors=data.get("has_errors", False),
            symbols=tuple(
                Symbol(**{**s, "kind": SymbolKind(s["kind"]), "visibility": Visibility(s["visibility"])})
                for s in data["symbols"]
            ),
            imports=tuple(Import(i["module"], tuple(i["names"]), i["line"]) for i in data["imports"]),
            calls=tuple(Call(**c) for c in data["calls"]),
        )


class UnsupportedLanguage(ValueError):
    """The path's extension has no grammar here."""


def language_for(path: str) -> SourceLanguage | None:
    """The grammar for ``path``'s extension, None if the oracle has none."""
    return EXTENSIONS.get(posixpath.splitext(path)[1].lower())


@cache
def _grammar(language: SourceLanguage) -> tree_sitter.Language:
    raw = {
        SourceLanguage.PYTHON: tree_sitter_python.language,
        SourceLanguage.JAVASCRIPT: tree_sitter_javascript.language,
        SourceLanguage.TYPESCRIPT: tree_sitter_typescript.language_typescript,
        SourceLanguage.TSX: tree_sitter_typescript.language_tsx,
        SourceLanguage.RUST: tree_sitter_rust.language,
    }[language]()
    return tree_sitter.Language(raw)


def module_name(path: str, language: SourceLanguage) -> str:
    """The module a file defines: `pkg.mod` (Python), `src/util` (JS/TS), `crate::a::b` (Rust)."""
    stem = posixpath.splitext(path.replace("\\", "/").lstrip("./"))[0]
    parts = [p for p in stem.split("/") if p]
    if language is SourceLanguage.PYTHON:
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and parts[0] == "src":
            parts = parts[1:]
        return ".".join(parts) or "__init__"
    if language is SourceLanguage.RUST:
        if "src" in parts:
            parts = parts[len(parts) - parts[::-1].index("src") :]
        if parts and parts[-1] in ("lib", "main", "mod"):
            parts = parts[:-1]
        return "::".join(["crate", *parts])
    return "/".join(parts)


# ---------------------------------------------------------------------------------------------- helpers

_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _norm(text: str) -> str:
    """Whitespace-normalized signature text: single spaces, none inside brackets' edges, no trailing comma."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([(\[{<]) ", r"\1", text)
    text = re.sub(r" ([)\]}])", r"\1", text)
    return re.sub(r",([)\]}>])", r"\1", text)


def _clean(node: Node | None) -> str:
    """The node's text without comments inside it, whitespace-normalized."""
    if node is None:
        return ""
    raw = node.text or b""
    base = node.start_byte
    cuts = sorted((c.start_byte - base, c.end_byte - base) for c in _walk(node) if c.type in _COMMENTS)
    out, pos = [], 0
    for start, end in cuts:
        if start >= pos:
            out.append(raw[pos:start])
            pos = end
    out.append(raw[pos:])
    return _norm(b" ".join(out).decode("utf-8", "replace"))


def _sig(params: str, returns: str = "", prefix: str = "") -> str:
    sig = f"{prefix} {params}".strip() if prefix else params
    return f"{sig} -> {returns}" if returns else sig


def _anon_tokens(node: Node, wanted: frozenset[str]) -> str:
    return " ".join(c.type for c in node.children if not c.is_named and c.type in wanted)


@dataclass
class _Sym:
    name: str
    qualname: str
    kind: SymbolKind
    signature: str
    docstring: str | None
    span: Node
    public: bool
    top: str = ""  # top-level name it belongs to (JS/TS export lists decide late)
    parent_public: bool = True

    def freeze(self) -> Symbol:
        return Symbol(
            name=self.name,
            qualname=self.qualname,
            kind=self.kind,
            signature=self.signature,
            docstring=self.docstring or None,
            start_line=self.span.start_point[0] + 1,
            end_line=self.span.end_point[0] + 1,
            visibility=Visibility.PUBLIC if self.public else Visibility.PRIVATE,
        )


@dataclass
class _Ctx:
    path: str
    language: SourceLanguage
    module: str
    sep: str
    syms: list[_Sym] = field(default_factory=list)
    owners: dict[tuple[int, int, str], str] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)

    def add(self, sym: _Sym, body: Node) -> _Sym:
        self.syms.append(sym)
        self.owners[(body.start_byte, body.end_byte, body.type)] = sym.qualname
        return sym

    def qual(self, scope: str, name: str) -> str:
        return f"{scope}{self.sep}{name}" if scope else name


def parse_file(path: str, source: bytes, language: SourceLanguage | str | None = None) -> FileGraph:
    """Parse one file. ``language`` defaults to the one its extension names."""
    lang = SourceLanguage(language) if language else language_for(path)
    if lang is None:
        raise UnsupportedLanguage(f"{path}: no grammar for this extension")
    if lang is SourceLanguage.TYPESCRIPT and path.lower().endswith(".tsx"):
        lang = SourceLanguage.TSX
    tree = tree_sitter.Parser(_grammar(lang)).parse(source)
    root = tree.root_node
    sep = "::" if lang is SourceLanguage.RUST else "."
    ctx = _Ctx(path=path, language=lang, module=module_name(path, lang), sep=sep)
    if lang is SourceLanguage.PYTHON:
        module_doc, module_public = _python(ctx, root)
        call_types = {"call": "function"}
    elif lang is SourceLanguage.RUST:
        module_doc, module_public = _rust(ctx, root)
        call_types = {"call_expression": "function"}
    else:
        module_doc, module_public = _js(ctx, root)
        call_types = {"call_expression": "function", "new_expression": "constructor"}
    mod_name = re.split(r"[./:]+", ctx.module)[-1] if ctx.module else ""
    module_sym = Symbol(
        name=mod_name,
        qualname=ctx.module,
        kind=SymbolKind.MODULE,
        signature="",
        docstring=module_doc or None,
        start_line=1,
        end_line=root.end_point[0] + 1,
        visibility=Visibility.PUBLIC if module_public else Visibility.PRIVATE,
    )
    return FileGraph(
        path=path,
        language=lang,
        module=ctx.module,
        symbols=(module_sym, *(s.freeze() for s in ctx.syms)),
        imports=tuple(ctx.imports),
        calls=tuple(_calls(ctx, root, call_types)),
        has_errors=root.has_error,
    )


def _calls(ctx: _Ctx, root: Node, call_types: dict[str, str]) -> list[Call]:
    out: list[Call] = []
    stack: list[tuple[Node, str]] = [(root, ctx.module)]
    while stack:
        node, caller = stack.pop()
        caller = ctx.owners.get((node.start_byte, node.end_byte, node.type), caller)
        field_name = call_types.get(node.type)
        if field_name:
            fn = node.child_by_field_name(field_name)
            if fn is not None and fn.type == "generic_function":  # Rust `f::<T>()`
                fn = fn.child_by_field_name("function")
            callee = re.sub(r"\s+", "", _clean(fn))
            if "(" in callee or "[" in callee or not callee:
                last = [c for c in fn.named_children if "identifier" in c.type] if fn is not None else []
                callee = _text(last[-1]) if last else ""
            if callee:
                out.append(Call(caller=caller, callee=callee, line=node.start_point[0] + 1))
        stack.extend((c, caller) for c in reversed(node.children))
    return out


# ----------------------------------------------------------------------------------------------- python


def _py_docstring(body: Node | None) -> str | None:
    if body is None:
        return None
    first = next((c for c in body.named_children if c.type not in _COMMENTS), None)
    if first is None or first.type != "expression_statement" or not first.named_children:
        return None
    string = first.named_children[0]
    if string.type not in ("string", "concatenated_string"):
        return None
    try:
        value = ast.literal_eval(_text(string))
    except (ValueError, SyntaxError):
        return None
    return inspect.cleandoc(value) if isinstance(value, str) else None


def _py_all(root: Node) -> set[str] | None:
    names: set[str] | None = None
    for stmt in root.named_children:
        if stmt.type != "expression_statement" or not stmt.named_children:
            continue
        expr = stmt.named_children[0]
        if expr.type not in ("assignment", "augmented_assignment"):
            continue
        if _text(expr.child_by_field_name("left")) != "__all__":
            continue
        names = set() if names is None or expr.type == "assignment" else names
        right = expr.child_by_field_name("right")
        for s in right.named_children if right is not None else ():
            if s.type == "string":
                with contextlib.suppress(ValueError, SyntaxError):
                    names.add(ast.literal_eval(_text(s)))
    return names


def _py_public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__") and len(name) > 4)


_PY_NESTED_BLOCKS = frozenset(
    {"if_statement", "elif_clause", "else_clause", "try_statement", "except_clause", "finally_clause"}
    | {"with_statement", "block"}
)


def _python(ctx: _Ctx, root: Node) -> tuple[str | None, bool]:
    exported = _py_all(root)
    module_public = all(_py_public(p) or p == "__main__" for p in ctx.module.split("."))

    def visit(block: Node, scope: str, in_class: bool, scope_public: bool, top_level: bool) -> None:
        for child in block.named_children:
            span, node = child, child
            if child.type == "decorated_definition":
                node = child.child_by_field_name("definition") or child
            if node.type in _PY_NESTED_BLOCKS:
                visit(node, scope, in_class, scope_public, top_level)
                continue
            if node.type not in ("function_definition", "class_definition"):
                continue
            name = _text(node.child_by_field_name("name"))
            public = scope_public and _py_public(name)
            if top_level and exported is not None:
                public = public and name in exported
            body = node.child_by_field_name("body")
            tparams = _clean(node.child_by_field_name("type_parameters"))
            if node.type == "function_definition":
                sig = _sig(
                    tparams + _clean(node.child_by_field_name("parameters")),
                    _clean(node.child_by_field_name("return_type")),
                    _anon_tokens(node, frozenset({"async"})),
                )
                kind = SymbolKind.METHOD if in_class else SymbolKind.FUNCTION
                ctx.add(_Sym(name, ctx.qual(scope, name), kind, sig, _py_docstring(body), span, public), node)
            else:
                sig = tparams + _clean(node.child_by_field_name("superclasses"))
                qual = ctx.qual(scope, name)
                doc = _py_docstring(body)
                ctx.add(_Sym(name, qual, SymbolKind.CLASS, sig, doc, span, public), node)
                if body is not None:
                    visit(body, qual, True, public, False)

    visit(root, ctx.module, False, module_public, True)
    _py_imports(ctx, root)
    return _py_docstring(root), module_public


def _py_imports(ctx: _Ctx, root: Node) -> None:
    is_package = ctx.path.endswith("__init__.py")
    for node in _walk(root):
        line = node.start_point[0] + 1
        if node.type == "import_statement":
            for name in node.children_by_field_name("name"):
                target = name.child_by_field_name("name") if name.type == "aliased_import" else name
                ctx.imports.append(Import(_text(target), (), line))
        elif node.type == "import_from_statement":
            mod = node.child_by_field_name("module_name")
            names = []
            for name in node.children_by_field_name("name"):
                target = name.child_by_field_name("name") if name.type == "aliased_import" else name
                names.append(_text(target))
            if mod is not None and mod.type == "relative_import":
                prefix = next((c for c in mod.named_children if c.type == "import_prefix"), None)
                dots = len(_text(prefix))
                rest = next((_text(c) for c in mod.named_children if c.type == "dotted_name"), "")
                package = ctx.module.split(".") if is_package else ctx.module.split(".")[:-1]
                base = package[: len(package) - (dots - 1)] if dots - 1 <= len(package) else []
                module = ".".join([*base, *([rest] if rest else [])])
            else:
                module = _text(mod)
            ctx.imports.append(Import(module, tuple(names), line))


# ------------------------------------------------------------------------------------------ javascript


def _jsdoc(anchor: Node) -> str | None:
    prev = anchor.prev_named_sibling
    if prev is None or prev.type != "comment":
        return None
    text = _text(prev)
    if not text.startswith("/**") or prev.end_point[0] < anchor.start_point[0] - 1:
        return None
    lines = [re.sub(r"^\s*\*? ?", "", line).rstrip() for line in text[3:-2].splitlines()]
    return inspect.cleandoc("\n".join(lines)).strip() or None


_JS_FUNC_VALUES = frozenset(
    {
        "arrow_function",
        "function_expression",
        "function",
        "generator_function",
        "generator_function_declaration",
    }
)
_JS_FUNC_TOKENS = frozenset({"async", "*", "static", "get", "set", "abstract", "readonly"})


def _js_fn_sig(node: Node, extra_prefix: str = "") -> str:
    params = node.child_by_field_name("parameters")
    ptext = _clean(params) if params is not None else f"({_clean(node.child_by_field_name('parameter'))})"
    returns = _clean(node.child_by_field_name("return_type")).lstrip(":").strip()
    prefix = " ".join(p for p in (extra_prefix, _anon_tokens(node, _JS_FUNC_TOKENS)) if p)
    return _sig(_clean(node.child_by_field_name("type_parameters")) + ptext, returns, prefix)


def _js(ctx: _Ctx, root: Node) -> tuple[str | None, bool]:
    export_names: set[str] = set()

    def declare(decl: Node, span: Node, anchor: Node, exported: bool, default_name: str = "") -> None:
        t = decl.type
        if t == "ambient_declaration":  # `declare function f(): void;`
            for c in decl.named_children:
                declare(c, span, anchor, exported)
            return
        name = _text(decl.child_by_field_name("name")) or default_name
        doc = _jsdoc(anchor)
        if t in ("function_declaration", "generator_function_declaration", "function_signature") or (
            t in _JS_FUNC_VALUES and name
        ):
            sym = _Sym(
                name, ctx.qual(ctx.module, name), SymbolKind.FUNCTION, _js_fn_sig(decl), doc, span, exported
            )
            ctx.add(sym, decl).top = name
        elif t in ("class_declaration", "abstract_class_declaration", "class") and name:
            heritage = next((c for c in decl.named_children if c.type == "class_heritage"), None)
            sig = _clean(decl.child_by_field_name("type_parameters")) + _clean(heritage)
            qual = ctx.qual(ctx.module, name)
            ctx.add(_Sym(name, qual, SymbolKind.CLASS, sig, doc, span, exported, top=name), decl)
            body = decl.child_by_field_name("body")
            for member in body.named_children if body is not None else ():
                if member.type not in ("method_definition", "method_signature", "abstract_method_signature"):
                    continue
                mname_node = member.child_by_field_name("name")
                mname = _text(mname_node)
                access = next(
                    (_text(c) for c in member.named_children if c.type == "accessibility_modifier"), ""
                )
                private = access in ("private", "protected") or (
                    mname_node is not None and mname_node.type == "private_property_identifier"
                )
                msym = _Sym(
                    mname, ctx.qual(qual, mname), SymbolKind.METHOD, _js_fn_sig(member), _jsdoc(member),
                    member, exported and not private, top=name, parent_public=not private,
                )  # fmt: skip
                ctx.add(msym, member)
        elif t == "interface_declaration":
            ext = next((c for c in decl.named_children if c.type == "extends_type_clause"), None)
            sig = _norm(
                " ".join(
                    _clean(x)
                    for x in (
                        decl.child_by_field_name("type_parameters"),
                        ext,
                        decl.child_by_field_name("body"),
                    )
                )
            )
            sym = _Sym(
                name, ctx.qual(ctx.module, name), SymbolKind.INTERFACE, sig, doc, span, exported, top=name
            )
            ctx.add(sym, decl)
        elif t == "type_alias_declaration":
            tparams = _clean(decl.child_by_field_name("type_parameters"))
            sig = _norm(f"{tparams} = {_clean(decl.child_by_field_name('value'))}")
            sym = _Sym(name, ctx.qual(ctx.module, name), SymbolKind.TYPE, sig, doc, span, exported, top=name)
            ctx.add(sym, decl)
        elif t == "enum_declaration":
            sig = _clean(decl.child_by_field_name("body"))
            sym = _Sym(name, ctx.qual(ctx.module, name), SymbolKind.ENUM, sig, doc, span, exported, top=name)
            ctx.add(sym, decl)
        elif t in ("lexical_declaration", "variable_declaration"):
            for var in decl.named_children:
                value = var.child_by_field_name("value")
                vname = var.child_by_field_name("name")
                if value is None or vname is None or vname.type != "identifier":
                    continue
                if value.type in _JS_FUNC_VALUES or value.type == "class":
                    declare_value(value, _text(vname), span, anchor, exported)

    def declare_value(value: Node, name: str, span: Node, anchor: Node, exported: bool) -> None:
        if value.type == "class":
            declare(value, span, anchor, exported, default_name=name)
            return
        doc = _jsdoc(anchor)
        sym = _Sym(
            name, ctx.qual(ctx.module, name), SymbolKind.FUNCTION, _js_fn_sig(value), doc, span, exported
        )
        ctx.add(sym, value).top = name

    for stmt in root.named_children:
        if stmt.type == "export_statement":
            decl = stmt.child_by_field_name("declaration")
            value = stmt.child_by_field_name("value")
            if decl is not None:
                declare(decl, stmt, stmt, True)
            elif value is not None:
                if value.type == "identifier":
                    export_names.add(_text(value))
                elif value.type in _JS_FUNC_VALUES or value.type == "class":
                    name = _text(value.child_by_field_name("name")) or "default"
                    declare_value(value, name, stmt, stmt, True)
            for clause in (c for c in stmt.named_children if c.type == "export_clause"):
                if stmt.child_by_field_name("source") is None:
                    export_names.update(_text(s.child_by_field_name("name")) for s in clause.named_children)
        elif stmt.type == "expression_statement" and stmt.named_children:
            expr = stmt.named_children[0]
            _commonjs_exports(expr, export_names)
            if (
                expr.type == "assignment_expression"
                and (value := expr.child_by_field_name("right")) is not None
            ):
                left = _clean(expr.child_by_field_name("left"))
                if value.type in _JS_FUNC_VALUES or value.type == "class":
                    # `module.exports = (a, b) => ...`: named after the file (ranges/max-satisfying.js ->
                    # maxSatisfying); `exports.name = function ...`: after the property
                    name = _text(value.child_by_field_name("name")) or _commonjs_name(left, ctx.module)
                    if name:
                        declare_value(value, name, stmt, stmt, True)
        else:
            declare(stmt, stmt, stmt, False)

    for sym in ctx.syms:
        if sym.top in export_names and sym.parent_public:
            sym.public = True
    _js_imports(ctx, root)
    return None, any(s.public for s in ctx.syms)


def _commonjs_name(left: str, module: str) -> str | None:
    """The name of a value assigned to ``module.exports`` (the file's, camelCased) or ``exports.NAME``."""
    if left == "module.exports":
        parts = [p for p in re.split(r"[/\\]", module) if p]
        if parts and parts[-1] == "index" and len(parts) > 1:
            parts.pop()
        stem = parts[-1].split(".")[0] if parts else ""
        words = [w for w in re.split(r"[-_\s]+", stem) if w]
        return (words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])) if words else None
    m = re.fullmatch(r"(?:module\.)?exports\.(\w+)", left)
    return m.group(1) if m else None


def _commonjs_exports(expr: Node, export_names: set[str]) -> None:
    if expr.type != "assignment_expression":
        return
    left, right = _clean(expr.child_by_field_name("left")), expr.child_by_field_name("right")
    if right is None:
        return
    if left == "module.exports":
        if right.type == "identifier":
            export_names.add(_text(right))
        elif right.type == "object":
            for prop in right.named_children:
                if prop.type == "shorthand_property_identifier":
                    export_names.add(_text(prop))
                elif (
                    prop.type == "pair"
                    and (v := prop.child_by_field_name("value"))
                    and v.type == "identifier"
                ):
                    export_names.add(_text(v))
    elif re.fullmatch(r"(module\.)?exports\.\w+", left) and right.type == "identifier":
        export_names.add(_text(right))


def _js_string(node: Node | None) -> str | None:
    if node is None or node.type not in ("string", "template_string"):
        return None
    return _text(node)[1:-1]


def _js_imports(ctx: _Ctx, root: Node) -> None:
    def add(spec: str | None, node: Node) -> None:
        if not spec:
            return
        if spec.startswith("."):
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(ctx.path), spec))
            stem, ext = posixpath.splitext(joined)
            spec = stem if ext in EXTENSIONS else joined
        ctx.imports.append(Import(spec, (), node.start_point[0] + 1))

    for node in _walk(root):
        if node.type in ("import_statement", "export_statement"):
            add(_js_string(node.child_by_field_name("source")), node)
        elif node.type == "call_expression":
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if fn is not None and (fn.type == "import" or _text(fn) == "require") and args is not None:
                first = args.named_children[0] if args.named_children else None
                add(_js_string(first), node)


# ------------------------------------------------------------------------------------------------ rust


def _rust_doc(item: Node) -> str | None:
    lines: list[str] = []
    prev = item.prev_named_sibling
    while prev is not None:
        if prev.type == "attribute_item":
            prev = prev.prev_named_sibling
            continue
        if prev.type == "line_comment" and prev.child_by_field_name("outer") is not None:
            lines.append(_text(prev.child_by_field_name("doc")).rstrip("\n"))
        elif prev.type == "block_comment" and _text(prev).startswith("/**"):
            body = _text(prev)[3:-2]
            lines.append("\n".join(re.sub(r"^\s*\*? ?", "", ln) for ln in body.splitlines()))
        else:
            break
        prev = prev.prev_named_sibling
    if not lines:
        return None
    return inspect.cleandoc("\n".join(ln[1:] if ln.startswith(" ") else ln for ln in reversed(lines))) or None


def _rust_inner_doc(root: Node) -> str | None:
    lines = [
        _text(c.child_by_field_name("doc")).rstrip("\n")
        for c in root.named_children
        if c.type == "line_comment" and c.child_by_field_name("inner") is not None
    ]
    return (
        inspect.cleandoc("\n".join(ln[1:] if ln.startswith(" ") else ln for ln in lines)) if lines else None
    )


def _rust_pub(item: Node) -> bool:
    return any(c.type == "visibility_modifier" and _text(c) == "pub" for c in item.named_children)


def _rust_type_name(node: Node | None) -> str:
    while node is not None and node.type in ("generic_type", "scoped_type_identifier", "reference_type"):
        node = node.child_by_field_name("type") or node.child_by_field_name("name")
    return _text(node)


def _rust_fn_sig(fn: Node) -> str:
    modifiers = next((_clean(c) for c in fn.named_children if c.type == "function_modifiers"), "")
    where = next((_clean(c) for c in fn.named_children if c.type == "where_clause"), "")
    params = _clean(fn.child_by_field_name("type_parameters")) + _clean(fn.child_by_field_name("parameters"))
    sig = _sig(params, _clean(fn.child_by_field_name("return_type")), modifiers)
    return f"{sig} {where}" if where else sig


def _rust(ctx: _Ctx, root: Node) -> tuple[str | None, bool]:
    public_types = {
        _text(c.child_by_field_name("name"))
        for c in _walk(root)
        if c.type in ("struct_item", "enum_item", "type_item", "union_item") and _rust_pub(c)
    }
    local_types = {
        _text(c.child_by_field_name("name"))
        for c in _walk(root)
        if c.type in ("struct_item", "enum_item", "type_item", "union_item")
    }

    def visit(body: Node, scope: str, scope_public: bool, container: str) -> None:
        """container: "" (module), "impl" (inherent), "trait_impl", "trait"."""
        for item in body.named_children:
            t = item.type
            name = _text(item.child_by_field_name("name"))
            pub = scope_public and (_rust_pub(item) if container in ("", "impl") else True)
            doc = _rust_doc(item)
            if t in ("function_item", "function_signature_item"):
                kind = SymbolKind.METHOD if container else SymbolKind.FUNCTION
                ctx.add(_Sym(name, ctx.qual(scope, name), kind, _rust_fn_sig(item), doc, item, pub), item)
            elif t == "struct_item":
                fields = item.child_by_field_name("body")
                if fields is not None and fields.type == "field_declaration_list":
                    shown = ", ".join(
                        f"{_text(f.child_by_field_name('name'))}: {_clean(f.child_by_field_name('type'))}"
                        for f in fields.named_children
                        if f.type == "field_declaration" and _rust_pub(f)
                    )
                    body_sig = f"{{{shown}}}"
                else:
                    body_sig = _clean(fields)
                sig = _clean(item.child_by_field_name("type_parameters")) + body_sig
                ctx.add(_Sym(name, ctx.qual(scope, name), SymbolKind.STRUCT, sig, doc, item, pub), item)
            elif t == "enum_item":
                sig = _clean(item.child_by_field_name("type_parameters")) + _clean(
                    item.child_by_field_name("body")
                )
                ctx.add(_Sym(name, ctx.qual(scope, name), SymbolKind.ENUM, sig, doc, item, pub), item)
            elif t == "type_item":
                sig = (
                    _clean(item.child_by_field_name("type_parameters"))
                    + " = "
                    + _clean(item.child_by_field_name("type"))
                )
                ctx.add(_Sym(name, ctx.qual(scope, name), SymbolKind.TYPE, _norm(sig), doc, item, pub), item)
            elif t == "trait_item":
                sig = _norm(
                    _clean(item.child_by_field_name("type_parameters"))
                    + " "
                    + _clean(item.child_by_field_name("bounds"))
                )
                qual = ctx.qual(scope, name)
                ctx.add(_Sym(name, qual, SymbolKind.TRAIT, sig, doc, item, pub), item)
                if (b := item.child_by_field_name("body")) is not None:
                    visit(b, qual, pub, "trait")
            elif t == "impl_item":
                type_name = _rust_type_name(item.child_by_field_name("type"))
                is_trait_impl = item.child_by_field_name("trait") is not None
                # visible where the type is; types declared elsewhere count as public
                impl_public = scope_public and (type_name in public_types or type_name not in local_types)
                if (b := item.child_by_field_name("body")) is not None:
                    kind = "trait_impl" if is_trait_impl else "impl"
                    visit(b, ctx.qual(scope, type_name), impl_public, kind)
            elif t == "mod_item" and (b := item.child_by_field_name("body")) is not None:
                qual = ctx.qual(scope, name)
                ctx.add(_Sym(name, qual, SymbolKind.MODULE, "", doc, item, pub), item)
                visit(b, qual, pub, "")

    visit(root, ctx.module, True, "")
    _rust_imports(ctx, root)
    return _rust_inner_doc(root), any(s.public for s in ctx.syms)


def _rust_imports(ctx: _Ctx, root: Node) -> None:
    def resolve(path: str) -> str:
        parts = path.split("::")
        if parts[0] == "self":
            return "::".join([*ctx.module.split("::"), *parts[1:]])
        if parts[0] == "super":
            base = ctx.module.split("::")
            while parts and parts[0] == "super":
                base, parts = base[:-1] or ["crate"], parts[1:]
            return "::".join([*base, *parts])
        return path

    def add(arg: Node, prefix: str, line: int) -> None:
        t = arg.type
        if t == "use_as_clause":
            add(arg.child_by_field_name("path"), prefix, line)
        elif t == "scoped_use_list":
            path = _clean(arg.child_by_field_name("path"))
            full = f"{prefix}::{path}" if prefix else path
            items = arg.child_by_field_name("list")
            names = tuple(
                _text(c).split("::")[0] if c.type != "use_as_clause" else _text(c.child_by_field_name("path"))
                for c in (items.named_children if items is not None else ())
            )
            ctx.imports.append(Import(resolve(full), names, line))
        elif t == "use_list":
            for c in arg.named_children:
                add(c, prefix, line)
        elif t == "use_wildcard":
            path = _clean(arg.named_children[0]) if arg.named_children else ""
            ctx.imports.append(Import(resolve(f"{prefix}::{path}" if prefix else path), ("*",), line))
        else:
            path = re.sub(r"\s+", "", _text(arg))
            ctx.imports.append(Import(resolve(f"{prefix}::{path}" if prefix else path), (), line))

    for node in _walk(root):
        if node.type == "use_declaration" and (arg := node.child_by_field_name("argument")) is not None:
            add(arg, "", node.start_point[0] + 1)
        elif node.type == "extern_crate_declaration":
            ctx.imports.append(Import(_text(node.child_by_field_name("name")), (), node.start_point[0] + 1))
