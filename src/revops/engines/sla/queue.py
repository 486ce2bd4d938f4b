"""What surfaces ask of the clocks: the status of every clock, and the breach queue.

    status(con, model, ClockRequest(at=...), states=("breached",), open_only=True)
    breach_queue(con, model, ClockRequest(at=...))

Both run as one query on the backend and return an Arrow table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from revops.engines.sla.clocks import STATES, ClockRequest, policies, sla_clocks
from revops.engines.sla.events import Tables
from revops import moments
from revops.errors import SlaError

QUEUE_COLUMNS: tuple[str, ...] = (
    "sla", "record_id", "owner_id", "owner_name", "team", "manager_id", "manager_name", "owner_team",
    "started_at", "due_at", "minutes_late", "fallback")


def parse_moment(text: str | datetime | date | None) -> datetime:
    """``--at`` (see :mod:`revops.moments`); a moment that cannot be read is an SlaError."""
    return moments.parse_moment(text, error=SlaError)


def parse_day(text: str | date | None, option: str) -> date | None:
    if text is None or isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise SlaError(f"{option} {text!r} is not a date; write YYYY-MM-DD") from None


def clock_request(at: str | datetime | date | None = None, keys: Iterable[str] | str | None = None,
                  started_from: str | date | None = None, started_to: str | date | None = None) -> ClockRequest:
    """A ClockRequest from what a user typed (``--at``, ``--sla a,b``, ``--from``, ``--to``)."""
    if isinstance(keys, str):
        keys = keys.split(",")
    names = tuple(k.strip() for k in (keys or ()) if k and k.strip())
    start, end = parse_day(started_from, "--from"), parse_day(started_to, "--to")
    if start and end and start > end:
        raise SlaError(f"--from {start} is after --to {end}")
    return ClockRequest(at=parse_moment(at), keys=names, started_from=start, started_to=end)


def clocks(con: Any, model: Any, request: ClockRequest, *, states: Iterable[str] = (),
           open_only: bool = False, tables: Tables | None = None) -> ir.Table:
    """The clocks as an Ibis table, in the states asked (all when none), running only if asked."""
    wanted = tuple(dict.fromkeys(s.strip() for s in states if s and s.strip()))
    bad = [s for s in wanted if s not in STATES]
    if bad:
        raise SlaError(f"unknown SLA state {bad[0]!r}; the states are {', '.join(STATES)}")
    t = sla_clocks(con, model, request, tables)
    if wanted:
        t = t.filter(t.state.isin(wanted))
    if open_only:
        t = t.filter(t.stopped_at.isnull())
    return t


def status(con: Any, model: Any, request: ClockRequest, *, states: Iterable[str] = (),
           open_only: bool = False, tables: Tables | None = None) -> pa.Table:
    """Every clock asked for, by SLA (in the model's order), then start."""
    t = clocks(con, model, request, states=states, open_only=open_only, tables=tables)
    order = {s.key: i for i, s in enumerate(policies(model, request.keys))}
    rank = ibis.cases(*((t.sla == k, i) for k, i in order.items()), else_=len(order))
    t = t.mutate(__rank=rank).order_by(["__rank", "started_at", "record_id"]).drop("__rank")
    return con.to_pyarrow(t)


def breach_queue(con: Any, model: Any, request: ClockRequest, *, tables: Tables | None = None) -> pa.Table:
    """Open breaches, the longest overdue first: who owns each record, their team and manager,
    and what the SLA's fallback says to do."""
    tables = tables or con.table
    t = clocks(con, model, request, states=("breached",), open_only=True, tables=tables)
    users = tables("users")
    owners = users.select(__uid=users.user_id.cast("string"), owner_name=users.name,
                          team=users.team, manager_id=users.manager_id.cast("string"))
    t = t.left_join(owners, t.owner_id == owners.__uid).drop("__uid")
    managers = users.select(__mid=users.user_id.cast("string"), manager_name=users.name)
    t = t.left_join(managers, t.manager_id == managers.__mid).drop("__mid")
    fallbacks = {s.key: s.fallback.action for s in policies(model, request.keys) if s.fallback}
    fallback = ibis.cases(*((t.sla == k, a) for k, a in fallbacks.items()),
                          else_=ibis.null("string")) if fallbacks else ibis.null("string")
    t = t.mutate(fallback=fallback)
    t = t.select(*QUEUE_COLUMNS).order_by(["due_at", "sla", "record_id"])
    return con.to_pyarrow(t)
