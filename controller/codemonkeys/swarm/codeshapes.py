"""The shapes of code a fix template reads and writes, per language: import statements (Python
``from``/``import``, JavaScript/TypeScript ``import``/``export ... from``/``require``, Rust ``use``), call
argument lists (Python), a module's attributes through the file's alias of it, methods turned functions,
generator-based coroutines (Python), one-line entries of configuration files (JSON, YAML, TOML), dependency
entries of manifests (requirements files, pyproject.toml, package.json, Cargo.toml) and which files are tests.

Where it sits in the data flow: below ``swarm/templates.py``, which learns edits from a fix's diff with
``parse_import``, ``call_changes`` and ``requirement``, and applies them to another product's files with
``move_name``, ``move_module``, ``reshape_calls`` and ``pin``. Pure: text in, text out; line-based and
regex-based (no parser), so what it does not recognise it leaves alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

LANGUAGES = {
    ".py": "py",
    ".pyi": "py",
    ".js": "js",
    ".mjs": "js",
    ".cjs": "js",
    ".jsx": "js",
    ".ts": "js",
    ".tsx": "js",
    ".mts": "js",
    ".cts": "js",
    ".rs": "rust",
}
SEPARATORS = {"py": ".", "js": "/", "rust": "::"}


def language(path: str) -> str | None:
    """``py``, ``js`` (JavaScript and TypeScript) or ``rust`` by the file's suffix; None for other files."""
    return LANGUAGES.get(PurePosixPath(path).suffix.lower())


_TEST_DIRS = {"tests", "test", "__tests__", "spec", "specs", "testing", "e2e"}
_TEST_NAME = re.compile(
    r"^(?:test_.*\.py|.*_test\.py|conftest\.py|.*\.(?:test|spec)\.[cm]?[jt]sx?|.*_test\.rs|test\.rs)$"
)


def is_test_path(path: str) -> bool:
    """Whether a repo-relative file is a test (a tests directory, ``test_*.py``, ``*.test.ts``, ...)."""
    p = PurePosixPath(path)
    return bool(_TEST_DIRS & set(p.parts[:-1])) or bool(_TEST_NAME.match(p.name))


# --- import statements -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One import statement: the module path and the names it binds (name, alias or "")."""

    lang: str
    module: str
    names: tuple[tuple[str, str], ...] = ()  # empty: the module itself is imported

    @property
    def bound(self) -> set[str]:
        """The imported names (not their aliases)."""
        return {n for n, _ in self.names}


_PY_FROM = re.compile(r"^from\s+(\.*[\w.]*)\s+import\s+\(?\s*([^()#]+?)\s*,?\s*\)?\s*(?:#.*)?$")
_PY_IMPORT = re.compile(r"^import\s+([\w.]+)(?:\s+as\s+\w+)?\s*(?:#.*)?$")
_JS_FROM = re.compile(r"^(?:import|export)\s+(?:type\s+)?(.+?)\s+from\s+(['\"])(.+?)\2\s*;?\s*$")
_JS_REQUIRE = re.compile(r"^(?:const|let|var)\s+(.+?)\s*=\s*require\(\s*(['\"])(.+?)\2\s*\)\s*;?\s*$")
_JS_BARE = re.compile(r"^import\s+(['\"])(.+?)\1\s*;?\s*$")
_RS_USE = re.compile(r"^(?:pub(?:\([\w:\s]+\))?\s+)?use\s+(.+?)\s*;\s*$")
_ALIAS = re.compile(r"^([\w$]+)(?:\s+as\s+([\w$]+)|\s*:\s*([\w$]+))?$")


def _entries(clause: str) -> tuple[tuple[str, str], ...] | None:
    out = []
    for part in clause.split(","):
        part = part.strip()
        if not part:
            continue
        m = _ALIAS.match(part.removeprefix("type "))
        if m is None:
            return None
        out.append((m.group(1), m.group(2) or m.group(3) or ""))
    return tuple(out)


def parse_import(line: str, lang: str | None) -> Import | None:
    """The import statement a (stripped) line holds, or None when it is not one on a single line."""
    line = line.strip()
    if lang == "py":
        if m := _PY_FROM.match(line):
            names = _entries(m.group(2))
            return Import("py", m.group(1), names) if names else None
        if m := _PY_IMPORT.match(line):
            return Import("py", m.group(1))
    elif lang == "js":
        if m := (_JS_FROM.match(line) or _JS_REQUIRE.match(line)):
            clause = m.group(1)
            names: list[tuple[str, str]] = []
            if brace := re.search(r"\{(.*)\}", clause):
                found = _entries(brace.group(1))
                if found is None:
                    return None
                names += found
                clause = clause[: brace.start()] + clause[brace.end() :]
            default = clause.strip().strip(",").strip()
            if default.startswith("* as "):
                names.append(("*", default[5:].strip()))
            elif default:
                names.append(("default", default))
            return Import("js", m.group(3), tuple(names))
        if m := _JS_BARE.match(line):
            return Import("js", m.group(2))
    elif lang == "rust" and (m := _RS_USE.match(line)):
        path = m.group(1)
        if brace := re.fullmatch(r"(.+?)::\{([^{}]*)\}", path):
            names = _entries(brace.group(2))
            return Import("rust", brace.group(1), names) if names else None
        if one := re.fullmatch(r"([\w:]+)::(\w+)(?:\s+as\s+(\w+))?", path):
            return Import("rust", one.group(1), ((one.group(2), one.group(3) or ""),))
        if re.fullmatch(r"[\w:]+", path):
            return Import("rust", path)
    return None


def import_line(imp: Import, entry: tuple[str, str], quote: str = "'", semi: str = ";") -> str:
    """One statement that imports one name from ``imp.module`` (the shape a split-off import takes)."""
    name, alias = entry
    if imp.lang == "py":
        return f"from {imp.module} import {name}" + (f" as {alias}" if alias else "")
    if imp.lang == "js":
        what = f"{name} as {alias}" if alias else name
        return f"import {{ {what} }} from {quote}{imp.module}{quote}{semi}"
    return f"use {imp.module}::{name}" + (f" as {alias}" if alias else "") + ";"


