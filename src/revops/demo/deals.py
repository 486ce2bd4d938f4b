"""Opportunities: specs (who, when, how it ends) -> stage paths -> every change as history.

A ``DealSpecs`` says how each deal really ends (won or lost, when, the last stage it
reached, the amount it closes at). ``simulate_history`` walks each deal through the
stages with realistic durations and skips, and generates the changes reps make:
amounts set late and revised at proposal and negotiation, close dates set optimistically
(happy-ears reps) and pushed when they pass (sloppy reps let them sit in the past),
often snapped to quarter end and pushed again in the last week of the quarter,
forecast categories that follow the stage (happy ears commit early, sandbaggers late),
and owner changes when a rep leaves. Nothing at or after today is kept, so deals closing
later are open today, some of them messy (past close date, stale, no amount, no next step).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from revops.demo.calendar import SimCalendar
from revops.demo.people import NEVER, Staff
from revops.demo.seeds import choice_codes, sigmoid
from revops.demo.vocabulary import LOST, OPEN_STAGES, WON

NAN = np.nan
FIELDS = ("stage", "amount", "close_date", "forecast_category", "owner_id")
STAGE, AMOUNT, CLOSE, FCAT, OWNER = range(5)
SEGMENT_CYCLE_DAYS = np.array([120.0, 65.0, 32.0])  # enterprise, mid_market, smb
SEGMENT_AMOUNT = np.array([95_000.0, 28_000.0, 9_000.0])
SEGMENT_WIN_LOGIT = np.array([-1.0, -0.7, -0.45])
ENTRY_FRACTION = np.array([0.0, 0.12, 0.3, 0.55, 0.78])
FC_NORMAL = np.array([0, 0, 0, 1, 2])  # pipeline, best_case, commit by open stage
FC_HAPPY = np.array([0, 0, 1, 2, 2])
FC_SANDBAG = np.array([0, 0, 0, 1, 1])


@dataclass
class DealSpecs:
    account: np.ndarray
    contact: np.ndarray
    lead: np.ndarray
    campaign: np.ndarray
    source: np.ndarray  # channel code; len(CHANNELS) + k for customer sources
    type: np.ndarray  # 0 new_business, 1 expansion, 2 renewal
    product: np.ndarray
    segment: np.ndarray
    owner: np.ndarray
    created: np.ndarray
    end: np.ndarray  # when the deal is (or will be) closed
    won: np.ndarray
    last_stage: np.ndarray  # last open stage reached
    amount: np.ndarray  # amount at close for won deals, the deal's size otherwise
    dark: np.ndarray  # when the deal went dark (NaN: never)
    lost_reason: np.ndarray  # index into LOST_REASONS, -1 for won

    def __len__(self) -> int:
        return len(self.created)

    @staticmethod
    def concat(parts: list[DealSpecs]) -> DealSpecs:
        return DealSpecs(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                            for f in fields(DealSpecs)})


def new_business(rng: np.random.Generator, cal: SimCalendar, staff: Staff, created: np.ndarray,
                 quality: np.ndarray, segment: np.ndarray, owner: np.ndarray, **links) -> DealSpecs:
    """Deals from converted leads: hidden lead quality and rep skill drive the win rate,
    segment drives size and cycle length; a few reps' deals go dark and die slowly."""
    n = len(created)
    tenure = created - staff.start[owner]
    ramp = np.clip(1 - tenure / 120.0, 0, 1) * 0.6
    p_win = sigmoid(SEGMENT_WIN_LOGIT[segment] + 2.6 * (quality - 0.45) + staff.skill[owner] - ramp)
    won = rng.random(n) < p_win
    cycle = SEGMENT_CYCLE_DAYS[segment] * np.exp(rng.normal(0, 0.45, n))
    end = created + cycle
    # quarter-end push: deals due in the last weeks of a quarter tend to land right at its end
    qe = cal.quarter_end(end)
    pull = won & (qe - end < 24) & (rng.random(n) < 0.45)
    end[pull] = qe[pull] + rng.uniform(0.3, 0.95, pull.sum()) - rng.integers(0, 3, pull.sum())
    last_stage = np.where(won, OPEN_STAGES - 1, choice_codes(rng, np.array([0.28, 0.27, 0.2, 0.15, 0.1]), n))
    frac_next = np.append(ENTRY_FRACTION, 1.0)
    lost_end = created + cycle * (frac_next[last_stage] + rng.uniform(0.3, 0.9, n)
                                  * (frac_next[last_stage + 1] - frac_next[last_stage]) + 0.02)
    end = np.where(won, end, lost_end)
    dark_p = 0.05 + 0.2 * staff.sloppiness[owner]
    dark = np.where(rng.random(n) < dark_p, created + cycle * rng.uniform(0.1, 0.6, n), NAN)
    went_dark = ~np.isnan(dark)
    revived = went_dark & (rng.random(n) < 0.1)
    dark[revived] = NAN
    dead = went_dark & ~revived
    won = won & ~dead
    reached = np.searchsorted(ENTRY_FRACTION, (np.nan_to_num(dark) - created) / cycle, side="right") - 1
    last_stage = np.where(dead, np.clip(reached, 0, OPEN_STAGES - 1), last_stage)
    end = np.where(dead, dark + rng.uniform(25, 170, n), end)
    amount = np.round(SEGMENT_AMOUNT[segment] * np.exp(rng.normal(0, 0.55, n)) * (0.75 + 0.6 * quality), -2)
    product = np.where(segment == 0, np.where(rng.random(n) < 0.4, 3, 0), 0)
    lost_reason = np.where(won, -1, np.where(dead, np.where(rng.random(n) < 0.7, 6, 0),
                                             choice_codes(rng, np.array([0.25, 0.22, 0.22, 0.12, 0.1, 0.09]), n)))
    return DealSpecs(type=np.zeros(n, "int64"), product=product, segment=segment, owner=owner,
                     created=created, end=end, won=won, last_stage=last_stage, amount=amount,
                     dark=dark, lost_reason=lost_reason, **links)


