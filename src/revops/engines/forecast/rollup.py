"""Roll-up: rep -> manager -> company along ``users.manager_id``.

For each person, from the calls in force (``calls.latest_calls``, one category):

- ``call``: their own number (a manager's adjustment of it included);
- ``reports_call``: the sum of their direct reports' numbers in force;
- ``number``: their own call when they made one, else ``reports_call`` — a manager's call
  is their number for the whole team, and replaces the sum of the reps' calls.

The company's number is the sum of the numbers of the people at the top (no manager, or a
manager who is not a user). Next to the calls, each row carries the deal roll-ups of
everyone under the person (themselves included): closed_won, commit, best_case, pipeline,
weighted and the statistical expectation, so a call can be read against the deals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

COMPANY = "(company)"
DEAL_NUMBERS = ("closed_won", "commit", "best_case", "pipeline", "weighted", "expected")
RANGE = ("p10", "p50", "p90")
QUANTILES = (0.1, 0.5, 0.9)


def rollup(users: pd.DataFrame, calls: pd.DataFrame, by_owner: pd.DataFrame | None = None,
           owner_runs: dict[str, np.ndarray] | None = None, company_runs: np.ndarray | None = None
           ) -> list[dict[str, Any]]:
    """Rows in hierarchy order, the company first (see the module's docstring). With
    ``owner_runs`` (each owner's simulated bookings from open deals, run by run), each row also
    has ``p10``, ``p50``, ``p90``: closed won plus the quantiles of the runs of everyone under
    the person, summed run by run (quantiles do not add up; runs do). The company row takes
    ``company_runs`` (the forecast's, deals not created yet included) when given."""
    people = users.dropna(subset=["user_id"]).drop_duplicates("user_id").set_index("user_id")
    ids = list(people.index)
    managers = {u: _text(people.at[u, "manager_id"]) for u in ids}
    for m in list(managers.values()):  # a manager_id that is not a user still heads a node
        if m and m not in managers:
            managers[m] = None
    children: dict[str | None, list[str]] = {}
    for u, m in managers.items():
        parent = m if m in managers and m != u else None
        children.setdefault(parent, []).append(u)
    own = {str(r.user_id): r for r in calls.itertuples()} if len(calls) else {}
    numbers = (by_owner.reindex(columns=list(DEAL_NUMBERS)).fillna(0.0) if by_owner is not None
               else pd.DataFrame(columns=list(DEAL_NUMBERS), dtype=float))

    runs = len(next(iter(owner_runs.values()))) if owner_runs else 0
    width = len(DEAL_NUMBERS)

    def vector(u: str) -> np.ndarray:
        """The person's own deal numbers, then their runs."""
        deals = numbers.loc[u].to_numpy(dtype=float) if u in numbers.index else np.zeros(width)
        return np.concatenate([deals, owner_runs.get(u, np.zeros(runs)) if owner_runs else np.zeros(0)])

    def figures(vector: np.ndarray, runs_override: np.ndarray | None = None) -> dict[str, float]:
        out = {k: float(v) for k, v in zip(DEAL_NUMBERS, vector[:width])}
        if runs:
            sims = vector[width:] if runs_override is None else runs_override
            out.update({k: out["closed_won"] + float(q) for k, q in zip(RANGE, np.quantile(sims, QUANTILES))})
        return out

    rows: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(u: str, depth: int) -> tuple[float | None, np.ndarray]:
        seen.add(u)
        row: dict[str, Any] = {"user_id": u, "name": _text(people["name"].get(u)) if "name" in people else None,
                               "role": _text(people["role"].get(u)) if "role" in people else None,
                               "manager_id": managers.get(u), "depth": depth}
        rows.append(row)
        reports_call: float | None = None
        subtree = vector(u)
        for c in sorted(children.get(u, [])):
            if c in seen:
                continue
            number, sub = visit(c, depth + 1)
            subtree = subtree + sub
            if number is not None:
                reports_call = (reports_call or 0.0) + number
        call = own.get(u)
        row["call"] = float(call.amount) if call is not None else None
        row["adjusted_by"] = (call.submitted_by if call is not None and call.submitted_by != u else None)
        row["note"] = call.note if call is not None else None
        row["reports_call"] = reports_call
        row["number"] = row["call"] if row["call"] is not None else reports_call
        row.update(figures(subtree))
        return row["number"], subtree

    company = {"user_id": COMPANY, "name": None, "role": None, "manager_id": None, "depth": 0}
    rows.append(company)
    total_call: float | None = None
    total = np.zeros(width + runs)
    orphans = [u for u in numbers.index if u not in managers]  # owners who are not users
    for u in sorted(children.get(None, [])) + sorted(orphans):
        if u in seen:
            continue
        if u in managers:
            number, sub = visit(u, 1)
        else:
            number, sub = None, vector(u)
            rows.append({"user_id": u, "name": None, "role": None, "manager_id": None, "depth": 1, "call": None,
                         "adjusted_by": None, "note": None, "reports_call": None, "number": None,
                         **figures(sub)})
        total = total + sub
        if number is not None:
            total_call = (total_call or 0.0) + number
    company.update({"call": None, "adjusted_by": None, "note": None, "reports_call": total_call,
                    "number": total_call, **figures(total, company_runs if runs else None)})
    return rows


def company_number(users: pd.DataFrame, calls: pd.DataFrame) -> float | None:
    """The company's number from the calls in force, None when nobody called."""
    if not len(calls):
        return None
    return rollup(users, calls)[0]["number"]


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)
