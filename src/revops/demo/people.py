"""The go-to-market org: users, teams and territories, plus each rep's hidden traits.

AEs sit in one team per region x segment, SDRs in one team per region. Headcount grows
over the three years (about 45% of reps are hired during the window, some still ramping),
some reps leave and are replaced, two are out of office today. Hidden per-rep traits
(written to ``truth_reps``): ``skill`` shifts win rates, ``forecast_bias`` is the
multiplier a rep applies to their own forecast (below 1 sandbags, above 1 "happy ears"),
``response_minutes`` is how fast they usually touch a new lead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from revops.demo import columns as col
from revops.demo.calendar import SimCalendar
from revops.demo.scales import Scale
from revops.demo.seeds import rng_for
from revops.demo.vocabulary import COUNTRIES, FIRST_NAMES, LAST_NAMES, REGIONS, SEGMENTS, TIMEZONES

ROLES = ("executive", "manager", "ae", "sdr", "csm", "marketing", "revops")
REGION_SHARE = np.array([0.55, 0.30, 0.15])
SEGMENT_SHARE = np.array([0.22, 0.36, 0.42])  # enterprise, mid_market, smb AEs
NEVER = 1e9  # "no end date" in simulator days


@dataclass
class Staff:
    """Everyone who owns records, as parallel arrays indexed by user number."""

    role: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    team: list[str] = field(default_factory=list)
    manager: list[int] = field(default_factory=list)
    region: list[int] = field(default_factory=list)  # -1: global
    segment: list[int] = field(default_factory=list)  # -1: none
    tz: list[int] = field(default_factory=list)  # index into the region's zones
    start: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    skill: list[float] = field(default_factory=list)
    bias: list[float] = field(default_factory=list)
    response_minutes: list[float] = field(default_factory=list)
    sloppiness: list[float] = field(default_factory=list)  # how often hygiene slips
    out_of_office: list[bool] = field(default_factory=list)
    quota: list[float] = field(default_factory=list)
    teams: list[dict] = field(default_factory=list)

    def add(self, **kw) -> int:
        for k, v in kw.items():
            getattr(self, k).append(v)
        return len(self.role) - 1

    def arrays(self) -> None:
        """Freeze the per-user lists into numpy arrays for vectorised lookups."""
        for name in ("manager", "region", "segment", "tz"):
            setattr(self, name, np.asarray(getattr(self, name), dtype="int64"))
        for name in ("start", "end", "skill", "bias", "response_minutes", "sloppiness", "quota"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=float))
        self.role_arr = np.array([ROLES.index(r) for r in self.role])

    @property
    def tz_offset_hours(self) -> np.ndarray:
        return np.array([
            TIMEZONES[REGIONS[r]][z][1] if r >= 0 else 0 for r, z in zip(self.region, self.tz)
        ], dtype=float)

    def members(self, role: str, region: int | None = None, segment: int | None = None) -> np.ndarray:
        m = self.role_arr == ROLES.index(role)
        if region is not None:
            m &= self.region == region
        if segment is not None:
            m &= self.segment == segment
        return np.flatnonzero(m)

    def assign(self, rng: np.random.Generator, times: np.ndarray, role: str,
               region: np.ndarray, segment: np.ndarray | None = None) -> np.ndarray:
        """Round-robin-like random assignment to reps of ``role`` employed at each time,
        in the record's region (and segment). Ramping reps (first 90 days) get half share."""
        out = np.full(len(times), -1, dtype="int64")
        segs = [None] if segment is None else range(len(SEGMENTS))
        for r in range(len(REGIONS)):
            for s in segs:
                rows = np.flatnonzero((region == r) & (True if s is None else segment == s))
                if len(rows) == 0:
                    continue
                reps = self.members(role, r, s)
                for block in range(0, len(rows), 50_000):  # bounded (rows x reps) matrices
                    part = rows[block:block + 50_000]
                    out[part] = self._pick(rng, times[part], reps)
        return out

    def _pick(self, rng: np.random.Generator, times: np.ndarray, reps: np.ndarray) -> np.ndarray:
        t = times[:, None]
        start, end = self.start[reps][None, :], self.end[reps][None, :]
        w = ((start <= t) & (t < end)) * np.where(t - start < 90, 0.5, 1.0)
        w[w.sum(axis=1) == 0] = 1.0  # nobody employed (edge of history): any team member
        cum = np.cumsum(w, axis=1)
        u = rng.random(len(times)) * cum[:, -1]
        k = (cum < u[:, None]).sum(axis=1)
        return reps[np.minimum(k, len(reps) - 1)]


