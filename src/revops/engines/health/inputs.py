"""What each health measure reads, as of a day: one SQL query per input over the canonical
tables, giving per customer account the measure's value and what the reasons quote.

Nothing after the day scored is read: usage, activities, tickets, answers and invoices are
taken as they stood at the end of the day before it (``< as_of``); a ticket closed or an
invoice paid later was open or unpaid then. The one exception is the contact's role: the
store keeps the current role, so a champion is whoever is champion now (their ``left_at``
is honoured as of the day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from revops.model.sections.operations import HealthMeasure

CUSTOMERS_SQL = """
SELECT account_id, SUM(mrr) * 12 AS arr, SUM(seats) AS seats, MIN(start_date) AS customer_since,
       MIN(CASE WHEN end_date IS NOT NULL THEN end_date END) AS contract_end
FROM subscriptions
WHERE account_id IS NOT NULL AND start_date <= $day AND (end_date IS NULL OR end_date > $day)
GROUP BY account_id
"""
"""Customer accounts on the day: a subscription started on or before it and not yet ended."""


@dataclass(frozen=True)
class Reading:
    """One input read for every customer: ``values`` indexed by account_id with a ``value``
    column (missing accounts: not measured) and the columns its reason quotes; or the whole
    input missing from the store (``missing`` says what is)."""

    values: pd.DataFrame
    missing: str | None = None


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"value": pd.Series(dtype=float)}, index=pd.Index([], name="account_id"))


def _query(con, sql: str, params: dict) -> pd.DataFrame:
    frame = con.execute(sql, params).df()
    return frame.set_index("account_id") if len(frame) else _empty()


def read_input(con, tables: dict[str, set[str]], measure: HealthMeasure, day: date) -> Reading:
    """``tables``: the store's tables and their columns (what is there to read)."""
    reader = READERS[measure.reads]
    need = NEEDS[measure.reads]
    for table, columns in need.items():
        have = tables.get(table)
        if have is None or not set(columns) <= have:
            return Reading(_empty(), f"the store has no {table} ({', '.join(columns)})")
        if table != "subscriptions" and not con.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchall():
            return Reading(_empty(), f"no {table.replace('_', ' ')} in the store")
    return Reading(reader(con, measure, day))


def _usage_trend(con, m: HealthMeasure, day: date) -> pd.DataFrame:
    sql = """
    WITH u AS (
      SELECT account_id, value,
             usage_date >= $day - INTERVAL ($window) DAY AS recent
      FROM usage
      WHERE metric = $metric AND value IS NOT NULL AND usage_date < $day
        AND usage_date >= $day - INTERVAL ($window + $baseline) DAY)
    SELECT account_id, AVG(value) FILTER (WHERE recent) AS recent, AVG(value) FILTER (WHERE NOT recent) AS baseline
    FROM u GROUP BY account_id
    HAVING COUNT(*) FILTER (WHERE recent) > 0 AND AVG(value) FILTER (WHERE NOT recent) > 0
    """
    f = _query(con, sql, {"day": day, "window": m.window_days, "baseline": m.baseline_days, "metric": m.metric})
    f["value"] = f["recent"] / f["baseline"] if len(f) else pd.Series(dtype=float)
    return f


def _seat_utilisation(con, m: HealthMeasure, day: date) -> pd.DataFrame:
    sql = f"""
    WITH latest AS (
      SELECT account_id, arg_max(value, usage_date) AS active
      FROM usage WHERE metric = 'active_users' AND value IS NOT NULL AND usage_date < $day
        AND usage_date >= $day - INTERVAL ($window) DAY
      GROUP BY account_id)
    SELECT c.account_id, l.active, c.seats, l.active / c.seats AS value
    FROM ({CUSTOMERS_SQL}) c JOIN latest l USING (account_id) WHERE c.seats > 0
    """
    return _query(con, sql, {"day": day, "window": m.window_days})


def _engagement(con, m: HealthMeasure, day: date) -> pd.DataFrame:
    types = ", ".join("'" + t.replace("'", "''") + "'" for t in m.activity_types)
    only = f"AND a.type IN ({types})" if types else ""
    sql = f"""
    SELECT c.account_id, COUNT(a.activity_id)::DOUBLE AS value
    FROM ({CUSTOMERS_SQL}) c LEFT JOIN activities a
      ON a.account_id = c.account_id AND a.occurred_at < $day
     AND a.occurred_at >= $day - INTERVAL ($window) DAY {only}
    GROUP BY c.account_id
    """
    return _query(con, sql, {"day": day, "window": m.window_days})


def _support_tickets(con, m: HealthMeasure, day: date) -> pd.DataFrame:
    sql = f"""
    SELECT c.account_id,
           COUNT(t.ticket_id) FILTER (WHERE t.opened_at < $day AND (t.closed_at IS NULL OR t.closed_at >= $day))
             AS open_tickets,
           COUNT(t.ticket_id) FILTER (WHERE t.escalated_at < $day AND t.escalated_at >= $day - INTERVAL ($window) DAY)
             AS escalated
    FROM ({CUSTOMERS_SQL}) c LEFT JOIN support_tickets t ON t.account_id = c.account_id AND t.opened_at < $day
    GROUP BY c.account_id
    """
    f = _query(con, sql, {"day": day, "window": m.window_days})
    f["value"] = f["open_tickets"] + m.escalated_weight * f["escalated"] if len(f) else pd.Series(dtype=float)
    return f


