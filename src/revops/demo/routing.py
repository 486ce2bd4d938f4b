"""The demo company routes its leads with revops: the routing engine, not the simulator,
decides who owns each lead, and the person it chooses is the one who works it.

Leads are taken in arrival order through the real ``Router`` (the engine behind ``revops
route`` and ``POST /v1/leads``, with the revenue model in use), on a state that moves with
simulated time:

- an inbound lead is routed when it arrives (trigger ``route``) with the score marketing's
  legacy scoring gave it then; a lead parked in nurture is routed again when it becomes an
  MQL (the engine's rule), with its MQL score;
- an outbound lead belongs to the SDR who prospected it: owned from the start, never routed;
- the rep routing chose makes the first contact on their own clock and at their own speed
  (``truth_reps.response_minutes``, sloppiness). A lead nobody calls within the routing SLA
  (``routing.fallback``) goes to the fallback at its deadline (trigger ``fallback``), and its
  new owner works it;
- an SDR's lead that becomes an SQL is handed on (trigger ``handoff``) when the node that
  placed it says so; the AE it goes to owns the deal;
- a lead leaves its owner's hands (their open leads, which the overflow limit reads) when it
  is converted, disqualified or recycled, or once the recycle window passed without progress;
- queued leads wait for a triage the simulation does not run: nobody calls them.

Routing runs on reps employed by their start and end dates (``RoutingState(history=True)``);
today's out-of-office flags are ignored, as a replay ignores them. Lead-to-account matching
has no accounts to match yet (accounts come from the leads' outcomes). Decisions are kept for
``_routing_decisions`` with ids derived from the seed: the same seed gives the same audit.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from revops.demo.calendar import SimCalendar
from revops.demo.people import Staff, teams_tables, users_table
from revops.engines.routing.audit import audit_table
from revops.engines.routing.batch import paused_gc
from revops.engines.routing.decision import RoutingDecision
from revops.engines.routing.fallback import deadlines, reassign_late
from revops.engines.routing.router import Router
from revops.engines.routing.state import RoutingState, recycle_days

NAN = math.nan
NOBODY = -1
NEVER_CALLED_RECYCLE_DAYS = 60.0
"""Leads sales never called go back to marketing this many days after they were due."""
DECISION_CHUNK = 10_000
"""Decisions turned into Arrow rows at a time: the decision objects do not pile up."""
OPEN_HOUR, CLOSE_HOUR = 8.0, 18.0
"""The demo's reps answer leads between 08:00 and 18:00 on their own clock, Monday to Friday."""

# event kinds, in the order they run when they fall on the same instant
CLOSE, FALLBACK, HANDOFF, REROUTE = 0, 1, 2, 3


@dataclass
class Arrivals:
    """What is known of each lead before anyone works it (arrays in arrival order)."""

    created: np.ndarray
    inbound: np.ndarray
    mql: np.ndarray
    mql_at: np.ndarray
    would_convert: np.ndarray
    quality: np.ndarray
    junk_at: np.ndarray
    """When marketing disqualifies the lead as junk (NaN: it is not junk)."""
    arrival_score: np.ndarray
    mql_score: np.ndarray
    company_size: np.ndarray
    country: list[str]
    industry: list[str]
    source: list[str]
    title: list[str]
    prospector: np.ndarray
    """The SDR who prospected each outbound lead."""


@dataclass
class WorkDraws:
    """The random draws of working a lead, made up front so routing cannot shift them. Each
    lead has two sets of a rep's draws: for its first owner and for a fallback owner."""

    never: tuple[np.ndarray, np.ndarray]
    delay: tuple[np.ndarray, np.ndarray]
    keep: np.ndarray
    to_sql: np.ndarray
    to_sal: np.ndarray
    to_conversion: np.ndarray
    reach_sql: np.ndarray
    reach_sal: np.ndarray
    other_sql: np.ndarray
    other_sal: np.ndarray
    ends: np.ndarray
    disqualify: np.ndarray
    end_after: np.ndarray
    outbound_call: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, end_days: float) -> WorkDraws:
        return cls(never=(rng.random(n), rng.random(n)), delay=(rng.normal(0, 0.7, n), rng.normal(0, 0.7, n)),
                   keep=rng.random(n), to_sql=rng.uniform(0.05, 3, n), to_sal=rng.exponential(4, n),
                   to_conversion=rng.uniform(0, 5, n), reach_sql=rng.random(n), reach_sal=rng.random(n),
                   other_sql=rng.uniform(0.1, 4, n), other_sal=rng.exponential(5, n), ends=rng.random(n),
                   disqualify=rng.random(n), end_after=rng.exponential(end_days, n),
                   outbound_call=rng.uniform(0.01, 0.2, n))


