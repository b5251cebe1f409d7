"""Trim a published OpenAPI (3.x) or Swagger (2.0) description to the operations a test server implements.

Keeps the chosen operations (with their path-level parameters), the document's header (version, info,
servers, security) and every component or definition they reference, transitively; drops the rest.
The media-type ``examples`` (and the ``components/examples`` only they use) are dropped unless
``--keep-examples``: they are documentation, not schema, and make up much of the size. Nothing else
is changed, so a trimmed file validates exactly as the whole one does for the operations it keeps.

    python tools/trim_openapi.py SOURCE.json OUT.json --op "GET /repos/{owner}/{repo}" --op "POST ..." \\
        --source-note "npm @octokit/openapi@23.0.2, generated/api.github.com.json"
    python tools/trim_openapi.py SOURCE.json OUT.json --forge github --source-note "..."

``SOURCE`` may be JSON or YAML (YAML needs PyYAML). Operations are ``METHOD PATH`` exactly as the
document spells the path; an operation the document lacks is an error. ``--forge`` takes the operations
the forge test servers (``tests/servers/forges.py``) implement, from ``OPERATIONS``; ``--op`` adds more.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HEADER_KEYS = (
    "openapi",
    "swagger",
    "info",
    "servers",
    "host",
    "basePath",
    "schemes",
    "consumes",
    "produces",
    "security",
    "securityDefinitions",
)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The operations tests/servers/forges.py implements, as each forge's published description spells them
# (GitLab publishes none that can be reached: see tests/servers/openapi/README.md).
OPERATIONS = {
    "github": [
        "GET /repos/{owner}/{repo}",
        "GET /repos/{owner}/{repo}/commits/{ref}",
        "POST /repos/{owner}/{repo}/statuses/{sha}",
        "GET /repos/{owner}/{repo}/commits/{ref}/statuses",
        "GET /repos/{owner}/{repo}/commits/{ref}/status",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}",
        "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
    ],
    "gitea": [
        "GET /repos/{owner}/{repo}",
        "POST /repos/{owner}/{repo}/statuses/{sha}",
        "GET /repos/{owner}/{repo}/statuses/{sha}",
        "GET /repos/{owner}/{repo}/commits/{ref}/statuses",
        "GET /repos/{owner}/{repo}/commits/{ref}/status",
        "GET /repos/{owner}/{repo}/pulls/{index}",
        "GET /repos/{owner}/{repo}/issues/{index}/comments",
        "POST /repos/{owner}/{repo}/issues/{index}/comments",
        "PATCH /repos/{owner}/{repo}/issues/comments/{id}",
    ],
}


def load(path: Path) -> dict[str, Any]:
    """Read a JSON or YAML document."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


def pointer_get(doc: Any, ref: str) -> Any:
    """The value at a local ``$ref`` (``#/a/b``), with JSON Pointer escapes."""
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def pointer_set(doc: dict[str, Any], ref: str, value: Any) -> None:
    """Set the value at a local ``$ref``, creating the objects on the way."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref.removeprefix("#/").split("/")]
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def strip_examples(node: Any) -> Any:
    """A copy of ``node`` without media-type ``examples`` (those beside a ``schema``)."""
    if isinstance(node, dict):
        drop = "schema" in node and isinstance(node.get("examples"), dict)
        return {k: strip_examples(v) for k, v in node.items() if not (drop and k == "examples")}
    if isinstance(node, list):
        return [strip_examples(v) for v in node]
    return node


def refs_in(node: Any) -> set[str]:
    """Every local ``$ref`` under ``node``."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                found.add(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def trim(doc: dict[str, Any], ops: list[str], *, keep_examples: bool = False) -> dict[str, Any]:
    """The trimmed document: header, the operations ``ops`` ("METHOD /path"), what they reference."""
    out: dict[str, Any] = {k: doc[k] for k in HEADER_KEYS if k in doc}
    paths: dict[str, Any] = {}
    for op in ops:
        method, _, path = op.strip().partition(" ")
        method = method.lower()
        item = doc.get("paths", {}).get(path)
        if method not in METHODS or item is None or method not in item:
            raise SystemExit(f"trim_openapi: the document has no operation {op!r}")
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k not in METHODS})
        kept[method] = item[method]
    out["paths"] = paths
    if not keep_examples:
        out = strip_examples(out)
    if "components" in doc and "securitySchemes" in doc["components"]:
        out.setdefault("components", {})["securitySchemes"] = doc["components"]["securitySchemes"]
    done: set[str] = set()
    todo = refs_in(out)
    while todo:
        ref = min(todo)
        todo.discard(ref)
        done.add(ref)
        value = pointer_get(doc, ref)
        if not keep_examples:
            value = strip_examples(value)
        pointer_set(out, ref, value)
        todo |= refs_in(value) - done
    for section in ("components", "definitions", "parameters", "responses"):  # stable order: by name
        if isinstance(out.get(section), dict):
            group = out[section]
            if section == "components":
                out[section] = {k: dict(sorted(v.items())) for k, v in sorted(group.items())}
            else:
                out[section] = dict(sorted(group.items()))
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module's docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the published document (JSON or YAML)")
    parser.add_argument("out", type=Path, help="where to write the trimmed JSON")
    parser.add_argument("--op", action="append", default=[], help='an operation: "GET /path/{x}"')
    parser.add_argument(
        "--forge", choices=sorted(OPERATIONS), help="the operations its test server implements"
    )
    parser.add_argument("--source-note", default="", help="where the document came from (x-trimmed-from)")
    parser.add_argument("--keep-examples", action="store_true", help="keep the media-type examples")
    args = parser.parse_args(argv)
    ops = (OPERATIONS[args.forge] if args.forge else []) + [
        op for op in args.op if op not in OPERATIONS.get(args.forge, [])
    ]
    if not ops:
        parser.error("give --forge or at least one --op")
    out = trim(load(args.source), ops, keep_examples=args.keep_examples)
    out["x-trimmed-from"] = {
        "source": args.source_note or args.source.name,
        "operations": ops,
        "tool": "tools/trim_openapi.py",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(out, indent=1, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"{args.out}: {len(out['paths'])} paths, {args.out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
