"""Recurring-revenue metrics on hand-built subscriptions whose answers are worked out here.

The MRR playbook classic, month-end MRR (end_date is exclusive):

    account  Dec24 Jan  Feb  Mar  Apr  May  Jun  Jul  Aug  Sep  Oct  Nov  Dec25
    acme       -   100  100  150  150  120  120   -    -    -   160  160  160
    globex    200  200  200  200  200  200  200  200  200  200  200  200  200
    total     200  300  300  350  350  320  320  200  200  200  360  360  360

acme is new in January, expands in March (+50), contracts in May (-30), churns in July
(-120) and comes back in October (+160, a reactivation); globex is new in December 2024
and steady since.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.engines.metrics.conftest import metric_values, value

D = date
TODAY = D(2025, 12, 15)
MOVEMENTS = ["new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr"]


def sub(sid, account, start, end, mrr, **kw):
    return {"subscription_id": sid, "account_id": account, "start_date": start, "end_date": end,
            "mrr": mrr, **kw}


@pytest.fixture
def playbook(gtm):
    return gtm(
        users=[{"user_id": "u1", "segment": "smb", "team": "east"},
               {"user_id": "u2", "segment": "enterprise", "team": "west"}],
        accounts=[{"account_id": "acme", "industry": "saas", "country": "FR", "owner_id": "u1"},
                  {"account_id": "globex", "industry": "retail", "country": "US", "owner_id": "u2"}],
        subscriptions=[
            sub("s1", "acme", D(2025, 1, 1), D(2025, 3, 1), 100.0),
            sub("s2", "acme", D(2025, 3, 1), D(2025, 5, 1), 150.0),
            sub("s3", "acme", D(2025, 5, 1), D(2025, 7, 1), 120.0),
            sub("s4", "acme", D(2025, 10, 1), None, 160.0),
            sub("s5", "globex", D(2024, 12, 1), None, 200.0),
        ],
    )


def by_period(store, name, **kw):
    return {r["period"]: r["value"] for r in metric_values(store, name, today=TODAY, **kw)}


def test_month_end_mrr_follows_active_subscriptions(playbook):
    assert by_period(playbook, "mrr", period="month") == {
        "2024-12": 200.0, "2025-01": 300.0, "2025-02": 300.0, "2025-03": 350.0, "2025-04": 350.0,
        "2025-05": 320.0, "2025-06": 320.0, "2025-07": 200.0, "2025-08": 200.0, "2025-09": 200.0,
        "2025-10": 360.0, "2025-11": 360.0, "2025-12": 360.0}


def test_each_month_classifies_the_change_of_every_account(playbook):
    months = {name: {p: v for p, v in by_period(playbook, name, period="month").items() if v}
              for name in MOVEMENTS}
    assert months == {
        "new_mrr": {"2024-12": 200.0, "2025-01": 100.0},
        "expansion_mrr": {"2025-03": 50.0},
        "contraction_mrr": {"2025-05": 30.0},
        "churned_mrr": {"2025-07": 120.0},
        "reactivation_mrr": {"2025-10": 160.0},
    }


def test_quarterly_movements_sum_the_months_and_mrr_is_read_at_quarter_end(playbook):
    rows = metric_values(playbook, ["mrr", "arr", *MOVEMENTS], period="quarter", today=TODAY)
    table = {(r["metric"], r["period"]): r["value"] for r in rows}
    quarters = ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert [table["mrr", q] for q in quarters] == [200.0, 350.0, 320.0, 200.0, 360.0]
    assert [table["arr", q] for q in quarters] == [2400.0, 4200.0, 3840.0, 2400.0, 4320.0]
    assert [table["new_mrr", q] for q in quarters] == [200.0, 100.0, 0.0, 0.0, 0.0]
    assert [table["expansion_mrr", q] for q in quarters] == [0.0, 50.0, 0.0, 0.0, 0.0]
    assert [table["contraction_mrr", q] for q in quarters] == [0.0, 0.0, 30.0, 0.0, 0.0]
    assert [table["churned_mrr", q] for q in quarters] == [0.0, 0.0, 0.0, 120.0, 0.0]
    assert [table["reactivation_mrr", q] for q in quarters] == [0.0, 0.0, 0.0, 0.0, 160.0]


def test_movements_bridge_opening_to_closing_mrr(playbook):
    # trailing 12 months ending December 2025: opening MRR (Dec 2024) 200, closing 360
    flows = {name: value(playbook, name, today=TODAY) for name in MOVEMENTS}
    assert flows == {"new_mrr": 100.0, "expansion_mrr": 50.0, "contraction_mrr": 30.0,
                     "churned_mrr": 120.0, "reactivation_mrr": 160.0}
    assert 200 + flows["new_mrr"] + flows["expansion_mrr"] - flows["contraction_mrr"] \
        - flows["churned_mrr"] + flows["reactivation_mrr"] == value(playbook, "mrr", today=TODAY)


def test_without_period_mrr_is_today_and_movements_are_the_trailing_twelve_months(playbook):
    # today 2026-03-15: the window is April 2025 - March 2026, so March 2025's expansion is out
    today = D(2026, 3, 15)
    assert value(playbook, "mrr", today=today) == 360.0
    assert value(playbook, "arr", today=today) == 4320.0
    assert value(playbook, "expansion_mrr", today=today) == 0.0
    assert value(playbook, "contraction_mrr", today=today) == 30.0
    assert value(playbook, "reactivation_mrr", today=today) == 160.0


def test_from_and_to_set_the_window_and_the_month_mrr_is_read(playbook):
    assert value(playbook, "mrr", end="2025-08-10", today=TODAY) == 200.0
    assert value(playbook, "new_mrr", start="2025-01-01", end="2025-02-28", today=TODAY) == 100.0
    assert value(playbook, "new_mrr", start="2025-02-01", end="2025-12-31", today=TODAY) == 0.0


def test_history_before_from_still_tells_a_comeback_from_a_new_customer(playbook):
    rows = by_period(playbook, "reactivation_mrr", period="month", start="2025-09-01", end="2025-10-31")
    assert rows == {"2025-09": 0.0, "2025-10": 160.0}
    assert by_period(playbook, "new_mrr", period="month", start="2025-09-01", end="2025-10-31") == {
        "2025-09": 0.0, "2025-10": 0.0}


def test_mrr_is_never_forecast_a_period_after_today_reads_today(playbook):
    # the current quarter and later ones are read on today, December 15: 360, nothing moves
    rows = metric_values(playbook, ["mrr", "new_mrr"], period="quarter", start="2025-10-01",
                         end="2026-06-30", today=TODAY)
    assert [(r["metric"], r["period"], r["value"]) for r in rows] == [
        ("mrr", "2025-Q4", 360.0), ("mrr", "2026-Q1", 360.0), ("mrr", "2026-Q2", 360.0),
        ("new_mrr", "2025-Q4", 0.0), ("new_mrr", "2026-Q1", 0.0), ("new_mrr", "2026-Q2", 0.0)]
    assert value(playbook, "mrr", start="2030-01-01", today=TODAY) == 360.0


def test_retention_over_a_quarter_compares_its_end_with_the_month_before_it(playbook):
    q = by_period(playbook, "nrr", period="quarter")
    # Q2: start (Mar) acme 150 + globex 200 = 350; end (Jun) 120 + 200 = 320
    assert q["2025-Q2"] == pytest.approx(320 / 350)
    # Q3: start (Jun) 320; end (Sep): acme churned, globex 200
    assert q["2025-Q3"] == pytest.approx(200 / 320)
    # Q4: only globex paid at the start (Sep); acme's reactivation is not retention
    assert q["2025-Q4"] == pytest.approx(1.0)
    # Q4 2024: nobody paid at the start (Nov 2024)
    assert q["2024-Q4"] is None
    churn = by_period(playbook, "logo_churn_rate", period="quarter")
    assert (churn["2025-Q2"], churn["2025-Q3"], churn["2025-Q4"]) == (0.0, 0.5, 0.0)
    grr = by_period(playbook, "grr", period="quarter")
    assert grr["2025-Q3"] == pytest.approx(200 / 320)


def test_grr_caps_each_account_at_its_starting_mrr_while_nrr_keeps_expansion(playbook):
    # window Feb-Apr 2025: start (Jan) acme 100 + globex 200; end (Apr) acme 150 + globex 200
    kw = dict(start="2025-02-01", end="2025-04-30", today=TODAY)
    assert value(playbook, "nrr", **kw) == pytest.approx(350 / 300)
    assert value(playbook, "grr", **kw) == pytest.approx(1.0)


def test_retention_over_the_trailing_twelve_months(playbook):
    # today 2026-03-15: start (Mar 2025) acme 150 + globex 200; end (Mar 2026) acme 160 + globex
    # 200. acme churned and came back inside the window: retained, at its end MRR.
    today = D(2026, 3, 15)
    assert value(playbook, "nrr", today=today) == pytest.approx(360 / 350)
    assert value(playbook, "grr", today=today) == pytest.approx(350 / 350)
    assert value(playbook, "logo_churn_rate", today=today) == 0.0
    # today 2025-09-30: start (Sep 2024) nobody, so no retention to speak of
    assert value(playbook, "nrr", today=D(2025, 9, 30)) is None
    # window Aug 2024 - Jul 2025 ending at --to: start nobody either; Oct 2024 - Sep 2025 neither
    assert value(playbook, "logo_churn_rate", start="2025-01-01", end="2025-09-30", today=TODAY) == 0.0


def test_ltv_is_revenue_per_account_times_margin_over_monthly_logo_churn(playbook):
    from revops.model import load_model

    # Q3 2025: at Sep globex alone pays 200; July 1 of 2 paying accounts churned, Aug and Sep
    # 0 of 1: monthly logo churn 1 / 4
    ltv = by_period(playbook, "ltv", period="quarter")
    assert ltv["2025-Q3"] == pytest.approx(200 * 0.8 / 0.25)
    assert ltv["2025-Q2"] is None  # nobody churned: no finite lifetime
    # trailing 12 months to Dec 2025: 360 / 2 accounts; 1 churn over 20 paying account-months
    # at a month start (Jan 1, Feb-Jul 2 each, Aug-Oct 1 each, Nov-Dec 2 each)
    assert value(playbook, "ltv", today=TODAY) == pytest.approx(180 * 0.8 / (1 / 20))
    model = load_model(None)
    model.targets.gross_margin = 0.5
    rows = metric_values(playbook, "ltv", period="quarter", model=model, today=TODAY)
    assert {r["period"]: r["value"] for r in rows}["2025-Q3"] == pytest.approx(200 * 0.5 / 0.25)


def test_a_fiscal_year_starting_in_february(playbook):
    from revops.model import load_model

    model = load_model(None)
    model.company.fiscal_year_start_month = 2
    rows = metric_values(playbook, ["mrr", "new_mrr", "churned_mrr", "nrr"], period="quarter",
                         model=model, today=TODAY)
    table = {(r["metric"], r["period"]): r["value"] for r in rows}
    # FY2025 Q4 = Nov 2024 - Jan 2025; FY2026 Q2 = May - Jul 2025; Q4 = Nov 2025 - Jan 2026
    assert table["new_mrr", "2025-Q4"] == 300.0
    assert table["mrr", "2025-Q4"] == 300.0
    assert table["mrr", "2026-Q1"] == 350.0  # April
    assert table["churned_mrr", "2026-Q2"] == 120.0
    assert table["nrr", "2026-Q2"] == pytest.approx(200 / 350)  # April 350 -> July 200
    assert table["mrr", "2026-Q4"] == 360.0  # read today, December 15


def test_by_account_dimensions_and_the_owner_segment(playbook):
    rows = metric_values(playbook, "mrr", by="industry", end="2025-06-30", today=TODAY)
    assert {r["industry"]: r["value"] for r in rows} == {"saas": 120.0, "retail": 200.0}
    rows = metric_values(playbook, "churned_mrr", by=["segment", "account_country"], today=TODAY)
    assert {(r["segment"], r["account_country"]): r["value"] for r in rows} == {
        ("smb", "FR"): 120.0, ("enterprise", "US"): 0.0}
    assert value(playbook, "mrr", where="industry = 'saas'", today=TODAY) == 160.0
    q3 = metric_values(playbook, "nrr", by="account", period="quarter", start="2025-07-01",
                       end="2025-09-30", today=TODAY)
    assert {r["account"]: r["value"] for r in q3} == {"acme": 0.0, "globex": 1.0}


def test_as_of_ignores_later_starts_and_later_end_dates(gtm):
    store = gtm(subscriptions=[
        sub("c1", "cyberdyne", D(2025, 1, 1), D(2025, 6, 20), 100.0),  # ends after the as-of date
        sub("d1", "dunder", D(2025, 6, 10), None, 50.0),
        sub("d2", "dunder", D(2025, 6, 20), None, 70.0),  # starts after the as-of date
    ])
    as_of = "2025-06-15"
    assert value(store, "mrr", as_of=as_of) == 150.0
    assert value(store, "churned_mrr", as_of=as_of) == 0.0
    assert value(store, "new_mrr", as_of=as_of) == 150.0
    # the same data today: cyberdyne churned in June and dunder pays 120
    june = dict(start="2025-06-01", end="2025-06-30", today=D(2025, 12, 31))
    assert value(store, "mrr", **june) == 120.0
    assert value(store, "churned_mrr", **june) == 100.0


def test_overlapping_subscriptions_of_an_account_add_up(gtm):
    store = gtm(subscriptions=[
        sub("a", "initech", D(2025, 1, 1), None, 100.0),
        sub("b", "initech", D(2025, 2, 15), D(2025, 4, 1), 40.0),
    ])
    rows = by_period(store, "mrr", period="month", start="2025-01-01", end="2025-04-30")
    assert rows == {"2025-01": 100.0, "2025-02": 140.0, "2025-03": 140.0, "2025-04": 100.0}
    assert by_period(store, "expansion_mrr", period="month", start="2025-01-01", end="2025-04-30") == {
        "2025-01": 0.0, "2025-02": 40.0, "2025-03": 0.0, "2025-04": 0.0}


def test_an_empty_range_gives_zero_amounts_and_null_ratios(playbook):
    kw = dict(start="2020-01-01", end="2020-12-31", today=TODAY)
    assert value(playbook, "mrr", **kw) == 0.0
    assert value(playbook, "new_mrr", **kw) == 0.0
    assert value(playbook, "nrr", **kw) is None
    assert value(playbook, "ltv", **kw) is None
    rows = metric_values(playbook, "churned_mrr", period="quarter", **kw)
    assert [(r["period"], r["value"]) for r in rows] == [
        ("2020-Q1", 0.0), ("2020-Q2", 0.0), ("2020-Q3", 0.0), ("2020-Q4", 0.0)]


def test_no_subscriptions_at_all(gtm):
    store = gtm(accounts=[{"account_id": "a"}])
    assert value(store, "mrr", today=TODAY) == 0.0
    assert value(store, "logo_churn_rate", today=TODAY) is None


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "pyspark"])
def test_the_queries_compile_for_every_backend(playbook, dialect):
    import ibis

    from revops.engines.metrics import MetricContext, get, make_query
    from revops.model import load_model

    if dialect == "pyspark" and ibis.options.pyspark is None:  # the compiler reads this option
        from ibis.config import Config

        class PySparkOptions(Config):
            treat_nan_as_null: bool = False

        ibis.options.pyspark = PySparkOptions()
    model = load_model(None)
    ctx = MetricContext(playbook.ibis, model, today=TODAY)
    q = make_query(by="industry", period="quarter")
    for name in ("mrr", "churned_mrr", "nrr", "ltv"):
        sql = ibis.to_sql(get(model, name).expression(ctx, q), dialect=dialect)
        # each paying month meets the account's previous one in a full outer join
        assert "subscriptions" in sql and "FULL OUTER JOIN" in sql.upper()
