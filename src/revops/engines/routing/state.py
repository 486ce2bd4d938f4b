"""What routing knows about the people it assigns to, kept in memory between decisions.

``RoutingState`` holds the reps (users with role, segment, region, time zone, active, out of
office), their open-lead counts, how many leads each received per local day and ISO week
(for caps), each rotation's position, the teams, territories and accounts. It is loaded
from the store, which stays the source of truth: leads.owner_id / assigned_at give open
leads, ``_routing_decisions`` gives the assignments that count towards caps and the order of
each rotation, so caps and rotations carry on across restarts. Every decision updates the
state under ``lock``; ``user_changed`` applies a change to a user at once (a rep deactivated
mid-day gets no further lead).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from revops.engines.identity.accounts import load_accounts
from revops.engines.routing.accounts import AccountIndex
from revops.engines.routing.shifts import ShiftClock, clock_factory

OPEN_LEAD_STATUSES: tuple[str, ...] = ("new", "mql", "sql", "sal")
"""Lifecycle stages in which a lead sits with its owner (an open lead)."""

HISTORY_DAYS = 8
"""Days of decisions read back at load: the current ISO week in every time zone."""


class Rep:
    """One user as routing sees them. ``record`` is the users row (plus open_leads and
    open_opportunities) that pool expressions read."""

    __slots__ = ("user_id", "name", "role", "team", "manager_id", "region", "segment", "active",
                 "out_of_office", "start_date", "end_date", "clock", "record", "open_leads",
                 "open_opportunities", "day_counts", "week_counts")

    def __init__(self, row: Mapping[str, Any], clock: ShiftClock) -> None:
        self.day_counts: dict[int, int] = {}
        self.week_counts: dict[int, int] = {}
        self.open_leads = 0
        self.open_opportunities = 0
        self.update(row, clock)

    def update(self, row: Mapping[str, Any], clock: ShiftClock) -> None:
        self.user_id = str(row["user_id"])
        self.name = row.get("name")
        self.role = row.get("role")
        self.team = row.get("team")
        self.manager_id = row.get("manager_id")
        self.region = row.get("region")
        self.segment = row.get("segment")
        self.active = row.get("active") is not False  # unknown counts as active
        self.out_of_office = row.get("out_of_office") is True
        self.start_date = _as_date(row.get("start_date"))
        self.end_date = _as_date(row.get("end_date"))
        self.clock = clock
        self.record = {k: _clean(v) for k, v in row.items()}
        self.record["open_leads"] = self.open_leads
        self.record["open_opportunities"] = self.open_opportunities

    def add_open_leads(self, n: int) -> None:
        self.open_leads = max(self.open_leads + n, 0)
        self.record["open_leads"] = self.open_leads

    def __repr__(self) -> str:
        return f"Rep({self.user_id!r}, role={self.role!r}, open_leads={self.open_leads})"


class Territory:
    __slots__ = ("territory_id", "name", "region", "segment", "countries", "industry", "owner_id",
                 "team_id")

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.territory_id = str(row["territory_id"])
        self.name = row.get("name")
        self.region = row.get("region") or None
        self.segment = row.get("segment") or None
        raw = row.get("countries") or ""
        self.countries = frozenset(c.strip().upper() for c in str(raw).split(",") if c.strip())
        self.industry = (row.get("industry") or "").strip().lower() or None
        self.owner_id = row.get("owner_id") or None
        self.team_id = row.get("team_id") or None


class RoutingState:
    """Reps, teams, territories, accounts and the counters routing keeps between decisions.

    ``history=True`` (replay) reads a rep's employment from start_date / end_date at each
    decision instead of today's ``active`` flag, and ignores today's out-of-office flag.
    """

    def __init__(self, model: Any, *, users: Iterable[Mapping[str, Any]] = (),
                 teams: Iterable[Mapping[str, Any]] = (), territories: Iterable[Mapping[str, Any]] = (),
                 accounts: Iterable[Mapping[str, Any]] = (), open_leads: Mapping[str, int] | None = None,
                 open_opportunities: Mapping[str, int] | None = None, history: bool = False) -> None:
        self.lock = threading.RLock()
        self.clock = clock_factory(model.company)
        self.history = history
        self.regions = {c.upper(): region for region, countries in model.routing.regions.items()
                        for c in countries}
        self.version = 0
        self.reps: dict[str, Rep] = {}
        for row in users:
            self.reps[str(row["user_id"])] = Rep(row, self.clock(row.get("timezone")))
        self.teams = {str(t["team_id"]): dict(t) for t in teams}
        self.team_names = {tid: (t.get("name") or tid) for tid, t in self.teams.items()}
        self._team_ids_by_name = {name: tid for tid, name in self.team_names.items()}
        self.territories = [Territory(t) for t in territories]
        self.accounts = AccountIndex(accounts, model)
        for uid, n in (open_leads or {}).items():
            if uid in self.reps:
                self.reps[uid].add_open_leads(int(n))
        for uid, n in (open_opportunities or {}).items():
            if uid in self.reps:
                self.reps[uid].open_opportunities = int(n)
                self.reps[uid].record["open_opportunities"] = int(n)
        self.tags: dict[str, dict[str, float]] = {}
        self.vclock: dict[str, float] = {}
        self.served: dict[str, dict[str, int]] = {}
        """Per rotation, the serial number of each rep's last lead: ties go to who waited longest."""
        self._serial = 0
        self._members: dict[str, list[Rep]] | None = None

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, store: Any, model: Any, at: datetime, *, history: bool = False) -> RoutingState:
        """The state as of ``at`` from the store. With ``history`` (replay), open leads are the
        leads open at ``at`` by their timestamps, and no earlier decision is read back."""
        con = store.con
        users = _rows(con, "SELECT * FROM users ORDER BY user_id")
        teams = _rows(con, "SELECT * FROM teams ORDER BY team_id")
        territories = _rows(con, "SELECT * FROM territories ORDER BY territory_id")
        accounts = load_accounts(con, model)
        recycle = recycle_days(model)
        sql = _OPEN_AS_OF if history else _OPEN_NOW
        open_leads = dict(con.execute(sql, {"at": at, "since": at - timedelta(days=recycle)}).fetchall())
        open_stages = [s.key for s in model.open_stages]
        open_opps = {}
        if open_stages:
            marks = ", ".join("?" for _ in open_stages)
            open_opps = dict(con.execute(
                f"SELECT owner_id, count(*) FROM opportunities WHERE owner_id IS NOT NULL AND stage IN ({marks}) "
                "GROUP BY owner_id", open_stages).fetchall())
        return cls(model, users=users, teams=teams, territories=territories, accounts=accounts,
                   open_leads=open_leads, open_opportunities=open_opps, history=history)

    # -- teams -----------------------------------------------------------------------------
    def team_name(self, team: str | None) -> str | None:
        """A team's display name from a team id or a users.team value."""
        if team is None:
            return None
        return self.team_names.get(team, team)

    def members(self, team: str | None) -> list[Rep]:
        """The users of a team, by teams.team_id or by name (users.team holds either)."""
        if team is None:
            return []
        if self._members is None:
            members: dict[str, list[Rep]] = {}
            for rep in self.reps.values():
                if rep.team is None:
                    continue
                name = self.team_name(rep.team)
                tid = self._team_ids_by_name.get(name, rep.team)
                for key in {rep.team, name, tid}:
                    members.setdefault(key, []).append(rep)
            self._members = members
        return self._members.get(team, [])

    def manager_of(self, rep: Rep) -> Rep | None:
        """The first active manager up the chain (users.manager_id), skipping inactive ones."""
        seen = {rep.user_id}
        current = rep
        while current.manager_id and current.manager_id not in seen:
            seen.add(current.manager_id)
            manager = self.reps.get(current.manager_id)
            if manager is None:
                return None
            if manager.active:
                return manager
            current = manager
        return None

    def region_of(self, country: Any) -> str | None:
        if not isinstance(country, str):
            return None
        return self.regions.get(country.strip().upper())

    # -- changes ---------------------------------------------------------------------------
    def user_changed(self, user: Mapping[str, Any]) -> None:
        """Apply a new or changed users row at once: the next decision sees it."""
        with self.lock:
            uid = str(user["user_id"])
            rep = self.reps.get(uid)
            clock = self.clock(user.get("timezone"))
            if rep is None:
                self.reps[uid] = Rep(user, clock)
            else:
                merged = {**rep.record, **user}
                merged.pop("open_leads", None)
                merged.pop("open_opportunities", None)
                rep.update(merged, clock)
            self._members = None
            self.version += 1

    def lead_closed(self, owner_id: str | None) -> None:
        """A lead left its owner's hands (contacted and converted, disqualified, recycled)."""
        with self.lock:
            rep = self.reps.get(owner_id) if owner_id else None
            if rep is not None:
                rep.add_open_leads(-1)

    # -- assignments -----------------------------------------------------------------------
    def count_assignment(self, rep: Rep, at: datetime, n: int = 1) -> tuple[int, int]:
        """Count ``n`` leads towards the rep's caps on their local day and week at ``at``."""
        status = rep.clock.status(at)
        rep.day_counts[status.day] = rep.day_counts.get(status.day, 0) + n
        rep.week_counts[status.week] = rep.week_counts.get(status.week, 0) + n
        return status.day, status.week

    def rotate(self, key: str, rep: Rep, weight: float) -> tuple:
        """Move rotation ``key`` past ``rep`` (weighted fair order); returns what undo needs."""
        tags = self.tags.setdefault(key, {})
        served = self.served.setdefault(key, {})
        old_tag, old_served = tags.get(rep.user_id), served.get(rep.user_id)
        start = max(old_tag if old_tag is not None else 0.0, self.vclock.get(key, 0.0))
        self.vclock[key] = start
        new_tag = tags[rep.user_id] = start + 1.0 / weight
        self._serial += 1
        served[rep.user_id] = self._serial
        return old_tag, old_served, new_tag, self._serial

    def unrotate(self, key: str, rep: Rep, undo: tuple) -> None:
        """Give back the turn ``rotate`` took, unless the rep has had another lead since. The
        rotation's clock stays where it is: it only moves forward."""
        old_tag, old_served, new_tag, serial = undo
        tags, served = self.tags.setdefault(key, {}), self.served.setdefault(key, {})
        if tags.get(rep.user_id) != new_tag or served.get(rep.user_id) != serial:
            return
        for table, value in ((tags, old_tag), (served, old_served)):
            if value is None:
                table.pop(rep.user_id, None)
            else:
                table[rep.user_id] = value

    def is_employed(self, rep: Rep, day: date) -> bool:
        """Whether the rep works here on ``day``: today's ``active`` flag live; in a replay,
        their start and end dates (a rep who left since was active before leaving)."""
        if rep.start_date is not None and rep.start_date > day:
            return False
        if rep.end_date is not None and rep.end_date <= day:
            return False
        return rep.active or (self.history and rep.end_date is not None)