def _statements(text: str, lang: str, module: str) -> list[re.Match[str]]:
    """The import statements of ``module`` that list names (over several lines too), in the text."""
    mod = re.escape(module)
    if lang == "py":
        pattern = rf"^([ \t]*)from[ \t]+{mod}[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)"
    elif lang == "js":
        pattern = (
            rf"^([ \t]*)(?:import|export)[ \t]+(?:type[ \t]+)?((?:[\w$]+[ \t]*,[ \t]*)?\{{[^}}]*\}})[ \t]*"
            rf"from[ \t]*(['\"]){mod}\3[ \t]*;?"
            rf"|^([ \t]*)(?:const|let|var)[ \t]+(\{{[^}}]*\}})[ \t]*=[ \t]*"
            rf"require\([ \t]*(['\"]){mod}\6[ \t]*\)[ \t]*;?"
        )
    else:
        pattern = (
            rf"^([ \t]*)(?:pub(?:\([\w:\s]+\))?[ \t]+)?use[ \t]+{mod}::"
            rf"(\{{[^}}]*\}}|\w+(?:[ \t]+as[ \t]+\w+)?)[ \t]*;"
        )
    return list(re.finditer(pattern, text, re.MULTILINE))


def _drop_entry(clause: str, name: str) -> str:
    """The clause (``(a, b)``, ``{ a, b }``, ``a, b``) without the entry of ``name``."""
    entry = rf"(?<![\w$]){re.escape(name)}(?:\s+as\s+[\w$]+|\s*:\s*[\w$]+)?(?![\w$])"
    for pattern in (entry + r"[ \t]*,[ \t]*(?:\n[ \t]*)?", r",[ \t]*" + entry, entry):
        new, n = re.subn(pattern, "", clause, count=1)
        if n:
            return new
    return clause


def move_name(text: str, lang: str, old: str, new: str, name: str) -> str:
    """``name`` imported from module ``old`` is imported from ``new`` instead: a statement importing only it
    changes its module; from one importing more it is split off into its own statement after it. Python's
    ``old.name`` and Rust's ``old::name`` in code follow."""
    for m in reversed(_statements(text, lang, old)):
        stmt = m.group(0)
        clause = m.group(2) if lang != "js" or m.group(2) else m.group(5)
        indent = m.group(1) if m.group(1) is not None else (m.group(4) or "")
        names = _entries(clause.strip("(){} \t\n").replace("\n", " "))
        if not names or name not in {n for n, _ in names}:
            continue
        entry = next(e for e in names if e[0] == name)
        if len(names) == 1:
            replacement = _swap_module(stmt, lang, old, new)
        else:
            quote = m.group(3) or m.group(6) or "'" if lang == "js" else "'"
            semi = ";" if stmt.rstrip().endswith(";") else ""
            rest = stmt.replace(clause, _drop_entry(clause, name), 1)
            replacement = rest + "\n" + indent + import_line(Import(lang, new), entry, quote, semi)
        text = text[: m.start()] + replacement + text[m.end() :]
    sep = SEPARATORS[lang]
    if lang in ("py", "rust"):
        text = re.sub(rf"(?<![\w.:]){re.escape(old + sep + name)}(?!\w)", new + sep + name, text)
    return text


def guard_import(text: str, old: str, new: str, name: str) -> str:
    """Python: ``from old import name`` is tried first and ``from new import name`` is its fallback
    (``try: ... except ImportError: ...``, the compat import a fix keeps for older versions); a statement
    importing more names keeps the others. A file that already imports ``name`` from ``new`` is left alone."""
    if re.search(
        rf"^[ \t]*from[ \t]+{re.escape(new)}[ \t]+import[ \t]+[^\n]*\b{re.escape(name)}\b", text, re.M
    ):
        return text
    for m in reversed(_statements(text, "py", old)):
        stmt, clause, indent = m.group(0), m.group(2), m.group(1)
        names = _entries(clause.strip("() \t\n").replace("\n", " "))
        if not names or name not in {n for n, _ in names}:
            continue
        entry = next(e for e in names if e[0] == name)
        what = f"{name} as {entry[1]}" if entry[1] else name
        block = (
            f"{indent}try:\n{indent}    from {old} import {what}\n"
            f"{indent}except ImportError:\n{indent}    from {new} import {what}"
        )
        rest = "" if len(names) == 1 else stmt.replace(clause, _drop_entry(clause, name), 1) + "\n"
        text = text[: m.start()] + rest + block + text[m.end() :]
    return text


def _swap_module(stmt: str, lang: str, old: str, new: str) -> str:
    if lang == "py":
        return re.sub(rf"(\bfrom[ \t]+){re.escape(old)}(?=[ \t])", lambda m: m.group(1) + new, stmt, count=1)
    if lang == "js":
        return re.sub(rf"(['\"]){re.escape(old)}\1", lambda m: m.group(1) + new + m.group(1), stmt, count=1)
    return re.sub(rf"(\buse[ \t]+){re.escape(old)}(?=::)", lambda m: m.group(1) + new, stmt, count=1)


