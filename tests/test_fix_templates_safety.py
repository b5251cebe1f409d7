"""Fix templates that are not sure do not match or change nothing: no patch is better than a wrong one
(``codemonkeys.swarm.templates`` over ``swarm/codeshapes.py``). The snippets are patterned on real fixes:
aionotify's ``@asyncio.coroutine`` removal, vsc-base's ``Mapping`` shim, code that already imports
``collections.abc``."""

from __future__ import annotations

from codemonkeys.swarm.codeshapes import move_module
from codemonkeys.swarm.templates import (
    Edit,
    FixTemplate,
    NotLearned,
    file_diff,
    instantiate,
    learn_template,
    make_template,
    match,
)


def diff_of(path: str, before: str, after: str) -> str:
    return file_diff(path, before, after)[0]


def test_a_move_into_a_submodule_that_is_already_applied_is_not_applied_again() -> None:
    text = (
        "import collections\nimport collections.abc\n\n\n"
        "def is_mapping(x):\n    return isinstance(x, (collections.abc.Mapping, collections.Mapping))\n"
    )
    moved = move_module(text, "py", "collections", "collections.abc")
    assert "collections.abc.abc" not in moved
    assert "isinstance(x, (collections.abc.Mapping, collections.abc.Mapping))" in moved
    assert move_module(moved, "py", "collections", "collections.abc") == moved  # applied once only


ASYNC_SUMMARY = "AttributeError: module 'asyncio' has no attribute 'coroutine'. Did you mean: 'coroutines'?"
ASYNC_RED = (
    "import asyncio\n\n\n@asyncio.coroutine\ndef read_when_ready(fd, loop):\n"
    "    ready = loop.create_future()\n    loop.add_reader(fd, ready.set_result, None)\n"
    "    try:\n        yield from ready\n    finally:\n        loop.remove_reader(fd)\n"
)
ASYNC_FIX = ASYNC_RED.replace("@asyncio.coroutine\ndef", "async def").replace(
    "yield from ready", "await ready"
)


def test_a_fix_that_does_more_next_to_what_the_error_explains_teaches_no_partial_template() -> None:
    # SQLAlchemy 2: `return engine.execute(q)` -> a connection opened around it, the result returned from
    # inside: a template that only renamed the call would leave the rest behind
    summary = "AttributeError: 'Engine' object has no attribute 'execute'"
    red = (
        "def run(self, clause, *many, **params):\n    if self.local.target:\n"
        "        return self.local.target.execute(clause, many or params)\n\n"
        "    return self.engine.execute(clause, *many, **params)\n"
    )
    fix = (
        "def run(self, clause, *many, **params):\n    if self.local.target:\n"
        "        with self.local.target.connect() as conn:\n            result = conn.execute(clause)\n"
        "            return result\n\n    with self.engine.connect() as conn:\n"
        "        result = conn.execute(clause)\n        return result\n"
    )
    found = learn_template(summary, "python_traceback", diff_of("audit/store.py", red, fix))
    assert isinstance(found, NotLearned), found
    assert "changes more than the quoted names explain" in found.reason, found.reason


def test_a_decorator_removed_with_its_generator_coroutine_teaches_the_whole_conversion() -> None:
    # the decorator goes, and with it `def` -> `async def` and `yield from` -> `await`: one `async` edit
    # (a template that only removed the decorator would leave a generator behind)
    found = learn_template(
        ASYNC_SUMMARY, "python_traceback", diff_of("aionotify/aioutils.py", ASYNC_RED, ASYNC_FIX)
    )
    assert isinstance(found, FixTemplate), found
    assert [e.op for e in found.edits] == ["async"]
    bindings = match(found, "AttributeError: module 'asyncio' has no attribute 'coroutine'")
    assert bindings is not None
    consumer = (
        "import asyncio as aio\n\n\nclass Relay:\n    @aio.coroutine\n    def send(self, m):\n"
        "        def later():\n            yield from other()\n\n        yield from aio.sleep(0)\n"
        "        return m\n\n\n@aio.coroutine\ndef gen():\n    x = yield\n    yield from aio.sleep(x)\n"
    )
    patch = instantiate(found, bindings, {"relay/client.py": consumer})
    assert patch is not None
    after = patch.diff
    assert "-    @aio.coroutine" in after and "+    async def send(self, m):" in after
    assert "+        await aio.sleep(0)" in after
    assert "await other()" not in after  # a nested function keeps its own yield from
    assert "-@aio.coroutine" not in after and "async def gen" not in after  # a bare yield: a generator too


