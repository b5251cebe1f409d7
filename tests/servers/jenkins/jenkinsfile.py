"""A parser for the declarative-Pipeline subset the test Jenkins runs.

Supported (everything else raises `Unsupported`, which fails the build with a clear console line)::

    pipeline {
        agent any
        options { timeout(time: 5, unit: 'MINUTES') }          // optional; also timeout(5)
        environment { NAME = 'value'; OTHER = "${env.NAME}-x" } // optional
        stages {
            stage('Build') {
                environment { ... }                             // optional
                options { timeout(time: 30, unit: 'SECONDS') }  // optional
                steps {
                    sh 'make'
                    sh "echo ${params.COMMIT}"
                    sh '''multi
                          line'''
                    sh(script: 'make test', label: 'tests')
                    echo 'message'
                }
            }
        }
    }

Strings follow Groovy: single-quoted strings are literal; double-quoted ones interpolate `${NAME}`,
`${env.NAME}`, `${params.NAME}` and `$NAME` (the shell still expands `$VAR` in single-quoted scripts
because parameters and `environment` values are exported to the process environment).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

SUBSET = (
    "pipeline { agent any; options { timeout(...) }; environment { K = 'v' }; "
    "stages { stage('name') { environment/options/steps { sh ...; echo ... } } } }"
)
TIME_UNITS = {
    "MILLISECONDS": 0.001,
    "SECONDS": 1.0,
    "MINUTES": 60.0,
    "HOURS": 3600.0,
    "DAYS": 86400.0,
}


class JenkinsfileError(Exception):
    """The Jenkinsfile is not valid (Jenkins would fail to compile it)."""


class Unsupported(JenkinsfileError):
    """Valid Jenkins, but outside the subset this server runs."""


class MissingProperty(Exception):
    """A `${NAME}` reference to an unknown variable, raised while expanding a string."""


# --- strings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A `${...}` reference inside a double-quoted string: scope is "env", "params" or "" (bare)."""

    scope: str
    name: str


@dataclass(frozen=True)
class Text:
    """A Groovy string literal: literal pieces and references, expanded at run time."""

    parts: tuple[str | Ref, ...]

    def expand(self, params: dict[str, str], env: dict[str, str]) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif part.scope == "params":
                out.append(params.get(part.name, "null"))
            elif part.scope == "env":
                out.append(env.get(part.name, "null"))
            elif part.name in params:
                out.append(params[part.name])
            elif part.name in env:
                out.append(env[part.name])
            else:
                raise MissingProperty(
                    f"groovy.lang.MissingPropertyException: No such property: {part.name} "
                    "for class: groovy.lang.Binding"
                )
        return "".join(out)

    @property
    def literal(self) -> str | None:
        """The text when it holds no references, else None."""
        return None if any(isinstance(p, Ref) for p in self.parts) else "".join(self.parts)  # type: ignore[arg-type]


# --- the parsed pipeline -----------------------------------------------------------------------------


@dataclass
class Step:
    kind: str  # "sh" or "echo"
    text: Text
    line: int


@dataclass
class Stage:
    name: str
    steps: list[Step]
    environment: list[tuple[str, Text]] = field(default_factory=list)
    timeout: float | None = None  # seconds


@dataclass
class Pipeline:
    stages: list[Stage]
    environment: list[tuple[str, Text]] = field(default_factory=list)
    timeout: float | None = None  # seconds


# --- tokenizer ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "ident", "number", "string", "punct", "eof"
    value: object  # str for ident/punct, float for number, Text for string
    line: int

    def show(self) -> str:
        if self.kind == "string":
            return "a string"
        if self.kind == "eof":
            return "the end of the file"
        return f"`{self.value}`"


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'", '"': '"', "$": "$"}


def _tokens(src: str) -> Iterator[Token]:
    i, line, n = 0, 1, len(src)
    if src.startswith("#!"):
        i = src.find("\n") if "\n" in src else n
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif src.startswith("//", i):
            i = src.find("\n", i) if "\n" in src[i:] else n
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise JenkinsfileError(f"line {line}: unterminated /* comment")
            line += src.count("\n", i, end)
            i = end + 2
        elif c in "'\"":
            quote = c * 3 if src.startswith(c * 3, i) else c
            (text, newlines), i = _string(src, i + len(quote), quote, line)
            yield Token("string", text, line)
            line += newlines
        elif m := _IDENT.match(src, i):
            yield Token("ident", m.group(), line)
            i = m.end()
        elif m := _NUMBER.match(src, i):
            yield Token("number", float(m.group()), line)
            i = m.end()
        else:
            yield Token("punct", c, line)
            i += 1
    yield Token("eof", "", line)


