"""The customer accounts on a day, with the fields an expansion signal may read.

A customer account has a live subscription on the day (the health engine's definition,
``CUSTOMERS_SQL``). Usage is read as it stood at the end of the day before (``< day``), over
the ``usage_window_days`` before it, like the health measures:

| field | meaning |
| --- | --- |
| seats, arr | seats and ARR (MRR x 12) of the live subscriptions |
| active_users_30d | the latest ``active_users`` reading in the window |
| seat_utilisation | active_users_30d / seats (null without seats or a reading) |
| premium_events_30d | the sum of the ``premium_metric`` usage in the window (0 without any) |
| open_expansion_opportunities | expansion deals on the account open on the day (created before it, not closed) |

plus every column of ``accounts`` (custom ones included).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from revops.engines.health.inputs import CUSTOMERS_SQL


def expansion_facts(con: Any, model: Any, day: date) -> pd.DataFrame:
    """One row per customer account on ``day``, keyed by account_id (a column)."""
    settings = model.handoffs.expansion
    open_stages = [s.key for s in model.open_stages] or ["__none__"]
    stages = ", ".join("'" + s.replace("'", "''") + "'" for s in open_stages)
    sql = f"""
    WITH c AS ({CUSTOMERS_SQL}),
    active AS (
      SELECT account_id, arg_max(value, usage_date) AS active_users_30d
      FROM usage WHERE metric = 'active_users' AND value IS NOT NULL AND usage_date < $day
        AND usage_date >= $day - INTERVAL ($window) DAY
      GROUP BY account_id),
    premium AS (
      SELECT account_id, SUM(value) AS premium_events_30d
      FROM usage WHERE metric = $premium AND value IS NOT NULL AND usage_date < $day
        AND usage_date >= $day - INTERVAL ($window) DAY
      GROUP BY account_id),
    expansions AS (
      SELECT account_id, COUNT(*) AS open_expansion_opportunities
      FROM opportunities WHERE type = 'expansion' AND stage IN ({stages}) AND created_at < $day
      GROUP BY account_id)
    SELECT a.*, c.seats, c.arr, act.active_users_30d,
           CASE WHEN c.seats > 0 THEN act.active_users_30d / c.seats END AS seat_utilisation,
           coalesce(p.premium_events_30d, 0) AS premium_events_30d,
           coalesce(e.open_expansion_opportunities, 0) AS open_expansion_opportunities
    FROM c JOIN accounts a USING (account_id)
    LEFT JOIN active act USING (account_id)
    LEFT JOIN premium p USING (account_id)
    LEFT JOIN expansions e USING (account_id)
    ORDER BY account_id
    """
    return con.execute(sql, {"day": day, "window": settings.usage_window_days,
                             "premium": settings.premium_metric}).df()