@dataclass
class DealHistory:
    """One row per change, sorted by deal and time, each the full state from ``t`` on."""

    opp: np.ndarray
    t: np.ndarray
    changed: np.ndarray  # bit mask over FIELDS
    stage: np.ndarray
    amount: np.ndarray
    close_date: np.ndarray  # day offset
    forecast_category: np.ndarray
    owner: np.ndarray


@dataclass
class DealState:
    """Each deal's state today (the last history row) plus what history does not hold."""

    stage: np.ndarray
    amount: np.ndarray
    close_date: np.ndarray
    forecast_category: np.ndarray
    owner: np.ndarray
    updated: np.ndarray
    final_amount: np.ndarray  # amount at close (won deals), for subscriptions
    first_owner: np.ndarray
    owner_change_t: np.ndarray
    activity_end: np.ndarray  # when reps stopped working the deal
    last_activity: np.ndarray
    next_step: np.ndarray  # index into NEXT_STEPS, -1 missing


class _Events:
    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, opp: np.ndarray, t: np.ndarray, field: int, value: np.ndarray) -> None:
        value = np.broadcast_to(np.asarray(value, dtype=float), opp.shape)
        self.parts.append((opp, t, np.full(len(opp), field), value, np.full(len(opp), len(self.parts))))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([p[i] for p in self.parts]) for i in range(5))


def _fc_table(bias: np.ndarray) -> np.ndarray:
    """Forecast category per open stage for each deal's owner (rows: deals)."""
    return np.where((bias > 1.15)[:, None], FC_HAPPY[None, :],
                    np.where((bias < 0.9)[:, None], FC_SANDBAG[None, :], FC_NORMAL[None, :]))


