"""The lead as the API receives it, and the answers it gives.

``LeadIn`` is built from the canonical ``leads`` table (``revops.store.schema``), so the API
accepts exactly the fields the store keeps, typed as the store types them, with their
descriptions in the OpenAPI document. On top of the types:

- ``lead_id`` is required; ``email`` must look like an address (the ingest pattern) and is
  kept lower-case; ``country`` is kept upper-case (ISO 3166 alpha-2, as routing.regions lists it);
  ``company_size`` is a whole number, at least 0 (true/false is not a size).
- Times with an offset are turned into UTC; times without one are taken as UTC.
- Any other field is a custom attribute (``budget``, ``plan``…): lower-case snake_case names,
  values that are text, numbers, true/false or null (lists and objects are kept as JSON text).
  They are stored as custom columns of ``leads`` and the predictive model may use them.
- ``touches`` and ``activities`` that came with the lead (the form fill, the pricing-page
  visits the marketing system saw) are stored in their tables under the lead and count
  towards its intent and engagement score. Ids are optional (``<lead_id>-touch-1`` …), and
  so is ``occurred_at`` (the time the lead is received).
- Fields revops computes (``score``, the group scores, ``predicted_conversion``,
  ``assigned_at``, ``updated_at``) are not taken from the sender: they are ignored, and the
  answer names them under ``ignored``.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from typing import Annotated, Any

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model, field_validator,
                      model_validator)
from pydantic_core import InitErrorDetails, PydanticCustomError

from revops.ingest.convert import EMAIL_PATTERN
from revops.store import schema

COMPUTED_FIELDS: frozenset[str] = frozenset({
    "score", "fit_score", "intent_score", "engagement_score", "predicted_conversion", "assigned_at", "updated_at",
})
"""Lead fields revops writes itself: a sender's values for them are ignored."""

CUSTOM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_EMAIL = re.compile(EMAIL_PATTERN)
_PY_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool,
                             "date": date, "timestamp": datetime}


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true/false")
    return value


MAX_EVENTS = 200
"""Most touches (and most activities) one lead may carry."""
EVENT_TABLES: dict[str, str] = {"touches": "touch_id", "activities": "activity_id"}


def _field(f: schema.Field, *, optional: bool = False) -> tuple[Any, Any]:
    py = _PY_TYPES[f.type]
    if f.name == "company_size":
        py = Annotated[py, Field(ge=0), BeforeValidator(_no_bool)]
    elif f.type in ("integer", "number"):
        py = Annotated[py, BeforeValidator(_no_bool)]
    if f.required and not optional:
        return (py, Field(..., min_length=1, max_length=200, description=f.description or None))
    return (py | None, Field(None, description=f.description or None))


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+03:00 is before the first UTC moment a date holds
            raise ValueError("a time whose UTC moment is outside the years 1 to 9999") from None
    return value


TIMESTAMPS = {t: tuple(f.name for f in schema.table(t).fields if f.type == "timestamp")
              for t in ("leads", "touches", "activities")}


class _EventBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("occurred_at", mode="after", check_fields=False)
    @classmethod
    def _utc(cls, value: Any) -> Any:
        return _naive_utc(value)


def _event_model(table: str) -> type[BaseModel]:
    fields = {f.name: _field(f, optional=True) for f in schema.table(table).fields if f.name != "lead_id"}
    name = "TouchIn" if table == "touches" else "ActivityIn"
    return create_model(name, __base__=_EventBase, __doc__=f"One of the lead's {table} ({schema.table(table).description})",
                        **fields)


TouchIn = _event_model("touches")
ActivityIn = _event_model("activities")


def _attribute_errors(data: dict[str, Any]) -> list[InitErrorDetails]:
    known = LEAD_FIELDS | COMPUTED_FIELDS | set(EVENT_TABLES)
    errors = []
    for name, value in data.items():
        if name in known:
            continue
        if not isinstance(name, str) or not CUSTOM_NAME.match(name):
            errors.append(InitErrorDetails(type=PydanticCustomError(
                "custom_attribute_name", "custom attribute names are lower-case snake_case (a-z, 0-9, _; "
                "starting with a letter; at most 63 characters)"), loc=(name,), input=value))
        elif value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            errors.append(InitErrorDetails(type=PydanticCustomError(
                "custom_attribute_value", "expected text, a number, true/false, a list, an object or null"),
                loc=(name,), input=value))
    return errors


