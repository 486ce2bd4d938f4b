"""Deal facts: every opportunity with the fields hygiene rules and stage gates read, derived
for all deals at once over the store (Ibis; DuckDB by default), as of a moment.

The derived fields are the ones ``revops.model.fields`` lists for opportunities (the list
`revops validate` checks expressions against); only those asked for are computed:

| field | how |
| --- | --- |
| is_open, is_won, stage_order | the deal's stage in ``pipeline.stages`` |
| age_days | days from created_at to the moment |
| days_to_close | days from the moment's date to close_date (negative when past) |
| days_since_last_activity | days since the latest of: the deal's activities up to the moment, its last_activity_at, its creation |
| days_in_stage | days since the deal entered its current stage (opportunity_history) |
| median_days_in_stage | median days deals spent in that stage before moving on, over the history |
| close_date_pushes | history rows whose close date is later than the row before |
| skipped_stages | open stages jumped over by a forward stage change in the history (gates.skipped_stages) |
| missing_required_fields, failed_gates | the current stage's requirements (gates.py) |

**History.** A deal's *visits* are the runs of its history rows in one stage. A visit's start
is known when a stage change opens it, or when it is the deal's first history row written
within a day of the deal's creation (the deal was created in that stage). A deal imported
mid-pipeline, whose first row is stamped at the import, only shows it was in its stage then:
its days in stage are null and its visit counts in no median.

**Custom fields.** Every custom field the model declares for opportunities is a column of the
facts, of its declared type, whether or not the store has it yet (``with_custom_fields``): a
gate or rule on a field nothing has set reads it as empty.

**Availability.** When the store holds no stage history at all (a CRM export without one
has a single 'created' row per deal) the history fields are not computed, and when no deal
has an activity or a last_activity_at, days_since_last_activity is not: ``Availability``
says why, so hygiene can report a rule as not checked instead of flagging every deal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revops.engines.metrics import asof
from revops.engines.deals.gates import (
    failed_gates_column, gate_fields, missing_required_column,
)
from revops.model.expressions.ibis_compiler import literal
from revops.model.fields import DERIVED_FIELDS, custom_field_types

DERIVED: frozenset[str] = frozenset(DERIVED_FIELDS["opportunities"])
HISTORY_FIELDS = frozenset({"days_in_stage", "median_days_in_stage", "close_date_pushes", "skipped_stages"})
ACTIVITY_FIELDS = frozenset({"days_since_last_activity"})
GATE_FIELDS = frozenset({"missing_required_fields", "failed_gates"})
MICROS_PER_DAY = 86_400_000_000
CREATION_SLACK = timedelta(days=1)
"""A first history row this close to the deal's creation records the stage it was created in."""

_TYPES = {"string": "string", "integer": "int64", "number": "float64", "boolean": "boolean", "date": "date",
          "timestamp": "timestamp"}
NO_HISTORY = ("the store has no stage history: opportunity_history holds no stage change and no row "
              "written when a deal was created (a CRM export without history has one 'created' row "
              "per deal, stamped at the import); ingest the CRM's stage history, or re-ingest the export "
              "regularly so changes are recorded")
NO_ACTIVITIES = ("no deal has an activity (activities.opportunity_id) or a last_activity_at; ingest the "
                 "CRM's activities or map its last-activity date to last_activity_at")


@dataclass(frozen=True)
class Availability:
    """What the store can tell: stage history, activities on deals."""

    history: bool
    activities: bool

    def missing_for(self, fields: Iterable[str]) -> str | None:
        """Why derived ``fields`` cannot be computed from this store; None when they can."""
        fields = set(fields)
        if fields & HISTORY_FIELDS and not self.history:
            return NO_HISTORY
        if fields & ACTIVITY_FIELDS and not self.activities:
            return NO_ACTIVITIES
        return None


