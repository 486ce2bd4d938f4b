"""Customer health on accounts built by hand: scores, bands, reasons, missing data and trend
worked out on paper."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from revops.engines.health.renewals import next_anniversary, renewal_forecast
from revops.engines.health.score import HealthRequest, band_of, score_accounts
from revops.model import load_model
from revops.model.sections.operations import Health

DAY = date(2026, 3, 31)


def _health(**extra) -> Health:
    bands = [{"key": "red", "min": 0, "max": 50}, {"key": "yellow", "min": 51, "max": 75},
             {"key": "green", "min": 76, "max": 100}]
    measures = [
        {"key": "usage", "reads": "usage_trend", "window_days": 28, "baseline_days": 90, "weight": 0.4},
        {"key": "payment", "reads": "payment_status", "overdue_by": "invoices", "full_at": 0, "zero_at": 2,
         "weight": 0.4},
        {"key": "support", "label": "Support tickets", "reads": "support_tickets", "weight": 0.2},
    ]
    return Health.model_validate({"measures": measures, "bands": bands, **extra})


def _weeks(account: str, first: date, last: date, value: float) -> list[dict]:
    rows, d = [], first
    while d <= last:
        rows.append({"usage_id": f"{account}-{d}", "account_id": account, "usage_date": d,
                     "metric": "active_users", "value": value})
        d += timedelta(days=7)
    return rows


@pytest.fixture
def accounts(gtm):
    """acc_a: usage fell to 3/4 of its baseline 28 days ago and an invoice went overdue 30 days
    ago; acc_b: usage as usual and no invoices at all."""
    subs = [{"subscription_id": "s1", "account_id": "acc_a", "start_date": date(2025, 1, 10), "mrr": 1000.0,
             "seats": 10},
            {"subscription_id": "s2", "account_id": "acc_b", "start_date": date(2025, 4, 20), "mrr": 500.0,
             "seats": 5}]
    usage = (_weeks("acc_a", DAY - timedelta(days=200), DAY - timedelta(days=29), 8)
             + _weeks("acc_a", DAY - timedelta(days=27), DAY - timedelta(days=1), 6)
             + _weeks("acc_b", DAY - timedelta(days=200), DAY - timedelta(days=1), 4))
    invoices = [{"invoice_id": "i1", "account_id": "acc_a", "issued_on": DAY - timedelta(days=60),
                 "due_on": DAY - timedelta(days=30), "amount": 3000.0}]
    tickets = [{"ticket_id": "t1", "account_id": "acc_b", "opened_at": datetime(2026, 1, 5),
                "closed_at": datetime(2026, 1, 6)}]
    return lambda with_tickets=True: gtm(subscriptions=subs, usage=usage, invoices=invoices,
                                         support_tickets=tickets if with_tickets else [])


def test_scores_bands_and_reasons_worked_out_by_hand(accounts):
    report = score_accounts(accounts().con, _health(), HealthRequest(DAY), currency="USD")
    rows = {r["account_id"]: r for r in report.rows}
    a = rows["acc_a"]
    # usage 6/8 = 0.75 -> halfway from 0.5 to 1.0 = 50; one invoice overdue of 2 -> 50;
    # no tickets -> 100. (0.4*50 + 0.4*50 + 0.2*100) / 1.0 = 60 -> yellow
    assert a["measures"] == {"usage": 50, "payment": 50, "support": 100}
    assert a["score"] == 60 and a["band"] == "yellow" and not a["at_risk"]
    assert a["reasons"] == ["usage down 25% vs its 90-day baseline (active_users)", "1 invoice overdue (3,000 USD)"]


def test_missing_data_is_not_measured_and_its_weight_spread(accounts):
    report = score_accounts(accounts().con, _health(), HealthRequest(DAY))
    b = next(r for r in report.rows if r["account_id"] == "acc_b")
    # no invoices for acc_b: payment not measured; (0.4*100 + 0.2*100) / 0.6 = 100, not 60
    assert b["measures"]["payment"] is None
    assert b["score"] == 100 and b["band"] == "green" and b["reasons"] == []
    assert len(b["not_measured"]) == 1 and b["not_measured"][0].startswith("payment not measured: no invoices")


def test_an_input_the_store_lacks_is_said_so_for_everyone(accounts):
    report = score_accounts(accounts(with_tickets=False).con, _health(), HealthRequest(DAY))
    assert report.unmeasured_inputs == {"support": "no support tickets in the store"}
    a = next(r for r in report.rows if r["account_id"] == "acc_a")
    # support not measured: (0.4*50 + 0.4*50) / 0.8 = 50 -> red, a churn risk
    assert a["score"] == 50 and a["band"] == "red" and a["at_risk"]
    assert any(t.startswith("Support tickets not measured") for t in a["not_measured"])


def test_trend_compares_with_the_score_trend_days_before(accounts):
    report = score_accounts(accounts().con, _health(trend_days=30), HealthRequest(DAY))
    a = next(r for r in report.rows if r["account_id"] == "acc_a")
    # 30 days before: usage as usual, the invoice not yet past due, no tickets -> 100; now 60
    assert (a["score_before"], a["trend"], a["trend_delta"]) == (100, "down", -40)


def test_nothing_after_the_day_is_read(accounts):
    before_drop = score_accounts(accounts().con, _health(), HealthRequest(DAY - timedelta(days=31)))
    a = next(r for r in before_drop.rows if r["account_id"] == "acc_a")
    assert a["score"] == 100 and a["reasons"] == []


def test_filters_by_band_and_account(accounts):
    store = accounts()
    assert [r["account_id"] for r in score_accounts(store.con, _health(), HealthRequest(DAY, bands=("yellow",))).rows] \
        == ["acc_a"]
    assert [r["account_id"] for r in score_accounts(store.con, _health(), HealthRequest(DAY, ("acc_b",))).rows] \
        == ["acc_b"]


def test_champion_leaving_is_named_with_the_day(gtm):
    store = gtm(subscriptions=[{"subscription_id": "s1", "account_id": "acc_c", "start_date": date(2024, 6, 1)}],
                contacts=[{"contact_id": "c1", "account_id": "acc_c", "first_name": "Jane", "last_name": "Doe",
                           "role": "champion", "left_at": date(2026, 3, 2)}])
    health = Health.model_validate({"measures": [{"key": "champion", "reads": "champion_change", "weight": 1}],
                                    "bands": [{"key": "red", "min": 0, "max": 50}, {"key": "green", "min": 51, "max": 100}]})
    row = score_accounts(store.con, health, HealthRequest(DAY)).rows[0]
    # she left 29 days ago and no new champion was named: 0 until one is (or 365 days pass)
    assert row["score"] == 0
    assert row["reasons"] == ["champion Jane Doe left on 2026-03-02, no new champion named"]
    assert score_accounts(store.con, health, HealthRequest(date(2026, 3, 2))).rows[0]["score"] == 100


def test_renewals_with_arr_at_risk(accounts):
    health, store = _health(), accounts()
    report = score_accounts(store.con, health, HealthRequest(DAY))
    rows = renewal_forecast(store.con, health, report, within_days=365)
    assert [(r["account_id"], r["renewal_date"]) for r in rows] == [("acc_b", date(2026, 4, 20)),
                                                                      ("acc_a", date(2027, 1, 10))]
    a = rows[1]
    assert a["arr"] == 12000 and a["risk"] == "medium" and a["arr_at_risk"] == 0
    assert next_anniversary(date(2024, 2, 29), date(2025, 3, 1)) == date(2026, 2, 28)


def test_bands_from_the_model():
    health = load_model(None).health
    assert [band_of(health, s) for s in (0, 50, 50.4, 50.6, 75, 76, 100)] == \
        ["red", "red", "red", "yellow", "yellow", "green", "green"]


def test_a_renewal_is_at_risk_when_health_flags_the_account_whatever_its_band(accounts):
    # critical_below 55: acc_a's usage and payment (50 each) are critical, so acc_a is a churn
    # risk though its score (60) is yellow; its renewal is then high risk, its ARR at risk
    health, store = _health(critical_below=55), accounts()
    report = score_accounts(store.con, health, HealthRequest(DAY))
    a = next(r for r in renewal_forecast(store.con, health, report, within_days=365) if r["account_id"] == "acc_a")
    assert (a["band"], a["at_risk"], a["risk"], a["arr_at_risk"]) == ("yellow", True, "high", 12000)


def test_renewal_risk_is_medium_only_in_the_band_just_above_an_at_risk_band():
    from revops.engines.health.renewals import risk_of
    health = _health()
    assert [risk_of(health, b, False) for b in ("yellow", "green", None)] == ["medium", "low", "unknown"]
    assert [risk_of(health, b, True) for b in ("red", "yellow", "green")] == ["high", "high", "high"]
