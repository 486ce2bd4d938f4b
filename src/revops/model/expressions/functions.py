"""The catalogue of functions an expression may call: the one list the parser,
checker, evaluator and compilers agree on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from revops.store.schema import FieldType

# What a parameter accepts: "temporal" = date or timestamp, "numeric" = integer or number,
# "date_source" = string, date or timestamp, "any" = every type (arguments of one call
# must share a comparable type, e.g. coalesce(amount, 0)).
ParamKind = Literal["temporal", "string", "numeric", "integer", "date_source", "any"]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int | None  # None: any number
    params: tuple[ParamKind, ...]  # the last kind repeats for extra arguments
    result: FieldType | Literal["common"]  # "common": the shared type of the arguments
    summary: str

    def param(self, index: int) -> ParamKind:
        return self.params[min(index, len(self.params) - 1)]

    @property
    def arity(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args} argument{'s' * (self.min_args != 1)}"
        if self.min_args == self.max_args:
            return f"{self.min_args} argument{'s' * (self.min_args != 1)}"
        return f"{self.min_args} to {self.max_args} arguments"


def _spec(name, min_args, max_args, params, result, summary) -> FunctionSpec:
    return FunctionSpec(name, min_args, max_args, tuple(params), result, summary)


FUNCTIONS: dict[str, FunctionSpec] = {
    s.name: s
    for s in (
        _spec("days_since", 1, 1, ["temporal"], "number", "days from x to now, with fractions"),
        _spec("hours_since", 1, 1, ["temporal"], "number", "hours from x to now, with fractions"),
        _spec("minutes_since", 1, 1, ["temporal"], "number", "minutes from x to now, with fractions"),
        _spec("days_until", 1, 1, ["temporal"], "number", "days from now to x (negative when past)"),
        _spec("now", 0, 0, [], "timestamp", "the evaluation time (UTC)"),
        _spec("today", 0, 0, [], "date", "the date of the evaluation time (UTC)"),
        _spec("lower", 1, 1, ["string"], "string", "text in lower case"),
        _spec("upper", 1, 1, ["string"], "string", "text in upper case"),
        _spec("trim", 1, 1, ["string"], "string", "text without leading/trailing whitespace"),
        _spec("length", 1, 1, ["string"], "integer", "number of characters"),
        _spec("coalesce", 1, None, ["any"], "common", "the first argument that is not null"),
        _spec("contains", 2, 2, ["string", "string"], "boolean", "true when s contains sub"),
        _spec("starts_with", 2, 2, ["string", "string"], "boolean", "true when s starts with p"),
        _spec("ends_with", 2, 2, ["string", "string"], "boolean", "true when s ends with p"),
        _spec("email_domain", 1, 1, ["string"], "string", "lower-cased part after the last @"),
        _spec("matches", 2, 2, ["string", "string"], "boolean",
              "true when s holds a match of the regular expression p (e.g. matches(email, '^[^@ ]+@[^@ ]+[.][a-z]+$'))"),
        _spec("abs", 1, 1, ["numeric"], "common", "absolute value"),
        _spec("round", 1, 2, ["numeric", "integer"], "common", "round half away from zero to n decimals"),
        _spec("least", 1, None, ["any"], "common", "smallest non-null argument"),
        _spec("greatest", 1, None, ["any"], "common", "largest non-null argument"),
        _spec("date", 1, 1, ["date_source"], "date", "a date from 'YYYY-MM-DD' or a timestamp"),
        _spec("timestamp", 1, 1, ["date_source"], "timestamp", "a timestamp from 'YYYY-MM-DD hh:mm[:ss]' or a date"),
    )
}

TIME_FUNCTIONS = frozenset({"days_since", "hours_since", "minutes_since", "days_until", "now", "today"})

# Microseconds per unit of the *_since / *_until functions.
MICROS_PER_UNIT = {
    "days_since": 86_400_000_000,
    "hours_since": 3_600_000_000,
    "minutes_since": 60_000_000,
    "days_until": 86_400_000_000,
}

# The characters trim() removes (the same set in Python, DuckDB SQL and Ibis).
TRIM_CHARACTERS = " \t\n\r\x0b\x0c"
EMAIL_DOMAIN_PATTERN = "@([^@]*)$"
