"""Fix templates that generalize from one product's fix to another's code (``codemonkeys.swarm.templates``
over ``swarm/codeshapes.py``), and that give no patch when they would do only part of a fix. The snippets are
patterned on the held-out pairs of ``benchmarks/heal_corpus``: setuptools' ``pkg_resources``, werkzeug's
``safe_str_cmp``, Python 3.13's ``unittest.makeSuite``, Rust 2024's ``gen`` keyword, js-yaml 4's
``safeLoad``, a NumPy 2 / bcrypt 5 cap, Cargo's ``[project]`` table, Flask's ``send_file`` keyword."""

from __future__ import annotations

from codemonkeys.swarm.codeshapes import (
    add_dependency,
    bound,
    defines,
    enclosing_call,
    rename_keyword,
    rename_table,
    replace_keyword_argument,
    unbound_names,
)
from codemonkeys.swarm.signatures import extract_signatures
from codemonkeys.swarm.templates import (
    Edit,
    FixTemplate,
    file_diff,
    instantiate,
    learn_template,
    make_template,
    match,
    prefix_family,
    quoted_names,
)


def diff_of(path: str, before: str, after: str) -> str:
    return file_diff(path, before, after)[0]


def patched(template: FixTemplate, summary: str, files: dict[str, str], hints=()) -> dict[str, str] | None:
    """The files after the template's patch (None: no match or no patch)."""
    bindings = match(template, summary)
    if bindings is None:
        return None
    patch = instantiate(template, bindings, files, list(hints))
    if patch is None:
        return None
    out = dict(files)
    for path in patch.files:
        one = instantiate(template, bindings, {path: files[path]}, list(hints))
        assert one is not None
        out[path] = _applied(files[path], one.diff)
    return out


def _applied(text: str, diff: str) -> str:
    """A one-file unified diff applied to its text (hunks in order, context checked)."""
    lines, out, at = text.splitlines(keepends=True), [], 0
    body = diff.splitlines(keepends=True)
    i = next(k for k, line in enumerate(body) if line.startswith("@@"))
    while i < len(body):
        start = int(body[i].split()[1].split(",")[0].lstrip("-")) - 1
        out += lines[at:start]
        at = start
        i += 1
        while i < len(body) and not body[i].startswith("@@"):
            tag, rest = body[i][:1], body[i][1:]
            if tag in (" ", "-"):
                assert lines[at] == rest
                at += 1
            if tag in (" ", "+"):
                out.append(rest)
            i += 1
    return "".join(out + lines[at:])


# --- a member mapping of a removed module, and names left unbound -------------------------------------------

PKG_SUMMARY = "ModuleNotFoundError: No module named 'pkg_resources'"
PKG_RED = (
    "import pkg_resources\n\nNAME = 'x'\n"
    'OLD = pkg_resources.parse_version(\n    "1.0"\n) < pkg_resources.parse_version("2")\n'
)
PKG_FIX = (
    "from packaging import version\n\nNAME = 'x'\n" + 'OLD = version.parse("1.0") < version.parse("2")\n'
)


def test_a_removed_modules_member_is_mapped_as_a_whole_even_in_a_reflowed_call() -> None:
    template = learn_template(PKG_SUMMARY, "python_traceback", diff_of("m.py", PKG_RED, PKG_FIX))
    assert isinstance(template, FixTemplate), template
    assert template.describe() == (
        "remove `import pkg_resources`; rename pkg_resources.parse_version -> version.parse; "
        "add `from packaging import version` "
        "after the imports"
    )
    red = "import pkg_resources\n\n\ndef newer(a, b):\n    return pkg_resources.parse_version(a) > b\n"
    assert patched(template, PKG_SUMMARY, {"v.py": red}, ["v.py"]) == {
        "v.py": "from packaging import version\n\n\ndef newer(a, b):\n    return version.parse(a) > b\n"
    }


def test_a_member_the_fix_did_not_map_leaves_its_import_needed_so_no_patch() -> None:
    # the fix shows parse_version only: get_distribution would be left reading a module no longer imported
    template = learn_template(PKG_SUMMARY, "python_traceback", diff_of("m.py", PKG_RED, PKG_FIX))
    assert isinstance(template, FixTemplate), template
    red = (
        "import pkg_resources\n\n\ndef installed(d, at_least):\n"
        "    found = pkg_resources.get_distribution(d).version\n"
        "    return pkg_resources.parse_version(found) >= pkg_resources.parse_version(at_least)\n"
    )
    assert patched(template, PKG_SUMMARY, {"c.py": red}, ["c.py"]) is None


