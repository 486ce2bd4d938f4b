"""Calls, e-mails and meetings: SDR sequences on leads, AE work on deals, customer success
kickoffs on the accounts of won deals.

The first activity on a lead is exactly its ``first_contacted_at``; the last one on a
deal is exactly its ``last_activity_at``, so the tables agree with each other (kickoffs are
logged on the account, not the deal).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from revops.demo import columns as col
from revops.demo.calendar import SimCalendar

TYPES = ("call", "email", "meeting")
SUBJECTS = ("Intro call", "Follow-up call", "Discovery call", "Intro e-mail", "Follow-up e-mail",
            "Pricing e-mail", "Demo", "Onsite meeting", "Executive briefing", "Implementation kickoff")
KICKOFF = SUBJECTS.index("Implementation kickoff")
OUTCOMES = ("connected", "no_answer", "left_voicemail", "sent", "replied", "bounced", "held", "no_show")


def _kinds(rng: np.random.Generator, n: int, meeting_share: np.ndarray) -> np.ndarray:
    u = rng.random(n)
    return np.where(u < meeting_share, 2, np.where(u < meeting_share + 0.45, 0, 1))


def _details(rng: np.random.Generator, kind: np.ndarray) -> dict[str, np.ndarray]:
    n = len(kind)
    u = rng.random(n)
    outcome = np.select(
        [kind == 0, kind == 1],
        [np.where(u < 0.28, 0, np.where(u < 0.7, 1, 2)), np.where(u < 0.84, 3, np.where(u < 0.97, 4, 5))],
        np.where(u < 0.87, 6, 7))
    duration = np.select([(kind == 0) & (outcome == 0), kind == 0, kind == 2],
                         [rng.uniform(3, 35, n), rng.uniform(0, 1.5, n), rng.choice([30.0, 45.0, 60.0], n)],
                         np.nan)
    subject = kind * 3 + rng.integers(0, 3, n)
    direction = np.where((kind == 1) & (outcome == 4), 1, 0)
    return {"outcome": outcome, "duration": np.round(duration, 1), "subject": subject, "direction": direction}


def lead_activities(rng: np.random.Generator, first_contact: np.ndarray, worked_until: np.ndarray,
                    reached_sal: np.ndarray, converted: np.ndarray) -> dict[str, np.ndarray]:
    """Activities of a chunk of leads (indices relative to the chunk)."""
    contacted = np.flatnonzero(~np.isnan(first_contact))
    lam = 15.0 + 8.0 * reached_sal[contacted] + 6.0 * converted[contacted]
    count = 1 + rng.poisson(lam)
    lead = np.repeat(contacted, count)
    first = np.r_[True, lead[1:] != lead[:-1]]
    start = first_contact[lead]
    window = np.maximum(worked_until[lead] - start, 0.01)
    t = np.where(first, start, start + rng.random(len(lead)) ** 1.3 * window)
    kind = _kinds(rng, len(lead), np.where(reached_sal[lead], 0.12, 0.0))
    kind[first] = np.where(rng.random(first.sum()) < 0.55, 0, 1)
    return {"lead": lead, "t": t, "kind": kind, **_details(rng, kind)}


def deal_activities(rng: np.random.Generator, created: np.ndarray, last_activity: np.ndarray,
                    segment: np.ndarray) -> dict[str, np.ndarray]:
    """Activities of a chunk of deals: a touch every few days while worked."""
    span = np.maximum(last_activity - created, 0)
    rate = np.array([0.55, 0.48, 0.4])[segment]
    count = 1 + rng.poisson(rate * span)
    opp = np.repeat(np.arange(len(created)), count)
    last = np.r_[opp[1:] != opp[:-1], True]
    t = np.where(last, last_activity[opp], created[opp] + rng.random(len(opp)) * span[opp])
    kind = _kinds(rng, len(opp), np.full(len(opp), 0.22))
    return {"opp": opp, "t": t, "kind": kind, **_details(rng, kind)}


def kickoff_meetings(rng: np.random.Generator, cal: SimCalendar, closed: np.ndarray,
                     offset_hours: np.ndarray) -> dict[str, np.ndarray]:
    """Customer success kickoffs of won new-business deals (closed at ``closed``, CSMs
    ``offset_hours`` from UTC): about three in four within a few days of the signature, in
    the CSM's working hours; some late (a week or two); a few never logged. Only those held
    before today are returned; ``deal`` indexes ``closed``."""
    n = len(closed)
    u = rng.random(n)
    delay = np.where(u < 0.78, rng.uniform(0.5, 4.0, n), np.where(u < 0.93, rng.uniform(5.5, 16.0, n), np.nan))
    offset = offset_hours / 24.0
    held_at = cal.next_business_start(np.nan_to_num(closed + delay) + offset, 9.0, 17.0) - offset
    held_at = np.where(np.isnan(delay), np.nan, held_at)
    deal = np.flatnonzero(held_at < cal.cutoff)
    m = len(deal)
    return {"deal": deal, "t": held_at[deal], "kind": np.full(m, 2), "subject": np.full(m, KICKOFF),
            "outcome": np.full(m, 6), "duration": rng.choice([45.0, 60.0], m), "direction": np.zeros(m, int)}


def activities_table(cal: SimCalendar, a: dict[str, np.ndarray], first_id: int, owner: np.ndarray,
                     lead: np.ndarray | None = None, contact: np.ndarray | None = None,
                     account: np.ndarray | None = None, opportunity: np.ndarray | None = None) -> pa.Table:
    n = len(a["t"])

    def ref(prefix: str, values: np.ndarray | None, width: int) -> pa.Array:
        return col.nulls(n) if values is None else col.ids_or_null(prefix, values, width)

    return pa.table({
        "activity_id": col.ids("act_", np.arange(first_id, first_id + n), 9),
        "occurred_at": col.timestamps(cal, a["t"]),
        "type": col.category(a["kind"], TYPES),
        "subject": col.category(a["subject"], SUBJECTS),
        "owner_id": col.ids("usr_", owner, 4),
        "lead_id": ref("lead_", lead, 8),
        "contact_id": ref("con_", contact, 8),
        "account_id": ref("acc_", account, 7),
        "opportunity_id": ref("opp_", opportunity, 7),
        "direction": col.category(a["direction"], ("outbound", "inbound")),
        "duration_minutes": col.numbers(a["duration"], 1),
        "outcome": col.category(a["outcome"], OUTCOMES),
    })