def _string(src: str, i: int, quote: str, line: int) -> tuple[tuple[Text, int], int]:
    """Decode a string body starting at i; returns ((Text, newlines inside), index after the quote)."""
    interpolate = quote[0] == '"'
    parts: list[str | Ref] = []
    buf: list[str] = []
    newlines = 0
    n = len(src)
    while True:
        if i >= n:
            raise JenkinsfileError(f"line {line}: unterminated string")
        if src.startswith(quote, i):
            i += len(quote)
            break
        c = src[i]
        if c == "\n":
            if len(quote) == 1:
                raise JenkinsfileError(f"line {line + newlines}: newline in a single-line string")
            newlines += 1
            buf.append(c)
            i += 1
        elif c == "\\":
            nxt = src[i + 1 : i + 2]
            if nxt == "\n":  # line continuation
                newlines += 1
            elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", src[i + 2 : i + 6]):
                buf.append(chr(int(src[i + 2 : i + 6], 16)))
                i += 4
            elif nxt in _ESCAPES:
                buf.append(_ESCAPES[nxt])
            else:
                raise JenkinsfileError(f"line {line + newlines}: unexpected escape \\{nxt} in a string")
            i += 2
        elif c == "$" and interpolate:
            ref, i = _reference(src, i, line + newlines)
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(ref)
        else:
            buf.append(c)
            i += 1
    if buf:
        parts.append("".join(buf))
    return (Text(tuple(parts)), newlines), i


def _reference(src: str, i: int, line: int) -> tuple[Ref, int]:
    """Parse `${expr}` or `$name[.name]` at src[i] == '$'."""
    if src.startswith("${", i):
        end = src.find("}", i)
        if end < 0:
            raise JenkinsfileError(f"line {line}: unterminated ${{ in a string")
        expr = src[i + 2 : end].strip()
        i = end + 1
    else:
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?").match(src, i + 1)
        if not m:
            raise JenkinsfileError(f"line {line}: illegal string body character after dollar sign")
        expr = m.group()
        i = m.end()
    m = re.fullmatch(r"(?:(env|params)\.)?([A-Za-z_][A-Za-z0-9_]*)", expr)
    if not m:
        raise Unsupported(f"`${{{expr}}}` in a string at line {line} (only NAME, env.NAME and params.NAME)")
    return Ref(m.group(1) or "", m.group(2)), i


