"""What actually happened, for plans to start from: the quota-carrying reps of the store with
their start month, and the monthly bookings of a fully ramped rep."""

from __future__ import annotations

from datetime import date
from typing import Any

from revops.engines.planning.months import Month


def store_reps(con: Any, roles: list[str], as_of: date) -> list[Any]:
    """Active users of ``roles`` (not ended by ``as_of``), with their start month (their
    start_date; a user without one counts as started long ago)."""
    from revops.engines.planning.capacity import Starter

    rows = con.execute(
        "SELECT user_id, start_date FROM users WHERE lower(role) IN (SELECT unnest(?::VARCHAR[])) "
        "AND coalesce(active, TRUE) AND (end_date IS NULL OR end_date > ?) ORDER BY user_id",
        [[r.lower() for r in roles], as_of]).fetchall()
    return [Starter(Month.of(start) if start else Month(1970, 1), 1, "store") for _, start in rows]


def ramped_productivity(con: Any, model: Any, roles: list[str], ramp_months: int, as_of: date) -> float | None:
    """The mean monthly bookings (won amount by close month) of a fully ramped rep: bookings
    over rep-months, counting the months of the last 12 (before ``as_of``'s month) in which a
    rep was at least ``ramp_months`` into their tenure. The mean, not the median: deals are
    lumpy, most rep-months book nothing, and capacity is an expected value."""
    first = Month.of(as_of).plus(-12)
    won = model.stage_spellings(won=True)
    rows = con.execute("""
        SELECT u.user_id, u.start_date, u.end_date, date_trunc('month', o.close_date) AS month,
               sum(coalesce(o.amount, 0)) AS booked
        FROM users u LEFT JOIN opportunities o ON o.owner_id = u.user_id
             AND lower(trim(o.stage)) IN (SELECT unnest(?::VARCHAR[]))
             AND o.close_date >= ? AND o.close_date < ?
        WHERE lower(u.role) IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY ALL""", [won, first.first_day, Month.of(as_of).first_day, [r.lower() for r in roles]]).fetchall()
    per_rep_month: dict[tuple[str, Month], float] = {}
    starts: dict[str, tuple[Month, Month | None]] = {}
    for user, start, end, month, booked in rows:
        starts[user] = (Month.of(start) if start else Month(1970, 1), Month.of(end) if end else None)
        if month is not None:
            per_rep_month[(user, Month.of(month))] = float(booked or 0)
    values = []
    for user, (start, end) in starts.items():
        for i in range(12):
            m = first.plus(i)
            if m.minus(start) >= ramp_months and (end is None or m < end):
                values.append(per_rep_month.get((user, m), 0.0))
    return sum(values) / len(values) if values else None

