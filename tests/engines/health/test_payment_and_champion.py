"""The payment and champion measures on accounts built by hand: an invoice a month past due is
a red flag, and a departed champion stays a risk until a new one is named."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta

from revops.engines.health.score import HealthRequest, score_accounts
from revops.model import validate_file
from revops.model.sections.operations import Health

DAY = date(2026, 3, 31)
BANDS = [{"key": "red", "min": 0, "max": 50}, {"key": "green", "min": 51, "max": 100}]


def _only(measure: dict) -> Health:
    """A health section of one measure (weight 1): the account's score is the measure's."""
    return Health.model_validate({"measures": [{"key": "m", "weight": 1, **measure}], "bands": BANDS})


def _rows(store, health: Health, day: date = DAY) -> dict[str, dict]:
    return {r["account_id"]: r for r in score_accounts(store.con, health, HealthRequest(day), currency="USD").rows}


def _sub(account: str, mrr: float = 1000.0) -> dict:
    return {"subscription_id": f"s_{account}", "account_id": account, "start_date": date(2025, 1, 1), "mrr": mrr,
            "seats": 10}


def _invoice(account: str, due_days_ago: int, amount: float = 3000.0, paid_days_ago: int | None = None) -> dict:
    due = DAY - timedelta(days=due_days_ago)
    return {"invoice_id": f"i_{account}_{due_days_ago}", "account_id": account, "issued_on": due - timedelta(days=30),
            "due_on": due, "amount": amount,
            "paid_on": None if paid_days_ago is None else DAY - timedelta(days=paid_days_ago)}


# -- payment -------------------------------------------------------------------------------


def test_an_invoice_a_month_past_due_is_a_red_flag(gtm):
    # MRR 1,000; defaults: days overdue, 0 days scores 100, 30 days scores 0
    store = gtm(subscriptions=[_sub("acc_40"), _sub("acc_20"), _sub("acc_ok")],
                invoices=[_invoice("acc_40", 40), _invoice("acc_20", 20), _invoice("acc_ok", 40, paid_days_ago=45)])
    rows = _rows(store, _only({"reads": "payment_status"}))
    # one invoice 40 days past due: 0 and a churn risk (counted, as before, it was 1 of 2 -> 50)
    assert rows["acc_40"]["score"] == 0 and rows["acc_40"]["at_risk"]
    assert rows["acc_40"]["reasons"] == ["1 invoice overdue (3,000 USD), the oldest 40 days past due"]
    # 20 days past due: 100 * (1 - 20/30) = 33, red but the measure is not under 15
    assert rows["acc_20"]["score"] == 33
    # paid 5 days before it was due: nothing overdue
    assert rows["acc_ok"]["score"] == 100 and rows["acc_ok"]["reasons"] == []


def test_grace_days_are_not_counted_as_days_overdue(gtm):
    store = gtm(subscriptions=[_sub("acc_a")], invoices=[_invoice("acc_a", 25)])
    # 25 days past due, 5 of grace: 20 days overdue -> 100 * (1 - 20/30) = 33
    assert _rows(store, _only({"reads": "payment_status", "grace_days": 5}))["acc_a"]["score"] == 33
    # 25 days past due, 30 of grace: not overdue at all
    assert _rows(store, _only({"reads": "payment_status", "grace_days": 30}))["acc_a"]["score"] == 100


def test_an_invoice_paid_late_in_the_last_quarter_still_counts(gtm):
    # due 60 days ago, paid 45 days late (15 days ago): within the 90-day window -> 45 days -> 0;
    # due 150 days ago, paid 45 days late: its due date is before the window -> 100
    store = gtm(subscriptions=[_sub("acc_recent"), _sub("acc_old")],
                invoices=[_invoice("acc_recent", 60, paid_days_ago=15), _invoice("acc_old", 150, paid_days_ago=105)])
    rows = _rows(store, _only({"reads": "payment_status"}))
    assert rows["acc_recent"]["score"] == 0 and rows["acc_recent"]["at_risk"]
    assert rows["acc_old"]["score"] == 100
    # window_days 0: only invoices unpaid on the day count, so a paid one never does
    assert _rows(store, _only({"reads": "payment_status", "window_days": 0}))["acc_recent"]["score"] == 100


def test_a_small_overdue_line_is_not_a_payment_problem(gtm):
    # MRR 1,000: under 10% of it (100 USD) overdue is ignored, however old
    store = gtm(subscriptions=[_sub("acc_small"), _sub("acc_big")],
                invoices=[_invoice("acc_small", 60, amount=80.0), _invoice("acc_big", 60, amount=120.0)])
    rows = _rows(store, _only({"reads": "payment_status"}))
    assert rows["acc_small"]["score"] == 100 and rows["acc_big"]["score"] == 0
    assert _rows(store, _only({"reads": "payment_status", "min_overdue_share": 0}))["acc_small"]["score"] == 0


def test_payment_by_amount_and_by_invoices(gtm):
    # MRR 1,000; by amount: months of revenue overdue, 0 -> 100, 1 month -> 0
    store = gtm(subscriptions=[_sub("acc_half"), _sub("acc_two")],
                invoices=[_invoice("acc_half", 5, amount=500.0),
                          _invoice("acc_two", 5, amount=3000.0), _invoice("acc_two", 100, amount=3000.0)])
    by_amount = _rows(store, _only({"reads": "payment_status", "overdue_by": "amount"}))
    assert by_amount["acc_half"]["score"] == 50 and by_amount["acc_two"]["score"] == 0
    # by invoices: 1 of 2 -> 50, 2 -> 0
    by_count = _rows(store, _only({"reads": "payment_status", "overdue_by": "invoices"}))
    assert by_count["acc_half"]["score"] == 50 and by_count["acc_two"]["score"] == 0


# -- champion ------------------------------------------------------------------------------


def _champion(contact: str, account: str, left: date | None = None, created: datetime = datetime(2024, 1, 1)) -> dict:
    return {"contact_id": contact, "account_id": account, "first_name": "Jane", "last_name": contact.upper(),
            "role": "champion", "left_at": left, "created_at": created}


CHAMPION = {"reads": "champion_change"}


def test_a_departed_champion_stays_a_risk_until_a_new_one_is_named(gtm):
    store = gtm(
        subscriptions=[_sub(a) for a in ("acc_gone", "acc_replaced", "acc_cochamp", "acc_aged", "acc_stays")],
        contacts=[
            # left 181 days ago, nobody named since: still 0 (recovering over 180 days, it read 100)
            _champion("c1", "acc_gone", left=date(2025, 9, 30)),
            # left on Jan 1; a new champion added Feb 1 who is still there: 100
            _champion("c2", "acc_replaced", left=date(2026, 1, 1)),
            _champion("c3", "acc_replaced", created=datetime(2026, 2, 1, 9)),
            # a champion already on the account before the departure is not a new one named
            _champion("c4", "acc_cochamp", left=date(2026, 1, 1)),
            _champion("c5", "acc_cochamp", created=datetime(2025, 6, 1)),
            # left 395 days ago: older than the 365-day window -> 100
            _champion("c6", "acc_aged", left=date(2025, 3, 1)),
            _champion("c7", "acc_stays"),
        ])
    rows = _rows(store, _only(CHAMPION))
    assert rows["acc_gone"]["score"] == 0 and rows["acc_gone"]["at_risk"]
    assert rows["acc_gone"]["reasons"] == ["champion Jane C1 left on 2025-09-30, no new champion named"]
    assert rows["acc_replaced"]["score"] == 100 and not rows["acc_replaced"]["at_risk"]
    assert rows["acc_cochamp"]["score"] == 0
    assert rows["acc_aged"]["score"] == 100 and rows["acc_stays"]["score"] == 100
    # the window says how long an unreplaced departure counts: 180 days -> acc_gone is clear
    assert _rows(store, _only({**CHAMPION, "window_days": 180}))["acc_gone"]["score"] == 100


def test_a_new_champion_named_after_the_day_is_not_read(gtm):
    store = gtm(subscriptions=[_sub("acc_a")],
                contacts=[_champion("c1", "acc_a", left=date(2026, 1, 1)),
                          _champion("c2", "acc_a", created=datetime(2026, 4, 10))])
    assert _rows(store, _only(CHAMPION))["acc_a"]["score"] == 0
    assert _rows(store, _only(CHAMPION), day=date(2026, 4, 20))["acc_a"]["score"] == 100


def test_a_new_champion_who_left_too_is_no_replacement(gtm):
    store = gtm(subscriptions=[_sub("acc_a")],
                contacts=[_champion("c1", "acc_a", left=date(2025, 11, 1)),
                          _champion("c2", "acc_a", created=datetime(2025, 12, 1), left=date(2026, 3, 1))])
    row = _rows(store, _only(CHAMPION))["acc_a"]
    # the latest departure (Mar 1) is the one named; nobody was named after it
    assert row["score"] == 0 and row["reasons"] == ["champion Jane C2 left on 2026-03-01, no new champion named"]


def test_a_champion_measure_counting_days_is_reported_with_its_line(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text(textwrap.dedent("""
        health:
          measures:
            - key: champion
              reads: champion_change
              full_at: 180
              zero_at: 0
              weight: 1
          bands:
            - {key: red, min: 0, max: 50}
            - {key: green, min: 51, max: 100}
        """).lstrip("\n"))
    issues = validate_file(path)
    assert any(i.line in (3, 4) and "champion_change reads 1 while the champion is gone" in i.message
               and "window_days" in i.message for i in issues), issues


def test_payment_options_belong_to_payment_measures(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text("health:\n  measures:\n    - key: nps\n      reads: nps\n      overdue_by: amount\n"
                    "      weight: 1\n")
    issues = validate_file(path)
    assert any("overdue_by applies to measures that read payment_status" in i.message and i.line in (3, 4)
               for i in issues), issues