def _again(error: Any) -> InitErrorDetails:
    """A reported error as pydantic takes it back to report it again."""
    details = InitErrorDetails(type=error["type"], loc=error["loc"], input=error.get("input"))
    if error.get("ctx"):
        details["ctx"] = error["ctx"]
    return details


LEAD_FIELDS = frozenset(schema.table("leads").field_names)


class _LeadBase(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    @field_validator("email", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _EMAIL.match(value):
            raise ValueError("not an e-mail address (expected name@domain.tld)")
        return value.lower()

    @field_validator("country", check_fields=False)
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return value.upper() if value else None

    @field_validator(*TIMESTAMPS["leads"], mode="after", check_fields=False)
    @classmethod
    def _utc(cls, value: Any) -> Any:
        return _naive_utc(value)

    @model_validator(mode="wrap")
    @classmethod
    def _custom_attributes(cls, data: Any, handler: Any) -> Any:
        """Check the custom attributes' names and values; report them with the field errors."""
        extra = _attribute_errors(data) if isinstance(data, dict) else []
        try:
            lead = handler(data)
        except ValidationError as exc:
            if not extra:
                raise
            raise ValidationError.from_exception_data(cls.__name__, [_again(e) for e in exc.errors()] + extra) from None
        if extra:
            raise ValidationError.from_exception_data(cls.__name__, extra)
        return lead

    def record(self) -> dict[str, Any]:
        """The fields the sender gave (custom attributes included), without computed ones."""
        given = self.model_dump(exclude_unset=True, exclude=set(EVENT_TABLES))
        for name, value in (self.model_extra or {}).items():
            given[name] = json.dumps(value, default=str) if isinstance(value, (list, dict)) else value
        return {k: v for k, v in given.items() if k not in COMPUTED_FIELDS}

    def events(self) -> dict[str, list[dict[str, Any]]]:
        """The touches and activities sent with the lead, by table (only those sent)."""
        out = {}
        for table in EVENT_TABLES:
            given = getattr(self, table, None)
            if given:
                out[table] = [e.model_dump(exclude_none=True) for e in given]
        return out

    def ignored(self) -> list[str]:
        """Computed fields the sender gave, which were ignored."""
        return sorted(k for k in (self.model_extra or {}) if k in COMPUTED_FIELDS)


LeadIn = create_model(
    "LeadIn",
    __base__=_LeadBase,
    __doc__="A lead to score, route and store: the canonical lead fields, plus custom attributes.",
    touches=(list[TouchIn] | None, Field(None, max_length=MAX_EVENTS, description="Touches that came with the lead.")),
    activities=(list[ActivityIn] | None, Field(None, max_length=MAX_EVENTS, description="Activities that came with the lead.")),
    **{f.name: _field(f) for f in schema.table("leads").fields if f.name not in COMPUTED_FIELDS},
)


class LeadAccepted(BaseModel):
    """The answer of ``POST /v1/leads``: the lead's score, where it went and by when it must be
    contacted. The same request again (same lead_id or Idempotency-Key) gets this same answer."""

    lead_id: str
    score: float = Field(description="Combined score 0-100 (rules, blended with the predictive model when one is active).")
    fit: float | None = None
    intent: float | None = None
    engagement: float | None = None
    predicted_conversion: float | None = Field(None, description="Probability 0-1; null without an active model.")
    mql: bool
    band: str | None = None
    status: str | None = Field(None, description="Lifecycle stage after this call.")
    assigned_to: str | None = Field(None, description="A user id, a queue name, or null (nurture, unplaced).")
    assigned_kind: str = Field(description="user, queue, nurture, none (unplaced) or kept (already owned).")
    team: str | None = None
    path: list[str] = Field(description="Routing nodes visited, in order.")
    reason: str = Field(description="Why, node by node: the values tested and each outcome.")
    decision_id: str | None = None
    sla: str | None = Field(None, description="The SLA whose clock started: the MQL first-contact SLA, else routing.fallback.")
    sla_due_at: datetime | None = Field(None, description="When first contact is due (UTC).")
    received_at: datetime
    ignored: list[str] = Field(default_factory=list, description="Computed fields sent and ignored.")
