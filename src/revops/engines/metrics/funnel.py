"""Lead funnel metrics: how many leads arrive, become MQL and SQL, turn into opportunities and
customers, and how fast sales answers an MQL.

Counts are bucketed by the date of the step counted (created_at, mql_at, sql_at). Rates
follow a cohort: the leads that took the first step in the period, and whether they took
the next one by the as-of date. Speed to lead counts business minutes of the company
calendar, in SQL (``engines/sla/business_clock``). Metrics read one fact per date (leads by
created_at with their outcome, by sql_at with their conversion, MQLs with their wait), so
the metrics of one date share one query. Every lead metric can be broken down by the lead's own columns
(source, industry, country, company_size, custom attributes) and by its owner (owner, team,
segment, region).
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from revops.engines.metrics import facts
from revops.engines.business_time import BusinessCalendar
from revops.engines.metrics.catalogue import AggregateMetric, Metric, ratio
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.dimensions import OWNER
from revops.engines.metrics.facts import Fact
from revops.engines.sla import business_clock
from revops.errors import MetricError

BY_CREATED = "leads by created_at"
BY_MQL = "leads by mql_at"
BY_SQL = "leads by sql_at"


def lead_conversions(ctx: MetricContext) -> ir.Table:
    """Leads as of the date with ``__to_opportunity``: converted by then, or pointing at an
    opportunity (converted_opportunity_id) the store does not show as created after it."""
    t = facts.leads(ctx)
    if ctx.as_of is None:
        return t.mutate(__to_opportunity=t.converted.fill_null(False) | t.converted_opportunity_id.notnull())
    o = ctx.table("opportunities")
    later = o.filter(o.created_at >= ctx.cutoff_literal()).select(__later_id=o.opportunity_id)
    t = t.left_join(later, t.converted_opportunity_id == later.__later_id)
    has_opportunity = t.converted_opportunity_id.notnull() & t.__later_id.isnull()
    return t.mutate(__to_opportunity=t.converted.fill_null(False) | has_opportunity).drop("__later_id")


def lead_outcomes(ctx: MetricContext) -> ir.Table:
    """Leads as of the date with ``__customer``: the opportunity they converted into is won
    by then (the deals fact's is_won, as of the same date)."""
    t = facts.leads(ctx)
    d = facts.deals(ctx)
    won = d.filter(d.is_won).select(__won_id=d.opportunity_id)
    t = t.left_join(won, t.converted_opportunity_id == won.__won_id)
    return t.mutate(__customer=t.__won_id.notnull()).drop("__won_id")


LEAD_CONVERSIONS = Fact("lead_conversions", "Leads as of the date, with whether each became an opportunity",
                        lead_conversions, (OWNER,))
LEAD_OUTCOMES = Fact("lead_outcomes", "Leads as of the date, with whether their opportunity was won",
                     lead_outcomes, (OWNER,))


# -- speed to lead ------------------------------------------------------------------------

FIRST_CONTACT_SLA = ("lead.mql_at", "lead.first_contacted_at")


def _contacted_after_mql(t: ir.Table) -> ir.BooleanValue:
    return t.mql_at.notnull() & t.first_contacted_at.notnull() & (t.first_contacted_at >= t.mql_at)


def _became_mql(t: ir.Table) -> ir.BooleanValue:
    return t.mql_at.notnull()


def first_contact_sla(model: Any) -> Any:
    """The model's SLA that runs from a lead's MQL to its first contact."""
    def side(event: str) -> str:
        table, _, column = event.strip().lower().partition(".")
        return f"{'lead' if table in ('lead', 'leads') else table}.{column}"

    for sla in model.slas:
        if (side(sla.start), side(sla.stop)) == FIRST_CONTACT_SLA:
            return sla
    return None


def lead_waits(ctx: MetricContext) -> ir.Table:
    """The leads that became MQL (as of the date), with how long each waited for sales:

    - ``__waited``: business minutes (company calendar) from mql_at to first_contacted_at,
      null while never contacted;
    - ``__breached``: first contacted after the first-contact SLA's deadline, or still waiting
      past it at the end of the as-of day, as the SLA engine decides it (``engines/sla``);
      ``__decided``: contacted, or breached (else the SLA's clock still runs). Business units
      count working time (a business day is one working day's hours; a deadline landing on
      closing time stays there); the others count the clock. Both absent when the model has
      no such SLA.

    Business minutes are worked out where the data is, joined against a small calendar table
    (``engines/sla/business_clock``), counting to the second."""
    t = facts.leads(ctx)
    t = t.filter(t.mql_at.notnull())
    cal = BusinessCalendar.of(ctx.model.company)
    cutoff = ctx.cutoff_literal()
    t = t.mutate(__stop=t.first_contacted_at.fill_null(cutoff))
    earliest = ctx.con.execute(t.aggregate(a=t.mql_at.min(), b=t.first_contacted_at.min()))
    days = [pd.Timestamp(v).date() for v in earliest.iloc[0] if pd.notna(v)]
    last = (ctx.as_of or ctx.today)
    assert last is not None
    tables = business_clock.calendar_tables(cal, min(days, default=last), max([last, *days]))
    for column, name in (("mql_at", "__p_mql"), ("first_contacted_at", "__p_contact")):
        t = business_clock.with_position(t, column, name, tables)
    t = t.mutate(__waited=t.__p_contact - t.__p_mql)
    sla = first_contact_sla(ctx.model)
    if sla is not None:  # the SLA engine's rule: breached when stopped (or still open) after due
        if sla.unit in ("business_hours", "business_days"):
            allowed = sla.duration * (60.0 if sla.unit == "business_hours" else cal.minutes_per_day)
            t = business_clock.with_deadline(t, "__p_mql", allowed, "__due", tables)
        else:
            allowed = sla.duration * {"minutes": 1.0, "hours": 60.0, "days": 1440.0}[sla.unit]
            t = t.mutate(__due=t.mql_at + ibis.interval(microseconds=int(round(allowed * 60e6))))
        breached = (t.__stop > t.__due).fill_null(False)
        t = t.mutate(__breached=breached, __decided=t.first_contacted_at.notnull() | breached).drop("__due")
    return t.drop("__stop", "__p_mql", "__p_contact")


LEAD_WAITS = Fact("lead_waits", "Leads that became MQL, with business minutes to first contact and "
                  "the first-contact SLA's outcome", lead_waits, (OWNER,))


def _breach_rate(t: ir.Table) -> dict[str, ir.Scalar]:
    if "__breached" not in t.columns:
        raise MetricError("first_contact_sla_breach_rate needs an SLA from lead.mql_at to "
                          "lead.first_contacted_at in the model's slas (revops.yaml); add one "
                          "(e.g. key: mql_to_first_contact, duration: 4, unit: business_hours)")
    return {"breached": (t.__breached & t.__decided).cast("int64").sum(),
            "decided": t.__decided.cast("int64").sum()}


def metrics() -> list[Metric]:
    return [
        AggregateMetric(
            "lead_count", "Number of new leads.", "count", "count of leads, by created_at",
            based_on=BY_CREATED, fact=LEAD_OUTCOMES, date="created_at",
            aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        AggregateMetric(
            "mql_count", "Number of leads that became marketing-qualified (MQL).", "count",
            "count of leads with an mql_at, by mql_at", based_on=BY_MQL, fact=LEAD_WAITS, date="mql_at",
            where=_became_mql, aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        AggregateMetric(
            "sql_count", "Number of leads that became sales-qualified (SQL).", "count",
            "count of leads with an sql_at, by sql_at", based_on=BY_SQL, fact=LEAD_CONVERSIONS, date="sql_at",
            where=lambda t: t.sql_at.notnull(), aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        AggregateMetric(
            "mql_to_sql_rate", "Share of MQLs that became SQL.", "ratio",
            "leads that became MQL in the period (by mql_at) and have an sql_at by the as-of date "
            "/ leads that became MQL in the period; leads that skipped MQL are not in it",
            format="percent", based_on=BY_MQL, fact=LEAD_WAITS, date="mql_at", where=_became_mql,
            aggregates=lambda t: {"became_sql": t.sql_at.notnull().cast("int64").sum(), "mqls": t.count()},
            value=lambda a: ratio(a.became_sql, a.mqls)),
        AggregateMetric(
            "sql_to_opportunity_rate", "Share of SQLs converted to an opportunity.", "ratio",
            "leads that became SQL in the period (by sql_at) and were converted to an opportunity "
            "by the as-of date (converted, or a converted_opportunity_id) / leads that became SQL "
            "in the period", format="percent", based_on=BY_SQL, fact=LEAD_CONVERSIONS, date="sql_at",
            where=lambda t: t.sql_at.notnull(),
            aggregates=lambda t: {"converted": t.__to_opportunity.cast("int64").sum(), "sqls": t.count()},
            value=lambda a: ratio(a.converted, a.sqls)),
        AggregateMetric(
            "lead_to_customer_rate", "Share of new leads that became customers.", "ratio",
            "leads created in the period (by created_at) whose converted opportunity is won by the "
            "as-of date / leads created in the period", format="percent", based_on=BY_CREATED,
            fact=LEAD_OUTCOMES, date="created_at",
            aggregates=lambda t: {"customers": t.__customer.cast("int64").sum(), "new_leads": t.count()},
            value=lambda a: ratio(a.customers, a.new_leads)),
        AggregateMetric(
            "speed_to_lead_minutes", "Median business minutes from MQL to first contact.", "minutes",
            "median of business minutes (company time zone, business hours and days, holidays "
            "skipped, counted to the second) from mql_at to first_contacted_at, over leads that "
            "became MQL in the period (by mql_at); leads never contacted (by the as-of date) or "
            "first contacted before they became MQL are left out", direction="down", format="number",
            based_on=BY_MQL, fact=LEAD_WAITS, date="mql_at", where=_contacted_after_mql,
            aggregates=lambda t: {"value": t.__waited.median()}),
        AggregateMetric(
            "speed_to_lead_p90_minutes", "90th percentile of business minutes from MQL to first contact.",
            "minutes",
            "90th percentile (linear interpolation) of business minutes (company time zone, business "
            "hours and days, holidays skipped, counted to the second) from mql_at to "
            "first_contacted_at, over leads that became MQL in the period (by mql_at); leads never "
            "contacted (by the as-of date) or first contacted before they became MQL are left out",
            direction="down", format="number", based_on=BY_MQL, fact=LEAD_WAITS, date="mql_at",
            where=_contacted_after_mql, aggregates=lambda t: {"value": t.__waited.quantile(0.9)}),
        AggregateMetric(
            "first_contact_sla_breach_rate", "Share of MQLs not contacted within the first-contact SLA.",
            "ratio",
            "leads that became MQL in the period (by mql_at) and were first contacted after the due "
            "time of the SLA from lead.mql_at to lead.first_contacted_at (slas; business units count "
            "business hours, as `revops sla status` does), or are still uncontacted past it at the "
            "end of the as-of day / those MQLs whose outcome is known (contacted, or past due); a "
            "lead contacted before it became MQL met the SLA", direction="down", format="percent", based_on=BY_MQL,
            fact=LEAD_WAITS, date="mql_at", aggregates=_breach_rate,
            value=lambda a: ratio(a.breached, a.decided)),
    ]

