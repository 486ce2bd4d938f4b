"""A small pipeline whose hygiene can be worked out by hand, as of AT = 2026-03-31 12:00 UTC
(today() = 2026-03-31), with the default model.

Every deal is complete (account, owner, contact, next step, $10,000, closing 2026-06-30, last
activity 2026-03-30) unless its row says otherwise, and has a history row at its creation in
its stage unless it lists its own history. Each deal is built to break one rule:

| deal | owner | stage | breaks | because |
| --- | --- | --- | --- | --- |
| late | ana | solution | close_date_in_past | closes 2026-03-30 |
| quiet | ben | solution | no_recent_activity | last activity 2026-03-12 (activity row; last_activity_at 03-10): 19.5 days |
| old_no_activity | ana | solution | no_recent_activity | no activity at all, created 2026-03-01: 30.5 days |
| future_activity | ana | solution | no_recent_activity | its only activity is 2026-04-05, after AT; created 03-01 |
| busy | ana | solution | - | no last_activity_at, but an activity on 2026-03-29 |
| nostep | ana | discovery | no_next_step | next_step empty |
| noamount | ana | proposal | no_amount_late_stage, stage_requirements | no amount: missing amount, gate amount > 0 fails |
| noamount_disc | ana | discovery | - | no amount, but discovery needs none |
| slipping | ben | solution | pushed_twice | close date 04-30 -> 05-31 -> 06-30 (and a push after AT, unseen) |
| pulled_in | ana | solution | - | close date moved earlier twice |
| stuck | ben | qualification | stuck_in_stage | in qualification since 02-15: 44.5 days > 2 x median 20 |
| not_stuck | ana | qualification | - | in qualification since 03-11: 20.5 days |
| imported | ana | qualification | - (unknown) | one history row stamped at an import, months after creation: entry unknown |
| skipper | ana | proposal | stage_skipped | discovery -> proposal: skipped qualification, solution |
| incomplete | ana | proposal | stage_requirements | no contact_id |
| gate_fail | ana | negotiation | close_date_in_past, stage_requirements | closes 03-15: close_date >= today() fails |
| lost_noreason | ben | closed_lost | stage_requirements | closed lost without lost_reason |
| won_1..3 | ben | closed_won | - | qualification visits of 10, 20, 30 days: the qualification median is 20 |
| lost_from_disc | ana | closed_lost | - | lost from discovery after 9 days: no skip |

Discovery visits that ended: skipper 28 days, stuck 10, lost_from_disc 9 (median 10); nostep and
noamount_disc have been in discovery 6.5 days.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

AT = datetime(2026, 3, 31, 12, 0)
T = datetime
D = date

USERS = [{"user_id": "ana", "name": "Ana Lopez", "role": "ae"}, {"user_id": "ben", "name": "Ben Okafor", "role": "ae"}]


def deal(opportunity_id: str, stage: str, **fields: Any) -> dict[str, Any]:
    return {"opportunity_id": opportunity_id, "account_id": "acme", "owner_id": "ana", "stage": stage,
            "amount": 10000.0, "close_date": D(2026, 6, 30), "next_step": "Call", "contact_id": "c1",
            "created_at": T(2026, 3, 25), "last_activity_at": T(2026, 3, 30), **fields}


DEALS = [
    deal("late", "solution", close_date=D(2026, 3, 30)),
    deal("quiet", "solution", owner_id="ben", created_at=T(2026, 3, 1), last_activity_at=T(2026, 3, 10)),
    deal("old_no_activity", "solution", created_at=T(2026, 3, 1), last_activity_at=None),
    deal("future_activity", "solution", created_at=T(2026, 3, 1), last_activity_at=None),
    deal("busy", "solution", created_at=T(2026, 3, 1), last_activity_at=None),
    deal("nostep", "discovery", next_step=None),
    deal("noamount", "proposal", amount=None),
    deal("noamount_disc", "discovery", amount=None),
    deal("slipping", "solution", owner_id="ben", created_at=T(2026, 3, 1)),
    deal("pulled_in", "solution", created_at=T(2026, 3, 1)),
    deal("stuck", "qualification", owner_id="ben", created_at=T(2026, 2, 5)),
    deal("not_stuck", "qualification", created_at=T(2026, 3, 1)),
    deal("imported", "qualification", created_at=T(2025, 12, 1)),
    deal("skipper", "proposal", created_at=T(2026, 2, 1)),
    deal("incomplete", "proposal", contact_id=None),
    deal("gate_fail", "negotiation", close_date=D(2026, 3, 15)),
    deal("lost_noreason", "closed_lost", owner_id="ben", close_date=D(2026, 3, 20), next_step=None),
    *[deal(f"won_{i}", "closed_won", owner_id="ben", created_at=T(2026, 1, 1), close_date=D(2026, 3, 1),
           next_step=None) for i in (1, 2, 3)],
    deal("lost_from_disc", "closed_lost", created_at=T(2026, 3, 1), close_date=D(2026, 3, 10),
         lost_reason="price", next_step=None),
]

_OWN_HISTORY = {
    "slipping": [(T(2026, 3, 1), "solution", D(2026, 4, 30)), (T(2026, 3, 10), "solution", D(2026, 5, 31)),
                 (T(2026, 3, 20), "solution", D(2026, 6, 30)), (T(2026, 4, 10), "solution", D(2026, 7, 31))],
    "pulled_in": [(T(2026, 3, 1), "solution", D(2026, 8, 31)), (T(2026, 3, 10), "solution", D(2026, 7, 31)),
                  (T(2026, 3, 20), "solution", D(2026, 6, 30))],
    "stuck": [(T(2026, 2, 5), "discovery", D(2026, 6, 30)), (T(2026, 2, 15), "qualification", D(2026, 6, 30))],
    "not_stuck": [(T(2026, 3, 1), "discovery", D(2026, 6, 30)), (T(2026, 3, 11), "qualification", D(2026, 6, 30))],
    "imported": [(T(2026, 3, 1), "qualification", D(2026, 6, 30))],
    "skipper": [(T(2026, 2, 1), "discovery", D(2026, 6, 30)), (T(2026, 3, 1), "proposal", D(2026, 6, 30))],
    **{f"won_{i}": [(T(2026, 1, 1), "qualification", D(2026, 3, 1)), (T(2026, 1, 1 + days), "closed_won", D(2026, 3, 1))]
       for i, days in ((1, 10), (2, 20), (3, 30))},
    "lost_from_disc": [(T(2026, 3, 1), "discovery", D(2026, 3, 10)), (T(2026, 3, 10), "closed_lost", D(2026, 3, 10))],
}


def history() -> list[dict[str, Any]]:
    rows = []
    for d in DEALS:
        own = _OWN_HISTORY.get(d["opportunity_id"], [(d["created_at"], d["stage"], d["close_date"])])
        for i, (when, stage, close) in enumerate(own):
            rows.append({"history_id": f"{d['opportunity_id']}-{i}", "opportunity_id": d["opportunity_id"],
                         "changed_at": when, "stage": stage, "amount": d["amount"], "close_date": close,
                         "owner_id": d["owner_id"]})
    return rows


ACTIVITIES = [
    {"activity_id": "a1", "occurred_at": T(2026, 3, 12), "type": "call", "opportunity_id": "quiet"},
    {"activity_id": "a2", "occurred_at": T(2026, 4, 5), "type": "call", "opportunity_id": "future_activity"},
    {"activity_id": "a3", "occurred_at": T(2026, 3, 29), "type": "email", "opportunity_id": "busy"},
]


def tables() -> dict[str, list[dict[str, Any]]]:
    return {"users": USERS, "opportunities": DEALS, "opportunity_history": history(), "activities": ACTIVITIES}


EXPECTED: dict[str, set[str]] = {
    "close_date_in_past": {"late", "gate_fail"},
    "no_recent_activity": {"quiet", "old_no_activity", "future_activity"},
    "no_next_step": {"nostep"},
    "no_amount_late_stage": {"noamount"},
    "pushed_twice": {"slipping"},
    "stuck_in_stage": {"stuck"},
    "stage_skipped": {"skipper"},
    "stage_requirements": {"noamount", "incomplete", "gate_fail", "lost_noreason"},
}
"""The deals each default rule flags as of AT."""
