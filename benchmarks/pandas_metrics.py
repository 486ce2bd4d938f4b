"""A straightforward pandas implementation of revops' built-in metrics, by fiscal quarter and
three dimensions: the baseline ``bench_metrics`` times revops against, and an independent
cross-check of revops' numbers.

It is written from each metric's written definition (``revops explain NAME``) and the metric
modules' documentation, not with the engine: every table is read whole from the store
(``SELECT * FROM table`` through duckdb into pandas) and nothing of ``revops.engines`` is
used. The one exception is activities (20M rows in the large demo): only the columns the SLA
kickoff event needs are read (type, subject, opportunity_id, account_id, occurred_at), but
every row of them; picking the kickoff meetings out happens in pandas, as a pandas user would
do it. Only the revenue model is read (stages and their probabilities, the fiscal-year start,
business hours, time zone and holidays, the SLAs, gross margin). Everything is computed as
the data is now (no --as-of), with ``today`` given.

Readings of the definitions where the words leave a choice:

- deal amounts are those of the deals fact: an open deal without an amount counts at its
  product's list price (pipeline_created, open_pipeline, weighted_pipeline);
- sales_cycle_days counts calendar days between the dates of created_at and close_date;
- recurring-revenue windows are whole fiscal quarters, cut at today's month; an account-month
  is measured on the month's last day (today for the current month);
- quota is the reps' annual users.quota (the default model sets no targets.quotas) for whole
  fiscal quarters, from the first deal close date's quarter to the last's (or today's);
  quota-carrying reps exclude managers of other carriers in revenue_per_rep too, as the
  quota definition says;
- SLA clocks are read at the end of ``today`` (midnight after it, UTC): nothing later is seen.
  A clock is met when stopped on or before due_at, breached when stopped after it or still
  running past it, else due; a stop before the start is met, 0 minutes elapsed. Business-hour
  deadlines are instants (a deadline landing on closing time stays there, so a stop after
  closing but before the next opening is late); elapsed minutes are not rounded. An SLA's
  ``filter`` is read in the form the default model writes (``FIELD = 'VALUE'``).

Dimensions, per family of metrics (what each family's rows can be broken down by):

- deals, leads and new customers: the record's ``source``, and ``segment`` and ``region`` of
  its owner (users);
- recurring revenue (MRR, movements, retention, LTV): the account's ``industry``, and
  ``segment`` and ``region`` of the account's owner;
- quota (quota, attainment, coverage, revenue per rep): the rep's ``team``, ``segment`` and
  ``region``;
- spend: ``department``, ``category``, ``channel``;
- SLA clocks: ``sla`` (the SLA's key), and ``segment`` and ``region`` of the record's owner;
- formulas mixing spend with customers or revenue (cac, cac_payback_months, ltv_to_cac,
  magic_number): by quarter; and cac also by ``segment`` and by ``channel`` as its definition
  attributes them: a new customer's segment is its account's, its channel its first won deal's
  source (else its lead's); sales spend is split per quota-carrying rep (role ae or a quota, a
  segment set) active in the spend's month; spend without the dimension is shared across the
  quarter's rows by new customers.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Family:
    """Metrics computed together, broken down by the same dimensions."""

    name: str
    dims: tuple[str, ...]
    metrics: tuple[str, ...]


DEAL_METRICS = ("won_count", "lost_count", "win_rate", "win_rate_value", "won_amount", "avg_deal_size",
                "sales_cycle_days", "pipeline_created", "open_pipeline", "open_deal_count",
                "weighted_pipeline", "pipeline_velocity", "time_in_stage_days", "stage_conversion_rate")
LEAD_METRICS = ("lead_count", "mql_count", "sql_count", "mql_to_sql_rate", "sql_to_opportunity_rate",
                "lead_to_customer_rate", "speed_to_lead_minutes", "speed_to_lead_p90_minutes",
                "first_contact_sla_breach_rate")
REVENUE_METRICS = ("mrr", "arr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
                   "reactivation_mrr", "nrr", "grr", "logo_churn_rate", "ltv")
QUOTA_METRICS = ("quota", "quota_attainment", "pipeline_coverage", "revenue_per_rep")
BLENDED_METRICS = ("cac", "cac_payback_months", "ltv_to_cac", "magic_number")
ROUTING_METRICS = ("leads_routed", "routed_to_queue_rate", "fallback_rate")  # routing block at the end
SLA_METRICS = ("sla_attainment_rate", "sla_breaches", "sla_open_breaches", "sla_median_minutes")  # SLA block at the end

FAMILIES: tuple[Family, ...] = (
    Family("deals and leads", ("source", "segment", "region"), DEAL_METRICS + LEAD_METRICS + ("new_customers",)),
    Family("recurring revenue", ("industry", "segment", "region"), REVENUE_METRICS),
    Family("quota", ("team", "segment", "region"), QUOTA_METRICS),
    Family("spend", ("department", "category", "channel"), ("sm_spend",)),
    Family("spend with customers or revenue", (), BLENDED_METRICS),
    Family("cac by segment", ("segment",), ("cac",)),
    Family("cac by channel", ("channel",), ("cac",)),
    Family("routing", ("team", "segment", "region"), ROUTING_METRICS),
    Family("sla", ("sla", "segment", "region"), SLA_METRICS),
)

TABLES = ("opportunities", "opportunity_history", "products", "users", "leads", "subscriptions",
          "accounts", "spend", "_routing_decisions", "activities")
TABLE_COLUMNS = {"activities": ("type", "subject", "opportunity_id", "account_id", "owner_id", "occurred_at")}
"""Tables read in part: of activities only what the SLA kickoff event needs, every row."""


def read_tables(db: str, tables: tuple[str, ...] = TABLES) -> dict[str, pd.DataFrame]:
    """Every table the metrics read, whole, into pandas (of activities: the columns in TABLE_COLUMNS)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return {t: con.execute(f"SELECT {', '.join(TABLE_COLUMNS.get(t, ('*',)))} FROM {t}").df() for t in tables}
    finally:
        con.close()


