"""The oracle's code graph: tree-sitter parsing per language, the API fingerprint, incremental indexing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from need import need_module

need_module("tree_sitter", "the code graph needs the [oracle] extra: pip install -e '.[oracle]'")

from codemonkeys.oracle import (  # noqa: E402
    SourceLanguage,
    SymbolKind,
    Visibility,
    api_diff,
    api_fingerprint,
    call_graph,
    callees,
    callers,
    import_cycles,
    index_commit,
    index_tree,
    load_graphs,
    parse_file,
    read_files,
    snapshot_fingerprint,
)
from codemonkeys.repos import IDENTITY  # noqa: E402
from codemonkeys.repos import run as git  # noqa: E402


def src(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode()


def syms(graph) -> dict:
    return {s.qualname: s for s in graph.symbols}


PY = src('''
    """Shapes and their areas."""
    import math
    from . import util
    from .geometry.points import Point as P

    __all__ = ["area", "Shape"]


    def area(shape: "Shape", *,
             scale: float = 1.0,  # a comment inside
             ) -> float:
        """Area of a shape."""
        return shape.area() * scale


    def helper(x):
        return math.sqrt(x)


    def _private():
        pass


    class Shape(Base):
        """A shape."""

        def area(self) -> float:
            return self._side() ** 2

        def _side(self):
            return helper(4)

        def __init__(self, side: int) -> None:
            self.side = side
''')


def test_python_symbols_visibility_docstrings_signatures():
    g = parse_file("pkg/shapes.py", PY)
    assert g.language is SourceLanguage.PYTHON and g.module == "pkg.shapes" and not g.has_errors
    s = syms(g)
    assert (
        s["pkg.shapes"].kind is SymbolKind.MODULE and s["pkg.shapes"].docstring == "Shapes and their areas."
    )
    area = s["pkg.shapes.area"]
    assert area.kind is SymbolKind.FUNCTION and area.public
    assert area.signature == '(shape: "Shape", *, scale: float = 1.0) -> float'
    assert area.docstring == "Area of a shape."
    assert (area.start_line, area.end_line) == (9, 13)
    # __all__ decides at module level: helper has no underscore but is not listed
    assert s["pkg.shapes.helper"].visibility is Visibility.PRIVATE
    assert s["pkg.shapes._private"].visibility is Visibility.PRIVATE
    assert s["pkg.shapes.Shape"].kind is SymbolKind.CLASS and s["pkg.shapes.Shape"].signature == "(Base)"
    assert s["pkg.shapes.Shape"].docstring == "A shape."
    assert s["pkg.shapes.Shape.area"].kind is SymbolKind.METHOD and s["pkg.shapes.Shape.area"].public
    assert not s["pkg.shapes.Shape._side"].public
    assert s["pkg.shapes.Shape.__init__"].public
    assert g.import_modules == ["math", "pkg", "pkg.geometry.points"]
    calls = {(c.caller, c.callee) for c in g.calls}
    assert ("pkg.shapes.Shape.area", "self._side") in calls
    assert ("pkg.shapes.helper", "math.sqrt") in calls


def test_python_without_all_uses_underscore_rule():
    g = parse_file(
        "tools/run.py", src("def go(): pass\ndef _no(): pass\nclass _Hidden:\n    def m(self): pass\n")
    )
    s = syms(g)
    assert s["tools.run.go"].public and not s["tools.run._no"].public
    assert not s["tools.run._Hidden.m"].public  # members of a private class are private


TS = src("""
    import { Shape } from "./shape";
    import fs from "fs";

    /**
     * Area of a shape.
     * @param s the shape
     */
    export function area(s: Shape, scale = 1): number {
      return s.area() * scale;
    }

    function local(): void { area(null); }

    export class Square extends Base implements Shape {
      /** The area. */
      area(): number { return this.side(); }
      private side(): number { return 2; }
    }

    export default class Registry {}

    export interface Named<T> { name: string; value: T }
    export type Id = string | number;
    export const double = (x: number): number => x * 2;
    const hidden = () => 1;
    export { hidden };
    export * from "./more";
