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
