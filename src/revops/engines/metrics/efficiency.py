"""Efficiency metrics: quota and attainment, pipeline coverage, revenue per rep, sales and
marketing spend, new customers, CAC, CAC payback, LTV:CAC and the magic number.

Quota is not a table of the store: it is built here, for the periods asked, from the model's
``targets.quotas`` or, for a period no target covers, from each quota-carrying rep's annual
quota (``users.quota``) prorated to the days the rep was active in it. The periods are a
small table generated in Python (an ``ibis.memtable``) joined to ``users``, so the same
expressions run on DuckDB, PySpark and Postgres.

The other metrics are formulas over metrics defined elsewhere (won_amount and open_pipeline
in deals.py; new_mrr, arr and ltv in revenue.py), some of them read for the period before
(``EfficiencyMetric.prior``).

Windows, when neither --period nor --from/--to is given: the quota metrics describe the
current fiscal quarter (of the as-of date, else today); cac_payback_months and magic_number
the trailing 3 months (this month and the two before) against the 3 months before them;
ltv_to_cac the trailing 12 months, as ltv does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from revops.engines.metrics.catalogue import (
    AggregateMetric, DerivedMetric, Metric, MetricQuery, compute_metric, derived_result, filtered,
    join_on_keys, sql_text)
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.dimensions import ACCOUNT, OWNER
from revops.engines.metrics.facts import DEAL_STATES, SPEND, Fact
from revops.engines.metrics.periods import FiscalCalendar, PeriodKind, add_months, month_start

DAY = timedelta(days=1)
MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
SM_DEPARTMENTS = ("sales", "marketing")
DEFAULT_GROSS_MARGIN = 0.8


# -- windows and the period before ------------------------------------------------------------
def fiscal_quarter_window(ctx: MetricContext, q: MetricQuery) -> tuple[date, date]:
    """The days a quota metric describes without --period: --from to --to, the open side
    closed by the fiscal quarter of today (or of the as-of date)."""
    assert ctx.today is not None
    cal = ctx.calendar
    start = q.start or cal.period_start(min(q.end or ctx.today, ctx.today), "quarter")
    end = q.end or cal.period_end(max(start, ctx.today), "quarter")
    return start, end


def trailing_window(ctx: MetricContext, q: MetricQuery, months: int) -> tuple[date, date]:
    """--from to --to; by default the ``months`` calendar months ending with today's month
    (the last one up to today), as revenue.py reads MRR."""
    assert ctx.today is not None
    end = q.end or max(ctx.today, q.start or ctx.today)
    return q.start or add_months(month_start(end), 1 - months), end


def previous_query(q: MetricQuery) -> MetricQuery:
    """The same query one period earlier. With --period every date moves back one period
    (relabel the answers with ``next_label``); without, the range becomes the as many whole
    calendar months just before its first month."""
    if q.period:
        n = MONTHS[q.period]
        return replace(q, start=q.start and add_months(q.start, -n),
                       end=q.end and add_months(q.end + DAY, -n) - DAY)
    assert q.start is not None and q.end is not None, "a range without --period needs both ends"
    first = month_start(q.start)
    n = (q.end.year - first.year) * 12 + q.end.month - first.month + 1
    return replace(q, start=add_months(first, -n), end=first - DAY)


def next_label(cal: FiscalCalendar, label: str, kind: PeriodKind) -> str:
    """The label of the period after ``label`` (2026-Q1 -> 2026-Q2, 2026-12 -> 2027-01)."""
    return cal.label(add_months(cal.label_start(label, kind), MONTHS[kind]), kind)


# -- quota --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuotaSpan:
    """Days quota is counted for: a fiscal period asked, or the part of it inside --from/--to."""

    label: str
    """The period label; '' when no --period is asked."""
    start: date
    end: date
    period_start: date
    """The whole fiscal period (month, quarter or year) the days belong to."""
    period_end: date
    kind: PeriodKind

    @property
    def period_days(self) -> int:
        return (self.period_end - self.period_start).days + 1


@dataclass(frozen=True)
class QuotaTarget:
    """One ``targets.quotas`` entry with its dates."""

    start: date
    end: date
    months: int
    amount: float
    team: str | None
    owner_id: str | None

    @property
    def level(self) -> int:
        """2 for a rep's quota, 1 for a team's, 0 for the company's."""
        return 2 if self.owner_id else 1 if self.team else 0


