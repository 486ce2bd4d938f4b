"""Rules of the `data_quality` section: tables and fields exist, rules parse over the fields
the quality engine gives them, weights sum to 1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from revops.model.issues import RuleIssue
from revops.model.rules.common import duplicates, hint
from revops.model.schema import RevenueModel
from revops.model.sections.quality import QUALITY_TABLES

QUALITY_DERIVED: dict[str, dict[str, str]] = {
    "opportunities": {"is_open": "boolean", "is_won": "boolean", "age_days": "number", "days_to_close": "number",
                      "days_since_last_activity": "number"},
}
"""Fields the quality engine adds to a table's own (the rest of hygiene's derived fields need
stage history and are hygiene's)."""


def quality_fields(model: Any, table: str) -> dict[str, str]:
    """What a data-quality rule over ``table`` may read: its stored fields, the custom fields
    the model declares, and QUALITY_DERIVED."""
    from revops.model.fields import custom_field_types
    from revops.store import schema

    fields: dict[str, str] = {f.name: f.type for f in schema.table(table).fields}
    for name, ftype in custom_field_types(model, table).items():
        fields.setdefault(name, ftype)
    fields.update(QUALITY_DERIVED.get(table, {}))
    return fields


def quality_definitions(model: RevenueModel) -> Iterator[RuleIssue]:
    from revops.errors import ExpressionError
    from revops.model.expressions import parse

    dq = model.data_quality
    yield from duplicates(dq.rules, "key", ("data_quality", "rules"), "data quality rule key")
    for i, rule in enumerate(dq.rules):
        path = ("data_quality", "rules", i)
        if rule.table not in QUALITY_TABLES:
            yield RuleIssue((*path, "table"), f"data quality rules cover {', '.join(QUALITY_TABLES)}, not "
                                              f"{rule.table!r}" + hint(rule.table, QUALITY_TABLES))
            continue
        fields = quality_fields(model, rule.table)
        for attr in ("rule", "when"):
            text = getattr(rule, attr)
            if text is None:
                continue
            try:
                expression = parse(text)
            except ExpressionError as exc:
                yield RuleIssue((*path, attr), f"cannot parse {text!r}: {str(exc).splitlines()[0]}")
                continue
            for issue in expression.check(fields, expect_boolean=True):
                yield RuleIssue((*path, attr), f"in {text!r}: {issue.message}")
    for part in ("completeness", "stale_after_days"):
        for table, value in getattr(dq, part).items():
            if table not in QUALITY_TABLES:
                yield RuleIssue(("data_quality", part, table), f"unknown table {table!r}; one of "
                                f"{', '.join(QUALITY_TABLES)}" + hint(table, QUALITY_TABLES))
            elif part == "completeness":
                known = quality_fields(model, table)
                for j, name in enumerate(value):
                    if name not in known:
                        yield RuleIssue(("data_quality", part, table, j), f"{table} has no field {name!r}"
                                        + hint(name, known))
            elif value < 1:
                yield RuleIssue(("data_quality", part, table), f"stale_after_days must be at least 1, not {value}")
    w = dq.weights
    total = w.validity + w.completeness + w.uniqueness + w.freshness
    if abs(total - 1) > 0.001:
        yield RuleIssue(("data_quality", "weights"), f"data quality weights sum to {total:.3g}, not 1")
