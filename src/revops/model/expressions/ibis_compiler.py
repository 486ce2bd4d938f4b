"""Syntax tree -> Ibis value over a table, for vectorised evaluation on any Ibis backend.

Like the SQL writer, parts that do not depend on the record are computed in Python
first. Nulls are emitted as typed nulls, never compared with ``==`` (Ibis would turn
``x == NULL`` into ``x IS NULL``, which is not SQL's null logic).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from revops.errors import ExpressionError

from . import nodes as n
from .evaluator import fold_constants
from .functions import EMAIL_DOMAIN_PATTERN, FUNCTIONS, MICROS_PER_UNIT

_IBIS_TYPES = {"string": "string", "integer": "int64", "number": "float64", "boolean": "boolean",
               "date": "date", "timestamp": "timestamp"}


def to_ibis(node: n.Node, table: ir.Table, now: datetime) -> ir.Value:
    return _IbisBuilder(table, now).build(fold_constants(node, now))


def literal(value: Any) -> ir.Value:
    if value is None:
        return ibis.null()
    if isinstance(value, datetime):  # a string cast keeps every microsecond exact
        return ibis.literal(value.isoformat(sep=" ")).cast("timestamp")
    if isinstance(value, bool):
        return ibis.literal(value, type="boolean")
    if isinstance(value, int):
        return ibis.literal(value, type="int64")
    if isinstance(value, float):  # as DOUBLE, not the DECIMAL a plain 2.5 would be in SQL
        return ibis.literal(repr(value)).cast("float64")
    if isinstance(value, (str, date)):
        return ibis.literal(value)
    raise ExpressionError(f"cannot use {value!r} in an Ibis expression")


def _is_null(node: n.Node) -> bool:
    return isinstance(node, n.Literal) and node.value is None


class _IbisBuilder:
    def __init__(self, table: ir.Table, now: datetime) -> None:
        self.table = table
        self.now = now

    def build(self, node: n.Node) -> ir.Value:
        try:
            return self._build(node)
        except ExpressionError:
            raise
        except Exception as error:  # Ibis type errors: name the part of the expression
            raise ExpressionError(f"cannot translate '{n.render(node)}' to Ibis: {error}") from error

    def _build(self, node: n.Node) -> ir.Value:
        match node:
            case n.Literal(value=v):
                return literal(v)
            case n.FieldRef(name=name):
                return self.column(name)
            case n.Not(operand=o):
                return ~self.condition(o)
            case n.Logical(op=op, left=a, right=b):
                a, b = self.condition(a), self.condition(b)
                return (a & b) if op == "and" else (a | b)
            case n.Comparison(op=op, left=a, right=b):
                return self.comparison(op, a, b)
            case n.Arithmetic():
                return self.arithmetic(node)
            case n.Negate(operand=o):
                return -self.build(o)
            case n.InList(operand=o, items=items, negated=negated):
                value = self.build(o)
                values = [i.value if isinstance(i, n.Literal) else self.build(i) for i in items]
                return value.notin(values) if negated else value.isin(values)
            case n.IsNull(operand=o, negated=negated):
                value = self.build(o)
                return value.notnull() if negated else value.isnull()
            case n.Between(operand=o, low=lo, high=hi, negated=negated):
                if _is_null(lo) or _is_null(hi):
                    result = self.comparison(">=", o, lo) & self.comparison("<=", o, hi)
                else:
                    result = self.build(o).between(self.build(lo), self.build(hi))
                return ~result if negated else result
            case n.Like(operand=o, pattern=p, case_insensitive=ci, negated=negated):
                if _is_null(o) or _is_null(p):
                    return ibis.null("boolean")
                value, pattern = self.build(o), self.build(p)
                result = value.ilike(pattern) if ci else value.like(pattern)
                return ~result if negated else result
            case n.Call():
                return self.call(node)
        raise TypeError(f"not an expression node: {node!r}")

    def column(self, name: str) -> ir.Value:
        if name not in self.table.columns:
            raise ExpressionError(f"the table has no column '{name}'; its columns are: "
                                  f"{', '.join(self.table.columns)}")
        return self.table[name]

    def condition(self, node: n.Node) -> ir.BooleanValue:
        if _is_null(node):
            return ibis.null("boolean")
        value = self.build(node)
        return value if value.type().is_boolean() else value.cast("boolean")

    def comparison(self, op: str, a: n.Node, b: n.Node) -> ir.BooleanValue:
        if _is_null(a) or _is_null(b):
            return ibis.null("boolean")
        left, right = self.build(a), self.build(b)
        match op:
            case "=":
                return left == right
            case "!=":
                return left != right
            case "<":
                return left < right
            case "<=":
                return left <= right
            case ">":
                return left > right
        return left >= right

    def arithmetic(self, node: n.Arithmetic) -> ir.NumericValue:
        if _is_null(node.left) or _is_null(node.right):
            return ibis.null("float64")
        a, b = self.build(node.left), self.build(node.right)
        # Compute in DOUBLE as soon as a float is involved, like Python (not DECIMAL).
        if node.op == "/" or a.type().is_floating() or b.type().is_floating() \
                or a.type().is_decimal() or b.type().is_decimal():
            a, b = (v if v.type().is_floating() else v.cast("float64") for v in (a, b))
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        return a / b.nullif(0)

    def call(self, node: n.Call) -> ir.Value:
        name = node.name
        if name in ("coalesce", "least", "greatest"):  # nulls are skipped by these anyway
            args = [self.build(a) for a in node.args if not _is_null(a)]
            if not args:
                return ibis.null()
            if len(args) == 1:
                return args[0]
            return {"coalesce": ibis.coalesce, "least": ibis.least, "greatest": ibis.greatest}[name](*args)
        if any(_is_null(a) for a in node.args):
            return ibis.null(_IBIS_TYPES.get(FUNCTIONS[name].result, "float64"))
        args = [self.build(a) for a in node.args]
        x = args[0]
        match name:
            case "days_since" | "hours_since" | "minutes_since":
                return literal(self.now).delta(self.timestamp(x), unit="microsecond") / MICROS_PER_UNIT[name]
            case "days_until":
                return self.timestamp(x).delta(literal(self.now), unit="microsecond") / MICROS_PER_UNIT[name]
            case "lower":
                return x.lower()
            case "upper":
                return x.upper()
            case "trim":
                return x.strip()
            case "length":
                return x.length()
            case "contains":
                return x.contains(args[1])
            case "starts_with":
                return x.startswith(args[1])
            case "ends_with":
                return x.endswith(args[1])
            case "matches":
                return x.re_search(args[1])
            case "email_domain":
                domain = x.re_extract(EMAIL_DOMAIN_PATTERN, 1).lower()
                return ibis.ifelse(x.contains("@"), domain, ibis.null("string"))
            case "abs":
                return x.abs()
            case "round":
                return x.round(node.args[1].value if len(node.args) > 1 else 0)
            case "date":
                return x if x.type().is_date() else x.cast("date")
            case "timestamp":
                return self.timestamp(x)
        raise ExpressionError(f"{name}() has no Ibis translation")

    @staticmethod
    def timestamp(value: ir.Value) -> ir.TimestampValue:
        return value if value.type().is_timestamp() else value.cast("timestamp")