def move_module(text: str, lang: str, old: str, new: str) -> str:
    """Module ``old`` is ``new`` now (and its submodules with it): in import statements (Python, JS/TS),
    and in every path of Rust code."""
    o = re.escape(old)
    sep = SEPARATORS[lang]
    # a move into a submodule (collections -> collections.abc) that is already applied is not applied again
    done = rf"(?!{re.escape(new[len(old) :])}(?![\w]))" if new.startswith(old + sep) else ""
    if lang == "py":
        text = re.sub(
            rf"^([ \t]*(?:from|import)[ \t]+){o}{done}(?=[.\s]|$)",
            lambda m: m.group(1) + new,
            text,
            flags=re.MULTILINE,
        )
        if re.search(rf"^[ \t]*import[ \t]+{re.escape(new)}[ \t]*$", text, re.MULTILINE):
            text = re.sub(rf"(?<![\w.]){o}{done}(?=\.\w)", new, text)  # old.attr after `import old`
        return text
    if lang == "js":
        return re.sub(
            rf"(\bfrom[ \t]*|\brequire\([ \t]*|\bimport\([ \t]*|^[ \t]*import[ \t]+)"
            rf"(['\"]){o}((?:/[^'\"]*)?)\2",
            lambda m: m.group(1) + m.group(2) + new + m.group(3) + m.group(2),
            text,
            flags=re.MULTILINE,
        )
    return re.sub(rf"(?<![\w:]){o}(?=::|[ \t]*[;}}]|[ \t]+as\b)", new, text)


def default_to_named(text: str, old: str, new: str, name: str) -> str:
    """JavaScript/TypeScript: the whole binding of module ``old`` (``const x = require('old')``, ``import x
    from 'old'``) becomes the named export ``name`` of module ``new`` (``const { name: x } = require('new')``,
    ``import { name as x } from 'new'``), as when a package stops exporting its subpaths (``uuid/v4``)."""
    o = re.escape(old)

    def required(m: re.Match[str]) -> str:
        entry = name if m.group(2) == name else f"{name}: {m.group(2)}"
        return f"{m.group(1)} {{ {entry} }} = require({m.group(3)}{new}{m.group(3)})"

    def imported(m: re.Match[str]) -> str:
        entry = name if m.group(1) == name else f"{name} as {m.group(1)}"
        return f"import {{ {entry} }} from {m.group(2)}{new}{m.group(2)}"

    end = r"(?=[ \t]*(?:;|$))"  # the whole statement: not `require('old')()` or `require('old').x`
    text = re.sub(
        rf"\b(const|let|var)[ \t]+([\w$]+)[ \t]*=[ \t]*require\([ \t]*(['\"]){o}\3[ \t]*\){end}",
        required,
        text,
        flags=re.MULTILINE,
    )
    return re.sub(
        rf"\bimport[ \t]+([\w$]+)[ \t]+from[ \t]*(['\"]){o}\2{end}", imported, text, flags=re.MULTILINE
    )


# --- module attributes, methods, coroutines (Python) --------------------------------------------------------


def module_aliases(text: str, module: str) -> list[str]:
    """The names a Python file binds to ``module`` (``import numpy``: numpy; ``import numpy as np``: np)."""
    names: list[str] = []
    for m in re.finditer(r"^[ \t]*import[ \t]+([^\n#;]+)", text, re.MULTILINE):
        for part in m.group(1).split(","):
            words = part.split()
            if words and words[0] == module:
                alias = words[2] if len(words) == 3 and words[1] == "as" else module
                if alias not in names:
                    names.append(alias)
    return names


def rename_module_attr(text: str, module: str, attr: str, new: str) -> str:
    """``<alias of module>.attr`` becomes ``new``: a name of its own (``np.float`` -> ``float``), or another
    attribute of the module (``module.x``: through the file's alias, ``np.x``; imported by name, ``from module
    import attr`` becomes ``from module import x``, and so do its uses unless it was imported ``as`` another
    name)."""
    for alias in module_aliases(text, module):
        value = alias + new[len(module) :] if new.startswith(module + ".") else new
        text = re.sub(rf"(?<![\w.]){re.escape(alias)}\.{re.escape(attr)}(?!\w)", lambda _m, v=value: v, text)
    other = new[len(module) + 1 :] if new.startswith(module + ".") else ""
    if re.fullmatch(r"[A-Za-z_]\w*", other):  # imported by name: the import and the bare uses
        bare = False
        for m in reversed(_statements(text, "py", module)):  # from the end: earlier offsets stay valid
            names = _entries(m.group(2).strip("() \t\n").replace("\n", " ")) or ()
            if attr not in {n for n, _ in names}:
                continue
            bare = bare or not next(a for n, a in names if n == attr)
            clause = re.sub(rf"(?<![\w.]){re.escape(attr)}(?!\w)", other, m.group(2), count=1)
            text = text[: m.start(2)] + clause + text[m.end(2) :]
        if bare:
            text = _rename_names(text, attr, other)
    return text


def _offsets(text: str) -> list[int]:
    """The character offset where each line of ``text`` starts (1-based line numbers, as ``ast``'s)."""
    starts, at = [0, 0], 0
    for line in text.splitlines(keepends=True):
        at += len(line)
        starts.append(at)
    return starts


def _at(text: str, starts: list[int], lineno: int, col: int) -> int:
    """The character offset of ``ast``'s (line, UTF-8 byte column)."""
    line = text[starts[lineno] : starts[lineno + 1] if lineno + 1 < len(starts) else len(text)]
    return starts[lineno] + len(line.encode()[:col].decode(errors="ignore"))


def _replace_spans(text: str, spans: list[tuple[int, int]], new: str) -> str:
    for start, end in sorted(set(spans), reverse=True):  # from the end: earlier offsets stay valid
        text = text[:start] + new + text[end:]
    return text


def _rename_names(text: str, old: str, new: str) -> str:
    """Every use of the name ``old`` in Python code (``ast.Name``: not a definition's name, a keyword
    argument, an attribute, a string or a comment) becomes ``new``; a file that does not parse is left."""
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return text
    starts = _offsets(text)
    spans = [
        (
            _at(text, starts, n.lineno, n.col_offset),
            _at(text, starts, n.end_lineno or n.lineno, n.end_col_offset or 0),
        )
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and n.id == old
    ]
    return _replace_spans(text, spans, new)


def _same_at_each(old: str, new: str, uses: list[re.Match[str]], replaced) -> str | None:
    """When ``new`` is ``old`` with each of ``uses`` replaced by what ``replaced(use)`` matches (a regex with
    one group), and that group is the same text at each: that text; None otherwise."""
    out, at = [], 0
    for m in uses:
        out += [re.escape(old[at : m.start()]), replaced(m)]
        at = m.end()
    out.append(re.escape(old[at:]))
    found = re.fullmatch("".join(out), new)
    return found.group(1) if found is not None and len(set(found.groups())) == 1 else None