@dataclass
class WorkedLeads:
    """Who owns each lead and what happened to it (simulator days; NaN: not happened)."""

    owner: np.ndarray
    """Owning user, or NOBODY (nurture, queue, never placed)."""
    queue: list[str | None]
    assigned_at: np.ndarray
    worker: np.ndarray
    """The user who made the first contact (NOBODY: nobody did)."""
    first_contacted_at: np.ndarray
    sql_at: np.ndarray
    sal_at: np.ndarray
    converted_at: np.ndarray
    disqualified_at: np.ndarray
    recycled_at: np.ndarray
    decisions: list[pa.Table] = field(default_factory=list)
    """``_routing_decisions`` rows, in chunks."""
    open_leads: dict[str, int] = field(default_factory=dict)
    """Each user's open leads as routing counted them at the end (today 00:00)."""

    @property
    def decision_count(self) -> int:
        return sum(t.num_rows for t in self.decisions)


class DemoRouting:
    """Routes and works the demo's leads in time order (see the module's description)."""

    def __init__(self, model: Any, staff: Staff, cal: SimCalendar, seed: int, leads: Arrivals,
                 draws: WorkDraws, go_live: float | None = None) -> None:
        self.model, self.staff, self.cal, self.leads, self.draws = model, staff, cal, leads, draws
        self.go_live = -math.inf if go_live is None else go_live
        users = users_table(staff, cal).to_pylist()
        teams, territories = teams_tables(staff)
        state = RoutingState(model, users=users, teams=teams.to_pylist(), territories=territories.to_pylist(),
                             history=True)
        self.router = Router(model, state)
        self.state = state
        self.rep_index = {u["user_id"]: i for i, u in enumerate(users)}
        self.epoch = datetime.combine(cal.epoch.astype(date), time())
        self.cutoff = cal.cutoff
        self.weekday0 = (int(cal.epoch.astype("int64")) + 3) % 7
        """Weekday (Monday 0) of simulator day 0."""
        self.recycle = float(recycle_days(model))
        fb = model.routing.fallback
        self.fallback = fb is not None and fb.after is not None and fb.action.startswith("reassign")
        self.fallback_minutes = (fb.after * 60.0 if fb is not None and fb.after is not None
                                 and fb.unit in (None, "business_hours") else 0.0)
        self.tz = np.asarray(staff.tz_offset_hours) / 24.0
        self.prefix = hashlib.sha256(f"demo:{seed}".encode()).hexdigest()[:22]
        self.serial = 0
        self.pending: list[RoutingDecision] = []
        n = len(leads.created)
        self.out = WorkedLeads(
            owner=np.full(n, NOBODY, dtype="int64"), queue=[None] * n, assigned_at=np.full(n, NAN),
            worker=np.full(n, NOBODY, dtype="int64"), first_contacted_at=np.full(n, NAN), sql_at=np.full(n, NAN),
            sal_at=np.full(n, NAN), converted_at=np.full(n, NAN), disqualified_at=leads.junk_at.copy(),
            recycled_at=np.full(n, NAN))
        self.events: list[tuple[float, int, int, int, int]] = []
        self.version = [0] * n
        self.placed_by: list[str | None] = [None] * n
        # the lead-by-lead loop reads plain Python lists: a numpy scalar costs more than it does
        self.first = int(np.searchsorted(leads.created, self.go_live))  # leads arrive in order
        self.L, self.D = _as_lists(leads, self.first), _as_lists(draws, self.first)
        self.S = SimpleNamespace(sloppiness=staff.sloppiness.tolist(), response_minutes=staff.response_minutes.tolist())

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> WorkedLeads:
        leads, cutoff = self.L, self.cutoff
        first = self.first
        if first:
            self._crm_era(first)
        self._due = {"created": self._deadlines(self.leads.created, first).tolist(),
                     "mql": self._deadlines(self.leads.mql_at, first).tolist()}
        with paused_gc():
            for i, t in enumerate(leads.created[first:], first):
                self._until(t)
                if leads.inbound[i]:
                    instant = leads.mql[i] and leads.mql_at[i] <= t
                    score = leads.mql_score[i] if instant else leads.arrival_score[i]
                    self._route(i, t, float(score), "mql" if instant else "new", "created")
                else:
                    self._prospect(i, t)
            self._until(cutoff)
        self._flush()
        self.out.open_leads = {uid: rep.open_leads for uid, rep in self.state.reps.items() if rep.open_leads}
        return self.out

    def _until(self, t: float) -> None:
        events = self.events
        while events and events[0][0] <= t:
            at, kind, _, i, version = heapq.heappop(events)
            if at >= self.cutoff or version != self.version[i]:
                continue
            if kind == CLOSE:
                owner = self.out.owner[i]
                if owner != NOBODY:
                    self.state.lead_closed(self._uid(owner))
            elif kind == FALLBACK:
                self._fall_back(i, at)
            elif kind == HANDOFF:
                self._hand_off(i, at)
            else:
                self._route(i, at, float(self.L.mql_score[i]), "mql", "mql")

    def _push(self, at: float, kind: int, i: int) -> None:
        if at < self.cutoff:
            heapq.heappush(self.events, (at, kind, len(self.events), i, self.version[i]))

    # -- routing -------------------------------------------------------------------------------
    def _record(self, i: int, score: float, status: str) -> dict[str, Any]:
        leads = self.L
        owner = self.out.owner[i]
        return {"lead_id": lead_id(i), "country": leads.country[i], "industry": leads.industry[i],
                "company_size": int(leads.company_size[i]), "score": score, "source": leads.source[i],
                "title": leads.title[i], "status": status, "created_at": self._instant(leads.created[i]),
                "owner_id": self._uid(owner) if owner != NOBODY else self.out.queue[i]}

    def _route(self, i: int, t: float, score: float, status: str, moment: str) -> None:
        d = self.router.route(self._record(i, score, status), self._instant(t))
        self._keep(d)
        out = self.out
        out.assigned_at[i] = t
        if d.assigned_kind == "user":
            k = self.rep_index[d.assigned_to]
            out.owner[i] = k
            self.placed_by[i] = d.node
            self._work(i, t, k, 0, self._due[moment][i])
        elif d.assigned_kind == "queue":
            out.queue[i] = d.assigned_to
            self._outcome(i, t, NAN)
        elif moment == "created" and self.L.mql[i] and self.L.mql_at[i] > t:
            self._push(float(self.L.mql_at[i]), REROUTE, i)  # parked: back when it becomes an MQL
        else:
            self._outcome(i, t, NAN, owned=False)

    def _prospect(self, i: int, t: float) -> None:
        """An outbound lead: the SDR who found it owns it and calls at once."""
        k = int(self.L.prospector[i])
        rep = self.state.reps.get(self._uid(k))
        if rep is not None:
            rep.add_open_leads(1)
        out = self.out
        out.owner[i], out.assigned_at[i] = k, t
        call = t + self.D.outbound_call[i]
        out.worker[i] = k
        self._outcome(i, call, call)

    def _fall_back(self, i: int, at: float) -> None:
        out = self.out
        lead = self._record(i, float(self.L.mql_score[i] if self.L.mql[i] else self.L.arrival_score[i]),
                            "mql" if self.L.mql[i] else "new")
        lead["assigned_at"] = self._instant(out.assigned_at[i])
        when = self._instant(at)
        d = reassign_late(self.router, lead, when, when, self.fallback_minutes)
        if d is None:
            return
        self._keep(d)
        assigned = float(out.assigned_at[i])
        out.assigned_at[i] = at
        self.version[i] += 1
        if d.assigned_kind == "user":
            k = self.rep_index[d.assigned_to]
            out.owner[i] = k
            self.placed_by[i] = None  # the fallback hands on to nobody
            self._work(i, assigned, k, 1, NAN, start=at)
        else:
            out.owner[i] = NOBODY
            out.queue[i] = d.assigned_to
            out.first_contacted_at[i] = NAN
            out.worker[i] = NOBODY
            self._outcome(i, assigned, NAN)

    def _hand_off(self, i: int, at: float) -> None:
        node = self.router.graph.nodes.get(self.placed_by[i] or "")
        if node is None or not node.handoff:
            return
        lead = self._record(i, float(self.L.mql_score[i] if self.L.mql[i] else self.L.arrival_score[i]),
                            "sql")
        d = self.router.route(lead, self._instant(at), trigger="handoff", start=node.handoff)
        if d.assigned_kind != "user":
            self.router.release(d)  # nobody to hand on to: the SDR keeps it
            return
        self._keep(d)
        self.out.owner[i] = self.rep_index[d.assigned_to]
        self.out.assigned_at[i] = at
        self.placed_by[i] = d.node

    # -- working a lead ------------------------------------------------------------------------
    def _work(self, i: int, assigned: float, k: int, draw: int, due: float, start: float | None = None) -> None:
        """Rep ``k`` has the lead from ``start`` (default: ``assigned``): first contact on their
        clock at their speed, then the lead's outcome; the fallback if the call comes late."""
        d, staff = self.D, self.S
        begin = assigned if start is None else start
        if not math.isnan(self.L.junk_at[i]):
            call = NAN  # marketing's junk: disqualified before anyone calls
        elif d.never[draw][i] < 0.04 + 0.15 * staff.sloppiness[k]:
            call = NAN
        else:
            offset = self.tz[k]
            ready = next_business_start(begin + offset, self.weekday0) - offset
            call = ready + staff.response_minutes[k] * math.exp(float(d.delay[draw][i])) / 1440.0
        self.out.worker[i] = k if not math.isnan(call) else NOBODY
        if draw == 0 and self.fallback and not math.isnan(due) and (math.isnan(call) or call > due):
            junk = self.L.junk_at[i]
            if math.isnan(junk) or junk > due:
                self._push(due, FALLBACK, i)
        self._outcome(i, assigned, call)

    def _outcome(self, i: int, assigned: float, call: float, *, owned: bool = True) -> None:
        """What becomes of the lead once it was (or was not) called at ``call``."""
        leads, d, out = self.L, self.D, self.out
        out.first_contacted_at[i] = call
        sql = sal = conv = recyc = NAN
        disq = float(leads.junk_at[i])
        mql_at = float(leads.mql_at[i])
        if math.isnan(call):
            if math.isnan(disq) and (owned or leads.mql[i]):  # nobody called: back to marketing
                recyc = (mql_at if leads.mql[i] else assigned) + NEVER_CALLED_RECYCLE_DAYS
        elif leads.would_convert[i] and d.keep[i] > 0.5 * (1 - math.exp(-(call - assigned) * 24 / 10.0)):
            sql = call + d.to_sql[i]
            sal = sql + 0.5 + d.to_sal[i]
            conv = sal + d.to_conversion[i]
        elif math.isnan(disq):
            q = float(leads.quality[i])
            chance = 0.15 + 0.5 * q if leads.mql[i] else 0.05 + 0.2 * q
            if d.reach_sql[i] < chance:
                sql = call + d.other_sql[i]
                if d.reach_sal[i] < 0.35:
                    sal = sql + 0.5 + d.other_sal[i]
            if d.ends[i] < 0.97:
                end = max(x for x in (call, sql, sal) if not math.isnan(x)) + 3 + d.end_after[i]
                if d.disqualify[i] < (0.6 if not math.isnan(sal) else 0.35):
                    disq = end
                else:
                    recyc = end
        out.sql_at[i], out.sal_at[i], out.converted_at[i] = sql, sal, conv
        out.disqualified_at[i], out.recycled_at[i] = disq, recyc
        if not owned:
            return
        progress = max(x for x in (leads.created[i], assigned, mql_at, call, sql, sal) if not math.isnan(x))
        ends = [x for x in (conv, disq, recyc) if not math.isnan(x)]
        self._push(min([*ends, progress + self.recycle]), CLOSE, i)
        if not math.isnan(sql) and self.placed_by[i] is not None:
            node = self.router.graph.nodes.get(self.placed_by[i])
            if node is not None and node.handoff and (math.isnan(conv) or sql < conv):
                self._push(sql, HANDOFF, i)

    # -- before revops routed the leads ---------------------------------------------------------
    def _crm_era(self, m: int) -> None:
        """The first ``m`` leads arrived before the company routed with revops (``go_live``): its
        CRM gave every lead to an SDR of its region when it arrived (no decision, no audit, no
        caps or overflow), who called the MQLs and outbound leads, by the same behaviour as
        ``_work`` and ``_outcome``, vectorised. The leads still in their owner's hands at go-live
        count as open when routing starts, until they close."""
        leads, d, staff, out = self.leads, self.draws, self.staff, self.out
        part = slice(0, m)
        owner = leads.prospector[part].astype("int64")
        inbound, mql = leads.inbound[part], leads.mql[part]
        created = leads.created[part]
        start = np.where(inbound, leads.mql_at[part], created + d.outbound_call[part])
        offset = self.tz[owner]
        ready = self.cal.next_business_start(np.nan_to_num(start) + offset) - offset
        delay = staff.response_minutes[owner] * np.exp(d.delay[0][part]) / 1440.0
        never = d.never[0][part] < 0.04 + 0.15 * staff.sloppiness[owner]
        call = np.where(inbound & mql & ~never, ready + delay, NAN)
        call = np.where(inbound, call, start)
        call[~np.isnan(leads.junk_at[part])] = NAN
        since = np.where(np.isnan(start), created, start)
        o = outcomes(leads, d, np.arange(m), since, call, np.ones(m, dtype=bool))
        out.owner[part] = owner
        out.assigned_at[part] = created
        out.worker[part] = np.where(np.isnan(call), NOBODY, owner)
        out.first_contacted_at[part] = call
        for name in ("sql_at", "sal_at", "converted_at", "disqualified_at", "recycled_at"):
            getattr(out, name)[part] = o[name]
        progress = np.fmax(o["progress"], created)
        close = np.fmin(o["closed_at"], progress + self.recycle)
        still = close > self.go_live
        for i in np.flatnonzero(still).tolist():
            uid = self._uid(owner[i])
            rep = self.state.reps.get(uid)
            if rep is not None:
                rep.add_open_leads(1)
            self._push(float(close[i]), CLOSE, i)

    # -- bookkeeping ---------------------------------------------------------------------------
    def _keep(self, d: RoutingDecision) -> None:
        self.serial += 1
        d._id = f"{self.prefix}{self.serial:010x}"
        d.undo = None
        self.pending.append(d)
        if len(self.pending) >= DECISION_CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.out.decisions.append(audit_table(self.pending))
            self.pending = []

    def _deadlines(self, starts: np.ndarray, first: int = 0) -> np.ndarray:
        """The routing SLA's deadline (simulator days) of a lead assigned at each start (from
        lead ``first`` on)."""
        if not self.fallback:
            return np.full(len(starts), NAN)
        valid = ~np.isnan(starts) & (starts < self.cutoff)
        valid[:first] = False
        out = np.full(len(starts), NAN)
        if valid.any():
            due = deadlines(self.model, self.cal.timestamps(starts[valid]).astype("datetime64[us]"))
            out[valid] = (due - np.datetime64(self.epoch, "us")) / np.timedelta64(1, "D")
        return out

    def _instant(self, t: float) -> datetime:
        return self.epoch + timedelta(seconds=round(float(t) * 86400.0))

    @staticmethod
    def _uid(k: int) -> str:
        return f"usr_{int(k):04d}"


