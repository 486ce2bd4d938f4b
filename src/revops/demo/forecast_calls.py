"""The demo company calls its forecast: every Monday, each rep who carries deals submits a
commit (and a best-case) number for the current quarter, and their manager reviews it and
calls the team's number.

Calls are made the way a sales floor makes them, from what the CRM showed that Monday,
read through the forecast engine's own ``DealWorld`` (``world.state`` at the week's
opening instant), never from how the quarter turned out:

- **A rep** (an AE, or a CSM for the renewals they own) starts from their deals: what they
  closed won so far in the quarter, plus their open deals in the ``commit`` category closing
  in it. They call the closed part as it is and the open part shaded by their hidden
  ``forecast_bias`` (``truth_reps``: below 1 holds back, above 1 "happy ears"), with a gut
  feeling for the quarter and a little weekly noise, rounded to the thousand. Their
  best-case call adds their ``best_case`` deals, shaded the same way. The categories are the
  rep's own (happy ears commit from proposal, sandbaggers never), so a rep's bias shows twice:
  in what they put in commit and in how they call it. Nobody counts the deals not created
  yet: a commit call is deal-backed, which is why it runs low early in a quarter.
- **The manager** (the person above the rep along ``manager_id``: a team or region manager,
  the VP Customer Success for CSMs) reviews each number against the deals at the stage the
  revenue model calls commit (closed won + open deals in a stage whose default category is
  ``commit``, whatever the rep categorised them as). A number more than 20% (and 5,000) away
  from that gets adjusted to it four times in ten, with a note saying why (``submitted_by``
  is the manager, ``previous_amount`` the rep's number); the others pass this week. When a rep
  leaves mid-quarter, the manager sets their call to 0 (their deals are called by their new
  owners).
- **The manager's own commit** for the team, later that Monday, is the sum of the reports'
  numbers after the review, shaded by the manager's own ``forecast_bias`` (an executive, who
  has none in ``truth_reps``, calls the sum as it is) and weekly noise, rounded to 5,000. It
  replaces the reps' sum in the roll-up (``engines/forecast/rollup.py``); the CRO calls no
  number of their own, so the company's number is the roll-up of the managers' calls.

Every call is a version of (period, user, category): versions count up in time order and
each carries the number it replaced. Times are Monday morning (reps, 09:00 local), early
afternoon (reviews, after the team's calls) and late afternoon (team calls) on each
person's clock, and nothing at or after the demo's today is kept. Draws come from
generators derived from the seed per quarter and week (``seeds.rng_for``), and call ids
from the seed and the call's key, so a seed gives the same calls.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa

from revops.demo.calendar import SimCalendar
from revops.demo.people import ROLES, Staff
from revops.demo.seeds import rng_for
from revops.engines.forecast.features import category_codes
from revops.engines.forecast.world import DAY, DealWorld, day_number
from revops.engines.metrics.periods import FiscalCalendar

CALLING_ROLES = ("ae", "csm")
"""Who carries deals and calls them: AEs (new business, expansion) and CSMs (renewals)."""
CALL_HOUR, REVIEW_HOUR, TEAM_CALL_HOUR = 9.0, 14.0, 17.0
"""Local hours on Monday: reps call, managers review, managers call the team."""
QUARTER_FEEL, WEEK_NOISE = 0.08, 0.05
"""Log-normal spread of a rep's gut feeling for the quarter, and of their weekly wobble."""
TOLERANCE, MIN_GAP = 0.20, 5_000.0
"""A manager lets a number pass within 20% (or 5,000) of the deals at the commit stage."""
REVIEW_RATE = 0.4
"""Share of the numbers outside the tolerance a manager adjusts in a given week."""
CATEGORIES = ("commit", "best_case")


@dataclass
class WeekDeals:
    """One Monday's deals per person (arrays indexed by staff number), as the CRM stood."""

    closed_won: np.ndarray
    commit: np.ndarray  # open, closing in the quarter, in the rep's commit category
    best_case: np.ndarray
    at_commit_stage: np.ndarray  # open, closing in the quarter, at a stage the model calls commit
    deals_at_commit_stage: np.ndarray


