"""Signals counted in a window: a workflow fires once when the Nth signal arrives within the
window, not again within the cooldown, per account or per lead, whatever order events arrive
in; events find their account by account_id, a contact's e-mail or a unique company domain."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.orchestration.conftest import T0, drain, event, runs, send, work, worker

SPIKE = """
- key: intent_spike
  trigger:
    signals: {type: page_view, where: "contains(url, '/pricing')", per: account, count: 3, within: 7d}
  steps:
    - log_touch: {touch_type: intent_spike}
"""


def pricing(at, event_id, **who):
    return event("page_view", at, event_id, properties={"url": "/pricing"}, **who)


def test_the_third_signal_in_the_window_starts_one_run(book, workflows, clock):
    model = workflows(SPIKE)
    with worker(book, model, clock) as orchestrator:
        for i in range(2):
            send(book, pricing(T0 + timedelta(hours=i), f"e{i}", account_id="A1"))
            drain(orchestrator)
        assert runs(book) == []
        send(book, pricing(T0 + timedelta(hours=2), "e2", account_id="A1"))
        drain(orchestrator)
        send(book, pricing(T0 + timedelta(hours=3), "e3", account_id="A1"))  # a 4th: the same spike
        drain(orchestrator)
    [run] = runs(book)
    assert (run["subject_table"], run["subject_id"], run["trigger_key"]) == ("accounts", "A1", "e2")
    assert run["triggered_at"] == T0 + timedelta(hours=2)
    assert run["context"]["signal_count"] == 3


def test_signals_spread_wider_than_the_window_do_not_fire(book, workflows, clock):
    model = workflows(SPIKE)
    send(book, *[pricing(T0 + timedelta(days=4 * i), f"e{i}", account_id="A1") for i in range(4)])
    work(book, model, clock)
    assert runs(book) == []


def test_the_cooldown_holds_a_second_run_back_and_lets_one_through_after(book, workflows, clock):
    model = workflows(SPIKE.replace("within: 7d}", "within: 7d, cooldown: 10d}"))
    burst = lambda start, tag: [pricing(start + timedelta(hours=h), f"{tag}{h}", account_id="A1") for h in range(3)]
    send(book, *burst(T0, "a"))
    send(book, *burst(T0 + timedelta(days=8), "b"))   # a full new burst 8 days later: inside the 10d cooldown
    work(book, model, clock)
    assert [r["trigger_key"] for r in runs(book)] == ["a2"]
    send(book, *burst(T0 + timedelta(days=11), "c"))  # 11 days after the first run: the cooldown is over
    work(book, model, clock)
    assert [r["trigger_key"] for r in runs(book)] == ["a2", "c0"]  # c0: b0-b2 and c0 within 7d


def test_events_arriving_out_of_order_fire_once_when_the_window_holds_the_count(book, workflows, clock):
    model = workflows(SPIKE)
    send(book, pricing(T0 + timedelta(days=2), "late_sent_first", account_id="A1"),
         pricing(T0, "early", account_id="A1"))
    work(book, model, clock)
    assert runs(book) == []
    send(book, pricing(T0 + timedelta(days=1), "middle", account_id="A1"))
    work(book, model, clock)
    assert len(runs(book)) == 1
    # A straggler from the same spike arriving after the run: no second run (cooldown 7d).
    send(book, pricing(T0 + timedelta(hours=12), "straggler", account_id="A1"))
    work(book, model, clock)
    assert len(runs(book)) == 1


def test_where_picks_the_events_that_count(book, workflows, clock):
    model = workflows(SPIKE)
    send(book, *[event("page_view", T0 + timedelta(hours=i), f"blog{i}", properties={"url": "/blog"},
                       account_id="A1") for i in range(5)],
         *[event("form_submitted", T0 + timedelta(hours=i), f"form{i}", properties={"url": "/pricing"},
                 account_id="A1") for i in range(5)],
         *[event("page_view", T0 + timedelta(hours=i), f"bare{i}", account_id="A1") for i in range(5)])
    work(book, model, clock)
    assert runs(book) == []


def test_an_event_the_condition_cannot_read_counts_for_nothing_and_blocks_nothing(book, workflows, clock):
    model = workflows("""
    - key: big_seat_count
      trigger:
        signals: {type: product_usage, where: "seats > 5", per: account, count: 2, within: 1d}
      steps:
        - log_touch: {}
    """)
    send(book, event("product_usage", T0, "odd", properties={"seats": "lots"}, account_id="A1"),
         event("product_usage", T0, "u1", properties={"seats": 9}, account_id="A2"),
         event("product_usage", T0 + timedelta(hours=1), "u2", properties={"seats": 12}, account_id="A2"))
    work(book, model, clock)
    assert [r["subject_id"] for r in runs(book)] == ["A2"]


def test_signals_count_per_lead_or_per_account(book, workflows, clock):
    model = workflows("""
    - key: per_lead
      trigger:
        signals: {type: email_click, per: lead, count: 2, within: 1d}
      steps: [{log_touch: {}}]
    - key: per_account
      trigger:
        signals: {type: email_click, per: account, count: 2, within: 1d}
      steps: [{log_touch: {}}]
    """)
    # Two contacts of A1 click once each: two for the account, one for each person.
    send(book, event("email_click", T0, "c1", email="cara@big.com"),
         event("email_click", T0 + timedelta(hours=1), "c2", email="carl@big.com"),
         # The lead L1 clicks twice (by lead_id, then by e-mail): two for the lead.
         event("email_click", T0, "l1", lead_id="L1"),
         event("email_click", T0 + timedelta(hours=1), "l2", email="LEE@startup.io"))
    work(book, model, clock)
    assert [(r["workflow"], r["subject_table"], r["subject_id"]) for r in runs(book)] == [
        ("per_account", "accounts", "A1"), ("per_lead", "leads", "L1")]


@pytest.mark.parametrize(("email", "account"), [
    ("cara@big.com", "A1"),            # a contact's e-mail
    ("sam@personal.io", "A2"),         # a contact's e-mail on another domain than the account's
    ("new.person@big.com", "A1"),      # nobody known, but big.com is one account's domain
    ("someone@dup.com", None),         # two accounts share dup.com: no guess
    ("someone@gmail.com", None),       # free mail never names a company (even with an account on gmail.com)
])
def test_an_email_finds_its_account(book, workflows, clock, email, account):
    model = workflows(SPIKE.replace("count: 3", "count: 1"))
    send(book, pricing(T0, "e", email=email))
    work(book, model, clock)
    assert [r["subject_id"] for r in runs(book)] == ([account] if account else [])


def test_the_window_survives_a_restart_of_the_worker(book, workflows, clock):
    model = workflows(SPIKE)
    send(book, pricing(T0, "e0", account_id="A1"), pricing(T0 + timedelta(hours=1), "e1", account_id="A1"))
    work(book, model, clock)
    send(book, pricing(T0 + timedelta(hours=2), "e2", account_id="A1"))
    work(book, model, clock)  # a new worker: it must remember e0 and e1
    assert [r["trigger_key"] for r in runs(book)] == ["e2"]
    send(book, pricing(T0 + timedelta(hours=3), "e3", account_id="A1"))
    work(book, model, clock)  # and the run: e3 is within the cooldown
    assert len(runs(book)) == 1


def test_the_same_event_id_sent_twice_counts_once(book, workflows, clock):
    model = workflows(SPIKE)
    assert send(book, pricing(T0, "e0", account_id="A1")) == [True]
    assert send(book, pricing(T0, "e0", account_id="A1"), pricing(T0, "e0", account_id="A1")) == [False, False]
    send(book, pricing(T0 + timedelta(hours=1), "e1", account_id="A1"))
    work(book, model, clock)
    assert runs(book) == []