def _days(a0: date, a1: date, b0: date, b1: date) -> int:
    return max((min(a1, b1) - max(a0, b0)).days + 1, 0)


def _months(a0: date, a1: date, b0: date, b1: date) -> int:
    lo, hi = max(a0, b0), min(a1, b1)
    return max((hi.year - lo.year) * 12 + hi.month - lo.month + 1, 0) if lo <= hi else 0


def quota_targets(ctx: MetricContext) -> list[QuotaTarget]:
    cal = ctx.calendar
    out = []
    for t in ctx.model.targets.quotas:
        if t.period.startswith("FY"):
            kind, label = "year", t.period[2:]
        else:
            kind, label = ("quarter" if "-Q" in t.period else "month"), t.period
        start = cal.label_start(label, kind)  # type: ignore[arg-type]
        n = MONTHS[kind]
        out.append(QuotaTarget(start, add_months(start, n) - DAY, n, float(t.amount), t.team, t.owner_id))
    return out


# A period asked is answered by the targets of its own length first, then by longer ones
# (prorated down), then by shorter ones (added up).
_LENGTH_PREFERENCE = {"month": (1, 3, 12), "quarter": (3, 12, 1), "year": (12, 3, 1)}


TargetQuota = tuple[str | None, str | None, float]
"""(owner_id, team, amount)"""


def target_quota(targets: list[QuotaTarget], span: QuotaSpan) -> list[TargetQuota] | None:
    """(owner_id, team, amount) the targets set for the span's days; None when no target
    covers any of them. The most specific level present wins (rep, then team, then company);
    an entry counts for the share of its months inside the span's period, times the share
    of those days inside the span."""
    hits = [t for t in targets if _days(t.start, t.end, span.start, span.end) > 0]
    if not hits:
        return None
    level = max(t.level for t in hits)
    keyed: dict[tuple[str | None, str | None], list[QuotaTarget]] = {}
    for t in hits:
        if t.level == level:
            keyed.setdefault((t.owner_id, t.team), []).append(t)
    out = []
    for (owner, team), entries in keyed.items():
        months = next(n for n in _LENGTH_PREFERENCE[span.kind] if any(t.months == n for t in entries))
        amount = 0.0
        for t in (t for t in entries if t.months == months):
            in_period = _days(t.start, t.end, span.period_start, span.period_end)
            share = _months(t.start, t.end, span.period_start, span.period_end) / t.months
            amount += t.amount * share * _days(t.start, t.end, span.start, span.end) / in_period
        out.append((owner, team, amount))
    return out


def quota_spans(ctx: MetricContext, q: MetricQuery) -> list[QuotaSpan]:
    """The periods asked (--period), clipped to --from/--to; without --period the fiscal
    quarters of the window (``fiscal_quarter_window``), clipped to it."""
    if q.period:
        start, end, kind = *_data_range(ctx, q), q.period
        clip_start, clip_end = q.start, q.end  # periods the data spans are whole
    else:
        start, end = clip_start, clip_end = fiscal_quarter_window(ctx, q)
        kind = "quarter"
    return [QuotaSpan(label if q.period else "", max(lo, clip_start or lo), min(hi, clip_end or hi),
                      lo, hi, kind)
            for label, lo, hi in ctx.calendar.periods(start, end, kind)]


def _data_range(ctx: MetricContext, q: MetricQuery) -> tuple[date, date]:
    """--from/--to, else from the first target or deal close date to the last one or today."""
    assert ctx.today is not None
    targets = quota_targets(ctx)
    firsts = [t.start for t in targets]
    lasts = [ctx.today] + [t.end for t in targets]
    if q.start is None or q.end is None:
        o = ctx.table("opportunities")
        row = ctx.con.execute(o.aggregate(first=o.close_date.min(), last=o.close_date.max())).iloc[0]
        firsts += [pd.Timestamp(row["first"]).date()] if pd.notna(row["first"]) else []
        lasts += [pd.Timestamp(row["last"]).date()] if pd.notna(row["last"]) else []
    start = q.start or min(firsts + [q.end or ctx.today])
    return start, q.end or max(lasts + [start])


