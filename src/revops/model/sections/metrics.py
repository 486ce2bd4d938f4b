"""`metrics`: the company's own metrics, declared once and computed by the metrics engine."""

from __future__ import annotations

from typing import Literal

from revops.model.sections.base import Key, Section

RESERVED_METRIC_NAMES: frozenset[str] = frozenset({
    "pipeline_coverage", "win_rate", "mql_rate", "mql_to_sql_rate", "sql_to_opp_rate",
    "opp_rate", "avg_deal_size", "sales_cycle_days", "time_to_response", "time_to_qualify",
    "time_in_stage", "cac", "ltv", "ltv_to_cac", "cac_payback_months", "revenue_per_rep",
    "magic_number", "arr", "mrr", "nrr", "grr", "forecast", "quota_attainment",
})
"""Names of the metrics revops computes itself; custom metrics may not reuse them."""


class MetricDefinition(Section):
    name: Key
    label: str = ""
    description: str = ""
    type: Literal["count", "sum", "average", "ratio"]
    table: str | None = None
    """Canonical table counted or summed (not for ratio)."""
    field: str | None = None
    """Field summed or averaged (sum and average only)."""
    filter: str = ""
    """Expression over the table's fields: only matching records count."""
    numerator: Key | None = None
    """ratio only: metric on top."""
    denominator: Key | None = None
    """ratio only: metric below."""
    unit: str = ""
    format: Literal["number", "currency", "percent", "days", "months", "ratio"] = "number"
    direction: Literal["up", "down"] = "up"
    """Which way is good: up (more is better) or down."""
