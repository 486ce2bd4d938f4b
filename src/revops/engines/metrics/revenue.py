"""Recurring-revenue metrics: MRR and ARR, the MRR movements (new, expansion, contraction,
churn, reactivation), net and gross revenue retention, logo churn and lifetime value.

They all read one fact at the (account, month) grain, built from ``subscriptions``:

- An account's MRR on a day is the sum of ``mrr`` of its subscriptions with
  ``start_date <= day < end_date`` (``end_date`` is exclusive, empty while active;
  overlapping subscriptions add up), never below 0: credits beyond an account's charges
  count as 0, so the movements always bridge one month-end MRR to the next.
- Its MRR for a month is its MRR on the month's last day, or on today (the as-of date) for
  the current month and any month after it: MRR is measured, never forecast. For a month
  that is over this is the rule "a subscription counts in month M when start <= M < end"
  read with dates truncated to their month: start_date <= the last day of M exactly when
  start_date's month is M or earlier, and end_date > the last day of M exactly when
  end_date's month is after M. A subscription counts in the month it starts in and not in
  the month it ends in, whatever the day (one from Nov 15 to Jan 15 counts in November and
  December).
- Each account-month carries the MRR at the previous month end and the movement between
  them: ``new`` (0 -> >0, the first time ever), ``reactivation`` (0 -> >0, paid before),
  ``expansion`` (up), ``contraction`` (down, still paying), ``churn`` (>0 -> 0).
- As of a date, only subscriptions that started on or before it count, and an end_date
  after it is treated as still open: nothing decided after the date is used.

The months are a small spine generated here (an ``ibis.memtable``), joined to subscriptions
on date overlap, so the same expressions run on DuckDB, PySpark and Postgres. Each month an
account paid in meets the month before it in one full outer join (months it paid in x the
months after those), which gives exactly the account-months that paid or stopped paying,
without a window over every account and month. The spine also
says what a query does with each month: which period it belongs to, whether its movements
count (``__flow``), whether the state is read there (``__closing``) and whether a retention
window opens there (``__opening``: the window's starting MRR is that month's previous MRR).

Windows: with ``--period``, each period (clipped to --from/--to); without, one window from
--from (default: 11 months before the end, i.e. the trailing 12 months) to --to (default:
today / the as-of date). States (mrr, arr) are read at a window's last month, flows summed
over its months, retention compares its last month with the month before its first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from revops.engines.metrics.catalogue import Direction, Metric, MetricQuery, filtered, ratio, sql_text
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.dimensions import ACCOUNT, OWNER
from revops.engines.metrics.facts import Fact
from revops.engines.metrics.periods import add_months, month_start

TRAILING_MONTHS = 12
BASED_ON = "subscriptions: each account's MRR at every month end"

_SPINE_SCHEMA = {"__month": "date", "__day": "date", "__period": "string", "__flow": "boolean",
                 "__opening": "boolean", "__closing": "boolean"}


# -- the month spine ------------------------------------------------------------------------
def windows(ctx: MetricContext, q: MetricQuery, first: date | None) -> list[tuple[str | None, date, date]]:
    """(period label, first month, last month) of every window the query reads."""
    assert ctx.today is not None
    end = q.end or max(ctx.today, q.start or ctx.today)
    if not q.period:
        last = month_start(end)
        start = month_start(q.start) if q.start else add_months(last, 1 - TRAILING_MONTHS)
        return [(None, start, last)]
    start = q.start or min(first or end, end)
    return [(label, max(lo, month_start(start)), min(month_start(hi), month_start(end)))
            for label, lo, hi in ctx.calendar.periods(start, end, q.period)]


def month_spine(ctx: MetricContext, q: MetricQuery, first: date | None) -> pd.DataFrame:
    """One row per month from the first subscription (or the first window) to the last
    window: the day its MRR is measured on and what the query does with it."""
    assert ctx.today is not None
    spans = windows(ctx, q, first)
    flags: dict[date, tuple[str | None, bool, bool]] = {}
    for label, lo, hi in spans:
        m = lo
        while m <= hi:
            flags[m] = (label, m == lo, m == hi)
            m = add_months(m, 1)
    begin = min([lo for _, lo, _ in spans] + ([month_start(first)] if first else []))
    finish = max(hi for _, _, hi in spans)
    rows: list[dict[str, Any]] = []
    m = begin
    while m <= finish:
        label, opening, closing = flags.get(m, (None, False, False))
        day = min(add_months(m, 1) - timedelta(days=1), ctx.today)
        rows.append({"__month": m, "__day": day, "__period": label, "__flow": m in flags,
                     "__opening": opening, "__closing": closing})
        m = add_months(m, 1)
    return pd.DataFrame(rows, columns=list(_SPINE_SCHEMA))


# -- the account-month fact -----------------------------------------------------------------
def subscriptions(ctx: MetricContext) -> ir.Table:
    """Subscriptions as of the context's date, with dates as dates and MRR never null."""
    s = ctx.table("subscriptions")
    s = s.mutate(start_date=s.start_date.cast("date"), end_date=s.end_date.cast("date"),
                 mrr=s.mrr.cast("float64").fill_null(0.0),
                 __account=s.account_id.cast("string").fill_null(""))
    s = s.filter(s.start_date.notnull())
    if ctx.as_of is not None:
        day = ibis.literal(ctx.as_of.isoformat()).cast("date")
        s = s.filter(s.start_date <= day)
        s = s.mutate(end_date=ibis.ifelse(s.end_date > day, ibis.null("date"), s.end_date))
    return s


