"""The breach queue: promises broken and still open, the longest overdue first, with who owns
the record, their team and manager, and what the SLA's fallback says to do."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from revops.engines.sla import breach_queue, clock_request, parse_moment
from revops.errors import SlaError
from revops.model.sections.slas import Fallback
from tests.engines.sla.conftest import T, model_with, sla

USERS = [
    {"user_id": "mgr", "name": "Maya Manager", "team": "SDR NA"},
    {"user_id": "ana", "name": "Ana Rep", "team": "SDR NA", "manager_id": "mgr"},
    {"user_id": "ben", "name": "Ben Rep", "team": "SDR EMEA", "manager_id": "mgr"},
]


def test_open_breaches_oldest_first_with_owner_and_manager(crm):
    store = crm(users=USERS, leads=[
        {"lead_id": "recent", "mql_at": T(2026, 1, 13, 9), "owner_id": "ana"},       # due Tue 13:00
        {"lead_id": "oldest", "mql_at": T(2026, 1, 12, 9), "owner_id": "ben"},       # due Mon 13:00
        {"lead_id": "closed_late", "mql_at": T(2026, 1, 12, 9), "owner_id": "ana",
         "first_contacted_at": T(2026, 1, 13, 9)},                                   # breached, but done
        {"lead_id": "in_time", "mql_at": T(2026, 1, 14, 9), "owner_id": "ana"},      # due Wed 13:00
        {"lead_id": "unowned", "mql_at": T(2026, 1, 13, 10)},
    ])
    model = model_with(sla(fallback=Fallback(action="reassign_to_manager")))
    rows = breach_queue(store.ibis, model, clock_request(at=T(2026, 1, 14, 10))).to_pylist()
    assert [r["record_id"] for r in rows] == ["oldest", "recent", "unowned"]
    oldest = rows[0]
    assert (oldest["owner_name"], oldest["team"], oldest["manager_id"], oldest["manager_name"]) == (
        "Ben Rep", "SDR EMEA", "mgr", "Maya Manager")
    assert (oldest["due_at"], oldest["minutes_late"], oldest["fallback"]) == (
        T(2026, 1, 12, 13), 45 * 60, "reassign_to_manager")
    assert rows[2]["owner_id"] is None and rows[2]["manager_name"] is None


def test_moments_are_read_as_utc():
    assert parse_moment("2026-01-14") == T(2026, 1, 14, 0, 0)
    assert parse_moment("2026-01-14T10:30") == T(2026, 1, 14, 10, 30)
    assert parse_moment("2026-01-14 10:30:15Z") == T(2026, 1, 14, 10, 30, 15)
    assert parse_moment("2026-01-14T10:30+02:00") == T(2026, 1, 14, 8, 30)
    assert abs((parse_moment(None) - datetime.now(timezone.utc).replace(tzinfo=None)).total_seconds()) < 5
    with pytest.raises(SlaError, match="--at 'yesterday' is not a date"):
        parse_moment("yesterday")


def test_a_start_window_the_wrong_way_round_is_refused():
    with pytest.raises(SlaError, match="--from 2026-02-01 is after --to 2026-01-01"):
        clock_request(started_from="2026-02-01", started_to="2026-01-01")
    with pytest.raises(SlaError, match="--from '1/2/2026' is not a date"):
        clock_request(started_from="1/2/2026")
