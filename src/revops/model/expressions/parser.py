"""Text -> typed syntax tree, through sqlglot and a strict whitelist of node types.

sqlglot only tokenises and parses; nothing is ever executed. Every sqlglot node is
either translated to one of our nodes or rejected with an ExpressionError that shows
the expression and points at the offending part.
"""

from __future__ import annotations

import difflib
from typing import NoReturn

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError, TokenError

from revops.errors import ExpressionError

from . import nodes as n
from .functions import FUNCTIONS
from .values import parse_date, parse_timestamp


class _ExpressionDialect(DuckDB):
    """DuckDB syntax where every call stays a plain named call (``exp.Anonymous``),
    so function names are checked against our catalogue, not sqlglot's."""

    class Parser(DuckDB.Parser):
        FUNCTIONS: dict = {}
        FUNCTION_PARSERS: dict = {}
        NO_PAREN_FUNCTIONS: dict = {}


_COMPARISONS = {exp.EQ: "=", exp.NEQ: "!=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
_ARITHMETIC = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}

# Friendly reasons for constructs people try; anything else not handled is rejected too.
_REJECTED = {
    exp.Query: "queries (SELECT ...) are not allowed in a condition",
    exp.Subquery: "subqueries are not allowed in a condition",
    exp.Block: "only one expression is allowed; remove the ';' and what follows",
    exp.Alias: "two values side by side; is an operator (=, and, or ...) missing?",
    exp.Cast: "casts are not supported; use date('YYYY-MM-DD') or timestamp('YYYY-MM-DD hh:mm')",
    exp.Star: "'*' is not allowed in a condition",
    exp.Window: "window functions (OVER ...) are not allowed",
    exp.Placeholder: "parameters ($1, ?) are not allowed; write the value",
    exp.IntDiv: "'//' is not supported; use '/' (and round(x) if needed)",
    exp.Mod: "'%' (modulo) is not supported",
    exp.DPipe: "'||' is not supported; use contains(), starts_with() or ends_with()",
    exp.Case: "CASE is not supported; combine conditions with and / or",
    exp.Tuple: "a list of values is only allowed after 'in'",
    exp.Escape: "LIKE ... ESCAPE is not supported",
    exp.PropertyEQ: "assignments are not allowed",
    exp.Interval: "intervals are not supported; use days_since(x) > n",
}


