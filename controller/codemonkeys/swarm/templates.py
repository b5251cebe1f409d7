"""Fix templates: learn, from the diff a person pushed to turn a red build green, a fix that another
product failing with the same (or a same-shaped) error can reuse (in the spirit of Meta's Getafix).

Where it sits in the data flow: when a build that failed with a signature goes green, the controller
hands ``learn_template`` the signature's summary and the fix's ``git diff``; the template is stored by
its ``id``. When another product fails, ``match`` says whether a template fits its failure (and binds
the template's placeholders), and ``instantiate`` turns the template into a patch for that product's
files. Pure: text in, values out; no I/O, no git, no clock.

A template is the error text it fixes (``error_text``: the summary without what is product-specific),
with the quoted identifiers that the fix uses replaced by placeholders ``{0}``, ``{1}``, ..., and a few
edits (``Edit``): whole-word token substitutions (``compute_total`` -> ``calculate_total``, a dotted
module path, a keyword argument ``rate=``), whole-line changes, and lines added after the imports (or
after a line). A placeholder that the fix only adds (``import {0}``) is free: the template fits
``NameError: name 'os' is not defined`` as well as ``'json'``. A placeholder the fix replaces is fixed
(``fixed``): renaming ``compute_total`` says nothing about another missing name.

Error shapes that say the same thing are one family (``FAMILIES``): a template learned from
``ImportError: cannot import name 'f' from 'm'`` fits ``AttributeError: module 'm' has no attribute 'f'``.

The shapes real upgrades take are edits of their own, read and written per language by
``swarm/codeshapes.py`` (Python, JavaScript/TypeScript, Rust): ``move`` (a name, or a whole module, imported
from another module path: ``from a import X`` -> ``from a.b import X``, ``import``/``require`` paths, ``use``
paths; ``default``: a whole-module binding of a subpath becomes a named import of the package), ``call`` (a
quoted function's call sites reshaped: a positional argument becomes a keyword, a keyword is dropped or
renamed), Python's ``attr`` (``np.float`` -> ``float`` through the file's alias of numpy), ``unmethod``
(``x.getchildren()`` -> ``list(x)``), ``resattr`` (the attribute of a renamed call's result: ``spec.keywords``
-> ``spec.varkw``) and ``async`` (a generator-based coroutine made native), ``key`` (a configuration entry of
a quoted key) and ``pin`` (a dependency's version pin or range in requirements files,
pyproject.toml, package.json, Cargo.toml; ``bound``: an upper bound a Python dependency gets beside what each
product asks). An edit is kept when it changes what the lines mentioning the
quoted names say: their count, the module they are imported from, the call's shape, the pin of the package
they belong to. A template learned from a fix that edited no test file never edits a test file (``tests``).

Limits (what is not learned: ``learn_template`` returns ``NotLearned`` with the reason): diffs of more than
``MAX_DIFF_LINES`` changed lines or that need more than ``MAX_EDITS`` edits; changes outside source files
(docs, changelogs, lock files); changes that do not touch an identifier quoted in the error text (a fix for an
error that quotes nothing is learned only from a compiler's error and when it is one line change made
everywhere: ``#[no_mangle]`` -> ``#[unsafe(no_mangle)]``); added lines that are neither imports nor after a
non-blank line. Substitutions are textual (whole words, strings and comments included); a keyword rename is
scoped to the calls of the function the fix changed it in (``kwarg``).

A template that would do only part of a fix gives no patch: a Python file left reading more names that
nothing binds than before (an import removed while a member the fix did not map is still used; a variable
of the fix's own), a rename of a name the product defines itself, a cap an entry cannot take.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import keyword
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from codemonkeys.swarm.codeshapes import (
    SEPARATORS,
    add_dependency,
    attr_change,
    bound,
    call_changes,
    call_method_as_function,
    config_entry,
    config_kind,
    default_to_named,
    defines,
    enclosing_call,
    guard_import,
    is_test_path,
    is_upper_bound,
    language,
    manifest_kind,
    method_to_function,
    module_aliases,
    move_module,
    move_name,
    native_coroutines,
    package_key,
    parse_import,
    pin,
    python_dependency,
    rename_keyword,
    rename_module_attr,
    rename_result_attr,
    rename_table,
    replace_config_key,
    replace_keyword_argument,
    requirement,
    reshape_calls,
    spec_clauses,
    unbound_names,
)
from codemonkeys.swarm.lineshapes import learn_shape, reshape_lines

MAX_DIFF_LINES = 200  # changed lines of a fix diff (source files only) beyond which nothing is learned
MAX_EDITS = 8  # edits of a template
MAX_ADDED = 3  # added lines of a template

# --- error text ----------------------------------------------------------------------------------------

_TEST_ID = re.compile(r"^\S+?\.py\b(?:::[^\s\[]+)?(?:\[[^\]]*\])? - ")
_TRAILING_PAREN = re.compile(
    r"\s*\((?:[^()]*/[^()]*|[^()]*\.(?:py|rs|[cm]?[jt]sx?)\b[^()]*|[^()]* in [^()]*)\)\s*$"
)
_DID_YOU = re.compile(r"\.?\s+(?:Did you (?:mean|forget)|Or did you)\b.*$")
_LOCALS = re.compile(r"\b[\w.]*<locals>\.")
_PATH = re.compile(r"(?<![\w'`:@/])(?:<root>/|<tmp>/|\.\.\./)?[\w.<>-]+(?:/[\w.<>-]+)+")
_QUOTED = re.compile(
    r"`(\[[\w.-]+\])`|'([A-Za-z_@][\w.:/@-]*)'|`([A-Za-z_@][\w.:/@-]*)`|\"([A-Za-z_@][\w.:/@-]*)\""
)
_CALLED = re.compile(r"(?<![\w.'`])([A-Za-z_][\w.]*)\(\)")  # TypeError: DataFrame.drop() takes ...
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\d+)\}|\{\*\}")  # {*}: any quoted part (pattern only)
# whose object lacks an attribute is where, not what: the product's own class, or the library's (`Series`)
_OBJECT_TYPE = re.compile(r"'(?!NoneType')(?!\{)[^'`\"]+'(?= object has no attribute ')")  # not a placeholder
# JavaScript names what is not callable unquoted (TypeError: mime.lookup is not a function)
_UNQUOTED = re.compile(
    r"(?<![\w$.])([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+) is not a (?:function|constructor)\b"
)
# a dotted name an error mentions unquoted (Error: Function yaml.safeLoad is removed. Use yaml.load instead):
# not an exception's own name (``sqlalchemy.exc.ArgumentError:``), a file name or a version
_DOTTED = re.compile(
    r"(?<![\w$.'`\"/<@-])([A-Za-z_$][\w$]+(?:\.[A-Za-z_$][\w$]+)+)(?:\(\))?(?![\w$'`\"/:.-]|\.\w)"
)
_FILE_SUFFIX = re.compile(
    r"\.(?:py|pyi|[cm]?[jt]sx?|rs|json|toml|ya?ml|txt|md|cfg|ini|lock|html|cs|go|java)$"
)
_TS_FILE = re.compile(r"^[\w.<>/-]+(?=\((?:<n>|\d+),(?:<n>|\d+)\): error TS\d+)")  # tsconfig.json(9,5): ..
_IMPORTED_FROM = re.compile(r"\s+imported from \S+$")  # node: the file that imported, product-specific
_MODULE_ATTR = re.compile(r"module '([\w.]+)' has no attribute '(\w+)'")


def error_text(summary: str) -> str:
    """The error a signature summary names, without what is product-specific.

    Drops pytest's test id (``FAILED tests/test_x.py::test_y - ``), a traceback's ``(file in function)``,
    paths (``(core_lib/__init__.py)``, tsc's ``tsconfig.json(9,5)``, node's ``imported from FILE``),
    ``<locals>`` qualifiers and Python's "Did you mean" hints; two
    products failing with the same error give the same text.
    """
    text = summary.strip()
    text = re.sub(r"^(?:FAILED|ERROR) ", "", text)
    text = _TEST_ID.sub("", text)
    while (stripped := _TRAILING_PAREN.sub("", text)) != text:
        text = stripped
    text = _DID_YOU.sub("", text)
    text = _IMPORTED_FROM.sub("", text)
    text = _LOCALS.sub("", text)
    text = _PATH.sub("<path>", text)
    text = _TS_FILE.sub("<path>", text)
    return " ".join(text.split())


# Error shapes that say the same thing, with named slots for the quoted parts.
FAMILIES: tuple[tuple[str, ...], ...] = (
    (
        r"ImportError: cannot import name '(?P<name>[^']+)' from '(?P<module>[^']+)'(?: .*)?",
        r"AttributeError: module '(?P<module>[^']+)' has no attribute '(?P<name>[^']+)'",
    ),
    (
        r"ModuleNotFoundError: No module named '(?P<module>[^']+)'",
        r"ImportError: No module named '?(?P<module>[^' ]+)'?",
    ),
    (
        r"NameError: name '(?P<name>[^']+)' is not defined",
        r"UnboundLocalError: (?:local variable|cannot access local variable) '(?P<name>[^']+)'.*",
    ),
)
_FAMILIES = tuple(tuple(re.compile(shape) for shape in family) for family in FAMILIES)


# --- the template --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One generalized change. ``op`` is one of:

    * ``replace``: the whole-word token ``old`` becomes ``new`` in every file that has it (a name, a dotted
      module path, or a keyword argument spelled ``name=``); not in a product that defines the name itself;
      with ``anchor`` ``recv:<module>``, only in JavaScript files that bind the receiver of ``old`` to that
      module (``var Mime = require('mime')``);
    * ``family``: a ``replace`` of ``R.pM`` -> ``R.m`` (a leading word dropped: ``yaml.safeLoad`` ->
      ``yaml.load``), and every sibling ``R.pX`` -> ``R.x`` alike (``yaml.safeDump`` -> ``yaml.dump``);
    * ``kwarg``: the keyword argument ``old`` of the calls of ``anchor`` (Python; ``|``-separated) becomes
      ``new``: its name (``old`` ending in ``=``) or, value and all, the argument ``new``;
    * ``table``: the TOML table ``[old]`` (and its subtables) is ``[new]`` in files named ``anchor``;
    * ``line``: a line whose stripped text is ``old`` becomes ``new`` (indentation kept; ``new`` empty:
      the line is removed), in every file that has it;
    * ``add``: the line ``new`` is added to the hinted file(s), at ``anchor``: ``imports`` (after the
      module's imports) or ``after:<stripped line>``;
    * ``move``: imports from module ``old`` come from module ``new``, in the files of the language ``anchor``
      names (``py:Mapping``): of that name only, or of every name (``rust:``);
    * ``call``: calls of ``old`` get their arguments reshaped as ``new`` says (``codeshapes.call_changes``);
    * ``pin``: the dependency ``old`` of manifests of kind ``anchor`` becomes the entry ``new``;
    * ``bound``: the Python dependency ``old`` gets the upper bound of ``new`` (``numpy<2.0``) beside what
      each entry asks, or the entry ``new`` where no manifest asks for it;
    * ``attr``: Python's ``<the file's alias of module>.attr`` (``old``: ``module.attr``) becomes ``new``
      (``np.float`` -> ``float``);
    * ``unmethod``: Python's ``R.old()`` becomes ``new(R)`` (``elem.getchildren()`` -> ``list(elem)``);
    * ``resattr``: where a variable is assigned a call of ``anchor``, its attribute ``old`` is ``new``
      (``spec = getfullargspec(f)``: ``spec.keywords`` -> ``spec.varkw``);
    * ``async``: functions decorated with ``old`` (``asyncio.coroutine``) become native coroutines;
    * ``default``: JavaScript's whole binding of module ``old`` is the named export ``anchor``'s name
      (``js:v4``) of module ``new`` (``require('uuid/v4')`` -> ``{ v4 } = require('uuid')``);
    * ``guard``: Python's ``from old import <anchor's name>`` is tried first, ``from new import ...`` is its
      fallback (``try: ... except ImportError: ...``);
    * ``key``: the entry of key ``old`` in configuration files of kind ``anchor`` (``json:tsconfig.json``:
      the kind and the name of the file the fix changed) becomes the entry ``new`` (empty: it goes; ending
      in ``<value>``: the key renamed, the value kept), in the files of that name that have it, else in the
      one file of the kind that has it.

    Texts may use placeholders ``{0}``, ``{1}``, ... (literal braces are doubled).
    """

    op: str
    old: str = ""
    new: str = ""
    anchor: str = ""

    def to_json(self) -> dict:
        """JSON-ready, keys with empty values left out."""
        return {
            k: v
            for k, v in (("op", self.op), ("old", self.old), ("new", self.new), ("anchor", self.anchor))
            if v
        }

    def describe(self, values: Mapping[str, str] = {}) -> str:
        """One line for humans, with the known placeholder values filled in."""
        old, new = fill(self.old, values, keep=True), fill(self.new, values, keep=True)
        anchor = fill(self.anchor, values, keep=True)
        if self.op == "move":
            name = anchor.partition(":")[2]
            return f"import {name} from {new} (not {old})" if name else f"import from {new} (not {old})"
        if self.op == "call":
            return f"reshape calls of {old}: {new.replace(';', ', ')}"
        if self.op == "pin":
            if anchor.endswith("+"):
                return f"pin {old} in {anchor[:-1]} (added where absent): `{new}`"
            return f"pin {old} in {anchor}: `{new}`"
        if self.op == "bound":
            return f"cap {old} as `{new}` in Python manifests (added where absent)"
        if self.op == "replace":
            return f"rename {old} -> {new}"
        if self.op == "kwarg":
            what = f"the keyword {old} -> {new}" if old.endswith("=") else f"`{old}` -> `{new}`"
            verb = "rename" if old.endswith("=") else "replace"
            return f"{verb} {what} in calls of {anchor.replace('|', ', ')}"
        if self.op == "table":
            return f"rename the table [{old}] -> [{new}] (and its subtables) in {anchor}"
        if self.op == "family":
            return f"rename {old} -> {new}, and its siblings of the same prefix alike"
        if self.op == "attr":
            return f"use {new} for {old}"
        if self.op == "unmethod":
            return f"call {new}(x) for x.{old}()"
        if self.op == "resattr":
            return f"read .{new} for .{old} of what {anchor}() returns"
        if self.op == "async":
            return f"make @{old} functions native coroutines (async def, await)"
        if self.op == "guard":
            name = anchor.partition(":")[2]
            return f"import {name} from {old}, else from {new} (try/except ImportError)"
        if self.op == "default":
            return f"import {{ {anchor.partition(':')[2]} }} from {new} (not the whole of {old})"
        if self.op == "key":
            kind = anchor.partition(":")[0]
            if new.endswith("<value>"):
                return f"rename the {kind} key {old} -> {new.removesuffix('<value>').rstrip(' :=')}"
            return f"set `{new}` for the {kind} key {old}" if new else f"remove the {kind} key {old}"
        if self.op == "line":
            return f"change `{old}` -> `{new}`" if new else f"remove `{old}`"
        where = "after the imports" if self.anchor == "imports" else f"after `{self.anchor[6:]}`"
        return f"add `{new}` {where}"