def test_an_expression_of_the_fix_that_needs_a_variable_the_consumer_lacks_gives_no_patch() -> None:
    template = make_template(
        "AttributeError: module '{0}' has no attribute '{1}'",
        "python_traceback",
        [Edit("attr", "{0}.{1}", "loader.loadTestsFromTestCase")],
        {"0": "unittest", "1": "makeSuite"},
    )
    red = "import unittest\n\n\ndef suite():\n    return unittest.makeSuite(Checks)\n\n\nclass Checks: ...\n"
    summary = "AttributeError: module 'unittest' has no attribute 'makeSuite'"
    assert patched(template, summary, {"s.py": red}) is None  # `loader` is bound nowhere in s.py
    has_loader = red.replace("def suite():\n", "def suite():\n    loader = unittest.TestLoader()\n")
    out = patched(template, summary, {"s.py": has_loader})
    assert out is not None and "return loader.loadTestsFromTestCase(Checks)" in out["s.py"]


def test_unbound_names_are_what_a_file_reads_and_nothing_binds() -> None:
    text = (
        "import os\nfrom a import b as c\n\n\ndef f(x, *args, k=1, **kw):\n"
        "    try:\n        y = [z for z in x]\n"
        "    except E as err:\n        return err, g\n    return os, c, y, args, kw, k, len, __name__\n"
    )
    assert unbound_names(text) == {"E", "g"}
    assert unbound_names("from m import *\nprint(q)\n") is None  # a star import may bind anything
    assert unbound_names("def (:\n") is None


# --- imports: an existing alias, isort's place

CMP_SUMMARY = "ImportError: cannot import name 'safe_str_cmp' from 'werkzeug.security'"
CMP_RED = (
    "import hashlib\nfrom random import random\nfrom werkzeug.security import safe_str_cmp\n\n"
    "ok = safe_str_cmp(a, b)\n"
)
CMP_FIX = "import hashlib\nimport hmac\nfrom random import random\n\nok = hmac.compare_digest(a, b)\n"


def test_an_added_stdlib_import_goes_where_isort_puts_it_and_an_existing_alias_is_reused() -> None:
    template = learn_template(CMP_SUMMARY, "python_traceback", diff_of("auth.py", CMP_RED, CMP_FIX))
    assert isinstance(template, FixTemplate), template
    plain = (
        '"""Keys."""\n\nfrom flask import abort\nfrom werkzeug.security import safe_str_cmp\n\n'
        "ok = safe_str_cmp(x, y)\n"
    )
    assert patched(template, CMP_SUMMARY, {"app.py": plain}) is None  # not hinted: no import, `hmac` unbound
    assert patched(template, CMP_SUMMARY, {"app.py": plain}, ["app.py"]) == {
        "app.py": '"""Keys."""\n\nimport hmac\nfrom flask import abort\n\nok = hmac.compare_digest(x, y)\n'
    }
    aliased = (
        "import hmac as hmac_mod\n\nfrom werkzeug.security import safe_str_cmp\n\nok = safe_str_cmp(x, y)\n"
    )
    assert patched(template, CMP_SUMMARY, {"v.py": aliased}, ["v.py"]) == {
        "v.py": "import hmac as hmac_mod\n\n\nok = hmac_mod.compare_digest(x, y)\n"
    }


# --- a rename never renames the consumer's own name


def test_a_rename_is_not_applied_to_a_name_the_consumer_defines_itself() -> None:
    summary = "error: expected identifier, found reserved keyword `gen`"
    template = make_template(
        "error: expected identifier, found reserved keyword `{0}`",
        "cargo_error",
        [Edit("replace", "{0}", "generator")],
        {"0": "gen"},
    )
    assert patched(template, summary, {"src/lib.rs": "trait Emit {\n    fn gen(&self);\n}\n"}) is None
    assert patched(template, summary, {"src/main.rs": "fn main() {\n    let mut gen = Lcg(1);\n}\n"}) is None
    assert patched(template, summary, {"src/a.rs": "fn f(gen: &mut Lcg) {}\n"}) is None
    out = patched(template, summary, {"src/b.rs": "fn f(r: &mut Lcg) {\n    r.gen();\n}\n"})
    assert out == {"src/b.rs": "fn f(r: &mut Lcg) {\n    r.generator();\n}\n"}


