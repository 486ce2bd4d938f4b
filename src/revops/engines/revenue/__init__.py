"""The revenue engine: the MRR bridge, retention over trailing windows and cohort tables.

Every number here is one the metrics layer defines (``engines/metrics/revenue.py``): an
account's MRR at each month end, the five movements between month ends (new, expansion,
contraction, churn, reactivation) and the retention measures (NRR, GRR, logo churn). This
package only arranges them:

- ``mrr_bridge``: per period, the opening MRR, the five movements (losses negative) and the
  closing MRR, which equals the opening plus the movements on every row, to the cent;
- ``trailing_retention``: NRR, GRR and logo churn over the trailing N months ending at every
  month end;
- ``cohort_table``: accounts grouped by the month they first paid, their logo, net or gross
  revenue retention at each month since.

Each takes a ``MetricSession`` (its backend, model and as-of date), so the same numbers come
from DuckDB, Spark or Postgres:

    with MetricSession(con, model, as_of="2026-03-31") as session:
        bridge = mrr_bridge(session, period="quarter", by="segment")
"""

from __future__ import annotations

from revops.engines.revenue.bridge import BRIDGE_COLUMNS, MOVEMENTS, mrr_bridge
from revops.engines.revenue.cohorts import COHORT_BASES, cohort_table
from revops.engines.revenue.retention import trailing_retention

__all__ = ["BRIDGE_COLUMNS", "COHORT_BASES", "MOVEMENTS", "cohort_table", "mrr_bridge", "trailing_retention"]