def first_subscription_day(ctx: MetricContext) -> date | None:
    value = ctx.con.execute(subscriptions(ctx).start_date.min())
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def account_months(ctx: MetricContext, months: pd.DataFrame) -> ir.Table:
    """One row per account and month of ``months`` (a ``month_spine``) it paid in or stopped
    paying in: account_id, owner_id (the account's owner), month, mrr, prev_mrr, movement,
    plus the spine's flags."""
    spine = ibis.memtable(months, schema=_SPINE_SCHEMA)
    s = subscriptions(ctx)
    paying = s.join(spine, [s.start_date <= spine["__day"],
                            s.end_date.isnull() | (s.end_date > spine["__day"])])
    paying = paying.group_by(["__account", "__month"]).aggregate(
        __mrr=ibis.greatest(paying.mrr.sum(), ibis.literal(0.0)))  # never below 0
    paying = paying.filter(paying["__mrr"] > 0)  # the months each account paid in
    # each paying month meets the account's previous one: the month after a paying month
    # holds it as its previous MRR (a full outer join, so a month it stopped paying in, and
    # one it started paying in, have a row too; no window over every account-month)
    step = spine.view()
    order = step.select(__m=step["__month"], __next=step["__month"].lead().over(order_by=step["__month"]))
    prior = paying.view()
    before = prior.join(order, prior["__month"] == order["__m"])
    before = before.select(__b=before["__account"], __n=before["__next"], __prev=before["__mrr"])
    t = paying.outer_join(before, [paying["__account"] == before["__b"], paying["__month"] == before["__n"]])
    t = t.select(__account=t["__account"].fill_null(t["__b"]), __month=t["__month"].fill_null(t["__n"]),
                 mrr=t["__mrr"].fill_null(0.0), prev_mrr=t["__prev"].fill_null(0.0))
    paid = paying.view()
    first = paid.group_by("__account").aggregate(__first_paid=paid["__month"].min())
    t = t.view().join(first, "__account").join(spine.view(), "__month")  # the month after the last has no row
    t = t.select("__account", *_SPINE_SCHEMA, "mrr", "prev_mrr", "__first_paid")
    up, down = (t.prev_mrr <= 0) & (t.mrr > 0), (t.prev_mrr > 0) & (t.mrr <= 0)
    both = (t.prev_mrr > 0) & (t.mrr > 0)
    movement = ibis.cases(
        (up & (t["__month"] == t["__first_paid"]), "new"), (up, "reactivation"), (down, "churn"),
        (both & (t.mrr > t.prev_mrr), "expansion"), (both & (t.mrr < t.prev_mrr), "contraction"),
        else_=ibis.null("string"))
    change = ibis.cases((up, t.mrr), (down, t.prev_mrr), (both, (t.mrr - t.prev_mrr).abs()),
                        else_=0.0)
    t = t.mutate(movement=movement, __change=change.cast("float64"))
    a = ctx.table("accounts").view()  # a view: --by industry joins accounts again
    owners = a.select(__aid=a.account_id.cast("string"), owner_id=a.owner_id)
    t = t.left_join(owners, t["__account"] == owners["__aid"])
    t = t.select(account_id=t["__account"].nullif(""), owner_id=t.owner_id, month=t["__month"],
                 mrr=t.mrr, prev_mrr=t.prev_mrr, movement=t.movement, __account=t["__account"],
                 __change=t["__change"], **{c: t[c] for c in _SPINE_SCHEMA if c != "__month"})
    # only months an account paid in or stopped paying in (already so; a filter also ends
    # the join, so the dimensions can join the fact again)
    return t.filter((t.mrr != 0) | (t.prev_mrr != 0))