def test_defines_tells_a_definition_from_a_use_and_a_class_setting() -> None:
    assert defines("def gen():\n    pass\n", "py", "gen")
    assert defines("def f(gen):\n    pass\n", "py", "gen")
    assert defines("gen = 1\n", "py", "gen")
    assert not defines("x = f(\n    gen=1,\n)\n", "py", "gen")  # a keyword argument
    assert not defines("class Config:\n    orm_mode = True\n", "py", "orm_mode")  # a setting an API reads
    assert defines("function lookup(a) {}\n", "js", "lookup")
    assert not defines("mime.lookup(a);\n", "js", "lookup")
    assert defines("fn shuffle(items: &mut [T], gen: &mut Lcg) {}\n", "rust", "gen")
    assert not defines("let x = gen::Gen::new();\n", "rust", "gen")


# --- names an error mentions unquoted; a family of prefixed members

YAML_SUMMARY = "Error: Function yaml.safeLoad is removed in js-yaml 4. "
YAML_SUMMARY += "Use yaml.load instead, which is now safe by default."


def test_dotted_names_an_error_mentions_unquoted_are_its_names_but_not_files_or_its_own_type() -> None:
    assert quoted_names(YAML_SUMMARY) == ["yaml.safeLoad", "yaml.load"]
    assert quoted_names("sqlalchemy.exc.ArgumentError: Column expected, got x") == []
    assert quoted_names("Error: cannot find config.json in lib.js") == []
    assert quoted_names("failed: see e.g. the docs") == []


def test_a_member_renamed_by_dropping_a_leading_word_renames_its_siblings_alike() -> None:
    red = "const yaml = require('js-yaml');\nmodule.exports = (t) => yaml.safeLoad(t) || {};\n"
    template = learn_template(
        YAML_SUMMARY, "node_uncaught", diff_of("lib/c.js", red, red.replace("safeLoad", "load"))
    )
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "rename yaml.safeLoad -> {1}, and its siblings of the same prefix alike"
    assert template.pattern == (
        "Error: Function {0} is removed in js-yaml 4. Use {1} instead, which is now safe by default."
    )
    consumer = (
        "const out = yaml.safeDump(yaml.safeLoad(a));\nconst all = yaml.safeLoadAll(b);\nyaml.safe = 1;\n"
    )
    assert patched(template, YAML_SUMMARY, {"m.js": consumer}) == {
        "m.js": "const out = yaml.dump(yaml.load(a));\nconst all = yaml.loadAll(b);\nyaml.safe = 1;\n"
    }


def test_a_prefix_family_is_only_a_whole_leading_word() -> None:
    assert prefix_family("yaml.safeLoad", "yaml.load") == ("yaml", "safe", "C")
    assert prefix_family("ReactDOM.unstable_render", "ReactDOM.render") == ("ReactDOM", "unstable_", "")
    assert prefix_family("self.assertEquals", "self.assertEqual") is None  # a letter, not a word
    assert prefix_family("mime.lookup", "mime.getType") is None
    assert prefix_family("yaml.safeLoad", "other.load") is None  # another receiver


# --- a cap on a Python dependency


def test_a_cap_keeps_each_entrys_lower_bound_and_is_added_in_sorted_place() -> None:
    summary = "ValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96, got 88"
    fix = diff_of(
        "pyproject.toml", 'dependencies = [\n    "numpy",\n]\n', 'dependencies = [\n    "numpy<2.0",\n]\n'
    )
    template = learn_template(summary, "python_traceback", fix)
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "cap numpy as `numpy<2.0` in Python manifests (added where absent)"
    pyproject = '[project]\nname = "x"\ndependencies = [\n  "numpy>=1.24",\n  "tables==3.9.2",\n]\n'
    assert patched(template, summary, {"pyproject.toml": pyproject}) == {
        "pyproject.toml": pyproject.replace('"numpy>=1.24"', '"numpy>=1.24,<2.0"')
    }
    assert patched(template, summary, {"requirements.txt": "pandas>=2.0\ntables==3.9.2\n"}) == {
        "requirements.txt": "numpy<2.0\npandas>=2.0\ntables==3.9.2\n"
    }
    assert patched(template, summary, {"requirements.txt": "numpy==1.26.4\n"}) is None  # an exact pin


