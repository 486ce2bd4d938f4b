"""Syntax tree -> SQL expression text over column names (a WHERE clause or CASE WHEN).

The tree is turned into a sqlglot expression and printed in the requested dialect, so
DuckDB is the default and other engines come from sqlglot's transpiler. Parts that do
not depend on the record (``now()``, ``days_since(date('2024-01-31'))``, ``1 + 2``) are
computed in Python first, so every engine agrees with the per-record evaluator.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB

from revops.errors import ExpressionError

from . import nodes as n
from .evaluator import fold_constants
from .functions import EMAIL_DOMAIN_PATTERN, MICROS_PER_UNIT, TRIM_CHARACTERS

_COMPARISONS = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
_ARITHMETIC = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}
_SIMPLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_RESERVED = {w.lower() for w in DuckDB.Tokenizer.KEYWORDS} | {
    w.removesuffix("_p") for w in getattr(DuckDB.Generator, "RESERVED_KEYWORDS", ())
}


def to_sql(node: n.Node, now: datetime, dialect: str = "duckdb") -> str:
    return to_sqlglot(node, now).sql(dialect=dialect)


def to_sqlglot(node: n.Node, now: datetime) -> exp.Expression:
    return _SqlBuilder(now).build(fold_constants(node, now))


def column(name: str) -> exp.Column:
    quoted = not _SIMPLE_NAME.fullmatch(name) or name in _RESERVED
    return exp.column(name, quoted=quoted)


def literal(value: Any) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return exp.cast(exp.Literal.string(repr(value)), "DOUBLE")
        return exp.Literal.number(repr(value))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    raise ExpressionError(f"cannot write {value!r} as SQL")


class _SqlBuilder:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def build(self, node: n.Node) -> exp.Expression:
        match node:
            case n.Literal(value=v):
                return literal(v)
            case n.FieldRef(name=name):
                return column(name)
            case n.Not(operand=o):
                return exp.Not(this=self.operand(o, node, always=True))
            case n.Logical(op=op, left=a, right=b):
                cls = exp.And if op == "and" else exp.Or
                return cls(this=self.operand(a, node), expression=self.operand(b, node))
            case n.Comparison(op=op, left=a, right=b):
                return _COMPARISONS[op](this=self.operand(a, node, strict=True),
                                        expression=self.operand(b, node, strict=True))
            case n.Arithmetic():
                return self.arithmetic(node)
            case n.Negate(operand=o):
                return exp.Neg(this=self.operand(o, node, always=True))
            case n.InList(operand=o, items=items, negated=negated):
                built = exp.In(this=self.operand(o, node, strict=True),
                               expressions=[self.build(i) for i in items])
                return exp.Not(this=built) if negated else built
            case n.IsNull(operand=o, negated=negated):
                null = exp.Not(this=exp.Null()) if negated else exp.Null()
                return exp.Is(this=self.operand(o, node, strict=True), expression=null)
            case n.Between(operand=o, low=lo, high=hi, negated=negated):
                built = exp.Between(this=self.operand(o, node, strict=True),
                                    low=self.operand(lo, node, strict=True),
                                    high=self.operand(hi, node, strict=True))
                return exp.Not(this=built) if negated else built
            case n.Like(operand=o, pattern=p, case_insensitive=ci, negated=negated):
                cls = exp.ILike if ci else exp.Like
                built = cls(this=self.operand(o, node, strict=True), expression=self.operand(p, node, strict=True))
                return exp.Not(this=built) if negated else built
            case n.Call():
                return self.call(node)
        raise TypeError(f"not an expression node: {node!r}")

    def operand(self, child: n.Node, parent: n.Node, *, strict: bool = False,
                always: bool = False) -> exp.Expression:
        """The child, in parentheses when it binds less tightly than its parent
        (``always``: whenever it is not a single value, a field or a call)."""
        built = self.build(child)
        prec, parent_prec = n.precedence(child), n.precedence(parent)
        if isinstance(built, exp.Literal) and always and built.this.startswith("-"):
            return exp.Paren(this=built)
        if prec == 9:
            return built
        weaker = prec < parent_prec or (strict and prec == parent_prec)
        return exp.Paren(this=built) if (weaker or always) else built

    def arithmetic(self, node: n.Arithmetic) -> exp.Expression:
        a = self.number(self.operand(node.left, node))
        b = self.number(self.operand(node.right, node, strict=node.op in "-/"))
        if node.op == "/":
            return exp.Div(this=a, expression=exp.Nullif(this=b, expression=exp.Literal.number(0)),
                           typed=False, safe=False)
        return _ARITHMETIC[node.op](this=a, expression=b)

    @staticmethod
    def number(built: exp.Expression) -> exp.Expression:
        """Decimal literals as DOUBLE where they are computed with (not merely compared), as
        SQL engines would otherwise compute in exact DECIMAL, unlike Python's floats."""
        if isinstance(built, exp.Literal) and not built.is_string and not built.is_int:
            return exp.cast(built, "DOUBLE")
        if isinstance(built, exp.Neg) and isinstance(built.this, exp.Literal) \
                and not built.this.is_string and not built.this.is_int:  # -0.1 is written Neg(0.1)
            return exp.cast(built, "DOUBLE")
        return built

    def call(self, node: n.Call) -> exp.Expression:
        name = node.name
        args = [self.number(self.build(a)) for a in node.args]
        now = literal(self.now)
        match name:
            case "days_since" | "hours_since" | "minutes_since":
                return _per_unit(exp.DateDiff(this=now, expression=exp.cast(args[0], "TIMESTAMP"),
                                              unit=exp.var("MICROSECOND")), name)
            case "days_until":
                return _per_unit(exp.DateDiff(this=exp.cast(args[0], "TIMESTAMP"), expression=now,
                                              unit=exp.var("MICROSECOND")), name)
            case "lower":
                return exp.Lower(this=args[0])
            case "upper":
                return exp.Upper(this=args[0])
            case "trim":
                return exp.Trim(this=args[0], expression=exp.Literal.string(TRIM_CHARACTERS))
            case "length":
                return exp.Length(this=args[0])
            case "coalesce":
                return exp.Coalesce(this=args[0], expressions=args[1:])
            case "contains":
                return exp.Contains(this=args[0], expression=args[1])
            case "starts_with":
                return exp.StartsWith(this=args[0], expression=args[1])
            case "ends_with":
                return exp.EndsWith(this=args[0], expression=args[1])
            case "matches":
                return exp.RegexpLike(this=args[0], expression=args[1])
            case "email_domain":
                domain = exp.Lower(this=exp.RegexpExtract(
                    this=args[0], expression=exp.Literal.string(EMAIL_DOMAIN_PATTERN),
                    group=exp.Literal.number(1)))
                has_at = exp.Contains(this=args[0], expression=exp.Literal.string("@"))
                return exp.Case(ifs=[exp.If(this=has_at, true=domain)])
            case "abs":
                return exp.Abs(this=args[0])
            case "round":
                return exp.Round(this=args[0], decimals=args[1] if len(args) > 1 else None)
            case "least":
                return exp.Least(this=args[0], expressions=args[1:], ignore_nulls=True)
            case "greatest":
                return exp.Greatest(this=args[0], expressions=args[1:], ignore_nulls=True)
            case "date":
                return exp.cast(args[0], "DATE")
            case "timestamp":
                return exp.cast(args[0], "TIMESTAMP")
        raise ExpressionError(f"{name}() has no SQL translation")


def _per_unit(micros: exp.Expression, name: str) -> exp.Expression:
    """Microseconds as fractional days/hours/minutes, in parentheses as it stands for a call."""
    unit = exp.Literal.number(MICROS_PER_UNIT[name])
    return exp.Paren(this=exp.Div(this=micros, expression=unit, typed=False, safe=False))