def _default_months(ctx: MetricContext) -> ir.Table:
    return account_months(ctx, month_spine(ctx, MetricQuery(), first_day(ctx)))


REVENUE_MONTHS = Fact(
    "revenue_months", "Each account's MRR at every month end, the previous month's and the movement",
    _default_months, (OWNER, ACCOUNT))


def months_fact(spine: pd.DataFrame) -> Fact:
    """The account-month fact over the months of ``spine`` (a ``month_spine``), built once per
    request for the same months."""
    return Fact(REVENUE_MONTHS.name, REVENUE_MONTHS.description,
                lambda c: account_months(c, spine), REVENUE_MONTHS.links, cache=True,
                key=tuple(map(tuple, spine.itertuples(index=False))))  # the same months, the same rows


# -- metrics --------------------------------------------------------------------------------
# Every recurring-revenue metric of a query is read from ONE aggregation in two steps. First
# per group and account over the window's months (so retention can compare an account's
# start with its end):
ACCOUNT_SUMS = ("closing", "opening", "paying", "churned", "at_risk", *(f"moved_{k}" for k in (
    "new", "expansion", "contraction", "churn", "reactivation")))
# closing: MRR at the window's last month; opening: MRR the month before its first; paying:
# 1 when paying at the last month; churned: months it churned in; at_risk: months it started
# paying in (previous MRR > 0); moved_<kind>: the MRR moved by each movement.
# Then per group, each metric's value from sums over the accounts (``Measure``). States and
# flows sum over every account of the window (not only the matching ones), so a dimension
# value with revenue in the window shows 0 rather than no row.
Measure = Callable[[ir.Table, float], ir.Value]
"""(the per-account rows of one group, gross margin) -> the group's value (an aggregate)."""


def _account_sums(t: ir.Table, keys: list[Any], per_account: bool = True) -> ir.Table:
    """The sums above per group and account; or per group only (``per_account`` False) when
    no metric asked compares an account's start with its end: every other measure adds up
    across accounts, so summing per account first would change nothing."""
    closing, zero = t["__closing"], ibis.literal(0.0)
    sums = {
        "closing": ibis.ifelse(closing, t.mrr, zero).sum(),
        "opening": ibis.ifelse(t["__opening"], t.prev_mrr, zero).sum(),
        "paying": (closing & (t.mrr > 0)).cast("int64").sum(),
        "churned": (t.movement == "churn").fill_null(False).cast("int64").sum(),
        "at_risk": (t.prev_mrr > 0).cast("int64").sum(),
    }
    for kind in ("new", "expansion", "contraction", "churn", "reactivation"):
        sums[f"moved_{kind}"] = ibis.ifelse((t.movement == kind).fill_null(False), t["__change"], zero).sum()
    by = [*keys, t["__account"]] if per_account else keys
    return t.group_by(by).aggregate(**sums) if by else t.aggregate(**sums)