def test_a_cap_is_not_added_to_a_file_of_exact_pins_and_goes_into_pyprojects_dependencies() -> None:
    assert add_dependency("passlib[bcrypt]==1.7.4\n", "requirements", "bcrypt<5") is None
    pyproject = (
        '[project]\nname = "u"\ndependencies = [\n    "passlib[bcrypt]>=1.7.4",\n]\n\n[tool.x]\ny = 1\n'
    )
    assert add_dependency(pyproject, "pyproject", "bcrypt<5") == pyproject.replace(
        '>=1.7.4",\n', '>=1.7.4",\n    "bcrypt<5",\n'
    )
    assert bound("numpy  # arrays\n", "requirements", "numpy", "<2") == "numpy<2  # arrays\n"
    assert bound("numpy<1.27\n", "requirements", "numpy", "<2") is None  # a cap of its own


# --- a TOML table renamed (cargo's reason for a manifest that does not parse)

CARGO_LOG = (
    "error: failed to parse manifest at `/home/ci/ws/ringbuf/Cargo.toml`\n\nCaused by:\n"
    "  `[project]` is not supported as of the 2024 Edition, please use `[package]`\n"
)


def test_cargos_reason_is_part_of_its_signature_and_a_renamed_table_is_learned() -> None:
    (sig,) = extract_signatures(CARGO_LOG)
    assert sig.summary.endswith(
        ": `[project]` is not supported as of the 2024 Edition, please use `[package]`"
    )
    red = '[project]\nname = "rbpf"\n\n[dependencies]\n'
    template = learn_template(
        sig.summary, sig.kind.value, diff_of("Cargo.toml", red, red.replace("project", "package", 1))
    )
    assert isinstance(template, FixTemplate), template
    assert template.describe() == "rename the table [project] -> [package] (and its subtables) in Cargo.toml"
    consumer = '[project]\nname = "ringbuf"\nproject = "x"\n\n[project.metadata.release]\nsign = true\n'
    assert patched(template, sig.summary, {"Cargo.toml": consumer, "pyproject.toml": "[project]\n"}) == {
        "Cargo.toml": '[package]\nname = "ringbuf"\nproject = "x"\n\n'
        "[package.metadata.release]\nsign = true\n",
        "pyproject.toml": "[project]\n",
    }
    assert (
        rename_table("[[project.bin]]\n[projects]\n", "project", "package") == "[[package.bin]]\n[projects]\n"
    )


# --- a keyword renamed in the calls of its function only


def test_a_keyword_rename_is_scoped_to_the_calls_the_fix_changed_it_in() -> None:
    summary = "TypeError: send_file() got an unexpected keyword argument 'attachment_filename'"
    red = "def get():\n    return send_file(path, mimetype='x',\n        attachment_filename=name)\n"
    template = learn_template(
        summary, "python_traceback", diff_of("v.py", red, red.replace("attachment_filename", "download_name"))
    )
    assert isinstance(template, FixTemplate), template
    assert (
        template.describe()
        == "rename the keyword attachment_filename= -> download_name= in calls of send_file"
    )
    consumer = (
        "r = flask.send_file(\n    data,\n    attachment_filename=n,\n)\n"
        "log(attachment_filename=n)\nattachment_filename = n\n"
    )
    assert patched(template, summary, {"r.py": consumer}) == {
        "r.py": consumer.replace("    attachment_filename=n,", "    download_name=n,")
    }


def test_rename_keyword_touches_top_level_keywords_of_the_calls_only() -> None:
    text = 'Field(a, regex="x", b=g(regex=1), c="regex=")\ndf.filter(regex="y")\n'
    assert rename_keyword(text, "Field", "regex", "pattern") == (
        'Field(a, pattern="x", b=g(regex=1), c="regex=")\ndf.filter(regex="y")\n'
    )
    assert enclosing_call("x = flask.send_file(a,\n  b=1)", 25) == "send_file"
    assert enclosing_call("x = [a, b]", 8) is None


# --- a JavaScript member renamed on the consumer's own name for the module ----------------------------------