def simulate_history(rng: np.random.Generator, cal: SimCalendar, staff: Staff, d: DealSpecs,
                     forced_amount: np.ndarray) -> tuple[DealHistory, DealState]:
    """``forced_amount``: True where the deal must close at exactly ``d.amount``."""
    n = len(d)
    ids = np.arange(n)
    cutoff = cal.cutoff
    ev = _Events()
    owner0 = d.owner
    bias = staff.bias[owner0]
    fc_by_stage = _fc_table(bias)
    duration = np.maximum(d.end - d.created, 0.5)

    # -- owner changes: the rep left, or a territory reshuffle --------------------------------
    left = staff.end[owner0]
    t_own = np.where((left > d.created) & (left < d.end) & (left < NEVER),
                     left + rng.uniform(0.5, 10, n), NAN)
    shuffle = np.isnan(t_own) & (rng.random(n) < 0.03)
    t_own[shuffle] = d.created[shuffle] + duration[shuffle] * rng.uniform(0.2, 0.8, shuffle.sum())
    t_own[t_own >= d.end] = NAN
    has_new = ~np.isnan(t_own)
    new_owner = owner0.copy()
    if has_new.any():
        peers = reassign(rng, staff, owner0[has_new], t_own[has_new])
        new_owner[has_new] = peers
        ev.add(ids[has_new], t_own[has_new], OWNER, new_owner[has_new])

    # -- stages ---------------------------------------------------------------------------
    jitter = np.cumsum(rng.uniform(0.6, 1.4, (n, OPEN_STAGES)) * np.diff(np.append(ENTRY_FRACTION, 1.0)), axis=1)
    entry = d.created[:, None] + duration[:, None] * np.hstack([np.zeros((n, 1)), jitter[:, :-1]]) / jitter[:, -1:]
    reached = np.arange(OPEN_STAGES)[None, :] <= d.last_stage[:, None]
    skip = (rng.random((n, OPEN_STAGES)) < np.where(d.segment == 2, 0.16, 0.08)[:, None])
    skip[:, 0] = False
    skip[ids, d.last_stage] = False
    entered = reached & ~skip
    if not np.all(np.isnan(d.dark)):
        entered &= ~(entry > np.nan_to_num(d.dark, nan=np.inf)[:, None])
        entered[:, 0] = True

    # -- amounts ---------------------------------------------------------------------------
    unknown = rng.random(n) < np.where(d.type == 0, 0.3, 0.05)
    never_set = unknown & (rng.random(n) < 0.2)
    a0 = np.where(forced_amount, np.round(d.amount * rng.uniform(0.9, 1.25, n), -2), d.amount)
    amount = np.where(unknown, NAN, a0)
    ev.add(ids, d.created, AMOUNT, amount)

    # -- initial close date: optimistic for happy ears, often the quarter's end --------------
    guess = SEGMENT_CYCLE_DAYS[d.segment] * rng.uniform(0.55, 1.05, n) / bias
    cd = np.floor(d.created + guess)
    snap = rng.random(n) < 0.5
    cd[snap] = cal.quarter_end(cd[snap])
    ev.add(ids, d.created, CLOSE, cd)
    ev.add(ids, d.created, STAGE, np.zeros(n))
    ev.add(ids, d.created, FCAT, fc_by_stage[:, 0])
    ev.add(ids, d.created, OWNER, owner0)

    prev_fc = fc_by_stage[:, 0].copy()
    cur_amount = amount.copy()
    for s in range(1, OPEN_STAGES):
        m = entered[:, s]
        t = entry[m, s]
        ev.add(ids[m], t, STAGE, np.full(m.sum(), s))
        fc_s = fc_by_stage[m, s]
        changed = fc_s != prev_fc[m]
        ev.add(ids[m][changed], t[changed], FCAT, fc_s[changed])
        prev_fc[m] = fc_s
        if s == 2:  # amount becomes known at solution
            set_now = m & np.isnan(cur_amount) & ~never_set
            cur_amount[set_now] = a0[set_now]
            ev.add(ids[set_now], entry[set_now, s], AMOUNT, cur_amount[set_now])
        if s in (3, 4):  # scope change at proposal, discount at negotiation
            change = m & ~np.isnan(cur_amount) & (rng.random(n) < (0.5 if s == 3 else 0.6))
            factor = np.exp(rng.normal(0.04, 0.15, n)) if s == 3 else rng.uniform(0.85, 0.98, n)
            cur_amount[change] = np.round(cur_amount[change] * factor[change], -2)
            ev.add(ids[change], entry[change, s], AMOUNT, cur_amount[change])

    # -- close date pushes -------------------------------------------------------------------
    slop = staff.sloppiness[owner0]
    for _ in range(14):
        due = (cd < d.end) & (cd < cutoff)
        if not due.any():
            break
        at_qe = cd == cal.quarter_end(cd)
        early = at_qe & (rng.random(n) < 0.6)
        lag = np.where(rng.random(n) < slop, rng.uniform(8, 60, n), rng.uniform(0.2, 4, n))
        tp = np.where(early, cd - rng.uniform(0, 6, n), cd + lag) + rng.uniform(0.3, 0.7, n)
        tp = np.maximum(tp, d.created + 0.5)
        due &= (tp < d.end) & ~(tp > np.nan_to_num(d.dark, nan=np.inf))  # nobody updates a dead deal
        new_cd = np.floor(tp + 10 + rng.exponential(25, n) / np.sqrt(bias))
        snap = rng.random(n) < 0.45
        new_cd = np.where(snap, cal.quarter_end(new_cd), new_cd)
        ev.add(ids[due], tp[due], CLOSE, new_cd[due])
        cd = np.where(due, new_cd, cd)

    # -- closing ---------------------------------------------------------------------------
    final = np.where(forced_amount, d.amount, np.where(np.isnan(cur_amount), a0, cur_amount))
    final = np.where(d.won, final, cur_amount)
    stage_end = np.where(d.won, WON, LOST)
    ev.add(ids, d.end, STAGE, stage_end)
    ev.add(ids, d.end, FCAT, np.where(d.won, 3, 4))
    ev.add(ids, d.end, CLOSE, np.floor(d.end))
    amount_changes = d.won & (final != cur_amount)
    ev.add(ids[amount_changes], d.end[amount_changes], AMOUNT, final[amount_changes])

    history = _assemble(ev, cutoff)
    state = _current_state(rng, cal, d, history, final, owner0, t_own, new_owner, staff)
    return history, state


