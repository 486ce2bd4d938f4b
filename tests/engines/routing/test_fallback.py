"""The routing SLA: no first contact within 4 business hours of assignment -> the lead moves on.

Business hours are the company's: 09:00-17:00 New York time, Monday to Friday. A lead assigned
on Friday 2026-05-15 at 15:00 New York (19:00 UTC) has 2 business hours left that day and
2 more on Monday, so it is due on Monday 2026-05-18 at 11:00 New York (15:00 UTC); the
reminder, 1 business hour earlier, at 10:00 New York (14:00 UTC).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from revops.engines.routing.fallback import first_contact_due, run_fallbacks
from tests.engines.routing.conftest import ORG_USERS, model_with, user

FRIDAY_3PM_NY = datetime(2026, 5, 15, 19, 0)
DUE = datetime(2026, 5, 18, 15, 0)


def waiting(lead_id: str = "L1", owner: str = "smb_ny", **extra) -> dict:
    return {"lead_id": lead_id, "owner_id": owner, "assigned_at": FRIDAY_3PM_NY, "created_at": FRIDAY_3PM_NY,
            "status": "mql", "score": 70, **extra}


def test_the_deadline_skips_the_weekend(model):
    assert first_contact_due(model, FRIDAY_3PM_NY) == DUE


def test_nothing_happens_over_the_weekend(gtm, model):
    store = gtm(users=ORG_USERS, leads=[waiting()])
    assert run_fallbacks(store, model, datetime(2026, 5, 16, 12, 0)).rows == []


def test_the_owner_is_reminded_an_hour_before_the_deadline(gtm, model):
    store = gtm(users=ORG_USERS, leads=[waiting()])
    run = run_fallbacks(store, model, datetime(2026, 5, 18, 14, 30))
    [row] = run.rows
    assert (row["action"], row["assigned_to"], row["due_at"]) == ("reminder", "smb_ny", DUE)
    assert run.moved == []


def test_after_four_business_hours_without_contact_the_lead_goes_to_the_manager(gtm, model):
    store = gtm(users=ORG_USERS, leads=[waiting(), waiting("L2", first_contacted_at=datetime(2026, 5, 15, 20, 0))])
    run = run_fallbacks(store, model, DUE)
    [row] = run.rows
    assert (row["lead_id"], row["action"], row["previous_owner"], row["assigned_to"]) == \
        ("L1", "reassigned", "smb_ny", "mgr_na")
    lead = store.query("SELECT owner_id, assigned_at FROM leads WHERE lead_id = 'L1'")[0]
    assert lead == {"owner_id": "mgr_na", "assigned_at": DUE}
    [audit] = store.query("SELECT * FROM _routing_decisions")
    assert (audit["trigger"], audit["previous_owner"], audit["assigned_to"], audit["team"]) == \
        ("fallback", "smb_ny", "mgr_na", "Sales NA")
    step = json.loads(audit["steps"])[0]
    assert step["tested"]["business_hours_waited"] == 4.0
    assert step["tested"]["due_at"] == DUE.isoformat()
    # A lead falls back once: its new owner is not chased by the same rule.
    assert run_fallbacks(store, model, datetime(2026, 5, 19, 20, 0)).rows == []


def test_an_inactive_manager_is_passed_over_for_the_next_one_up(gtm, model):
    users = [u if u["user_id"] != "mgr_na" else {**u, "active": False} for u in ORG_USERS]
    store = gtm(users=users, leads=[waiting()])
    assert run_fallbacks(store, model, DUE).rows[0]["assigned_to"] == "vp_sales"


def test_a_dry_run_changes_nothing(gtm, model):
    store = gtm(users=ORG_USERS, leads=[waiting()])
    assert run_fallbacks(store, model, DUE, dry_run=True).rows[0]["assigned_to"] == "mgr_na"
    assert store.query("SELECT owner_id FROM leads")[0]["owner_id"] == "smb_ny"


@pytest.mark.parametrize("fallback, expected", [
    ({"action": "reassign_to_queue", "after": 4, "unit": "business_hours", "queue": "sla_missed"}, "sla_missed"),
    ({"action": "reassign_to_team", "after": 4, "unit": "business_hours"}, "smb_chi"),
    ({"action": "reassign_to_manager", "after": 30, "unit": "minutes"}, "mgr_na"),
])
def test_other_fallback_actions_and_units(gtm, model, fallback, expected):
    users = ORG_USERS + [user("smb_la", timezone="America/Los_Angeles", team="NA Smb")]
    store = gtm(users=users, leads=[waiting()] + [waiting(f"x{i}", owner="smb_la") for i in range(3)])
    m = model_with(model, fallback=fallback)
    moved = {r["lead_id"]: r["assigned_to"] for r in run_fallbacks(store, m, DUE).rows if r["action"] == "reassigned"}
    assert moved["L1"] == expected


def test_notify_actions_only_list_who_to_tell(gtm, model):
    store = gtm(users=ORG_USERS, leads=[waiting()])
    m = model_with(model, fallback={"action": "notify_manager", "after": 4, "unit": "business_hours"})
    [row] = run_fallbacks(store, m, DUE).rows
    assert (row["action"], row["previous_owner"]) == ("notify_manager", "mgr_na")
    assert store.query("SELECT owner_id FROM leads")[0]["owner_id"] == "smb_ny"