def test_a_js_member_rename_keeps_the_receiver_free_but_only_for_a_binding_of_the_same_module() -> None:
    red = "const mime = require('mime');\nmodule.exports = (f) => mime.lookup(f);\n"
    template = learn_template(
        "TypeError: mime.lookup is not a function",
        "node_uncaught",
        diff_of("index.js", red, red.replace("lookup", "getType")),
    )
    assert isinstance(template, FixTemplate), template
    assert template.pattern == "TypeError: {0}.lookup is not a function" and template.fixed == ()
    summary = "TypeError: Mime.lookup is not a function"
    consumer = "var Mime = require('mime');\nvar type = Mime.lookup(name);\n"
    assert patched(template, summary, {"src/up.js": consumer}) == {
        "src/up.js": consumer.replace("Mime.lookup", "Mime.getType")
    }
    other = "const Mime = require('./my-mime');\nMime.lookup(name);\n"  # another module: not its member
    assert patched(template, "TypeError: Mime.lookup is not a function", {"a.js": other}) is None
    assert match(template, "TypeError: mime.extension is not a function") is None  # the member is fixed


def test_a_keyword_argument_replaced_value_and_all_covers_each_function_the_fix_changed() -> None:
    # pandas 3: delim_whitespace=True is sep=r"\s+", in read_csv and read_table calls alike
    summary = "TypeError: read_csv() got an unexpected keyword argument 'delim_whitespace'"
    red = (
        "def a(f):\n    return pd.read_table(\n        f, delim_whitespace=True, names=N\n    )\n\n\n"
        "def b(f):\n    return pd.read_csv(f, names=N, delim_whitespace=True)\n"
    )
    fix = red.replace("delim_whitespace=True", 'sep=r"\\s+"')
    template = learn_template(summary, "python_traceback", diff_of("load.py", red, fix))
    assert isinstance(template, FixTemplate), template
    assert (
        template.describe()
        == 'replace `delim_whitespace=True` -> `sep=r"\\s+"` in calls of read_csv, read_table'
    )
    consumer = (
        "x = pd.read_table(p, delim_whitespace = True, skiprows=1)\n"
        "y = pd.read_fwf(p, delim_whitespace=True)\nz = pd.read_csv(p, delim_whitespace=False)\n"
    )
    other = "TypeError: read_table() got an unexpected keyword argument 'delim_whitespace'"
    assert patched(template, other, {"c.py": consumer}) == {  # the error of another call the fix changed
        "c.py": consumer.replace("delim_whitespace = True", 'sep=r"\\s+"')  # not read_fwf's, not False
    }
    assert (
        match(template, "TypeError: read_fwf() got an unexpected keyword argument 'delim_whitespace'") is None
    )


# --- Python's own message printed without its exception ---------------------------------------------

CAUGHT_LOG = (
    "[Config] Error in packager config:\n'ConfigParser' object has no attribute 'readfp'\n"
    "[Config] Using default packager values\n"
)


def test_pythons_message_printed_by_a_program_that_caught_it_is_the_error_and_teaches_a_rename() -> None:
    (sig,) = extract_signatures(CAUGHT_LOG)
    assert (sig.kind.value, sig.summary) == (
        "python_traceback",
        "AttributeError: 'ConfigParser' object has no attribute 'readfp'",
    )
    red = "def load(p):\n    c = configparser.ConfigParser()\n    c.readfp(open(p))\n    return c\n"
    template = learn_template(
        sig.summary, sig.kind.value, diff_of("m.py", red, red.replace("readfp", "read_file"))
    )
    assert isinstance(template, FixTemplate), template
    other = "AttributeError: 'RawConfigParser' object has no attribute 'readfp'. Did you mean: 'read'?"
    assert patched(template, other, {"i.py": "parser.readfp(fh)\n"}) == {"i.py": "parser.read_file(fh)\n"}
    assert [s.summary for s in extract_signatures("note: 'x' object has no attribute 'y' here\n")] != [
        "AttributeError: 'x' object has no attribute 'y'"
    ]  # only a whole line is Python's message


def test_a_keyword_edit_leaves_the_function_s_own_definition_alone():
    text = (
        "def filter(rows, regex=None):\n    return [r for r in rows if re.search(regex, r)]\n\n"
        'x = df.filter(regex="a")\n'
    )
    renamed = rename_keyword(text, "filter", "regex", "pattern")
    assert renamed == text.replace('df.filter(regex="a")', 'df.filter(pattern="a")')
    defined = "def read_csv(path, delim_whitespace=True):\n    pass\n"
    assert replace_keyword_argument(defined, "read_csv", "delim_whitespace=True", 'sep=r"\\s+"') == defined


def test_a_cap_that_leaves_no_version_is_no_patch():
    assert bound("numpy>=2.1\n", "requirements", "numpy", "<2.0") is None
    assert bound("numpy>=1.24\n", "requirements", "numpy", "<2.0") == "numpy>=1.24,<2.0\n"