def availability(con: Any) -> Availability:
    """Whether the store holds stage history and activities on deals (three small queries)."""
    h = con.table("opportunity_history")
    opps = con.table("opportunities")
    changes = (h.filter(h.stage.notnull()).group_by("opportunity_id").aggregate(n=h.stage.nunique())
               .filter(lambda t: t.n > 1).limit(1).count().execute())
    history = bool(changes)
    if not history:
        first = h.group_by(_opp=h.opportunity_id).aggregate(_first=h.changed_at.min())
        at_creation = first.join(opps, first._opp == opps.opportunity_id).filter(
            lambda t: t._first <= t.created_at + ibis.interval(days=1))
        history = bool(at_creation.limit(1).count().execute())
    acts = con.table("activities")
    activities = bool(acts.filter(acts.opportunity_id.notnull()).limit(1).count().execute()) or bool(
        opps.filter(opps.last_activity_at.notnull()).limit(1).count().execute())
    return Availability(history=history, activities=activities)


@dataclass(frozen=True)
class FactsRequest:
    as_of: datetime
    """The moment (naive UTC): today() and the ages count from it; history and activities after
    it are not seen."""
    fields: frozenset[str] = DERIVED
    """Derived fields to compute; the others are null columns."""
    reconstruct: bool = False
    """Take each deal's stage, amount, close date, forecast category and owner as they stood at
    ``as_of`` (a past moment), by the metrics layer's as-of reading (changes before the moment;
    a deal without history decided later was open then in a state nobody recorded), leaving
    out deals created after it; other fields are as they are now."""
    opportunity_ids: tuple[str, ...] | None = None
    """Only these deals (the medians still come from every deal's history)."""


def wanted_fields(fields: Iterable[str], model: Any) -> frozenset[str]:
    """``fields`` with what they depend on: failed_gates reads the fields the gates read."""
    wanted = set(fields) & DERIVED
    if "failed_gates" in wanted:
        wanted |= gate_fields(model) & DERIVED
    return frozenset(wanted)


def deal_facts(con: Any, model: Any, request: FactsRequest, available: Availability) -> ir.Table:
    """One row per opportunity: its columns (custom ones included) and the derived fields."""
    wanted = wanted_fields(request.fields, model)
    as_of = literal(request.as_of)
    opps = with_custom_fields(con.table("opportunities"), model, "opportunities")
    if request.reconstruct:
        opps = _state_as_of(con, model, opps, as_of)
    if request.opportunity_ids is not None:
        opps = opps.filter(opps.opportunity_id.isin(list(request.opportunity_ids)))
    stages = model.pipeline.stages
    t = opps.mutate(
        stage_order=_stage_order(opps.stage, stages),
        is_open=opps.stage.isin([s.key for s in stages if not s.is_closed]).fill_null(False) |
        (opps._open_unknown if "_open_unknown" in opps.columns else ibis.literal(False)),
        is_won=opps.stage.isin([s.key for s in stages if s.is_closed and s.is_won]).fill_null(False),
        age_days=_days(as_of, opps.created_at),
        days_to_close=opps.close_date.delta(ibis.literal(request.as_of.date()), unit="day").cast("float64"),
    )
    if "days_since_last_activity" in wanted and available.activities:
        t = _with_last_activity(con, t, as_of, request.opportunity_ids)
    if wanted & HISTORY_FIELDS and available.history:
        t = _with_history(con, t, model, as_of, request.opportunity_ids)
    t = t.mutate(**{name: ibis.null(_TYPES[DERIVED_FIELDS["opportunities"][name][0]])
                    for name in sorted(DERIVED - GATE_FIELDS) if name not in t.columns})
    t = t.mutate(missing_required_fields=missing_required_column(t, model)
                 if "missing_required_fields" in wanted else ibis.null("string"))
    return t.mutate(failed_gates=failed_gates_column(t, model, request.as_of)
                    if "failed_gates" in wanted else ibis.null("string"))


def with_custom_fields(t: ir.Table, model: Any, table: str) -> ir.Table:
    """``t`` with a column for every custom field the model declares for ``table``, of its
    declared type: null where the store has no column yet (nothing ingested or set it), and
    cast where the store's column has another type (values that do not cast are null)."""
    declared = custom_field_types(model, table)
    if not declared:
        return t
    changes = {}
    for name, ftype in declared.items():
        target = _TYPES[ftype]
        if name not in t.columns:
            changes[name] = ibis.null(target)
        elif t[name].type().copy(nullable=True) != dt.dtype(target).copy(nullable=True):
            changes[name] = t[name].try_cast(target)
    return t.mutate(**changes) if changes else t