def attr_change(old: str, new: str, module: str, attr: str) -> str | None:
    """When a changed line only turns ``X.attr`` (X: the file's name for ``module``, the same at each use)
    into one other expression: that expression, with X written as ``module`` (``np.float`` -> ``float``:
    ``float``; ``np.product`` -> ``np.prod``: ``numpy.prod``). None otherwise."""
    uses = list(re.finditer(rf"(?<![\w.])([A-Za-z_]\w*)\.{re.escape(attr)}(?!\w)", old))
    if not uses or len({m.group(1) for m in uses}) != 1:
        return None
    alias = uses[0].group(1)
    value = _same_at_each(old, new, uses, lambda _m: r"([A-Za-z_][\w.]*)")
    if value is None or value == f"{alias}.{attr}":
        return None
    return module + value[len(alias) :] if value.startswith(alias + ".") else value


_RECEIVER = r"((?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)"


def method_to_function(old: str, new: str, method: str) -> str | None:
    """When a changed line only turns ``R.method()`` into ``f(R)`` (R a dotted name, the same f at each
    use): f. None otherwise."""
    uses = list(re.finditer(_RECEIVER + rf"\.{re.escape(method)}\(\)", old))
    if not uses:
        return None
    return _same_at_each(old, new, uses, lambda m: rf"([A-Za-z_][\w.]*)\({re.escape(m.group(1))}\)")


def call_method_as_function(text: str, method: str, func: str) -> str:
    """Every ``R.method()`` (R a dotted name) becomes ``func(R)``."""
    return re.sub(_RECEIVER + rf"\.{re.escape(method)}\(\)", lambda m: f"{func}({m.group(1)})", text)


def rename_result_attr(text: str, func: str, old: str, new: str) -> str:
    """Where a variable is assigned a call of ``func`` (``spec = inspect.getfullargspec(f)``), its attribute
    ``old`` is ``new`` (``spec.keywords`` -> ``spec.varkw``): in the same function (or module body), after
    the assignment, not in functions nested in it; a file that does not parse is left."""
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return text
    starts, spans = _offsets(text), []
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]
    for scope in scopes:
        own, stack = [], list(ast.iter_child_nodes(scope))
        while stack:  # the scope's nodes, not those of functions or classes nested in it
            node = stack.pop()
            own.append(node)
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.extend(ast.iter_child_nodes(node))
        calls = {
            (a.targets[0].id, a.lineno)
            for a in own
            if isinstance(a, ast.Assign)
            and len(a.targets) == 1
            and isinstance(a.targets[0], ast.Name)
            and isinstance(a.value, ast.Call)
            and ast.unparse(a.value.func).rpartition(".")[2] == func
        }
        for var, line in calls:
            for n in own:
                if (
                    isinstance(n, ast.Attribute)
                    and n.attr == old
                    and isinstance(n.value, ast.Name)
                    and n.value.id == var
                    and n.lineno > line
                ):
                    end = _at(text, starts, n.end_lineno or n.lineno, n.end_col_offset or 0)
                    spans.append((end - len(old), end))
    return _replace_spans(text, spans, new)


def _decorated(text: str, module: str, name: str) -> list[str]:
    """How a decorator ``module.name`` is spelled in a file: ``@alias.name`` per alias, ``@name`` when it is
    imported by name."""
    spelled = [f"{alias}.{name}" for alias in module_aliases(text, module)]
    for m in _statements(text, "py", module):
        if name in {a or n for n, a in _entries(m.group(2).strip("() \t\n").replace("\n", " ")) or ()}:
            spelled.append(name)
    return spelled


def native_coroutines(text: str, module: str, name: str) -> str:
    """Functions decorated with the generator-based coroutine decorator ``module.name``
    (``@asyncio.coroutine``) become native ones: the decorator goes, ``def`` is ``async def`` and each
    ``yield from`` of its body (not of functions nested in it) is ``await``. A function that also uses a
    bare ``yield`` is left alone (it is a generator as well), as is a file that does not parse."""
    import ast

    spelled = _decorated(text, module, name)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return text
    lines = text.splitlines(keepends=True)
    drop: set[int] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        mine = [d for d in fn.decorator_list if ast.unparse(d) in spelled]
        if not mine or len(mine) != 1 or lines[mine[0].lineno - 1].strip() != "@" + ast.unparse(mine[0]):
            continue
        nested = [n for n in ast.walk(fn) if n is not fn and isinstance(n, (ast.FunctionDef, ast.Lambda))]
        inner = {line for n in nested for line in range(n.lineno, (n.end_lineno or n.lineno) + 1)}
        body = [n for n in ast.walk(fn) if getattr(n, "lineno", 0) not in inner]
        if any(isinstance(n, ast.Yield) for n in body):
            continue
        drop.add(mine[0].lineno - 1)
        head = fn.lineno - 1
        lines[head] = re.sub(r"^([ \t]*)def\b", r"\1async def", lines[head], count=1)
        for i in range(fn.body[0].lineno - 1, fn.end_lineno or fn.lineno):
            if i + 1 not in inner:
                lines[i] = re.sub(r"\byield[ \t]+from[ \t]+", "await ", lines[i])
    return "".join(line for i, line in enumerate(lines) if i not in drop)


# --- configuration keys -------------------------------------------------------------------------------------

_CONFIG_SUFFIXES = {".json": "json", ".jsonc": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}
_CONFIG_SUFFIXES |= {".cfg": "toml", ".ini": "toml"}


def config_kind(path: str) -> str | None:
    """``json``, ``yaml`` or ``toml`` (also ``.cfg`` / ``.ini``) for a configuration file, else None."""
    return _CONFIG_SUFFIXES.get(PurePosixPath(path).suffix.lower())