def test_a_fix_that_imports_from_the_projects_own_module_is_not_transferable() -> None:
    summary = "ImportError: cannot import name 'Mapping' from 'collections' (/usr/lib/collections.py)"
    red = "import os\nfrom collections import OrderedDict, Mapping\n\nfrom .compat import quote\n"
    fix = "import os\nfrom collections import OrderedDict\n\nfrom .compat import quote, Mapping\n"
    found = learn_template(summary, "python_traceback", diff_of("lib/vsc/utils/missing.py", red, fix))
    assert isinstance(found, NotLearned), found
    assert found.reason == "the fix uses the project's own module `.compat`: not transferable"
    absolute = fix.replace(
        "from .compat import quote, Mapping", "from vsc.utils.compat import quote, Mapping"
    )
    red_abs = red.replace("from .compat", "from vsc.utils.compat")
    found = learn_template(
        summary, "python_traceback", diff_of("lib/vsc/utils/missing.py", red_abs, absolute)
    )
    assert isinstance(found, NotLearned) and "`vsc.utils.compat`" in found.reason, found


def test_an_edit_whose_result_does_not_parse_gives_no_patch() -> None:
    # `async` became a keyword in Python 3.7: a rename into it cannot be right
    template = make_template(
        "TypeError: run() got an unexpected keyword argument '{0}'",
        "pytest_failure",
        [Edit("replace", "{0}", "async")],
        {"0": "async_"},
    )
    assert isinstance(template, FixTemplate)
    bindings = match(template, "TypeError: run() got an unexpected keyword argument 'async_'")
    assert bindings is not None
    assert instantiate(template, bindings, {"jobs.py": "def run(async_=False):\n    return async_\n"}) is None
    # JavaScript stays textual: not parsed
    assert instantiate(template, bindings, {"jobs.js": "run({async_: false});\n"}) is not None


def test_a_pin_the_fix_adds_is_added_to_another_products_requirements() -> None:
    # Flask 2.2 with Werkzeug 3: the real fix adds a Werkzeug pin to a requirements file spelled its own
    # way, ending without a newline (git's "\ No newline at end of file" marker inside the hunk)
    summary = "ImportError: cannot import name 'url_quote' from 'werkzeug.urls' (/v/werkzeug/urls.py)"
    diff = diff_of("requierments.txt", "Flask==2.2.2\nsix", "Flask==2.2.2\nsix\nWerkzeug==2.2.2\n")
    assert "\\ No newline at end of file" in diff
    template = learn_template(summary, "python_traceback", diff)
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "pin werkzeug in requirements (added where absent): `Werkzeug==2.2.2`"
    files = {
        "requirements.txt": "flask==2.0.3",
        "docs/requirements-docs.txt": "sphinx\n",
        "app.py": "x = 1\n",
    }
    patch = instantiate(template, match(template, summary) or {}, files)
    assert patch is not None and patch.files == ("requirements.txt",)
    assert "+Werkzeug==2.2.2\n" in patch.diff
    pinned = {"requirements.txt": "flask==2.0.3\nwerkzeug>=2\n"}  # an entry there: pinned in place
    patch = instantiate(template, match(template, summary) or {}, pinned)
    assert patch is not None and "-werkzeug>=2\n+Werkzeug==2.2.2\n" in patch.diff


def test_a_guarded_import_is_specific_to_its_name_and_not_applied_twice() -> None:
    red = "from jinja2 import Markup\n"
    fix = "try:\n    from jinja2 import Markup\nexcept ImportError:\n    from markupsafe import Markup\n"
    summary = "ImportError: cannot import name 'Markup' from 'jinja2' (/venv/jinja2/__init__.py)"
    template = learn_template(summary, "python_traceback", diff_of("badge.py", red, fix))
    assert isinstance(template, FixTemplate), template
    assert match(template, "ImportError: cannot import name 'escape' from 'jinja2'") is None
    bindings = match(template, summary)
    assert bindings is not None
    assert instantiate(template, bindings, {"w.py": fix}) is None  # already guarded: nothing to change
    patch = instantiate(template, bindings, {"w.py": "    from jinja2 import Markup as M\n"})
    assert (
        patch is not None
        and "+    except ImportError:\n+        from markupsafe import Markup as M\n" in patch.diff
    )


# --- found by a read-through of the new shapes: each would have been a wrong fix or a dead template ----


