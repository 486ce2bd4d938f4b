"""Balancing one pool of accounts over K territories: a greedy seed, then a MILP refinement.

Plain arrays in, an assignment out. ``potential[i]`` is what territory loads are balanced on,
``current[i]`` the territory account i sits in today (-1: none of the pool's territories, so it
must move), ``locked[i]`` an account that may not leave ``current[i]`` (a named account).

1. Seed (least disruption first): every account stays where it is; accounts without a
   territory go, largest first, to the territory with the lowest relative load (LPT).
2. Repair: while a territory is outside the inner band (0.8 x tolerance), move one unlocked
   account from the heaviest territory to the lightest, the one that brings both closest to
   the band; every move strictly lowers the sum of squared deviations, so it stops.
   Then, when ``count_tolerance`` is given, the same for account counts: one account at a
   time from the fullest territory to the emptiest, always one that keeps both inside the
   potential band (the sum of squared count deviations falls with every move).
3. Refine (``refine_moves``): a MILP with PuLP/CBC over a reduced problem: the accounts the
   repair moved plus the largest unlocked accounts of every territory, each allowed in its
   current territory, its repaired one or any territory the repair touched; everything else
   fixed. It keeps every territory inside the hard band (and the count band when the repair
   reached it) and minimises accounts moved, then the spread of account counts. The repaired
   carve is its warm start, so it never does worse; it is skipped when the repair already
   moves no more than the lower bound (step 4): nothing can do better. It stops as soon as
   its best carve is proven within 2 % (or half a move) of the fewest moves the reduced
   problem allows, else at ``time_limit``: small carves take a fraction of a second.
4. ``moves_lower_bound``: no carve inside the band can move fewer accounts (see its docstring):
   what the benchmark compares the result with.
"""

from __future__ import annotations

import bisect
import heapq
import warnings
from dataclasses import dataclass

import numpy as np

INNER = 0.8  # the repair aims inside 80 % of the tolerance, leaving the MILP room to trade
# the MILP stops when its carve is proven within GAP_REL of the fewest moves of the reduced
# problem (or within half a move: optimal, as the count-spread term stays below 0.5)
GAP_REL = 0.02
SPREAD_WEIGHT = 0.25  # over the number of accounts: the count spread only breaks ties between equal moves
CBC_OPTIONS = ["VndVariableNeighborhoodSearch on"]  # improves a warm start far sooner than branching alone


@dataclass(frozen=True)
class PoolResult:
    assignment: np.ndarray  # territory index per account
    repair_moves: int  # accounts the greedy seed + repair left outside their current territory
    refined: bool  # the MILP found a carve with fewer moves than the repair
    lower_bound: int  # moves_lower_bound for this pool, in owner changes (valid when within_band)
    forced_moves: int = 0  # accounts that change owner whatever the carve (no territory here is their owner's)
    within_band: bool = True  # every territory ended inside the tolerance band


def balance_pool(potential: np.ndarray, current: np.ndarray, locked: np.ndarray, k: int, tolerance: float,
                 *, count_tolerance: float | None = None, time_limit: float = 10.0,
                 candidates_per_territory: int = 12, open_seat: np.ndarray | None = None,
                 ownerless: np.ndarray | None = None) -> PoolResult:
    """``open_seat[j]``: territory j has no owner; ``ownerless[i]``: account i has none today
    (it can then join an open seat without changing owner). They only affect ``lower_bound``."""
    p = np.asarray(potential, dtype=float)
    cur = np.asarray(current, dtype=np.int64)
    lock = np.asarray(locked, dtype=bool)
    seed = seed_assignment(p, cur, k)
    repaired = repair(p, seed, lock, k, tolerance * INNER)
    if count_tolerance is not None:
        repaired = repair_counts(p, repaired, lock, k, tolerance * INNER, count_tolerance * INNER)
    moves = int(np.sum(repaired != cur))
    bound = moves_lower_bound(p, cur, lock, k, tolerance)
    refined = None
    if moves > bound:
        refined = refine_moves(p, cur, lock, repaired, k, tolerance, count_tolerance=count_tolerance,
                               time_limit=time_limit, candidates_per_territory=candidates_per_territory)
    best = refined if refined is not None else repaired
    owner_bound = moves_lower_bound(p, cur, lock, k, tolerance, open_seat=open_seat, ownerless=ownerless)
    target = p.sum() / k
    loads = np.bincount(best, weights=p, minlength=k)
    inside = bool(np.all(np.abs(loads - target) <= tolerance * target * (1 + 1e-9) + 1e-12))
    forced = forced_moves(cur, k, open_seat, ownerless)
    return PoolResult(best, moves, refined is not None and int(np.sum(refined != cur)) < moves, owner_bound,
                      forced, inside)


