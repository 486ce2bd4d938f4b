"""Static checks of an expression against the fields of a record: unknown fields
(with a suggestion), type errors, conditions that are not true/false. Issues are
returned, never raised, so a model validator can report them all at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal as Kind

from revops.store.schema import FieldType

from . import nodes as n
from .functions import FUNCTIONS, ParamKind
from .values import type_name

NUMERIC = frozenset({"integer", "number"})
TEMPORAL = frozenset({"date", "timestamp"})


@dataclass(frozen=True)
class ExpressionIssue:
    message: str
    severity: Kind["error", "warning"]
    position: int | None


def comparable(a: FieldType, b: FieldType) -> bool:
    return a == b or (a in NUMERIC and b in NUMERIC) or (a in TEMPORAL and b in TEMPORAL)


def common_type(types: Iterable[FieldType | None]) -> FieldType | None:
    """The type shared by values of these types (None when unknown or incompatible)."""
    known = {t for t in types if t is not None}
    if not known:
        return None
    if known <= NUMERIC:
        return "number" if "number" in known else "integer"
    if known <= TEMPORAL:
        return "timestamp" if "timestamp" in known else "date"
    return known.pop() if len(known) == 1 else None


def literal_type(value: object) -> FieldType | None:
    """The language's type of a literal; None for null (and for nothing the language has)."""
    if value is None:
        return None
    name = type_name(value)
    return name if name in ("boolean", "integer", "number", "string", "timestamp", "date") else None  # type: ignore[return-value]


_KIND_ACCEPTS: dict[ParamKind, frozenset[str]] = {
    "temporal": TEMPORAL,
    "string": frozenset({"string"}),
    "numeric": NUMERIC,
    "integer": frozenset({"integer"}),
    "date_source": TEMPORAL | {"string"},
}
_KIND_WORDS = {
    "temporal": "a date or timestamp", "string": "text", "numeric": "a number",
    "integer": "a whole number", "date_source": "text, a date or a timestamp",
}
_TIME_WORDS = {"now": "now()", "today": "today()", "current_date": "today()",
               "current_timestamp": "now()"}


