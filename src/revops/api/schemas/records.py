"""Stored records as the read endpoints answer them, typed from the store's canonical tables
(``revops.store.schema``), so the OpenAPI document describes exactly the columns the store keeps.

Every column but the key may be null; custom columns (revops.yaml ``custom_fields``) come along
as extra properties. ``Page[T]`` is a list answer: ``items`` and ``next``, the cursor of the
following page (null on the last).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from revops.store import schema

_PY_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool,
                             "date": date, "timestamp": datetime}


class StoredRecord(BaseModel):
    model_config = ConfigDict(extra="allow")


def record_model(table: str, name: str, *, required: tuple[str, ...] = (), **more: Any) -> type[BaseModel]:
    """A response model of one row of ``table``: its key (and ``required``) present, the rest nullable."""
    spec = schema.table(table)
    keys = {spec.fields[0].name, *required}
    fields: dict[str, Any] = {}
    for f in spec.fields:
        py = _PY_TYPES[f.type]
        if f.name in keys:
            fields[f.name] = (py if f.name == spec.fields[0].name else py | None,
                              Field(..., description=f.description or None))
        else:
            fields[f.name] = (py | None, Field(None, description=f.description or None))
    fields.update(more)
    return create_model(name, __base__=StoredRecord, __doc__=f"A row of {table}: {spec.description}", **fields)


LeadRecord = record_model("leads", "LeadRecord", required=("owner_id", "status"))
OpportunityRecord = record_model(
    "opportunities", "OpportunityRecord", required=("owner_id", "account_id", "stage"),
    is_open=(bool | None, Field(None, description="Whether the deal's stage is open (revops.yaml pipeline.stages).")))
AccountRecord = record_model("accounts", "AccountRecord", required=("owner_id",))
SubscriptionRecord = record_model("subscriptions", "SubscriptionRecord")
StageChange = record_model("opportunity_history", "StageChange")

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, in key order."""

    items: list[T]
    next: str | None = Field(description="Pass as ?cursor= for the following page; null on the last page.")


LeadPage = Page[LeadRecord]