def seed_assignment(p: np.ndarray, current: np.ndarray, k: int) -> np.ndarray:
    """Current territories kept; the rest placed largest first on the territory with the
    lowest load relative to the target (account count breaking ties among zero potentials)."""
    a = current.copy()
    target = max(p.sum() / k, 1e-12)
    per_count = max(len(p) / k, 1e-12)
    load = np.bincount(a[a >= 0], weights=p[a >= 0], minlength=k).astype(float)
    count = np.bincount(a[a >= 0], minlength=k).astype(float)
    heap = [(load[j] / target + 0.05 * count[j] / per_count, j) for j in range(k)]
    heapq.heapify(heap)
    free = np.flatnonzero(a < 0)
    for i in free[np.argsort(-p[free], kind="stable")]:
        _, j = heapq.heappop(heap)
        a[i] = j
        load[j] += p[i]
        count[j] += 1
        heapq.heappush(heap, (load[j] / target + 0.05 * count[j] / per_count, j))
    return a


def repair(p: np.ndarray, a: np.ndarray, locked: np.ndarray, k: int, band: float,
           max_moves: int | None = None) -> np.ndarray:
    """Greedy moves from the heaviest to the lightest territories until all are within
    ``band`` (a share of the target) or no move helps."""
    a = a.copy()
    target = p.sum() / k
    if target <= 0:
        return a
    dev = np.bincount(a, weights=p, minlength=k).astype(float) - target
    # per territory: its movable accounts sorted by potential, as (potential, index)
    books: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    for i in np.flatnonzero(~locked):
        books[a[i]].append((float(p[i]), int(i)))
    for book in books:
        book.sort()
    limit = band * target
    max_moves = max_moves if max_moves is not None else 4 * len(p) + 100
    for _ in range(max_moves):
        d, r = int(np.argmax(dev)), int(np.argmin(dev))
        if dev[d] <= limit and dev[r] >= -limit:
            break
        moved = False
        # the heaviest territory gives to the lightest that can take one of its accounts;
        # failing that, the lightest takes from the heaviest that can give
        if dev[d] > limit:
            pairs = ((d, int(r2)) for r2 in np.argsort(dev))
        else:
            pairs = ((int(d2), r) for d2 in np.argsort(-dev))
        for donor, receiver in pairs:
            if dev[donor] <= dev[receiver]:
                break
            pick = _pick(books[donor], dev[donor], dev[receiver], limit)
            if pick is None:
                continue
            q, i = books[donor].pop(pick)
            bisect.insort(books[receiver], (q, i))
            a[i] = receiver
            dev[donor] -= q
            dev[receiver] += q
            moved = True
            break
        if not moved:
            break
    return a


def _pick(book: list[tuple[float, int]], dev_d: float, dev_r: float, limit: float) -> int | None:
    """Position in ``book`` of the account to move from a territory ``dev_d`` over target to one
    ``dev_r`` over it: inside [lo, hi] both end within the band (the one nearest the point
    that evens them out); else the largest that keeps the receiver within the band. Only
    potentials below dev_d - dev_r qualify: the sum of squared deviations then falls."""
    if not book:
        return None
    lo = max(dev_d - limit, -limit - dev_r)
    hi = min(dev_d + limit, limit - dev_r, dev_d - dev_r - 1e-12)
    if lo <= hi:
        even = min(max((dev_d - dev_r) / 2, lo), hi)
        pos = bisect.bisect_left(book, (even, -1))
        best = None
        for cand in (pos - 1, pos):
            if 0 <= cand < len(book) and lo <= book[cand][0] <= hi:
                if best is None or abs(book[cand][0] - even) < abs(book[best][0] - even):
                    best = cand
        if best is not None:
            return best
    cap = min(limit - dev_r, dev_d - dev_r - 1e-12)
    pos = bisect.bisect_right(book, (cap, float("inf"))) - 1
    return pos if pos >= 0 and book[pos][0] > 0 else None