def outcomes(leads: Arrivals, d: WorkDraws, idx: np.ndarray, since: np.ndarray, call: np.ndarray,
             owned: np.ndarray) -> dict[str, np.ndarray]:
    """``DemoRouting._outcome`` for many leads at once: what becomes of leads ``idx`` owned (or
    not) since ``since`` and called at ``call`` (NaN: never). Also their latest progress and
    the earliest of conversion, disqualification and recycling (``closed_at``)."""
    q, mql, junk = leads.quality[idx], leads.mql[idx], leads.junk_at[idx]
    mql_at = leads.mql_at[idx]
    called = ~np.isnan(call)
    with np.errstate(invalid="ignore"):
        keep = d.keep[idx] > 0.5 * (1 - np.exp(-(call - since) * 24 / 10.0))
    converts = called & leads.would_convert[idx] & keep
    sql = np.where(converts, call + d.to_sql[idx], NAN)
    sal = np.where(converts, sql + 0.5 + d.to_sal[idx], NAN)
    conv = np.where(converts, sal + d.to_conversion[idx], NAN)
    other = called & ~converts & np.isnan(junk)
    reach_sql = other & (d.reach_sql[idx] < np.where(mql, 0.15 + 0.5 * q, 0.05 + 0.2 * q))
    reach_sal = reach_sql & (d.reach_sal[idx] < 0.35)
    sql = np.where(reach_sql, call + d.other_sql[idx], sql)
    sal = np.where(reach_sal, sql + 0.5 + d.other_sal[idx], sal)
    end = np.fmax(np.fmax(call, sql), sal) + 3 + d.end_after[idx]
    ends = other & (d.ends[idx] < 0.97)
    disqualified = ends & (d.disqualify[idx] < np.where(reach_sal, 0.6, 0.35))
    disq = np.where(disqualified, end, junk)
    recyc = np.where(ends & ~disqualified, end, NAN)
    never = ~called & np.isnan(junk) & (owned | mql)
    recyc = np.where(never, np.where(mql, mql_at, since) + NEVER_CALLED_RECYCLE_DAYS, recyc)
    progress = np.fmax(np.fmax(np.fmax(since, mql_at), np.fmax(call, sql)), sal)
    closed = np.fmin(np.fmin(conv, disq), recyc)
    return {"sql_at": sql, "sal_at": sal, "converted_at": conv, "disqualified_at": disq, "recycled_at": recyc,
            "progress": progress, "closed_at": closed}