def _hidden_traits(rng: np.random.Generator) -> tuple[float, float, float, float]:
    skill = float(rng.normal(0.0, 0.45))
    kind = rng.random()
    if kind < 0.2:
        bias = float(rng.uniform(0.7, 0.88))  # sandbagger
    elif kind < 0.4:
        bias = float(rng.uniform(1.2, 1.5))  # happy ears
    else:
        bias = float(rng.normal(1.0, 0.04))
    slow = rng.random() < 0.22
    minutes = float(np.exp(rng.normal(np.log(320 if slow else 18), 0.45)))
    sloppiness = float(np.clip(rng.beta(2, 6) + (0.25 if bias > 1.15 else 0.0), 0, 0.9))
    return skill, bias, minutes, sloppiness


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into len(weights) parts of at least 1, proportional to weights."""
    n = len(weights)
    base = np.ones(n, dtype=int)
    rest = max(total - n, 0)
    raw = weights / weights.sum() * rest
    extra = np.floor(raw).astype(int)
    order = np.argsort(-(raw - extra), kind="stable")
    extra[order[: rest - extra.sum()]] += 1
    return base + extra


def build_staff(scale: Scale, cal: SimCalendar, seed: int) -> Staff:
    rng = rng_for(seed, "people")
    horizon = cal.cutoff
    st = Staff()
    used_names: set[str] = set()

    def person() -> str:
        while True:
            n = f"{FIRST_NAMES[rng.integers(len(FIRST_NAMES))]} {LAST_NAMES[rng.integers(len(LAST_NAMES))]}"
            if n not in used_names:
                used_names.add(n)
                return n

    def hire(role: str, team: str, manager: int, region: int, segment: int, start: float,
             end: float = NEVER) -> int:
        skill, bias, minutes, slop = _hidden_traits(rng)
        tz = int(rng.integers(3)) if region >= 0 else 0
        return st.add(role=role, name=person(), team=team, manager=manager, region=region,
                      segment=segment, tz=tz, start=start, end=end, skill=skill, bias=bias,
                      response_minutes=minutes, sloppiness=slop, out_of_office=False,
                      quota=np.nan)

    def tenured() -> float:
        return -float(rng.uniform(60, 1500))

    cro = hire("executive", "Sales", -1, -1, -1, tenured())
    vp_mkt = hire("executive", "Marketing", -1, -1, -1, tenured())
    vp_cs = hire("executive", "Customer Success", -1, -1, -1, tenured())
    hire("revops", "RevOps", cro, -1, -1, tenured())
    st.teams += [
        dict(name="Sales", function="sales", manager=cro, parent=None, segment=None, region=None),
        dict(name="Marketing", function="marketing", manager=vp_mkt, parent=None, segment=None, region=None),
        dict(name="Customer Success", function="customer_success", manager=vp_cs, parent=None,
             segment=None, region=None),
        dict(name="RevOps", function="revops", manager=cro, parent="Sales", segment=None, region=None),
    ]

    def staff_team(role: str, team: str, manager: int, region: int, segment: int, count: int) -> None:
        """``count`` seats: most filled from the start, the rest hired over the window;
        some seats turn over (the leaver's successor is hired a few weeks later)."""
        for i in range(count):
            start = tenured() if i == 0 or rng.random() < 0.55 else float(rng.uniform(0, horizon - 20))
            if i > 0 and rng.random() < 0.14 and start < horizon - 200:
                leave = float(rng.uniform(max(start, 0) + 120, horizon - 30))
                hire(role, team, manager, region, segment, start, leave)
                start = leave + float(rng.uniform(10, 45))
                if start >= horizon:
                    continue
            hire(role, team, manager, region, segment, start)

    per_team = _allocate(scale.aes, np.outer(REGION_SHARE, SEGMENT_SHARE).ravel())
    big = scale.aes >= 30
    for r, region in enumerate(REGIONS):
        region_mgr = -1 if big else hire("manager", f"Sales {region}", cro, r, -1, tenured())
        for s, segment in enumerate(SEGMENTS):
            team = f"{region} {segment.replace('_', ' ').title()}"
            mgr = hire("manager", team, cro, r, s, tenured()) if big else region_mgr
            st.teams.append(dict(name=team, function="sales", manager=mgr, parent="Sales",
                                 segment=segment, region=region))
            staff_team("ae", team, mgr, r, s, int(per_team[r * 3 + s]))
    sdr_counts = _allocate(scale.sdrs, REGION_SHARE)
    csm_counts = _allocate(scale.csms, REGION_SHARE)
    for r, region in enumerate(REGIONS):
        mgr = hire("manager", f"SDR {region}", cro, r, -1, tenured())
        st.teams.append(dict(name=f"SDR {region}", function="sales", manager=mgr, parent="Sales",
                             segment=None, region=region))
        staff_team("sdr", f"SDR {region}", mgr, r, -1, int(sdr_counts[r]))
        st.teams.append(dict(name=f"CS {region}", function="customer_success", manager=vp_cs,
                             parent="Customer Success", segment=None, region=region))
        staff_team("csm", f"CS {region}", vp_cs, r, -1, int(csm_counts[r]))
    for _ in range(scale.marketers):
        hire("marketing", "Marketing", vp_mkt, -1, -1, tenured())

    st.arrays()
    active_reps = np.flatnonzero(np.isin(st.role_arr, [2, 3]) & (st.end >= NEVER))
    for u in rng.choice(active_reps, size=min(2, len(active_reps)), replace=False):
        st.out_of_office[int(u)] = True
    return st


def user_ids(n: np.ndarray | int) -> pa.Array:
    return col.ids("usr_", np.arange(n) if isinstance(n, int) else n, 4)


def users_table(st: Staff, cal: SimCalendar) -> pa.Table:
    n = len(st.role)
    first = [nm.split()[0] for nm in st.name]
    last = [nm.split()[1] for nm in st.name]
    ended = st.end < NEVER
    return pa.table({
        "user_id": user_ids(n),
        "name": pa.array(st.name),
        "email": pa.array([f"{f.lower()}.{l.lower()}@northwind-revenue.io" for f, l in zip(first, last)]),
        "role": pa.array(st.role),
        "team": pa.array(st.team),
        "manager_id": col.ids_or_null("usr_", st.manager, 4),
        "region": pa.array([REGIONS[r] if r >= 0 else None for r in st.region], pa.string()),
        "segment": pa.array([SEGMENTS[s] if s >= 0 else None for s in st.segment], pa.string()),
        "timezone": pa.array([TIMEZONES[REGIONS[r]][z][0] if r >= 0 else "America/New_York"
                              for r, z in zip(st.region, st.tz)]),
        "start_date": col.dates(cal, st.start),
        "end_date": col.dates(cal, np.where(ended, st.end, np.nan)),
        "quota": col.numbers(st.quota, 0),
        "active": col.booleans(~ended),
        "out_of_office": col.booleans(np.array(st.out_of_office)),
    })


def truth_reps_table(st: Staff) -> pa.Table:
    """Managers too: the routing fallback gives them the leads their reps did not call in time."""
    reps = np.flatnonzero(np.isin(st.role_arr, [1, 2, 3, 4]))
    return pa.table({
        "user_id": user_ids(reps),
        "skill": col.numbers(st.skill[reps], 4),
        "forecast_bias": col.numbers(st.bias[reps], 4),
        "response_minutes": col.numbers(st.response_minutes[reps], 1),
    })


def teams_tables(st: Staff) -> tuple[pa.Table, pa.Table]:
    """(teams, territories). Each AE team owns one territory: its region's countries and segment."""
    names = [t["name"] for t in st.teams]
    team_ids = [f"team_{i + 1:03d}" for i in range(len(names))]
    by_name = dict(zip(names, team_ids))
    teams = pa.table({
        "team_id": pa.array(team_ids),
        "name": pa.array(names),
        "function": pa.array([t["function"] for t in st.teams]),
        "manager_id": pa.array([f"usr_{t['manager']:04d}" for t in st.teams]),
        "parent_team_id": pa.array([by_name.get(t["parent"]) for t in st.teams], pa.string()),
        "segment": pa.array([t["segment"] for t in st.teams], pa.string()),
        "region": pa.array([t["region"] for t in st.teams], pa.string()),
    })
    rows = [t for t in st.teams if t["function"] == "sales" and t["segment"]]
    territories = pa.table({
        "territory_id": pa.array([f"terr_{i + 1:03d}" for i in range(len(rows))]),
        "name": pa.array([t["name"] for t in rows]),
        "region": pa.array([t["region"] for t in rows]),
        "segment": pa.array([t["segment"] for t in rows]),
        "countries": pa.array([",".join(c[0] for c in COUNTRIES if c[1] == t["region"]) for t in rows]),
        "industry": pa.nulls(len(rows), pa.string()),
        "owner_id": pa.array([f"usr_{t['manager']:04d}" for t in rows]),
        "team_id": pa.array([by_name[t["name"]] for t in rows]),
    })
    return teams, territories