def repair_counts(p: np.ndarray, a: np.ndarray, locked: np.ndarray, k: int, band: float,
                  count_band: float, max_moves: int | None = None) -> np.ndarray:
    """Moves from the fullest to the emptiest territories until every account count is within
    ``count_band`` of the mean, each move keeping both territories' potential within ``band``."""
    a = a.copy()
    target = p.sum() / k
    per_count = len(p) / k
    if target <= 0 or per_count <= 0:
        return a
    dev = np.bincount(a, weights=p, minlength=k).astype(float) - target
    count = np.bincount(a, minlength=k).astype(float)
    books: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    for i in np.flatnonzero(~locked):
        books[a[i]].append((float(p[i]), int(i)))
    for book in books:
        book.sort()
    limit, climit = band * target, count_band * per_count
    max_moves = max_moves if max_moves is not None else 2 * len(p) + 100

    def move(pick: int, donor: int, receiver: int) -> None:
        q, i = books[donor].pop(pick)
        bisect.insort(books[receiver], (q, i))
        a[i] = receiver
        dev[donor] -= q
        dev[receiver] += q
        count[donor] -= 1
        count[receiver] += 1

    for _ in range(max_moves):
        full, empty = int(np.argmax(count)), int(np.argmin(count))
        if count[full] - per_count <= climit and per_count - count[empty] <= climit:
            break
        moved = False
        pairs = ([(full, int(r)) for r in np.argsort(count) if count[full] - count[r] >= 2]
                 if count[full] - per_count > climit else
                 [(int(d), empty) for d in np.argsort(-count) if count[d] - count[empty] >= 2])
        for donor, receiver in pairs:
            lo = max(dev[donor] - limit, -limit - dev[receiver])
            hi = min(dev[donor] + limit, limit - dev[receiver])
            pick = _nearest(books[donor], lo, hi, (dev[donor] - dev[receiver]) / 2)
            if pick is not None:
                move(pick, donor, receiver)
                moved = True
                break
        if not moved:
            # the full territory is at the bottom of the potential band (or the empty one at the
            # top): trade one large account the other way, making room for several small ones
            moved = _make_room(full, empty, count, per_count, climit, dev, limit, books, move)
        if not moved:
            break
    return a


def _make_room(full: int, empty: int, count: np.ndarray, per_count: float, climit: float, dev: np.ndarray,
               limit: float, books: list[list[tuple[float, int]]], move) -> bool:
    if count[full] - per_count > climit:
        # a territory with few accounts and potential to spare sends its largest fitting one
        for src in np.argsort(-dev):
            if src == full or count[src] >= per_count or dev[src] <= dev[full]:
                continue
            hi = min(limit - dev[full], dev[src] + limit)
            pos = bisect.bisect_right(books[src], (hi, float("inf"))) - 1
            if pos >= 0 and books[src][pos][0] > 0:
                move(pos, int(src), full)
                return True
    if per_count - count[empty] > climit:
        # the empty territory sends its largest fitting account to a full one short of potential
        for dst in np.argsort(dev):
            if dst == empty or count[dst] <= per_count or dev[dst] >= dev[empty]:
                continue
            hi = min(limit - dev[dst], dev[empty] + limit)
            pos = bisect.bisect_right(books[empty], (hi, float("inf"))) - 1
            if pos >= 0 and books[empty][pos][0] > 0:
                move(pos, empty, int(dst))
                return True
    return False


