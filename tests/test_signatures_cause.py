"""Fleet-wide causes (``Signature.cause`` / ``location``) on excerpts of real logs: the product's test
ids, frames, paths and own package / module names go to the location; the same root cause in differently
named products has one fingerprint, a look-alike keeps its own. The excerpts are cut from the labelled
corpus (``benchmarks/signature_corpus/``, recorded by really running the tools)."""

from __future__ import annotations

import json
from pathlib import Path

from codemonkeys.swarm.signatures import (
    SignatureKind,
    cause_of_record,
    extract_signatures,
    own_names,
    split_cause,
)

CORPUS = Path(__file__).parent.parent / "benchmarks" / "signature_corpus"

BOOKS = """$ python -m pytest
rootdir: /tmp/sigc/work/wt-2ti_d2m3/books
____________________ ERROR collecting tests/test_shelf.py _____________________
ImportError while importing test module '/tmp/sigc/work/wt-2ti_d2m3/books/tests/test_shelf.py'.
Traceback:
tests/test_shelf.py:1: in <module>
    from books import shelf
src/books/shelf.py:1: in <module>
    from collections import Mapping
E   ImportError: cannot import name 'Mapping' from 'collections' (/usr/lib/python3.11/collections/__init__.py)
=========================== short test summary info ============================
ERROR tests/test_shelf.py
"""
INVENTORY = """$ python -m inventory
Traceback (most recent call last):
  File "<frozen runpy>", line 198, in _run_module_as_main
  File "/tmp/sigc/work/job-x1/inventory/inventory/__main__.py", line 1, in <module>
    from inventory import stock
  File "/tmp/sigc/work/job-x1/inventory/inventory/stock.py", line 1, in <module>
    from collections import Mapping
ImportError: cannot import name 'Mapping' from 'collections' (/usr/lib/python3.11/collections/__init__.py)
"""
HARBOR = """rootdir: /srv/ci/harbor
____________________ ERROR collecting tests/test_docks.py ____________________
tests/test_docks.py:1: in <module>
    from harbor import docks
E   ModuleNotFoundError: No module named 'harbor'
ERROR tests/test_docks.py
"""
LANTERN = HARBOR.replace("harbor", "lantern").replace("docks", "wick")
RELAY = HARBOR.replace("'harbor'", "'yaml'")
METER = """$ cargo build --offline
   Compiling units v2.0.0 (/tmp/sigc/work/build-a/meter/units)
   Compiling meter v0.3.1 (/tmp/sigc/work/build-a/meter/meter)
error[E0432]: unresolved import `units::parse_size`
 --> src/lib.rs:1:5
  |
1 | use units::parse_size;
  |     ^^^^^^^^^^^^^^^^^ no `parse_size` in the root
error: could not compile `meter` (lib) due to 1 previous error
"""
SCALE = """$ cargo build --offline
   Compiling units v2.0.0 (/w/scale_rs/units)
   Compiling scale_rs v0.3.1 (/w/scale_rs/scale_rs)
error[E0425]: cannot find function `parse_size` in crate `units`
 --> src/lib.rs:2:12
  |
2 |     units::parse_size(text) * 2
  |            ^^^^^^^^^^ not found in `units`
error: could not compile `scale_rs` (lib) due to 1 previous error
"""
TANK = """   Compiling tankcfg v0.3.1 (/w/tankcfg)
error[E0308]: mismatched types
 --> src/lib.rs:2:18
  |
2 |     let n: u32 = "5";
  |            ---   ^^^ expected `u32`, found `&str`
"""
LABEL = TANK.replace("tankcfg", "tanklabel").replace("n: u32", "s: String").replace("`u32`", "`String`")


def top(log: str):
    return extract_signatures(log, mine=False)[0]


def test_the_same_import_error_in_two_products_is_one_cause_and_the_products_parts_are_its_location():
    books, inventory = top(BOOKS), top(INVENTORY)
    assert (books.kind, inventory.kind) == (SignatureKind.PYTEST_ERROR, SignatureKind.PYTHON_TRACEBACK)
    assert books.cause == inventory.cause == "missing name collections.Mapping"
    assert books.fingerprint == inventory.fingerprint
    assert books.location == "tests/test_shelf.py"
    assert inventory.location == ".../stock.py in <module>"
    assert books.summary.startswith("tests/test_shelf.py - ImportError: cannot import name 'Mapping'")


def test_the_products_own_package_is_named_out_a_third_partys_is_not():
    harbor, lantern, relay = top(HARBOR), top(LANTERN), top(RELAY)
    assert harbor.cause == lantern.cause == "ModuleNotFoundError: No module named '<own>'"
    assert harbor.fingerprint == lantern.fingerprint
    assert "harbor" in harbor.location
    assert relay.cause == "ModuleNotFoundError: No module named 'yaml'"


