"""Runtime value rules shared by the per-record evaluator: normalising record values,
SQL-like comparison, LIKE patterns, rounding and time differences."""

from __future__ import annotations

import math
import operator
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from revops.errors import ExpressionError

# Classes whose instances need no normalisation.
PLAIN = frozenset({type(None), str, int, bool, date})
NUMBERS = frozenset({int, float})
TEMPORAL = frozenset({date, datetime})
ONE_MICROSECOND = timedelta(microseconds=1)

COMPARE = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def normalise(value: Any) -> Any:
    """A record value as one of None, str, int, float, bool, date, naive-UTC datetime.

    NaN, pandas NaT and pandas NA become None; numpy and Decimal numbers become Python ones.
    """
    cls = value.__class__
    if cls in PLAIN:
        return value
    if cls is float:
        return None if value != value else value
    if isinstance(value, datetime):  # also pandas.Timestamp and NaT
        if value != value:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        if cls is not datetime:
            value = datetime(value.year, value.month, value.day, value.hour,
                             value.minute, value.second, value.microsecond)
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):  # int subclasses such as IntEnum (bool is plain)
        return int(value)
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, (float, Decimal)):
        value = float(value)
        return None if value != value else value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return normalise(item())
    try:
        if value != value:
            return None
    except TypeError:  # pandas.NA refuses to be a boolean
        return None
    return value


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, date):
        return "date"
    return type(value).__name__


def as_datetime(value: Any) -> datetime:
    """A date or timestamp as a naive datetime (a date is its midnight)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise ExpressionError(f"expected a date or timestamp, got {value!r} ({type_name(value)})")


def compare_mixed(op: str, a: Any, b: Any) -> bool | None:
    """Compare values of different Python classes like SQL does, or raise."""
    a, b = normalise(a), normalise(b)
    if a is None or b is None:
        return None
    ca, cb = a.__class__, b.__class__
    if ca is cb or (ca in NUMBERS and cb in NUMBERS):
        return COMPARE[op](a, b)
    if ca in TEMPORAL and cb in TEMPORAL:
        return COMPARE[op](as_datetime(a), as_datetime(b))
    raise ExpressionError(
        f"cannot compare {a!r} ({type_name(a)}) with {b!r} ({type_name(b)})"
    )


def equal(a: Any, b: Any) -> bool | None:
    """SQL equality with null: None when either side is null."""
    if a is None or b is None:
        return None
    if a.__class__ is b.__class__:
        return a == b
    return compare_mixed("=", a, b)


def and3(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def not3(a: bool | None) -> bool | None:
    return None if a is None else not a


def truth(value: Any) -> bool | None:
    """A value used as a condition: booleans as they are, numbers non-zero, null null."""
    value = normalise(value)
    if value is None or value.__class__ is bool:
        return value
    if value.__class__ in NUMBERS:
        return value != 0
    raise ExpressionError(f"{value!r} ({type_name(value)}) is not true/false")


@lru_cache(maxsize=1024)
def like_regex(pattern: str, case_insensitive: bool) -> re.Pattern[str]:
    """The regular expression of a SQL LIKE pattern: % any text, _ one character, no escape."""
    if case_insensitive:
        pattern = pattern.lower()
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.DOTALL)


def require_string(value: Any, where: str) -> str:
    if value.__class__ is str:
        return value
    value = normalise(value)
    if isinstance(value, str):
        return value
    raise ExpressionError(f"{where} needs text, got {value!r} ({type_name(value)})")


def require_number(value: Any, where: str) -> int | float:
    if value.__class__ in NUMBERS:
        return value
    value = normalise(value)
    if value.__class__ in NUMBERS:
        return value
    raise ExpressionError(f"{where} needs a number, got {value!r} ({type_name(value)})")


def round_half_away(value: int | float, digits: int = 0) -> int | float:
    """Round like DuckDB: half away from zero on value * 10**digits."""
    if isinstance(value, int):
        if digits >= 0:
            return value
        step = 10 ** -digits
        return int(_round_half_away(value / step) * step)

    if digits == 0:
        return _round_half_away(value)
    if digits > 0:
        modifier = 10.0 ** digits
        rounded = _round_half_away(value * modifier) / modifier
    else:
        modifier = 10.0 ** -digits
        rounded = _round_half_away(value / modifier) * modifier
    return value if math.isinf(rounded) or math.isnan(rounded) else rounded


def _round_half_away(y: float) -> float:
    if math.isinf(y) or math.isnan(y):
        return y
    if y < 0:
        return -_round_half_away(-y)
    floor = math.floor(y)
    return float(floor + 1 if y - floor >= 0.5 else floor)


def micros_between(start: Any, end: datetime) -> int:
    """Whole microseconds from start (a date or timestamp) to end."""
    if start.__class__ is not datetime:
        start = as_datetime(normalise(start))
    return (end - start) // ONE_MICROSECOND


def parse_date(text: str) -> date:
    """'YYYY-MM-DD' (a timestamp text gives its date, as a SQL cast does)."""
    text = text.strip()
    try:
        return date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text).date()
    except ValueError:
        raise ExpressionError(f"{text!r} is not a date; write it as 'YYYY-MM-DD'") from None


def parse_timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ExpressionError(
            f"{text!r} is not a timestamp; write it as 'YYYY-MM-DD hh:mm[:ss]'"
        ) from None
    return normalise(value)
