"""House rules of the library, checked on its source (ARCHITECTURE.md explains why):

* no function in engine/, plan/, policy/, act/, cli/, service/ or heal/ is longer than 80 lines;
* every public function, method and class has a docstring;
* the library reads ``os.environ`` in one place: ``Context.from_environ`` (context.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "controller" / "codemonkeys"
SHORT = ("engine", "plan", "policy", "act", "cli", "service", "heal")
MAX_LINES = 80


def modules() -> list[tuple[Path, ast.Module]]:
    return [(p.relative_to(PACKAGE), ast.parse(p.read_text())) for p in sorted(PACKAGE.rglob("*.py"))]


def test_the_rules_see_the_whole_package():
    found = {str(p) for p, _ in modules()}
    assert {"api/session.py", "context.py", "engine/apply.py", "plan/planner.py", "cli/main.py"} <= found
    assert len(found) > 80


def test_functions_in_the_core_folders_are_short():
    long = [
        f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path, tree in modules()
        if path.parts[0] in SHORT
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_LINES
    ]
    assert not long, long


def _public(tree: ast.Module):
    for node in tree.body:
        if isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ) and not node.name.startswith("_"):
            yield node.name, node
            if isinstance(node, ast.ClassDef):
                for m in node.body:
                    if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef) and not m.name.startswith("_"):
                        yield f"{node.name}.{m.name}", m


def test_every_public_function_and_class_has_a_docstring():
    missing = [
        f"{path}:{node.lineno} {name}"
        for path, tree in modules()
        for name, node in _public(tree)
        if not ast.get_docstring(node)
    ]
    assert not missing, missing


def test_os_environ_is_read_only_by_the_context():
    readers = sorted(
        {
            str(path)
            for path, tree in modules()
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr in ("environ", "getenv")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        }
    )
    assert readers == ["context.py"], readers
