"""A backfill of old signals starts nothing (max_age) while they still count; `keep_owner`
keeps an active owner and routes only records without one; conditions read the worker's
clock; a batch rescore that lifts a lead over a score threshold starts the score workflow."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from revops.engines.scoring.combined import save_scores, score_leads
from tests.orchestration.conftest import T0, drain, event, rows, runs, send, worker


def pricing(at, event_id, **who):
    return event("page_view", at, event_id, properties={"url": "/pricing"}, **who)


def test_a_spike_older_than_max_age_starts_nothing_but_its_signals_still_count(book, workflows, clock):
    model = workflows("""
    - key: spike
      trigger:
        signals: {type: page_view, per: account, count: 3, within: 7d, cooldown: 1d, max_age: 2d}
      steps: [{log_touch: {touch_type: intent_spike}}]
    """)
    old = T0 - timedelta(days=30)
    send(book, *[pricing(old + timedelta(hours=i), f"old{i}", account_id="A1") for i in range(3)])
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)
        assert runs(book) == []  # last month's spike: no run today
        send(book, *[pricing(T0 - timedelta(hours=3 - i), f"new{i}", account_id="A1") for i in range(3)])
        drain(orchestrator)
    [run] = runs(book)
    assert run["trigger_key"] == "new2" and run["context"]["signal_count"] == 3


def test_keep_owner_keeps_an_active_owner_and_assigns_the_unowned(book, workflows, clock):
    book.con.execute("INSERT INTO accounts (account_id, name, employees) VALUES ('A9', 'Nobody Owns Me', 20)")
    model = workflows("""
    - key: claim
      trigger:
        event: {type: signup, subject: account}
      steps: [{assign: {owner: "'u2'", keep_owner: true}}]
    """)
    send(book, event("signup", T0, "s1", account_id="A1"), event("signup", T0, "s2", account_id="A9"))
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)
    owners = {r["account_id"]: r["owner_id"] for r in rows(book, "SELECT account_id, owner_id FROM accounts "
                                                                 "WHERE account_id IN ('A1', 'A9')")}
    assert owners == {"A1": "u1", "A9": "u2"}
    results = {r["subject_id"]: json.loads(r["result"]) for r in rows(
        book, "SELECT r.subject_id, s.result FROM _workflow_steps s JOIN _workflow_runs r USING (run_id)")}
    assert results["A1"]["how"].startswith("kept")


def test_conditions_read_the_workers_clock(book, workflows, clock):
    model = workflows("""
    - key: recent_only
      trigger:
        event: {type: signup, subject: account}
      when: "days_since(event_at) <= 1"
      steps: [{log_touch: {touch_type: signup}}]
    """)
    clock.now = datetime(2026, 11, 20)
    send(book, event("signup", datetime(2026, 11, 19, 12), "fresh", account_id="A1"),
         event("signup", datetime(2026, 11, 10), "stale", account_id="A2"))
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)
    assert [r["trigger_key"] for r in runs(book)] == ["fresh"]


def test_a_batch_rescore_over_the_threshold_starts_the_score_workflow(book, workflows, clock):
    model = workflows("""
    - key: hot
      trigger: {score: {crosses: 10}}
      steps: [{add_to_list: {list: hot}}]
    """)
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)  # the feed is read from here on
        book.con.execute("UPDATE leads SET score = 0, title = 'VP Sales', company_size = 5000")
        with book.transaction():
            save_scores(book, score_leads(book, model, clock()), feed=True)
        drain(orchestrator)
    scored = rows(book, "SELECT score FROM leads WHERE lead_id = 'L1'")[0]["score"]
    assert scored >= 10
    assert [r["subject_id"] for r in runs(book, "hot")] == ["L1"]
    assert rows(book, "SELECT member_id FROM _list_members") == [{"member_id": "L1"}]