def quota_carriers(ctx: MetricContext) -> ir.Table:
    """Users who carry a quota: role 'ae' or a quota above 0, except managers of other
    carriers, whose quota is their team's rolled up and would count it twice."""
    u = ctx.table("users")
    carries = (u.role.lower() == "ae").fill_null(False) | (u.quota > 0).fill_null(False)
    reps = u.filter(carries)
    managers = reps.filter(reps.manager_id.notnull()).select(__manager=reps.manager_id).distinct()
    return reps.anti_join(managers, reps.user_id == managers["__manager"])


_SPAN_SCHEMA = {"__period": "string", "__start": "date", "__end": "date", "__months": "int64",
                "__period_days": "int64"}
_QUOTA_SCHEMA = {"__period": "string", "owner_id": "string", "team": "string", "amount": "float64"}


def rep_quota(ctx: MetricContext, spans: list[QuotaSpan]) -> ir.Table:
    """One row per quota-carrying rep and span the rep was active in (start_date <= span
    end, end_date empty or >= span start): __period, owner_id, team and the annual quota x
    months of the period / 12 x the period's days the rep was active in the span / its days."""
    frame = pd.DataFrame([{"__period": s.label, "__start": s.start, "__end": s.end,
                           "__months": MONTHS[s.kind], "__period_days": s.period_days} for s in spans],
                         columns=list(_SPAN_SCHEMA))
    p = ibis.memtable(frame, schema=_SPAN_SCHEMA)
    t = p.cross_join(quota_carriers(ctx))
    first = ibis.greatest(t["__start"], t.start_date.cast("date").fill_null(t["__start"]))
    last = ibis.least(t["__end"], t.end_date.cast("date").fill_null(t["__end"]))
    t = t.mutate(__active=last.delta(first, unit="day") + 1)
    t = t.filter(t["__active"] > 0)
    amount = (t.quota.cast("float64").fill_null(0.0) * t["__months"].cast("float64") / 12.0
              * t["__active"].cast("float64") / t["__period_days"].cast("float64"))
    return t.select(__period=t["__period"], owner_id=t.user_id.cast("string"),
                    team=t.team.cast("string"), amount=amount)


def quota_table(ctx: MetricContext, spans: list[QuotaSpan]) -> ir.Table:
    """The quota of every span per rep or team: from the targets where any covers it, else
    from the reps' annual quotas."""
    targets = quota_targets(ctx)
    rows, uncovered = [], []
    for span in spans:
        set_by_targets = target_quota(targets, span)
        if set_by_targets is None:
            uncovered.append(span)
        rows += [{"__period": span.label, "owner_id": owner, "team": team, "amount": amount}
                 for owner, team, amount in set_by_targets or ()]
    parts = [rep_quota(ctx, uncovered)] if uncovered else []
    if rows:
        m = ibis.memtable(pd.DataFrame(rows, columns=list(_QUOTA_SCHEMA)), schema=_QUOTA_SCHEMA)
        u = ctx.table("users")
        teams = u.select(__uid=u.user_id.cast("string"), __team=u.team.cast("string"))
        m = m.left_join(teams, m.owner_id == teams["__uid"])
        parts.append(m.select("__period", "owner_id", team=m.team.fill_null(m["__team"]), amount=m.amount))
    return parts[0] if len(parts) == 1 else parts[0].union(parts[1])


