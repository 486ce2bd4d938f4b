"""Deal metrics on hand-built deals whose answers are worked out here."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.engines.metrics.conftest import metric_values, value

D = date
T = datetime


def deal(oid, stage, amount, created, close, **kw):
    return {"opportunity_id": oid, "stage": stage, "amount": amount, "created_at": created,
            "close_date": close, **kw}


@pytest.fixture
def deals(gtm):
    return gtm(
        users=[{"user_id": "u1", "segment": "smb", "team": "east"},
               {"user_id": "u2", "segment": "enterprise", "team": "west"}],
        accounts=[{"account_id": "a1", "industry": "saas"}, {"account_id": "a2", "industry": "retail"}],
        products=[{"product_id": "core", "list_price": 5000.0}],
        opportunities=[
            # Q1 2026: 2 won (10k, 30k), 1 lost (20k)
            deal("o1", "closed_won", 10_000.0, T(2026, 1, 1), D(2026, 1, 31), owner_id="u1", account_id="a1", source="web"),
            deal("o2", "closed_won", 30_000.0, T(2026, 1, 10), D(2026, 3, 11), owner_id="u2", account_id="a2", source="partner"),
            deal("o3", "closed_lost", 20_000.0, T(2026, 2, 1), D(2026, 3, 1), owner_id="u1", account_id="a1", source="web"),
            # Q2 2026: 1 lost (40k)
            deal("o4", "closed_lost", 40_000.0, T(2026, 4, 1), D(2026, 5, 1), owner_id="u2", account_id="a2", source="web"),
            # open: proposal 50k (p=0.6) closing in Q3; discovery with no amount, valued from comparable won deals
            deal("o5", "proposal", 50_000.0, T(2026, 5, 1), D(2026, 8, 15), owner_id="u1", account_id="a1", source="web"),
            deal("o6", "discovery", None, T(2026, 6, 1), D(2026, 9, 1), owner_id="u2", product="core", source="partner"),
        ],
    )


def test_win_rate_is_won_over_won_plus_lost(deals):
    assert value(deals, "win_rate") == pytest.approx(2 / 4)
    assert value(deals, "won_count") == 2 and value(deals, "lost_count") == 2
    assert value(deals, "win_rate_value") == pytest.approx(40_000 / 100_000)


def test_closed_deal_metrics_bucket_by_close_date_per_fiscal_quarter(deals):
    rows = metric_values(deals, ["win_rate", "won_count"], period="quarter")
    assert [(r["metric"], r["period"], r["value"]) for r in rows] == [
        ("win_rate", "2026-Q1", pytest.approx(2 / 3)), ("win_rate", "2026-Q2", 0.0),
        ("won_count", "2026-Q1", 2.0), ("won_count", "2026-Q2", 0.0),
    ]


def test_deal_size_and_cycle_of_won_deals(deals):
    assert value(deals, "avg_deal_size") == 20_000
    # o1: 30 days, o2: 60 days
    assert value(deals, "sales_cycle_days") == 45


def test_open_pipeline_values_a_deal_without_amount_at_comparable_won_deals(deals):
    # two deals won (10k, 30k): fewer than five alike, so the median of every won deal, 20k
    # (not the 5k list price: that values a deal only while nothing was won)
    assert value(deals, "open_pipeline") == 70_000
    assert value(deals, "weighted_pipeline") == pytest.approx(50_000 * 0.6 + 20_000 * 0.1)
    assert value(deals, "pipeline_created") == 10_000 + 30_000 + 20_000 + 40_000 + 50_000 + 20_000


def test_by_dimensions_of_the_owner_and_the_account(deals):
    rows = metric_values(deals, "won_amount", by=["segment", "industry"])
    assert {(r["segment"], r["industry"]): r["value"] for r in rows} == {
        ("smb", "saas"): 10_000, ("enterprise", "retail"): 30_000}
    by_team = metric_values(deals, "open_pipeline", by="owner_team")
    assert {r["owner_team"]: r["value"] for r in by_team} == {"east": 50_000, "west": 20_000}


def test_where_filters_with_the_model_expression_language(deals):
    assert value(deals, "win_rate", where="source = 'web'") == pytest.approx(1 / 3)
    assert value(deals, "won_amount", where="segment = 'enterprise'") == 30_000


def test_a_fiscal_year_starting_in_february_moves_january_into_the_previous_year(deals):
    from revops.model import load_model

    model = load_model(None)
    model.company.fiscal_year_start_month = 2
    rows = metric_values(deals, "won_count", period="quarter", model=model)
    # Jan 31 is the last month of FY2026 Q4; Mar 11 falls in FY2027 Q1 (Feb-Apr)
    assert [(r["period"], r["value"]) for r in rows] == [("2026-Q4", 1.0), ("2027-Q1", 1.0)]
    years = metric_values(deals, "won_count", period="year", model=model)
    assert [(r["period"], r["value"]) for r in years] == [("2026", 1.0), ("2027", 1.0)]


def test_from_and_to_limit_the_metric_date_and_fill_empty_periods_with_null(deals):
    rows = metric_values(deals, "win_rate", period="month", start="2026-01-01", end="2026-04-30")
    assert [(r["period"], r["value"]) for r in rows] == [
        ("2026-01", 1.0), ("2026-02", None), ("2026-03", 0.5), ("2026-04", None)]


def test_an_empty_range_gives_null_not_a_crash(deals):
    assert value(deals, "win_rate", start="2030-01-01", end="2030-12-31") is None
    assert value(deals, "won_count", start="2030-01-01", end="2030-12-31") == 0


def test_unknown_dimension_names_the_ones_that_exist(deals):
    from revops.errors import MetricError

    with pytest.raises(MetricError, match="cannot be broken down or filtered by 'colour'.*segment"):
        metric_values(deals, "win_rate", by="colour")
    with pytest.raises(MetricError, match="unknown metric 'win_rat'; did you mean win_rate"):
        metric_values(deals, "win_rat")