@dataclass(frozen=True)
class FixTemplate:
    """A fix learned from one red -> green commit, reusable on another product with the same error."""

    id: str  # content hash (12 hex) of pattern, edits and fixed values
    pattern: str  # error_text with placeholders for the quoted identifiers the edits use
    kind: str  # the SignatureKind value of the failure it was learned from
    edits: tuple[Edit, ...]
    fixed: tuple[tuple[str, str], ...] = field(default=())  # placeholder -> the only value it fits
    tests: bool = False  # the fix it came from edited a test file: it may edit tests too

    def to_json(self) -> dict:
        """JSON-ready, for the store."""
        return {
            "id": self.id,
            "pattern": self.pattern,
            "kind": self.kind,
            "edits": [e.to_json() for e in self.edits],
            "fixed": dict(self.fixed),
            **({"tests": True} if self.tests else {}),
        }

    @classmethod
    def from_json(cls, data: dict) -> FixTemplate:
        """The template ``to_json`` wrote."""
        return cls(
            id=data["id"],
            pattern=data["pattern"],
            kind=data["kind"],
            edits=tuple(Edit(**e) for e in data["edits"]),
            fixed=tuple(sorted(data.get("fixed", {}).items())),
            tests=bool(data.get("tests", False)),
        )

    def describe(self) -> str:
        """One line for humans: ``rename compute_total -> calculate_total``."""
        values = dict(self.fixed)
        return "; ".join(e.describe(values) for e in self.edits)


def make_template(
    pattern: str, kind: str, edits: Iterable[Edit], fixed: Mapping[str, str] = {}, tests: bool = False
) -> FixTemplate:
    """A template with its content id (the same fix learned twice has the same id)."""
    edits = tuple(edits)
    pinned = tuple(sorted(fixed.items()))
    content: list = [pattern, [e.to_json() for e in edits], pinned] + (["tests"] if tests else [])
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]
    return FixTemplate(digest, pattern, kind, edits, pinned, tests)


@dataclass(frozen=True)
class NotLearned:
    """Why a fix taught no template (``learn_template``); false in a boolean test, like None was."""

    reason: str

    def __bool__(self) -> bool:
        return False


def escape(text: str) -> str:
    """Text with its literal braces doubled, so that it can hold placeholders."""
    return text.replace("{", "{{").replace("}", "}}")


def fill(text: str, values: Mapping[str, str], *, keep: bool = False) -> str:
    """Placeholders replaced by their values; an unknown one raises KeyError (or stays, with ``keep``)."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "{*}":
            return m.group(0)
        if m.group(1) is None:
            return m.group(0)[0]
        if keep and m.group(1) not in values:
            return m.group(0)
        return values[m.group(1)]

    return _PLACEHOLDER.sub(one, text)


def placeholders(text: str) -> set[str]:
    """The placeholder numbers a text uses."""
    return {m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1) is not None}


# --- reading a fix diff --------------------------------------------------------------------------------

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_NOT_SOURCE_SUFFIXES = {".md", ".rst", ".txt", ".adoc", ".lock", ".html", ".svg", ".png", ".jpg"}
_NOT_SOURCE_NAMES = re.compile(
    r"^(?:CHANGELOG|CHANGES|NEWS|HISTORY|README|AUTHORS|LICENSE"
    r"|package-lock\.json$|npm-shrinkwrap\.json$|pnpm-lock\.yaml$|yarn\.lock$)",
    re.IGNORECASE,
)


@dataclass
class _Block:
    """One run of removed and added lines of a source file, and the last non-blank new-side line before it."""

    path: str
    before: str
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    hunk: int = 0  # the diff's hunk it is in (blocks of one hunk are changes a person made side by side)


def is_source(path: str) -> bool:
    """Whether a changed file can hold a fix (not docs, a changelog, a lock file or an image)."""
    p = PurePosixPath(path)
    if manifest_kind(path):
        return True  # requirements*.txt, pyproject.toml, package.json, Cargo.toml
    if p.suffix.lower() in _NOT_SOURCE_SUFFIXES or _NOT_SOURCE_NAMES.match(p.name):
        return False
    return not (p.parts and p.parts[0] in ("docs", "doc"))


def _diff_path(line: str) -> str | None:
    name = line[4:].split("\t")[0].strip()
    if name == "/dev/null":
        return None
    return name[2:] if name[:2] in ("a/", "b/") else name


def parse_diff(diff: str) -> list[_Block]:
    """The change blocks of a unified diff, in order (hunk counts decide what is a body line)."""
    blocks: list[_Block] = []
    path: str | None = None
    old_left = new_left = 0
    block: _Block | None = None
    before = ""
    hunk = 0
    for line in diff.split("\n"):
        if old_left > 0 or new_left > 0:
            tag, body = line[:1], line[1:]
            if tag == "\\":  # "\ No newline at end of file"
                continue
            if tag in (" ", ""):  # context (an empty context line may have lost its space)
                old_left, new_left = old_left - 1, new_left - 1
                if body.strip():  # a blank context line keeps the block: a line moved past a blank one
                    block, before = None, body
                continue
            if tag not in ("-", "+"):
                old_left = new_left = 0
                continue
            if block is None and path is not None:
                block = _Block(path, before, hunk=hunk)
                blocks.append(block)
            if block is not None:
                (block.removed if tag == "-" else block.added).append(body)
            if tag == "-":
                old_left -= 1
            else:
                new_left, before = new_left - 1, body if body.strip() else before
            continue
        if line.startswith("--- "):
            path = _diff_path(line)
        elif line.startswith("+++ "):
            path = _diff_path(line) or path
        elif m := _HUNK.match(line):
            old_left, new_left = int(m.group(1) or 1), int(m.group(2) or 1)
            block, before, hunk = None, "", hunk + 1
    return [b for b in blocks if is_source(b.path)]


# --- learning ------------------------------------------------------------------------------------------

_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")
_NAME = re.compile(r"[A-Za-z_][\w.]*")
_IMPORT = re.compile(
    r"^(?:import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*|from\s+[\w.]+\s+import\s+.+)$"
)


def _word(token: str) -> re.Pattern[str]:
    """A whole-word pattern for a name, a dotted path or a keyword argument ``name=``."""
    if token.endswith("="):
        return re.compile(rf"(?<![\w.]){re.escape(token)}(?!=)")
    return re.compile(rf"(?<!\w){re.escape(token)}(?!\w)")


def _count(token: str, text: str) -> int:
    return len(_word(token).findall(text))


def _span(line: str, start: int, end: int) -> tuple[int, int]:
    """A span widened to the dotted name around it."""
    while start > 0 and (line[start - 1].isalnum() or line[start - 1] in "_."):
        start -= 1
    while end < len(line) and (line[end].isalnum() or line[end] in "_."):
        end += 1
    return start, end


def _member_of(old: str, new: str, quoted: Sequence[str]) -> bool:
    """Whether ``old`` is an attribute of a quoted module (``pkg_resources.parse_version``) that the fix maps
    to another dotted name (``version.parse``): a mapping of that member, not a rename of the module."""
    return (
        "." in new
        and not old.endswith(".")
        and not new.endswith(".")
        and any(old.startswith(q + ".") and not new.startswith(q + ".") for q in quoted)
    )


def _substitutions(old: str, new: str, quoted: Sequence[str]) -> list[tuple[str, str]] | None:
    """The token substitutions that turn one line into the other, or None when it is not only that."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    a_at = [sum(len(t) for t in a[:i]) for i in range(len(a) + 1)]
    b_at = [sum(len(t) for t in b[:i]) for i in range(len(b) + 1)]
    subs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        o, n = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag != "replace" or not _NAME.fullmatch(o) or not _NAME.fullmatch(n):
            return None
        (os_, oe), (ns, ne) = _span(old, a_at[i1], a_at[i2]), _span(new, b_at[j1], b_at[j2])
        if old[os_:oe] in quoted or _member_of(old[os_:oe], new[ns:ne], quoted):
            o, n = old[os_:oe], new[ns:ne]  # a quoted module's member: mapped as a whole (``m.f`` -> ``n.g``)
            oe, ne = os_ + len(o), ns + len(n)
        else:
            oe, ne = a_at[i2], b_at[j2]
        if (
            old[oe : oe + 1] == "=" != old[oe + 1 : oe + 2]
            and new[ne : ne + 1] == "=" != new[ne + 1 : ne + 2]
        ):
            o, n = o + "=", n + "="
        if (o, n) not in subs:
            subs.append((o, n))
    result = old
    for o, n in subs:
        result = _word(o).sub(lambda _m, n=n: n, result)
    return subs if result == new else None