@dataclass(frozen=True)
class QuotaMetric(Metric):
    """Quota (``measure='amount'``) or the number of quota-carrying reps active
    (``measure='reps'``) per period and dimension of the rep (owner, team, region, segment)."""

    measure: Literal["amount", "reps"] = "amount"

    def expression(self, ctx: MetricContext, q: MetricQuery) -> ir.Table:
        spans = quota_spans(ctx, q)
        table = quota_table(ctx, spans) if self.measure == "amount" else rep_quota(ctx, spans)
        fact = Fact("quota", "Quota per rep or team and period", lambda _ctx: table, (OWNER,),
                    key=(q, self.measure))
        t = filtered(ctx, self.name, fact, q, None)
        keys: list[Any] = ([t["__period"].name("period")] if q.period else []) + [t[d] for d in q.by]
        value = t.amount.sum() if self.measure == "amount" else t.owner_id.nunique()
        out = t.group_by(keys).aggregate(value=value) if keys else t.aggregate(value=value)
        return out.select(*q.keys(), value=out.value.cast("float64"))

    def compute(self, ctx: MetricContext, q: MetricQuery) -> pd.DataFrame:
        return ctx.con.execute(self.expression(ctx, q))

    def sql(self, ctx: MetricContext, q: MetricQuery) -> list[tuple[str, str]]:
        return [(self.name, sql_text(ctx, self.expression(ctx, q)))]


# -- new customers --------------------------------------------------------------------------
def first_wins(ctx: MetricContext) -> ir.Table:
    """The first won deal (any type) of every account, as of the context's date, with
    ``channel``: the deal's source, else the source of the lead it came from (lead_id)."""
    t = ctx.fact(DEAL_STATES)  # won deals keep their recorded amounts: nothing to value
    won = t.filter(t.is_won & t.account_id.notnull() & t.close_date.notnull())
    rank = ibis.row_number().over(group_by=won.account_id, order_by=[won.close_date, won.opportunity_id])
    won = won.mutate(__rank=rank)
    won = won.filter(won["__rank"] == 0).drop("__rank")
    if "channel" in won.columns:
        return won
    leads = ctx.table("leads")
    leads = leads.select(__lid=leads.lead_id.cast("string"), __lead_source=leads.source.cast("string"))
    won = won.left_join(leads, won.lead_id.cast("string") == leads["__lid"])
    return won.mutate(channel=won.source.cast("string").fill_null(won["__lead_source"])).drop(
        "__lid", "__lead_source")


FIRST_WINS = Fact("first_wins", "Each account's first won opportunity, with its channel", first_wins,
                  (OWNER, ACCOUNT))


# -- unit economics by segment and channel -----------------------------------------------------
SPEND_METRICS = ("sm_spend",)
CUSTOMER_DIMENSIONS = {"segment": "account_segment"}
"""For unit economics, a customer's segment is its account's (accounts.segment), not its
rep's: the customer-side components (new customers, new MRR, LTV) are asked by
``account_segment`` and answer as ``segment``. Spend has its own ``segment`` (facts.spend)."""


def component_query(metric: Metric, q: MetricQuery, customer_dimensions: bool) -> tuple[MetricQuery, dict[str, str]]:
    """The query a component is asked and how to rename its dimension columns back (a
    component that is itself a formula maps its own components)."""
    if not customer_dimensions or metric.name in SPEND_METRICS or isinstance(metric, EfficiencyMetric):
        return q, {}
    asked = {d: CUSTOMER_DIMENSIONS.get(d, d) for d in q.by}
    back = {v: k for k, v in asked.items() if v != k}
    return (replace(q, by=tuple(asked.values())), back) if back else (q, {})


def attributed_cac(f: pd.DataFrame) -> pd.Series:
    """cac per row of components ``sm_spend`` and ``new_customers`` joined on [period] and
    dimensions. Without dimensions: spend / new customers. With: spend of rows with a value
    for every dimension is that value's own (direct); spend of rows missing one (the
    unattributed pool, e.g. salaries and tools by channel) is shared across the rows of its
    period in proportion to their new customers; each row's (direct + share) / its new
    customers. A row's spend with no new customers has no CAC; the pool of a period without
    new customers is not shared."""
    dims = [c for c in f.columns if c not in ("period", "sm_spend", "new_customers")]
    spend = f.sm_spend.fillna(0.0)
    if not dims:
        return per(f.sm_spend.where(f.sm_spend > 0), f.new_customers)
    pooled = f[dims].isna().any(axis=1)
    customers = f.new_customers.fillna(0.0)
    group = [f["period"].astype(str)] if "period" in f.columns else [pd.Series(0, index=f.index)]
    pool = spend.where(pooled, 0.0).groupby(group).transform("sum")
    total = customers.groupby(group).transform("sum")
    loaded = spend.where(~pooled, 0.0) + pool * per(customers, total).fillna(0.0)
    return per(loaded.where(loaded > 0), customers)


