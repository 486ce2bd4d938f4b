"""Choosing one rep from a pool: who is available, and whose turn it is.

A rep is passed over when they are inactive (or not employed that day), out of office, have
a weight of 0, reached the node's daily or weekly cap (counted on their own local day and ISO
week), or hold ``overflow.max_open_leads_per_rep`` open leads. Of the others, those at work
(business hours in their own time zone) come first; with ``working_hours: prefer`` a lead
nobody at work can take goes to the available rep who starts soonest.

The turn is a weighted fair rotation: each rep carries a tag that moves ``1 / weight`` on
when they receive a lead; the lowest tag goes next, a rep who was away re-enters at the
rotation's current position (no burst of catch-up leads), ties go to whoever has waited
longest since their last lead, then pool order. With equal weights this is plain round robin; weight 2 gets twice the leads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from revops.engines.routing.decision import Candidate
from revops.engines.routing.state import Rep, RoutingState


class PoolRules:
    """What a node asks of the reps it may choose."""

    __slots__ = ("rotation", "weights", "cap_day", "cap_week", "overflow_max", "hours", "measure")

    def __init__(self, rotation: str, *, weights: Mapping[str, float] | None = None,
                 cap_day: int | None = None, cap_week: int | None = None,
                 overflow_max: int | None = None, hours: str = "prefer", measure: str | None = None) -> None:
        self.rotation = rotation
        self.weights = dict(weights or {})
        self.cap_day, self.cap_week = cap_day, cap_week
        self.overflow_max = overflow_max
        self.hours = hours
        self.measure = measure
        """None: rotation order; open_leads / open_opportunities: fewest first (least loaded)."""

    def weight(self, rep: Rep) -> float:
        w = self.weights
        if not w:
            return 1.0
        found = w.get(rep.user_id)
        if found is None:
            found = w.get(rep.role, 1.0) if rep.role is not None else 1.0
        return found


class Choice:
    """The rep chosen (or None), every candidate with why, and whether overflow blocked anyone."""

    __slots__ = ("rep", "candidates", "weight", "overflowed")

    def __init__(self, rep: Rep | None, candidates: list[Candidate], weight: float, overflowed: bool) -> None:
        self.rep, self.candidates, self.weight, self.overflowed = rep, candidates, weight, overflowed


def unavailable(state: RoutingState, rep: Rep, at: datetime, rules: PoolRules) -> tuple[str | None, Any]:
    """Why ``rep`` cannot take a lead at ``at`` under ``rules`` (code, detail), or (None, None)."""
    if not rep.active or rep.end_date is not None or rep.start_date is not None:
        day = at.date()
        if not state.is_employed(rep, day):
            if rep.end_date is not None and rep.end_date <= day:
                return "inactive", f"left {rep.end_date.isoformat()}"
            if rep.start_date is not None and rep.start_date > day:
                return "not_employed", f"starts {rep.start_date.isoformat()}"
            return "inactive", None
    if rep.out_of_office and not state.history:
        return "out_of_office", None
    if rules.weights and rules.weight(rep) <= 0:
        return "weight_zero", None
    if rules.cap_day is not None or rules.cap_week is not None:
        status = rep.clock.status(at)
        if rules.cap_day is not None:
            n = rep.day_counts.get(status.day, 0)
            if n >= rules.cap_day:
                return "cap_per_day", f"{n} of {rules.cap_day} today"
        if rules.cap_week is not None:
            n = rep.week_counts.get(status.week, 0)
            if n >= rules.cap_week:
                return "cap_per_week", f"{n} of {rules.cap_week} this week"
    if rules.overflow_max is not None and rep.open_leads >= rules.overflow_max:
        return "overflow", f"{rep.open_leads} open, max {rules.overflow_max}"
    return None, None


def choose(state: RoutingState, reps: Sequence[Rep], at: datetime, rules: PoolRules) -> Choice:
    """Pick one rep of ``reps`` for a lead arriving at ``at`` (see the module's description)."""
    tags = state.tags.get(rules.rotation) or {}
    served = state.served.get(rules.rotation) or {}
    v = state.vclock.get(rules.rotation, 0.0)
    measure = rules.measure
    hours = rules.hours
    entries: list[list[Any]] = []  # [rep, code, detail, sort key]
    working: list[list[Any]] = []
    waiting: list[list[Any]] = []
    overflowed = False
    for i, rep in enumerate(reps):
        code, detail = unavailable(state, rep, at, rules)
        entry = [rep, code, detail, None]
        entries.append(entry)
        if code is not None:
            if code == "overflow":
                overflowed = True
            continue
        tag = tags.get(rep.user_id, 0.0)
        turn = (tag if tag > v else v, served.get(rep.user_id, -1), i)
        if measure is not None:
            turn = (rep.open_leads if measure == "open_leads" else rep.open_opportunities, *turn)
        if hours == "ignore":
            entry[3] = turn
            working.append(entry)
            continue
        status = rep.clock.status(at)
        if status.at_work:
            entry[3] = turn
            working.append(entry)
        else:
            entry[1], entry[2] = "off_hours", rep.clock.zone_name
            entry[3] = (status.next_start, *turn)
            waiting.append(entry)
    chosen = None
    why = "next" if measure is None else "fewest"
    if working:
        chosen = min(working, key=_turn)
        for e in working:
            if e is not chosen:
                e[1] = "not_next" if measure is None else "more_loaded"
                e[2] = None if measure is None else e[3][0]
    elif waiting and hours == "prefer":
        chosen = min(waiting, key=_turn)
        why = "first_on_shift"
        for e in waiting:
            if e is not chosen:
                e[1] = "later_shift"
    candidates: list[Candidate] = []
    for e in entries:
        if e is chosen:
            candidates.append((e[0].user_id, "chosen", why))
        else:
            candidates.append((e[0].user_id, e[1], e[2]))
    if chosen is None:
        return Choice(None, candidates, 1.0, overflowed)
    rep = chosen[0]
    return Choice(rep, candidates, rules.weight(rep), overflowed)


def _turn(entry: list[Any]) -> Any:
    return entry[3]
