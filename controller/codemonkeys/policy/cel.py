"""CEL conditions for constitution rules (Google's C++ CEL runtime through ``cel-expr-python``).

Expressions are compiled once per process (cached by text) and evaluated against the documented
context::

    action   {id, kind, params}
    product  {metadata, spec} as written (camelCase), plus the short names {name, company, labels,
             annotations, language, dependsOn}  (``policy.gate.product_document``)
    facts    {build: {green}, docs: {current}, release: {published}, deps: {...same...}}  (booleans:
             true only when observed; a fact a planned action will establish is false here)
    fleet    {name, revision}
    now      timestamp (use now.getDayOfWeek("Europe/Berlin"), now.getHours(tz), ...)

A condition must be a bool. Compile errors are load errors; evaluation errors deny (fail closed).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cel_expr_python import cel

VARIABLES = ("action", "product", "facts", "fleet", "now")


class CelError(Exception):
    """A condition that does not compile, or that is not a bool."""


@lru_cache(maxsize=1)
def _env() -> Any:
    types = {name: cel.Type.DYN for name in VARIABLES}
    types["now"] = cel.Type.TIMESTAMP
    return cel.NewEnv(variables=types)


def _clean(message: str) -> str:
    text = message.removeprefix("INVALID_ARGUMENT: ").removeprefix("ERROR: ").strip()
    return text.replace("<input>:", "").split("\n", 1)[0].removesuffix(" [INVALID_ARGUMENT]")


@lru_cache(maxsize=4096)
def compile_condition(text: str) -> Any:
    """Compile ``text`` (cached per process). Raises ``CelError`` if it does not compile or is not a bool."""
    try:
        expr = _env().compile(text)
    except RuntimeError as exc:
        raise CelError(f"CEL: {_clean(str(exc))}") from None
    rtype = expr.return_type()
    if rtype not in (cel.Type.BOOL, cel.Type.DYN):
        raise CelError(f"CEL: the condition must be a bool, it is {rtype.name()}")
    return expr


def check_condition(text: str) -> str | None:
    """The compile error of ``text``, or None if it compiles to a bool."""
    try:
        compile_condition(text)
    except CelError as exc:
        return str(exc)
    return None


def evaluate(text: str, context: dict[str, Any]) -> bool | str:
    """True/False, or an error message (the caller fails closed on it)."""
    try:
        result = compile_condition(text).eval(data=context)
    except (CelError, RuntimeError) as exc:
        return _clean(str(exc))
    value = result.value()
    if result.type() == cel.Type.BOOL:
        return bool(value)
    if result.type() == cel.Type.ERROR:
        return _clean(str(value))
    return f"the condition returned {result.type().name()}, not a bool"