def test_the_object_type_wildcard_never_takes_a_placeholder_nor_nonetype() -> None:
    # the fix uses the type's name itself: the pattern keeps it (the template fits its own failure)
    summary = "AttributeError: 'DataFrame' object has no attribute 'append'"
    red = "import pandas as pd\n\n\ndef grow(df, row):\n    return df.append(row)\n"
    fix = red.replace("df.append(row)", "pd.concat([df, pd.DataFrame(row)])")
    template = learn_template(summary, "python_traceback", diff_of("etl/grow.py", red, fix))
    if isinstance(template, FixTemplate):
        assert match(template, summary) is not None, template.pattern
    # a removed method of a library class generalizes over the class, but a None is a bug of its own
    summary = "AttributeError: 'xml.etree.ElementTree.Element' object has no attribute 'getchildren'"
    red = "def kids(node):\n    return [c.tag for c in node.getchildren()]\n"
    template = learn_template(
        summary, "python_traceback", diff_of("x.py", red, red.replace("node.getchildren()", "list(node)"))
    )
    assert isinstance(template, FixTemplate), template
    assert match(template, "AttributeError: 'MyElement' object has no attribute 'getchildren'") is not None
    assert match(template, "AttributeError: 'NoneType' object has no attribute 'getchildren'") is None


def test_a_config_key_is_paired_by_key_or_value_and_changed_only_in_its_own_file() -> None:
    summary = (
        "tsconfig.json(3,5): error TS5102: Option 'out' has been removed."
        " Please remove it from your configuration."
    )
    before = '{\n  "compilerOptions": {\n    "out": "dist/app.js",\n    "sourceMap": true\n  }\n}\n'
    after = '{\n  "compilerOptions": {\n    "sourceMap": true,\n    "outFile": "dist/app.js"\n  }\n}\n'
    template = learn_template(summary, "npm_error", diff_of("tsconfig.json", before, after))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == 'rename the json key out -> "outFile"', template.describe()
    files = {
        "tsconfig.json": '{\n  "compilerOptions": {\n    "out": "build/b.js"\n  }\n}\n',
        "data/report.json": '{\n  "out": "x"\n}\n',
    }
    bindings = match(template, summary)
    patch = instantiate(template, bindings, files)
    assert patch is not None and patch.files == ("tsconfig.json",)
    # two files of other names both have the key: ambiguous, nothing changed
    other = {"a/config.json": files["data/report.json"], "b/config.json": files["data/report.json"]}
    assert instantiate(template, bindings, other) is None
    # a nested value is not one entry
    nested = {"tsconfig.json": '{\n  "out": {\n    "dir": "x"\n  }\n}\n'}
    assert instantiate(template, bindings, nested) is None


def test_a_line_change_from_an_error_that_quotes_nothing_needs_several_sites_and_a_real_rule() -> None:
    one = diff_of("src/lib.rs", "#[no_mangle]\nfn a() {}\n", "#[unsafe(no_mangle)]\nfn a() {}\n")
    assert not learn_template("error: unsafe attribute used without unsafe", "cargo_error", one)
    two = diff_of("src/lib.rs", "let x = 1;\nlet y = 1;\n", "let x = 2;\nlet y = 2;\n")
    assert not learn_template("error: could not compile due to previous error", "cargo_error", two)
    pin = diff_of(
        "package.json",
        '{\n  "a": "^17.0.2",\n  "b": "^17.0.2"\n}\n',
        '{\n  "a": "^18.2.0",\n  "b": "^18.2.0"\n}\n',
    )
    assert not learn_template("npm ERR! ERESOLVE unable to resolve dependency tree", "npm_error", pin)


def test_renames_touch_only_the_uses_they_mean() -> None:
    from codemonkeys.swarm.codeshapes import default_to_named, rename_module_attr, rename_result_attr

    text = (
        "from numpy import product\n\n\nclass Cart:\n    def product(self, n):\n"
        "        return product([n])\n\n\nx = {'product': plot(product=1)}\n"
    )
    assert rename_module_attr(text, "numpy", "product", "numpy.prod") == (
        "from numpy import prod\n\n\nclass Cart:\n    def product(self, n):\n        return prod([n])\n\n\n"
        "x = {'product': plot(product=1)}\n"
    )
    text = (
        "import inspect\n\n\ndef a(f):\n    spec = inspect.getfullargspec(f)\n    return spec.keywords\n\n\n"
        "def b(p):\n    spec = p.parse()\n    return spec.keywords\n"
    )
    assert rename_result_attr(text, "getfullargspec", "keywords", "varkw").count("spec.varkw") == 1
    calls = (
        "const id = require('uuid/v4')();\nconst v = require('uuid/v4').default;\n"
        "const u = require('uuid/v4');\n"
    )
    assert default_to_named(calls, "uuid/v4", "uuid", "v4") == calls.replace(
        "const u = require('uuid/v4');", "const { v4: u } = require('uuid');"
    )