def custom_field_notes(con: Any, model: Any, table: str) -> dict[str, str]:
    """Per declared custom field the store cannot give as declared: why (no column yet; a column
    of another type), for hygiene to say instead of something false."""
    stored = con.table(table).schema()
    notes = {}
    for name, ftype in custom_field_types(model, table).items():
        if name not in stored:
            notes[name] = (f"{name} is declared under custom_fields but the store has no such column yet "
                           "(no ingest or move has set it), so it is empty on every record")
        elif stored[name].copy(nullable=True) != dt.dtype(_TYPES[ftype]).copy(nullable=True):
            notes[name] = (f"{name} is declared as {ftype} but stored as {stored[name]}: values that do not "
                           f"read as {ftype} count as empty until an ingest or a move converts the column")
    return notes


# -- parts ------------------------------------------------------------------------------------
def _days(later: ir.Value, earlier: ir.Value) -> ir.NumericValue:
    """Days (with fractions) from ``earlier`` to ``later``."""
    return later.delta(earlier.cast("timestamp"), unit="microsecond") / MICROS_PER_DAY


def _stage_order(stage: ir.StringValue, stages: list[Any]) -> ir.IntegerValue:
    return stage.cases(*[(s.key, i) for i, s in enumerate(stages, 1)], else_=ibis.null("int64")).cast("int64")


def _state_as_of(con: Any, model: Any, opps: ir.Table, as_of: ir.Value) -> ir.Table:
    """The deals as they stood at the moment, by the metrics layer's as-of reading
    (``revops.engines.metrics.asof``): a deal decided later without history was open then,
    its stage, amount and close date unknown. ``_decided_since``: open then, closed now (its
    fields the history does not keep describe its close, not that day)."""
    closed = model.won_stage_keys + model.lost_stage_keys
    opps = opps.mutate(_closed_now=opps.stage.isin(closed).fill_null(False) if closed else ibis.literal(False))
    t = asof.opportunities_before(opps, con.table("opportunity_history"), model, as_of)
    open_keys = [s.key for s in model.pipeline.stages if not s.is_closed]
    open_then = t.stage.isin(open_keys).fill_null(False) | t.__open_unknown
    t = t.mutate(_decided_since=open_then & t._closed_now)
    return t.rename(_open_unknown="__open_unknown").drop("_closed_now")


def _with_last_activity(con: Any, t: ir.Table, as_of: ir.Value, ids: tuple[str, ...] | None) -> ir.Table:
    acts = con.table("activities")
    acts = acts.filter(acts.opportunity_id.notnull(), acts.occurred_at <= as_of)
    if ids is not None:
        acts = acts.filter(acts.opportunity_id.isin(list(ids)))
    last = acts.group_by(_aopp=acts.opportunity_id).aggregate(_activity_at=acts.occurred_at.max())
    t = t.left_join(last, t.opportunity_id == last._aopp)
    logged = ibis.ifelse(t.last_activity_at <= as_of, t.last_activity_at, ibis.null("timestamp"))
    latest = ibis.greatest(t._activity_at, logged, t.created_at.cast("timestamp"))
    return t.mutate(days_since_last_activity=_days(as_of, latest)).drop("_aopp", "_activity_at")


def _with_previous(history: ir.Table) -> ir.Table:
    """History rows with the stage and close date of the deal's row before (one window for both)."""
    w = ibis.window(group_by=history.opportunity_id, order_by=[history.changed_at, history.history_id])
    return history.mutate(_prev_stage=history.stage.lag().over(w), _prev_close=history.close_date.lag().over(w))


