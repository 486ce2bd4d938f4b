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
    sql = """
    SELECT account_id,
           COUNT(*) FILTER (WHERE overdue)::DOUBLE AS value,
           COALESCE(SUM(amount) FILTER (WHERE overdue), 0) AS overdue_amount
    FROM (SELECT account_id, amount,
                 due_on + INTERVAL ($grace) DAY < $day AND (paid_on IS NULL OR paid_on >= $day) AS overdue
          FROM invoices WHERE issued_on < $day AND account_id IS NOT NULL)
    GROUP BY account_id
    """
    return _query(con, sql, {"day": day, "grace": m.grace_days})


def _champion_change(con, m: HealthMeasure, day: date) -> pd.DataFrame:
    sql = """
    SELECT account_id,
           MIN(CASE WHEN left_at < $day AND left_at >= $day - INTERVAL ($window) DAY
                    THEN date_diff('day', left_at, $day) END)::DOUBLE AS days_since,
           arg_min(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')),
                   CASE WHEN left_at < $day AND left_at >= $day - INTERVAL ($window) DAY
                        THEN date_diff('day', left_at, $day) END) AS champion,
           arg_min(left_at, CASE WHEN left_at < $day AND left_at >= $day - INTERVAL ($window) DAY
                                 THEN date_diff('day', left_at, $day) END) AS left_at
    FROM contacts WHERE role = 'champion' AND account_id IS NOT NULL
      AND (created_at IS NULL OR created_at < $day)
    GROUP BY account_id
    """
    f = _query(con, sql, {"day": day, "window": m.window_days})
    if len(f):
        f["value"] = f["days_since"].fillna(float(m.window_days))
    return f


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
    "champion_change": {"contacts": ("account_id", "role", "left_at", "first_name", "last_name")},
}
"""The tables and columns each input needs; without them (or with the table empty) the
measure is not measured for anyone."""
