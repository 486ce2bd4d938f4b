"""Efficiency metrics on a hand-built sales team whose answers are worked out here.

Today is 15 May 2026 (fiscal quarters are calendar quarters: Q1 has 90 days, Q2 91).

    rep  role     team  segment     annual quota  active                     Q1 quota          Q2 quota
    u1   ae       east  smb         400k          since 2025                 100k              100k
    u2   ae       west  enterprise  800k          from 15 Feb 2026 (45 d)    200k x 45/90=100k 200k
    u3   ae       east  smb         200k          until 31 Jan 2026 (31 d)   50k x 31/90       -
    m1   manager  east  -           1.4M          (their roll-up: not counted)
    s1   sdr      east  -           -             (no quota: not a rep)

    deal  owner  account  stage       amount  close date
    o6    u3     a5       won         10k     2025-11-05  (a5's first win: new customer in Q4 2025)
    o1    u1     a1       won         60k     2026-02-10  (a1's first win)
    o2    u2     a2       won         150k    2026-03-20  (a2's first win)
    o3    u1     a1       won         20k     2026-04-10  (a1 again: not a new customer)
    o4    u2     a3       proposal    240k    2026-06-15
    o5    u1     a4       discovery   90k     2026-05-30

Sales and marketing spend: Dec 2025 90k (marketing 30k, sales 60k), Jan 40k (marketing),
Feb 80k (sales), Mar 50k customer success only (not S&M), Apr 30k (marketing): Q4 2025 90k,
Q1 2026 120k, Q2 30k.

Month-end MRR (subscriptions): a5 1k Nov-Dec 2025 (churns in January), a1 2k from 15 Feb
2026, a2 3k from 25 Mar 2026: new MRR 1k in Nov, 2k in Feb, 3k in Mar; MRR 1k at the end of
2025, 0 in January, 2k in February, 5k from March; ARR 12k, 0, 24k, 60k.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from revops.engines.metrics.catalogue import MetricQuery
from revops.engines.metrics.efficiency import next_label, previous_query
from revops.engines.metrics.periods import FiscalCalendar
from revops.errors import MetricError
from revops.model import load_model
from revops.model.sections.operations import Quota
from tests.engines.metrics.conftest import metric_values, value

D = date
TODAY = D(2026, 5, 15)
Q1_QUOTA = 100_000 + 100_000 + 50_000 * 31 / 90
Q2_QUOTA = 100_000 + 200_000


def user(uid, role, team, quota=None, **kw):
    return {"user_id": uid, "role": role, "team": team, "quota": quota, **kw}


def deal(oid, owner, account, stage, amount, close):
    return {"opportunity_id": oid, "owner_id": owner, "account_id": account, "stage": stage,
            "amount": amount, "created_at": datetime(2025, 10, 1), "close_date": close}


def spend(sid, month, department, amount, category="programs", channel=None):
    return {"spend_id": sid, "period_start": month, "department": department, "amount": amount,
            "category": category, "channel": channel}


def sub(sid, account, start, end, mrr):
    return {"subscription_id": sid, "account_id": account, "start_date": start, "end_date": end, "mrr": mrr}


TEAM = [
    user("u1", "ae", "east", 400_000.0, segment="smb", region="na", start_date=D(2025, 1, 1),
         manager_id="m1"),
    user("u2", "ae", "west", 800_000.0, segment="enterprise", region="emea", start_date=D(2026, 2, 15),
         manager_id="m1"),
    user("u3", "ae", "east", 200_000.0, segment="smb", region="na", start_date=D(2024, 1, 1),
         end_date=D(2026, 1, 31), manager_id="m1"),
    user("m1", "manager", "east", 1_400_000.0, start_date=D(2020, 1, 1)),
    user("s1", "sdr", "east", start_date=D(2020, 1, 1)),
]
DEALS = [
    deal("o6", "u3", "a5", "closed_won", 10_000.0, D(2025, 11, 5)),
    deal("o1", "u1", "a1", "closed_won", 60_000.0, D(2026, 2, 10)),
    deal("o2", "u2", "a2", "closed_won", 150_000.0, D(2026, 3, 20)),
    deal("o3", "u1", "a1", "closed_won", 20_000.0, D(2026, 4, 10)),
    deal("o4", "u2", "a3", "proposal", 240_000.0, D(2026, 6, 15)),
    deal("o5", "u1", "a4", "discovery", 90_000.0, D(2026, 5, 30)),
]
SPEND = [
    spend("sp1", D(2025, 12, 1), "marketing", 30_000.0, channel="paid_search"),
    spend("sp2", D(2025, 12, 1), "sales", 60_000.0, category="salaries"),
    spend("sp3", D(2026, 1, 1), "marketing", 40_000.0, channel="paid_search"),
    spend("sp4", D(2026, 2, 1), "Sales", 80_000.0, category="salaries"),
    spend("sp5", D(2026, 3, 1), "customer_success", 50_000.0, category="salaries"),
    spend("sp6", D(2026, 4, 1), "marketing", 30_000.0, category="events", channel="events"),
]
SUBSCRIPTIONS = [
    sub("s5", "a5", D(2025, 11, 10), D(2026, 1, 1), 1_000.0),
    sub("s1", "a1", D(2026, 2, 15), None, 2_000.0),
    sub("s2", "a2", D(2026, 3, 25), None, 3_000.0),
]


@pytest.fixture
def company(gtm):
    return gtm(users=TEAM, opportunities=DEALS, spend=SPEND, subscriptions=SUBSCRIPTIONS,
               accounts=[{"account_id": a, "owner_id": "u1"} for a in ("a1", "a2", "a3", "a4", "a5")])


def by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r["value"] for r in rows}


def periods(store, name, period="quarter", **kw):
    return by(metric_values(store, name, period=period, today=TODAY, **kw), "period")


def model_with(*quotas):
    model = load_model(None)
    model.targets.quotas = [Quota(**q) for q in quotas]
    return model


# -- quota -------------------------------------------------------------------------------------
def test_quota_is_the_reps_annual_quota_prorated_to_the_days_they_were_active(company):
    q = periods(company, "quota", start="2026-01-01", end="2026-06-30")
    assert q == {"2026-Q1": pytest.approx(Q1_QUOTA), "2026-Q2": pytest.approx(Q2_QUOTA)}
    # without --from/--to: whole quarters from the first deal's close date (Nov 2025) to the
    # last one's (June 2026); u2 had not started in Q4
    assert periods(company, "quota") == {"2025-Q4": 150_000, "2026-Q1": pytest.approx(Q1_QUOTA),
                                         "2026-Q2": pytest.approx(Q2_QUOTA)}


def test_a_rep_who_started_mid_quarter_gets_the_share_of_the_quarter_they_worked(company):
    rows = metric_values(company, "quota", by="owner", period="quarter", start="2026-01-01",
                         end="2026-03-31", today=TODAY)
    # u2 started on 15 Feb: 800k / 4 x 45 of 90 days; u3 left on 31 Jan: 200k / 4 x 31 of 90
    assert by(rows, "owner") == {"u1": 100_000, "u2": pytest.approx(100_000),
                                 "u3": pytest.approx(50_000 * 31 / 90)}
    feb = periods(company, "quota", period="month", start="2026-02-01", end="2026-02-28",
                  where="owner = 'u2'")
    assert feb == {"2026-02": pytest.approx(800_000 / 12 * 14 / 28)}


def test_quota_by_team_and_segment_from_the_reps_columns(company):
    kw = dict(period="quarter", start="2026-01-01", end="2026-03-31", today=TODAY)
    assert by(metric_values(company, "quota", by="team", **kw), "team") == {
        "east": pytest.approx(100_000 + 50_000 * 31 / 90), "west": pytest.approx(100_000)}
    assert by(metric_values(company, "quota", by="segment", **kw), "segment") == {
        "smb": pytest.approx(100_000 + 50_000 * 31 / 90), "enterprise": pytest.approx(100_000)}
    assert value(company, "quota", start="2026-01-01", end="2026-03-31", today=TODAY,
                 where="region = 'emea'") == pytest.approx(100_000)


def test_without_period_quota_is_the_current_fiscal_quarter_or_the_range_by_days(company):
    assert value(company, "quota", today=TODAY) == pytest.approx(Q2_QUOTA)
    # January alone: 31 of Q1's 90 days for u1 and u3; u2 had not started
    jan = value(company, "quota", start="2026-01-01", end="2026-01-31", today=TODAY)
    assert jan == pytest.approx((100_000 + 50_000) * 31 / 90)


def test_quota_targets_override_the_reps_quotas_for_the_periods_they_cover(company):
    model = model_with({"period": "2026-Q1", "amount": 250_000.0})
    q = periods(company, "quota", start="2026-01-01", end="2026-06-30", model=model)
    assert q == {"2026-Q1": 250_000, "2026-Q2": pytest.approx(Q2_QUOTA)}  # Q2: no target, reps' quotas
    attainment = periods(company, "quota_attainment", start="2026-01-01", end="2026-03-31", model=model)
    assert attainment == {"2026-Q1": pytest.approx(210_000 / 250_000)}


def test_team_targets_of_a_year_are_prorated_and_a_quarter_target_wins_over_them(company):
    model = model_with({"period": "FY2026", "amount": 480_000.0, "team": "east"},
                       {"period": "FY2026", "amount": 600_000.0, "team": "west"},
                       {"period": "2026-Q2", "amount": 90_000.0, "team": "west"})
    rows = metric_values(company, "quota", by="team", period="quarter", start="2026-01-01",
                         end="2026-06-30", model=model, today=TODAY)
    assert by(rows, "period", "team") == {
        ("2026-Q1", "east"): 120_000, ("2026-Q1", "west"): 150_000,
        ("2026-Q2", "east"): 120_000, ("2026-Q2", "west"): 90_000}
    year = metric_values(company, "quota", by="team", period="year", start="2026-01-01",
                         end="2026-12-31", model=model, today=TODAY)
    assert by(year, "team") == {"east": 480_000, "west": 600_000}


def test_team_targets_win_over_a_company_target_for_the_same_period(company):
    model = model_with({"period": "2026-Q1", "amount": 300_000.0},
                       {"period": "2026-Q1", "amount": 130_000.0, "team": "east"},
                       {"period": "2026-Q1", "amount": 140_000.0, "team": "west"})
    kw = dict(period="quarter", start="2026-01-01", end="2026-03-31", model=model, today=TODAY)
    assert by(metric_values(company, "quota", **kw), "period") == {"2026-Q1": 270_000}
    assert by(metric_values(company, "quota", by="team", **kw), "team") == {"east": 130_000, "west": 140_000}


def test_a_rep_target_is_that_reps_quota(company):
    model = model_with({"period": "2026-Q1", "amount": 120_000.0, "owner_id": "u2"})
    rows = metric_values(company, "quota", by="segment", period="quarter", start="2026-01-01",
                         end="2026-03-31", model=model, today=TODAY)
    assert by(rows, "segment") == {"enterprise": 120_000}


def test_quota_cannot_be_filtered_by_a_deal_column(company):
    with pytest.raises(MetricError, match="'quota' cannot be broken down or filtered by 'source'"):
        metric_values(company, "quota_attainment", where="source = 'web'", today=TODAY)


# -- attainment, coverage, revenue per rep -----------------------------------------------------
def test_quota_attainment_is_won_amount_over_quota(company):
    q = periods(company, "quota_attainment", start="2026-01-01", end="2026-06-30")
    assert q == {"2026-Q1": pytest.approx(210_000 / Q1_QUOTA), "2026-Q2": pytest.approx(20_000 / Q2_QUOTA)}
    rows = metric_values(company, "quota_attainment", by="team", start="2026-01-01", end="2026-03-31",
                         today=TODAY)
    assert by(rows, "team") == {"east": pytest.approx(60_000 / (100_000 + 50_000 * 31 / 90)), "west": 1.5}
    assert value(company, "quota_attainment", today=TODAY) == pytest.approx(20_000 / Q2_QUOTA)


def test_pipeline_coverage_is_open_pipeline_over_the_quota_left_to_close(company):
    # Q2: 330k open closing in Q2 over 300k - 20k won
    assert value(company, "pipeline_coverage", today=TODAY) == pytest.approx(330_000 / 280_000)
    rows = metric_values(company, "pipeline_coverage", by="segment", today=TODAY)
    assert by(rows, "segment") == {"smb": pytest.approx(90_000 / 80_000),
                                   "enterprise": pytest.approx(240_000 / 200_000)}


def test_pipeline_coverage_is_null_once_the_quota_is_met(company):
    rows = metric_values(company, "pipeline_coverage", by="team", period="quarter", start="2026-01-01",
                         end="2026-03-31", today=TODAY)
    # west closed 150k against 100k: nothing left to cover; east has 57k left and nothing open
    assert by(rows, "team") == {"east": 0.0, "west": None}


def test_revenue_per_rep_divides_bookings_by_the_reps_active_in_the_period(company):
    q = periods(company, "revenue_per_rep", start="2026-01-01", end="2026-06-30")
    assert q == {"2026-Q1": pytest.approx(210_000 / 3), "2026-Q2": 10_000}  # the manager and SDR are not reps
    rows = metric_values(company, "revenue_per_rep", by="team", start="2026-01-01", end="2026-03-31",
                         today=TODAY)
    assert by(rows, "team") == {"east": 30_000, "west": 150_000}


# -- spend, new customers, CAC -------------------------------------------------------------------
def test_sm_spend_counts_sales_and_marketing_by_period_start(company):
    assert periods(company, "sm_spend") == {"2025-Q4": 90_000, "2026-Q1": 120_000, "2026-Q2": 30_000}
    rows = metric_values(company, "sm_spend", by="department", start="2026-01-01", end="2026-03-31",
                         today=TODAY)
    assert by(rows, "department") == {"marketing": 40_000, "Sales": 80_000}


def test_a_new_customer_is_an_account_with_its_first_won_deal_in_the_period(company):
    assert periods(company, "new_customers", start="2025-10-01", end="2026-06-30") == {
        "2025-Q4": 1, "2026-Q1": 2, "2026-Q2": 0}
    rows = metric_values(company, "new_customers", by="team", start="2026-01-01", end="2026-06-30",
                         today=TODAY)
    assert by(rows, "team") == {"east": 1, "west": 1}  # a1 won by u1, a2 by u2


def test_cac_is_spend_per_new_customer_and_null_without_one(company):
    assert periods(company, "cac") == {"2025-Q4": 90_000, "2026-Q1": 60_000, "2026-Q2": None}
    assert value(company, "cac", today=TODAY) == pytest.approx(240_000 / 3)


# -- metrics over the revenue engine -------------------------------------------------------------
def test_cac_payback_is_cac_over_the_new_customers_gross_margin_mrr(company):
    q = periods(company, "cac_payback_months")
    # Q1: CAC 120k / 2 = 60k; new-customer ARPA (2k + 3k) / 2 = 2.5k x 0.8 gross margin = 2k
    assert q["2026-Q1"] == pytest.approx(60_000 / 2_000)
    # Q4 2025: CAC 90k / 1; ARPA 1k (a5) x 0.8
    assert q["2025-Q4"] == pytest.approx(90_000 / 800)
    assert q["2026-Q2"] is None  # no new customer


def test_cac_payback_without_period_is_the_trailing_three_months(company):
    # March to May: 30k S&M spend (April; March is customer success), 1 new customer (a2) with
    # 3k new MRR: CAC 30k, ARPA 3k x 0.8
    assert value(company, "cac_payback_months", today=TODAY) == pytest.approx(30_000 / (3_000 * 0.8))
    model = load_model(None)
    model.targets.gross_margin = 0.5
    assert value(company, "cac_payback_months", today=TODAY, model=model) == pytest.approx(30_000 / 1_500)


def test_magic_number_is_new_arr_over_the_previous_periods_spend(company):
    q = periods(company, "magic_number")
    assert q["2026-Q1"] == pytest.approx((60_000 - 12_000) / 90_000)
    assert q["2026-Q2"] == pytest.approx((60_000 - 60_000) / 120_000)
    months = periods(company, "magic_number", period="month", start="2026-03-01", end="2026-03-31")
    assert months == {"2026-03": pytest.approx((60_000 - 24_000) / 80_000)}  # over February's spend
    # trailing: ARR today 60k, at the end of February 24k; spend December to February 210k
    assert value(company, "magic_number", today=TODAY) == pytest.approx(36_000 / 210_000)


def test_ltv_to_cac_reads_both_over_the_trailing_twelve_months(company):
    ltv = value(company, "ltv", today=TODAY)
    assert ltv is not None and ltv > 0
    # June 2025 to May 2026: 240k S&M spend, 3 new customers
    assert value(company, "ltv_to_cac", today=TODAY) == pytest.approx(ltv / 80_000)


# -- nothing to divide by --------------------------------------------------------------------------
def test_no_spend_and_no_new_customers_give_null_not_a_crash(gtm):
    no_spend = gtm(users=TEAM, opportunities=DEALS, subscriptions=SUBSCRIPTIONS)
    for name in ("cac", "cac_payback_months", "magic_number", "ltv_to_cac"):
        assert value(no_spend, name, today=TODAY) is None, name
    no_customers = gtm(spend=SPEND)
    assert value(no_customers, "cac", today=TODAY) is None
    assert periods(no_customers, "cac") == {"2025-Q4": None, "2026-Q1": None, "2026-Q2": None}


def test_an_empty_store_answers_every_efficiency_metric(gtm):
    empty = gtm()
    names = ["quota", "quota_attainment", "pipeline_coverage", "revenue_per_rep", "sm_spend",
             "new_customers", "cac", "cac_payback_months", "ltv_to_cac", "magic_number"]
    rows = metric_values(empty, names, today=TODAY)
    assert {r["metric"]: r["value"] for r in rows} == {
        "quota": None, "quota_attainment": None, "pipeline_coverage": None, "revenue_per_rep": None,
        "sm_spend": 0.0, "new_customers": 0.0, "cac": None, "cac_payback_months": None,
        "ltv_to_cac": None, "magic_number": None}
    assert periods(empty, "quota_attainment", by="team") == {}


# -- the period before -----------------------------------------------------------------------------
def test_the_period_before_moves_every_date_back_one_period():
    q = MetricQuery(period="quarter", start=D(2026, 4, 1), end=D(2026, 6, 30))
    assert previous_query(q) == MetricQuery(period="quarter", start=D(2026, 1, 1), end=D(2026, 3, 31))
    assert previous_query(MetricQuery(period="month", end=D(2026, 3, 31))).end == D(2026, 2, 28)
    assert previous_query(MetricQuery(period="year")) == MetricQuery(period="year")
    cal = FiscalCalendar(2)
    labels = [("2026-Q4", "quarter"), ("2026-12", "month"), ("2026", "year")]
    assert [next_label(cal, p, k) for p, k in labels] == ["2027-Q1", "2027-01", "2027"]


def test_without_period_the_range_before_is_as_many_whole_months():
    q = MetricQuery(start=D(2026, 3, 1), end=D(2026, 5, 15))
    assert previous_query(q) == MetricQuery(start=D(2025, 12, 1), end=D(2026, 2, 28))


# -- definitions and backends ---------------------------------------------------------------------
def test_definitions_quote_the_models_targets(company):
    from revops.engines.metrics import explain

    model = load_model(None)
    model.targets.pipeline_coverage.target = 4.0
    model.targets.pipeline_coverage.warning_below = 2.5
    model.targets.cac_payback_months.warning_above = 24
    coverage = explain(company.ibis, model, "pipeline_coverage")
    assert "Target 4x, at risk below 2.5x" in coverage["definition"]
    assert coverage["inputs"] == ["open_pipeline", "quota", "won_amount"]
    payback = explain(company.ibis, model, "cac_payback_months")
    assert "Over 24 months is flagged" in payback["definition"]
    assert payback["inputs"] == ["cac", "new_customers", "new_mrr"]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "pyspark"])
def test_the_quota_query_compiles_for_every_backend(company, dialect):
    import ibis

    from revops.engines.metrics import MetricContext, get, make_query

    if dialect == "pyspark" and ibis.options.pyspark is None:  # the compiler reads this option
        from ibis.config import Config

        class PySparkOptions(Config):
            treat_nan_as_null: bool = False

        ibis.options.pyspark = PySparkOptions()
    model = model_with({"period": "2026-Q1", "amount": 250_000.0, "team": "east"})
    ctx = MetricContext(company.ibis, model, today=TODAY)
    sql = ibis.to_sql(get(model, "quota").expression(ctx, make_query(by="segment", period="quarter")),
                      dialect=dialect)
    assert "users" in sql and "UNION" in sql.upper()


# -- unit economics by segment and channel ----------------------------------------------------------
# Q1 2026. Reps: u1 smb, u2 and u3 enterprise (all active). Spend: sales salaries 90k (January;
# split per rep: smb 30k, enterprise 60k), marketing paid_search programme 20k and marketing
# salaries 10k (February). Customers: a1 (smb, deal source paid_search), a2 (smb, outbound),
# a3 (enterprise, no deal source; its lead came from paid_search). MRR: a1 1k, a2 2k, a3 10k.
UE_TEAM = [user(u, "ae", "t", 100_000.0, segment=seg, start_date=D(2025, 1, 1))
           for u, seg in (("u1", "smb"), ("u2", "enterprise"), ("u3", "enterprise"))]
UE_SPEND = [
    spend("x1", D(2026, 1, 1), "sales", 90_000.0, category="salaries"),
    spend("x2", D(2026, 2, 1), "marketing", 20_000.0, channel="paid_search"),
    spend("x3", D(2026, 2, 1), "marketing", 10_000.0, category="salaries"),
]
UE_DEALS = [
    {**deal("d1", "u1", "a1", "closed_won", 12_000.0, D(2026, 2, 10)), "source": "paid_search"},
    {**deal("d2", "u1", "a2", "closed_won", 24_000.0, D(2026, 2, 20)), "source": "outbound"},
    {**deal("d3", "u2", "a3", "closed_won", 120_000.0, D(2026, 3, 5)), "lead_id": "l1"},
]
Q1 = {"period": "quarter", "start": "2026-01-01", "end": "2026-03-31", "today": TODAY}


@pytest.fixture
def acquisitions(gtm):
    return gtm(users=UE_TEAM, spend=UE_SPEND, opportunities=UE_DEALS,
               leads=[{"lead_id": "l1", "source": "paid_search"}],
               accounts=[{"account_id": "a1", "segment": "smb", "owner_id": "u1"},
                         {"account_id": "a2", "segment": "smb", "owner_id": "u1"},
                         {"account_id": "a3", "segment": "enterprise", "owner_id": "u1"}],
               subscriptions=[sub("s1", "a1", D(2026, 2, 15), None, 1_000.0),
                              sub("s2", "a2", D(2026, 3, 1), None, 2_000.0),
                              sub("s3", "a3", D(2026, 3, 10), None, 10_000.0)])


def test_sales_spend_is_split_across_the_segments_of_the_reps_active(acquisitions):
    rows = metric_values(acquisitions, "sm_spend", by="segment", **Q1)
    assert by(rows, "segment") == {"smb": 30_000, "enterprise": 60_000, None: 30_000}


def test_cac_by_segment_shares_the_unattributed_spend_by_new_customers(acquisitions):
    assert value(acquisitions, "cac", start="2026-01-01", end="2026-03-31", today=TODAY) == 40_000
    rows = by(metric_values(acquisitions, "cac", by="segment", **Q1), "segment")
    # marketing's 30k has no segment: 2/3 to smb (2 of 3 new customers), 1/3 to enterprise
    assert rows["smb"] == pytest.approx((30_000 + 20_000) / 2)
    assert rows["enterprise"] == pytest.approx((60_000 + 10_000) / 1)
    assert rows[None] is None  # the pool's own row: no customer without a segment


def test_cac_by_channel_is_programme_spend_plus_a_share_of_the_rest(acquisitions):
    assert by(metric_values(acquisitions, "sm_spend", by="channel", **Q1), "channel") == {
        "paid_search": 20_000, None: 100_000}  # salaries: reported, not dropped
    rows = by(metric_values(acquisitions, "cac", by="channel", **Q1), "channel")
    # paid_search: a1 (deal source) and a3 (its lead's source); the 100k pool by 2:1
    assert rows["paid_search"] == pytest.approx((20_000 + 100_000 * 2 / 3) / 2)
    assert rows["outbound"] == pytest.approx(100_000 / 3)


def test_payback_and_ltv_to_cac_by_segment_use_the_accounts_segment(acquisitions):
    rows = by(metric_values(acquisitions, "cac_payback_months", by="segment", **Q1), "segment")
    assert rows["smb"] == pytest.approx(25_000 / (3_000 / 2 * 0.8))
    assert rows["enterprise"] == pytest.approx(70_000 / (10_000 * 0.8))
    ltv = by(metric_values(acquisitions, "ltv", by="account_segment", **Q1), "account_segment")
    ratio_ = by(metric_values(acquisitions, "ltv_to_cac", by="segment", **Q1), "segment")
    assert ltv["smb"] is None and ratio_["smb"] is None  # nobody churned: no lifetime to value


def test_unattributed_spend_of_a_period_without_new_customers_stays_unshared(gtm):
    store = gtm(users=UE_TEAM, spend=UE_SPEND)
    rows = metric_values(store, "cac", by="channel", **Q1)
    assert {r["channel"]: r["value"] for r in rows} == {"paid_search": None, None: None}
