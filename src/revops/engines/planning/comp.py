"""Compensation: what each person on a comp plan earns in a period, from the deals that
actually happened, and what selling costs (total comp / bookings).

    run = simulate_comp(store.con, model, load_comp_plan(Path("comp.yaml")), "2026-Q1")
    run.rows          # one per person: attainment, variable, spiffs, clawbacks, payout, ...
    run.cost_of_sales

For one person and a period of m months (docs/planning-comp.md):

    quota            annual quota (the plan's, else users.quota) x m / 12
    target variable  (ote - base) x m / 12            base = ote x base_share x m / 12
    attainment       credited / quota                 credited: the plan's measure (comp_plan)
    variable         target variable x sum over tiers of rate x attainment in the tier   (marginal)
                     target variable x attainment x rate of the tier reached              (tiered)
                     then at most cap x target variable; never below 0
    spiffs           per qualifying deal credited: amount, or rate x deal amount
    clawbacks        share x base rate x amount of every won deal of theirs (bookings plans)
                     whose account churned in this period within clawback.months of the close;
                     base rate = annual variable / annual quota. Each entry of ``clawbacks``
                     gives the deal's ``deal_amount`` and the ``clawback`` taken back
    payout           variable + spiffs - clawbacks   (what the commission run pays)
    total_pay        base + payout
    cost_of_sales    sum of total_pay / all bookings (won amount) in the period
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from revops.engines.metrics.periods import FiscalCalendar, add_months
from revops.engines.planning.comp_plan import CompPlan, CompPlanFile, Spiff
from revops.engines.planning.months import MONTH, QUARTER
from revops.engines.planning.plan_file import PlanError


@dataclass(frozen=True)
class CompPeriod:
    label: str
    start: date
    end: date  # last day
    months: int

    @classmethod
    def parse(cls, label: str, calendar: FiscalCalendar) -> CompPeriod:
        text = str(label).strip()
        if QUARTER.match(text):
            kind, months = "quarter", 3
        elif MONTH.match(text) and 1 <= int(text[5:7]) <= 12:
            kind, months = "month", 1
        elif len(text) == 4 and text.isdigit():
            kind, months = "year", 12
        else:
            raise PlanError(f"period {label!r} is not a fiscal quarter (2026-Q1), a month (2026-05) or a "
                            "fiscal year (2026)")
        start = calendar.label_start(text, kind)  # type: ignore[arg-type]
        end = add_months(start, months) - timedelta(days=1)
        return cls(text, start, end, months)


@dataclass
class CompRun:
    period: CompPeriod
    rows: list[dict[str, Any]]
    bookings: float  # all won amount in the period
    total_pay: float
    notes: list[str] = field(default_factory=list)

    @property
    def cost_of_sales(self) -> float | None:
        return self.total_pay / self.bookings if self.bookings > 0 else None

    def summary(self) -> dict[str, Any]:
        return {"period": self.period.label, "people": len(self.rows),
                "total_pay": round(self.total_pay, 2),
                "total_payout": round(sum(r["payout"] for r in self.rows), 2),
                "bookings": round(self.bookings, 2),
                "cost_of_sales": None if self.cost_of_sales is None else round(self.cost_of_sales, 6),
                "notes": self.notes}


def simulate_comp(con: Any, model: Any, plans: CompPlanFile, period: str) -> CompRun:
    """Payouts of everyone on ``plans`` for ``period`` from the store on ``con`` (DuckDB)."""
    p = CompPeriod.parse(period, FiscalCalendar(model.company.fiscal_year_start_month))
    won = _won_deals(con, model, p)
    users = con.execute("SELECT user_id, name, role, quota, active FROM users ORDER BY user_id").df()
    notes: list[str] = []
    members = _members(plans, users, notes)
    rows = []
    for user_id, plan in members:
        quota_row = users.loc[users["user_id"] == user_id, "quota"]
        rows.append(_pay(con, plan, user_id, quota_row.iloc[0] if len(quota_row) else None, p, won, notes))
    total_pay = sum(r["total_pay"] for r in rows)
    bookings = float(won.loc[won["in_period"], "amount"].sum())
    notes.extend(_why_nothing_is_credited(con, p, won, members))
    return CompRun(p, rows, bookings, total_pay, notes)


def _why_nothing_is_credited(con: Any, p: CompPeriod, won: pd.DataFrame,
                             members: list[tuple[str, CompPlan]]) -> list[str]:
    """Notes for a period in which a plan's measure cannot credit anyone anything."""
    out = []
    deal_plans = sorted({plan.name for _, plan in members if plan.measure != "net_expansion"})
    if deal_plans and not won["in_period"].any():
        last = won["close_date"].max() if len(won) else None
        if p.start > date.today():
            why = f"{p.label} has not happened yet (it starts {p.start.isoformat()}), so no deal has closed in it"
        else:
            why = f"no deal closed won in {p.label}"
        since = f" (the last won deal in the store closed {last.isoformat()})" if last is not None else ""
        out.append(f"{why}{since}: everyone on {', '.join(deal_plans)} is paid base only")
    by_plan: dict[str, list[str]] = {}
    for user_id, plan in members:
        if plan.measure == "net_expansion":
            by_plan.setdefault(plan.name, []).append(user_id)
    for name, people in sorted(by_plan.items()):
        marks = ", ".join("?" for _ in people)
        owned = con.execute(f"""
            SELECT a.owner_id, COUNT(DISTINCT a.account_id) AS accounts,
                   COUNT(DISTINCT CASE WHEN s.start_date <= ? AND (s.end_date IS NULL OR s.end_date > ?)
                                       THEN a.account_id END) AS paying
            FROM accounts a LEFT JOIN subscriptions s USING (account_id)
            WHERE a.owner_id IN ({marks}) GROUP BY a.owner_id""", [p.start, p.start, *people]).fetchall()
        books = {owner: (accounts, paying) for owner, accounts, paying in owned}
        no_book = [u for u in people if u not in books]
        no_paying = [u for u in people if u in books and books[u][1] == 0]
        if no_book:
            out.append(f"{name} (net_expansion): {_people(no_book)} own{'s' if len(no_book) == 1 else ''} no "
                       "accounts (accounts.owner_id), so net expansion credits nothing and "
                       f"{'they are' if len(no_book) > 1 else 'is'} paid base only; give CSMs their book of "
                       "accounts (accounts.owner_id) to pay them on it")
        if no_paying:
            out.append(f"{name} (net_expansion): none of the accounts of {_people(no_paying)} was paying on "
                       f"{p.start.isoformat()}, so net expansion credits nothing (new logos do not count)")
    return out


