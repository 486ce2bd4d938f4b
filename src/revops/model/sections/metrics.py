"""`metrics`: the company's own metrics, declared once and computed by the metrics engine."""

from __future__ import annotations

from typing import Literal

from revops.model.sections.base import Key, Section

RESERVED_METRIC_NAMES: frozenset[str] = frozenset({
    "win_rate", "win_rate_value", "won_count", "lost_count", "won_amount", "avg_deal_size",
    "sales_cycle_days", "pipeline_created", "open_pipeline", "open_deal_count", "weighted_pipeline",
    "pipeline_coverage", "pipeline_velocity", "time_in_stage_days", "stage_conversion_rate",
    "lead_count", "mql_count", "sql_count", "mql_to_sql_rate", "sql_to_opportunity_rate",
    "lead_to_customer_rate", "speed_to_lead_minutes", "speed_to_lead_p90_minutes",
    "first_contact_sla_breach_rate", "quota",
    "quota_attainment", "revenue_per_rep", "sm_spend", "new_customers", "cac", "cac_payback_months",
    "ltv", "ltv_to_cac", "magic_number", "mrr", "arr", "new_mrr", "expansion_mrr",
    "contraction_mrr", "churned_mrr", "reactivation_mrr", "nrr", "grr", "logo_churn_rate",
    "sla_attainment_rate", "sla_breaches", "sla_open_breaches", "sla_median_minutes",
    "leads_routed", "routed_to_queue_rate", "fallback_rate",
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
    date: str | None = None
    """Date field that --period and --from/--to apply to (default: the table's creation or
    event date, e.g. created_at, occurred_at)."""
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