def test_own_names_come_from_the_log():
    own = own_names(METER.splitlines())
    assert "meter" in own.names and "units" not in own.names  # a path dependency is not the product
    assert {"books", "shelf", "test_shelf"} <= own_names(BOOKS.splitlines()).names
    assert "collections" not in own_names(BOOKS.splitlines()).names  # the stdlib's file
    assert "src/books/shelf.py" in own_names(BOOKS.splitlines()).paths


def test_a_missing_name_is_one_cause_however_rustc_tells_it_and_generic_messages_take_their_label():
    meter, scale = top(METER), top(SCALE)
    assert meter.cause == scale.cause == "missing name units::parse_size"
    assert meter.fingerprint == scale.fingerprint
    tank, label = top(TANK), top(LABEL)
    assert tank.cause == "error[E0308]: mismatched types: expected `u32`, found `&str`"
    assert tank.fingerprint != label.fingerprint  # a look-alike


def test_parametrized_failures_of_one_cause_are_one_signature_counted():
    (sig,) = extract_signatures((CORPUS / "dev" / "ledger.log").read_text(), mine=False)
    assert sig.count == 3
    assert sig.location.count("test_journal_run[") == 3
    assert sig.cause == "missing name collections.Mapping"


def test_a_stored_row_gets_the_cause_the_log_would_give():
    for log in (BOOKS, INVENTORY, METER):
        sig = top(log)
        assert cause_of_record(str(sig.kind), sig.summary, "\n".join(sig.detail)) == (
            sig.cause,
            sig.location,
            sig.fingerprint,
        )


def test_the_dev_corpus_is_grouped_by_its_labels():
    labels = json.loads((CORPUS / "labels.json").read_text())
    groups: dict[str, set[str]] = {}
    for name, label in labels.items():
        if name.startswith("dev/"):
            groups.setdefault(label["cause"], set()).add(top((CORPUS / name).read_text()).fingerprint)
    assert all(len(fps) == 1 for fps in groups.values())  # recall
    assert len({fp for fps in groups.values() for fp in fps}) == len(groups)  # precision


EVENS = """$ cargo test --offline
   Compiling evens v0.1.0 (/tmp/sigc/work/t-1/evens)
running 1 test
test tests::finds_even ... FAILED

---- tests::finds_even stdout ----

thread 'tests::finds_even' (5082) panicked at src/lib.rs:2:38:
called `Option::unwrap()` on a `None` value
"""
NETCFG = EVENS.replace("evens", "netcfg").replace("finds_even", "reads_the_port").replace("2:38", "2:53")
IN_A_CRATE = """$ cargo test --offline
   Compiling units v2.0.0 (/tmp/sigc/work/t-2/units)
   Compiling {name} v0.1.0 (/tmp/sigc/work/t-2/{name})
---- tests::reads stdout ----

thread 'tests::reads' (77) panicked at /tmp/sigc/work/t-2/units/src/lib.rs:9:5:
called `Option::unwrap()` on a `None` value
"""


def test_a_std_panic_in_the_products_own_code_is_its_own_cause_one_in_a_shared_crate_is_not():
    evens, netcfg = (extract_signatures(log)[0] for log in (EVENS, NETCFG))
    assert evens.cause == "panicked in evens: called `Option::unwrap()` on a `None` value", evens.cause
    assert evens.fingerprint != netcfg.fingerprint  # two products' own bugs: apart
    assert evens.fingerprint == extract_signatures(EVENS.replace("2:38", "7:1"))[0].fingerprint
    more_targets = EVENS.replace(
        "running 1 test", "     Running tests/integration_helpers.rs (x)\nrunning 1 test"
    )
    assert extract_signatures(more_targets)[0].fingerprint == evens.fingerprint  # the crate, not every file
    gauge, meter = (extract_signatures(IN_A_CRATE.format(name=n))[0] for n in ("gauge", "meter"))
    assert gauge.fingerprint == meter.fingerprint, (gauge.cause, meter.cause)  # in the shared crate: one


def test_pythons_did_you_mean_hint_is_not_part_of_the_cause():
    # pandas 2 removed DataFrame.append: Python 3.11 adds a hint when the object has a look-alike
    plain = "AttributeError: 'DataFrame' object has no attribute 'append'"
    hinted = plain + ". Did you mean: '_append'?"
    causes = {
        split_cause(SignatureKind.PYTHON_TRACEBACK, f"{summary} (.../ledger.py in total)")[0]
        for summary in (plain, hinted)
    }
    assert causes == {plain}
