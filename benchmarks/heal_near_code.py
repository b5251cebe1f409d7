"""Does the heal prompt show the code the fix touched? Measured on the heal corpus's real breakages.

For every breakage of ``benchmarks/heal_corpus/`` (each pair's product and its consumers: the files at the
red commit, the real error log, and the fix: the product's ``fix.diff``, a consumer's expected ``after/``),
the prompt is built as ``facets/heal/candidates.llm_candidate`` builds it, without the LLM and the commit
history: the failure's locations (``heal.failure.locations``) with the code around them, what it calls and
what calls it (``heal.prompt.gather_context``), the manifests of a dependency error, and the ``NEAR`` chunks
of the oracle's hybrid search over the product's files (indexed for real: tree-sitter chunks, the local
embedding model, LanceDB), queried with the failure's excerpt; then trimmed to the character budget
(``build_messages``). A fix line is *shown* when the user message has that file's line in a code block.

Reported per set: breakages whose every changed line is shown, whose first is, and how many of them the
search's near chunks alone brought in (the prompt without them misses the fix). Nothing is asserted.

    PYTHONPATH=controller .venv/bin/python benchmarks/heal_near_code.py [--set held_out_7] [--json out.json]
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codemonkeys.facets.heal.candidates import NEAR
from codemonkeys.facets.heal.failure import excerpt, locations, manifests
from codemonkeys.facets.heal.prompt import build_messages, gather_context
from codemonkeys.oracle.chunks import chunks_from_files
from codemonkeys.oracle.embed import Embedder
from codemonkeys.oracle.search import index_chunks, search

CORPUS = Path(__file__).resolve().parent / "heal_corpus"
SETS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
_TITLE = re.compile(r"^### (\S+) lines (\d+)-(\d+)")
_NUMBERED = re.compile(r"^\s*(\d+) \| ")


def files_of(root: Path) -> dict[str, str]:
    """A tree's text files (repo-relative path -> text)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            try:
                out[p.relative_to(root).as_posix()] = p.read_text()
            except UnicodeDecodeError:
                continue
    return out


def changed_lines(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, int]]:
    """The lines of ``before`` a fix changes (a pure insertion: the line it follows), in file order."""
    out = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path, "").splitlines(), after.get(path, "").splitlines()
        if old == new or path not in before:
            continue
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            out += [(path, n + 1) for n in range(i1, i2)] if i2 > i1 else [(path, max(i1, 1))]
    return out


def shown(message: str) -> set[tuple[str, int]]:
    """The (path, line) pairs a prompt's code blocks show."""
    out, path = set(), None
    for line in message.splitlines():
        if m := _TITLE.match(line):
            path = m.group(1)
        elif path and (m := _NUMBERED.match(line)):
            out.add((path, int(m.group(1))))
    return out


def prompt(files: dict[str, str], log: str, near: list[tuple[str, int, str]]) -> str:
    """The heal prompt's user message for a red build (no commit history)."""
    where = locations(log, files)
    deps = manifests(log, files, [w.path for w in where])
    context = gather_context(where, files, near=near, manifests=deps)
    return build_messages(excerpt(log, files=files), context)[1]["content"]


def near_chunks(db: Path, name: str, files: dict[str, str], log: str, embedder) -> list[tuple[str, int, str]]:
    """The oracle's hybrid search over the product, queried with the failure, as ``candidates._near``."""
    chunks = chunks_from_files(name, {p: t.encode() for p, t in files.items()})
    if not chunks:
        return []
    index_chunks(db, chunks, embedder)
    hits = search(db, excerpt(log, files=files)[:1000], embedder, product=name, limit=NEAR)
    out = []
    for hit in hits:
        lines = files.get(hit.path, "").splitlines()[max(hit.line - 1, 0) : hit.line + 14]
        out.append((hit.path, hit.line, "\n".join(lines)))
    return out


def cases(set_name: str) -> list[tuple[str, dict[str, str], dict[str, str], str]]:
    """(name, files at the red commit, files after the fix, error log) of each product and consumer."""
    out = []
    for pair in sorted(p for p in (CORPUS / set_name).iterdir() if (p / "pair.yaml").is_file()):
        product = pair / "product"
        out.append(
            (
                pair.name,
                files_of(product / "before"),
                files_of(product / "after"),
                (product / "error.log").read_text(),
            )
        )
        for c in sorted(p for p in (pair / "consumers").iterdir() if p.is_dir()):
            out.append(
                (
                    f"{pair.name}/{c.name}",
                    files_of(c / "before"),
                    files_of(c / "after"),
                    (c / "error.log").read_text(),
                )
            )
    return out


def measure(set_names: list[str]) -> dict:
    """Per set: breakages, fix fully shown / first line shown, with and without the near chunks."""
    embedder = Embedder()
    embedder.ensure_loaded()
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="heal-near-") as tmp:
        for set_name in set_names:
            rows = []
            for n, (name, before, after, log) in enumerate(cases(set_name)):
                fix = changed_lines(before, after)
                if not fix:
                    continue
                near = near_chunks(Path(tmp) / "db", f"p{set_name}{n}", before, log, embedder)
                with_near, without = shown(prompt(before, log, near)), shown(prompt(before, log, []))
                rows.append(
                    {
                        "case": name,
                        "all": all(x in with_near for x in fix),
                        "first": fix[0] in with_near,
                        "all_without_near": all(x in without for x in fix),
                        "first_without_near": fix[0] in without,
                        "by_near": fix[0] in with_near and fix[0] not in without,
                    }
                )
            figures[set_name] = {
                "cases": len(rows),
                **{
                    k: sum(r[k] for r in rows)
                    for k in ("all", "first", "all_without_near", "first_without_near", "by_near")
                },
                "rows": rows,
            }
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", choices=SETS, dest="sets")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    figures = measure(args.sets or SETS)
    print(f"{'set':<12}{'cases':>6}{'fix shown':>11}{'first line':>12}{'without near':>14}{'by near':>9}")
    total = {k: 0 for k in ("cases", "all", "first", "first_without_near", "by_near")}
    for name, f in figures.items():
        print(
            f"{name:<12}{f['cases']:>6}{f['all']:>11}{f['first']:>12}{f['first_without_near']:>14}{f['by_near']:>9}"
        )
        for k in total:
            total[k] += f[k]
    c = max(total["cases"], 1)
    print(
        f"{'all':<12}{total['cases']:>6}{total['all']:>11}{total['first']:>12}{total['first_without_near']:>14}"
        f"{total['by_near']:>9}\n\nfix shown: every changed line in the prompt {total['all'] / c:.0%}; "
        f"its first line {total['first'] / c:.0%} ({total['first_without_near'] / c:.0%} without near chunks)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