def _as_lists(data: Any, first: int = 0) -> SimpleNamespace:
    """The arrays of a dataclass as lists (pairs of arrays as pairs of lists), from item
    ``first`` on: the items before it are None (the loop never reads them)."""
    def plain(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return [None] * first + v[first:].tolist()
        if isinstance(v, tuple):
            return tuple(plain(x) for x in v)
        if isinstance(v, list):
            return [None] * first + v[first:]
        return v
    return SimpleNamespace(**{k: plain(v) for k, v in vars(data).items()})


def lead_id(i: int) -> str:
    return f"lead_{i:08d}"


def next_business_start(local: float, weekday0: int) -> float:
    """``SimCalendar.next_business_start`` for one instant (local simulator days; ``weekday0``:
    the weekday of day 0, Monday 0)."""
    day = math.floor(local)
    hour = (local - day) * 24.0
    out = local
    if hour < OPEN_HOUR:
        out = day + OPEN_HOUR / 24.0
    elif hour >= CLOSE_HOUR:
        out = day + 1 + OPEN_HOUR / 24.0
    d2 = math.floor(out)
    dow = (d2 + weekday0) % 7
    if dow == 5:
        out = d2 + 2 + OPEN_HOUR / 24.0
    elif dow == 6:
        out = d2 + 1 + OPEN_HOUR / 24.0
    return out


def work_leads(model: Any, staff: Staff, cal: SimCalendar, seed: int, leads: Arrivals,
               draws: WorkDraws, go_live: float | None = None) -> WorkedLeads:
    """Route and work every lead (see the module's description); leads that arrived before
    ``go_live`` (simulator day; None: none did) were the CRM's (``DemoRouting._crm_era``)."""
    return DemoRouting(model, staff, cal, seed, leads, draws, go_live).run()