""")


def test_typescript_exports_interfaces_types():
    g = parse_file("src/area.ts", TS)
    assert g.language is SourceLanguage.TYPESCRIPT and g.module == "src/area"
    s = syms(g)
    area = s["src/area.area"]
    assert area.public and area.kind is SymbolKind.FUNCTION
    assert area.signature == "(s: Shape, scale = 1) -> number"
    assert area.docstring == "Area of a shape.\n@param s the shape"
    assert not s["src/area.local"].public
    assert s["src/area.Square"].kind is SymbolKind.CLASS and s["src/area.Square"].public
    assert s["src/area.Square"].signature == "extends Base implements Shape"
    assert s["src/area.Square.area"].public and s["src/area.Square.area"].docstring == "The area."
    assert not s["src/area.Square.side"].public  # `private`
    assert s["src/area.Registry"].public  # export default class
    assert s["src/area.Named"].kind is SymbolKind.INTERFACE and s["src/area.Named"].public
    assert s["src/area.Named"].signature == "<T> {name: string; value: T}"
    assert s["src/area.Id"].kind is SymbolKind.TYPE and s["src/area.Id"].signature == "= string | number"
    assert s["src/area.double"].public and s["src/area.double"].signature == "(x: number) -> number"
    assert s["src/area.hidden"].public  # exported through `export { hidden }`
    assert g.import_modules == ["fs", "src/more", "src/shape"]
    assert ("src/area.Square.area", "this.side") in {(c.caller, c.callee) for c in g.calls}


def test_javascript_exports_default_and_commonjs():
    esm = parse_file(
        "lib/index.mjs",
        src("""
            /** Greets. */
            export default function (name) { return hi(name); }
            export async function load(url, opts = {}) {}
            function hi(n) {}
        """),
    )
    s = syms(esm)
    assert s["lib/index.default"].public and s["lib/index.default"].docstring == "Greets."
    assert s["lib/index.load"].signature == "async (url, opts = {})"
    assert not s["lib/index.hi"].public
    cjs = parse_file(
        "lib/old.cjs",
        src("""
            const path = require("path");
            function a() {}
            function b() {}
            module.exports = { a };
        """),
    )
    s = syms(cjs)
    assert s["lib/old.a"].public and not s["lib/old.b"].public
    assert cjs.import_modules == ["path"]


def test_javascript_unnamed_commonjs_exports_are_named_after_the_file_or_property():
    """node-semver's style: `module.exports = (a, b) => ...` in ranges/max-satisfying.js is `maxSatisfying`;
    `exports.name = function ...` is `name`; a named function expression keeps its own name."""
    s = syms(parse_file("ranges/max-satisfying.js", src("""
        /** The highest version in the list that satisfies the range. */
        module.exports = (versions, range, options) => versions[0]
    """)))  # fmt: skip
    f = s["ranges/max-satisfying.maxSatisfying"]
    assert f.public and f.kind is SymbolKind.FUNCTION and f.signature == "(versions, range, options)"
    assert f.docstring == "The highest version in the list that satisfies the range."
    s = syms(parse_file("lib/util/index.js", src("module.exports = function (x) { return x }")))
    assert s["lib/util/index.util"].public
    s = syms(parse_file("lib/a.js", src("""
        exports.fooBar = function (a) { return a }
        module.exports.baz = (x) => x
        module.exports = function named() {}
    """)))  # fmt: skip
    assert {"lib/a.fooBar", "lib/a.baz", "lib/a.named"} <= set(s)
    assert all(s[n].public for n in ("lib/a.fooBar", "lib/a.baz", "lib/a.named"))


RS = src("""
    //! Geometry for the fleet.
    use std::fmt;
    use crate::units::{Meters, convert};

    /// Area of a square.
    /// In square meters.
    pub fn area(side: f64) -> f64 {
        helper(side) * side
    }

    fn helper(x: f64) -> f64 { x }

    #[derive(Debug)]
    /// A square.
    pub struct Square {
        pub side: f64,
        cache: Option<f64>,
    }

    pub(crate) struct Internal;

    impl Square {
        /// Make one.
        pub fn new(side: f64) -> Self { Square::check(side); Self { side, cache: None } }
        fn check(side: f64) {}
    }

    pub trait Shape { fn area(&self) -> f64; }

    impl Shape for Square { fn area(&self) -> f64 { area(self.side) } }
