"""``Expression``: one parsed criterion or condition of the revenue model, and ``parse``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from revops.errors import ExpressionError
from revops.store.schema import FieldType

from . import nodes as n
from .checker import ExpressionIssue, TypeChecker
from .evaluator import compile_condition, compile_node, is_boolean_node
from .functions import TIME_FUNCTIONS
from .parser import format_message, parse_tree
from .values import normalise, utc_now

if TYPE_CHECKING:
    import ibis.expr.types as ir


@lru_cache(maxsize=4096)
def parse(text: str) -> Expression:
    """Parse an expression of the model's language; raises ExpressionError with a pointer."""
    return Expression(text, parse_tree(text))


class Expression:
    """A parsed expression: check it against fields, evaluate it per record, or compile it
    for a whole table (Ibis or SQL text). Instances are immutable and shared by ``parse``."""

    __slots__ = ("text", "tree", "fields", "_canonical", "_uses_now", "_value", "_condition")

    def __init__(self, text: str, tree: n.Node) -> None:
        self.text = text
        self.tree = tree
        self.fields: frozenset[str] = frozenset(
            node.name for node in n.walk(tree) if isinstance(node, n.FieldRef))
        self._canonical = n.render(tree)  # equal meaning, equal text: "x=1" == "x = 1"
        self._uses_now = any(isinstance(node, n.Call) and node.name in TIME_FUNCTIONS
                             for node in n.walk(tree))
        self._value = compile_node(tree)
        self._condition = compile_condition(tree)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other._canonical == self._canonical

    def __hash__(self) -> int:
        return hash(self._canonical)

    @property
    def is_condition(self) -> bool:
        """True when the expression is true/false by its form (a comparison, and/or, ...)."""
        return is_boolean_node(self.tree)

    # -- static checks --------------------------------------------------------------------

    def check(self, fields: Mapping[str, FieldType], *, expect_boolean: bool = True) -> list[ExpressionIssue]:
        """Issues found against the record's fields (name -> type); empty when all is well."""
        checker = TypeChecker(fields)
        checker.check(self.tree, expect_boolean)
        return checker.issues

    def result_type(self, fields: Mapping[str, FieldType]) -> FieldType | None:
        """The type of the value, or None when unknown (null, unknown fields, type errors)."""
        checker = TypeChecker(fields)
        result = checker.check(self.tree, expect_boolean=False)
        return None if any(i.severity == "error" for i in checker.issues) else result

    def describe(self, issue: ExpressionIssue) -> str:
        """An issue's message followed by the expression and a caret at its position."""
        return format_message(self.text, issue.message, issue.position)

    # -- per record -----------------------------------------------------------------------

    def evaluate(self, record: Mapping[str, Any], now: datetime | None = None) -> Any:
        """The value for one record (a missing field is null); None stands for null."""
        now = self._now(now)
        try:
            return self._value(record, now)
        except ExpressionError as error:
            raise self._error(error) from None
        except (TypeError, ValueError, OverflowError) as error:
            raise self._error(error) from error

    def matches(self, record: Mapping[str, Any], now: datetime | None = None) -> bool:
        """True only when the condition is true for the record (null counts as false)."""
        now = self._now(now)
        try:
            return self._condition(record, now) is True
        except ExpressionError as error:
            raise self._error(error) from None
        except (TypeError, ValueError, OverflowError) as error:
            raise self._error(error) from error

    def _now(self, now: datetime | None) -> datetime | None:
        if now is None:
            return utc_now() if self._uses_now else None
        if now.__class__ is datetime and now.tzinfo is None:
            return now
        if not isinstance(now, datetime) and isinstance(now, date):
            return datetime(now.year, now.month, now.day)
        return normalise(now)

    def _error(self, error: Exception) -> ExpressionError:
        message = f"cannot evaluate '{self.text}': {error}"
        return ExpressionError(message, self.text, getattr(error, "position", None))

    # -- whole tables ---------------------------------------------------------------------

    def to_ibis(self, table: ir.Table, now: datetime | None = None) -> ir.Value:
        """An Ibis value over ``table`` (its columns named like the fields)."""
        from .ibis_compiler import to_ibis

        return to_ibis(self.tree, table, self._now(now) or utc_now())

    def to_sql(self, now: datetime | None = None, dialect: str = "duckdb") -> str:
        """A SQL expression over column names, e.g. for WHERE or CASE WHEN in DuckDB."""
        from .sql import to_sql

        return to_sql(self.tree, self._now(now) or utc_now(), dialect)