@dataclass
class CallLog:
    """Calls as parallel lists of arrays, one entry per batch of calls."""

    period: list[np.ndarray] = field(default_factory=list)
    user: list[np.ndarray] = field(default_factory=list)
    category: list[np.ndarray] = field(default_factory=list)
    amount: list[np.ndarray] = field(default_factory=list)
    at: list[np.ndarray] = field(default_factory=list)
    by: list[np.ndarray] = field(default_factory=list)
    note: list[np.ndarray] = field(default_factory=list)

    def add(self, period: int, user: np.ndarray, category: int, amount: np.ndarray, at: np.ndarray,
            by: np.ndarray | None = None, note: np.ndarray | None = None) -> None:
        n = len(user)
        if n == 0:
            return
        self.period.append(np.full(n, period))
        self.user.append(np.asarray(user, dtype=np.int64))
        self.category.append(np.full(n, category))
        self.amount.append(np.asarray(amount, dtype=float))
        self.at.append(np.asarray(at, dtype=float))
        self.by.append(np.asarray(user if by is None else by, dtype=np.int64))
        self.note.append(np.full(n, None, dtype=object) if note is None else np.asarray(note, dtype=object))

    def column(self, name: str, dtype: object) -> np.ndarray:
        parts = getattr(self, name)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def forecast_calls_table(world: DealWorld, staff: Staff, cal: SimCalendar, seed: int,
                         fiscal: FiscalCalendar) -> pa.Table:
    """Every call of every Monday of history, as ``_forecast_calls`` rows (see the module)."""
    n = len(staff.role)
    callers = np.flatnonzero(np.isin(staff.role_arr, [ROLES.index(r) for r in CALLING_ROLES]))
    manager = staff.manager
    is_exec = staff.role_arr == ROLES.index("executive")
    offset = staff.tz_offset_hours / 24.0
    owner_staff = _owner_staff(world)
    stages = " or ".join(k for k, c, o in zip(world.stages.keys, world.stages.default_category, world.stages.is_open)
                         if o and c == "commit") or "a commit stage"
    epoch_day = int(cal.epoch.astype("datetime64[D]").astype(np.int64))
    last_change = np.full(len(world), np.iinfo(np.int64).min)  # each deal's last history row
    np.maximum.at(last_change, world.h_deal, world.h_t)
    log = CallLog()
    labels: list[str] = []
    called_in = np.full(n, -1)  # the last period each rep called in
    zeroed = np.zeros(n, dtype=bool)
    feel = np.ones(n)
    for week, monday in enumerate(_mondays(cal)):
        day = epoch_day + int(monday)
        label = fiscal.label(_date(day), "quarter")
        start = fiscal.period_start(_date(day), "quarter")
        end = fiscal.period_end(_date(day), "quarter")
        if not labels or labels[-1] != label:
            labels.append(label)
            feel = np.exp(rng_for(seed, "forecast_calls_quarter", len(labels)).normal(0.0, QUARTER_FEEL, n))
            zeroed[:] = False
            candidates = _quarter_deals(world, last_change, day_number(start), day_number(end))
        period = len(labels) - 1
        rng = rng_for(seed, "forecast_calls", week)
        wobble = np.exp(rng.normal(0.0, WEEK_NOISE, n))
        call_at = monday + (CALL_HOUR / 24.0 - offset) + rng.uniform(0, 1.5, n) / 24.0
        review_at = monday + (REVIEW_HOUR / 24.0 - offset) + rng.uniform(0, 2.0, n) / 24.0
        team_at = monday + (TEAM_CALL_HOUR / 24.0 - offset) + rng.uniform(0, 1.0, n) / 24.0
        review_roll = rng.random(n)
        team_wobble = np.exp(rng.normal(0.0, WEEK_NOISE, n))

        working = callers[(staff.start[callers] <= monday) & (monday < staff.end[callers])
                          & (call_at[callers] < cal.cutoff)]
        if len(working) == 0:
            continue
        opening = float(call_at[working].min())
        deals = _week_deals(world, candidates, owner_staff, n, (epoch_day + opening) * DAY,
                            day_number(start), day_number(end))

        # -- the reps' calls ------------------------------------------------------------------
        shade = staff.bias[working] * feel[working] * wobble[working]
        commit = _round(deals.closed_won[working] + deals.commit[working] * shade, 1_000)
        best = np.maximum(_round(commit + deals.best_case[working] * shade, 1_000), commit)
        log.add(period, working, 0, commit, call_at[working])
        log.add(period, working, 1, best, call_at[working] + 1.0 / 86_400)
        number = np.zeros(n)
        number[working] = commit
        called_in[working] = period

        # -- a rep who left mid-quarter: the manager takes their call off -----------------------
        gone = np.flatnonzero((called_in == period) & ~zeroed & (staff.end <= monday))
        gone = gone[(manager[gone] >= 0) & (review_at[np.maximum(manager[gone], 0)] < cal.cutoff)]
        if len(gone):
            when = review_at[manager[gone]]
            notes = np.array([f"{staff.name[u]} left on {_date(epoch_day + int(staff.end[u])).isoformat()}; "
                              "their deals are called by their new owners" for u in gone], dtype=object)
            log.add(period, gone, 0, np.zeros(len(gone)), when, manager[gone], notes)
            zeroed[gone] = True

        # -- the manager's review ---------------------------------------------------------------
        mine = working[manager[working] >= 0]
        boss = manager[mine]
        last_call = np.full(n, -np.inf)
        np.maximum.at(last_call, boss, call_at[mine])
        review_at = np.maximum(review_at, last_call + 1.0 / 24.0)
        view = _round(deals.closed_won[mine] + deals.at_commit_stage[mine], 1_000)
        gap = number[mine] - view
        off = np.abs(gap) > np.maximum(TOLERANCE * view, MIN_GAP)
        act = off & (review_roll[mine] < REVIEW_RATE) & (review_at[boss] < cal.cutoff)
        if act.any():
            who = mine[act]
            notes = np.array([_review_note(number[u], v, deals.closed_won[u], deals.at_commit_stage[u],
                                           int(deals.deals_at_commit_stage[u]), stages)
                              for u, v in zip(who, view[act])], dtype=object)
            log.add(period, who, 0, view[act], review_at[boss[act]], boss[act], notes)
            number[who] = view[act]

        # -- the manager's number for the team ---------------------------------------------------
        heads = np.unique(boss)
        team = np.bincount(boss, weights=number[mine], minlength=n)[heads]
        last = np.full(n, -np.inf)
        np.maximum.at(last, boss, np.where(act, review_at[boss], call_at[mine]))
        when = np.maximum(team_at[heads], last[heads] + 0.5 / 24.0)
        shade = np.where(is_exec[heads], 1.0, staff.bias[heads]) * team_wobble[heads]
        keep = when < cal.cutoff
        log.add(period, heads[keep], 0, _round(team * shade, 5_000)[keep], when[keep])
    return _calls_table(log, labels, cal, seed)