# -- fiscal quarters ----------------------------------------------------------------------------
def quarter_of(values: pd.Series, start_month: int) -> pd.Series:
    """Fiscal quarter label (2026-Q1) of each date; a fiscal year not starting in January is
    named after the calendar year it ends in. NaN where the date is missing."""
    d = pd.to_datetime(values)
    year, month = d.dt.year, d.dt.month
    fyear = year + ((month >= start_month) & (start_month > 1)).astype("float64")
    quarter = (month - start_month) % 12 // 3 + 1
    code = fyear * 10 + quarter
    labels = {c: f"{int(c) // 10:04d}-Q{int(c) % 10}" for c in code.dropna().unique()}
    return code.map(labels).astype(object)


def quarter_start(d: date, start_month: int) -> date:
    months_in = (d.month - start_month) % 12 % 3
    return add_months(d.replace(day=1), -months_in)


def add_months(d: date, n: int) -> date:
    total = d.year * 12 + d.month - 1 + n
    return date(total // 12, total % 12 + 1, 1)


def quarters(first: date, last: date, start_month: int) -> list[tuple[str, date, date]]:
    """(label, first day, last day) of every fiscal quarter from ``first``'s to ``last``'s."""
    out = []
    lo = quarter_start(first, start_month)
    while lo <= last:
        hi = add_months(lo, 3) - timedelta(days=1)
        out.append((quarter_of(pd.Series([pd.Timestamp(lo)]), start_month).iloc[0], lo, hi))
        lo = add_months(lo, 3)
    return out


# -- grouping -------------------------------------------------------------------------------------
def grouped(df: pd.DataFrame, dims: tuple[str, ...]):
    return df.groupby(["period", *dims], dropna=False, sort=False)


def frame(series: pd.Series) -> pd.DataFrame:
    return series.rename("value").reset_index()


def with_owner(df: pd.DataFrame, users: pd.DataFrame, owner: str = "owner_id",
               columns: tuple[str, ...] = ("segment", "region")) -> pd.DataFrame:
    """``df`` with the owner's columns (users) joined on ``owner``."""
    u = users[["user_id", *columns]].rename(columns={"user_id": "__owner"})
    return df.merge(u, how="left", left_on=owner, right_on="__owner").drop(columns="__owner")


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return num.astype("float64") / den.astype("float64").where(den != 0)


def outer(frames: dict[str, pd.DataFrame], keys: list[str], how: str = "outer") -> pd.DataFrame:
    """Frames of (keys, value) side by side, one column per name."""
    out = None
    for name, f in frames.items():
        f = f.rename(columns={"value": name})
        out = f if out is None else out.merge(f, on=keys, how=how)
    return out


# -- deals ----------------------------------------------------------------------------------------
def deals(t: dict[str, pd.DataFrame], model: Any) -> pd.DataFrame:
    """Opportunities as they are now: stage flags, stage probability, open deals without an
    amount valued from comparable won deals, days from creation to close."""
    o = t["opportunities"].copy()
    stages = model.pipeline.stages
    o["is_won"] = o.stage.isin([s.key for s in stages if s.is_won])
    o["is_lost"] = o.stage.isin([s.key for s in stages if s.is_closed and not s.is_won])
    o["is_closed"] = o.is_won | o.is_lost
    o["is_open"] = o.stage.isin([s.key for s in stages if not s.is_closed])
    first_open = next(s.probability for s in stages if not s.is_closed)
    o["probability"] = o.stage.map({s.key: s.probability for s in stages}).astype("float64").fillna(first_open)
    o["amount"] = o.amount.mask(o.amount.isna() & o.is_open, comparable_value(t, o))
    o["cycle_days"] = (o.close_date.dt.normalize() - o.created_at.dt.normalize()).dt.days
    return o


def comparable_value(t: dict[str, pd.DataFrame], o: pd.DataFrame) -> pd.Series:
    """Per deal, the median amount of won deals like it: the first of (product, type, segment),
    (product, type), (product), (type) with five won deals, else every won deal; the list price
    when nothing was won."""
    segment = o.account_id.map(t["accounts"].drop_duplicates("account_id").set_index("account_id").segment)
    segment = segment.fillna(o.owner_id.map(t["users"].drop_duplicates("user_id").set_index("user_id").segment))
    keys = pd.DataFrame({"product": o["product"], "type": o["type"], "segment": segment}).astype(object)
    keys = keys.where(keys.notna(), "(none)")
    won = o.is_won & o.amount.notna() & (o.amount > 0)
    value = pd.Series(np.nan, index=o.index)
    for group in (["product", "type", "segment"], ["product", "type"], ["product"], ["type"]):
        stats = o.amount[won].groupby([keys[c][won] for c in group]).agg(["median", "size"])
        medians = stats["median"][stats["size"] >= 5]
        found = pd.MultiIndex.from_frame(keys[group]).map(medians.to_dict().get) if len(group) > 1 else \
            keys[group[0]].map(medians)
        value = value.fillna(pd.Series(np.asarray(found, dtype=float), index=o.index))
    if won.any():
        value = value.fillna(o.amount[won].median())
    price = o["product"].map(t["products"].set_index("product_id").list_price)
    return value.fillna(price).fillna(0.0)


def stage_spans(t: dict[str, pd.DataFrame], model: Any) -> pd.DataFrame:
    """Each stretch a deal spent in one stage, from its history rows in time order."""
    h = t["opportunity_history"]
    h = h[h.stage.notna()].sort_values(["opportunity_id", "changed_at", "history_id"])
    prev = h.groupby("opportunity_id", sort=False).stage.shift()
    s = h[prev.isna() | (prev != h.stage)][["opportunity_id", "stage", "changed_at"]]
    s = s.rename(columns={"changed_at": "entered_at"})
    nxt = s.groupby("opportunity_id", sort=False)
    s["exited_at"] = nxt.entered_at.shift(-1)
    s["next_stage"] = nxt.stage.shift(-1)
    s["days"] = (s.exited_at - s.entered_at).dt.total_seconds() / 86400.0
    opens = [st for st in model.pipeline.stages if not st.is_closed]
    rank = {st.key: i + 1 for i, st in enumerate(opens)}
    for st in model.pipeline.stages:
        if st.is_closed:
            rank[st.key] = len(opens) + 1 if st.is_won else 0
    s["moved_forward"] = (s.next_stage.map(rank).astype("float64") > s.stage.map(rank).astype("float64"))
    o = t["opportunities"][["opportunity_id", "owner_id", "source"]]
    return s.merge(o, on="opportunity_id", how="left")


def owner_columns(dims: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(d for d in dims if d in ("segment", "region", "team"))


def deals_by(t: dict[str, pd.DataFrame], model: Any, dims: tuple[str, ...]) -> pd.DataFrame:
    """The deals with their owner's dimensions, bucketed by close_date."""
    o = with_owner(deals(t, model), t["users"], columns=owner_columns(dims))
    return o.assign(period=quarter_of(o.close_date, model.company.fiscal_year_start_month))


def won_amount(o: pd.DataFrame, dims: tuple[str, ...]) -> pd.DataFrame:
    return frame(grouped(o[o.is_won], dims).amount.sum())


def open_pipeline(o: pd.DataFrame, dims: tuple[str, ...]) -> pd.DataFrame:
    return frame(grouped(o[o.is_open], dims).amount.sum())


def new_customers(o: pd.DataFrame, dims: tuple[str, ...]) -> pd.DataFrame:
    """Accounts by the close date of their first won deal."""
    w = o[o.is_won & o.account_id.notna() & o.close_date.notna()]
    w = w.sort_values(["account_id", "close_date", "opportunity_id"]).drop_duplicates("account_id")
    return frame(grouped(w, dims).size().astype("float64"))


def deal_metrics(t: dict[str, pd.DataFrame], model: Any, today: date,
                 dims: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    fm = model.company.fiscal_year_start_month
    keys = ["period", *dims]
    by_close = deals_by(t, model, dims)
    won, lost = by_close[by_close.is_won], by_close[by_close.is_lost]
    closed, open_ = by_close[by_close.is_closed], by_close[by_close.is_open]
    out: dict[str, pd.DataFrame] = {}
    out["won_count"] = frame(grouped(won, dims).size().astype("float64"))
    out["lost_count"] = frame(grouped(lost, dims).size().astype("float64"))
    g = grouped(closed.assign(won_amount=closed.amount.where(closed.is_won, 0.0)), dims)
    out["win_rate"] = frame(ratio(g.is_won.sum(), g.size()))
    out["win_rate_value"] = frame(ratio(g.won_amount.sum(), g.amount.sum()))
    out["won_amount"] = won_amount(by_close, dims)
    out["avg_deal_size"] = frame(grouped(won, dims).amount.mean())
    out["sales_cycle_days"] = frame(grouped(won, dims).cycle_days.mean())
    by_created = by_close.assign(period=quarter_of(by_close.created_at, fm))
    out["pipeline_created"] = frame(grouped(by_created, dims).amount.sum())
    out["open_pipeline"] = open_pipeline(by_close, dims)
    out["open_deal_count"] = frame(grouped(open_, dims).size().astype("float64"))
    out["weighted_pipeline"] = frame(grouped(open_.assign(w=open_.amount * open_.probability), dims).w.sum())
    v = outer({n: out[n] for n in ("open_deal_count", "win_rate", "avg_deal_size", "sales_cycle_days")}, keys)
    v["value"] = (v.open_deal_count * v.win_rate * v.avg_deal_size / v.sales_cycle_days.where(v.sales_cycle_days != 0))
    out["pipeline_velocity"] = v[[*keys, "value"]]
    s = with_owner(stage_spans(t, model), t["users"], columns=owner_columns(dims))
    s = s[s.exited_at.notna()].assign(period=lambda x: quarter_of(x.exited_at, fm))
    gs = grouped(s, dims)
    out["time_in_stage_days"] = frame(gs.days.mean())
    out["stage_conversion_rate"] = frame(ratio(gs.moved_forward.sum(), gs.size()))
    out["new_customers"] = new_customers(by_close, dims)
    return out


# -- leads ----------------------------------------------------------------------------------------
def minute(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def business_minutes(start: pd.Series, stop: pd.Series, company: Any) -> np.ndarray:
    """Working minutes of the company between two naive-UTC instants: both turned into local
    time, then a running count of working minutes per calendar day (business hours on
    business days, holidays off) is read at each end."""
    def local(s: pd.Series) -> pd.Series:
        return pd.to_datetime(s).dt.tz_localize("UTC").dt.tz_convert(company.timezone).dt.tz_localize(None)

    a, b = local(start), local(stop)
    if a.empty:
        return np.zeros(0)
    open_at, close_at = minute(company.business_hours.start), minute(company.business_hours.end)
    per_day = max(close_at - open_at, 0)
    first = min(a.min(), b.min()).normalize()
    last = max(a.max(), b.max()).normalize()
    days = pd.date_range(first, last, freq="D")
    names = np.array(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])[days.dayofweek]
    working = np.isin(names, list(company.business_hours.days)) & ~days.isin(pd.to_datetime(list(company.holidays)))
    minutes_today = np.where(working, per_day, 0)
    before = np.concatenate([[0], np.cumsum(minutes_today)[:-1]])

    def running(x: pd.Series) -> np.ndarray:
        i = ((x.dt.normalize() - first).dt.days).to_numpy()
        into = ((x - x.dt.normalize()).dt.total_seconds() / 60.0).to_numpy()
        return before[i] + np.where(working[i], np.clip(into - open_at, 0, per_day), 0)

    return running(b) - running(a)


def lead_metrics(t: dict[str, pd.DataFrame], model: Any, today: date,
                 dims: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    fm = model.company.fiscal_year_start_month
    leads = with_owner(t["leads"], t["users"], columns=owner_columns(dims))
    out: dict[str, pd.DataFrame] = {}
    by_created = leads.assign(period=quarter_of(leads.created_at, fm))
    out["lead_count"] = frame(grouped(by_created, dims).size().astype("float64"))
    mqls = leads[leads.mql_at.notna()]
    mqls = mqls.assign(period=quarter_of(mqls.mql_at, fm))
    out["mql_count"] = frame(grouped(mqls, dims).size().astype("float64"))
    sqls = leads[leads.sql_at.notna()]
    sqls = sqls.assign(period=quarter_of(sqls.sql_at, fm),
                       to_opp=sqls.converted.fillna(False).astype(bool) | sqls.converted_opportunity_id.notna())
    out["sql_count"] = frame(grouped(sqls, dims).size().astype("float64"))
    g = grouped(mqls.assign(became_sql=mqls.sql_at.notna()), dims)
    out["mql_to_sql_rate"] = frame(ratio(g.became_sql.sum(), g.size()))
    g = grouped(sqls, dims)
    out["sql_to_opportunity_rate"] = frame(ratio(g.to_opp.sum(), g.size()))
    o = t["opportunities"]
    won_ids = o.opportunity_id[o.stage.isin([s.key for s in model.pipeline.stages if s.is_won])]
    g = grouped(by_created.assign(customer=by_created.converted_opportunity_id.isin(won_ids)), dims)
    out["lead_to_customer_rate"] = frame(ratio(g.customer.sum(), g.size()))
    # speed to lead: leads first contacted at or after they became MQL
    fast = mqls[mqls.first_contacted_at.notna() & (mqls.first_contacted_at >= mqls.mql_at)]
    fast = fast.assign(minutes=business_minutes(fast.mql_at, fast.first_contacted_at, model.company))
    g = grouped(fast, dims).minutes
    out["speed_to_lead_minutes"] = frame(g.quantile(0.5))
    out["speed_to_lead_p90_minutes"] = frame(g.quantile(0.9))
    # first-contact SLA
    sla = next(s for s in model.slas if s.start.lower() in ("lead.mql_at", "leads.mql_at")
               and s.stop.lower() in ("lead.first_contacted_at", "leads.first_contacted_at"))
    end_of_day = pd.Timestamp(today + timedelta(days=1))
    contacted = mqls.first_contacted_at.notna()
    stop = mqls.first_contacted_at.where(contacted, end_of_day)
    # breached: stopped (or still open at the end of today) after the SLA's due time
    if sla.unit in ("business_hours", "business_days"):
        bh = model.company.business_hours
        day = minute(bh.end) - minute(bh.start)
        allowed = sla.duration * (60 if sla.unit == "business_hours" else day)
        due = business_deadline(mqls.mql_at, allowed, model.company)
    else:
        allowed = sla.duration * {"minutes": 1, "hours": 60, "days": 1440}[sla.unit]
        due = pd.to_datetime(mqls.mql_at) + pd.Timedelta(minutes=allowed)
    breached = (pd.to_datetime(stop) > due).to_numpy()
    m = mqls.assign(breached=breached, decided=contacted.to_numpy() | breached)
    g = grouped(m[m.decided], dims)
    rate = frame(g.breached.mean())
    everyone = frame(grouped(m, dims).size())[["period", *dims]]  # groups where nothing is decided: null
    out["first_contact_sla_breach_rate"] = everyone.merge(rate, on=["period", *dims], how="left")
    return out


# -- recurring revenue ----------------------------------------------------------------------------
def account_months(t: dict[str, pd.DataFrame], model: Any, today: date) -> pd.DataFrame:
    """Every account's MRR at each month end (today for the current month) from its first
    subscription on, the previous month's, and the movement between them."""
    fm = model.company.fiscal_year_start_month
    s = t["subscriptions"].copy()
    s = s[s.start_date.notna()]
    s["mrr"] = s.mrr.fillna(0.0)
    s["account"] = s.account_id.astype(object).where(s.account_id.notna(), "")
    first = s.start_date.min().date()
    months = pd.DataFrame({"month": pd.date_range(pd.Timestamp(first.replace(day=1)),
                                                  pd.Timestamp(today.replace(day=1)), freq="MS")})
    months["day"] = np.minimum(months.month + pd.offsets.MonthEnd(0), pd.Timestamp(today))
    months["period"] = quarter_of(months.month, fm)
    # a quarter's window runs from its first month (or the first subscription's) to its last (or today's)
    months["opening"] = ~months.period.duplicated(keep="first")
    months["closing"] = ~months.period.duplicated(keep="last")
    pairs = s.merge(months, how="cross")
    active = pairs[(pairs.start_date <= pairs.day) & (pairs.end_date.isna() | (pairs.end_date > pairs.day))]
    paying = active.groupby(["account", "month"]).mrr.sum()
    since = s.groupby("account").start_date.min().rename("since").reset_index()
    grid = since.merge(months, how="cross")
    grid = grid[grid.day >= grid.since].sort_values(["account", "month"])
    grid = grid.merge(paying.rename("mrr").reset_index(), on=["account", "month"], how="left")
    grid["mrr"] = grid.mrr.fillna(0.0).clip(lower=0.0)  # an account's MRR is never below 0 (credits)
    grid["prev_mrr"] = grid.groupby("account").mrr.shift().fillna(0.0)
    first_paid = grid[grid.mrr > 0].groupby("account").month.min().rename("first_paid")
    grid = grid.merge(first_paid, on="account", how="left")
    up = (grid.prev_mrr <= 0) & (grid.mrr > 0)
    down = (grid.prev_mrr > 0) & (grid.mrr <= 0)
    both = (grid.prev_mrr > 0) & (grid.mrr > 0)
    grid["movement"] = np.select(
        [up & (grid.month == grid.first_paid), up, down, both & (grid.mrr > grid.prev_mrr),
         both & (grid.mrr < grid.prev_mrr)],
        ["new", "reactivation", "churn", "expansion", "contraction"], default=None)
    grid["change"] = np.select([up, down, both], [grid.mrr, grid.prev_mrr, (grid.mrr - grid.prev_mrr).abs()], 0.0)
    grid = grid[(grid.mrr != 0) | (grid.prev_mrr != 0)]
    a = t["accounts"][["account_id", "owner_id", "industry"]].rename(columns={"account_id": "account"})
    return grid.merge(a, on="account", how="left")


def revenue_metrics(t: dict[str, pd.DataFrame], model: Any, today: date,
                    dims: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    m = with_owner(account_months(t, model, today), t["users"], columns=owner_columns(dims))
    keys = ["period", *dims]
    out: dict[str, pd.DataFrame] = {}
    closing = m[m.closing]
    out["mrr"] = frame(grouped(closing, dims).mrr.sum())
    out["arr"] = frame(grouped(closing, dims).mrr.sum() * 12)
    for name, kind in (("new_mrr", "new"), ("expansion_mrr", "expansion"), ("contraction_mrr", "contraction"),
                       ("churned_mrr", "churn"), ("reactivation_mrr", "reactivation")):
        out[name] = frame(grouped(m[m.movement == kind], dims).change.sum())
    # retention: accounts paying at the month end before the quarter's first month
    edge = m[m.opening | m.closing]
    per_account = edge.assign(start=edge.prev_mrr.where(edge.opening, 0.0), end=edge.mrr.where(edge.closing, 0.0))
    per_account = per_account.groupby([*keys, "account"], dropna=False, sort=False)[["start", "end"]].sum().reset_index()
    kept = per_account[per_account.start > 0]
    kept = kept.assign(capped=np.minimum(kept.end, kept.start), lost=kept.end <= 0)
    g = grouped(kept, dims)
    out["nrr"] = frame(ratio(g.end.sum(), g.start.sum()))
    out["grr"] = frame(ratio(g.capped.sum(), g.start.sum()))
    out["logo_churn_rate"] = frame(ratio(g.lost.sum(), g.size()))
    # ltv: average MRR per paying account at the quarter's end x margin / monthly logo churn
    g = grouped(m.assign(closing_mrr=m.mrr.where(m.closing, 0.0), paying=m.closing & (m.mrr > 0),
                         churned=m.movement == "churn", at_risk=m.prev_mrr > 0), dims)
    churn = ratio(g.churned.sum(), g.at_risk.sum())
    ltv = ratio(g.closing_mrr.sum(), g.paying.sum()) * float(model.targets.gross_margin) / churn.where(churn != 0)
    out["ltv"] = frame(ltv)
    return out


# -- quota ----------------------------------------------------------------------------------------
def rep_quota(t: dict[str, pd.DataFrame], model: Any, today: date) -> pd.DataFrame:
    """Quota of each quota-carrying rep (role ae or a quota; not the manager of another) per
    fiscal quarter, from the quarter of the first deal close date to that of the last (or of
    today): annual quota x 3 / 12 x the share of the quarter's days the rep was active."""
    if model.targets.quotas:
        raise ValueError("targets.quotas: this baseline covers reps' annual quotas (users.quota) only; "
                         "the benchmark runs the default model, which sets none")
    fm = model.company.fiscal_year_start_month
    o = t["opportunities"]
    start = min(o.close_date.min().date(), today)
    end = max(today, o.close_date.max().date())
    spans = pd.DataFrame([{"period": label, "lo": pd.Timestamp(lo), "hi": pd.Timestamp(hi),
                           "days": (hi - lo).days + 1} for label, lo, hi in quarters(start, end, fm)])
    u = t["users"]
    carries = u[(u.role.str.lower() == "ae").fillna(False).astype(bool) | (u.quota > 0).fillna(False).astype(bool)]
    reps = carries[~carries.user_id.isin(carries.manager_id.dropna())]
    q = reps.merge(spans, how="cross")
    first = np.maximum(q.lo, q.start_date.fillna(q.lo))
    last = np.minimum(q.hi, q.end_date.fillna(q.hi))
    q["active"] = (last - first).dt.days + 1
    q = q[q.active > 0]
    q["amount"] = q.quota.fillna(0.0) * 3 / 12 * q.active / q.days
    return q[["period", "user_id", "team", "segment", "region", "amount"]].rename(columns={"user_id": "owner_id"})


def quota_metrics(t: dict[str, pd.DataFrame], model: Any, today: date, dims: tuple[str, ...],
                  deal_values: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    keys = ["period", *dims]
    q = rep_quota(t, model, today)
    out: dict[str, pd.DataFrame] = {}
    out["quota"] = frame(grouped(q, dims).amount.sum())
    reps = frame(grouped(q, dims).owner_id.nunique().astype("float64"))
    f = outer({"won_amount": deal_values["won_amount"], "quota": out["quota"]}, keys)
    out["quota_attainment"] = f.assign(value=ratio_pos(f.won_amount.fillna(0.0), f.quota))[[*keys, "value"]]
    f = outer({"open_pipeline": deal_values["open_pipeline"], "quota": out["quota"],
               "won_amount": deal_values["won_amount"]}, keys)
    f["value"] = ratio_pos(f.open_pipeline.fillna(0.0), f.quota - f.won_amount.fillna(0.0))
    out["pipeline_coverage"] = f[[*keys, "value"]]
    f = outer({"won_amount": deal_values["won_amount"], "reps": reps}, keys)
    out["revenue_per_rep"] = f.assign(value=ratio_pos(f.won_amount.fillna(0.0), f.reps))[[*keys, "value"]]
    return out


def ratio_pos(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, null where den is null, 0 or negative."""
    return num / den.where(den > 0)


# -- spend ----------------------------------------------------------------------------------------
def sm_spend(t: dict[str, pd.DataFrame], model: Any, dims: tuple[str, ...]) -> pd.DataFrame:
    s = t["spend"]
    s = s[s.department.str.lower().isin(["sales", "marketing"]).fillna(False).astype(bool)]
    s = s.assign(period=quarter_of(s.period_start, model.company.fiscal_year_start_month))
    return frame(grouped(s, dims).amount.sum())


def previous(f: pd.DataFrame, start_month: int) -> pd.DataFrame:
    """A per-quarter frame relabelled to the quarter after, to be read as 'the quarter before'."""
    def nxt(label: str) -> str:
        year, qn = int(label[:4]), int(label[-1])
        return f"{year + 1:04d}-Q1" if qn == 4 else f"{year:04d}-Q{qn + 1}"
    return f.assign(period=f.period.map(nxt))


# -- everything -----------------------------------------------------------------------------------
def compute(t: dict[str, pd.DataFrame], model: Any, today: date) -> dict[str, pd.DataFrame]:
    """For each family: a frame of metric, period, its dimensions, value."""
    fm = model.company.fiscal_year_start_month
    results: dict[str, pd.DataFrame] = {}
    values: dict[str, dict[str, pd.DataFrame]] = {}
    for fam in FAMILIES:
        d = fam.dims
        if fam.name == "deals and leads":
            v = {**deal_metrics(t, model, today, d), **lead_metrics(t, model, today, d)}
        elif fam.name == "recurring revenue":
            v = revenue_metrics(t, model, today, d)
        elif fam.name == "quota":
            o = deals_by(t, model, d)
            v = quota_metrics(t, model, today, d, {"won_amount": won_amount(o, d), "open_pipeline": open_pipeline(o, d)})
        elif fam.name == "spend":
            v = {"sm_spend": sm_spend(t, model, d)}
        elif fam.name == "routing":
            v = routing_metrics(t, model, d)
        elif fam.name == "sla":
            v = sla_metrics(t, model, today, d)
        elif fam.name.startswith("cac by"):
            v = {"cac": attributed_cac(t, model, d[0])}
        else:
            v = blended_metrics(t, model, today, fm)
        values[fam.name] = v
        parts = [v[name].assign(metric=name)[["metric", "period", *d, "value"]] for name in fam.metrics]
        results[fam.name] = pd.concat(parts, ignore_index=True)
    return results


def blended_metrics(t: dict[str, pd.DataFrame], model: Any, today: date, fm: int) -> dict[str, pd.DataFrame]:
    keys = ["period"]
    spend = sm_spend(t, model, ())
    customers = new_customers(deals_by(t, model, ()), ())
    rev = revenue_metrics(t, model, today, ())
    margin = float(model.targets.gross_margin)
    out: dict[str, pd.DataFrame] = {}
    f = outer({"sm_spend": spend, "new_customers": customers}, keys)
    f["value"] = ratio_pos(f.sm_spend.where(f.sm_spend > 0), f.new_customers)
    out["cac"] = f[[*keys, "value"]]
    f = outer({"cac": out["cac"], "new_customers": customers, "new_mrr": rev["new_mrr"]}, keys)
    f["value"] = ratio_pos(f.cac, ratio_pos(f.new_mrr, f.new_customers) * margin)
    out["cac_payback_months"] = f[[*keys, "value"]]
    f = outer({"ltv": rev["ltv"], "cac": out["cac"]}, keys)
    f["value"] = ratio_pos(f.ltv, f.cac)
    out["ltv_to_cac"] = f[[*keys, "value"]]
    f = rev["arr"].rename(columns={"value": "arr"})
    f = f.merge(previous(rev["arr"], fm).rename(columns={"value": "prior_arr"}), on=keys, how="left")
    f = f.merge(previous(spend, fm).rename(columns={"value": "prior_spend"}), on=keys, how="left")
    f["value"] = ratio_pos(f.arr - f.prior_arr, f.prior_spend)
    out["magic_number"] = f[[*keys, "value"]]
    return out


def attributed_cac(t: dict[str, pd.DataFrame], model: Any, dim: str) -> pd.DataFrame:
    """cac by ``segment`` or ``channel`` (see the module's notes)."""
    fm = model.company.fiscal_year_start_month
    s = t["spend"]
    s = s[s.department.str.lower().isin(["sales", "marketing"]).fillna(False).astype(bool)].copy()
    if dim == "segment":
        u = t["users"]
        reps = u[((u.role.str.lower() == "ae").fillna(False) | (u.quota > 0).fillna(False)) & u.segment.notna()]
        rows = []
        for _, r in s.iterrows():
            if str(r.department).lower() == "sales":
                p0 = pd.Timestamp(r.period_start)
                p1 = pd.Timestamp(r.period_end) if pd.notna(r.period_end) else p0
                on = reps[(reps.start_date.isna() | (pd.to_datetime(reps.start_date) <= p1))
                          & (reps.end_date.isna() | (pd.to_datetime(reps.end_date) >= p0))]
                if len(on):
                    for seg, n in on.segment.value_counts().items():
                        rows.append({"period_start": r.period_start, "dim": seg, "amount": r.amount * n / len(on)})
                    continue
            rows.append({"period_start": r.period_start, "dim": None, "amount": r.amount})
        s = pd.DataFrame(rows, columns=["period_start", "dim", "amount"])
    else:
        s = s.assign(dim=s.channel)
    s = s.assign(period=quarter_of(s.period_start, fm))
    o = deals_by(t, model, ())
    w = o[o.is_won & o.account_id.notna() & o.close_date.notna()]
    w = w.sort_values(["account_id", "close_date", "opportunity_id"]).drop_duplicates("account_id")
    if dim == "segment":
        w = w.assign(dim=w.account_id.map(t["accounts"].drop_duplicates("account_id").set_index("account_id").segment))
    else:
        lead_source = w.lead_id.map(t["leads"].drop_duplicates("lead_id").set_index("lead_id").source)
        w = w.assign(dim=w.source.fillna(lead_source))
    rows = []
    for period in sorted(set(s.period) | set(w.period)):
        sp, cu = s[s.period == period], w[w.period == period]
        pool = sp[sp.dim.isna()].amount.sum()
        total = len(cu)
        values = set(sp.dim.dropna()) | set(cu.dim.dropna())
        for v in sorted(values) + ([None] if sp.dim.isna().any() or cu.dim.isna().any() else []):
            n = int(cu.dim.isna().sum()) if v is None else int((cu.dim == v).sum())
            direct = 0.0 if v is None else sp[sp.dim == v].amount.sum()
            loaded = direct + (pool * n / total if total else 0.0)
            rows.append({"period": period, dim: v, "value": loaded / n if n and loaded > 0 else np.nan})
    return pd.DataFrame(rows, columns=["period", dim, "value"])


READ_SECONDS: list[float] = []
"""How long each ``run`` spent reading the store (the rest is pandas computing)."""


def run(db: str, model: Any, today: date) -> dict[str, pd.DataFrame]:
    """Read the store and compute every family: what the benchmark times."""
    start = time.perf_counter()
    tables = read_tables(db)
    READ_SECONDS.append(time.perf_counter() - start)
    return compute(tables, model, today)


# -- routing (issue 4: leads_routed, routed_to_queue_rate, fallback_rate) -------------------------
# Written from their definitions (`revops explain NAME`): the rows are _routing_decisions; the
# routing graph's own decisions are those with trigger route or api, bucketed by decided_at.
# Dimensions: team (the decision's), region (the lead's, from its country in routing.regions),
# any other name from the rep placed (users: segment …).
ROUTED_TRIGGERS = ("route", "api")


def routing_metrics(t: dict[str, pd.DataFrame], model: Any, dims: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    fm = model.company.fiscal_year_start_month
    d = t["_routing_decisions"].sort_values(["lead_id", "decided_at", "decision_id"])
    d = d.assign(next_trigger=d.groupby("lead_id").trigger.shift(-1))  # the lead's next decision
    d = d[d.trigger.isin(ROUTED_TRIGGERS)]
    region_of = {c.upper(): region for region, codes in model.routing.regions.items() for c in codes}
    country = t["leads"].set_index("lead_id").country.str.strip().str.upper()
    d = d.assign(region=d.lead_id.map(country).map(region_of),
                 owner_id=d.assigned_to.where(d.assigned_kind == "user"),
                 period=quarter_of(d.decided_at, fm),
                 queued=d.assigned_kind.isin(("queue", "nurture")),
                 fell_back=d.next_trigger.eq("fallback"))
    d = with_owner(d, t["users"], columns=tuple(c for c in dims if c not in ("team", "region")))
    out: dict[str, pd.DataFrame] = {}
    g = grouped(d, dims)
    out["leads_routed"] = frame(g.lead_id.nunique().astype("float64"))
    out["routed_to_queue_rate"] = frame(ratio(g.queued.sum(), g.size()))
    g = grouped(d[d.assigned_kind == "user"], dims)
    out["fallback_rate"] = frame(ratio(g.fell_back.sum(), g.size()))
    return out


# -- SLA clocks (sla_attainment_rate, sla_breaches, sla_open_breaches, sla_median_minutes) --------
# Written from their definitions (`revops explain NAME`) and docs/sla.md: one clock per SLA of the
# model and record whose start event happened by the end of `today`, read at that moment, bucketed
# by started_at. Dimensions: sla (the SLA's key), and the record owner's segment and region (users).
KICKOFF_WORDS = ("kickoff", "kick-off", "kick off")
EVENT_TABLES = {"lead": "leads", "leads": "leads", "opportunity": "opportunities", "opportunities": "opportunities"}
RECORD_KEYS = {"leads": "lead_id", "opportunities": "opportunity_id"}
CLOCK_UNIT_MINUTES = {"minutes": 1.0, "hours": 60.0, "days": 1440.0}


def local_time(s: pd.Series, company: Any) -> pd.Series:
    """Naive-UTC instants as naive local times of the company."""
    return pd.to_datetime(s).dt.tz_localize("UTC").dt.tz_convert(company.timezone).dt.tz_localize(None)


def business_deadline(start: pd.Series, minutes: float, company: Any) -> pd.Series:
    """The naive-UTC instant ``minutes`` working minutes after each start: a start outside
    working hours starts the clock at the next opening, a deadline landing on closing time
    stays there. Working days are numbered; a start's position is the working minutes before
    it (as in ``business_minutes``), the deadline is on working day ceil(position / day) - 1."""
    bh = company.business_hours
    open_at, per_day = minute(bh.start), minute(bh.end) - minute(bh.start)
    week = [d for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") if d in bh.days]
    if per_day <= 0 or not week:
        raise ValueError(f"business hours {bh.start}-{bh.end} on {bh.days} hold no working minutes")
    a = local_time(start, company)
    if a.empty:
        return pd.Series(pd.NaT, index=start.index, dtype="datetime64[us]")
    first = a.min().normalize()
    margin = 7 * (int(np.ceil(minutes / per_day)) // len(week) + 2) + len(company.holidays)
    days = pd.date_range(first, a.max().normalize() + pd.Timedelta(days=margin), freq="D")
    names = np.array(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])[days.day_of_week]
    working = np.isin(names, week) & ~days.isin(pd.to_datetime(list(company.holidays)))
    before = np.concatenate([[0], np.cumsum(working)[:-1]])  # working days before each day
    i = (a.dt.normalize() - first).dt.days.to_numpy()
    into = ((a - a.dt.normalize()).dt.total_seconds() / 60.0).to_numpy()
    target = before[i] * per_day + np.where(working[i], np.clip(into - open_at, 0, per_day), 0) + minutes
    k = np.ceil(target / per_day).astype("int64") - 1
    opens = (days[working] + pd.Timedelta(minutes=open_at)).tz_localize(
        company.timezone, nonexistent="shift_forward", ambiguous=np.ones(int(working.sum()), dtype=bool))
    opens = opens.tz_convert("UTC").tz_localize(None)
    after_open = pd.to_timedelta(np.round((target - k * per_day) * 60e6), unit="us")
    return pd.Series(opens[k] + after_open, index=start.index)


def sla_records(t: dict[str, pd.DataFrame], sla: Any, table: str) -> pd.DataFrame:
    """The SLA's table narrowed by its filter. The baseline reads the filters the default
    model writes: ``FIELD = 'VALUE'``, joined by ``and`` (null is no match)."""
    rec = t[table]
    text = sla.filter.strip()
    if not text:
        return rec
    for term in re.split(r"\s+and\s+", text):
        m = re.fullmatch(r"(\w+)\s*=\s*'([^']*)'", term.strip())
        if m is None or m.group(1) not in rec.columns:
            raise ValueError(f"SLA {sla.key!r}: filter {text!r}: this baseline reads filters of the form "
                             f"FIELD = 'VALUE' [and ...] over {table} only")
        rec = rec[rec[m.group(1)].eq(m.group(2)).fillna(False).astype(bool)]
    return rec


def entered_stage(t: dict[str, pd.DataFrame], stage_keys: list[str]) -> pd.DataFrame:
    """record_id, when: the first history row of each deal in one of ``stage_keys``; a deal in
    one of them now that history does not show entering it counts from its close_date."""
    h = t["opportunity_history"]
    h = h[h.stage.isin(stage_keys) & h.opportunity_id.notna()]
    entered = h.groupby("opportunity_id").changed_at.min().rename("when").reset_index()
    o = t["opportunities"]
    now_in = o[o.stage.isin(stage_keys) & o.close_date.notna() & ~o.opportunity_id.isin(entered.opportunity_id)]
    now_in = now_in.assign(when=pd.to_datetime(now_in.close_date))[["opportunity_id", "when"]]
    both = pd.concat([entered, now_in], ignore_index=True)
    return both.rename(columns={"opportunity_id": "record_id"})


def kickoff_held(t: dict[str, pd.DataFrame], model: Any) -> pd.DataFrame:
    """record_id, when: the first meeting whose subject says kickoff, on the deal or on its
    account, at or after the deal closed won. Null ids join nothing (as in SQL)."""
    a = t["activities"]
    meetings = a[a.type.str.lower().eq("meeting").fillna(False).astype(bool)]
    subject = meetings.subject.str.lower()
    says = np.logical_or.reduce([subject.str.contains(w, regex=False).fillna(False).astype(bool)
                                 for w in KICKOFF_WORDS])
    meetings = meetings[says]
    won = entered_stage(t, [s.key for s in model.pipeline.stages if s.is_won])
    on_deal = won.merge(meetings[meetings.opportunity_id.notna()][["opportunity_id", "occurred_at"]],
                        left_on="record_id", right_on="opportunity_id")
    o = t["opportunities"]
    accounts = o[o.account_id.notna()][["opportunity_id", "account_id"]]
    won_accounts = won.merge(accounts, left_on="record_id", right_on="opportunity_id")
    on_account = won_accounts.merge(meetings[meetings.account_id.notna()][["account_id", "occurred_at"]],
                                    on="account_id")
    both = pd.concat([on_deal[["record_id", "when", "occurred_at"]], on_account[["record_id", "when", "occurred_at"]]])
    both = both[both.occurred_at >= both["when"]]
    return both.groupby("record_id").occurred_at.min().rename("when").reset_index()


def first_touch(t: dict[str, pd.DataFrame], deals: pd.DataFrame) -> pd.DataFrame:
    """record_id, when: the first activity by each deal's owner on the deal or on its account,
    at or after the deal was created (for ``deals`` only)."""
    d = deals[deals.created_at.notna() & deals.owner_id.notna()][["opportunity_id", "account_id", "owner_id",
                                                                   "created_at"]]
    a = t["activities"]
    a = a[a.owner_id.notna()][["opportunity_id", "account_id", "owner_id", "occurred_at"]]
    on_deal = d.merge(a.drop(columns="account_id"), on=["opportunity_id", "owner_id"])
    on_account = d.merge(a.drop(columns="opportunity_id"), on=["account_id", "owner_id"])
    both = pd.concat([on_deal, on_account])
    both = both[both.occurred_at >= both.created_at]
    return both.groupby("opportunity_id").occurred_at.min().rename("when").rename_axis("record_id").reset_index()


def sla_event(t: dict[str, pd.DataFrame], model: Any, ref: str,
              records: pd.DataFrame | None = None) -> tuple[str, pd.DataFrame]:
    """The table whose records the event belongs to, and its occurrences (record_id, when):
    ``TABLE.FIELD`` (a date counts from its midnight), opportunity.closed_won / closed_lost /
    created, opportunity.kickoff_held, opportunity.first_touch (of ``records``, the SLA's deals)."""
    ref = ref.strip()
    stages = model.pipeline.stages
    if ref == "opportunity.first_touch":
        return "opportunities", first_touch(t, t["opportunities"] if records is None else records)
    if ref == "opportunity.closed_won":
        return "opportunities", entered_stage(t, [s.key for s in stages if s.is_won])
    if ref == "opportunity.closed_lost":
        return "opportunities", entered_stage(t, [s.key for s in stages if s.is_closed and not s.is_won])
    if ref == "opportunity.kickoff_held":
        return "opportunities", kickoff_held(t, model)
    if ref == "opportunity.created":
        ref = "opportunity.created_at"
    prefix, _, field = ref.partition(".")
    table = EVENT_TABLES.get(prefix)
    if table is None or field not in t[table].columns:
        raise ValueError(f"event {ref!r}: this baseline reads fields of leads and opportunities, "
                         "closed_won, closed_lost, created, kickoff_held and first_touch")
    rec = t[table]
    rec = rec[rec[field].notna()]
    return table, pd.DataFrame({"record_id": rec[RECORD_KEYS[table]], "when": pd.to_datetime(rec[field])})


def sla_clocks(t: dict[str, pd.DataFrame], model: Any, today: date) -> pd.DataFrame:
    """One clock per SLA and record whose start happened by the end of ``today``, read then:
    sla, owner_id, started_at, stopped_at, due_at, state (met / breached / due),
    elapsed_minutes (business minutes for business units; 0 when the stop came first)."""
    at = pd.Timestamp(today + timedelta(days=1))
    parts = []
    for sla in model.slas:
        table, starts = sla_event(t, model, sla.start)
        records = sla_records(t, sla, table)
        _, stops = sla_event(t, model, sla.stop, records)
        rec = records[[RECORD_KEYS[table], "owner_id"]]
        c = starts[starts["when"] <= at].merge(rec, left_on="record_id", right_on=RECORD_KEYS[table])
        c = c.rename(columns={"when": "started_at"})
        stops = stops[stops["when"] <= at].rename(columns={"when": "stopped_at"})
        c = c.merge(stops, on="record_id", how="left")
        end = np.maximum(c.started_at, c.stopped_at.fillna(at))
        if sla.unit in ("business_hours", "business_days"):
            bh = model.company.business_hours
            per_unit = 60.0 if sla.unit == "business_hours" else minute(bh.end) - minute(bh.start)
            c["due_at"] = business_deadline(c.started_at, sla.duration * per_unit, model.company)
            c["elapsed_minutes"] = business_minutes(c.started_at, end, model.company)
        else:
            allowed = sla.duration * CLOCK_UNIT_MINUTES[sla.unit]
            c["due_at"] = c.started_at + pd.Timedelta(microseconds=round(allowed * 60e6))
            c["elapsed_minutes"] = (end - c.started_at).dt.total_seconds() / 60.0
        stopped = c.stopped_at.notna()
        c["state"] = np.select([stopped & (c.stopped_at <= c.due_at), stopped, at > c.due_at],
                               ["met", "breached", "breached"], "due")
        parts.append(c.assign(sla=sla.key)[["sla", "record_id", "owner_id", "started_at", "stopped_at",
                                            "due_at", "state", "elapsed_minutes"]])
    if not parts:  # nothing promised: no clocks
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in (
            ("sla", object), ("record_id", object), ("owner_id", object), ("started_at", "datetime64[us]"),
            ("stopped_at", "datetime64[us]"), ("due_at", "datetime64[us]"), ("state", object),
            ("elapsed_minutes", "float64"))})
    return pd.concat(parts, ignore_index=True)


def sla_metrics(t: dict[str, pd.DataFrame], model: Any, today: date,
                dims: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The sla_* metrics by the started_at quarter and ``dims`` (``sla`` and the owner's columns)."""
    c = with_owner(sla_clocks(t, model, today), t["users"], columns=owner_columns(dims))
    c = c.assign(period=quarter_of(c.started_at, model.company.fiscal_year_start_month))
    out: dict[str, pd.DataFrame] = {}
    decided = c[c.state.isin(["met", "breached"])]
    out["sla_attainment_rate"] = frame(grouped(decided.assign(met=decided.state == "met"), dims).met.mean())
    breached = c[c.state == "breached"]
    out["sla_breaches"] = frame(grouped(breached, dims).size().astype("float64"))
    out["sla_open_breaches"] = frame(grouped(breached[breached.stopped_at.isna()], dims).size().astype("float64"))
    out["sla_median_minutes"] = frame(grouped(c[c.stopped_at.notna()], dims).elapsed_minutes.median())
    return out
