"""Territory carve: accounts split into N territories of even potential, with the fewest moves.

    carve = carve_territories(store.con, model, CarveRequest(territories=50, keep_within=("region",)))
    carve.balance_cv_before, carve.balance_cv_after, carve.moved

How (docs/planning-territories.md):

- Each account has a potential and a workload (:mod:`.territory_book`).
- ``keep_within`` (region, segment) splits accounts into pools carved separately; a pool's
  territories are owned by the AEs of that region / segment. Left None, it is every dimension
  both some AE and some account have (the structure the team works in; a note says so); ()
  carves across everything. Without ``territories`` each pool
  gets one territory per AE in it; with it, territories are shared out over pools by potential
  (largest remainder, at least one each). Territories beyond a pool's AEs are open seats
  (owner_id null).
- A territory's owner is chosen among the pool's AEs by how much of the pool's potential they
  hold today, so the current carve (accounts.owner_id) is the starting point and the reps who
  hold most keep their books.
- Named accounts stay with their owner (in the owner's territory, even across pools) when the
  owner heads a territory; otherwise they are carved like the rest and a note says so.
- An account missing its region or segment takes its owner's when the owner is an AE; else
  it joins a group with AEs that agrees on what it has, the one with least potential per AE
  (:func:`_place_incomplete`, with a note).
- A pool the carve cannot bring inside the band gets a note saying why (:func:`_why_off_the_band`).
- Each pool is balanced by :func:`.territories_balance.balance_pool` to within ``tolerance``
  of the pool's mean potential per territory and, unless ``count_tolerance`` is None, within
  ``count_tolerance`` of the mean account count (the potential band comes first).

``moved`` counts accounts whose owner_id changes, an account without an owner that gets one
included (``newly_owned`` says how many of those there are). ``moved_lower_bound`` sums, per
pool, the fewest owner changes any carve inside the band could make (pools inside the band)
or the owner changes no carve avoids (pools outside it): never above ``moved``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from revops.engines.planning.plan_file import PlanError
from revops.engines.planning.territories_balance import balance_pool
from revops.engines.planning.territory_book import (PotentialWeights, potential, read_accounts, read_reps,
                                                    workload)

POOL_DIMENSIONS = ("region", "segment")


class CarveRequest(BaseModel):
    """What to carve: how many territories, within which boundaries, what must not move."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    territories: int | None = Field(None, ge=1, description="Territories in all; default one per AE.")
    keep_within: tuple[str, ...] | None = Field(
        None, description="region and/or segment: territories never cross them. None (the default): the ones "
                          "both the AEs and the accounts have; (): none.")
    named: frozenset[str] = Field(frozenset(), description="Account ids that stay with their current owner.")
    tolerance: float = Field(0.05, gt=0, lt=1, description="Allowed deviation from the mean potential.")
    count_tolerance: float | None = Field(0.5, gt=0, description="Allowed deviation from the mean account "
                                                                  "count (None: counts not balanced).")
    weights: PotentialWeights = PotentialWeights()
    as_of: date | None = None
    time_limit: float = Field(5.0, gt=0, description="Seconds the MILP refinement may take in all.")

    @field_validator("keep_within")
    @classmethod
    def _known_dimensions(cls, dims: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if dims is None:
            return None
        for d in dims:
            if d not in POOL_DIMENSIONS:
                raise ValueError(f"cannot keep territories within {d!r}; use region and/or segment")
        return tuple(dict.fromkeys(dims))


@dataclass
class TerritoryCarve:
    assignments: pd.DataFrame  # account_id, territory, owner_id, previous_owner_id, potential, workload
    territories: pd.DataFrame  # territory, owner_id, pool, accounts, potential, workload, deviation
    balance_cv_before: float | None  # None: nobody holds any of the potential today
    balance_cv_after: float
    moved: int
    newly_owned: int
    moved_lower_bound: int
    max_deviation: float
    tolerance: float
    potential_definition: str
    count_cv_after: float = 0.0
    workload_cv_after: float = 0.0
    keep_within: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def within_tolerance(self) -> bool:
        return self.max_deviation <= self.tolerance + 1e-9

    @property
    def worst_territory(self) -> str | None:
        if self.territories.empty:
            return None
        return str(self.territories.loc[self.territories["deviation"].abs().idxmax(), "territory"])

    def to_dict(self, *, with_assignments: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if with_assignments:
            out["assignments"] = self.assignments[["account_id", "territory", "owner_id", "previous_owner_id"]] \
                .astype(object).where(self.assignments.notna(), None).to_dict("records")
        out.update({
            "keep_within": list(self.keep_within),
            "balance_cv_before": None if self.balance_cv_before is None else _tidy(self.balance_cv_before),
            "balance_cv_after": _tidy(self.balance_cv_after),
            "moved": self.moved,
            "newly_owned": self.newly_owned,
            "moved_lower_bound": self.moved_lower_bound,
            "within_tolerance": self.within_tolerance,
            "max_deviation": _tidy(self.max_deviation),
            "worst_territory": self.worst_territory,
            "count_cv_after": _tidy(self.count_cv_after),
            "workload_cv_after": _tidy(self.workload_cv_after),
            "tolerance": self.tolerance,
            "potential_definition": self.potential_definition,
            "territories": self.territories.astype(object).where(self.territories.notna(), None)
            .to_dict("records"),
            "notes": self.notes,
        })
        return out


def carve_territories(con: Any, model: Any, request: CarveRequest | None = None) -> TerritoryCarve:
    """Carve the store's accounts (connection ``con``, DuckDB) as ``request`` asks."""
    request = request or CarveRequest()
    as_of = request.as_of or date.today()
    accounts = read_accounts(con, model, as_of)
    if accounts.empty:
        raise PlanError("no accounts in the store to carve; load accounts first (`revops ingest`)")
    reps = read_reps(con, as_of)
    notes: list[str] = []
    pot = potential(accounts, request.weights)
    work = workload(accounts)
    dims = _boundaries(request.keep_within, accounts, reps, notes)
    rep_pool = _pool_keys(reps, dims)
    acc_pool = _pool_keys(accounts, dims, owner_pool=dict(zip(reps["user_id"], rep_pool)))
    acc_pool = _place_incomplete(acc_pool, pot, rep_pool, dims, notes)
    pools = sorted(set(acc_pool), key=lambda key: tuple(str(v) for v in key))
    idle = sorted({_pool_label(dims, k) for k in rep_pool if k not in set(pools)})
    if idle:
        n_idle = sum(1 for k in rep_pool if k not in set(pools))
        notes.append(f"{n_idle} AE{'s' if n_idle != 1 else ''} in {', '.join(idle)} own no territory: no account "
                     "is in that group")
    pool_potential = {key: float(pot[[k == key for k in acc_pool]].sum()) for key in pools}
    sizes = _territories_per_pool(pools, pool_potential, rep_pool, request.territories,
                                  auto=request.keep_within is None and bool(dims))

    # territories and their owners, pool by pool
    held = pd.Series(pot, index=accounts.index).groupby(
        [accounts["owner_id"].fillna("\0"), pd.Series(acc_pool, index=accounts.index).map(str)]).sum()
    territory_ids: list[str] = []
    territory_owner: list[str | None] = []
    territory_pool: list[tuple] = []
    for key in pools:
        mine = [u for u, rk in zip(reps["user_id"], rep_pool) if rk == key]
        mine.sort(key=lambda u: (-float(held.get((u, str(key)), 0.0)), u))
        owners = mine[:sizes[key]] + [None] * max(0, sizes[key] - len(mine))
        if len(mine) < sizes[key]:
            seats = sizes[key] - len(mine)
            notes.append(f"{_pool_label(dims, key)}: {seats} territor{'y' if seats == 1 else 'ies'} without an AE "
                         f"(open seat{'s' if seats != 1 else ''}: {'no AE is' if not mine else 'more territories than AEs'}"
                         f" in this group)")
        for n, owner in enumerate(owners, 1):
            territory_ids.append(f"{_pool_label(dims, key) if dims else 'T'}-{n:02d}")
            territory_owner.append(owner)
            territory_pool.append(key)
    head_of = {o: t for t, o in enumerate(territory_owner) if o is not None}

    # which pool carves each account: its own, or its owner's when it is a named account
    owner_before = accounts["owner_id"].astype(object).where(accounts["owner_id"].notna(), None).tolist()
    member_pool = list(acc_pool)
    locked = np.zeros(len(accounts), dtype=bool)
    known = set(accounts["account_id"])
    for missing in sorted(request.named - known):
        notes.append(f"named account {missing} is not in the store")
    for i, account_id in enumerate(accounts["account_id"]):
        if account_id in request.named:
            owner = owner_before[i]
            if owner in head_of:
                locked[i] = True
                member_pool[i] = territory_pool[head_of[owner]]
            else:
                notes.append(f"named account {account_id}: its owner {owner or '(none)'} heads no territory, "
                             "so it is carved like the others")

    assignment = np.full(len(accounts), -1, dtype=np.int64)
    lower_bound = 0
    total = max(len(accounts), 1)
    ownerless = np.array([o is None for o in owner_before], dtype=bool)
    deadline = time.monotonic() + request.time_limit
    for key in pools:
        local = [t for t, pk in enumerate(territory_pool) if pk == key]
        local_of = {t: n for n, t in enumerate(local)}
        members = np.array([i for i, pk in enumerate(member_pool) if pk == key], dtype=np.int64)
        if not len(members):
            continue
        current = np.array([local_of.get(head_of.get(owner_before[i], -1), -1) for i in members], dtype=np.int64)
        open_seat = np.array([territory_owner[t] is None for t in local], dtype=bool)
        share = request.time_limit * len(members) / total
        result = balance_pool(pot[members], current, locked[members], len(local), request.tolerance,
                              count_tolerance=request.count_tolerance,
                              time_limit=max(0.5, min(share, deadline - time.monotonic())),
                              open_seat=open_seat, ownerless=ownerless[members])
        assignment[members] = np.asarray(local, dtype=np.int64)[result.assignment]
        lower_bound += result.lower_bound if result.within_band else result.forced_moves

    owner_after = [territory_owner[t] for t in assignment]
    out = pd.DataFrame({
        "account_id": accounts["account_id"],
        "territory": [territory_ids[t] for t in assignment],
        "owner_id": owner_after,
        "previous_owner_id": owner_before,
        "potential": pot,
        "workload": work,
    })
    changed = [a != b for a, b in zip(owner_after, owner_before)]
    n_terr = len(territory_ids)
    load_after = np.bincount(assignment, weights=pot, minlength=n_terr)
    load_before = np.zeros(n_terr)
    for i, owner in enumerate(owner_before):
        if owner in head_of:
            load_before[head_of[owner]] += pot[i]
    member_potential = pd.Series(pot).groupby(pd.Series([str(k) for k in member_pool])).sum()
    pool_mean = {key: float(member_potential.get(str(key), 0.0)) / sizes[key] for key in pools}
    target = np.array([pool_mean[k] for k in territory_pool])
    deviation = np.divide(load_after - target, target, out=np.zeros(n_terr), where=target > 0)
    summary = pd.DataFrame({
        "territory": territory_ids,
        "owner_id": territory_owner,
        "pool": [_pool_label(dims, k) for k in territory_pool],
        "accounts": np.bincount(assignment, minlength=n_terr),
        "potential": np.round(load_after, 4) + 0.0,
        "potential_before": np.round(load_before, 4) + 0.0,
        "workload": np.bincount(assignment, weights=work, minlength=n_terr),
        "deviation": np.round(deviation, 4) + 0.0,  # + 0.0: no -0.0
    })
    if request.count_tolerance is not None:
        pool_count = {key: sum(1 for pk in member_pool if pk == key) / sizes[key] for key in pools}
        mean_count = np.array([pool_count[k] for k in territory_pool])
        off = np.abs(summary["accounts"].to_numpy() - mean_count) > request.count_tolerance * mean_count + 1e-9
        if off.any():
            notes.append(f"{int(off.sum())} territor{'y' if off.sum() == 1 else 'ies'} outside ±"
                         f"{request.count_tolerance:.0%} of the mean account count: the potential band comes "
                         "first (allow more with --tolerance, or fewer named accounts)")
    notes.extend(_why_off_the_band(dims, pools, territory_pool, deviation, pool_mean, sizes, member_pool, pot,
                                   locked, accounts["account_id"].tolist(), request.tolerance))
    return TerritoryCarve(
        assignments=out, territories=summary,
        balance_cv_before=coefficient_of_variation(load_before) if load_before.sum() > 0 else None,
        balance_cv_after=coefficient_of_variation(load_after),
        moved=int(sum(changed)),
        newly_owned=int(sum(c and b is None for c, b in zip(changed, owner_before))),
        moved_lower_bound=lower_bound,
        max_deviation=float(np.max(np.abs(deviation))) if n_terr else 0.0,
        tolerance=request.tolerance,
        potential_definition=request.weights.describe(),
        count_cv_after=coefficient_of_variation(summary["accounts"].to_numpy()),
        workload_cv_after=coefficient_of_variation(summary["workload"].to_numpy()),
        keep_within=tuple(dims),
        notes=notes,
    )


def _tidy(value: float) -> float:
    """Four significant decimals, and never -0.0."""
    return round(float(value), 4) + 0.0


def _boundaries(asked: tuple[str, ...] | None, accounts: pd.DataFrame, reps: pd.DataFrame,
                notes: list[str]) -> list[str]:
    """The dimensions pools are cut along: the asked ones, or (None) every one that both some
    AE and some account has: the structure the team works in today."""
    if asked is not None:
        return list(asked)
    dims = [d for d in POOL_DIMENSIONS if accounts[d].notna().any() and reps[d].notna().any()]
    if dims:
        notes.append(f"territories kept within {' and '.join(dims)}, as the store's AEs and accounts have "
                     f"{'them' if len(dims) > 1 else 'it'} (--keep-within none carves across them)")
    return dims


def _place_incomplete(keys: list[tuple], pot: np.ndarray, rep_pool: list[tuple], dims: list[str],
                      notes: list[str]) -> list[tuple]:
    """Accounts missing a kept dimension (and not owned by an AE who has it) join a group with
    AEs that agrees on what they do have (any group with AEs when none does): largest first,
    each to the group with the least potential per AE so far. A note says how many went where."""
    if not dims:
        return keys
    groups = sorted({k for k in rep_pool if None not in k}, key=lambda k: tuple(str(v) for v in k))
    todo = [i for i, k in enumerate(keys) if None in k]
    if not todo or not groups:
        return keys
    keys = list(keys)
    reps_in = {g: sum(1 for k in rep_pool if k == g) for g in groups}
    load = {g: 0.0 for g in groups}
    for i, k in enumerate(keys):
        if k in load:
            load[k] += float(pot[i])
    placed: dict[tuple, int] = {}
    missing = {d: 0 for d in dims}
    for i in sorted(todo, key=lambda i: (-float(pot[i]), i)):
        key = keys[i]
        for d, v in zip(dims, key):
            missing[d] += v is None
        fitting = [g for g in groups if all(v is None or v == gv for v, gv in zip(key, g))] or groups
        best = min(fitting, key=lambda g: (load[g] / reps_in[g], str(g)))
        keys[i] = best
        load[best] += float(pot[i])
        placed[best] = placed.get(best, 0) + 1
    what = " or ".join(f"a {d}" for d in dims if missing[d])
    where = ", ".join(f"{_pool_label(dims, g)} {n}" for g, n in sorted(placed.items(), key=lambda x: -x[1]))
    notes.append(f"{len(todo)} account{'s' if len(todo) != 1 else ''} without {what} (and no AE owner who has it) "
                 f"placed, largest first, in the matching group whose AEs held the least potential each: {where}")
    return keys


def _why_off_the_band(dims: list[str], pools: list[tuple], territory_pool: list[tuple], deviation: np.ndarray,
                      pool_mean: dict[tuple, float], sizes: dict[tuple, int], member_pool: list[tuple],
                      pot: np.ndarray, locked: np.ndarray, ids: list[str], tolerance: float) -> list[str]:
    """A note per pool whose worst territory is outside the band, saying why."""
    out = []
    for key in pools:
        devs = [abs(d) for d, k in zip(deviation, territory_pool) if k == key]
        if not devs or max(devs) <= tolerance + 1e-9:
            continue
        label = _pool_label(dims, key) if dims else "the carve"
        members = [i for i, k in enumerate(member_pool) if k == key]
        mean = pool_mean[key]
        big = max(members, key=lambda i: pot[i])
        head = f"{label}: worst territory {max(devs):.1%} off the mean, outside ±{tolerance:.0%}: "
        if pot[big] > mean * (1 + tolerance):
            out.append(head + f"account {ids[big]} alone has potential {pot[big]:.2f}, more than a territory's "
                       f"share ({mean:.2f} = {len(members)} accounts over {sizes[key]} territories); ask for fewer "
                       "territories (--territories), a wider --tolerance, or weigh the measure that makes it "
                       "big less (--weights)")
        elif locked[members].any():
            out.append(head + "named accounts hold their owners' books above the band; name fewer accounts")
        else:
            out.append(head + f"{len(members)} accounts are too few or too uneven to share over {sizes[key]} "
                       "territories that evenly; ask for fewer territories or a wider --tolerance")
    return out


def coefficient_of_variation(loads: np.ndarray) -> float:
    """Population standard deviation of the territories' potential over its mean."""
    loads = np.asarray(loads, dtype=float)
    mean = loads.mean() if len(loads) else 0.0
    return float(loads.std() / mean) if mean > 0 else 0.0


def _pool_keys(frame: pd.DataFrame, dims: list[str], owner_pool: dict[str, tuple] | None = None) -> list[tuple]:
    """The pool of every row; an account missing a value takes its owner's (an AE's region or
    segment) when it has one, else stays unknown (a pool of its own, with no AE)."""
    if not dims:
        return [()] * len(frame)
    values = [frame[d].astype(object).where(frame[d].notna(), None).tolist() for d in dims]
    keys = [tuple(v) for v in zip(*values)]
    if owner_pool is None:
        return keys
    owners = frame["owner_id"].tolist()
    return [tuple(o if v is None and o is not None else v for v, o in zip(key, owner_pool.get(owner, (None,) * len(dims))))
            for key, owner in zip(keys, owners)]


def _pool_label(dims: list[str], key: tuple) -> str:
    if not dims:
        return "all"
    return "-".join(str(v) if v is not None else f"no_{d}" for d, v in zip(dims, key))


def _territories_per_pool(pools: list[tuple], pool_potential: dict[tuple, float], rep_pool: list[tuple],
                          wanted: int | None, *, auto: bool = False) -> dict[tuple, int]:
    if wanted is None:
        return {key: max(1, sum(1 for rk in rep_pool if rk == key)) for key in pools}
    if wanted < len(pools):
        hint = (" (region and segment are kept by default when the data has them)" if auto else "")
        raise PlanError(f"{wanted} territories cannot cover {len(pools)} pools (one per region/segment "
                        f"kept apart{hint}); ask for at least {len(pools)}, or keep fewer boundaries "
                        "(--keep-within region, or none)")
    total = sum(pool_potential.values())
    if total <= 0:
        shares = {key: wanted / len(pools) for key in pools}
    else:
        shares = {key: wanted * pool_potential[key] / total for key in pools}
    sizes = {key: max(1, math.floor(s)) for key, s in shares.items()}
    order = sorted(pools, key=lambda key: -(shares[key] - math.floor(shares[key])))
    n = 0
    while sum(sizes.values()) < wanted:
        sizes[order[n % len(order)]] += 1
        n += 1
    while sum(sizes.values()) > wanted:  # the at-least-one floor overshot: take from the largest
        big = max((k for k in pools if sizes[k] > 1), key=lambda k: sizes[k] - shares[k])
        sizes[big] -= 1
    return sizes