def _state(scale: float) -> Measure:
    return lambda a, margin: a.closing.sum() * scale


def _flow(kind: str) -> Measure:
    return lambda a, margin: a[f"moved_{kind}"].sum()


def paying_at_start(a: ir.Table) -> ir.BooleanValue:
    """Accounts paying at the window's start: the ones retention follows."""
    return a.opening > 0


def retention_measure(kind: str) -> Measure:
    """Accounts paying at the window's start, compared with the window's end."""
    def measure(a: ir.Table, margin: float) -> ir.Value:
        start = a.opening.sum(where=paying_at_start(a))
        if kind == "nrr":
            return ratio(a.closing.sum(where=paying_at_start(a)), start)
        if kind == "grr":
            return ratio(ibis.least(a.closing, a.opening).sum(where=paying_at_start(a)), start)
        return ratio((a.closing <= 0).cast("int64").sum(where=paying_at_start(a)), paying_at_start(a).cast("int64").sum())
    return measure


def _ltv(a: ir.Table, margin: float) -> ir.Value:
    return ratio(ratio(a.closing.sum(), a.paying.sum()) * margin, ratio(a.churned.sum(), a.at_risk.sum()))


@dataclass(frozen=True)
class RevenueMetric(Metric):
    """A metric over the account-month fact, its windows set by the query."""

    measure: Measure = field(default=_state(1.0))
    retention: bool = False
    """A group has a value only when some account paid at the window's start."""

    @property
    def shares_with(self) -> Any:
        return "account months"

    def expression(self, ctx: MetricContext, q: MetricQuery) -> ir.Table:
        return _expression(ctx, q, [self])

    def compute(self, ctx: MetricContext, q: MetricQuery) -> pd.DataFrame:
        return self.compute_together(ctx, q, [self])[self.name]

    @classmethod
    def compute_together(cls, ctx: MetricContext, q: MetricQuery, metrics: list[Metric]) -> dict[str, pd.DataFrame]:
        asked = [m for m in metrics if isinstance(m, RevenueMetric)]
        frame = ctx.con.execute(_expression(ctx, q, asked))
        if q.period and not q.by:  # every period of the windows, even one nobody paid in
            labels = pd.DataFrame({"period": [label for label, _, _ in windows(ctx, q, first_day(ctx))]})
            frame = labels.merge(frame, on="period", how="left")
        out: dict[str, pd.DataFrame] = {}
        for i, m in enumerate(asked):
            # a dimension value nobody paid for at the window's start has no retention row
            part = frame[frame["__retained"] > 0] if m.retention and q.by else frame
            out[m.name] = part[[*q.keys(), f"__v{i}"]].rename(columns={f"__v{i}": "value"}).reset_index(drop=True)
        return out

    def sql(self, ctx: MetricContext, q: MetricQuery) -> list[tuple[str, str]]:
        return [(self.name, sql_text(ctx, self.expression(ctx, q)))]


def _expression(ctx: MetricContext, q: MetricQuery, metrics: list[RevenueMetric]) -> ir.Table:
    """One query answering ``metrics``: value ``__v<i>`` of the i-th, and ``__retained``."""
    first = first_day(ctx)
    t = filtered(ctx, metrics[0].name, months_fact(month_spine(ctx, q, first)), q, None)
    t = t.filter(t["__flow"])  # every window month; history before is only for the movements
    keys: list[Any] = ([t["__period"].name("period")] if q.period else []) + [t[d] for d in q.by]
    a = _account_sums(t, keys, per_account=any(m.retention for m in metrics))
    names = q.keys()
    margin = float(ctx.model.targets.gross_margin)
    values = {f"__v{i}": m.measure(a, margin).cast("float64") for i, m in enumerate(metrics)}
    values["__retained"] = paying_at_start(a).cast("int64").sum()
    out = a.group_by(names).aggregate(**values) if names else a.aggregate(**values)
    return out.select(*names, *values)