def _pairs(removed: list[str], added: list[str]) -> Iterable[tuple[str | None, str | None, int]]:
    """Removed and added lines paired by likeness: (old, new, index of new in added); None when unpaired."""
    matcher = difflib.SequenceMatcher(None, [r.strip() for r in removed], [a.strip() for a in added])
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        if len(olds) == len(news) and all(
            difflib.SequenceMatcher(None, removed[i], added[j]).ratio() >= 0.5
            for i, j in zip(olds, news, strict=True)
        ):  # as many lines replaced as added, each like its counterpart: in order (a diff's own pairing)
            yield from ((removed[i], added[j], j) for i, j in zip(olds, news, strict=True))
            continue
        while olds and news:
            i = olds.pop(0)
            ratios = [difflib.SequenceMatcher(None, removed[i], added[j]).ratio() for j in news]
            best = max(range(len(news)), key=ratios.__getitem__)
            if ratios[best] < 0.5:
                yield removed[i], None, -1
                continue
            yield removed[i], added[news[best]], news[best]
            del news[best]
        yield from ((removed[i], None, -1) for i in olds)
        yield from ((None, added[j], j) for j in news)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _shaped(
    old: str, new: str, path: str, funcs: Sequence[str], attrs: Sequence[tuple[str, str]]
) -> Edit | None:
    """A Python line change of a shape of its own: a module attribute through its alias (``attr``), a
    method call turned a function call (``unmethod``)."""
    if language(path) != "py":
        return None
    for module, attr in attrs:
        if (value := attr_change(old, new, module, attr)) is not None:
            return Edit("attr", f"{module}.{attr}", value)
    for func in funcs:
        if (name := method_to_function(old, new, func)) is not None:
            return Edit("unmethod", func, name)
    return None


def _config_pairs(block: _Block) -> list[tuple[str | None, str | None, int]]:
    """A configuration block's removed and added lines paired entry by entry: the same key (its value
    changed), or the same value (its key renamed), or the block's only removed and added lines; the rest
    unpaired."""
    kind = config_kind(block.path) or ""
    olds = [config_entry(x, kind) for x in block.removed]
    news = [config_entry(x, kind) for x in block.added]
    out: list[tuple[str | None, str | None, int]] = []
    free = list(range(len(block.added)))
    for i, o in enumerate(olds):
        j = next((j for j in free if o and news[j] and news[j][0] == o[0]), None)
        if j is None:
            j = next((j for j in free if o and news[j] and news[j][1].rstrip(",") == o[1].rstrip(",")), None)
        if j is None and len(block.removed) == len(block.added) == 1:
            j = 0
        if j is None:
            out.append((block.removed[i], None, -1))
            continue
        free.remove(j)
        out.append((block.removed[i], block.added[j], j))
    return out + [(None, block.added[j], j) for j in free]


_TABLE = re.compile(r"\[\[?\s*([\w.-]+)\s*\]\]?")


def _table_edit(old: str | None, new: str | None, path: str) -> Edit | None:
    """A TOML table renamed (``[project]`` -> ``[package]`` in Cargo.toml): a ``table`` edit, in files of
    that name; None for anything else."""
    if old is None or new is None or config_kind(path) != "toml":
        return None
    a, b = _TABLE.fullmatch(old.strip()), _TABLE.fullmatch(new.strip())
    if a is None or b is None or a.group(1) == b.group(1):
        return None
    return Edit("table", a.group(1), b.group(1), PurePosixPath(path).name)


def _key_edit(old: str | None, new: str | None, path: str, quoted: Sequence[str]) -> Edit | None:
    """A configuration entry of a quoted key changed or removed (``key``); None for anything else."""
    kind = config_kind(path)
    entry = config_entry(old, kind) if kind and old is not None else None
    if entry is None or entry[0] not in quoted:
        return None
    value = (new or "").strip()
    value = value.removesuffix(",") if kind == "json" else value
    renamed = config_entry(value, kind) if value else None
    if renamed is not None and renamed[1] == entry[1] and value.endswith(entry[1]):
        value = value[: -len(entry[1])] + "<value>"  # the key renamed, each product's value kept
    if entry[1].rstrip(",").endswith(("{", "[")):
        return None  # a nested value spans lines: not one entry to change
    return Edit("key", entry[0], value, f"{kind}:{PurePosixPath(path).name}")


def _flat(lines: Sequence[str]) -> str:
    """Code lines as one line of tokens, layout dropped: whitespace between tokens is one space, and a
    trailing comma before a closing bracket or at the end (a formatter's "magic" comma) goes."""
    tokens = [t for t in _TOKENS.findall(" ".join(x.strip() for x in lines)) if not t.isspace()]
    last = len(tokens) - 1
    kept = [t for i, t in enumerate(tokens) if not (t == "," and (i == last or tokens[i + 1] in ")]}"))]
    flat = re.sub(r"(?<=\w) \. (?=\w)", ".", " ".join(kept))  # a dotted name stays one word
    return re.sub(r"(?<=\w) = (?!=)", "=", flat)  # and a keyword argument its ``name=``


def _reflowed(block: _Block, quoted: Sequence[str]) -> tuple[list[Edit], str] | None:
    """A change of names inside lines a formatter also reflowed (one call split over several lines, or
    joined): the token substitutions between the block's removed and added code with the layout dropped
    (``Field(..., regex="x")`` -> ``Field(\n ...,\n pattern="x",\n)``: ``regex=`` -> ``pattern=``), when
    they touch a quoted name; None otherwise (and for blocks the line pairing reads as they are)."""
    if len(block.removed) == len(block.added) or not block.removed or not block.added:
        return None
    if language(block.path) not in ("py", "js", "ts") or manifest_kind(block.path) or config_kind(block.path):
        return None
    old, new = _flat(block.removed), _flat(block.added)
    subs = _substitutions(old, new, quoted) if old != new else None
    if not subs or not any(_count(q, o) for o, _ in subs for q in quoted):
        return None
    return [Edit("replace", o, n) for o, n in subs], block.removed[0].strip()


def _scoped(edits: list[Edit], block: _Block, context: str, called: Sequence[str]) -> list[Edit]:
    """Python keyword renames (``regex=`` -> ``pattern=``) scoped to the calls of the function the fix
    changed them in (``kwarg``, ``Field``): the call around the keyword in the changed code (``context``:
    the line before the change and the removed lines), else the one function the error says was called;
    left a plain rename when neither says."""
    if language(block.path) != "py":
        return edits
    out = []
    for e in edits:
        if not (e.old.endswith("=") and e.new.endswith("=")):
            out.append(e)
            continue
        at = [m.start() for m in _word(e.old).finditer(context)]
        funcs = {enclosing_call(context, a) for a in at} - {None}
        if not funcs and len(called) == 1:
            funcs = set(called)
        out.append(Edit("kwarg", e.old, e.new, "|".join(sorted(funcs))) if funcs else e)
    return out


def _merge_kwargs(edits: Sequence[Edit], called: Sequence[str]) -> list[Edit] | NotLearned:
    """The ``kwarg`` edits of one keyword change made one, over the calls of every site; when the error
    names a called function and none of these calls is it (a base class's ``__init__`` named, a subclass
    called), a renamed keyword is a plain rename and a replaced argument is not learned."""
    out: list[Edit] = []
    for e in edits:
        if e.op != "kwarg":
            out.append(e)
            continue
        if any(o.op == "kwarg" and (o.old, o.new) == (e.old, e.new) for o in out):
            continue
        funcs = {
            f
            for o in edits
            if o.op == "kwarg" and (o.old, o.new) == (e.old, e.new)
            for f in o.anchor.split("|")
        }
        if called and not funcs & set(called):
            if not e.old.endswith("="):
                return NotLearned(
                    f"`{e.old}` is changed in calls of {', '.join(sorted(funcs))}, not the error's"
                )
            out.append(Edit("replace", e.old, e.new))
            continue
        out.append(Edit("kwarg", e.old, e.new, "|".join(sorted(funcs))))
    return _unique(out)


_KWARG = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*=(?!=)")


def _argument_end(line: str, start: int) -> int:
    """Where the argument starting at ``start`` ends: the next top-level ``,`` or ``)``, or the line's end."""
    depth, quote, i = 0, "", start
    while i < len(line):
        c = line[i]
        if quote:
            i += 2 if c == "\\" else 1
            quote = "" if c == quote else quote
            continue
        if c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return i
            depth -= 1
        elif c == "," and depth == 0:
            return i
        i += 1
    return len(line.rstrip())