""")


def test_rust_pub_impl_struct_docs():
    g = parse_file("geo/src/lib.rs", RS)
    assert g.language is SourceLanguage.RUST and g.module == "crate"
    s = syms(g)
    assert s["crate"].docstring == "Geometry for the fleet."
    area = s["crate::area"]
    assert area.public and area.signature == "(side: f64) -> f64"
    assert area.docstring == "Area of a square.\nIn square meters."
    assert not s["crate::helper"].public
    square = s["crate::Square"]
    assert square.kind is SymbolKind.STRUCT and square.public and square.docstring == "A square."
    assert square.signature == "{side: f64}"  # private fields are not API
    assert not s["crate::Internal"].public  # pub(crate)
    assert s["crate::Square::new"].kind is SymbolKind.METHOD and s["crate::Square::new"].public
    assert s["crate::Square::new"].docstring == "Make one."
    assert not s["crate::Square::check"].public
    assert s["crate::Shape"].kind is SymbolKind.TRAIT and s["crate::Shape::area"].public
    assert s["crate::Square::area"].public  # trait impl on a public type
    assert g.import_modules == ["crate::units", "std::fmt"]
    assert ("crate::Square::new", "Square::check") in {(c.caller, c.callee) for c in g.calls}


# ------------------------------------------------------------------------------------------ fingerprint

BASE = src('''
    """Module."""
    __all__ = ["f", "C"]

    def f(a: int) -> int:
        """Doc."""
        return a + 1

    class C:
        def m(self, x): return x
''')


def fp(text: bytes, path: str = "m.py") -> str:
    return api_fingerprint([parse_file(path, text)])


@pytest.mark.parametrize(
    "changed",
    [
        BASE.replace(b"return a + 1", b"# new comment\n    return a + 2"),  # body + comment
        BASE.replace(b'"""Doc."""', b'"""A different docstring."""'),
        BASE.replace(b'"""Module."""', b""),
        BASE + b"\n\ndef _private(z):\n    return z\n",  # new private function
        BASE + b"\n\ndef unlisted(z):\n    return z\n",  # not in __all__
        BASE.replace(b"def f(a: int) -> int:", b"def f(a:   int)  ->  int:"),  # whitespace only
        b"\n\n" + BASE,  # lines move
    ],
)
def test_fingerprint_stable_under_non_api_changes(changed: bytes):
    assert fp(changed) == fp(BASE)


@pytest.mark.parametrize(
    "changed",
    [
        BASE.replace(b"def f(a: int) -> int:", b"def f(a: int, b: int = 0) -> int:"),
        BASE.replace(b"-> int:", b"-> str:"),
        BASE.replace(b"def m(self, x)", b"def m(self, x, y)"),
        BASE.replace(b'"C"]', b'"C", "g"]') + b"\n\ndef g():\n    pass\n",  # new public function
        BASE.replace(b"class C:", b"class C(Base):"),
    ],
)
def test_fingerprint_changes_with_the_api(changed: bytes):
    assert fp(changed) != fp(BASE)


def test_fingerprint_per_language_and_diff():
    rust2 = RS.replace(b"pub fn area(side: f64)", b"pub fn area(side: f64, scale: f64)")
    assert fp(RS, "src/lib.rs") != fp(rust2, "src/lib.rs")
    assert fp(RS, "src/lib.rs") == fp(RS.replace(b"helper(side) * side", b"side * side"), "src/lib.rs")
    ts2 = TS.replace(b"const hidden = () => 1;", b"const hidden = () => 1;\nfunction more() {}")
    assert fp(TS, "a.ts") == fp(ts2, "a.ts")
    assert fp(TS, "a.ts") != fp(TS + b"\nexport function more() {}\n", "a.ts")
    diff = api_diff([parse_file("src/lib.rs", RS)], [parse_file("src/lib.rs", rust2)])
    assert [c[1][0] for c in diff.changed] == ["crate::area"] and not diff.added and not diff.removed


# ------------------------------------------------------------------------------- store, repo, graphs


def commit_all(repo: Path, message: str) -> str:
    git(["add", "-A"], cwd=repo)
    git(["commit", "-q", "-m", message], cwd=repo, env=IDENTITY)
    return git(["rev-parse", "HEAD"], cwd=repo)


def test_incremental_index_from_git(tmp_path: Path):
    repo = tmp_path / "repo"
    (repo / "svc" / "pkg").mkdir(parents=True)
    (repo / "other").mkdir()
    git(["init", "-q", "-b", "main"], cwd=repo)
    (repo / "svc" / "pkg" / "__init__.py").write_bytes(b"")
    (repo / "svc" / "pkg" / "a.py").write_bytes(b"from pkg import b\n\ndef fa():\n    return b.fb()\n")
    (repo / "svc" / "pkg" / "b.py").write_bytes(b"from pkg import a\n\ndef fb():\n    return 1\n")
    (repo / "svc" / "web.ts").write_bytes(b"export function w(x: number): number { return x; }\r\n")
    (repo / "svc" / "README.md").write_bytes(b"# not code\n")
    (repo / "other" / "x.py").write_bytes(b"def outside(): pass\n")
    first = commit_all(repo, "first")
    (repo / "svc" / "pkg" / "b.py").write_bytes(b"from pkg import a\n\ndef fb(n=1):\n    return n\n")
    second = commit_all(repo, "second")

    files = read_files(repo, first, "svc")
    assert sorted(files) == ["pkg/__init__.py", "pkg/a.py", "pkg/b.py", "web.ts"]
    assert files["web.ts"].endswith(b"\r\n")  # bytes as stored, binary-safe

    url = f"sqlite:///{tmp_path / 'oracle.db'}"
    s1 = index_commit(url, "svc", repo, first, subpath="svc")
    assert (s1.parsed, s1.reused) == (4, 0)
    s2 = index_commit(url, "svc", repo, second, subpath="svc")
    assert (s2.parsed, s2.reused) == (1, 3)  # only pkg/b.py changed
    assert s1.api_fingerprint != s2.api_fingerprint  # fb's signature changed
    again = index_commit(url, "svc", repo, "main", subpath="svc")
    assert (again.parsed, again.reused) == (0, 4)
    assert snapshot_fingerprint(url, "svc", second) == s2.api_fingerprint

    graphs = load_graphs(url, "svc", second)
    assert [g.path for g in graphs] == ["pkg/__init__.py", "pkg/a.py", "pkg/b.py", "web.ts"]
    b = next(g for g in graphs if g.path == "pkg/b.py")
    assert b.symbol("pkg.b.fb").signature == "(n=1)"
    assert import_cycles(graphs) == [["pkg.a", "pkg.b"]]
    assert callers(call_graph(graphs), "pkg.b.fb") == ["pkg.a.fa"]


def test_index_tree_from_bytes_reuses_by_content(tmp_path: Path):
    engine_url = f"sqlite:///{tmp_path / 'o.db'}"
    v1 = {"m.py": b"def f(): pass\n", "n.py": b"def g(): pass\n", "data.json": b"{}"}
    s1 = index_tree(engine_url, "p", "c1", v1)
    assert (s1.parsed, s1.reused, s1.skipped) == (2, 0, 1)
    s2 = index_tree(engine_url, "p", "c2", {**v1, "n.py": b"def g(x): pass\n"})
    assert (s2.parsed, s2.reused) == (1, 1)
    s3 = index_tree(engine_url, "q", "c9", v1)  # another product with the same files reuses the graphs
    assert (s3.parsed, s3.reused) == (0, 2)
    assert load_graphs(engine_url, "p", "unknown") == []


def test_callers_and_callees_on_a_tiny_call_graph():
    graphs = [
        parse_file(
            "app/main.py",
            src("""
                from app import util

                def main():
                    load()
                    util.save()

                def load():
                    return util.parse("x")

                class Job:
                    def run(self):
                        self.step()
                        main()

                    def step(self):
                        print("external")
            """),
        ),
        parse_file("app/util.py", src("def save():\n    parse('y')\n\ndef parse(s):\n    return s\n")),
    ]
    g = call_graph(graphs)
    assert callees(g, "app.main.main") == ["app.main.load", "app.util.save"]
    assert callers(g, "app.util.parse") == ["app.main.load", "app.util.save"]
    assert callees(g, "app.main.Job.run") == ["app.main.Job.step", "app.main.main"]
    assert callers(g, "app.main.main") == ["app.main.Job.run"]
    assert callees(g, "app.main.Job.step") == []  # print is external, dropped
    assert "?print" in call_graph(graphs, include_unresolved=True)
    assert callers(g, "nope") == []


def test_unsupported_extension_and_broken_source():
    from codemonkeys.oracle import UnsupportedLanguage

    with pytest.raises(UnsupportedLanguage, match=r"^x\.go: no grammar for this extension$"):
        parse_file("x.go", b"package x")
    broken = parse_file("b.py", b"def ok(a):\n    return a\n\ndef bad(:\n")
    assert broken.has_errors and broken.symbol("b.ok") is not None
