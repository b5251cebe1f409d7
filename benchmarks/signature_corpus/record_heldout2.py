"""Record a second blind held-out split of the signature corpus (``heldout2/``, ``labels_heldout2.json``).

Written on 2026-12-07, before any tuning of that day, and only measured, never tuned on. Like
``record.py`` (whose helpers it uses): small real products, each broken by one root cause and really
run (pytest 9.2 and plain ``python -m`` on CPython 3.11, ``npm test`` on Node 20, ``cargo build`` /
``cargo test`` / ``cargo run`` offline on cargo 1.95); the console of each run is written as
``heldout2/<name>.log`` and labelled with its root cause in ``labels_heldout2.json`` (same format as
``labels.json``). None of its causes is one of ``labels.json``.

Causes, each in 2-3 products with their own names, packages, layouts (src, flat, script) and
workspaces, and look-alikes beside them (same exception or message shape, another root cause):

- pandas 2 removed ``DataFrame.append``; look-alike: pandas 2 removed ``DataFrame.iteritems``.
- SQLAlchemy 2 removed ``Engine.execute``; look-alike: SQLAlchemy 2 no longer runs a raw SQL string
  (``text()`` needed).
- urllib3 2 removed ``Retry(method_whitelist=...)``; look-alike: the product's own helper called with a
  keyword it does not take.
- a fleet library ``acmeconf`` 2.0 made ``Config.get``'s default keyword-only.
- Node: ``uuid`` 9 has no deep ``uuid/v4`` subpath; look-alike: ``nanoid`` 5 has no ``nanoid/async``.
- Node: a fleet package ``acme-fmt`` 2.0 (installed in ``node_modules``) renamed ``formatBytes``;
  look-alike: it removed ``formatDuration``.
- Node: ``commander`` not installed; look-alike: the product's own module required by an old name.
- Rust: a fleet path crate ``acme_geo`` 2.0 gave ``distance`` a unit argument; look-alike: it removed
  ``Point::to_km``.
- Rust: the fleet's ``FLEET_REGION`` variable unset (``expect`` panics); look-alike: an ``expect``
  panic on a malformed number in the product's own code.

Setup (scratch venv with pytest, pandas 2, SQLAlchemy 2, urllib3 2 and ``acmeconf`` 2.0; npm caches
with uuid 9 and nanoid 5), then record::

    python benchmarks/signature_corpus/record_heldout2.py --setup --root /tmp/sigc2
    python benchmarks/signature_corpus/record_heldout2.py --python /tmp/sigc2/venv/bin/python \
        --npm-cache /tmp/sigc2/npmcache
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from record import Case, _cjs_test, _esm_test, npm_test, py_pytest, py_script, record  # noqa: E402

SPLIT = "heldout2"
LABELS = HERE / "labels_heldout2.json"

# --- the fleet library acmeconf 2.0 (installed into the scratch venv by --setup) ---------------------

ACMECONF = {
    "pyproject.toml": (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "acmeconf"\nversion = "2.0.0"\n'
    ),
    "acmeconf/__init__.py": (
        '"""acmeconf 2.0: the default of ``Config.get`` is keyword-only (``get(key, default=...)``)."""\n'
        "\n"
        "\n"
        "class Config:\n"
        "    def __init__(self, values=None):\n"
        "        self._values = dict(values or {})\n"
        "\n"
        "    def get(self, key, *, default=None):\n"
        "        return self._values.get(key, default)\n"
    ),
}

# --- Python products ----------------------------------------------------------------------------------

APPEND = (
    "import pandas as pd\n"
    "\n"
    "\n"
    "def run(xs):\n"
    '    frame = pd.DataFrame(columns=["amount"])\n'
    "    for x in xs:\n"
    '        frame = frame.append({"amount": x}, ignore_index=True)\n'
    '    return frame["amount"].sum()\n'
)
APPEND_B = (
    "import pandas as pd\n"
    "\n"
    'COLUMNS = ["tree", "kg"]\n'
    "\n"
    "\n"
    "def _row(i, x):\n"
    '    return pd.DataFrame([{"tree": f"t{i}", "kg": x}])\n'
    "\n"
    "\n"
    "def run(xs):\n"
    "    yields = pd.DataFrame(columns=COLUMNS)\n"
    "    for i, x in enumerate(xs):\n"
    "        yields = yields.append(_row(i, x))\n"
    '    return float(yields["kg"].sum())\n'
)
APPEND_C = (
    "import pandas as pd\n"
    "\n"
    "\n"
    "def run(xs):\n"
    '    tally = pd.DataFrame({"n": [0]})\n'
    '    tally = tally.append(pd.DataFrame({"n": list(xs)}))\n'
    '    return int(tally["n"].sum())\n'
)
ITERITEMS = (
    "import pandas as pd\n"
    "\n"
    "\n"
    "def run(xs):\n"
    '    crops = pd.DataFrame({"wheat": xs, "barley": xs})\n'
    "    return sum(len(column) for _, column in crops.iteritems())\n"
)
SA_EXECUTE = (
    "from sqlalchemy import create_engine\n"
    "\n"
    'ENGINE = create_engine("sqlite://")\n'
    "\n"
    "\n"
    "def run(xs):\n"
    '    return ENGINE.execute("select count(*) from (select 1)").scalar() + len(xs)\n'
)
SA_EXECUTE_B = (
    "import sqlalchemy as sa\n"
    "\n"
    "\n"
    "def run(xs):\n"
    '    engine = sa.create_engine("sqlite:///:memory:")\n'
    '    rows = engine.execute(sa.text("select 1 union select 2")).fetchall()\n'
    "    return len(rows) + len(xs)\n"
)
SA_TEXT = (
    "from sqlalchemy import create_engine\n"
    "\n"
    "\n"
    "def run(xs):\n"
    '    engine = create_engine("sqlite://")\n'
    "    with engine.connect() as conn:\n"
    '        return conn.execute("select 1").scalar() + len(xs)\n'
)
RETRY = (
    "from urllib3.util.retry import Retry\n"
    "\n"
    'RETRY = Retry(total=3, backoff_factor=0.2, method_whitelist=frozenset(["GET", "HEAD"]))\n'
    "\n"
    "\n"
    "def run(xs):\n"
    "    return RETRY.total + len(xs)\n"
)
RETRY_B = (
    "import urllib3\n"
    "\n"
    "\n"
    "def run(xs):\n"
    '    retries = urllib3.Retry(connect=2, read=2, method_whitelist=["GET"])\n'
    "    pool = urllib3.PoolManager(retries=retries)\n"
    "    return len(pool.pools) + len(xs)\n"
)
OWN_KWARG = (
    "def fetch_page(url, timeout=5.0):\n"
    "    return len(url) + int(timeout)\n"
    "\n"
    "\n"
    "def run(xs):\n"
    '    return sum(fetch_page(f"http://127.0.0.1/{x}", retries=3) for x in xs)\n'
)
CONF_GET = (
    "from acmeconf import Config\n"
    "\n"
    "\n"
    "def run(xs):\n"
    '    config = Config({"workers": 4})\n'
    '    return config.get("threads", 2) * len(xs)\n'
)
CONF_GET_B = (
    "import acmeconf\n"
    "\n"
    'SETTINGS = acmeconf.Config({"region": "eu"})\n'
    "\n"
    "\n"
    "def run(xs):\n"
    '    timeout = SETTINGS.get("timeout", 30)\n'
    "    return timeout + sum(xs)\n"
)

# --- Node products ------------------------------------------------------------------------------------

UUID_CJS = (
    "const uuidv4 = require('uuid/v4');\n"
    "\n"
    "function newTicket() {\n"
    "  return `tkt-${uuidv4()}`;\n"
    "}\n"
    "\n"
    "module.exports = { newTicket };\n"
)
UUID_CJS_B = (
    "const v4 = require('uuid/v4');\n"
    "\n"
    "const PREFIX = 'ord';\n"
    "\n"
    "function orderId() {\n"
    "  return [PREFIX, v4()].join('-');\n"
    "}\n"
    "\n"
    "module.exports = { orderId };\n"
)
NANOID_CJS = (
    "const { nanoid } = require('nanoid/async');\n"
    "\n"
    "async function sessionToken() {\n"
    "  return await nanoid(24);\n"
    "}\n"
    "\n"
    "module.exports = { sessionToken };\n"
)
ACME_FMT = {
    "node_modules/acme-fmt/package.json": json.dumps(
        {"name": "acme-fmt", "version": "2.0.0", "type": "module", "exports": "./index.js"}, indent=2
    )
    + "\n",
    "node_modules/acme-fmt/index.js": (
        "// acme-fmt 2.0: formatBytes was renamed bytes; formatDuration was removed.\n"
        "export function bytes(n) {\n"
        "  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;\n"
        "}\n"
        "\n"
        "export function percent(x) {\n"
        "  return `${Math.round(x * 100)}%`;\n"
        "}\n"
    ),
}
FMT_BYTES = (
    "import { formatBytes } from 'acme-fmt';\n"
    "\n"
    "export function sizes(xs) {\n"
    "  return xs.map((x) => formatBytes(x * 4096));\n"
    "}\n"
)
FMT_BYTES_B = (
    "import { percent, formatBytes } from 'acme-fmt';\n"
    "\n"
    "export function progress(xs) {\n"
    "  const total = xs.reduce((a, b) => a + b, 0);\n"
    "  return `${formatBytes(total)} (${percent(1)})`;\n"
    "}\n"
)
FMT_DURATION = (
    "import { formatDuration } from 'acme-fmt';\n"
    "\n"
    "export function elapsed(xs) {\n"
    "  return xs.map((ms) => formatDuration(ms));\n"
    "}\n"
)
COMMANDER_CJS = (
    "const { Command } = require('commander');\n"
    "\n"
    "function parse(argv) {\n"
    "  const program = new Command();\n"
    "  program.option('-e, --env <name>', 'target environment', 'staging');\n"
    "  program.parse([argv], { from: 'user' });\n"
    "  return program.opts();\n"
    "}\n"
    "\n"
    "module.exports = { parse };\n"
)
COMMANDER_CJS_B = (
    "const commander = require('commander');\n"
    "\n"
    "function parse(argv) {\n"
    "  return new commander.Command('seed').option('--rows <n>').parse([argv], { from: 'user' }).opts();\n"
    "}\n"
    "\n"
    "module.exports = { parse };\n"
)
ROUTES_CJS = (
    "const { slugify } = require('./slugify');\n"
    "\n"
    "function route(title) {\n"
    "  return `/posts/${slugify(title)}`;\n"
    "}\n"
    "\n"
    "module.exports = { route };\n"
)
SLUG_CJS = (
    "function slugify(text) {\n"
    "  return String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-');\n"
    "}\n"
    "\n"
    "module.exports = { slugify };\n"
)

# --- Rust products ------------------------------------------------------------------------------------

ACME_GEO = {
    "acme_geo/Cargo.toml": '[package]\nname = "acme_geo"\nversion = "2.0.0"\nedition = "2021"\n',
    "acme_geo/src/lib.rs": (
        "//! acme_geo 2.0: `distance` takes the unit to measure in; `Point::to_km` was removed.\n"
        "\n"
        "#[derive(Clone, Copy, Debug)]\n"
        "pub struct Point {\n    pub lat: f64,\n    pub lon: f64,\n}\n"
        "\n"
        "#[derive(Clone, Copy, Debug)]\n"
        "pub enum Unit {\n    Km,\n    Mile,\n}\n"
        "\n"
        "impl Point {\n"
        "    pub fn new(lat: f64, lon: f64) -> Self {\n        Point { lat, lon }\n    }\n"
        "}\n"
        "\n"
        "pub fn distance(a: Point, b: Point, unit: Unit) -> f64 {\n"
        "    let km = ((a.lat - b.lat).powi(2) + (a.lon - b.lon).powi(2)).sqrt() * 111.0;\n"
        "    match unit {\n        Unit::Km => km,\n        Unit::Mile => km / 1.609,\n    }\n"
        "}\n"
    ),
}
GEO_LEG = (
    "use acme_geo::{distance, Point};\n"
    "\n"
    "pub fn leg(a: (f64, f64), b: (f64, f64)) -> f64 {\n"
    "    distance(Point::new(a.0, a.1), Point::new(b.0, b.1))\n"
    "}\n"
)
GEO_BIN = (
    "use acme_geo::Point;\n"
    "\n"
    "fn main() {\n"
    "    let home = Point::new(52.1, 4.3);\n"
    "    let pad = Point::new(52.2, 4.4);\n"
    '    println!("{:.1}", acme_geo::distance(home, pad));\n'
    "}\n"
)
GEO_TO_KM = "use acme_geo::Point;\n\npub fn radius(centre: Point) -> f64 {\n    centre.to_km() / 2.0\n}\n"
REGION_LIB = (
    "pub fn endpoint() -> String {\n"
    '    let region = std::env::var("FLEET_REGION").expect("FLEET_REGION must be set");\n'
    '    format!("https://{region}.telemetry.acme.test")\n'
    "}\n"
    "\n"
    "#[cfg(test)]\nmod tests {\n    #[test]\n    fn builds_the_endpoint() {\n"
    '        assert!(super::endpoint().starts_with("https://"));\n    }\n}\n'
)
REGION_BIN = (
    "fn main() {\n"
    '    let region = std::env::var("FLEET_REGION").expect("set FLEET_REGION");\n'
    '    println!("lighthouse reporting to {region}");\n'
    "}\n"
)
THRESHOLD = (
    "pub fn threshold(raw: &str) -> u32 {\n"
    '    raw.trim().parse().expect("threshold must be a whole number")\n'
    "}\n"
    "\n"
    "#[cfg(test)]\nmod tests {\n    #[test]\n    fn reads_the_threshold() {\n"
    '        assert_eq!(super::threshold("12.5"), 12);\n    }\n}\n'
)


def cargo_case(name, cause, crate, code: str, *, command: str = "build", bin_=False, geo=False) -> Case:
    """A cargo product in its own workspace; ``geo`` adds the fleet crate acme_geo 2.0 beside it."""
    deps = '\n[dependencies]\nacme_geo = { path = "../acme_geo" }\n' if geo else ""
    files = {
        f"{crate}/Cargo.toml": f'[package]\nname = "{crate}"\nversion = "1.4.0"\nedition = "2021"\n{deps}',
        f"{crate}/src/{'main' if bin_ else 'lib'}.rs": code,
    }
    if geo:
        files.update(ACME_GEO)
    args = ["cargo", command, "--offline"]
    return Case(name, cause, SPLIT, "cargo", files, args, " ".join(args), env={"_cwd": crate})


def cases() -> list[Case]:
    h = SPLIT
    cjs = _cjs_test
    return [
        # pandas 2 removed DataFrame.append vs another DataFrame method removed
        py_pytest("papertrail", "py:pandas2 DataFrame.append removed", h, "papertrail", "entries", APPEND),
        py_pytest(
            "orchard",
            "py:pandas2 DataFrame.append removed",
            h,
            "orchard",
            "yields",
            APPEND_B,
            layout="flat",
            params=True,
            test_args=("-v",),
        ),
        py_script("tallyho", "py:pandas2 DataFrame.append removed", h, "tallyho", "counts", APPEND_C),
        py_pytest("harvest", "py:pandas2 DataFrame.iteritems removed", h, "harvest", "crops", ITERITEMS),
        # SQLAlchemy 2 removed Engine.execute vs raw SQL strings no longer executable
        py_pytest(
            "kiosk",
            "py:sqlalchemy2 Engine.execute removed",
            h,
            "kiosk",
            "sales",
            SA_EXECUTE,
            test_args=("-q",),
        ),
        py_script(
            "ferry",
            "py:sqlalchemy2 Engine.execute removed",
            h,
            "ferry",
            "manifest",
            SA_EXECUTE_B,
            nested="src",
        ),
        py_pytest(
            "signalbox",
            "py:sqlalchemy2 raw SQL string needs text()",
            h,
            "signalbox",
            "signals",
            SA_TEXT,
            layout="flat",
        ),
        # urllib3 2 removed Retry(method_whitelist) vs the product's own helper without that keyword
        py_pytest("courier", "py:urllib3 2 Retry method_whitelist removed", h, "courier", "transport", RETRY),
        py_script(
            "telegraph", "py:urllib3 2 Retry method_whitelist removed", h, "telegraph", "wire", RETRY_B
        ),
        py_pytest(
            "semaphore",
            "py:own fetch_page has no retries parameter",
            h,
            "semaphore",
            "flags",
            OWN_KWARG,
            test_args=("--tb=short",),
        ),
        # a fleet library's signature change
        py_pytest(
            "windmill",
            "py:acmeconf2 Config.get default keyword-only",
            h,
            "windmill",
            "blades",
            CONF_GET,
            params=True,
        ),
        py_script("buoy", "py:acmeconf2 Config.get default keyword-only", h, "buoy", "drift", CONF_GET_B),
        # Node: subpaths that the exports map no longer has
        npm_test(
            "ticketing-js",
            "node:uuid9 has no uuid/v4 subpath",
            h,
            {"lib/ids.js": UUID_CJS, "test/ids.test.js": cjs("../lib/ids", "newTicket", "issues tickets")},
            "uuid_9",
        ),
        npm_test(
            "order-ids",
            "node:uuid9 has no uuid/v4 subpath",
            h,
            {"index.js": UUID_CJS_B, "test/index.test.js": cjs("..", "orderId", "makes order ids")},
            "uuid_9",
        ),
        npm_test(
            "session-js",
            "node:nanoid5 has no nanoid/async subpath",
            h,
            {"src/token.js": NANOID_CJS, "test/token.test.js": cjs("../src/token", "sessionToken", "tokens")},
            "nanoid_5",
        ),
        # Node: a fleet package renamed one export and removed another
        npm_test(
            "disk-report",
            "node:acme-fmt2 formatBytes renamed bytes",
            h,
            {
                "_type": '"type": "module"',
                "src/sizes.js": FMT_BYTES,
                "test/sizes.test.js": _esm_test("../src/sizes.js", "sizes", "formats sizes"),
                **ACME_FMT,
            },
        ),
        npm_test(
            "upload-ui",
            "node:acme-fmt2 formatBytes renamed bytes",
            h,
            {
                "_type": '"type": "module"',
                "lib/progress.js": FMT_BYTES_B,
                "test/progress.test.js": _esm_test("../lib/progress.js", "progress", "shows progress"),
                **ACME_FMT,
            },
        ),
        npm_test(
            "timer-ui",
            "node:acme-fmt2 formatDuration removed",
            h,
            {
                "_type": '"type": "module"',
                "index.js": FMT_DURATION,
                "test/index.test.js": _esm_test("../index.js", "elapsed", "shows elapsed time"),
                **ACME_FMT,
            },
        ),
        # Node: a package not installed vs the product's own module required by its old name
        npm_test(
            "deploy-cli",
            "node:commander not installed",
            h,
            {"lib/cli.js": COMMANDER_CJS, "test/cli.test.js": cjs("../lib/cli", "parse", "parses flags")},
        ),
        npm_test(
            "seed-cli",
            "node:commander not installed",
            h,
            {"index.js": COMMANDER_CJS_B, "test/index.test.js": cjs("..", "parse", "parses rows")},
        ),
        npm_test(
            "blog-js",
            "node:lib/slugify.js renamed slug.js",
            h,
            {
                "lib/routes.js": ROUTES_CJS,
                "lib/slug.js": SLUG_CJS,
                "test/routes.test.js": cjs("../lib/routes", "route", "routes posts"),
            },
        ),
        # Rust: a fleet path crate changed its API
        cargo_case("routeplan", "rust:acme_geo2 distance takes a unit", "routeplan", GEO_LEG, geo=True),
        cargo_case(
            "dronepath", "rust:acme_geo2 distance takes a unit", "dronepath", GEO_BIN, bin_=True, geo=True
        ),
        cargo_case("geofence", "rust:acme_geo2 Point::to_km removed", "geofence", GEO_TO_KM, geo=True),
        # Rust: the fleet's FLEET_REGION unset vs a malformed number, both `expect` panics
        cargo_case("telemetry-rs", "rust:FLEET_REGION unset", "telemetry_rs", REGION_LIB, command="test"),
        cargo_case(
            "lighthouse", "rust:FLEET_REGION unset", "lighthouse", REGION_BIN, command="run", bin_=True
        ),
        cargo_case(
            "thresholds", "rust:threshold given as a decimal", "thresholds", THRESHOLD, command="test"
        ),
    ]


def setup(root: Path) -> None:
    """The scratch venv (pytest, pandas 2, SQLAlchemy 2, urllib3 2, acmeconf 2.0) and the npm caches."""
    root.mkdir(parents=True, exist_ok=True)
    venv = root / "venv"
    if not venv.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "pytest==9.2.0", "pandas>=2.2,<3", "sqlalchemy>=2,<3", "urllib3>=2,<3"], check=True)
    lib = root / "acmeconf"
    for path, text in ACMECONF.items():
        (lib / path).parent.mkdir(parents=True, exist_ok=True)
        (lib / path).write_text(text)
    subprocess.run([*pip, str(lib)], check=True)
    for spec in ("uuid@9", "nanoid@5"):
        cache = root / "npmcache" / spec.replace("@", "_")
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "package.json").write_text(json.dumps({"name": "cache", "private": True}) + "\n")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", spec], cwd=cache, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true", help="build the venv and npm caches under --root")
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "sigc2")
    parser.add_argument("--python", help="the venv's python (pytest, pandas 2, SQLAlchemy 2, urllib3 2)")
    parser.add_argument("--npm-cache", type=Path, help="dirs with uuid 9 and nanoid 5")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--only", nargs="*", help="names of the cases to record again")
    args = parser.parse_args()
    if args.setup:
        setup(args.root)
        return
    if not args.python or not args.npm_cache:
        parser.error("--python and --npm-cache are needed to record")
    work = args.work or args.root / "work"
    work.mkdir(parents=True, exist_ok=True)
    os.environ.pop("FLEET_REGION", None)  # the cause of two Rust products
    labels = json.loads(LABELS.read_text()) if LABELS.exists() else {}
    for case in cases():
        if args.only and case.name not in args.only:
            continue
        text = record(case, args.python, args.npm_cache, work)
        out = HERE / case.split / f"{case.name}.log"
        out.parent.mkdir(exist_ok=True)
        out.write_text(text)
        labels[f"{case.split}/{case.name}.log"] = {"cause": case.cause, "tool": case.tool}
        print(f"{case.split}/{case.name}.log: {case.cause}")
    LABELS.write_text(json.dumps(dict(sorted(labels.items())), indent=2) + "\n")


if __name__ == "__main__":
    main()