def _kwarg_change(
    block: _Block, old: str, new: str, quoted: Sequence[str], called: Sequence[str]
) -> Edit | None:
    """A Python line that only replaces one keyword argument of a quoted keyword, value and all, with another
    (``delim_whitespace=True`` -> ``sep=r"\\s+"``): a ``kwarg`` edit of the calls the fix changed it in (the
    call around it in the changed code, or the function the error says was called); None otherwise."""
    if language(block.path) != "py":
        return None
    for m in _KWARG.finditer(old):
        if m.group(1) not in quoted:
            continue
        end = _argument_end(old, m.end())
        head, tail = old[: m.start()], old[end:]
        if not (new.startswith(head) and new.endswith(tail)) or len(new) < len(head) + len(tail):
            continue
        was, now = old[m.start() : end].strip(), new[len(head) : len(new) - len(tail)].strip()
        if not (k := _KWARG.match(now)) or _argument_end(now, 0) != len(now) or was == now:
            continue
        if was[m.end() - m.start() :].strip() == now[k.end() :].strip():
            return None  # the value kept: a keyword renamed (a ``replace``, scoped by ``_scoped``)
        context = "\n".join([block.before, *block.removed[: block.removed.index(old) + 1]])
        at = len(context) - len(old) + m.start()
        funcs = {f for f in [enclosing_call(context, at)] if f} or set(called[:1] if len(called) == 1 else [])
        return (
            Edit("kwarg", " ".join(was.split()), " ".join(now.split()), "|".join(sorted(funcs)))
            if funcs
            else None
        )
    return None


def _block_edits(
    block: _Block,
    quoted: Sequence[str],
    funcs: Sequence[str],
    attrs: Sequence[tuple[str, str]] = (),
    called: Sequence[str] = (),
) -> list[tuple[list[Edit], str]] | NotLearned:
    """The edits of one change block, grouped per changed line (with the line, for humans); NotLearned when
    a line is added where no anchor can find it again."""
    groups: list[tuple[list[Edit], str]] = []
    kind = manifest_kind(block.path)
    if (reflowed := _reflowed(block, quoted)) is not None:
        context = "\n".join([block.before, *block.removed])
        return [(_scoped(reflowed[0], block, context, called), reflowed[1])]
    one = len(block.removed) == len(block.added) == 1  # a table header alone: paired however unlike
    if one and (table := _table_edit(block.removed[0], block.added[0], block.path)) is not None:
        return [([table], block.removed[0].strip())]
    if one and (kw := _kwarg_change(block, block.removed[0], block.added[0], quoted, called)) is not None:
        return [([kw], block.removed[0].strip())]  # an argument replaced, however unlike the lines
    pairs = _pairs(block.removed, block.added)
    if config_kind(block.path) and not kind:
        pairs = _config_pairs(block)
    for old, new, j in pairs:
        edits: list[Edit] = []
        groups.append((edits, (old if old is not None else new or "").strip()))
        if (table := _table_edit(old, new, block.path)) is not None:
            edits.append(table)
            continue
        if not kind and (key := _key_edit(old, new, block.path, quoted)) is not None:
            edits.append(key)
            continue
        package = requirement(new, kind) if kind and new is not None else None
        if package and (cap := _cap(old, new, kind, package)) is not None:
            edits.append(cap)
            continue
        if package and (old is None or requirement(old, kind) == package):
            # a pin the fix adds (no entry before) is added where absent: requirements files only
            added = "+" if old is None and kind == "requirements" else ""
            edits.append(Edit("pin", package, new.strip().rstrip(","), kind + added))
            continue
        if old is not None and new is not None:
            subs = _substitutions(old, new, quoted)
            call = call_changes(old, new, list(funcs)) if language(block.path) == "py" else None
            recount = any(_count(q, old) != _count(q, new) for q in quoted)
            if call is not None and (subs is None or not recount):
                edits.append(Edit("call", call[0], call[1]))
            elif (subs is None or attrs) and (shaped := _shaped(old, new, block.path, funcs, attrs)):
                edits.append(shaped)  # a module's attribute: through its alias only, never a bare word
            elif subs is None:
                edits.append(Edit("line", old.strip(), new.strip()))
            else:
                context = "\n".join([block.before, *block.removed[: block.removed.index(old) + 1]])
                edits += _scoped([Edit("replace", o, n) for o, n in subs], block, context, called)
        elif old is not None:
            edits.append(Edit("line", old.strip(), ""))
        elif new is not None and new.strip():
            before = next((a for a in reversed(block.added[:j]) if a.strip()), block.before)
            if _indent(new) == 0 and _is_import(new.strip(), block.path):
                edits.append(Edit("add", new=new.strip(), anchor="imports"))
            elif before.strip():
                relative = " " * max(0, _indent(new) - _indent(before))
                edits.append(Edit("add", new=relative + new.strip(), anchor="after:" + before.strip()))
            elif any(_count(q, new) for q in quoted):
                return NotLearned(f"an added line has nothing before it to anchor it: `{new.strip()}`")
    return groups


def _cap(old: str | None, new: str, kind: str, package: str) -> Edit | None:
    """A Python dependency the fix only capped (``numpy`` / ``numpy>=1.0`` -> ``...<2.0``, or ``bcrypt<5``
    added): a ``bound`` edit of that upper bound, which keeps what each product asks besides; None for any
    other change of the entry (an exact pin, a new lower bound: a ``pin``)."""
    if kind not in ("requirements", "pyproject"):
        return None
    was = python_dependency(old, kind) if old is not None else None
    now = python_dependency(new, kind)
    if now is None or (old is not None and (was is None or requirement(old, kind) != package)):
        return None
    before, after = spec_clauses(was[1] if was else ""), spec_clauses(now[1])
    if before is None or after is None or not set(before) <= set(after):
        return None
    extra = [c for c in after if c not in before]
    if not is_upper_bound(extra):
        return None
    name = re.match(r"[A-Za-z0-9][\w.-]*", now[0])
    return Edit("bound", package, (name.group(0) if name else package) + ",".join(extra), "python")


def _is_import(line: str, path: str) -> bool:
    lang = language(path)
    if lang == "rust" and _RUST_USE.match(line):
        return True  # nested paths too (``use base64::{engine::general_purpose, Engine as _};``)
    return bool(_IMPORT.match(line)) if lang in ("py", None) else parse_import(line, lang) is not None


_RUST_USE = re.compile(r"^(?:pub(?:\([\w:\s]+\))?\s+)?use\s+[\w:{}, *]+;$")


def _moves(blocks: list[_Block], quoted: Sequence[str]) -> list[tuple[Edit, str]]:
    """Imports a fix moved to another module path (per file, across its blocks): ``move`` edits of the
    quoted names moved, or of the whole module when it is what the error quotes; the import lines they
    explain are taken out of the blocks. A Python module renamed in place (``from a.b import x`` ->
    ``from a.c import x``) stays a token substitution, which renames its dotted uses in code too."""
    found: list[tuple[Edit, str]] = []
    for path in _unique(b.path for b in blocks):
        lang = language(path)
        if lang is None:
            continue
        mine = [b for b in blocks if b.path == path]
        if lang == "py":
            found += [(e, path) for e in _guards(mine)]
        gone = [(b, i, imp) for b in mine for i, x in enumerate(b.removed) if (imp := parse_import(x, lang))]
        came = [(b, i, imp) for b in mine for i, x in enumerate(b.added) if (imp := parse_import(x, lang))]
        used: set[tuple[int, str, int]] = set()
        for b, i, old in gone:
            others = [(c, k, new) for c, k, new in came if new.module != old.module]
            moved: dict[str, str] = {}
            for name, _ in old.names:
                targets = {new.module for _, _, new in others if name in new.bound}
                if len(targets) == 1:
                    moved[name] = targets.pop()
            whole = [a for n, a in old.names if n in ("default", "*")] if lang == "js" else []
            if len(old.names) == 1 and whole:
                named = [(c, k, new) for c, k, new in others if [a for _, a in new.names] == whole]
                named = named or [  # the same package, its default export gone: ``{ program } = require(..)``
                    (c, k, new)
                    for c, k, new in came
                    if new.module == old.module and [a or n for n, a in new.names] == whole
                ]
                if len(named) == 1 and (sub := named[0][2].names[0][0]) not in ("default", "*"):
                    found.append((Edit("default", old.module, named[0][2].module, f"js:{sub}"), path))
                    used |= {(id(b), "-", i), (id(named[0][0]), "+", named[0][1])}
                    continue
            if not old.names:
                bare = [(c, k, new) for c, k, new in others if not new.names]
                if len(bare) == 1 and len([g for g in gone if not g[2].names]) == 1:
                    found.append((Edit("move", old.module, bare[0][2].module, f"{lang}:"), path))
                    used |= {(id(b), "-", i), (id(bare[0][0]), "+", bare[0][1])}
                continue
            if not moved:
                continue
            whole = set(moved) == old.bound and len(set(moved.values())) == 1 and not set(moved) & set(quoted)
            if whole and lang == "py" and _substitutions(old.module, moved[next(iter(moved))], quoted):
                continue  # a module renamed in place: the token substitution says it better
            if whole:
                found.append((Edit("move", old.module, next(iter(moved.values())), f"{lang}:"), path))
            else:
                found += [(Edit("move", old.module, m, f"{lang}:{n}"), path) for n, m in moved.items()]
            used.add((id(b), "-", i))
            for c, k, new in came:
                if (new.module in moved.values() and new.bound <= set(moved)) or (
                    new.module == old.module and new.bound <= old.bound
                ):
                    used.add((id(c), "+", k))
        for b in mine:
            b.removed = [x for i, x in enumerate(b.removed) if (id(b), "-", i) not in used]
            b.added = [x for i, x in enumerate(b.added) if (id(b), "+", i) not in used]
    return found


def _guards(blocks: list[_Block]) -> list[Edit]:
    """Python imports a fix kept as the first try of a ``try: ... except ImportError:`` whose fallback
    imports the same names from another module: a ``guard`` edit per name; the lines taken out."""
    found: list[Edit] = []
    for b in blocks:
        for line in list(b.removed):
            old = parse_import(line, "py")
            if old is None or not old.names or line not in b.removed:
                continue
            pad = line[: _indent(line)]
            head = [pad + "try:", pad + "    " + line.strip()]
            at = next((k for k in range(len(b.added) - 3) if b.added[k : k + 2] == head), None)
            if at is None or not re.fullmatch(
                r"except\s*\(?\s*(?:ModuleNotFound|Import)Error\b.*:", b.added[at + 2].strip()
            ):
                continue
            new = parse_import(b.added[at + 3], "py")
            if new is None or new.module == old.module or new.names != old.names:
                continue
            found += [Edit("guard", old.module, new.module, f"py:{n}") for n, _ in old.names]
            b.removed.remove(line)
            del b.added[at : at + 4]
    return found


