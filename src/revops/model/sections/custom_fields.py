"""`custom_fields`: the fields a company adds to its CRM records, declared per table.

    custom_fields:
      opportunities:
        - name: economic_buyer
          type: string
          description: MEDDICC E, the person who signs off the budget.

A declared field is a field of its table for every expression, ``required_fields`` and
hygiene rule of the model, type-checked against its declared type. In the store it is a
custom column (``_custom_fields``), added by the first ingest or deal move that sets it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from revops.model.sections.base import Key, Section

CUSTOM_FIELD_TYPES: tuple[str, ...] = ("string", "integer", "number", "boolean", "date", "timestamp")
"""The types a custom field may be declared with: those of the canonical fields."""

_SPELLINGS = {
    "text": "string", "str": "string", "varchar": "string", "char": "string", "picklist": "string",
    "int": "integer", "bigint": "integer", "whole": "integer", "long": "integer",
    "float": "number", "double": "number", "decimal": "number", "numeric": "number", "currency": "number",
    "percent": "number", "real": "number",
    "bool": "boolean", "checkbox": "boolean", "flag": "boolean",
    "datetime": "timestamp", "time": "timestamp",
}
"""Words CRMs use for a type, pointed at the one revops reads (a hint, not an alias)."""


def _check_type(value: str) -> str:
    if value in CUSTOM_FIELD_TYPES:
        return value
    meant = _SPELLINGS.get(value.strip().lower())
    if meant is None and value.strip().lower() in CUSTOM_FIELD_TYPES:
        meant = value.strip().lower()
    hint = f"; did you mean {meant!r}?" if meant else ""
    raise ValueError(f"unknown type {value!r}; a custom field is one of {', '.join(CUSTOM_FIELD_TYPES)}{hint}")


CustomFieldType = Annotated[str, AfterValidator(_check_type),
                            WithJsonSchema({"type": "string", "enum": list(CUSTOM_FIELD_TYPES)})]


class CustomField(Section):
    name: Key
    """Column name in the store and field name in expressions (lower_snake_case)."""
    type: CustomFieldType
    """string, integer, number, boolean, date or timestamp: how values are typed on ingest and on
    `revops deal move --set`, and what expressions may compare the field with."""
    description: str = ""
