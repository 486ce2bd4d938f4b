"""Journeys from the store: every marketing touch, tied to the conversion it led to.

What ends a journey depends on the conversion asked for (``--conversion``):

- ``opportunity``: an opportunity's creation (``created_at``); each conversion is worth 1.
- ``pipeline``: the same journeys, each conversion worth the opportunity's amount (an empty
  amount counts 0, as in the ``pipeline_created`` metric).
- ``revenue``: an opportunity's close. A won deal (a won stage of the revenue model) is a
  conversion worth its amount, at the end of its close date; a lost deal ends its journey
  without a conversion. Touches during the sales cycle count: the journey runs to the win.

Which opportunities: every type but ``renewal`` by default (a renewal is kept by Customer
Success, not created by a campaign), or the types asked for (``--type``).

A touch belongs to an opportunity when it names it (``touches.opportunity_id``), its lead
(the opportunity's ``lead_id``, or the lead whose ``converted_opportunity_id`` it is), its
contact or its account: account-based, because a B2B deal is bought by a committee and the
touches of everyone at the account led to it. Of the opportunities a touch belongs to, it
counts for the first one to end at or after the touch: a journey ends at its conversion, and
what happens next starts the next journey. So no touch is credited twice.

A conversion left with no touch of its own (none before it, or every earlier touch already
led to an earlier conversion) cannot be credited to anyone: it is counted, not attributed
(``StoredJourneys.conversions_without_touches``).

Touches that no journey end follows (no opportunity yet, or after the last one) are the
journeys that did not convert (yet): one per person, keyed by the touch's lead, else
contact, else account. The Markov and Shapley models need them; the rule-based models only
share out conversions.

Channels: ``--by channel`` reads ``touches.channel``, else the channel of the touch's
campaign, else ``(no channel)``; ``--by campaign`` reads ``touches.campaign_id``, touches
without one are ``(no campaign)``.

Milestones for W-shaped: the touch that created the lead is the journey's last touch at or
before the lead's ``created_at``; the touch that created the opportunity is the last one at
or before the opportunity's ``created_at``. Time decay counts days from each touch to the
journey's end.

The linking runs as one Ibis query on the store's backend; numpy takes over from the sorted
touches it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revops.engines.attribution.journeys import Journeys
from revops.errors import AttributionError

CONVERSIONS = ("opportunity", "pipeline", "revenue")
GROUPINGS = ("channel", "campaign")
NO_CHANNEL = "(no channel)"
NO_CAMPAIGN = "(no campaign)"
EXCLUDED_BY_DEFAULT = ("renewal",)
DAY_US = 86_400 * 1_000_000


@dataclass(frozen=True)
class JourneyRequest:
    conversion: str = "opportunity"
    by: str = "channel"
    opportunity_types: tuple[str, ...] = ()
    """Opportunity types that count; empty: every type but renewal (and deals without a type)."""

    def __post_init__(self) -> None:
        if self.conversion not in CONVERSIONS:
            raise AttributionError(f"unknown conversion {self.conversion!r}; use one of {', '.join(CONVERSIONS)}")
        if self.by not in GROUPINGS:
            raise AttributionError(f"cannot group by {self.by!r}; use one of {', '.join(GROUPINGS)}")


@dataclass(frozen=True)
class StoredJourneys:
    """The journeys, and what the store says about their channels and the conversions no touch led to."""

    journeys: Journeys
    request: JourneyRequest
    conversions_without_touches: float
    """Conversions in the store with no touch of their own before them (none at all, or every
    earlier touch already led to an earlier conversion): nobody to credit, left out."""
    value_without_touches: float
    campaigns: dict[str, dict[str, Any]]
    """campaign_id -> name, channel, cost (for campaign rows and ROI)."""


def load_journeys(con: Any, model: Any, request: JourneyRequest = JourneyRequest()) -> StoredJourneys:
    """Every touch of the store in its journey (see the module's docstring)."""
    ends = journey_ends(con, model, request)
    journeys = _journeys(_linked_touches(con, ends, request).to_pyarrow())
    conversions, value = _all_conversions(ends)
    return StoredJourneys(journeys, request, max(conversions - journeys.total_conversions, 0.0),
                          max(value - journeys.total_value, 0.0), _campaigns(con))


def journey_ends(con: Any, model: Any, request: JourneyRequest) -> ir.Table:
    """One row per opportunity that ends a journey: __e_oid, its lead, contact and account,
    end_at, converted, value, and when the opportunity and its lead were created."""
    o = con.table("opportunities")
    if request.opportunity_types:
        o = o.filter(o.type.isin(list(request.opportunity_types)))
    else:
        o = o.filter(o.type.isnull() | ~o.type.isin(list(EXCLUDED_BY_DEFAULT)))
    leads = con.table("leads")
    converted = leads.filter(leads.converted_opportunity_id.notnull())
    lead_of = converted.group_by(__oid=converted.converted_opportunity_id).aggregate(__clead=converted.lead_id.min())
    o = o.left_join(lead_of, o.opportunity_id == lead_of.__oid)
    o = o.mutate(__lead=ibis.coalesce(o.lead_id, o.__clead))
    created = leads.select(__lid=leads.lead_id, __lead_created=leads.created_at)
    o = o.left_join(created, o.__lead == created.__lid)
    amount = o.amount.fill_null(0.0).cast("float64")
    if request.conversion == "revenue":
        won = o.stage.isin(list(model.won_stage_keys)).fill_null(False)
        lost = o.stage.isin(list(model.lost_stage_keys)).fill_null(False)
        o = o.filter(won | lost)
        close = (o.close_date.cast("date") + ibis.interval(days=1)).cast("timestamp")
        end_at, converted_flag = ibis.coalesce(close, o.created_at), won
        value = ibis.ifelse(won, amount, 0.0)
    else:
        end_at, converted_flag = o.created_at, ibis.literal(True)
        value = amount if request.conversion == "pipeline" else ibis.literal(1.0)
    ends = o.select(__e_oid=o.opportunity_id, __e_lead=o.__lead, __e_contact=o.contact_id,
                    __e_account=o.account_id, end_at=end_at, converted=converted_flag,
                    value=value.cast("float64"), opportunity_created=o.created_at,
                    lead_created=o.__lead_created)
    return ends.filter(ends.end_at.notnull())


def _labelled_touches(con: Any, request: JourneyRequest) -> ir.Table:
    t = con.table("touches")
    t = t.filter(t.occurred_at.notnull())
    if request.by == "campaign":
        label = t.campaign_id.fill_null(NO_CAMPAIGN)
    else:
        c = con.table("campaigns")
        channel_of = c.group_by(__cid=c.campaign_id).aggregate(__cchannel=c.channel.max())
        t = t.left_join(channel_of, t.campaign_id == channel_of.__cid)
        label = ibis.coalesce(t.channel, t.__cchannel, ibis.literal(NO_CHANNEL))
    return t.select("touch_id", "occurred_at", "lead_id", "contact_id", "account_id", "opportunity_id",
                    label=label)


def _linked_touches(con: Any, ends: ir.Table, request: JourneyRequest) -> ir.Table:
    """Every touch with the journey it belongs to, sorted by journey then time."""
    t = _labelled_touches(con, request)
    links = [t.inner_join(ends, t[column] == ends[end_column]).select(t.touch_id, ends.__e_oid)
             for column, end_column in (("opportunity_id", "__e_oid"), ("lead_id", "__e_lead"),
                                        ("contact_id", "__e_contact"), ("account_id", "__e_account"))]
    pairs = ibis.union(*links, distinct=True)
    at = t.select(__tid=t.touch_id, __at=t.occurred_at)
    pairs = pairs.inner_join(at, pairs.touch_id == at.__tid)
    end = ends.select(__eid=ends.__e_oid, __end=ends.end_at)
    pairs = pairs.inner_join(end, pairs.__e_oid == end.__eid)
    pairs = pairs.filter(pairs.__at <= pairs.__end)
    first = ibis.row_number().over(ibis.window(group_by=pairs.touch_id, order_by=[pairs.__end, pairs.__e_oid]))
    pairs = pairs.mutate(__rank=first)
    chosen = pairs.filter(pairs.__rank == 0).select(__ctid=pairs.touch_id, __joid=pairs.__e_oid)
    linked = t.left_join(chosen, t.touch_id == chosen.__ctid)
    linked = linked.left_join(ends, linked.__joid == ends.__e_oid)
    person = ibis.coalesce(linked.lead_id, linked.contact_id, linked.account_id, linked.touch_id)
    key = ibis.ifelse(linked.__joid.notnull(), "o:" + linked.__joid.cast("string"), "p:" + person.cast("string"))
    out = linked.select(journey=key, touch_id=linked.touch_id, occurred_at=linked.occurred_at, label=linked.label,
                        end_at=linked.end_at, converted=linked.converted.fill_null(False),
                        value=linked.value.fill_null(0.0), opportunity_created=linked.opportunity_created,
                        lead_created=linked.lead_created)
    return out.order_by(["journey", "occurred_at", "touch_id"])


def _all_conversions(ends: ir.Table) -> tuple[float, float]:
    """Conversions (and their value) in the store, touched or not."""
    won = ends.filter(ends.converted)
    row = won.aggregate(n=won.count(), value=won.value.sum()).to_pyarrow().to_pylist()[0]
    return float(row["n"] or 0), float(row["value"] or 0.0)


def _campaigns(con: Any) -> dict[str, dict[str, Any]]:
    c = con.table("campaigns")
    rows = c.select("campaign_id", "name", "channel", "cost").to_pyarrow().to_pylist()
    return {r["campaign_id"]: {"name": r["name"], "channel": r["channel"], "cost": r["cost"]} for r in rows}


def _journeys(steps: pa.Table) -> Journeys:
    """The sorted touches as Journeys: labels indexed alphabetically, one journey per key."""
    n = steps.num_rows
    if n == 0:
        raise AttributionError("the store holds no touches: attribution needs the touches table "
                               "(revops ingest touches FILE, or revops demo)")
    key = steps.column("journey").combine_chunks()
    new = np.r_[True, ~pc.equal(key.slice(1), key.slice(0, n - 1)).to_numpy(zero_copy_only=False)]
    starts = np.flatnonzero(new)
    bounds = np.r_[starts, n].astype(np.int64)
    names, codes = _alphabetical_codes(steps.column("label"))
    journey = np.cumsum(new) - 1
    at = _micros(steps.column("occurred_at"))
    end = _micros(steps.column("end_at"))
    converted = steps.column("converted").to_numpy(zero_copy_only=False).astype(bool)[starts]
    value = steps.column("value").to_numpy(zero_copy_only=False).astype(np.float64)[starts]
    days = np.where(np.isnan(end), 0.0, (end - at) / DAY_US)
    return Journeys(
        names, codes, bounds,
        converted.astype(np.float64), np.where(converted, value, 0.0), (~converted).astype(np.float64),
        days_before=np.maximum(days, 0.0),
        lead_created=_last_at_or_before(at, _micros(steps.column("lead_created")), journey),
        opportunity_created=_last_at_or_before(at, _micros(steps.column("opportunity_created")), journey))


def _alphabetical_codes(labels: pa.ChunkedArray) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct labels in alphabetical order, and each touch's index among them
    (dictionary-encoded by Arrow: millions of touches, a few dozen labels)."""
    encoded = labels.combine_chunks().dictionary_encode()
    dictionary = encoded.dictionary.to_pylist()
    order = sorted(range(len(dictionary)), key=dictionary.__getitem__)
    rank = np.empty(len(dictionary), np.int32)
    rank[order] = np.arange(len(dictionary), dtype=np.int32)
    return tuple(dictionary[i] for i in order), rank[encoded.indices.to_numpy(zero_copy_only=False)]


def _micros(column: pa.ChunkedArray) -> np.ndarray:
    """Timestamps as float microseconds since 1970, NaN for null."""
    values = pc.cast(column, pa.timestamp("us")).cast(pa.int64())
    return values.to_numpy(zero_copy_only=False).astype(np.float64)


def _last_at_or_before(at: np.ndarray, moment: np.ndarray, journey: np.ndarray) -> np.ndarray:
    """Per touch: is it its journey's last touch at or before ``moment`` (touches in time order)?"""
    before = at <= moment  # NaN moment: False
    following = np.r_[before[1:] & (journey[1:] == journey[:-1]), False]
    return before & ~following
