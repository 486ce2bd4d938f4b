"""Lead facts: the stored lead plus the fields the engines derive for expressions
(``revops.model.fields.DERIVED_FIELDS["leads"]``), as of ``now``.

- ``days_since_created``: days from ``created_at`` to now.
- ``last_activity_at`` / ``days_since_last_activity``: the latest sign of life on the lead by
  now: its last touch or activity (by ``lead_id``), or a lifecycle step recorded on the lead
  (created, MQL, SQL, SAL, first contact, conversion), whichever is later. A lead nobody
  touched since it arrived has been quiet since ``created_at``.
- ``opportunity_won``: the opportunity the lead converted into is in a won pipeline stage.

One definition, two forms: ``lead_facts`` over whole tables (Ibis) and ``record_facts`` for
one lead given as a dict with its events (the real-time path).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from revops.engines.scoring.rules import EVENT_TABLES, MICROS_PER_DAY, days_between, events_by

if TYPE_CHECKING:
    import ibis.expr.types as ir

PROGRESS_FIELDS: tuple[str, ...] = ("created_at", "mql_at", "sql_at", "sal_at", "first_contacted_at",
                                    "converted_at")
"""Lead timestamps that count as a sign of life for ``days_since_last_activity``."""

DERIVED: tuple[str, ...] = ("days_since_created", "last_activity_at", "days_since_last_activity",
                            "opportunity_won", "region")


def won_stage_keys(model: Any) -> list[str]:
    return [s.key for s in model.pipeline.stages if s.is_closed and s.is_won]


def lead_facts(leads: ir.Table, tables: Mapping[str, ir.Table | None], model: Any, now: datetime,
               needed: Iterable[str] = DERIVED, *, as_of_column: str | None = None) -> ir.Table:
    """``leads`` with the derived fields in ``needed`` added. ``tables`` gives the touches,
    activities and opportunities to read (None when there are none). ``as_of_column`` names
    a timestamp column of ``leads`` holding each lead's own moment instead of ``now``."""
    import ibis

    from revops.model.expressions.ibis_compiler import literal

    needed = set(needed)
    if "days_since_last_activity" in needed:
        needed.add("last_activity_at")
    t = leads
    if "last_activity_at" in needed and "last_activity_at" not in t.columns:
        signs = [t[c] for c in PROGRESS_FIELDS if c in t.columns]
        for table in EVENT_TABLES:
            events = tables.get(table)
            if events is None:
                continue
            happened = events_by(events, leads, now, as_of_column=as_of_column)
            last = happened.group_by(event_lead_id=happened.lead_id).aggregate(
                **{f"last_{table}_at__": happened.occurred_at.max()})
            t = t.left_join(last, t.lead_id == last["event_lead_id"]).drop("event_lead_id")
            signs.append(t[f"last_{table}_at__"])
        # the latest sign of life; GREATEST skips nulls
        latest = ibis.greatest(*signs) if len(signs) > 1 else signs[0]
        t = t.mutate(last_activity_at=latest.cast("timestamp")).drop(
            *[f"last_{table}_at__" for table in EVENT_TABLES if f"last_{table}_at__" in t.columns])
    moment = t[as_of_column] if as_of_column is not None else literal(now)
    if "days_since_last_activity" in needed:
        t = t.mutate(days_since_last_activity=moment.delta(t.last_activity_at, unit="microsecond") / MICROS_PER_DAY)
    if "days_since_created" in needed:
        t = t.mutate(days_since_created=moment.delta(t.created_at, unit="microsecond") / MICROS_PER_DAY)
    if "opportunity_won" in needed:
        t = _with_opportunity_won(t, tables.get("opportunities"), won_stage_keys(model))
    if "region" in needed and "region" not in t.columns:
        t = t.mutate(region=_region(t, model))
    return t


def _region(t: ir.Table, model: Any) -> ir.Value:
    """The sales region of the lead's country (routing.regions), null when none lists it."""
    import ibis

    regions = getattr(getattr(model, "routing", None), "regions", None) or {}
    cases = [(t.country.strip().upper() == str(c).strip().upper(), ibis.literal(region))
             for region, countries in regions.items() for c in countries]
    if not cases:
        return ibis.null("string")
    return ibis.cases(*cases, else_=ibis.null("string"))


def _with_opportunity_won(t: ir.Table, opportunities: ir.Table | None, won: list[str]) -> ir.Table:
    import ibis

    if opportunities is None or not won:
        return t.mutate(opportunity_won=ibis.literal(False))
    won_ids = opportunities.filter(opportunities.stage.isin(won)).select(
        won_opportunity_id=opportunities.opportunity_id).distinct()
    t = t.left_join(won_ids, t.converted_opportunity_id == won_ids["won_opportunity_id"])
    return t.mutate(opportunity_won=t["won_opportunity_id"].notnull()).drop("won_opportunity_id")


def region_of(model: Any, country: Any) -> str | None:
    """The sales region of ``country`` (routing.regions), as ``lead_facts`` reads it."""
    if not isinstance(country, str):
        return None
    regions = getattr(getattr(model, "routing", None), "regions", None) or {}
    wanted = country.strip().upper()
    return next((region for region, countries in regions.items()
                 if any(str(c).strip().upper() == wanted for c in countries)), None)


def record_facts(lead: Mapping[str, Any], events: Mapping[str, Iterable[Mapping[str, Any]]], now: datetime,
                 *, model: Any = None, opportunity_won: bool | None = None) -> dict[str, Any]:
    """One lead's fields with the derived ones, computed as ``lead_facts`` does."""
    facts = dict(lead)
    signs = [lead.get(c) for c in PROGRESS_FIELDS]
    for table in EVENT_TABLES:
        signs += [e["occurred_at"] for e in events.get(table, ())
                  if e.get("occurred_at") is not None and e["occurred_at"] <= now]
    present = [s for s in signs if s is not None]
    facts["last_activity_at"] = max(present) if present else None
    facts["days_since_last_activity"] = (days_between(now, facts["last_activity_at"])
                                         if facts["last_activity_at"] is not None else None)
    created = lead.get("created_at")
    facts["days_since_created"] = days_between(now, created) if created is not None else None
    facts["opportunity_won"] = bool(opportunity_won) if opportunity_won is not None else facts.get("opportunity_won", False)
    if "region" not in facts and model is not None:
        facts["region"] = region_of(model, lead.get("country"))
    return facts