def config_entry(line: str, kind: str) -> tuple[str, str] | None:
    """The key and value of a one-line configuration entry (``"key": v,``, ``key: v``, ``key = v``)."""
    line = line.strip()
    if kind == "json":
        m = re.fullmatch(r"\"([\w.$@/-]+)\"\s*:\s*(.+?),?", line)
    elif kind == "yaml":
        m = re.fullmatch(r"([\w.$@/-]+)\s*:\s+(.+)", line)
    else:
        m = re.fullmatch(r"([\w.$@/-]+)\s*=\s*(.+)", line)
    return (m.group(1), m.group(2)) if m else None


def replace_config_key(text: str, kind: str, key: str, new: str) -> str:
    """The entry of ``key`` becomes the entry ``new`` (with the trailing comma the old one had; a ``new``
    ending in ``<value>`` keeps the entry's value: a key renamed), or goes when ``new`` is empty (a JSON
    entry that was the last one takes the comma off the entry before it)."""
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    out: list[str] = []
    for line in lines:
        body = line.rstrip("\r\n")
        entry = config_entry(body, kind)
        if entry is None or entry[0] != key or entry[1].rstrip(",").endswith(("{", "[")):
            out.append(line)  # not the key, or a nested value over several lines: left alone
            continue
        comma = "," if kind == "json" and body.rstrip().endswith(",") else ""
        if new:
            entry_new = new[: -len("<value>")] + entry[1] if new.endswith("<value>") else new
            out.append(body[: len(body) - len(body.lstrip())] + entry_new + comma + line[len(body) :])
        elif kind == "json" and not comma:
            prev = next((i for i in range(len(out) - 1, -1, -1) if out[i].strip()), None)
            if prev is not None and out[prev].rstrip().endswith(","):
                stripped = out[prev].rstrip()
                out[prev] = stripped[:-1] + out[prev][len(stripped) :]
    return "".join(out)


# --- calls (Python) ---------------------------------------------------------------------------------------


def _split_args(text: str, start: int) -> tuple[list[str], int] | None:
    """The top-level arguments of the call whose ``(`` is at ``start``, and the index after its ``)``."""
    depth, quote, args, at = 0, "", [], start + 1
    i = start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[at:i])
                return [a.strip() for a in args if a.strip()], i + 1
        elif c == "," and depth == 1:
            args.append(text[at:i])
            at = i + 1
        i += 1
    return None


_KW = re.compile(r"^(\w+)\s*=(?!=)\s*(.+)$", re.DOTALL)


def _call_at(line: str, func: str) -> tuple[int, int, list[str]] | None:
    m = re.search(rf"(?<![\w]){re.escape(func)}\s*(?=\()", line)
    if m is None:
        return None
    found = _split_args(line, m.end())
    return None if found is None else (m.end(), found[1], found[0])


def call_changes(old: str, new: str, funcs: list[str]) -> tuple[str, str] | None:
    """When a changed line only reshapes the arguments of a call to one of ``funcs``: the function and the
    changes (``pos:1=axis`` a positional argument becomes a keyword, ``drop:k`` a keyword goes, ``kw:a=b``
    a keyword is renamed, ``add:k=v`` a keyword is added after the others), ``;``-separated. None
    otherwise."""
    for func in funcs:
        a, b = _call_at(old, func), _call_at(new, func)
        if a is None or b is None or old[: a[0]] != new[: b[0]] or old[a[1] :] != new[b[1] :]:
            continue
        changes, i, j, olds, news = [], 0, 0, a[2], b[2]
        while i < len(olds):
            o, n = olds[i], news[j] if j < len(news) else None
            ko, kn = _KW.match(o), _KW.match(n) if n is not None else None
            if o == n:
                i, j = i + 1, j + 1
            elif kn and not ko and kn.group(2) == o:
                changes.append(f"pos:{i}={kn.group(1)}")
                i, j = i + 1, j + 1
            elif ko and kn and ko.group(2) == kn.group(2):
                changes.append(f"kw:{ko.group(1)}={kn.group(1)}")
                i, j = i + 1, j + 1
            elif ko and len(olds) - i > len(news) - j:
                changes.append(f"drop:{ko.group(1)}")
                i += 1
            else:
                break
        added = False
        while i == len(olds) and j < len(news) and (kn := _KW.match(news[j])) and ";" not in news[j]:
            changes.append(f"add:{kn.group(1)}={kn.group(2)}")  # a keyword the new version requires
            added, j = True, j + 1
        if added:  # only the same receiver's calls (yaml.load, not json.load) with as many positionals
            recv = re.search(rf"([A-Za-z_][\w.]*)\.{re.escape(func)}\s*$", old[: a[0]])
            if recv is None or any(x.startswith("*") for x in olds):
                continue
            changes += [f"recv:{recv.group(1)}", f"npos:{sum(not _KW.match(x) for x in olds)}"]
        if i == len(olds) and j == len(news) and changes:
            return func, ";".join(changes)
    return None


def _reshape(args: list[str], changes: list[str]) -> list[str] | None:
    out = list(args)
    for change in changes:
        what, _, arg = change.partition(":")
        if what == "pos":
            index, _, key = arg.partition("=")
            i = int(index)
            if i >= len(args) or _KW.match(args[i]) or args[i].startswith("*"):
                continue
            out[i] = f"{key}={args[i]}"
        elif what == "drop":
            out = [a for a in out if not ((m := _KW.match(a)) and m.group(1) == arg)]
        elif what == "kw":
            o, _, n = arg.partition("=")
            out = [re.sub(rf"^{re.escape(o)}(\s*=)", n + r"\1", a) if _KW.match(a) else a for a in out]
        elif what == "add":
            key = arg.partition("=")[0]
            if not any(a.startswith("**") or ((m := _KW.match(a)) and m.group(1) == key) for a in out):
                out.append(arg)  # not where the call already passes it, or may through ``**options``
        elif what == "npos" and (
            any(a.startswith("*") for a in args) or sum(not _KW.match(a) for a in args) != int(arg)
        ):
            return None  # another shape of call (yaml.load(f, yaml.SafeLoader), load(*a)): left alone
    keyword = False
    for a in out:
        if _KW.match(a) or a.startswith("**"):
            keyword = True
        elif keyword and not a.startswith("*"):
            return None  # a positional argument after a keyword one: not this call's shape
    return out


