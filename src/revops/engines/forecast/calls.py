"""Forecast calls: the number a rep or manager commits to for a period.

A ``ForecastCall`` is one version of one person's number for one period and category
(``commit`` unless said otherwise). Nothing is overwritten: each call adds a version, kept
in the store's ``_forecast_calls`` with who submitted it and when, so the call in force at
any moment is the latest version submitted by then.

A manager adjusts a report's number by submitting a call for them (``submitted_by`` is the
manager), with a note saying why; only someone above the person along ``users.manager_id``
may, and the note is required. The amount it replaces is kept in ``previous_amount``.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from revops.engines.metrics.periods import FiscalCalendar
from revops.errors import ForecastError
from revops.store import Store
from revops.store.migrations import FORECAST_CALL_COLUMNS
from revops.store.store import utcnow

CALL_CATEGORIES = ("commit", "best_case")
TABLE = "_forecast_calls"


@dataclass(frozen=True)
class ForecastCall:
    call_id: str
    period: str
    user_id: str
    category: str
    amount: float
    version: int
    submitted_at: datetime
    submitted_by: str
    note: str | None
    previous_amount: float | None

    @property
    def adjusted(self) -> bool:
        """A manager's adjustment of a report's number rather than the person's own call."""
        return self.submitted_by != self.user_id

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "adjusted": self.adjusted}


def submit_call(store: Store, model: Any, *, period: str, user_id: str, amount: float, category: str = "commit",
                submitted_by: str | None = None, note: str | None = None, at: datetime | None = None
                ) -> ForecastCall:
    """Store a new version of ``user_id``'s call (see the module's docstring)."""
    calendar = FiscalCalendar(model.company.fiscal_year_start_month)
    _check_period(calendar, period)
    if category not in CALL_CATEGORIES:
        raise ForecastError(f"--category {category!r}: a call is a commit or best_case number")
    if amount is None or amount < 0 or amount != amount:
        raise ForecastError(f"--amount {amount!r}: a call is an amount of 0 or more")
    users = _users(store)
    if user_id not in users.index:
        raise ForecastError(f"no user {user_id!r} in the store's users; a call is submitted for a user_id "
                            f"there (e.g. {', '.join(list(users.index[:3]))})" if len(users) else
                            f"no user {user_id!r}: the store has no users; ingest users first")
    by = submitted_by or user_id
    if by != user_id:
        if by not in managers_of(users, user_id):
            raise ForecastError(f"{by} is not above {user_id} along users.manager_id; only a manager of "
                                f"{user_id} may adjust their call")
        if not (note and note.strip()):
            raise ForecastError("a manager's adjustment needs a --note saying why")
    previous = latest_calls(store, period=period, at=None)  # the latest version is the highest
    mine = previous[(previous["user_id"] == user_id) & (previous["category"] == category)]
    version = int(mine["version"].iloc[0]) + 1 if len(mine) else 1
    call = ForecastCall(call_id=uuid.uuid4().hex[:16], period=period, user_id=user_id, category=category,
                        amount=float(amount), version=version, submitted_at=at or utcnow(), submitted_by=by,
                        note=note.strip() if note else None,
                        previous_amount=float(mine["amount"].iloc[0]) if len(mine) else None)
    frame = pd.DataFrame([{c: getattr(call, c) for c, _ in FORECAST_CALL_COLUMNS}])
    with store.transaction():
        store.append(TABLE, frame)
    return call


def latest_calls(store: Store, *, period: str | None = None, at: datetime | date | None = None) -> pd.DataFrame:
    """The call in force per (period, user, category): the latest version submitted by ``at``
    (a day means its end)."""
    if not store.has_table(TABLE):
        return pd.DataFrame(columns=[c for c, _ in FORECAST_CALL_COLUMNS])
    sql = f"SELECT * FROM {TABLE} WHERE true"
    params: list[Any] = []
    if period:
        sql += " AND period = ?"
        params.append(period)
    if at is not None:
        if isinstance(at, datetime):
            sql += " AND submitted_at <= ?"
        else:
            sql += " AND submitted_at < CAST(? AS DATE) + INTERVAL 1 DAY"
        params.append(at)
    sql = (f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY period, user_id, category "
           "ORDER BY version DESC, submitted_at DESC) = 1 ORDER BY period, user_id, category")
    return store.con.execute(sql, params).df()


def call_history(store: Store, *, period: str | None = None, user_id: str | None = None) -> pd.DataFrame:
    """Every version, oldest first."""
    if not store.has_table(TABLE):
        return pd.DataFrame(columns=[c for c, _ in FORECAST_CALL_COLUMNS])
    sql, params = f"SELECT * FROM {TABLE} WHERE true", []
    if period:
        sql, params = sql + " AND period = ?", params + [period]
    if user_id:
        sql, params = sql + " AND user_id = ?", params + [user_id]
    return store.con.execute(sql + " ORDER BY period, user_id, category, version", params).df()


def managers_of(users: pd.DataFrame, user_id: str) -> list[str]:
    """Everyone above ``user_id`` along manager_id, nearest first (cycles stop)."""
    out: list[str] = []
    current = user_id
    while True:
        manager = users["manager_id"].get(current) if current in users.index else None
        if manager is None or manager != manager or manager in out or manager == user_id:
            return out
        out.append(str(manager))
        current = manager


def _users(store: Store) -> pd.DataFrame:
    if not store.has_table("users"):
        return pd.DataFrame(columns=["manager_id"])
    frame = store.con.execute("SELECT user_id, manager_id FROM users WHERE user_id IS NOT NULL").df()
    return frame.drop_duplicates("user_id").set_index("user_id")


def _check_period(calendar: FiscalCalendar, period: str) -> None:
    from revops.engines.forecast.period import period_bounds

    try:
        period_bounds(calendar, period)
    except Exception as exc:
        raise ForecastError(str(exc)) from None