def _people(ids: list[str]) -> str:
    shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
    return f"{len(ids)} people ({shown})" if len(ids) > 1 else shown


def _members(plans: CompPlanFile, users: pd.DataFrame, notes: list[str]) -> list[tuple[str, CompPlan]]:
    """(user_id, plan) for everyone on a plan: a user named in a plan takes that plan, others the
    first plan listing their role; inactive users only when named."""
    known = set(users["user_id"])
    chosen: dict[str, CompPlan] = {}
    for plan in plans.plans:
        for u in plan.users:
            if u not in known:
                notes.append(f"plan {plan.name}: user {u} is not in the store")
            elif u in chosen:
                notes.append(f"user {u} is named in plans {chosen[u].name} and {plan.name}; paid on {chosen[u].name}")
            else:
                chosen[u] = plan
    for plan in plans.plans:
        for row in users.itertuples():
            if row.role in plan.roles and row.user_id not in chosen and not _inactive(row.active):
                chosen[row.user_id] = plan
    return sorted(chosen.items())


def _inactive(active: Any) -> bool:
    """users.active says false (empty means active)."""
    return active is not None and not pd.isna(active) and not bool(active)


def _won_deals(con: Any, model: Any, p: CompPeriod) -> pd.DataFrame:
    """Every won deal with its account's churn day (when all its subscriptions have ended)."""
    stages = model.won_stage_keys
    marks = ", ".join("?" for _ in stages) or "NULL"
    frame = con.execute(f"""
        WITH churn AS (
            SELECT account_id, MAX(end_date) AS churned_on FROM subscriptions
            GROUP BY account_id HAVING COUNT(*) = COUNT(end_date))
        SELECT o.opportunity_id, o.owner_id, o.account_id, COALESCE(o.amount, 0)::DOUBLE AS amount,
               o.close_date, o.type, o.product, o.source, churn.churned_on
        FROM opportunities o LEFT JOIN churn USING (account_id)
        WHERE o.stage IN ({marks}) AND o.close_date IS NOT NULL
        ORDER BY o.close_date, o.opportunity_id""", list(stages)).df()
    close = pd.to_datetime(frame["close_date"]).dt.date
    frame["close_date"] = close
    frame["in_period"] = pd.Series([p.start <= d <= p.end for d in close], index=frame.index, dtype=bool)
    return frame