def reshape_calls(text: str, func: str, changes: str) -> str:
    """Every one-line call of ``func`` (``func(`` or ``x.func(``) with its arguments reshaped."""
    steps = changes.split(";")
    recv = next((s[5:] for s in steps if s.startswith("recv:")), None)
    out, at = [], 0
    for m in re.finditer(rf"(?<![\w]){re.escape(func)}\s*\(", text):
        if m.start() < at:
            continue
        if recv is not None and not text[: m.start()].endswith(recv + "."):
            continue  # an added keyword goes to the receiver's calls only (yaml.load, not json.load)
        if recv is not None and re.search(r"[\w.]$", text[: m.start() - len(recv) - 1]):
            continue  # x.yaml.load: another receiver
        found = _split_args(text, m.end() - 1)
        if found is None or "\n" in text[m.end() : found[1]]:
            continue
        args, end = found
        new = _reshape(args, steps)
        if new is None or new == args:
            continue
        out.append(text[at : m.end()] + ", ".join(new) + ")")
        at = end
    return "".join(out) + text[at:]


# --- manifests --------------------------------------------------------------------------------------------


def manifest_kind(path: str) -> str | None:
    """``requirements``, ``pyproject``, ``package.json`` or ``cargo`` for a dependency manifest, else None."""
    name = PurePosixPath(path).name
    if re.fullmatch(r"(?:req[a-z]*ments|constraints)[\w.-]*\.(?:txt|in)", name):  # requierments.txt too
        return "requirements"
    return {"pyproject.toml": "pyproject", "package.json": "package.json", "Cargo.toml": "cargo"}.get(name)


def package_key(name: str) -> str:
    """A package name as registries compare it (case, ``-``, ``_`` and ``.`` alike)."""
    return re.sub(r"[-_.]+", "-", name.lower())


