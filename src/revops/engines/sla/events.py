"""The events SLA clocks start and stop on, as Ibis relations of ``(record_id, at)``.

An SLA names its events in the model (:mod:`revops.model.events`): ``TABLE.FIELD`` reads a
timestamp or date field of the record itself (``lead.mql_at``; a date counts from its
midnight, UTC), and the named events are derived from history tables:

| event | at |
| --- | --- |
| ``opportunity.created`` | ``opportunities.created_at`` |
| ``opportunity.closed_won`` | first ``opportunity_history.changed_at`` in a won stage; a deal won today with no such row (history not imported) counts from its ``close_date`` |
| ``opportunity.closed_lost`` | the same with the lost stages |
| ``opportunity.stage_changed`` | every ``changed_at`` where the stage differs from the row before (repeats) |
| ``opportunity.kickoff_held`` | first activity of type ``meeting`` whose subject says kickoff (``kickoff``, ``kick-off``, ``kick off``, any case), logged on the opportunity or on its account, at or after the deal closed won |
| ``opportunity.first_touch`` | first activity by the deal's owner (``activities.owner_id``) logged on the deal or on its account, at or after the deal was created |
| ``lead.first_activity`` | first ``activities.occurred_at`` logged against the lead |

Every relation holds every occurrence there is, whatever the moment asked about; the clocks
(:mod:`revops.engines.sla.clocks`) leave out what happened after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from revops.model.events import Event, resolve_event
from revops.store import schema as store_schema

Tables = Callable[[str], ir.Table]
"""How a canonical table is found by name (a backend's ``table``, or a MetricContext's)."""

KICKOFF_WORDS = ("kickoff", "kick-off", "kick off")


@dataclass(frozen=True)
class EventRows:
    """An event's occurrences: ``rows`` has ``record_id`` (string) and ``at`` (timestamp)."""

    event: Event
    rows: ir.Table
    repeats: bool = False
    """True when a record can have the event more than once (a stage change)."""

    @property
    def table(self) -> str:
        return self.event.table


def event_rows(ref: str, tables: Tables, model: Any) -> EventRows:
    """The occurrences of the event ``ref`` names, read from ``tables``."""
    event = resolve_event(ref)
    if event.field is not None:
        return EventRows(event, _field_rows(tables, event.table, event.field))
    build, repeats = _NAMED[event.ref]
    return EventRows(event, build(tables, model), repeats)


def record_key(table: str) -> str:
    """The key column of a canonical table (``leads`` -> ``lead_id``)."""
    return store_schema.TABLES[table].key


def _rows(record_id: ir.Value, at: ir.Value) -> dict[str, ir.Value]:
    return {"record_id": record_id.cast("string"), "at": at.cast("timestamp")}


def _field_rows(tables: Tables, table: str, field: str) -> ir.Table:
    t = tables(table)
    return t.filter(t[field].notnull()).select(**_rows(t[record_key(table)], t[field]))


def _created(tables: Tables, model: Any) -> ir.Table:
    return _field_rows(tables, "opportunities", "created_at")


def _first_entry(stage_keys: list[str]) -> Callable[[Tables, Any], ir.Table]:
    """First time each deal entered one of ``stage_keys``; deals in one today that history
    does not show entering it count from their close_date."""

    def build(tables: Tables, model: Any) -> ir.Table:
        h = tables("opportunity_history")
        o = tables("opportunities")
        if not stage_keys:
            return h.filter(ibis.literal(False)).select(**_rows(h.opportunity_id, h.changed_at))
        entered = (h.filter(h.stage.isin(stage_keys))
                   .group_by(record_id=h.opportunity_id.cast("string"))
                   .aggregate(at=h.changed_at.min().cast("timestamp")))
        now_in = o.filter(o.stage.isin(stage_keys) & o.close_date.notnull())
        now_in = now_in.select(**_rows(now_in.opportunity_id, now_in.close_date))
        without_history = now_in.anti_join(entered, now_in.record_id == entered.record_id)
        return entered.union(without_history)

    return build


def _closed_won(tables: Tables, model: Any) -> ir.Table:
    return _first_entry(list(model.won_stage_keys))(tables, model)