def _quarter_deals(world: DealWorld, last_change: np.ndarray, first_day: int, last_day: int) -> np.ndarray:
    """The deals that can count in a quarter: created before it ends, and not settled before
    it began (closed then with an earlier close date, and never changed since)."""
    everyone = np.arange(len(world), dtype=np.int64)
    s = world.state(everyone, first_day * DAY)
    with np.errstate(invalid="ignore"):
        settled = (s.is_won | s.is_lost) & (s.close_day < first_day) & (last_change < first_day * DAY)
    return everyone[(world.created < (last_day + 1) * DAY) & ~settled]


def _week_deals(world: DealWorld, deals: np.ndarray, owner_staff: np.ndarray, n: int, instant: float,
                first_day: int, last_day: int) -> WeekDeals:
    """Each person's ``deals`` of the quarter at ``instant`` (seconds), by the owner then."""
    s = world.state(deals, int(instant))
    st = world.stages
    with np.errstate(invalid="ignore"):
        inside = (s.close_day >= first_day) & (s.close_day <= last_day)
    owner = np.where(s.owner >= 0, owner_staff[np.maximum(s.owner, 0)], -1)
    mine = inside & (owner >= 0)
    amount = np.nan_to_num(s.amount)
    code = category_codes(world, s)
    commit_code = world.categories.index("commit") if "commit" in world.categories else -2
    best_code = world.categories.index("best_case") if "best_case" in world.categories else -2
    stage_commit = np.array([c == "commit" for c in st.default_category] or [False])
    at_stage = st.lookup(stage_commit, s.stage, False)
    open_ = mine & s.is_open

    def total(sel: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(owner[sel], weights=None if weights is None else weights[sel], minlength=n)[:n]

    return WeekDeals(closed_won=total(mine & s.is_won, amount), commit=total(open_ & (code == commit_code), amount),
                     best_case=total(open_ & (code == best_code), amount),
                     at_commit_stage=total(open_ & at_stage, amount),
                     deals_at_commit_stage=total(open_ & at_stage).astype(float))


def _review_note(called: float, number: float, closed: float, open_amount: float, deals: int, stages: str) -> str:
    """What a manager writes when they change a rep's number: from what, to what, and why."""
    verb = "Cut" if called > number else "Raised"
    won = f"{closed:,.0f} closed won" if closed else "nothing closed yet"
    backing = f"{open_amount:,.0f} in {deals} deal{'s' if deals != 1 else ''} at {stages}" if deals else \
        f"no deal at {stages}"
    return f"{verb} from {called:,.0f} to {number:,.0f}, what the deals back: {won}, {backing} closing this quarter"


def _calls_table(log: CallLog, labels: list[str], cal: SimCalendar, seed: int) -> pa.Table:
    """Rows in time order per (period, user, category), with versions and previous amounts."""
    period = log.column("period", np.int64)
    user = log.column("user", np.int64)
    category = log.column("category", np.int64)
    amount = log.column("amount", float)
    at = log.column("at", float)
    order = np.lexsort((at, category, user, period))
    period, user, category, amount, at = period[order], user[order], category[order], amount[order], at[order]
    by, note = log.column("by", np.int64)[order], log.column("note", object)[order]
    first = np.r_[True, (period[1:] != period[:-1]) | (user[1:] != user[:-1]) | (category[1:] != category[:-1])] \
        if len(period) else np.zeros(0, dtype=bool)
    start = np.maximum.accumulate(np.where(first, np.arange(len(first)), 0)) if len(first) else first
    version = np.arange(len(first)) - start + 1
    previous = np.r_[np.nan, amount[:-1]] if len(amount) else amount
    previous[first] = np.nan
    label = np.array(labels, dtype=object)[period] if len(period) else np.zeros(0, dtype=object)
    users = np.array([f"usr_{u:04d}" for u in range(int(max(user.max(initial=-1), by.max(initial=-1))) + 1)],
                     dtype=object)
    keys = [f"{seed}:{p}:{u}:{c}:{v}" for p, u, c, v in zip(label, user, category, version)]
    return pa.table({
        "call_id": pa.array([hashlib.blake2b(k.encode(), digest_size=8).hexdigest() for k in keys], pa.string()),
        "period": pa.array(label, pa.string()),
        "user_id": pa.array(users[user], pa.string()),
        "category": pa.array(np.array(CATEGORIES, dtype=object)[category], pa.string()),
        "amount": pa.array(amount, pa.float64()),
        "version": pa.array(version.astype(np.int32), pa.int32()),
        "submitted_at": pa.array(cal.timestamps(at), pa.timestamp("s")),
        "submitted_by": pa.array(users[by], pa.string()),
        "note": pa.array(note, pa.string()),
        "previous_amount": pa.array(previous, pa.float64(), mask=np.isnan(previous)),
    })


def _mondays(cal: SimCalendar) -> np.ndarray:
    """Sim days (00:00 UTC) of every Monday from the start of history to before today."""
    days = np.arange(0, int(cal.cutoff) + 1, dtype=float)
    return days[cal.weekday(days) == 0]


def _owner_staff(world: DealWorld) -> np.ndarray:
    """Staff number of each of the world's owner codes (-1 for an owner who is not a demo user)."""
    return np.array([int(o[4:]) if str(o).startswith("usr_") and str(o)[4:].isdigit() else -1
                     for o in world.owners] or [-1], dtype=np.int64)


def _date(day: int) -> date:
    return date.fromordinal(date(1970, 1, 1).toordinal() + day)


def _round(values: np.ndarray, unit: float) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) / unit) * unit