def first_day(ctx: MetricContext) -> date | None:
    """The first subscription's start, asked once per request."""
    if ("first subscription",) not in ctx.results:
        ctx.results[("first subscription",)] = first_subscription_day(ctx)
    return ctx.results[("first subscription",)]


_WINDOW = ("over the period (--period), else from --from to --to, by default the trailing 12 "
           "months ending today / at the as-of date")
_STATE_AT = ("at the last month of the period (--period), else of the range (default: today / "
             "the as-of date); a month's MRR is measured on its last day, or on today for the "
             "current month")


def _movement(name: str, kind: str, description: str, definition: str,
              direction: Direction = "up") -> RevenueMetric:
    return RevenueMetric(name, description, "currency", definition, direction=direction,
                         format="currency", based_on=BASED_ON, empty_value=0.0, measure=_flow(kind))


def metrics() -> list[Metric]:
    return [
        RevenueMetric(
            "mrr", "Monthly recurring revenue.", "currency",
            "sum over accounts of the mrr of their subscriptions active (start_date <= day < "
            "end_date), an account's sum never below 0, " + _STATE_AT,
            format="currency", based_on=BASED_ON, empty_value=0.0, measure=_state(1.0)),
        RevenueMetric(
            "arr", "Annual recurring revenue.", "currency", "12 x mrr, " + _STATE_AT,
            format="currency", based_on=BASED_ON, empty_value=0.0, measure=_state(12.0)),
        _movement("new_mrr", "new", "MRR from accounts paying for the first time.",
                "sum of month-end MRR of accounts going from 0 to >0 for the first time ever, " + _WINDOW),
        _movement("expansion_mrr", "expansion", "MRR added by paying accounts that pay more.",
                "sum of the month-over-month MRR increase of accounts paying at both month ends, " + _WINDOW),
        _movement("contraction_mrr", "contraction", "MRR lost by accounts that pay less but still pay.",
                "sum of the month-over-month MRR decrease (a positive amount) of accounts still "
                "paying at the month end, " + _WINDOW, direction="down"),
        _movement("churned_mrr", "churn", "MRR lost by accounts that stopped paying.",
                "sum of the previous month-end MRR (a positive amount) of accounts going from >0 "
                "to 0, " + _WINDOW, direction="down"),
        _movement("reactivation_mrr", "reactivation", "MRR from former customers paying again.",
                "sum of month-end MRR of accounts going from 0 to >0 that had paid before, " + _WINDOW),
        RevenueMetric(
            "nrr", "Net revenue retention: revenue kept and grown from existing accounts.", "ratio",
            "MRR at the window's end of the accounts paying at its start / their MRR at its start "
            "(the month end before the window's first month); window: " + _WINDOW,
            format="percent", based_on=BASED_ON, measure=retention_measure("nrr"), retention=True),
        RevenueMetric(
            "grr", "Gross revenue retention: revenue kept from existing accounts, expansion ignored.",
            "ratio", "as nrr, each account's end MRR capped at its start MRR; window: " + _WINDOW,
            format="percent", based_on=BASED_ON, measure=retention_measure("grr"), retention=True),
        RevenueMetric(
            "logo_churn_rate", "Share of paying accounts that stopped paying.", "ratio",
            "accounts paying at the window's start and not at its end / accounts paying at its "
            "start; window: " + _WINDOW, direction="down", format="percent", based_on=BASED_ON,
            measure=retention_measure("logo_churn_rate"), retention=True),
        RevenueMetric(
            "ltv", "Customer lifetime value: gross-margin revenue an account brings before it churns.",
            "currency",
            "average MRR per paying account (" + _STATE_AT + ") x gross margin (targets.gross_margin "
            "in revops.yaml, default 0.8) / monthly logo churn rate (accounts churning in a month / "
            "accounts paying at the start of that month, pooled over the months " + _WINDOW
            + "); null when no account churned", format="currency", based_on=BASED_ON, measure=_ltv),
    ]