_DECORATOR = re.compile(r"@([A-Za-z_][\w.]*)")
_DEF = re.compile(r"(\s*)def\s")


def _coroutines(blocks: list[_Block], attrs: Sequence[tuple[str, str]]) -> list[tuple[Edit, str]]:
    """Generator-based coroutines a fix made native, when the error says their decorator is gone (module
    'asyncio' has no attribute 'coroutine'): an ``async`` edit per decorator; the lines it explains (the
    decorator, ``def`` -> ``async def``, ``yield from`` -> ``await``) are taken out of the blocks."""
    found: list[tuple[Edit, str]] = []
    names = {attr: module for module, attr in attrs}
    for path in _unique(b.path for b in blocks if language(b.path) == "py"):
        mine = [b for b in blocks if b.path == path]
        made = False
        for b in mine:
            i = 0
            while i < len(b.removed) - 1:
                m = _DECORATOR.fullmatch(b.removed[i].strip())
                attr = m.group(1).rpartition(".")[2] if m else ""
                native = re.sub(r"^(\s*)def\b", r"\1async def", b.removed[i + 1])
                if attr not in names or not _DEF.match(b.removed[i + 1]) or native not in b.added:
                    i += 1
                    continue
                b.added.remove(native)
                del b.removed[i : i + 2]
                found.append((Edit("async", f"{names[attr]}.{attr}"), path))
                made = True
        if not made:
            continue
        for b in mine:  # yield from -> await, in the same file
            awaits = {r: re.sub(r"\byield\s+from\s+", "await ", r) for r in b.removed}
            for r in [r for r, a in awaits.items() if a != r and a in b.added]:
                b.removed.remove(r)
                b.added.remove(awaits[r])
    return _unique(found)


def _result_attrs(
    group: Sequence[Edit], line: str, kept: Sequence[tuple[str, Sequence[Edit]]]
) -> list[Edit] | None:
    """When a changed line only renames attributes of a variable that a kept line of the same hunk assigns
    from a call the fix renamed (``spec = getargspec(f)`` -> ``getfullargspec``; ``spec.keywords`` ->
    ``spec.varkw``): ``resattr`` edits; None otherwise."""
    if not group or any(e.op != "replace" or "." in e.old or "." in e.new for e in group):
        return None
    calls: dict[str, str] = {}
    for text, edits in kept:
        m = re.match(r"([A-Za-z_]\w*)\s*=\s*(?:[\w.]+\.)?(\w+)\(", text)
        if m:
            renamed = {e.old: e.new for e in edits if e.op == "replace"}
            renamed |= {e.old.rpartition(".")[2]: e.new.rpartition(".")[2] for e in edits if e.op == "attr"}
            calls[m.group(1)] = renamed.get(m.group(2), m.group(2))
    out = []
    for e in group:
        owners = {v.group(1) for v in re.finditer(rf"(?<![\w.])(\w+)\.{re.escape(e.old)}(?!\w)", line)}
        if not owners or _count(e.old, line) != len(re.findall(rf"\.{re.escape(e.old)}(?!\w)", line)):
            return None
        funcs = {calls.get(v) for v in owners}
        if None in funcs or len(funcs) != 1:
            return None
        out.append(Edit("resattr", e.old, e.new, funcs.pop() or ""))
    return out


def _uniform(blocks: list[_Block]) -> Edit | None:
    """The one line change a fix makes everywhere (``#[no_mangle]`` -> ``#[unsafe(no_mangle)]`` at each
    site), when it changes nothing else: what an error that quotes no name can still teach."""
    pairs, sites = set(), 0
    for b in blocks:
        if len(b.removed) != len(b.added) or manifest_kind(b.path) or config_kind(b.path):
            return None  # a pin or a setting is not "the same line everywhere"
        pairs |= {(o.strip(), n.strip()) for o, n in zip(b.removed, b.added, strict=True)}
        sites += len(b.removed)
    if len(pairs) != 1 or sites < 2:
        return None  # one site is one change, not a rule the fix applied everywhere
    old, new = pairs.pop()
    return Edit("line", old, new) if old and new and old != new else None


_COMPILERS = {"cargo_error", "compiler_error", "npm_error"}  # kinds whose error text names a rule, not a test
_TRAILER = re.compile(
    r"could not compile|previous error|npm ERR!|ERESOLVE|exit (?:code|status)|failed with", re.I
)
_NOT_NAMES = set(keyword.kwlist) | {"self", "cls", "this", "const", "let", "var", "function", "true", "false"}
_NOT_NAMES |= {"null", "undefined", "new", "fn", "pub", "mut", "use", "impl", "str", "int", "len", "list"}


_FROM_IMPORT = re.compile(r"\s*from\s+([\w.]+)\s+import\s+\(?([^()#]+)")


def _siblings(blocks: Sequence[_Block], quoted: Sequence[str]) -> list[str]:
    """The other names a fix stops importing from a module the error quotes (``from werkzeug.urls import
    url_quote_plus, url_unquote_plus``, the error quoting ``werkzeug.urls``): they go with it (a removed
    module takes all its names), so their changes are part of the fix."""
    out: list[str] = []
    for block in blocks:
        if language(block.path) != "py":
            continue
        kept = {  # names the fix still imports from the module: not removed with it
            (m.group(1), part.split(" as ")[0].strip())
            for line in block.added
            if (m := _FROM_IMPORT.match(line))
            for part in m.group(2).split(",")
        }
        for line in block.removed:
            m = _FROM_IMPORT.match(line)
            if m is None or m.group(1) not in quoted:
                continue
            for part in m.group(2).split(","):
                name = part.split(" as ")[0].strip()
                if (m.group(1), name) in kept:
                    continue
                if name and name not in quoted and name not in out and _NAME.fullmatch(name):
                    out.append(name)
    return out


def _needed_imports(
    found: Sequence[tuple[Edit, str]], kept: Sequence[tuple[Edit, str]]
) -> list[tuple[Edit, str]]:
    """The imports a fix adds that what it keeps uses (``import hmac`` for ``safe_str_cmp`` ->
    ``hmac.compare_digest``, ``from sqlalchemy import text`` for ``text("...")``): part of the fix, though
    they mention nothing the error quotes. Only when something is kept, in the kept edits' files."""
    out: list[tuple[Edit, str]] = []
    for edit, path in found:
        if edit.op != "add" or edit.anchor != "imports" or (edit, path) in kept:
            continue
        used = [k.new for k, p in kept if p == path and k.new]
        if any(
            re.search(rf"(?<![\w.]){re.escape(b)}\b", text) for b in _bound_names(edit.new) for text in used
        ):
            out.append((edit, path))
    return out


def _coupled(kept: str, dropped: str, quoted: Sequence[str]) -> bool:
    """Whether a changed line the template leaves out belongs with one it keeps, in the same hunk: they
    share a variable (``spec = getfullargspec(f)`` and ``spec.varkw``), or the kept line is a decorator
    and the other the definition it decorates (``@asyncio.coroutine`` and ``async def``)."""
    if kept.startswith("@") and re.match(r"(?:async\s+)?def\s", dropped):
        return True
    names = {n for q in quoted for n in re.split(r"\W+", q)}
    words = [set(re.findall(r"[A-Za-z_]\w+", t)) - _NOT_NAMES - names for t in (kept, dropped)]
    return bool(words[0] & words[1])


def _own_modules(edits: Sequence[Edit], paths: Sequence[str]) -> str | None:
    """The first module an edit brings in that belongs to the fixing project itself (a relative import,
    ``crate::``/``self::``/``super::``, or a top-level name that is one of the fix's own directories or
    files): another product does not have it, so the template would not transfer."""
    own = {part for p in paths for part in (*PurePosixPath(p).parent.parts, PurePosixPath(p).stem)}
    own -= {"src", ""}
    modules = [e.new for e in edits if e.op in ("move", "default", "guard")]
    for e in edits:
        if e.op in ("line", "add"):
            for lang in ("py", "js", "rust"):
                if (imp := parse_import(e.new, lang)) is not None:
                    modules.append(imp.module)
    for module in modules:
        if module.startswith((".", "/", "crate::", "self::", "super::")) or module in (
            "crate",
            "self",
            "super",
        ):
            return f"`{module}`"
        if re.split(r"::|[./]", module)[0] in own:
            return f"`{module}`"
    return None


def _tops(name: str) -> set[str]:
    """The package keys a quoted name may belong to (``werkzeug.urls`` -> werkzeug)."""
    if name.startswith("@"):
        return {package_key("/".join(name.split("/")[:2]))}
    return {package_key(name), package_key(re.split(r"::|[./:]", name)[0])}


def _related(module: str, name: str, sep: str) -> bool:
    return module == name or name.startswith(module + sep) or module.startswith(name + sep)


def _relevant(edit: Edit, quoted: Sequence[str], funcs: Sequence[str]) -> bool:
    """Whether an edit changes what the lines mentioning an identifier quoted in the error say: how often
    it appears, the module it is imported from, the shape of its calls, the pin of its package."""
    if edit.op in ("attr", "async"):
        module, _, attr = edit.old.rpartition(".")
        return module in quoted and attr in quoted
    if edit.op == "table":
        return f"[{edit.old}]" in quoted
    if edit.op in ("unmethod", "key"):
        return edit.old in quoted or edit.old in funcs
    if edit.op == "default" and any(q.partition(".")[0] == edit.anchor.partition(":")[2] for q in quoted):
        return True  # ``program.version is not a function``: the binding of ``program`` changed
    if edit.op in ("move", "default", "guard"):
        lang, _, name = edit.anchor.partition(":")
        if name:
            return name in quoted or any(_related(edit.old, q, SEPARATORS[lang]) for q in quoted)
        return any(_related(edit.old, q, SEPARATORS[lang]) for q in quoted)
    if edit.op == "call":
        return edit.old in funcs
    if edit.op in ("pin", "bound"):
        return any(edit.old in _tops(q) for q in quoted)
    if any(_count(q, edit.old) != _count(q, edit.new) for q in quoted):
        return True
    return (
        edit.op == "line"
        and any(
            _IMPORT.match(t) or parse_import(t, "js") or parse_import(t, "rust") for t in (edit.old, edit.new)
        )
        and any(_count(q, edit.old) for q in quoted)
    )


def _unique(items: Iterable) -> list:
    return list(dict.fromkeys(items))


def _funcs(text: str, quoted: Sequence[str]) -> list[str]:
    """The functions whose calls the error is about: ``f()`` in the text (``Retry.__init__()``: Retry), the
    last part of each quoted dotted name."""
    out = []
    for name in [m.group(1) for m in _CALLED.finditer(text)] + list(quoted):
        parts = [p for p in re.split(r"[.:]+", name) if p and p != "__init__"]
        if parts:
            out.append(parts[-1])
    return _unique(out)