def reassign(rng: np.random.Generator, staff: Staff, old: np.ndarray, t: np.ndarray) -> np.ndarray:
    """A colleague of the same role, region and segment employed at ``t``."""
    out = old.copy()
    for role in set(staff.role[int(u)] for u in np.unique(old)):
        m = np.array([staff.role[int(u)] == role for u in old])
        seg = staff.segment[old[m]] if role == "ae" else None
        pick = staff.assign(rng, t[m], role, staff.region[old[m]], seg)
        same = pick == old[m]
        pick[same] = staff.assign(rng, t[m][same] + 20, role, staff.region[old[m]][same],
                                  None if seg is None else seg[same])
        out[m] = pick
    return out


def _assemble(ev: _Events, cutoff: float) -> DealHistory:
    opp, t, fld, val, seq = ev.arrays()
    keep = t < cutoff
    opp, t, fld, val, seq = opp[keep], t[keep], fld[keep], val[keep], seq[keep]
    order = np.lexsort((seq, fld, t, opp))
    opp, t, fld, val = opp[order], t[order], fld[order], val[order]
    new_row = np.r_[True, (opp[1:] != opp[:-1]) | (t[1:] != t[:-1])]
    row = np.cumsum(new_row) - 1
    nrows = int(row[-1]) + 1 if len(row) else 0
    mask = np.zeros(nrows, dtype="int64")
    np.bitwise_or.at(mask, row, 1 << fld)
    states = []
    positions = np.arange(nrows)
    for f in range(len(FIELDS)):
        sel = fld == f
        values = np.full(nrows, NAN)
        values[row[sel]] = val[sel]  # later events of the same field at the same time win
        has = np.zeros(nrows, dtype=bool)
        has[row[sel]] = True
        src = np.maximum.accumulate(np.where(has, positions, 0))
        states.append(values[src])
    return DealHistory(opp=opp[new_row], t=t[new_row], changed=mask, stage=states[0].astype("int64"),
                       amount=states[1], close_date=states[2],
                       forecast_category=states[3].astype("int64"), owner=states[4].astype("int64"))


def _current_state(rng, cal, d, h: DealHistory, final, owner0, t_own, new_owner, staff) -> DealState:
    n = len(d)
    last = np.r_[h.opp[1:] != h.opp[:-1], True]
    idx = np.full(n, -1)
    idx[h.opp[last]] = np.flatnonzero(last)
    cutoff = cal.cutoff
    open_now = d.end >= cutoff
    stop = np.fmin(np.minimum(d.end, cutoff - 1e-3), d.dark)
    # working rhythm: a touch every few days; sloppy reps leave a few live deals untouched
    gap = rng.exponential(3.0, n)
    neglected = open_now & np.isnan(d.dark) & (rng.random(n) < 0.25 * staff.sloppiness[owner0])
    gap[neglected] += rng.uniform(15, 40, neglected.sum())
    last_activity = np.maximum(stop - gap, d.created + 0.01)
    last_activity = np.where(d.end < cutoff, np.minimum(last_activity, d.end), last_activity)
    next_step = np.where(open_now, rng.integers(0, 10, n), -1)
    missing = open_now & (rng.random(n) < 0.12 + 0.4 * staff.sloppiness[owner0])
    next_step[missing] = -1
    updated = np.maximum(h.t[idx], last_activity)
    return DealState(stage=h.stage[idx], amount=h.amount[idx], close_date=h.close_date[idx],
                     forecast_category=h.forecast_category[idx], owner=h.owner[idx],
                     updated=updated, final_amount=final, first_owner=owner0,
                     owner_change_t=t_own, activity_end=stop, last_activity=last_activity,
                     next_step=next_step)
