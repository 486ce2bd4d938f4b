"""The account-month rows retention and cohorts read: the metrics layer's fact, from the first
subscription to the last month asked, with the query's dimensions and filter applied, and
each month as an integer (year x 12 + month - 1) so months can be added on every backend."""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from revops.engines.metrics import MetricQuery
from revops.engines.metrics.catalogue import filtered
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.revenue import first_day, month_spine, months_fact
from revops.engines.metrics.periods import month_start
from revops.errors import MetricError

MONTHLY_COLUMNS = ("month", "mrr", "prev_mrr", "movement")
"""Columns of the account-month fact that change from month to month: not a breakdown of
revenue that follows accounts (an account would move between groups)."""


def month_key(d: date) -> int:
    """The integer of ``d``'s month, as ``account_month_rows`` numbers them."""
    return d.year * 12 + d.month - 1


def key_month(key: int) -> date:
    year, month = divmod(key, 12)
    return date(year, month + 1, 1)


def follow_accounts(q: MetricQuery) -> None:
    """Refuse a breakdown or filter by a column that changes month to month: the bridge,
    retention and cohorts follow each account in one group, every month."""
    used = list(q.by)
    if q.where:
        from revops.model.expressions import parse

        used += sorted(parse(q.where).fields)
    monthly = [d for d in dict.fromkeys(used) if d in MONTHLY_COLUMNS]
    if monthly:
        raise MetricError(f"revenue cannot be broken down or filtered by {', '.join(monthly)}: it changes "
                          "from month to month; use what stays with an account: its attributes (industry, "
                          "country, account) or its owner's (segment, region, team, owner)")


def account_month_rows(ctx: MetricContext, q: MetricQuery, last: date, metric: str) -> ir.Table:
    """Every account-month the account paid in or stopped paying in, up to ``last``'s month:
    ``__account``, ``__key`` (the month's integer), ``mrr``, ``movement`` and a column per
    dimension of ``q`` (its --where applied). ``metric`` names the request in errors."""
    follow_accounts(q)
    spine = month_spine(ctx, MetricQuery(end=last), first_day(ctx))
    t = filtered(ctx, metric, months_fact(spine), MetricQuery(by=q.by, where=q.where), None)
    return t.mutate(__key=ctx.calendar.key_expr(t.month, "month"))


def last_month(ctx: MetricContext, end: date | None) -> date:
    """The last month a result reads: --to's, else today's (the as-of date's)."""
    assert ctx.today is not None
    return month_start(min(end, ctx.today) if end else ctx.today)