def quoted_names(text: str) -> list[str]:
    """The names an error text quotes ('x', `x`, "x"), in order, once each; and the dotted name a
    JavaScript TypeError says is not a function."""
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
    dotted = [m.group(1) for m in _DOTTED.finditer(text) if not _FILE_SUFFIX.search(m.group(1))]
    return _unique(quoted + [m.group(1) for m in _UNQUOTED.finditer(text)] + dotted)


def learn_template(summary: str, kind: str, diff: str) -> FixTemplate | NotLearned:
    """The fix template a red build's summary and the diff that turned it green teach, or why none.

    Only the changes that touch an identifier quoted in the error text are kept (a changelog line or an
    unrelated refactor in the same commit is left out). ``NotLearned`` (false, with its reason) when the
    error quotes nothing, when the diff changes only non-source files, when no source change touches what
    it quotes, when the diff is larger than ``MAX_DIFF_LINES`` changed lines, when more than ``MAX_EDITS``
    edits (``MAX_ADDED`` added lines) would be needed, or when the fix renames one name two ways.
    """
    text = error_text(summary)
    quoted = quoted_names(text)
    blocks = parse_diff(diff)
    size = sum(len(b.removed) + len(b.added) for b in blocks)
    if not diff.strip():
        return NotLearned("the fix changes nothing")
    if not blocks:
        return NotLearned("changes only non-source files (docs, changelogs, lock files)")
    if size > MAX_DIFF_LINES:
        return NotLearned(f"too large ({size} changed lines > {MAX_DIFF_LINES})")
    funcs = _funcs(text, quoted)
    if not quoted and not funcs:
        # a compiler's own error (not its "could not compile" trailer), one change made everywhere
        same = _uniform(blocks) if kind in _COMPILERS and not _TRAILER.search(text) else None
        if same is not None:
            return make_template(escape(text), kind, [same], {}, any(is_test_path(b.path) for b in blocks))
        return NotLearned(f"the error quotes no name: {text[:120]}")
    attrs = [(m.group(1), m.group(2)) for m in _MODULE_ATTR.finditer(text)]
    called = _unique(m.group(1).rpartition(".")[2] for m in _CALLED.finditer(text))
    called = [c for c in called if c != "__init__"] or _unique(
        m.group(1).rpartition(".")[0].rpartition(".")[2]
        for m in _CALLED.finditer(text)
        if m.group(1).endswith(".__init__")
    )
    found = _moves(blocks, quoted) + _coroutines(blocks, attrs)
    hunks: dict[tuple[str, int], list[tuple[bool, str, list[Edit]]]] = {}  # per hunk: each changed line
    for block in blocks:
        groups = _block_edits(block, quoted, funcs, attrs, called)
        if isinstance(groups, NotLearned):
            return groups
        for group, line in groups:
            found += [(e, block.path) for e in group]
            if group:
                keep = any(_relevant(e, [*quoted, *_siblings(blocks, quoted)], funcs) for e in group)
                hunks.setdefault((block.path, block.hunk), []).append((keep, line, group))
    related = [*quoted, *_siblings(blocks, quoted)]  # what the error quotes, and what comes with it
    kept = [(e, p) for e, p in found if _relevant(e, related, funcs)]
    kept += _needed_imports(found, kept)
    names = ", ".join(f"'{q}'" for q in quoted)
    if not kept:
        return NotLearned(f"touches no quoted name ({names})")
    for (path, _), lines in hunks.items():
        kept_lines = [(line, group) for keep, line, group in lines if keep]
        for line, group in ((line, group) for keep, line, group in lines if not keep):
            if not any(_coupled(k, line, related) for k, _ in kept_lines):
                continue
            follow = _result_attrs(group, line, kept_lines)  # the renamed call's result, read anew
            if follow is None:  # the template would do part of the fix
                return NotLearned(
                    f"the fix changes more than the quoted names explain, next to what they do: `{line}`"
                )
            kept += [(e, path) for e in follow]
    edits = _unique(
        Edit("family", e.old, e.new) if e.op == "replace" and prefix_family(e.old, e.new) else e
        for e, _ in kept
    )
    merged = _merge_kwargs(edits, called)
    if isinstance(merged, NotLearned):
        return merged
    edits = merged
    if own := _own_modules(edits, [b.path for b in blocks]):
        return NotLearned(f"the fix uses the project's own module {own}: not transferable")
    renames = [e.old for e in edits if e.op in ("replace", "line", "family")]
    renames += [(e.old, e.anchor) for e in edits if e.op == "kwarg"]
    renames += [(e.old, e.anchor) for e in edits if e.op == "move"]
    if len(renames) != len(set(renames)):
        twice = next(r for r in renames if renames.count(r) > 1)
        return NotLearned(f"ambiguous rename ({twice} is changed two ways)")
    if len(edits) > MAX_EDITS:
        return NotLearned(f"too many edits ({len(edits)} > {MAX_EDITS})")
    if (added := sum(e.op == "add" for e in edits)) > MAX_ADDED:
        return NotLearned(f"too many added lines ({added} > {MAX_ADDED})")
    tests = any(is_test_path(p) for _, p in kept)
    return _generalize(text, kind, edits, quoted, tests)


def _receivers(text: str, edits: Sequence[Edit]) -> dict[str, str]:
    """The JavaScript ``R.m`` an error says is not a function whose every edit renames it on the same
    receiver (``R.m`` -> ``R.n``): name -> its receiver."""
    out = {}
    for m in _UNQUOTED.finditer(text):
        name = m.group(1)
        receiver = name.rpartition(".")[0]
        mine = [e for e in edits if any(_count(name, t) for t in (e.old, e.new, e.anchor))]
        if mine and all(
            e.op == "replace"
            and e.old == name
            and e.new.startswith(receiver + ".")
            and re.fullmatch(r"[A-Za-z_$][\w$]*", e.new[len(receiver) + 1 :])
            for e in mine
        ):
            out[name] = receiver
    return out


def _binds_module(text: str, name: str, module: str) -> bool:
    """Whether a JavaScript file binds ``name`` to a whole module whose last path part is ``module`` (case
    aside): ``var Mime = require('mime')``, ``import * as Mime from 'mime'``."""
    for line in text.splitlines():
        imp = parse_import(line, "js")
        if (
            imp is not None
            and imp.module.rpartition("/")[2].lower() == module.lower()
            and any(n in ("default", "*") and a == name for n, a in imp.names)
        ):
            return True
    return False


def _generalize(
    text: str, kind: str, edits: list[Edit], quoted: Sequence[str], tests: bool = False
) -> FixTemplate:
    """Quoted identifiers the edits use become placeholders, numbered in the order the error names them.
    A JavaScript member renamed on the same receiver (``mime.lookup is not a function``: ``mime.lookup`` ->
    ``mime.getType``) keeps the receiver free: it is the product's own name for the module (``Mime``)."""
    receivers = _receivers(text, edits)
    used = [q for q in quoted if any(_count(q, t) for e in edits for t in (e.old, e.new, e.anchor))]
    used = [q for q in used if q not in receivers]
    number = {q: str(i) for i, q in enumerate(used)}
    free = {q: str(len(used) + i) for i, q in enumerate(receivers)}
    by_length = sorted(used, key=len, reverse=True)  # core_lib.money before core_lib

    def abstract(value: str) -> str:
        value = escape(value)
        for q in by_length:
            value = _word(q).sub("{" + number[q] + "}", value)
        return value

    pattern = escape(text)
    for q in by_length:
        for quote in ("'", "`", '"'):
            pattern = pattern.replace(f"{quote}{escape(q)}{quote}", quote + "{" + number[q] + "}" + quote)
        pattern = _UNQUOTED.sub(
            lambda m, q=q: "{" + number[q] + "}" + m.group(0)[len(q) :] if m.group(1) == q else m.group(0),
            pattern,
        )
        pattern = _DOTTED.sub(
            lambda m, q=q: "{" + number[q] + "}" + m.group(0)[len(q) :] if m.group(1) == q else m.group(0),
            pattern,
        )
    for q, receiver in receivers.items():
        slot = "{" + free[q] + "}."
        pattern = _UNQUOTED.sub(
            lambda m, q=q, r=receiver, s=slot: (
                s + m.group(0)[len(r) + 1 :] if m.group(1) == q else m.group(0)
            ),
            pattern,
        )
    general = [
        Edit(
            e.op,
            "{" + free[e.old] + "}" + e.old[len(r) :],
            "{" + free[e.old] + "}" + e.new[len(r) :],
            "recv:" + r,
        )
        if e.op == "replace" and (r := receivers.get(e.old))
        else Edit(e.op, abstract(e.old), abstract(e.new), abstract(e.anchor))
        for e in edits
    ]
    pattern = _OBJECT_TYPE.sub("'{*}'", pattern)
    for e in (e for e in edits if e.op == "default"):  # every member of the old default binding fails
        name = e.anchor.partition(":")[2]
        pattern = re.sub(rf"(?<![\w$.]){re.escape(name)}\.[\w$]+(?= is not a )", "{*}", pattern)
    pinned = [
        placeholders(e.old)
        | (
            placeholders(
                e.anchor
                if e.op in ("move", "default", "guard", "resattr", "kwarg")
                else e.new
                if e.op == "call"
                else ""
            )
        )
        for e in general
        if e.op != "add" and not e.anchor.startswith("recv:")
    ]
    fixed = {n: q for q, n in number.items() if any(n in p for p in pinned)}
    return make_template(pattern, kind, general, fixed, tests)


# --- matching ------------------------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A regex for a pattern: each placeholder is a quoted part, the same one repeated."""
    out, seen, at = [], set(), 0
    for m in _PLACEHOLDER.finditer(pattern):
        out.append(re.escape(pattern[at : m.start()]))
        if m.group(0) == "{*}":
            out.append("(?!NoneType')[^'`\"]+?")  # any class, but a None is a bug of its own
        elif m.group(1) is None:
            out.append(re.escape(m.group(0)[0]))
        elif m.group(1) in seen:
            out.append(f"(?P=p{m.group(1)})")
        else:
            seen.add(m.group(1))
            out.append(f"(?P<p{m.group(1)}>[^'`\"]+?)")
        at = m.end()
    out.append(re.escape(pattern[at:]))
    return re.compile("".join(out))


def _family_bindings(pattern: str, text: str) -> dict[str, str] | None:
    """Bindings when the pattern and the text are two shapes of one error family (``FAMILIES``)."""
    for family in _FAMILIES:
        learned = next((m for shape in family if (m := shape.fullmatch(pattern))), None)
        seen = next((m for shape in family if (m := shape.fullmatch(text))), None)
        if learned is None or seen is None:
            continue
        bindings: dict[str, str] = {}
        for slot, value in learned.groupdict().items():
            got = seen.groupdict().get(slot)
            if value is None or got is None:
                return None
            if m := re.fullmatch(r"\{(\d+)\}", value):
                if bindings.setdefault(m.group(1), got) != got:
                    return None
            elif fill(value, {}) != got:
                return None
        return bindings
    return None