class TypeChecker:
    """Infers the type of every node and collects issues on the way."""

    def __init__(self, fields: Mapping[str, FieldType]) -> None:
        self.fields = fields
        self.issues: list[ExpressionIssue] = []

    def error(self, message: str, node: n.Node) -> None:
        self.issues.append(ExpressionIssue(message, "error", node.position))

    def warning(self, message: str, node: n.Node) -> None:
        self.issues.append(ExpressionIssue(message, "warning", node.position))

    def check(self, root: n.Node, expect_boolean: bool) -> FieldType | None:
        result = self.type_of(root)
        if expect_boolean and result not in (None, "boolean"):
            self.error(f"a condition must be true or false, but `{n.render(root)}` gives "
                       f"{_a(result)}; compare it, e.g. `{n.render(root)} > 0`", root)
        return result

    def type_of(self, node: n.Node) -> FieldType | None:
        match node:
            case n.Literal(value=v):
                return literal_type(v)
            case n.FieldRef():
                return self.field(node)
            case n.Not(operand=o):
                self.expect_boolean(o, "not")
                return "boolean"
            case n.Logical(op=op, left=a, right=b):
                self.expect_boolean(a, op)
                self.expect_boolean(b, op)
                return "boolean"
            case n.Comparison(op=op, left=a, right=b):
                self.comparison(node, op, a, b)
                return "boolean"
            case n.Arithmetic(op=op, left=a, right=b):
                ta, tb = self.numeric(a, op), self.numeric(b, op)
                if ta is None or tb is None:
                    return "number" if op == "/" else None
                return "integer" if op != "/" and ta == tb == "integer" else "number"
            case n.Negate(operand=o):
                return self.numeric(o, "-")
            case n.InList(operand=o, items=items, negated=negated):
                for item in items:
                    self.comparison(node, "in", o, item, warn_null=False)
                if negated and any(_is_null(i) for i in items):
                    self.warning("`not in` with null in the list is never true (SQL null logic); "
                                 "remove the null", node)
                return "boolean"
            case n.IsNull(operand=o):
                self.type_of(o)
                return "boolean"
            case n.Between(operand=o, low=lo, high=hi):
                self.comparison(node, "between", o, lo)
                self.comparison(node, "between", o, hi, check_left=False)
                return "boolean"
            case n.Like(operand=o, pattern=p, case_insensitive=ci):
                word = "ilike" if ci else "like"
                for side in (o, p):
                    t = self.type_of(side)
                    if t not in (None, "string"):
                        self.error(f"`{word}` works on text, but `{n.render(side)}` is {_a(t)}", side)
                return "boolean"
            case n.Call():
                return self.call(node)
        raise TypeError(f"not an expression node: {node!r}")

    def field(self, node: n.FieldRef) -> FieldType | None:
        if node.name in self.fields:
            return self.fields[node.name]
        if node.quoted:
            self.error(f'"{node.name}" is read as a field name because of the double quotes, and '
                       f"there is no such field; write text in single quotes: '{node.name}'", node)
        elif node.name.lower() in _TIME_WORDS:
            self.error(f"unknown field '{node.name}'; did you mean {_TIME_WORDS[node.name.lower()]}?",
                       node)
        else:
            close = difflib.get_close_matches(node.name, list(self.fields), n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            self.error(f"unknown field '{node.name}'{hint}", node)
        return None

    def expect_boolean(self, node: n.Node, word: str) -> None:
        t = self.type_of(node)
        if t not in (None, "boolean"):
            self.error(f"`{word}` combines true/false conditions, but `{n.render(node)}` is "
                       f"{_a(t)}; compare it, e.g. `{n.render(node)} > 0`", node)

    def numeric(self, node: n.Node, op: str) -> FieldType | None:
        t = self.type_of(node)
        if t not in (None, *NUMERIC):
            self.error(f"`{op}` needs numbers, but `{n.render(node)}` is {_a(t)}", node)
            return None
        return t

    def comparison(self, at: n.Node, op: str, a: n.Node, b: n.Node,
                   *, warn_null: bool = True, check_left: bool = True) -> None:
        ta = self.type_of(a) if check_left else _silent_type(self.fields, a)
        tb = self.type_of(b)
        if warn_null and (_is_null(a) or _is_null(b)):
            hint = "; use `is null` / `is not null`" if op in ("=", "!=") else ""
            self.warning(f"`{n.render(at)}` compares with null, which is never true{hint}", at)
        if ta is None or tb is None or comparable(ta, tb):
            return
        message = (f"cannot compare `{n.render(a)}` ({ta}) with `{n.render(b)}` ({tb})")
        if ta == "string" or tb == "string":
            message += "; text must be compared with text in single quotes, e.g. 'US'"
        self.error(message, b if b.position is not None else at)

    def call(self, node: n.Call) -> FieldType | None:
        spec = FUNCTIONS[node.name]  # the parser admits only catalogue functions
        arg_types = []
        for index, arg in enumerate(node.args):
            t = self.type_of(arg)
            kind = spec.param(index)
            if t is not None and kind != "any" and t not in _KIND_ACCEPTS[kind]:
                self.error(f"{node.name}() needs {_KIND_WORDS[kind]} as argument {index + 1}, "
                           f"but `{n.render(arg)}` is {_a(t)}", arg)
            arg_types.append(t)
        if node.name == "matches" and len(node.args) == 2:
            self.pattern(node.args[1])
        if spec.result != "common":
            return spec.result
        values = arg_types[:1] if node.name == "round" else arg_types
        shared = common_type(values)
        if shared is None and len({t for t in values if t}) > 1:
            described = ", ".join(f"`{n.render(a)}` ({t})" for a, t in zip(node.args, arg_types) if t)
            self.error(f"{node.name}() needs arguments of one type, got {described}", node)
        return shared


    def pattern(self, arg: n.Node) -> None:
        """matches()' pattern: a text literal that compiles (checked with Python's re and
        DuckDB's RE2, which evaluate it in the engines and in SQL)."""
        if not isinstance(arg, n.Literal) or not isinstance(arg.value, str):
            self.error("matches() needs its pattern written as text in quotes, e.g. matches(email, '^[^@ ]+@')", arg)
            return
        problem = regex_problem(arg.value)
        if problem:
            self.error(f"matches(): {arg.value!r} is not a regular expression: {problem}", arg)


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` is no regular expression both Python and DuckDB read; None if it is."""
    import re

    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    import duckdb

    try:
        duckdb.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return None


def _silent_type(fields: Mapping[str, FieldType], node: n.Node) -> FieldType | None:
    return TypeChecker(fields).type_of(node)


def _is_null(node: n.Node) -> bool:
    return isinstance(node, n.Literal) and node.value is None


def _a(type_name: str | None) -> str:
    return f"an {type_name}" if type_name and type_name[0] in "aeiou" else f"a {type_name}"
