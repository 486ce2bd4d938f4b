"""The fields an expression in revops.yaml may name, by table.

Expressions read the canonical fields of :mod:`revops.store.schema`, a few fields the
engines derive for every record (listed here with their meaning, so an analyst can look
them up and an engine knows what it must provide), and the custom fields the model
declares for the table (``custom_fields:``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from revops.store import schema as store_schema
from revops.store.schema import FieldType

DERIVED_FIELDS: dict[str, dict[str, tuple[FieldType, str]]] = {
    "leads": {
        "fit_score": ("number", "Points from the fit scoring group (capped)."),
        "intent_score": ("number", "Points from the intent scoring group (capped)."),
        "engagement_score": ("number", "Points from the engagement scoring group (capped)."),
        "region": ("string", "Sales region of the lead's country (routing.regions)."),
        "days_since_created": ("number", "Days since the lead was created."),
        "days_since_last_activity": ("number", "Days since the last activity or touch on the lead, or its last "
                                     "lifecycle date (created, MQL, SQL, SAL, first contact), if later."),
        "opportunity_won": ("boolean", "The lead's converted opportunity is closed won."),
    },
    "opportunities": {
        "is_open": ("boolean", "The deal is in an open pipeline stage."),
        "is_won": ("boolean", "The deal is in a won stage."),
        "stage_order": ("integer", "Position of the deal's stage in pipeline.stages, from 1."),
        "days_in_stage": ("number", "Days since the deal entered its current stage."),
        "median_days_in_stage": ("number", "Median days deals spent in the current stage before moving on."),
        "days_since_last_activity": ("number", "Days since the last activity on the deal (activities, or "
                                     "last_activity_at if later), or since it was created if it has none."),
        "close_date_pushes": ("integer", "Times the close date moved to a later date."),
        "skipped_stages": ("string", "Open stages the deal jumped over on its way forward, comma-separated "
                           "(empty when it skipped none)."),
        "missing_required_fields": ("string", "Required fields of the deal's stage that are empty, "
                                    "comma-separated (empty when none)."),
        "failed_gates": ("string", "Gate expressions of the deal's stage that do not hold, '; '-separated "
                         "(empty when all hold)."),
        "days_to_close": ("number", "Days from today to the close date (negative when it is past)."),
        "age_days": ("number", "Days since the deal was created."),
    },
    "users": {
        "open_leads": ("integer", "Open leads the user owns."),
        "open_opportunities": ("integer", "Open opportunities the user owns."),
    },
    "touches": {
        "days_ago": ("number", "Days since the touch happened."),
    },
    "activities": {
        "days_ago": ("number", "Days since the activity happened."),
    },
}


def custom_field_types(model: Any, table: str) -> dict[str, FieldType]:
    """The custom fields ``model`` declares for ``table``: name -> declared type."""
    if model is None:
        return {}
    return {f.name: f.type for f in model.custom_fields.get(table, [])}


def table_fields(table: str, model: Any = None) -> dict[str, FieldType]:
    """Fields an expression over ``table`` may use: canonical, derived, and the custom fields
    ``model`` declares (a declared name that clashes with another field never replaces it:
    `revops validate` reports the clash)."""
    t = store_schema.table(table)
    fields: dict[str, FieldType] = {f.name: f.type for f in t.fields}
    for name, (ftype, _) in DERIVED_FIELDS.get(table, {}).items():
        fields.setdefault(name, ftype)
    for name, ftype in custom_field_types(model, table).items():
        fields.setdefault(name, ftype)
    return fields


def lead_fields(score_groups: Mapping[str, object] | None = None, model: Any = None) -> dict[str, FieldType]:
    """Lead fields plus a ``<group>_score`` field for each scoring group (and the custom
    fields ``model`` declares for leads)."""
    fields = table_fields("leads")
    for key in score_groups or ():
        fields.setdefault(f"{key}_score", "number")
    for name, ftype in custom_field_types(model, "leads").items():
        fields.setdefault(name, ftype)
    return fields
