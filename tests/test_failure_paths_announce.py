"""Announcement templates' failure paths, against the real Jinja2 sandbox and through the real `cmctl apply`:
a hostile template cannot escape the sandbox (no Python object graph, no module, no process: a canary
command never runs) and every way a template fails is a ``RenderError`` naming the template's line and no
value (a syntax error, an undefined name, what the sandbox refuses, a range too big for it, an operation
that fails); in an apply, a webhook channel's hostile template is a failed announce.post saying so, and
nothing is posted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from announce_fleet import write_fleet
from codemonkeys.announce.message import Release, RenderError, message_for, render
from conftest import cmctl
from test_announce_webhook import Receiver, receiver, receiver_server  # noqa: F401  (a real HTTP receiver)

RELEASE = Release("shop", "1.0.0", "v1.0.0", "## 1.0.0\n\n- checkout page", {"home": "https://shop.test"})


def unsafe(attribute: str, of: str) -> str:
    return f"template error at line 1: access to attribute '{attribute}' of '{of}' object is unsafe."


# (hostile template, the RenderError it is): the object graph, modules and processes are out of reach
ESCAPES = [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", unsafe("__class__", "str")),
    ("{{ cycler.__init__.__globals__.os.system('touch CANARY') }}", unsafe("__init__", "type")),
    ("{{ lipsum.__globals__['os'].system('touch CANARY') }}", unsafe("__globals__", "function")),
    (
        "{{ joiner.__init__.__globals__.__builtins__.__import__('os').system('touch CANARY') }}",
        unsafe("__init__", "type"),
    ),
    ("{{ self.__init__.__globals__ }}", unsafe("__init__", "TemplateReference")),
    ("{{ links.__class__.__base__.__subclasses__() }}", unsafe("__class__", "dict")),
    ("{{ '{0.__class__.__mro__}'.format(product) }}", unsafe("__class__", "str")),
    ("{{ product|attr('__class__') }}", unsafe("__class__", "str")),
    ("{{ links.items.__self__ }}", unsafe("__self__", "builtin_function_or_method")),
    ("{{ changelog.__len__() }}", unsafe("__len__", "str")),
    ("{{ config.items() }}", "template error at line 1: 'config' is undefined"),
    (
        "{% for i in range(1000000) %}{% endfor %}",
        "template error at line 1: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
    ),
]


@pytest.mark.parametrize("template,error", ESCAPES, ids=[str(n) for n in range(len(ESCAPES))])
def test_a_hostile_template_cannot_escape_the_sandbox(tmp_path: Path, monkeypatch, template: str, error: str):
    monkeypatch.chdir(tmp_path)  # where `touch CANARY` would write
    with pytest.raises(RenderError, match=f"^{re.escape(error)}$"):
        message_for(RELEASE, template)
    assert list(tmp_path.iterdir()) == []  # nothing ran


@pytest.mark.parametrize(
    "template,error",
    [
        (
            "{{ product }}\n\n{% if %}\n",
            "template error at line 3: Expected an expression, got 'end of statement block'",
        ),
        ("{{ product }}\n{{ prodcut }}", "template error at line 2: 'prodcut' is undefined"),
        (
            "{{ product }}\n{{ links.nope }}",
            "template error at line 2: 'dict object' has no attribute 'nope'",
        ),
        ("a\nb\nc\n{{ version | nosuch }}", "template error at line 4: No filter named 'nosuch'."),
        ("a\n\n\n\n{{ 1 / 0 }}", "template error at line 5: ZeroDivisionError"),  # no value in it
        ("{{ product }}\n{{ version + 1 }}", "template error at line 2: TypeError"),
    ],
    ids=["syntax", "undefined", "no-attribute", "no-filter", "zero-division", "type-error"],
)
def test_a_template_error_is_a_render_error_with_its_line(template: str, error: str):
    with pytest.raises(RenderError, match=f"^{re.escape(error)}$"):
        render(template, RELEASE.values())


def test_an_operation_error_names_no_value():
    """An operation whose own message would quote a value (a macro's values are secrets): only its type."""
    with pytest.raises(RenderError, match=r"^template error at line 1: KeyError$") as raised:
        render("{{ token.format_map({}) }}", {"token": "pw{hunter2}"})  # KeyError('hunter2')
    assert "hunter2" not in str(raised.value)


HOSTILE_BODY = (
    '{"release": {{ product | tojson }},\n'
    ' "who": {{ cycler.__init__.__globals__.os.popen("id").read() | tojson }}}\n'
)


def test_apply_fails_a_hostile_webhook_template_and_posts_nothing(tmp_path: Path, receiver: Receiver):  # noqa: F811
    channels = {"hook": {"type": "webhook", "url": receiver.url, "template": "templates/hook.json.j2"}}
    fleet = write_fleet(
        tmp_path, channels, {"channels": ["hook"]}, files={"templates/hook.json.j2": HOSTILE_BODY}
    )
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve")
    assert r.returncode == 1, r.stdout + r.stderr
    assert receiver.requests == []  # nothing posted
    doc = json.loads(cmctl("logs", "shop/announce.post/hook", "--fleet", str(fleet), "--json").stdout)
    assert doc["status"] == "failed", doc
    assert doc["message"] == (
        "hook: template error at line 2: access to attribute '__init__' of 'type' object is unsafe."
    ), doc["message"]