def _closed_lost(tables: Tables, model: Any) -> ir.Table:
    return _first_entry(list(model.lost_stage_keys))(tables, model)


def _stage_changed(tables: Tables, model: Any) -> ir.Table:
    """Every history row whose stage differs from the deal's previous row."""
    h = tables("opportunity_history")
    h = h.filter(h.stage.notnull())
    w = ibis.window(group_by=h.opportunity_id, order_by=[h.changed_at, h.history_id])
    h = h.mutate(__previous=h.stage.lag().over(w))
    moved = h.filter(h.__previous.notnull() & (h.__previous != h.stage))
    return moved.select(**_rows(moved.opportunity_id, moved.changed_at))


def _kickoff_meetings(tables: Tables) -> ir.Table:
    a = tables("activities")
    subject = a.subject.lower()
    says_kickoff = ibis.literal(False)
    for word in KICKOFF_WORDS:
        says_kickoff = says_kickoff | subject.contains(word)
    meetings = a.filter((a.type.lower() == "meeting") & says_kickoff.fill_null(False))
    return meetings.select(__opp=meetings.opportunity_id.cast("string"),
                           __account=meetings.account_id.cast("string"),
                           __held=meetings.occurred_at.cast("timestamp"))


def _kickoff_held(tables: Tables, model: Any) -> ir.Table:
    """First kickoff meeting on the deal or its account at or after the deal closed won."""
    won = _closed_won(tables, model)
    meetings = _kickoff_meetings(tables)
    on_deal = won.inner_join(meetings, won.record_id == meetings.__opp)
    on_deal = on_deal.filter(on_deal.__held >= on_deal.at).select("record_id", at=on_deal.__held)
    o = tables("opportunities")
    accounts = o.select(__oid=o.opportunity_id.cast("string"), __acc=o.account_id.cast("string"))
    won_accounts = won.inner_join(accounts, won.record_id == accounts.__oid)
    on_account = won_accounts.inner_join(meetings, won_accounts.__acc == meetings.__account)
    on_account = on_account.filter(on_account.__held >= on_account.at).select("record_id", at=on_account.__held)
    both = on_deal.union(on_account)
    return both.group_by("record_id").aggregate(at=both.at.min())


def _first_touch(tables: Tables, model: Any) -> ir.Table:
    """First activity by the deal's owner on the deal or its account at or after its creation."""
    o = tables("opportunities")
    o = o.filter(o.created_at.notnull() & o.owner_id.notnull())
    deals = o.select(record_id=o.opportunity_id.cast("string"), __acc=o.account_id.cast("string"),
                     __owner=o.owner_id.cast("string"), __created=o.created_at.cast("timestamp"))
    a = tables("activities")
    a = a.filter(a.owner_id.notnull()).select(__a_opp=a.opportunity_id.cast("string"),
                                              __a_acc=a.account_id.cast("string"),
                                              __a_owner=a.owner_id.cast("string"),
                                              __at=a.occurred_at.cast("timestamp"))
    parts = []
    for key, other in (("record_id", "__a_opp"), ("__acc", "__a_acc")):
        j = deals.inner_join(a, [deals[key] == a[other], deals.__owner == a.__a_owner])
        parts.append(j.filter(j.__at >= j.__created).select("record_id", at=j.__at))
    both = parts[0].union(parts[1])
    return both.group_by("record_id").aggregate(at=both.at.min())


def _first_activity(tables: Tables, model: Any) -> ir.Table:
    a = tables("activities")
    a = a.filter(a.lead_id.notnull())
    return a.group_by(record_id=a.lead_id.cast("string")).aggregate(at=a.occurred_at.min().cast("timestamp"))


_NAMED: dict[str, tuple[Callable[[Tables, Any], ir.Table], bool]] = {
    "opportunity.created": (_created, False),
    "opportunity.closed_won": (_closed_won, False),
    "opportunity.closed_lost": (_closed_lost, False),
    "opportunity.stage_changed": (_stage_changed, True),
    "opportunity.kickoff_held": (_kickoff_held, False),
    "opportunity.first_touch": (_first_touch, False),
    "lead.first_activity": (_first_activity, False),
}
