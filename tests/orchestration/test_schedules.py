"""Schedules: at each cron tick (in the company's time zone) one run per record that meets the
condition; a tick is worked once, however many workers start; ticks missed while no worker
ran are made up once, not once each."""

from __future__ import annotations

from datetime import datetime

from tests.orchestration.conftest import drain, runs, work, worker

DAILY = """
- key: big_account_review
  trigger:
    schedule: {cron: "0 9 * * *", table: accounts, where: "employees >= 1000"}
  steps:
    - create_task: {subject: "Review {name}", due_in: 1d}
"""
NINE_NEW_YORK = datetime(2026, 11, 2, 14, 0)
"""09:00 in New York on Monday 2 November 2026 (EST, UTC-5), in UTC."""


def test_each_tick_runs_once_for_the_matching_records(book, workflows, clock):
    model = workflows(DAILY)
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)                      # 05:00 New York: the schedule starts counting
        clock.now = datetime(2026, 11, 2, 13, 59)  # 08:59 New York
        drain(orchestrator)
        assert runs(book) == []
        clock.now = NINE_NEW_YORK
        drain(orchestrator)
        clock.advance(minutes=30)
        drain(orchestrator)
    work(book, model, clock)                     # another worker the same morning: the tick is done
    found = runs(book)
    assert [(r["subject_id"], r["triggered_at"], r["status"]) for r in found] == [("A1", NINE_NEW_YORK, "completed")]
    assert found[0]["trigger_kind"] == "schedule"


def test_ticks_missed_while_stopped_are_made_up_once(book, workflows, clock):
    model = workflows(DAILY)
    work(book, model, clock)
    clock.now = datetime(2026, 11, 5, 15, 0)     # Thursday: the ticks of Monday to Thursday missed
    work(book, model, clock)
    assert [r["triggered_at"] for r in runs(book)] == [datetime(2026, 11, 5, 14, 0)]
    clock.now = datetime(2026, 11, 6, 14, 0)     # Friday 09:00 New York
    work(book, model, clock)
    assert [r["triggered_at"] for r in runs(book)] == [datetime(2026, 11, 5, 14, 0), datetime(2026, 11, 6, 14, 0)]


def test_a_new_schedule_does_not_run_for_ticks_before_it_was_first_seen(book, workflows, clock):
    model = workflows(DAILY)
    clock.now = datetime(2026, 11, 2, 20, 0)     # after today's 09:00 New York
    work(book, model, clock)
    assert runs(book) == []