# --- parser ------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, src: str) -> None:
        self.tokens = list(_tokens(src))
        self.pos = 0

    # token helpers
    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def accept(self, kind: str, value: object = None) -> Token | None:
        tok = self.peek()
        if tok.kind == kind and (value is None or tok.value == value):
            return self.next()
        return None

    def expect(self, kind: str, value: object = None, what: str = "") -> Token:
        tok = self.next()
        if tok.kind != kind or (value is not None and tok.value != value):
            wanted = what or (f"`{value}`" if value is not None else kind)
            raise JenkinsfileError(f"line {tok.line}: expected {wanted}, found {tok.show()}")
        return tok

    def skip_separators(self) -> None:
        while self.accept("punct", ";"):
            pass

    def unsupported(self, tok: Token, where: str) -> Unsupported:
        return Unsupported(f"{tok.show()} {where} at line {tok.line}")

    def block(self, member: Callable[[Token], None], where: str) -> None:
        """`{ member* }`: call member(token) with each leading identifier."""
        self.expect("punct", "{")
        while True:
            self.skip_separators()
            if self.accept("punct", "}"):
                return
            tok = self.next()
            if tok.kind == "eof":
                raise JenkinsfileError(f"line {tok.line}: unexpected end of file (a missing `}}`?)")
            if tok.kind != "ident":
                raise self.unsupported(tok, where)
            member(tok)

    # grammar
    def pipeline(self) -> Pipeline:
        self.skip_separators()
        tok = self.next()
        if tok.kind != "ident" or tok.value != "pipeline":
            raise self.unsupported(tok, "before the `pipeline` block")
        sections: dict[str, object] = {}

        def section(tok: Token) -> None:
            name = str(tok.value)
            if name in sections:
                raise JenkinsfileError(f"line {tok.line}: Multiple occurrences of the {name} section")
            if name == "agent":
                arg = self.next()
                if arg.kind != "ident" or arg.value != "any":
                    raise self.unsupported(arg, "as the agent (only `agent any`)")
                sections[name] = True
            elif name == "options":
                sections[name] = self.options()
            elif name == "environment":
                sections[name] = self.environment()
            elif name == "stages":
                sections[name] = self.stages()
            else:
                raise self.unsupported(tok, "in `pipeline`")

        self.block(section, "in `pipeline`")
        self.skip_separators()
        tok = self.next()
        if tok.kind != "eof":
            raise self.unsupported(tok, "after the `pipeline` block")
        if "agent" not in sections:
            raise JenkinsfileError("Missing required section 'agent'")
        if "stages" not in sections:
            raise JenkinsfileError("Missing required section 'stages'")
        return Pipeline(
            stages=sections["stages"],  # type: ignore[arg-type]
            environment=sections.get("environment", []),  # type: ignore[arg-type]
            timeout=sections.get("options"),  # type: ignore[arg-type]
        )

    def options(self) -> float | None:
        """`options { timeout(...) }`: returns the timeout in seconds (None without one)."""
        timeout: list[float] = []

        def option(tok: Token) -> None:
            if tok.value == "timeout":
                timeout.append(self.timeout())
            elif tok.value == "disableConcurrentBuilds":  # what this server does anyway
                self.expect("punct", "(")
                self.expect("punct", ")")
            else:
                raise self.unsupported(tok, "in `options`")

        self.block(option, "in `options`")
        return timeout[-1] if timeout else None

    def timeout(self) -> float:
        self.expect("punct", "(")
        args: dict[str, object] = {}
        if (tok := self.accept("number")) is not None:
            args["time"] = tok.value
        else:
            while True:
                key = self.expect("ident", what="a timeout argument")
                self.expect("punct", ":")
                value = self.next()
                if key.value == "time" and value.kind == "number":
                    args["time"] = value.value
                elif key.value == "unit" and value.kind == "string" and value.value.literal:  # type: ignore[union-attr]
                    args["unit"] = value.value.literal  # type: ignore[union-attr]
                else:
                    raise self.unsupported(key, "argument of `timeout` (only time: N, unit: 'UNIT')")
                if not self.accept("punct", ","):
                    break
        self.expect("punct", ")")
        unit = str(args.get("unit", "MINUTES"))
        if "time" not in args or unit not in TIME_UNITS:
            raise JenkinsfileError(f"timeout needs `time: N` and a unit among {', '.join(TIME_UNITS)}")
        return float(args["time"]) * TIME_UNITS[unit]  # type: ignore[arg-type]

    def environment(self) -> list[tuple[str, Text]]:
        values: list[tuple[str, Text]] = []

        def assignment(tok: Token) -> None:
            self.expect("punct", "=", what="`=` in `environment`")
            value = self.next()
            if value.kind != "string":
                raise self.unsupported(value, "as an environment value (only string literals)")
            values.append((str(tok.value), value.value))  # type: ignore[arg-type]

        self.block(assignment, "in `environment`")
        return values

    def stages(self) -> list[Stage]:
        stages: list[Stage] = []

        def stage(tok: Token) -> None:
            if tok.value != "stage":
                raise self.unsupported(tok, "in `stages`")
            self.expect("punct", "(")
            name = self.expect("string", what="a stage name")
            self.expect("punct", ")")
            literal = name.value.literal  # type: ignore[union-attr]
            if literal is None:
                raise self.unsupported(name, "as a stage name (only plain strings)")
            stages.append(self.stage_body(literal))

        self.block(stage, "in `stages`")
        if not stages:
            raise JenkinsfileError("No stages specified")
        return stages

    def stage_body(self, name: str) -> Stage:
        result = Stage(name=name, steps=[])
        seen: set[str] = set()

        def section(tok: Token) -> None:
            if tok.value in seen:
                raise JenkinsfileError(f"line {tok.line}: Multiple occurrences of the {tok.value} section")
            seen.add(str(tok.value))
            if tok.value == "steps":
                result.steps = self.steps()
            elif tok.value == "environment":
                result.environment = self.environment()
            elif tok.value == "options":
                result.timeout = self.options()
            else:
                raise self.unsupported(tok, f"in stage '{name}'")

        self.block(section, f"in stage '{name}'")
        if "steps" not in seen:
            raise JenkinsfileError(f"Stage '{name}' has no steps")
        return result

    def steps(self) -> list[Step]:
        steps: list[Step] = []

        def step(tok: Token) -> None:
            if tok.value not in ("sh", "echo"):
                raise self.unsupported(tok, "in `steps` (only sh and echo)")
            steps.append(Step(str(tok.value), self.step_argument(tok), tok.line))

        self.block(step, "in `steps`")
        return steps

    def step_argument(self, step: Token) -> Text:
        """`sh 'x'`, `sh('x')`, `sh(script: 'x', label: 'y')`, `echo 'x'`."""
        if (tok := self.accept("string")) is not None:
            return tok.value  # type: ignore[return-value]
        self.expect("punct", "(", what=f"an argument of `{step.value}`")
        if (tok := self.accept("string")) is not None:
            self.expect("punct", ")")
            return tok.value  # type: ignore[return-value]
        text: Text | None = None
        main = "script" if step.value == "sh" else "message"
        while True:
            key = self.expect("ident", what=f"an argument of `{step.value}`")
            self.expect("punct", ":")
            value = self.next()
            if value.kind != "string" or key.value not in (main, "label"):
                raise self.unsupported(key, f"argument of `{step.value}` (only {main}: and label:)")
            if key.value == main:
                text = value.value  # type: ignore[assignment]
            if not self.accept("punct", ","):
                break
        self.expect("punct", ")")
        if text is None:
            raise JenkinsfileError(f"line {step.line}: `{step.value}` without {main}:")
        return text


def parse(src: str) -> Pipeline:
    """Parse a Jenkinsfile; raises `Unsupported` or `JenkinsfileError`."""
    return _Parser(src).pipeline()