def _visits(con: Any, history: ir.Table) -> ir.Table:
    """The runs of history rows in one stage, each with when it ended (``_left_at``: the next
    visit's start), the stage before it (``_from``) and whether its start is known."""
    opps = con.table("opportunities")
    created = opps.select(_copp=opps.opportunity_id, _created_at=opps.created_at)
    h = _with_previous(history)
    v = h.filter(h.stage.notnull() & ~h.stage.identical_to(h._prev_stage))
    w2 = ibis.window(group_by=v.opportunity_id, order_by=[v.changed_at, v.history_id])
    v = v.mutate(_left_at=v.changed_at.lead().over(w2), _from=v.stage.lag().over(w2))
    v = v.left_join(created, v.opportunity_id == created._copp)
    known = v._from.notnull() | (v.changed_at <= v._created_at + ibis.interval(days=CREATION_SLACK.days))
    return v.mutate(_known=known.fill_null(False))


def _medians(visits: ir.Table) -> ir.Table:
    done = visits.filter(visits._known & visits._left_at.notnull())
    return done.group_by(_mstage=done.stage).aggregate(_median=_days(done._left_at, done.changed_at).median())


def stage_medians(con: Any, as_of: datetime) -> dict[str, float]:
    """Median days deals spent in each stage before moving on, over the history up to ``as_of``."""
    history = con.table("opportunity_history")
    medians = _medians(_visits(con, history.filter(history.changed_at <= literal(as_of)))).to_pyarrow()
    return {s: m for s, m in zip(medians["_mstage"].to_pylist(), medians["_median"].to_pylist()) if m is not None}


def _with_history(con: Any, t: ir.Table, model: Any, as_of: ir.Value, ids: tuple[str, ...] | None) -> ir.Table:
    history = con.table("opportunity_history")
    history = history.filter(history.changed_at <= as_of)
    every = _visits(con, history)
    medians = _medians(every)
    mine = history if ids is None else history.filter(history.opportunity_id.isin(list(ids)))
    visits = every if ids is None else _visits(con, mine)
    current = visits.filter(visits._left_at.isnull()).select(
        _vopp=visits.opportunity_id, _vstage=visits.stage,
        _entered_at=ibis.ifelse(visits._known, visits.changed_at, ibis.null("timestamp")))

    rows = _with_previous(mine)
    closes = rows.mutate(_pushed=(rows.close_date > rows._prev_close).fill_null(False))
    pushes = closes.group_by(_popp=closes.opportunity_id).aggregate(_pushes=closes._pushed.cast("int64").sum())

    t = (t.left_join(current, t.opportunity_id == current._vopp)
         .left_join(medians, t.stage == medians._mstage)
         .left_join(pushes, t.opportunity_id == pushes._popp))
    t = t.mutate(
        days_in_stage=ibis.ifelse(t._vstage == t.stage, _days(as_of, t._entered_at), ibis.null("float64")),
        median_days_in_stage=t._median,
        close_date_pushes=t._pushes.cast("int64"),
    ).drop("_vopp", "_vstage", "_entered_at", "_mstage", "_median", "_popp", "_pushes")
    return _with_skips(t, visits, model.pipeline.stages)


def _with_skips(t: ir.Table, visits: ir.Table, stages: list[Any]) -> ir.Table:
    """skipped_stages: the open stages between an open stage and a later open or won stage the
    deal moved to in one step (gates.skipped_stages, for every change in the history)."""
    open_keys = [s.key for s in stages if not s.is_closed]
    won_keys = [s.key for s in stages if s.is_closed and s.is_won]
    between = [(i, s.key) for i, s in enumerate(stages, 1) if not s.is_closed]
    moves = visits.filter(visits._from.notnull())
    src, dst = _stage_order(moves._from, stages), _stage_order(moves.stage, stages)
    forward = moves._from.isin(open_keys) & moves.stage.isin(open_keys + won_keys) & (dst > src + 1)
    flags = {f"_skip{i}": (forward & (src < i) & (dst > i)).fill_null(False).any() for i, _ in between}
    if not flags:
        return t.mutate(skipped_stages=ibis.null("string"))
    skips = moves.group_by(_kopp=moves.opportunity_id).aggregate(**flags)
    t = t.left_join(skips, t.opportunity_id == skips._kopp)
    parts = [ibis.ifelse(t[f"_skip{i}"].fill_null(False), ibis.literal(key), ibis.null("string"))
             for i, key in between]
    return t.mutate(skipped_stages=ibis.literal(", ").join(parts).nullif("")).drop("_kopp", *flags)