# -- formulas over other metrics -------------------------------------------------------------
Window = Literal["all", "fiscal_quarter", "trailing"]


@dataclass(frozen=True)
class EfficiencyMetric(DerivedMetric):
    """A formula over other metrics (a ``DerivedMetric``) with three additions:

    - ``window``: the days the components describe when neither --period nor --from/--to is
      asked ('all': whatever each component does; 'fiscal_quarter'; 'trailing': the
      ``trailing_months`` calendar months ending with today's);
    - ``prior``: components read for the period before, as ``prior_<name>`` columns;
    - ``formula(frame, model)`` instead of ``combine`` where the model is needed, and
      ``describe(model)`` for a definition that quotes the model's targets."""

    prior: tuple[str, ...] = ()
    window: Window = "all"
    trailing_months: int = 3
    formula: Callable[[pd.DataFrame, Any], pd.Series] | None = None
    describe: Callable[[Any], str] | None = None
    customer_dimensions: bool = False
    """Unit economics: ask customer-side components by the customer's dimensions
    (``CUSTOMER_DIMENSIONS``)."""

    def inputs(self) -> list[str]:
        return list(self.components) + [f"{name} (period before)" for name in self.prior]

    def input_metrics(self, ctx: MetricContext) -> list[Metric]:
        return [_component(ctx, name) for name in dict.fromkeys((*self.components, *self.prior))]

    def for_model(self, model: Any) -> Metric:
        return replace(self, definition=self.describe(model)) if self.describe else self

    def windowed(self, ctx: MetricContext, q: MetricQuery) -> MetricQuery:
        if q.period or self.window == "all":
            return q
        if self.window == "fiscal_quarter":
            start, end = fiscal_quarter_window(ctx, q)
        else:
            start, end = trailing_window(ctx, q, self.trailing_months)
        return replace(q, start=start, end=end)

    def component(self, ctx: MetricContext, name: str) -> Metric:
        return _component(ctx, name)

    def result(self, ctx: MetricContext, name: str, q: MetricQuery) -> pd.DataFrame:
        """One component's result for ``q``, its dimension columns named as ``q`` asks."""
        metric = _component(ctx, name)
        asked, back = component_query(metric, q, self.customer_dimensions)
        return compute_metric(ctx, metric, asked).rename(columns=back)

    def components_frame(self, ctx: MetricContext, q: MetricQuery) -> pd.DataFrame:
        keys = q.keys()
        frame: pd.DataFrame | None = None
        for name in self.components:
            frame = join_on_keys(frame, self.result(ctx, name, q).rename(columns={"value": name}), keys, self.how)
        assert frame is not None
        return frame

    def compute(self, ctx: MetricContext, q: MetricQuery) -> pd.DataFrame:
        q = self.windowed(ctx, q)
        keys = q.keys()
        frame = self.components_frame(ctx, q)
        before = previous_query(q) if self.prior else q
        for name in self.prior:
            part = self.result(ctx, name, before).rename(columns={"value": f"prior_{name}"})
            if q.period:
                part["period"] = [next_label(ctx.calendar, p, q.period) for p in part["period"]]
            frame = join_on_keys(frame, part, keys, "left")
        columns = list(self.components) + [f"prior_{name}" for name in self.prior]
        frame = frame.astype({c: "float64" for c in columns})
        values = self.formula(frame, ctx.model) if self.formula else self.combine(frame)
        return derived_result(frame, keys, values)

    def sql(self, ctx: MetricContext, q: MetricQuery) -> list[tuple[str, str]]:
        q = self.windowed(ctx, q)
        out: list[tuple[str, str]] = []
        for name in self.components:
            metric = _component(ctx, name)
            out += metric.sql(ctx, component_query(metric, q, self.customer_dimensions)[0])
        for name in self.prior:
            metric = _component(ctx, name)
            before = component_query(metric, previous_query(q), self.customer_dimensions)[0]
            out += [(f"{label} (period before)", sql) for label, sql in metric.sql(ctx, before)]
        return out