def _call_patterns(template: FixTemplate) -> list[str]:
    """The template's pattern, and the same naming each other function whose calls its ``kwarg`` edits
    change (``read_csv() got an unexpected keyword`` fits ``read_table()`` when the fix changed both)."""
    out = [template.pattern]
    for e in template.edits:
        funcs = e.anchor.split("|") if e.op == "kwarg" else []
        for f in (f for f in funcs if f"{f}()" in template.pattern):
            out += [template.pattern.replace(f"{f}()", f"{g}()") for g in funcs if g != f]
    return _unique(out)


def match(template: FixTemplate, summary: str) -> dict[str, str] | None:
    """The placeholder bindings when the template fits a failure summary (by its error text), else None.

    The error text must have the template's shape, or another shape of the same family (``FAMILIES``);
    placeholders the template is specific to (``fixed``) must have their learned values.
    """
    text = error_text(summary)
    found = next(filter(None, (_pattern_regex(p).fullmatch(text) for p in _call_patterns(template))), None)
    bindings = (
        {k[1:]: v for k, v in found.groupdict().items()}
        if found
        else _family_bindings(template.pattern, text)
    )
    if bindings is None or not placeholders(template.pattern) <= set(bindings):
        return None
    if any(bindings.get(k) != v for k, v in template.fixed):
        return None
    return bindings


# --- instantiating -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patch:
    """A template made concrete for one product: a diff ``git apply`` accepts at the repo root."""

    diff: str  # unified, a/ and b/ prefixes
    files: tuple[str, ...]  # repo-relative paths it touches
    lines: int  # lines added + removed


def _lines(text: str) -> list[str]:
    """Lines with their ends, split on newlines only (as git does)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


_DOCSTRING = re.compile(r"^[rRuUbB]{0,2}(\"\"\"|''')")
_IMPORT_START = re.compile(
    r"^(?:import|from|use|pub use)\s|^(?:const|let|var)\s[^=]+=\s*require\(|^(?:['\"]use strict['\"]|//)"
)


def _after_docstring(lines: list[str]) -> int:
    """The index after the leading comments, blank lines and module docstring."""
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith(("#", "//"))):
        i += 1
    if i < len(lines) and (m := _DOCSTRING.match(lines[i])):
        quote, rest = m.group(1), lines[i][m.end() :]
        while quote not in rest and i + 1 < len(lines):
            i += 1
            rest = lines[i]
        i += 1
    return i


def _after_imports(lines: list[str]) -> int:
    """Where a new import goes: after the last top-level import of the module's leading import block."""
    i = start = _after_docstring(lines)
    last = None
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.startswith("#"):
            i += 1
            continue
        if not _IMPORT_START.match(line):
            break
        if "(" in line and ")" not in line:
            while i + 1 < len(lines) and ")" not in lines[i]:
                i += 1
        while line.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            line = lines[i]
        i += 1
        last = i
    if last is None:  # no imports: before the blank lines that part the header from the code
        while start > 0 and not lines[start - 1].strip():
            start -= 1
    return start if last is None else last


def _bound_names(line: str) -> list[str]:
    """The names an import line binds (``import a.b`` binds ``a``; ``from m import x as y`` binds ``y``;
    ``import { x } from 'm'`` and ``use m::x;`` bind ``x``)."""
    for lang in ("js", "rust"):
        if not _IMPORT.match(line) and (imp := parse_import(line, lang)) is not None:
            return [a or n for n, a in imp.names] or [re.split(r"::|/", imp.module)[-1]]
    if _RUST_USE.match(line) and (brace := re.search(r"\{(.*)\}", line)):  # use a::{b::c, D as _};
        parts = [p.split(" as ") for p in brace.group(1).split(",") if p.strip()]
        return [x[-1].strip().rpartition("::")[2] for x in parts if x[-1].strip() != "_"]
    m = re.match(r"from\s+\S+\s+import\s+\(?(.+?)\)?\s*$", line) or re.match(r"import\s+(.+)$", line)
    if m is None:
        return []
    parts = m.group(1).split(",")
    names = []
    for part in parts:
        words = part.split()
        if words:
            names.append(words[-1] if len(words) == 3 and words[1] == "as" else words[0].split(".")[0])
    return names


def _import_at(lines: list[str], new: str) -> int:
    """Where an added Python import of a standard-library module goes, as isort puts it: among the leading
    block's standard-library imports (plain ``import`` before ``from``, by module name), or before the first
    import when there are none (after ``from __future__``); any other import after the imports."""
    end = _after_imports(lines)
    words = new.split()
    top = words[1].split(".")[0] if len(words) > 1 and words[0] in ("import", "from") else ""
    if top not in sys.stdlib_module_names or top == "__future__":
        return end
    heads = [i for i in range(_after_docstring(lines), end) if lines[i].startswith(("import ", "from "))]
    future = [i for i in heads if lines[i].split()[1] == "__future__"]
    std = [
        i for i in heads if i not in future and lines[i].split()[1].split(".")[0] in sys.stdlib_module_names
    ]

    def key(line: str) -> tuple[bool, str]:
        return line.startswith("from"), line.split()[1].lower()

    for i in std:
        if key(lines[i]) > key(new):
            return i
    if std:
        i = std[-1]
        while "(" in lines[std[-1]] and ")" not in lines[i] and i + 1 < end:
            i += 1
        return i + 1
    rest = [i for i in heads if i not in future]
    return rest[0] if rest else (future[-1] + 1 if future else end)


def _add_line(text: str, edit: Edit) -> str:
    """The text with the edit's line added at its anchor; unchanged when it is there or not wanted."""
    lines = _lines(text)
    if any(line.strip() == edit.new.strip() for line in lines):
        return text
    if edit.anchor == "imports":
        body = "".join(line for line in lines if not _IMPORT_START.match(line))
        if not any(re.search(rf"(?<![\w.]){re.escape(n)}\b", body) for n in _bound_names(edit.new)):
            return text  # the file does not use what the import binds
        at, new = _import_at(lines, edit.new), edit.new
    else:
        anchor = edit.anchor.removeprefix("after:")
        found = [i for i, line in enumerate(lines) if line.strip() == anchor]
        if not found:
            return text
        at = found[0] + 1
        new = lines[found[0]][: _indent(lines[found[0]])] + edit.new
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    lines.insert(at, new + "\n")
    return "".join(lines)


def _change_lines(text: str, old: str, new: str) -> str:
    """Lines whose stripped text is ``old`` become ``new`` (same indentation), or go when ``new`` is empty."""
    out = []
    for line in _lines(text):
        if line.strip() != old:
            out.append(line)
        elif new:
            end = line[len(line.rstrip("\r\n")) :]
            out.append(line[: _indent(line)] + new + end)
    return "".join(out)


def _apply(edit: Edit, texts: dict[str, str], hints: Sequence[str]) -> None:
    """One concrete edit, applied in place to the texts it fits."""
    if edit.op == "add":
        for path in _unique(h for h in hints if h in texts):
            texts[path] = _add_line(texts[path], edit)
        return
    if edit.op == "pin" and edit.anchor.endswith("+"):
        kind = edit.anchor.rstrip("+")
        mine = sorted((p for p in texts if manifest_kind(p) == kind), key=lambda p: (p.count("/"), len(p), p))
        if mine and not any(requirement(x, kind) == edit.old for p in mine for x in texts[p].splitlines()):
            text = texts[mine[0]]  # the top-level manifest gets the entry, at its end
            texts[mine[0]] = text + ("\n" if text and not text.endswith("\n") else "") + edit.new + "\n"
            return
    if edit.op == "bound":
        _cap_dependency(edit, texts)
        return
    if edit.op == "key":  # the files are chosen before any changes (a changed one no longer has the key)
        for path in _key_files(edit, texts):
            texts[path] = replace_config_key(texts[path], edit.anchor.partition(":")[0], edit.old, edit.new)
        return
    literal = edit.op == "line" and any(_has_line(t, edit.old) for t in texts.values())
    for path, text in texts.items():
        if edit.op == "move":
            lang, _, name = edit.anchor.partition(":")
            if language(path) == lang:
                move = move_name if name else move_module
                texts[path] = move(text, lang, edit.old, edit.new, *([name] if name else []))
        elif edit.op == "call":
            if language(path) == "py":
                texts[path] = reshape_calls(text, edit.old, edit.new)
        elif edit.op == "pin":
            if manifest_kind(path) == edit.anchor.rstrip("+"):
                texts[path] = pin(text, edit.anchor.rstrip("+"), edit.old, edit.new)
        elif edit.op == "replace" and edit.anchor.startswith("recv:"):
            receiver = edit.old.rpartition(".")[0]
            if language(path) == "js" and _binds_module(text, receiver, edit.anchor[5:]):
                texts[path] = _word(edit.old).sub(lambda _m: edit.new, text)
        elif edit.op == "replace":
            texts[path] = _word(edit.old).sub(lambda _m: edit.new, text)
        elif edit.op == "kwarg" and language(path) == "py":
            for func in edit.anchor.split("|"):
                if edit.old.endswith("="):
                    texts[path] = rename_keyword(
                        texts[path], func, edit.old.rstrip("="), edit.new.rstrip("=")
                    )
                else:
                    texts[path] = replace_keyword_argument(texts[path], func, edit.old, edit.new)
        elif edit.op == "table" and PurePosixPath(path).name == edit.anchor:
            texts[path] = rename_table(text, edit.old, edit.new)
        elif edit.op == "family":
            texts[path] = _rename_family(text, edit.old, edit.new)
        elif edit.op in ("attr", "async", "unmethod", "resattr") and language(path) == "py":
            texts[path] = _python_shape(edit, text)
        elif edit.op == "guard" and language(path) == "py":
            texts[path] = guard_import(text, edit.old, edit.new, edit.anchor.partition(":")[2])
        elif edit.op == "default" and language(path) == "js":
            texts[path] = default_to_named(text, edit.old, edit.new, edit.anchor.partition(":")[2])
        elif edit.op == "line":
            texts[path] = _change_lines(text, edit.old, edit.new)
    if edit.op == "line" and edit.old and edit.new and not literal:
        _reshape_lines(edit, texts, hints)


def _has_line(text: str, line: str) -> bool:
    return any(x.strip() == line for x in text.splitlines())