def parse_tree(text: str) -> n.Node:
    """Parse an expression to our syntax tree, or raise ExpressionError."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty", str(text or ""), 0)
    try:
        tree = sqlglot.parse_one(text, read=_ExpressionDialect)
    except TokenError:
        _fail(text, f"cannot read the expression ({_token_hint(text)})", _unclosed_quote(text))
    except ParseError as error:
        _fail(text, f"cannot parse the expression: {_parse_reason(error)}", _parse_position(text, error))
    if tree is None:
        _fail(text, "the expression is empty", 0)
    return _Translator(text).node(tree)


class _Translator:
    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, message: str, tree: exp.Expression) -> NoReturn:
        _fail(self.text, message, _start(tree))

    def node(self, tree: exp.Expression) -> n.Node:
        pos = _start(tree)
        cls = type(tree)
        if cls is exp.Paren:
            return self.node(tree.this)
        if cls in (exp.And, exp.Or):
            op = "and" if cls is exp.And else "or"
            return n.Logical(op, self.node(tree.this), self.node(tree.expression), position=pos)
        if cls is exp.Not:
            return self.negated(tree.this, pos)
        if cls in _COMPARISONS:
            return n.Comparison(_COMPARISONS[cls], self.node(tree.this), self.node(tree.expression), position=pos)
        if cls in _ARITHMETIC:
            return n.Arithmetic(_ARITHMETIC[cls], self.node(tree.this), self.node(tree.expression), position=pos)
        if cls is exp.Neg:
            inner = self.node(tree.this)
            if isinstance(inner, n.Literal) and type(inner.value) in (int, float):
                return n.Literal(-inner.value, position=pos)
            return n.Negate(inner, position=pos)
        if cls is exp.In:
            return self.in_list(tree, pos)
        if cls is exp.Is:
            if isinstance(tree.expression, exp.Null):
                return n.IsNull(self.node(tree.this), position=pos)
            self.fail("only 'is null' and 'is not null' are supported; for booleans write x = true", tree)
        if cls is exp.Between:
            if tree.args.get("symmetric"):
                self.fail("BETWEEN SYMMETRIC is not supported", tree)
            return n.Between(self.node(tree.this), self.node(tree.args["low"]), self.node(tree.args["high"]),
                             position=pos)
        if cls in (exp.Like, exp.ILike):
            return n.Like(self.node(tree.this), self.node(tree.expression), cls is exp.ILike, position=pos)
        if cls is exp.Column:
            return self.field(tree)
        if cls is exp.Literal:
            return n.Literal(_literal_value(tree), position=pos)
        if cls is exp.Boolean:
            return n.Literal(bool(tree.this), position=pos)
        if cls is exp.Null:
            return n.Literal(None, position=pos)
        if cls is exp.Anonymous:
            return self.call(tree, pos)
        for rejected, reason in _REJECTED.items():
            if isinstance(tree, rejected):
                self.fail(reason, tree.args.get("alias") if cls is exp.Alias else tree)
        self.fail(f"'{tree.sql(dialect='duckdb')}' is not supported in a condition", tree)

    def negated(self, inner: exp.Expression, pos: int | None) -> n.Node:
        node = self.node(inner)
        match node:
            case n.InList() | n.IsNull() | n.Between() | n.Like() if not isinstance(inner, exp.Paren):
                return _with_negated(node)
        return n.Not(node, position=pos)

    def in_list(self, tree: exp.In, pos: int | None) -> n.Node:
        if tree.args.get("query") or tree.args.get("unnest") or tree.args.get("field"):
            self.fail("'in' needs a list of values, e.g. country in ('US', 'CA')", tree)
        items = tree.expressions
        if not items:
            self.fail("'in ()' needs at least one value, e.g. country in ('US', 'CA')", tree)
        return n.InList(self.node(tree.this), tuple(self.node(i) for i in items), position=pos)

    def field(self, tree: exp.Column) -> n.Node:
        if tree.args.get("table") or not isinstance(tree.this, exp.Identifier):
            self.fail(f"'{tree.sql()}': write a field name without a table (no dots)", tree)
        ident = tree.this
        return n.FieldRef(ident.name, bool(ident.quoted), position=_start(tree))

    def call(self, tree: exp.Anonymous, pos: int | None) -> n.Node:
        name = str(tree.this).lower()
        spec = FUNCTIONS.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
            hint = f"did you mean {close[0]}()? " if close else ""
            known = ", ".join(sorted(FUNCTIONS))
            self.fail(f"unknown function '{tree.this}'; {hint}the functions are: {known}", tree)
        args = tuple(self.node(a) for a in tree.expressions)
        if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
            self.fail(f"{name}() takes {spec.arity}, got {len(args)}", tree)
        if name == "round" and len(args) == 2:
            if not (isinstance(args[1], n.Literal) and type(args[1].value) is int):
                self.fail("round(x, n): n must be a whole number written out, e.g. round(amount, 2)", tree)
        if name in ("date", "timestamp") and isinstance(args[0], n.Literal) and isinstance(args[0].value, str):
            try:
                value = parse_date(args[0].value) if name == "date" else parse_timestamp(args[0].value)
            except ExpressionError as error:
                _fail(self.text, str(error), args[0].position)
            return n.Literal(value, position=pos)
        return n.Call(name, args, position=pos)


def _with_negated(node: n.Node) -> n.Node:
    kwargs = {f: getattr(node, f) for f in node.__dataclass_fields__ if f != "negated"}
    return type(node)(**kwargs, negated=not node.negated)


def _literal_value(tree: exp.Literal) -> int | float | str:
    if tree.is_string:
        return tree.this
    text = tree.this
    try:
        return int(text)
    except ValueError:
        return float(text)


def _start(tree: exp.Expression) -> int | None:
    """Offset of the first character of the node's text, from sqlglot's token metadata."""
    starts = []
    for node in tree.walk():
        meta = node.meta if node._meta else {}
        if "start" in meta:
            starts.append(meta["start"])
    if isinstance(tree, (exp.Paren, exp.Tuple)) and starts:
        return max(0, min(starts) - 1)
    return min(starts) if starts else None


def _fail(text: str, message: str, position: int | None) -> NoReturn:
    raise ExpressionError(format_message(text, message, position), text, position)


def format_message(text: str, message: str, position: int | None) -> str:
    """``message`` followed by the expression and a caret under ``position``."""
    lines = [message, f"  {text}"]
    if position is not None and "\n" not in text:
        lines.append("  " + " " * position + "^")
    return "\n".join(lines)


def _parse_reason(error: ParseError) -> str:
    details = error.errors[0] if error.errors else {}
    description = details.get("description") or str(error).split(".")[0]
    if "Required keyword" in description or "Expected" in description:
        return "something is missing (an operator or a value?)"
    if "Invalid expression / Unexpected token" in description:
        return f"unexpected '{details.get('highlight', '')}' (is an operator missing before it?)"
    return description


def _parse_position(text: str, error: ParseError) -> int | None:
    if not error.errors:
        return None
    details = error.errors[0]
    line, col = details.get("line"), details.get("col")
    if not line or not col:
        return None
    offset = sum(len(row) + 1 for row in text.split("\n")[: line - 1]) + col - 1
    highlight = details.get("highlight") or ""
    return max(0, min(len(text) - 1, offset - max(len(highlight) - 1, 0)))


def _unclosed_quote(text: str) -> int | None:
    for quote in ("'", '"'):
        if text.count(quote) % 2:
            return text.rfind(quote)
    return None


def _token_hint(text: str) -> str:
    if _unclosed_quote(text) is not None:
        return "a quote is not closed"
    return "unexpected characters"