QUOTA_REPS = QuotaMetric(
    "quota_carrying_reps", "Number of quota-carrying reps active in the period.", "count",
    "count of users with role 'ae' or a quota above 0 (managers of such users excepted) whose "
    "start_date is on or before the period's end and end_date empty or on or after its start",
    based_on="users by start_date and end_date", empty_value=0.0, measure="reps")
_INTERNAL = {QUOTA_REPS.name: QUOTA_REPS}


def _component(ctx: MetricContext, name: str) -> Metric:
    from revops.engines.metrics.registry import get

    return _INTERNAL.get(name) or get(ctx.model, name)


def per(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den; null where den is null, 0 or negative."""
    return num / den.where(den > 0)


def gross_margin(model: Any) -> float:
    return float(getattr(model.targets, "gross_margin", DEFAULT_GROSS_MARGIN))


def _coverage_definition(model: Any) -> str:
    target = model.targets.pipeline_coverage
    return (f"open_pipeline closing in the period / (quota - won_amount of the period); null when "
            f"the quota is met. Target {target.target:g}x, at risk below {target.warning_below:g}x "
            f"(targets.pipeline_coverage). " + _QUOTA_WINDOW)


def _payback_definition(model: Any) -> str:
    return (f"cac / (new-customer ARPA x gross margin {gross_margin(model):g} "
            f"(targets.gross_margin)), where new-customer ARPA = new_mrr / new_customers, all of "
            f"the same period (so with no dimension: sm_spend / (new_mrr x gross margin)); "
            f"without --period the trailing 3 months, or --from/--to; by segment or channel, "
            f"cac as attributed there ({_BY_DIMENSION}); null without spend, new customers or "
            f"new MRR. Over {model.targets.cac_payback_months.warning_above:g} months is flagged "
            f"(targets.cac_payback_months.warning_above)")


def payback_months(f: pd.DataFrame, model: Any) -> pd.Series:
    return per(f.cac, per(f.new_mrr, f.new_customers) * gross_margin(model))


_BY_DIMENSION = (
    "a customer's segment is its account's (accounts.segment), its channel the source of its "
    "first won deal, else of the lead it came from; spend's channel is its own, its segment "
    "that of the quota-carrying reps active in the period for sales spend (an equal share per "
    "rep), none for other spend. Spend with no value for a dimension asked (salaries and tools "
    "by channel; marketing spend by segment) is the unattributed pool of its period: shared "
    "across the rows in proportion to their new customers, never dropped (sm_spend --by shows "
    "it as the empty value). Channel CAC is therefore the channel's programme spend per "
    "customer plus the pool per customer, and the spend of all rows adds up to sm_spend")


_QUOTA_WINDOW = "Without --period: the current fiscal quarter, or --from/--to."
_QUOTA_DEFINITION = (
    "the targets.quotas entries covering the period (FY2026, 2026-Q1, 2026-01; for a rep, a "
    "team or the company: the most specific level present; an entry of another length is "
    "prorated by months); for a period no entry covers, the annual users.quota of every "
    "quota-carrying rep (role 'ae' or a quota; managers of such reps excepted, their quota being "
    "the roll-up) x months in the period / 12 x the share of the period's days the rep was "
    "active (start_date to end_date). " + _QUOTA_WINDOW + " A range is prorated by days")


def metrics() -> list[Metric]:
    from revops.model.sections.operations import Targets

    default_model = SimpleNamespace(targets=Targets())  # definitions until a model is known
    return [
        QuotaMetric(
            "quota", "Quota to close in the period.", "currency", _QUOTA_DEFINITION,
            format="currency", based_on="targets.quotas, else users.quota by start_date and end_date"),
        EfficiencyMetric(
            "quota_attainment", "Share of quota closed.", "ratio",
            "won_amount / quota of the period; null without quota. " + _QUOTA_WINDOW,
            format="percent", based_on="opportunities by close_date; quota",
            components=("won_amount", "quota"), window="fiscal_quarter",
            combine=lambda f: per(f.won_amount.fillna(0.0), f.quota)),
        EfficiencyMetric(
            "pipeline_coverage", "Open pipeline over the quota still to close.", "ratio",
            _coverage_definition(default_model), format="ratio",
            based_on="opportunities by close_date; quota",
            components=("open_pipeline", "quota", "won_amount"), window="fiscal_quarter",
            combine=lambda f: per(f.open_pipeline.fillna(0.0), f.quota - f.won_amount.fillna(0.0)),
            describe=_coverage_definition),
        EfficiencyMetric(
            "revenue_per_rep", "Bookings per quota-carrying rep.", "currency",
            "won_amount / number of quota-carrying reps (role 'ae' or a quota) active at any time "
            "in the period; null without reps. " + _QUOTA_WINDOW,
            format="currency", based_on="opportunities by close_date; users by start_date and end_date",
            components=("won_amount", QUOTA_REPS.name), window="fiscal_quarter",
            combine=lambda f: per(f.won_amount.fillna(0.0), f.quota_carrying_reps)),
        AggregateMetric(
            "sm_spend", "Sales and marketing spend.", "currency",
            "sum of amount of spend rows with department sales or marketing, by period_start; by "
            "segment, a sales row is split across the segments of the quota-carrying reps active "
            "in its period (an equal share per rep), other rows have none",
            direction="down", format="currency", based_on="spend by period_start", fact=SPEND,
            date="period_start", where=lambda t: t.department.lower().isin(list(SM_DEPARTMENTS)),
            aggregates=lambda t: {"value": t.amount.sum()}, empty_value=0.0),
        AggregateMetric(
            "new_customers", "Accounts won for the first time.", "count",
            "count of accounts whose first won opportunity (of any type) closed in the period; "
            "won deals without an account or close_date are left out",
            based_on="each account's first won opportunity by close_date", fact=FIRST_WINS,
            date="close_date", aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        EfficiencyMetric(
            "cac", "Customer acquisition cost: spend per new customer.", "currency",
            "sm_spend / new_customers of the same period (blended, fully loaded: salaries, tools "
            "and programmes of sales and marketing); by segment or channel: " + _BY_DIMENSION
            + "; null without spend or new customers",
            direction="down", format="currency", based_on="spend by period_start; first won deals",
            components=("sm_spend", "new_customers"), customer_dimensions=True,
            combine=attributed_cac),
        EfficiencyMetric(
            "cac_payback_months", "Months of gross-margin revenue from a new customer to recover its CAC.",
            "months", _payback_definition(default_model), direction="down", format="months",
            based_on="spend by period_start; first won deals; subscriptions",
            components=("cac", "new_customers", "new_mrr"), window="trailing",
            customer_dimensions=True, describe=_payback_definition, formula=payback_months),
        EfficiencyMetric(
            "ltv_to_cac", "Lifetime value over acquisition cost.", "ratio",
            "ltv / cac; without --period both over the trailing 12 months (ltv's window), or "
            "--from/--to; by segment: ltv of the accounts of the segment over the segment's cac "
            "(as cac attributes it); null without either",
            format="ratio", based_on="subscriptions; spend; first won deals",
            components=("ltv", "cac"), window="trailing", trailing_months=12,
            customer_dimensions=True, combine=lambda f: per(f.ltv, f.cac)),
        EfficiencyMetric(
            "magic_number", "Net new ARR per unit of the previous period's sales and marketing spend.",
            "ratio",
            "(arr at the period's end - arr at the previous period's end, i.e. net new ARR: new + "
            "expansion + reactivation - contraction - churn) / sm_spend of the previous period "
            "(quarters by convention: use --period quarter; --period month uses months); without "
            "--period the last 3 months against the 3 before; null without prior spend or ARR; "
            "not broken down by dimension (its spend and ARR have none in common)",
            format="ratio", based_on="subscriptions; spend by period_start",
            components=("arr",), prior=("arr", "sm_spend"), window="trailing",
            combine=lambda f: per(f.arr - f.prior_arr, f.prior_sm_spend)),
    ]