def _credited(con: Any, plan: CompPlan, user_id: str, p: CompPeriod, won: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """What ``user_id`` is credited with under the plan's measure, and the deals behind it."""
    in_period = won[won["in_period"]]
    if plan.measure == "net_expansion":
        row = con.execute("""
            WITH book AS (SELECT account_id FROM accounts WHERE owner_id = ?),
            mrr AS (
                SELECT s.account_id,
                       SUM(CASE WHEN s.start_date <= ? AND (s.end_date IS NULL OR s.end_date > ?)
                                THEN COALESCE(s.mrr, 0) ELSE 0 END) AS opening,
                       SUM(CASE WHEN s.start_date <= ? AND (s.end_date IS NULL OR s.end_date > ?)
                                THEN COALESCE(s.mrr, 0) ELSE 0 END) AS closing
                FROM subscriptions s JOIN book USING (account_id) GROUP BY s.account_id)
            SELECT COALESCE(SUM(12 * (closing - opening)), 0) FROM mrr WHERE opening > 0""",
                          [user_id, p.start, p.start, p.end, p.end]).fetchone()
        return float(row[0]), in_period.iloc[0:0]
    if plan.measure == "closed_pipeline":
        deals = in_period[in_period["source"].isin(plan.sources or [])]
    else:
        deals = in_period[in_period["owner_id"] == user_id]
    if plan.deal_types is not None:
        deals = deals[deals["type"].isin(plan.deal_types)]
    return float(deals["amount"].sum()), deals


def variable_pay(attainment: float, plan: CompPlan, target_variable: float) -> tuple[float, list[dict[str, Any]]]:
    """Variable pay before the cap, and the tiers it came from (module docstring)."""
    if attainment <= 0 or target_variable <= 0:
        return 0.0, []
    tiers = plan.tiers
    if plan.schedule == "tiered":
        tier = [t for t in tiers if t.start <= attainment][-1]
        pay = target_variable * attainment * tier.rate
        return pay, [{"from": tier.start, "rate": tier.rate, "attainment": attainment, "pay": round(pay, 2)}]
    applied, pay = [], 0.0
    for tier, nxt in zip(tiers, [*tiers[1:], None]):
        top = nxt.start if nxt is not None else math.inf
        portion = min(attainment, top) - tier.start
        if portion <= 0:
            break
        part = target_variable * portion * tier.rate
        pay += part
        applied.append({"from": tier.start, "to": None if math.isinf(top) else top, "rate": tier.rate,
                        "attainment": round(portion, 6), "pay": round(part, 2)})
    return pay, applied


def _spiff_pay(spiff: Spiff, deals: pd.DataFrame) -> tuple[float, int]:
    hit = deals[deals["amount"] >= spiff.min_amount]
    if spiff.products is not None:
        hit = hit[hit["product"].isin(spiff.products)]
    if spiff.deal_types is not None:
        hit = hit[hit["type"].isin(spiff.deal_types)]
    pay = spiff.amount * len(hit) if spiff.amount is not None else float(hit["amount"].sum()) * (spiff.rate or 0)
    return float(pay), len(hit)


def _pay(con: Any, plan: CompPlan, user_id: str, user_quota: Any, p: CompPeriod, won: pd.DataFrame,
         notes: list[str]) -> dict[str, Any]:
    share = p.months / 12
    annual_quota = plan.quota if plan.quota is not None else (
        float(user_quota) if user_quota is not None and not pd.isna(user_quota) and user_quota > 0 else None)
    if annual_quota is None:
        notes.append(f"{user_id} ({plan.name}): no quota in the plan or users.quota; attainment and "
                     "variable pay not computed")
    quota = annual_quota * share if annual_quota else None
    base = plan.base * share
    target_variable = plan.variable * share
    credited, deals = _credited(con, plan, user_id, p, won)
    attainment = credited / quota if quota else None
    variable, tiers = variable_pay(attainment or 0.0, plan, target_variable)
    capped = plan.cap is not None and variable > plan.cap * target_variable
    if capped:
        variable = plan.cap * target_variable
    spiffs = []
    for spiff in plan.spiffs:
        amount, count = _spiff_pay(spiff, deals)
        if count:
            spiffs.append({"name": spiff.name, "deals": count, "pay": round(amount, 2)})
    clawed = []
    if plan.clawback is not None and plan.measure == "bookings" and annual_quota:
        rate = plan.variable / annual_quota
        mine = won[(won["owner_id"] == user_id) & won["churned_on"].notna()]
        if plan.deal_types is not None:
            mine = mine[mine["type"].isin(plan.deal_types)]
        for deal in mine.itertuples():
            churned = pd.Timestamp(deal.churned_on).date()
            if p.start <= churned <= p.end and deal.close_date <= churned < add_months(
                    deal.close_date, plan.clawback.months):
                clawed.append({"opportunity_id": deal.opportunity_id, "account_id": deal.account_id,
                               "closed": deal.close_date.isoformat(), "churned": churned.isoformat(),
                               "deal_amount": _money(deal.amount),
                               "clawback": round(plan.clawback.share * rate * deal.amount, 2)})
    spiff_total = sum(s["pay"] for s in spiffs)
    clawback_total = sum(c["clawback"] for c in clawed)
    payout = variable + spiff_total - clawback_total
    own = won[won["in_period"] & (won["owner_id"] == user_id)]
    return {
        "user_id": user_id,
        "plan": plan.name,
        "measure": plan.measure,
        "quota": _money(quota),
        "credited": _money(credited),
        "attainment": None if attainment is None else round(attainment, 6),
        "base": _money(base),
        "target_variable": _money(target_variable),
        "variable": _money(variable),
        "capped": capped,
        "tiers_applied": tiers,
        "spiffs": spiffs,
        "spiff_pay": _money(spiff_total),
        "clawbacks": clawed,
        "clawback_amount": _money(clawback_total),
        "payout": _money(payout),
        "total_pay": _money(base + payout),
        "bookings": _money(float(own["amount"].sum())),
        "deals": int(len(deals)),
    }


def _money(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)