def recent_decisions(store: Any, at: datetime, days: int = HISTORY_DAYS) -> list[tuple[datetime, str, str]]:
    """(decided_at, node key, user id) of the assignments to users in the ``days`` before ``at``."""
    if not store.has_table("_routing_decisions"):
        return []
    rows = store.con.execute(
        "SELECT decided_at, path, assigned_to FROM _routing_decisions WHERE assigned_kind = 'user' "
        "AND decided_at >= ? AND decided_at <= ? ORDER BY decided_at",
        [at - timedelta(days=days), at]).fetchall()
    out = []
    for decided_at, path, user in rows:
        try:
            nodes = json.loads(path) if path else []
        except ValueError:
            nodes = []
        out.append((decided_at, nodes[-1] if nodes else "", user))
    return out


_OPEN_NOW = f"""
SELECT owner_id, count(*) FROM leads
WHERE owner_id IS NOT NULL AND coalesce(status, 'new') IN ({", ".join(f"'{s}'" for s in OPEN_LEAD_STATUSES)})
  AND coalesce(converted, false) = false AND disqualified_at IS NULL
  AND coalesce(greatest(created_at, assigned_at, mql_at, sql_at, sal_at, first_contacted_at), $at) >= $since
GROUP BY owner_id
"""

_OPEN_AS_OF = """
SELECT owner_id, count(*) FROM leads
WHERE owner_id IS NOT NULL AND created_at <= $at
  AND (converted_at IS NULL OR converted_at > $at) AND (disqualified_at IS NULL OR disqualified_at > $at)
  AND (recycled_at IS NULL OR recycled_at > $at)
  AND greatest(created_at, CASE WHEN mql_at <= $at THEN mql_at END, CASE WHEN sql_at <= $at THEN sql_at END,
               CASE WHEN first_contacted_at <= $at THEN first_contacted_at END) >= $since
GROUP BY owner_id
"""


def recycle_days(model: Any) -> int:
    """lifecycle.recycled.recycle_after_days: days without progress after which a lead is no
    longer in its owner's hands."""
    try:
        return model.lifecycle.stage("recycled").recycle_after_days or 90
    except KeyError:
        return 90


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    return value


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
