"""Which CRM fields carry which canonical field, both ways.

Reading, the ingest presets are the one definition: the first name a preset lists for a
canonical field is the CRM's API name (``hubspot_owner_id``, ``OwnerId``), so a pull asks for
exactly those fields and writes them under those names for the preset to map.

Writing back, ``owner_id``, ``score`` and ``lifecycle_stage`` go to documented standard
fields where the CRM has one and to a custom field revops owns otherwise (docs/connectors.md);
canonical values (``mql``, ``closed_won``) go back as the CRM's values.
"""

from __future__ import annotations

from typing import Any

from revops.connectors.errors import ConnectorError
from revops.ingest.presets import HUBSPOT_COLUMNS, HUBSPOT_VALUES, SALESFORCE_COLUMNS, SALESFORCE_VALUES

COLUMNS = {"hubspot": HUBSPOT_COLUMNS, "salesforce": SALESFORCE_COLUMNS}
VALUES = {"hubspot": HUBSPOT_VALUES, "salesforce": SALESFORCE_VALUES}

WRITABLE_TABLES = ("leads", "contacts", "accounts", "opportunities")

HUBSPOT_SCORE = "revops_score"
HUBSPOT_TASK_KEY = "revops_key"
SALESFORCE_SCORE = "Revops_Score__c"
SALESFORCE_LIFECYCLE = "Revops_Lifecycle_Stage__c"
SALESFORCE_TASK_KEY = "Revops_Key__c"

# canonical write-back field -> CRM field, per table; None: the table has no such field
_SPECIAL: dict[str, dict[str, dict[str, str | None]]] = {
    "hubspot": {
        "owner_id": dict.fromkeys(WRITABLE_TABLES, "hubspot_owner_id"),
        "score": dict.fromkeys(WRITABLE_TABLES, HUBSPOT_SCORE),
        "lifecycle_stage": {"leads": "lifecyclestage", "contacts": "lifecyclestage", "accounts": "lifecyclestage",
                            "opportunities": None},
    },
    "salesforce": {
        "owner_id": dict.fromkeys(WRITABLE_TABLES, "OwnerId"),
        "score": dict.fromkeys(WRITABLE_TABLES, SALESFORCE_SCORE),
        "lifecycle_stage": {"leads": "Status", "contacts": SALESFORCE_LIFECYCLE, "accounts": SALESFORCE_LIFECYCLE,
                            "opportunities": None},
    },
}
# Canonical lifecycle stages whose CRM value is not the first the preset reads as that stage.
_PREFERRED_VALUES = {"hubspot": {"lifecycle_stage": {"new": "lead"}}}
_READ_ONLY = ("created_at", "updated_at", "mql_at", "sql_at", "converted_at", "last_activity_at")


def api_columns(system: str, table: str) -> dict[str, str]:
    """Canonical field -> the CRM's API name for it, as the preset reads it."""
    return {canonical: names[0] for canonical, names in COLUMNS[system].get(table, {}).items()}


def api_names(system: str, *tables: str) -> list[str]:
    """The API names of the fields to pull for rows bound to ``tables``, without repeats."""
    seen: dict[str, None] = {}
    for table in tables:
        seen.update(dict.fromkeys(api_columns(system, table).values()))
    return list(seen)


def crm_value(system: str, canonical_field: str, value: Any) -> Any:
    """A canonical value as the CRM writes it (``closed_won`` -> ``closedwon`` / ``Closed Won``);
    a value that is no canonical one goes as it is."""
    if not isinstance(value, str):
        return value
    preferred = _PREFERRED_VALUES.get(system, {}).get(canonical_field, {})
    if value in preferred:
        return preferred[value]
    preset_field = "status" if canonical_field == "lifecycle_stage" else canonical_field
    for crm, canonical in VALUES[system].get(preset_field, {}).items():
        if canonical == value:
            return crm
    return value


def write_fields(system: str, table: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Canonical fields of a write-back as the CRM's fields and values."""
    if table not in WRITABLE_TABLES:
        raise ConnectorError(f"cannot write back to {table!r}: write-back goes to {', '.join(WRITABLE_TABLES)}")
    columns = api_columns(system, table)
    key = next(iter(columns))  # the record id comes first in every preset table
    out: dict[str, Any] = {}
    for name, value in fields.items():
        canonical = "lifecycle_stage" if (name == "status" and table == "leads") else name
        if canonical in _SPECIAL[system]:
            target = _SPECIAL[system][canonical][table]
            if target is None:
                raise ConnectorError(f"{table} have no {canonical} in {system}; write stage for a deal's stage")
        elif canonical in columns and canonical != key and canonical not in _READ_ONLY:
            target = columns[canonical]
        else:
            writable = sorted({*_SPECIAL[system], *(c for c in columns if c != key and c not in _READ_ONLY)})
            raise ConnectorError(f"cannot write {name!r} to {system} {table}: writable fields are "
                                 f"{', '.join(writable)}")
        out[target] = crm_value(system, canonical, value)
    if not out:
        raise ConnectorError("nothing to write back: give at least one field (owner_id, score, lifecycle_stage)")
    return out