def _nps(con, m: HealthMeasure, day: date) -> pd.DataFrame:
    sql = """
    SELECT account_id, arg_max(score, responded_at)::DOUBLE AS value, MAX(responded_at) AS answered_at
    FROM nps_responses
    WHERE score IS NOT NULL AND responded_at < $day AND responded_at >= $day - INTERVAL ($window) DAY
    GROUP BY account_id
    """
    return _query(con, sql, {"day": day, "window": m.window_days})


def _payment_status(con, m: HealthMeasure, day: date) -> pd.DataFrame:
    """Invoices unpaid on the day more than ``grace_days`` past their due date: how many, their
    amount, the days the oldest is past due (after the grace); the most days late any invoice
    due in the last ``window_days`` was paid (after the grace); the account's MRR. The value by
    ``overdue_by``."""
    sql = f"""
    WITH i AS (
      SELECT account_id, amount, due_on,
             due_on + INTERVAL ($grace) DAY < $day AND (paid_on IS NULL OR paid_on >= $day) AS overdue,
             CASE WHEN paid_on < $day THEN date_diff('day', due_on, paid_on) - $grace END AS paid_late
      FROM invoices WHERE issued_on < $day AND account_id IS NOT NULL)
    SELECT i.account_id,
           COUNT(*) FILTER (WHERE overdue)::DOUBLE AS overdue_invoices,
           COALESCE(SUM(amount) FILTER (WHERE overdue), 0)::DOUBLE AS overdue_amount,
           COALESCE(MAX(date_diff('day', due_on, $day) - $grace) FILTER (WHERE overdue), 0)::DOUBLE AS days_overdue,
           COALESCE(GREATEST(MAX(paid_late) FILTER (WHERE due_on >= $day - INTERVAL ($window) DAY), 0), 0)::DOUBLE
             AS paid_late,
           ANY_VALUE(c.arr) / 12 AS mrr
    FROM i LEFT JOIN ({CUSTOMERS_SQL}) c ON c.account_id = i.account_id
    GROUP BY i.account_id
    """
    f = _query(con, sql, {"day": day, "grace": m.grace_days, "window": m.window_days})
    if not len(f):
        return f
    mrr = f["mrr"].where(f["mrr"] > 0)
    if m.overdue_by == "invoices":
        f["value"] = f["overdue_invoices"]
    elif m.overdue_by == "amount":
        # months of recurring revenue unpaid; an account without MRR: any amount is a month
        f["value"] = (f["overdue_amount"] / mrr).fillna((f["overdue_amount"] > 0).astype(float))
    else:
        enough = (f["overdue_invoices"] > 0) & (f["overdue_amount"] >= m.min_overdue_share * mrr.fillna(0))
        f["value"] = f["days_overdue"].where(enough, 0.0)
        if m.window_days:
            f["value"] = f[["value", "paid_late"]].max(axis=1)
    return f


def _champion_change(con, m: HealthMeasure, day: date) -> pd.DataFrame:
    """1 while the account's champion is gone: the latest champion to leave did so in the last
    ``window_days`` and no new champion was named since (a contact with role champion created
    on or after that day, before the day scored, who has not left by it); else 0."""
    sql = """
    WITH champ AS (
      SELECT account_id, left_at, created_at,
             trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) AS name
      FROM contacts WHERE role = 'champion' AND account_id IS NOT NULL
        AND (created_at IS NULL OR created_at < $day)),
    gone AS (
      SELECT account_id, arg_max(name, left_at) AS champion, MAX(left_at) AS left_at
      FROM champ WHERE left_at < $day AND left_at >= $day - INTERVAL ($window) DAY
      GROUP BY account_id)
    SELECT c.account_id, g.champion, g.left_at,
           date_diff('day', g.left_at, $day)::DOUBLE AS days_since,
           CASE WHEN g.left_at IS NULL THEN 0
                WHEN EXISTS (SELECT 1 FROM champ n WHERE n.account_id = c.account_id
                               AND n.created_at >= g.left_at AND (n.left_at IS NULL OR n.left_at >= $day))
                THEN 0 ELSE 1 END::DOUBLE AS value
    FROM (SELECT DISTINCT account_id FROM champ) c LEFT JOIN gone g USING (account_id)
    """
    return _query(con, sql, {"day": day, "window": m.window_days})


READERS = {
    "usage_trend": _usage_trend, "seat_utilisation": _seat_utilisation, "engagement": _engagement,
    "support_tickets": _support_tickets, "nps": _nps, "payment_status": _payment_status,
    "champion_change": _champion_change,
}
NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    "usage_trend": {"usage": ("account_id", "usage_date", "metric", "value")},
    "seat_utilisation": {"usage": ("account_id", "usage_date", "metric", "value"),
                         "subscriptions": ("seats",)},
    "engagement": {"activities": ("account_id", "occurred_at", "type")},
    "support_tickets": {"support_tickets": ("account_id", "opened_at", "closed_at", "escalated_at")},
    "nps": {"nps_responses": ("account_id", "responded_at", "score")},
    "payment_status": {"invoices": ("account_id", "issued_on", "due_on", "paid_on", "amount")},
    "champion_change": {"contacts": ("account_id", "role", "left_at", "first_name", "last_name", "created_at")},
}
"""The tables and columns each input needs; without them (or with the table empty) the
measure is not measured for anyone."""
