"""The catalogue as a whole: every built-in metric is named in the contract, documented,
and answers an empty store with a value or a clear message, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from revops.engines.metrics import compute
from revops.engines.metrics.registry import builtin
from revops.errors import MetricError
from revops.model import load_model
from revops.model.sections.metrics import RESERVED_METRIC_NAMES

CONTRACT = """win_rate win_rate_value won_count lost_count won_amount avg_deal_size sales_cycle_days
pipeline_created open_pipeline weighted_pipeline pipeline_coverage pipeline_velocity time_in_stage_days
stage_conversion_rate lead_count mql_count sql_count mql_to_sql_rate sql_to_opportunity_rate
lead_to_customer_rate speed_to_lead_minutes quota_attainment revenue_per_rep cac cac_payback_months
ltv_to_cac magic_number mrr arr new_mrr expansion_mrr contraction_mrr churned_mrr reactivation_mrr nrr
grr logo_churn_rate""".split()


def test_every_contract_metric_is_built_in_and_reserved():
    assert set(CONTRACT) <= set(builtin())
    assert set(builtin()) <= RESERVED_METRIC_NAMES


def test_every_metric_has_a_written_definition_and_the_reference_is_current():
    from revops.engines.metrics.reference import render

    for m in builtin().values():
        assert m.description and m.definition and m.unit, m.name
    doc = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"
    assert doc.read_text() == render(), "regenerate: python -m revops.engines.metrics.reference > docs/metrics.md"


@pytest.mark.parametrize("ask", [{}, {"period": "quarter", "start": "2026-01-01", "end": "2026-06-30"},
                                 {"by": "owner", "period": "month"}])
def test_an_empty_store_gives_zero_null_or_a_clear_message(gtm, ask):
    store = gtm()
    model = load_model(None)
    for name in builtin():
        try:
            frame = compute(store.ibis, model, name, **ask)
        except MetricError as exc:
            assert "cannot be broken down" in str(exc), (name, exc)
            continue
        if ask.get("start"):
            assert list(frame["period"]) == ["2026-Q1", "2026-Q2"], name
        for v in frame["value"]:
            assert v != v or v == 0 or name in ("quota", "mrr", "arr"), (name, v)  # NaN or 0
