"""The package's import graph: modules, import edges, import cycles, and what touches what.

Run from the project root::

    .venv/bin/python benchmarks/import_graph.py [--json] [--cycles]

Reads every module of ``controller/codemonkeys`` with ``ast`` (imports inside functions count too: they are
dependencies all the same; those under ``if TYPE_CHECKING:`` do not) and reports the number of modules, of
edges between them (module -> module of the package), the strongly connected components with more than one
module (import cycles: a module of one can reach every other), the longest cycle-free chain, and per
top-level package its modules and the other top-level packages it imports.
Nothing is asserted; the closing notes of issue 31 compare its figures
before and after the facet folders.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent / "controller"
PACKAGE = "codemonkeys"


def module_name(path: Path) -> str:
    """The dotted module name of a file under ``controller/``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The package's modules ``path`` imports (``from a import b`` counts ``a.b`` when it is a module)."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    typing_only = {  # imports under `if TYPE_CHECKING:` are no dependency at run time (as import-linter)
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target.startswith(PACKAGE) and target != name:
                found.add(target)
    return found


def graph() -> nx.DiGraph:
    """Module -> imported module, over the package."""
    files = {module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}
    g = nx.DiGraph()
    g.add_nodes_from(files)
    for name, path in files.items():
        for target in imports_of(path, name, set(files)):
            if not name.startswith(target + "."):  # a package's module importing its own package
                g.add_edge(name, target)
    return g


def measure() -> dict:
    """The figures of the graph (see the module docstring)."""
    g = graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    condensed = nx.condensation(g)
    top = lambda m: m.split(".")[1] if m.count(".") else "(root)"  # noqa: E731
    packages: dict[str, dict] = {}
    for m in g:
        entry = packages.setdefault(top(m), {"modules": 0, "imports": set()})
        entry["modules"] += 1
        entry["imports"] |= {top(t) for t in g.successors(m) if top(t) != top(m)}
    return {
        "modules": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "cycles": len(cycles),
        "modules_in_cycles": sum(len(c) for c in cycles),
        "cycle_members": cycles,
        "longest_chain": nx.dag_longest_path_length(condensed),
        "packages": {
            k: {"modules": v["modules"], "imports": sorted(v["imports"])} for k, v in sorted(packages.items())
        },
    }


def main() -> None:
    """Print the figures (or JSON with ``--json``; the cycles' members with ``--cycles``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cycles", action="store_true", help="list the modules of each cycle")
    args = parser.parse_args()
    found = measure()
    if args.json:
        sys.stdout.write(json.dumps(found, indent=2) + "\n")
        return
    print(
        f"modules {found['modules']}  edges {found['edges']}  cycles {found['cycles']}"
        f" ({found['modules_in_cycles']} modules)  longest chain {found['longest_chain']}"
    )
    if args.cycles:
        for members in found["cycle_members"]:
            print("  cycle:", ", ".join(members))
    for name, p in found["packages"].items():
        print(f"  {name:<12} {p['modules']:>3} modules  imports {', '.join(p['imports']) or '-'}")


if __name__ == "__main__":
    main()