def _nearest(book: list[tuple[float, int]], lo: float, hi: float, aim: float) -> int | None:
    """Position of the potential in [lo, hi] nearest ``aim`` in a sorted book; None if none."""
    if lo > hi or not book:
        return None
    aim = min(max(aim, lo), hi)
    pos = bisect.bisect_left(book, (aim, -1))
    best = None
    for cand in (pos - 1, pos):
        if 0 <= cand < len(book) and lo <= book[cand][0] <= hi:
            if best is None or abs(book[cand][0] - aim) < abs(book[best][0] - aim):
                best = cand
    return best


def refine_moves(p: np.ndarray, current: np.ndarray, locked: np.ndarray, start: np.ndarray, k: int,
                 tolerance: float, *, count_tolerance: float | None = None, time_limit: float = 10.0,
                 candidates_per_territory: int = 12) -> np.ndarray | None:
    """The MILP over the reduced problem (module docstring, step 3); None when it finds no
    carve inside the band with at most the repair's moves."""
    import pulp

    target = p.sum() / k
    if target <= 0 or k < 2:
        return None
    movable = ~locked
    cand = set(np.flatnonzero((start != current) & movable).tolist())
    touched = set(start[list(cand)].tolist()) | set(current[list(cand)][current[list(cand)] >= 0].tolist())
    for j in range(k):
        in_j = np.flatnonzero((start == j) & movable)
        if len(in_j):
            cand.update(in_j[np.argsort(-p[in_j])[:candidates_per_territory]].tolist())
    if not cand:
        return None
    cand_list = sorted(cand)
    if len(cand_list) * max(len(touched), 1) > 60_000:
        touched = set()
    allowed = {i: sorted({int(start[i])} | ({int(current[i])} if current[i] >= 0 else set()) | touched)
               for i in cand_list}
    fixed = np.ones(len(p), dtype=bool)
    fixed[cand_list] = False
    fixed_load = np.bincount(start[fixed], weights=p[fixed], minlength=k)
    fixed_count = np.bincount(start[fixed], minlength=k)
    per_count = len(p) / k
    start_ok = bool(np.all(np.abs(np.bincount(start, weights=p, minlength=k) - target) <= tolerance * target))
    counts_ok = count_tolerance is not None and bool(
        np.all(np.abs(np.bincount(start, minlength=k) - per_count) <= count_tolerance * per_count))

    prob = pulp.LpProblem("territory_refine", pulp.LpMinimize)
    x = {(i, j): prob.add_variable(f"x_{i}_{j}", cat="Binary") for i in cand_list for j in allowed[i]}
    spread = [prob.add_variable(f"s_{j}", lowBound=0) for j in range(k)]
    moves = pulp.lpSum(v for (i, j), v in x.items() if j != current[i])
    # the spread only breaks ties between carves with the same moves: its term stays below 0.5
    prob += moves + (SPREAD_WEIGHT / max(len(p), 1)) * pulp.lpSum(spread)
    for i in cand_list:
        prob += pulp.lpSum(x[i, j] for j in allowed[i]) == 1
    by_territory: dict[int, list[tuple[int, pulp.LpVariable]]] = {j: [] for j in range(k)}
    for (i, j), v in x.items():
        by_territory[j].append((i, v))
    for j in range(k):
        load = fixed_load[j] + pulp.lpSum(p[i] * v for i, v in by_territory[j])
        prob += load <= target * (1 + tolerance)
        prob += load >= target * (1 - tolerance)
        count = fixed_count[j] + pulp.lpSum(v for _, v in by_territory[j])
        prob += spread[j] >= count - per_count
        prob += spread[j] >= per_count - count
        if counts_ok:
            prob += count <= per_count * (1 + count_tolerance)
            prob += count >= per_count * (1 - count_tolerance)
    if start_ok:
        for (i, j), v in x.items():
            v.setInitialValue(1 if start[i] == j else 0)
    with warnings.catch_warnings():  # PuLP 3.3 names its bundled CBC deprecated ahead of 4.0
        warnings.simplefilter("ignore", DeprecationWarning)
        # moves are whole numbers and the spread term stays below 0.5: within 0.49 of the bound is
        # optimal in moves; within 2 % is close enough not to search on (gapRel)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=max(1.0, time_limit), warmStart=start_ok,
                                   gapAbs=0.49, gapRel=GAP_REL, options=list(CBC_OPTIONS))
    prob.solve(solver)
    if pulp.LpStatus[prob.status] not in ("Optimal",) and prob.sol_status not in (
            pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return None
    out = start.copy()
    for (i, j), v in x.items():
        if v.varValue is not None and v.varValue > 0.5:
            out[i] = j
    loads = np.bincount(out, weights=p, minlength=k)
    inside = np.all(np.abs(loads - target) <= tolerance * target * (1 + 1e-9))
    if not inside or (start_ok and np.sum(out != current) > np.sum(start != current)):
        return None
    return out


def forced_moves(current: np.ndarray, k: int, open_seat: np.ndarray | None = None,
                 ownerless: np.ndarray | None = None) -> int:
    """Accounts that change owner whatever the carve: without a territory of their owner's
    here, except accounts without an owner when there is an open seat they can stay ownerless in."""
    free = np.asarray(current) < 0
    if open_seat is not None and ownerless is not None and np.any(open_seat):
        free &= ~np.asarray(ownerless, dtype=bool)
    return int(np.sum(free))


def moves_lower_bound(p: np.ndarray, current: np.ndarray, locked: np.ndarray, k: int, tolerance: float, *,
                      open_seat: np.ndarray | None = None, ownerless: np.ndarray | None = None) -> int:
    """Fewest accounts any carve with every territory inside the band must move (change owner).

    Every account without a current territory moves (u of them; with ``open_seat`` and
    ``ownerless`` given, an account without an owner can sit in an open seat and stay without
    one, so it is not counted). A territory whose current book exceeds the upper band by e
    must lose accounts summing to at least e; its largest movable accounts do that with the
    fewest, k_out(j). An owned territory below the lower band by d must gain at least d, at best
    from the largest movable accounts held elsewhere (or without a territory), k_in(j); an open
    seat only needs from owned accounts what the ownerless ones cannot fill. Each moved account
    leaves one territory at most and enters exactly one, so moves >= u + sum k_out and
    moves >= sum k_in. Without a carve inside the band the bound does not hold (the caller
    then counts only :func:`forced_moves`)."""
    target = p.sum() / k
    u = forced_moves(current, k, open_seat, ownerless)
    if target <= 0:
        return u
    seat = np.zeros(k, dtype=bool) if open_seat is None else np.asarray(open_seat, dtype=bool)
    nobody = np.zeros(len(p), dtype=bool) if ownerless is None else np.asarray(ownerless, dtype=bool)
    load = np.bincount(current[current >= 0], weights=p[current >= 0], minlength=k)
    movable = ~locked & (p > 0)
    k_out = k_in = 0
    entering = movable | (current < 0)
    all_free = np.sort(p[entering])[::-1]
    owned_free = np.sort(p[entering & ~((current < 0) & nobody)])[::-1]
    free_of_charge = float(p[(current < 0) & nobody].sum()) if seat.any() else 0.0
    for j in range(k):
        excess = load[j] - target * (1 + tolerance)
        if excess > 0:
            mine = np.sort(p[movable & (current == j)])[::-1]
            k_out += _fewest(mine, excess)
        deficit = target * (1 - tolerance) - load[j]
        if deficit > 0 and not seat[j]:
            k_in += _fewest(all_free, deficit)
        elif deficit - free_of_charge > 0:
            k_in += _fewest(owned_free, deficit - free_of_charge)
    return max(u + k_out, k_in)


def _fewest(desc: np.ndarray, amount: float) -> int:
    """Fewest of these potentials (sorted largest first) that add up to ``amount``."""
    reach = np.cumsum(desc)
    n = int(np.searchsorted(reach, amount - 1e-9)) + 1
    return min(n, len(desc))
