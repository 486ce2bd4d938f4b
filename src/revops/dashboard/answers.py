"""Engine answers the pages share, computed once per store generation for the whole company
and cut down to the viewer's owners: the hygiene report, the SLA breach queue, and the
customers' health scores."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from revops.reports.context import end_of_day
from revops.reports.risk import for_owners


def hygiene(ctx: Any) -> Any:
    """The hygiene report as of the end of the data's day, of the owners in view."""
    from revops.engines.deals.hygiene import HygieneRequest, check_hygiene

    report = ctx.shared("hygiene", lambda: check_hygiene(ctx.con, ctx.model, HygieneRequest(as_of=end_of_day(ctx.day))))
    return for_owners(report, ctx.view.owners)


def owned(table: pa.Table, owners: frozenset[str] | None, column: str = "owner_id") -> pa.Table:
    if owners is None:
        return table
    return table.filter(pc.is_in(table[column].cast(pa.string()), value_set=pa.array(sorted(owners), type=pa.string())))


def breach_queue(ctx: Any) -> pa.Table:
    """Open SLA breaches at the end of the day (the longest overdue first), of the owners in view."""
    from revops.engines import sla

    queue = ctx.shared("breaches", lambda: sla.breach_queue(ctx.con, ctx.model, sla.clock_request(at=end_of_day(ctx.day))))
    return owned(queue, ctx.view.owners)


def health(ctx: Any) -> list[dict[str, Any]]:
    """Health rows (account_id, account_name, score, band, trend, at_risk, reasons, owner_id) on
    the day, of the accounts the owners in view own."""
    from revops.engines.health.score import HealthRequest, score_accounts

    def compute() -> list[dict[str, Any]]:
        report = score_accounts(ctx.con.con, ctx.model.health, HealthRequest(ctx.day), currency=ctx.model.company.currency)
        owners = {r["account_id"]: r["owner_id"] for r in ctx.sql("SELECT account_id, owner_id FROM accounts")}
        return [{**{k: r.get(k) for k in ("account_id", "account_name", "score", "band", "trend", "at_risk", "reasons")},
                 "owner_id": owners.get(r["account_id"])} for r in report.rows]

    rows = ctx.shared("health", compute)
    owners = ctx.view.owners
    return rows if owners is None else [r for r in rows if r["owner_id"] in owners]