def _reshape_lines(edit: Edit, texts: dict[str, str], hints: Sequence[str]) -> None:
    """A line change no file has word for word, made where a line has its shape (``lineshapes``: each
    product's own names and arguments open), in the files the failure points at only."""
    for path in _unique(h for h in hints if h in texts):  # never the whole repository
        lang = language(path)
        imports = [x.strip() for x in texts[path].splitlines() if _is_import(x.strip(), path)]
        fixed = {n for x in imports for n in _bound_names(x)}
        shape = learn_shape(edit.old, edit.new, fixed) if lang else None
        if shape is not None:
            texts[path] = reshape_lines(texts[path], shape, lambda x, path=path: _is_import(x, path))


class _Unsure(Exception):
    """An edit that cannot be made the way its fix made it in these files: no patch at all."""


def _cap_dependency(edit: Edit, texts: dict[str, str]) -> None:
    """A ``bound`` edit: the Python manifests that ask for the package get its upper bound; when none does,
    the top-level requirements file (else pyproject.toml) gets the entry. ``_Unsure`` when an entry or the
    file cannot take it (an exact pin, a cap of its own, a file of exact pins only)."""
    kinds = {p: k for p in texts if (k := manifest_kind(p)) in ("requirements", "pyproject")}
    clause = edit.new[len(re.match(r"[A-Za-z0-9][\w.-]*", edit.new).group(0)) :]
    having = [
        p for p, k in kinds.items() if any(requirement(x, k) == edit.old for x in texts[p].splitlines())
    ]
    for path in having:
        if (capped := bound(texts[path], kinds[path], edit.old, clause)) is None:
            raise _Unsure(path)
        texts[path] = capped
    if having or not kinds:
        return
    top = sorted(kinds, key=lambda p: (kinds[p] != "requirements", p.count("/"), len(p), p))[0]
    if (added := add_dependency(texts[top], kinds[top], edit.new)) is None:
        raise _Unsure(top)
    texts[top] = added


_PREFIXED = re.compile(r"([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\.([a-z]+)(_?)([A-Za-z]\w*)")


def prefix_family(old: str, new: str) -> tuple[str, str, str] | None:
    """When a rename only drops a leading word of a member (``yaml.safeLoad`` -> ``yaml.load``,
    ``ReactDOM.unstable_render`` -> ``ReactDOM.render``): the receiver, the word (with its ``_``) and
    whether the next letter was capitalized ("C") or not; None for any other rename."""
    m = _PREFIXED.fullmatch(old)
    if m is None or not new.startswith(m.group(1) + "."):
        return None
    receiver, word, underscore, rest = m.groups()
    member = new[len(receiver) + 1 :]
    if underscore and member == rest:
        return receiver, word + "_", ""
    if not underscore and rest[:1].isupper() and member == rest[:1].lower() + rest[1:]:
        return receiver, word, "C"
    return None


def _rename_family(text: str, old: str, new: str) -> str:
    """``old`` renamed ``new`` and, when the rename drops a leading word of a member (``prefix_family``),
    each sibling member of the same receiver with that word dropped alike (``yaml.safeDump`` ->
    ``yaml.dump``, ``yaml.safeLoadAll`` -> ``yaml.loadAll``)."""
    family = prefix_family(old, new)
    if family is None:
        return _word(old).sub(lambda _m: new, text)
    receiver, word, case = family
    first = "[A-Z]" if case else "[A-Za-z_]"

    def one(m: re.Match[str]) -> str:
        rest = m.group(1)
        return f"{receiver}.{rest[:1].lower() + rest[1:] if case else rest}"

    return re.sub(rf"(?<![\w$.]){re.escape(receiver)}\.{re.escape(word)}({first}[\w$]*)(?![\w$])", one, text)


def _key_files(edit: Edit, texts: Mapping[str, str]) -> list[str]:
    """The configuration files a ``key`` edit changes: those named like the file the fix changed that have
    the key; else the one file of the kind that has it (two or more: ambiguous, none)."""
    kind, _, name = edit.anchor.partition(":")
    having = [
        p
        for p, t in texts.items()
        if config_kind(p) == kind
        and any((e := config_entry(x, kind)) and e[0] == edit.old for x in t.splitlines())
    ]
    named = [p for p in having if PurePosixPath(p).name == name]
    return named or (having if len(having) == 1 else [])


def _python_shape(edit: Edit, text: str) -> str:
    """A Python file with an ``attr``, ``async``, ``unmethod`` or ``resattr`` edit applied."""
    module, _, attr = edit.old.rpartition(".")
    if edit.op == "attr":
        return rename_module_attr(text, module, attr, edit.new)
    if edit.op == "async":
        return native_coroutines(text, module, attr)
    if edit.op == "unmethod":
        return call_method_as_function(text, edit.old, edit.new)
    return rename_result_attr(text, edit.anchor, edit.old, edit.new)


def _breaks(path: str, before: str, after: str) -> bool:
    """Whether an edit made a Python file that parsed one that does not (other languages stay textual)."""
    if language(path) != "py":
        return False
    try:
        ast.parse(before)
    except (SyntaxError, ValueError):
        return False
    try:
        ast.parse(after)
    except (SyntaxError, ValueError):
        return True
    return False


def _reuse_alias(before: str, after: str, module: str) -> str:
    """A file that already imported ``module`` under another name (``import hmac as hmac_mod``) keeps that
    name: the ``import module`` an edit added goes, and the lines the edits wrote say ``hmac_mod.`` for
    ``hmac.``. Unchanged otherwise."""
    aliases = module_aliases(before, module)
    if not aliases or module in aliases or "." in module:
        return after
    alias, old = aliases[0], set(_lines(before))
    out = []
    for line in _lines(after):
        if line in old:
            out.append(line)
        elif line.strip() != f"import {module}":
            out.append(re.sub(rf"(?<![\w.]){re.escape(module)}\.(?=\w)", alias + ".", line))
    return "".join(out)


def _unresolved(path: str, before: str, after: str) -> set[str]:
    """The names an edit left a Python file reading that nothing binds, when there are more of them than
    before (an import removed while the file still uses it, an expression of the fix that needs a variable
    the fix defined elsewhere): a template that does part of a fix. A name read but bound nowhere renamed
    (a star import's) is not one more. Empty for other languages and files that do not parse."""
    if language(path) != "py":
        return set()
    was, now = unbound_names(before), unbound_names(after)
    if was is None or now is None or len(now - was) <= len(was - now):
        return set()
    return now - was


def file_diff(path: str, before: str, after: str) -> tuple[str, int]:
    """A ``git apply``-compatible diff of one file, and its count of added + removed lines."""
    out = [f"diff --git a/{path} b/{path}\n"]
    changed = 0
    for line in difflib.unified_diff(_lines(before), _lines(after), f"a/{path}", f"b/{path}", n=3):
        if line.startswith(("---", "+++")) and line.endswith("\n") and len(out) < 3:
            out.append(line)
            continue
        changed += line[:1] in "+-"
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out), changed


def instantiate(
    template: FixTemplate, bindings: Mapping[str, str], files: Mapping[str, str], hints: Sequence[str] = ()
) -> Patch | None:
    """The template as a patch for one product, or None when it changes nothing in these files.

    ``files``: repo-relative path -> text at the red commit; ``hints``: the files the failure points at,
    innermost first. Substitutions and line changes apply in every file that has them; added lines go to
    the hinted files that use what they add (an import) or have their anchor. Test files are left alone
    unless the fix the template came from edited one (``tests``). None too when a placeholder has no value.
    """
    texts = _instantiated(template, bindings, files, hints)
    return None if texts is None else _patch(files, texts)


def instantiate_fitting(
    template: FixTemplate, summaries: Sequence[str], files: Mapping[str, str], hints: Sequence[str] = ()
) -> Patch | None:
    """The template as one patch for every failure of the build it fits, or None when it fits none or
    changes nothing. A compiler reports each use of a removed name (``cannot find function `encode``` and
    `` `decode` ``): each fitting failure's bindings are applied in turn, each kept only when the result
    still parses and binds every name it reads, so one build proves the whole fix."""
    fitting = _unique(
        tuple(sorted(b.items())) for b in (match(template, s) for s in summaries) if b is not None
    )
    texts = dict(files)
    for bindings in fitting:
        done = _instantiated(template, dict(bindings), texts, hints)
        if done is not None:
            texts = {**texts, **done}
    return _patch(files, texts) if texts != dict(files) else None


def _instantiated(
    template: FixTemplate, bindings: Mapping[str, str], files: Mapping[str, str], hints: Sequence[str]
) -> dict[str, str] | None:
    """``instantiate``'s edits made on the files: the changed files' new texts, or None (see there)."""
    values = {**dict(template.fixed), **bindings}
    try:
        edits = [
            Edit(e.op, fill(e.old, values), fill(e.new, values), fill(e.anchor, values))
            for e in template.edits
        ]
    except KeyError:
        return None
    texts = {p: t for p, t in files.items() if template.tests or not is_test_path(p)}
    renamed = [e.old for e in edits if e.op in ("replace", "family")]
    if any(defines(t, language(p), name) for p, t in texts.items() for name in renamed):
        return None  # the product's own name, not the library's it was learned for
    try:  # added lines last: an import is added where the other edits made the file use it
        for edit in sorted(edits, key=lambda e: e.op == "add" and e.anchor == "imports"):
            _apply(edit, texts, hints)
    except _Unsure:
        return None
    for edit in edits:
        if edit.op == "add" and (m := re.fullmatch(r"import\s+([\w.]+)", edit.new.strip())):
            for path in [p for p in texts if texts[p] != files[p] and language(p) == "py"]:
                texts[path] = _reuse_alias(files[path], texts[path], m.group(1))
    changed = sorted(p for p in texts if texts[p] != files[p])
    if not changed or any(_breaks(p, files[p], texts[p]) for p in changed):
        return None  # an edit whose result does not parse is not sure of itself: no patch
    if any(_unresolved(p, files[p], texts[p]) for p in changed):
        return None  # a name the result reads that nothing binds: part of a fix, no patch
    return {p: texts[p] for p in changed}


def _patch(files: Mapping[str, str], texts: Mapping[str, str]) -> Patch | None:
    """The diff from ``files`` to ``texts`` (the changed files)."""
    changed = sorted(p for p in texts if texts[p] != files.get(p))
    if not changed:
        return None
    parts = [file_diff(p, files[p], texts[p]) for p in changed]
    return Patch("".join(d for d, _ in parts), tuple(changed), sum(n for _, n in parts))


_HINT = re.compile(r"(?<![\w./<>-])((?:[\w-][\w.-]*/)*[\w-][\w.-]*\.(?:py|rs|[cm]?[jt]sx?))\b")


def hint_paths(detail: Sequence[str]) -> list[str]:
    """The repo-relative files a signature's detail lines point at, innermost first (for ``instantiate``)."""
    found = [m.group(1) for line in detail for m in _HINT.finditer(line)]
    return _unique(reversed(found))