_REQ = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*((?:[<>=!~^]|@)[^#;]*)?(;[^#]*)?(#.*)?$")
_PEP508 = re.compile(
    r"^([\"'])([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([<>=!~][^\"';]*)?(;[^\"']*)?\1,?$"
)
_JSON_SPEC = re.compile(r"^[\^~<>=*\d]|^(?:npm|file|git)")
_NOT_DEPENDENCIES = {"name", "version", "edition", "description", "readme", "license", "python"}
_NOT_DEPENDENCIES |= {"requires-python", "authors", "rust-version", "homepage", "repository"}
_TOML_KEY = re.compile(r"^([A-Za-z0-9][\w.-]*)\s*=\s*(\".*\"|\{.*\})\s*(#.*)?$")
_JSON_DEP = re.compile(r"^\"(@?[\w.-]+(?:/[\w.-]+)?)\"\s*:\s*\"([^\"]*)\",?$")


def requirement(line: str, kind: str) -> str | None:
    """The package a manifest line asks for (its registry key), or None when the line is not a dependency."""
    line = line.strip()
    if not line or line.startswith(("#", "-", "[")):
        return None
    if kind == "requirements":
        m = _REQ.match(line)
        return package_key(m.group(1)) if m else None
    if kind == "pyproject":
        if m := _PEP508.match(line):
            return package_key(m.group(2))
        m = _TOML_KEY.match(line)
        return package_key(m.group(1)) if m and m.group(1) not in _NOT_DEPENDENCIES else None
    if kind == "package.json":
        m = _JSON_DEP.match(line)
        return package_key(m.group(1)) if m and _JSON_SPEC.match(m.group(2)) else None
    m = _TOML_KEY.match(line)
    return package_key(m.group(1)) if m and m.group(1) not in _NOT_DEPENDENCIES else None


def pin(text: str, kind: str, package: str, line: str) -> str:
    """The manifest with the dependency entry of ``package`` made ``line`` (indentation and a trailing comma
    as the entry had them)."""
    out = []
    for old in re.findall(r"[^\n]*\n|[^\n]+$", text):
        body = old.rstrip("\r\n")
        if requirement(body, kind) == package:
            end = old[len(body) :]
            comma = "," if body.rstrip().endswith(",") else ""
            old = body[: len(body) - len(body.lstrip())] + line.rstrip(",") + comma + end
        out.append(old)
    return "".join(out)


# --- names a Python file uses but never binds ------------------------------------------------------------

_MODULE_NAMES = {"__file__", "__name__", "__doc__", "__package__", "__spec__", "__loader__", "__path__"}
_MODULE_NAMES |= {"__builtins__", "__annotations__", "__dict__", "__cached__", "__debug__"}


def unbound_names(text: str) -> set[str] | None:
    """The names a Python file reads that nothing in it binds (an import, an assignment, a definition, a
    parameter, ...) and that are not builtins: what a fix must not add (``pkg_resources.x`` left after its
    import went, ``loader.load()`` with no ``loader``). Scopes are not told apart (a name bound anywhere
    counts as bound). None when the file does not parse or star-imports (any name may be bound then)."""
    import ast
    import builtins

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    bound, read = set(_MODULE_NAMES) | set(dir(builtins)), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
    return read - bound


_DEFINES = {
    "js": r"\b(?:function\*?|class|const|let|var)[ \t]+{n}\b"
    r"|\bfunction\b[^(\n]*\([^)]*(?<![\w$.]){n}[ \t]*[,)=]",
    "rust": r"\b(?:fn|struct|enum|trait|type|mod|const|static)[ \t]+{n}\b|\blet[ \t]+(?:mut[ \t]+)?{n}\b"
    r"|[(,][ \t]*(?:mut[ \t]+)?{n}[ \t]*:(?!:)",
}


def defines(text: str, lang: str | None, name: str) -> bool:
    """Whether a file defines ``name`` itself (a function, class, variable or parameter of its own): a
    rename of a library's name does not apply to it (Rust's ``gen`` of the file's own ``fn gen`` or ``let
    gen`` is the file's choice, not the library's)."""
    if not re.fullmatch(r"[A-Za-z_$][\w$]*", name):
        return False
    if lang == "py":
        import ast

        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return False
        settings = {  # a class body's assignments are settings an API reads (``orm_mode = True``)
            id(t)
            for c in ast.walk(tree)
            if isinstance(c, ast.ClassDef)
            for a in c.body
            if isinstance(a, (ast.Assign, ast.AnnAssign))
            for t in (a.targets if isinstance(a, ast.Assign) else [a.target])
        }
        return any(
            (
                isinstance(n, ast.Name)
                and not isinstance(n.ctx, ast.Load)
                and n.id == name
                and id(n) not in settings
            )
            or (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name)
            or (isinstance(n, ast.arg) and n.arg == name)
            for n in ast.walk(tree)
        )
    pattern = _DEFINES.get(lang or "")
    if pattern is None:
        return False
    return re.search(pattern.replace("{n}", re.escape(name)), text, re.MULTILINE) is not None


# --- an upper bound added to a Python dependency ----------------------------------------------------------

_CLAUSE = re.compile(r"\s*(===|==|~=|!=|<=|>=|<|>)\s*([^,;\s\"']+)\s*")


def spec_clauses(spec: str) -> list[str] | None:
    """A PEP 440 specifier's clauses, normalized (``>= 1.0, <2`` -> ``[">=1.0", "<2"]``); None when it is
    not one (a URL, an extra, ...)."""
    out = []
    for part in spec.split(","):
        if not part.strip():
            continue
        m = _CLAUSE.fullmatch(part)
        if m is None:
            return None
        out.append(m.group(1) + m.group(2))
    return out


def python_dependency(line: str, kind: str) -> tuple[str, str] | None:
    """A Python manifest entry (a requirements line, or a quoted PEP 508 string of pyproject.toml): its name
    (with extras) and its version specifier as written (empty: none)."""
    body = line.strip()
    if kind == "pyproject":
        m = re.fullmatch(
            r"([\"'])([A-Za-z0-9][\w.-]*(?:\[[^\]]*\])?)\s*([<>=!~][^\"';]*)?(;[^\"']*)?\1,?\s*(?:#.*)?", body
        )
        return (m.group(2), (m.group(3) or "").strip()) if m else None
    m = _REQ.match(body) if kind == "requirements" else None
    if m is None or (m.group(3) or "").startswith("@"):
        return None
    return m.group(1) + (m.group(2) or ""), (m.group(3) or "").strip()


def is_upper_bound(clauses: list[str]) -> bool:
    """Whether specifier clauses only cap a version (``<2.0``, ``<=1.9``, ``!=2.0``)."""
    return bool(clauses) and all(c.startswith(("<", "!=")) for c in clauses)


def _satisfiable(spec: str) -> bool:
    """Whether some release could satisfy ``spec`` (``>=1.24,<2.0`` yes, ``>=2.1,<2.0`` no): a lower bound
    at or above an upper bound leaves nothing. An unreadable spec is not judged (True)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    try:
        clauses = list(SpecifierSet(spec))
    except InvalidSpecifier:
        return True
    lows = [Version(c.version) for c in clauses if c.operator in (">=", ">") and "*" not in c.version]
    highs = [Version(c.version) for c in clauses if c.operator in ("<", "<=") and "*" not in c.version]
    return not (lows and highs and max(lows) >= min(highs))


def bound(text: str, kind: str, package: str, clause: str) -> str | None:
    """A Python manifest whose entries of ``package`` get the upper bound ``clause`` beside what they ask
    (``"numpy>=1.24"`` -> ``"numpy>=1.24,<2.0"``, ``numpy`` -> ``numpy<2.0``); None when an entry cannot
    take it (an exact pin, an upper bound of its own: another decision than the fix's)."""
    out = []
    for line in re.findall(r"[^\n]*\n|[^\n]+$", text):
        body = line.rstrip("\r\n")
        if requirement(body, kind) != package:
            out.append(line)
            continue
        dep = python_dependency(body, kind)
        clauses = spec_clauses(dep[1]) if dep is not None else None
        if dep is None or clauses is None or any(c.startswith(("==", "~=", "<")) for c in clauses):
            return None
        name, spec = dep
        new = ",".join([*clauses, clause])
        if not _satisfiable(new):  # numpy>=2.1 capped at <2.0: no version left, a wrong fix
            return None
        at = body.index(name) + len(name)
        tail = body[at:]
        tail = tail.replace(spec, new, 1) if spec else new + tail
        out.append(body[:at] + tail + line[len(body) :])
    return "".join(out)


def _sorted_at(names: list[str], name: str) -> int | None:
    """Where ``name`` goes among entries sorted by name (two or more): its sorted place; None otherwise."""
    keys = [package_key(n) for n in names]
    if len(keys) < 2 or keys != sorted(keys):
        return None
    return next((i for i, k in enumerate(keys) if k > package_key(name)), len(keys))


def add_dependency(text: str, kind: str, entry: str) -> str | None:
    """A Python manifest with the dependency ``entry`` (``numpy<2.0``) added: in requirements files, in
    sorted place when the entries are sorted, else at the end; in pyproject.toml, into ``[project]``'s
    ``dependencies = [...]`` the same way. None when there is no place for it, or when the file pins every
    entry exactly (a lock: a range does not belong in it)."""
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    name = re.match(r"[A-Za-z0-9][\w.-]*(?:\[[^\]]*\])?", entry)
    if name is None:
        return None
    if kind == "requirements":
        at = [i for i, x in enumerate(lines) if requirement(x, kind)]
        specs = [python_dependency(lines[i], kind) for i in at]
        if at and all(d is not None and d[1].startswith("==") for d in specs):
            return None
        where = _sorted_at([s[0] for s in specs if s], name.group(0))
        new = entry + "\n"
        if where is None or where >= len(at):
            body = "".join(lines)
            return body + ("\n" if body and not body.endswith("\n") else "") + new
        lines.insert(at[where], new)
        return "".join(lines)
    if kind != "pyproject":
        return None
    section, start = "", None
    for i, x in enumerate(lines):
        if re.match(r"\s*\[", x):
            section = x.strip()
        if section == "[project]" and re.match(r"\s*dependencies\s*=\s*\[\s*$", x):
            start = i
            break
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("]")), None)
    if end is None:
        return None
    at = [i for i in range(start + 1, end) if requirement(lines[i], kind)]
    indent = re.match(r"\s*", lines[at[0]]).group(0) if at else "    "
    specs = [python_dependency(lines[i], kind) for i in at]
    where = _sorted_at([s[0] for s in specs if s], name.group(0))
    if at and not lines[at[-1]].rstrip().endswith(","):
        return None
    new = f'{indent}"{entry}",\n'
    lines.insert(at[where] if where is not None and where < len(at) else end, new)
    return "".join(lines)


def enclosing_call(text: str, at: int) -> str | None:
    """The name of the call whose argument list holds position ``at`` (``send_file(a,\\n b=1)``: the last
    part of ``flask.send_file`` is ``send_file``); None when ``at`` is in no call's parentheses."""
    depth = 0
    for i in range(at - 1, -1, -1):
        c = text[i]
        if c in ")]}":
            depth += 1
        elif c in "([{":
            if depth == 0:
                if c != "(":
                    return None
                m = re.search(r"([A-Za-z_][\w.]*)\s*$", text[:i])
                return m.group(1).rpartition(".")[2] if m else None
            depth -= 1
    return None


def _argument_spans(text: str, func: str, arg: re.Pattern[str]) -> list[tuple[int, int]]:
    """The spans of ``arg``'s group 1 where it matches at the start of a top-level argument of a call of
    ``func`` (``func(`` or ``x.func(``, over several lines too; strings and nested brackets skipped)."""
    spans = []
    for m in re.finditer(rf"(?<![\w]){re.escape(func)}\s*\(", text):
        if re.search(r"\bdef\s+$", text[max(0, m.start() - 20) : m.start()]):
            continue  # the function's own definition (its parameters), not a call
        found = _split_args(text, m.end() - 1)
        if found is None:
            continue
        depth, quote, i = 0, "", m.end() - 1
        while i < found[1]:
            c = text[i]
            if quote:
                i += 2 if c == "\\" else 1
                quote = "" if c == quote else quote
                continue
            if c in "'\"":
                quote = c
            elif c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            if depth == 1 and c in "(," and (hit := arg.match(text, i + 1)):
                spans.append((hit.start(1), hit.end(1)))
            i += 1
    return spans


def rename_keyword(text: str, func: str, old: str, new: str) -> str:
    """The keyword argument ``old`` of every call of ``func`` (``func(`` or ``x.func(``, over several lines
    too) is ``new``; the same keyword of other calls (``df.filter(regex=...)``) is left alone. An options
    dict the calls pass as ``**NAME`` (``NAME = {"old": ...}`` or ``dict(old=...)`` in the same file) has its
    key renamed too."""
    keyword = re.compile(rf"\s*({re.escape(old)})\s*=(?!=)")
    text = _replace_spans(text, _argument_spans(text, func, keyword), new)
    spread = re.compile(r"\s*\*\*([A-Za-z_]\w*)\s*(?=[,)])")
    edits: dict[int, tuple[int, str]] = {}  # start -> (end, new text): made from the end, positions hold
    for a, b in _argument_spans(text, func, spread):
        name = text[a:b]
        assigned = list(re.finditer(rf"^[ \t]*{re.escape(name)}\s*=\s*(dict\s*\(|\{{)", text[:a], re.M))
        if not assigned:
            continue
        m = assigned[-1]  # the assignment that reaches the call: the last one before it
        found = _split_args(text, m.end() - 1)  # any bracket: its closing one is at found[1] - 1
        if found is None or m.end() in edits:
            continue
        end = found[1] - 1
        body = text[m.end() : end]
        if m.group(1) == "{":
            key = rf"(?<=[\"']){re.escape(old)}(?=[\"']\s*:)"
            edits[m.end()] = (end, re.sub(key, new, body))
        else:  # dict(old=...): its own keywords only, not those of calls inside it
            spans = _argument_spans(text[: end + 1], text[m.start(1) : m.end(1) - 1].strip(), keyword)
            mine = [(x - m.end(), y - m.end()) for x, y in spans if m.end() <= x < end]
            edits[m.end()] = (end, _replace_spans(body, mine, new))
    for at in sorted(edits, reverse=True):
        end, body = edits[at]
        text = text[:at] + body + text[end:]
    return text


def rename_table(text: str, old: str, new: str) -> str:
    """A TOML file's table ``[old]`` is ``[new]``, and its subtables with it (``[old.metadata]``,
    ``[[old.x]]``); keys and values are left alone."""
    return re.sub(
        rf"^([ \t]*\[\[?[ \t]*){re.escape(old)}(?=[ \t]*\]|\.)", lambda m: m.group(1) + new, text, flags=re.M
    )


def replace_keyword_argument(text: str, func: str, old: str, new: str) -> str:
    """The keyword argument ``old`` (``name=value``, spaces around ``=`` aside) of every call of ``func``
    (over several lines too) is the argument ``new``; the same argument of other calls is left alone."""
    name, _, value = old.partition("=")
    pattern = re.compile(rf"\s*({re.escape(name.strip())}\s*=\s*{re.escape(value.strip())})\s*(?=[,)])")
    return _replace_spans(text, _argument_spans(text, func, pattern), new)
