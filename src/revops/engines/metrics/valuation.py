"""What an open deal without an amount is worth: the median of comparable won deals.

Real exports leave amounts empty on early-stage deals (the Maven CRM export has none on
any open deal), and a deal whose outcome is not known yet at an as-of day has no amount
then either (``asof``). Every number that sums open deals (open and weighted pipeline,
pipeline coverage, the forecast, pipeline flow) values such a deal the same way: at the
median amount of the deals won by the moment asked that look like it, from the first of
these groups with at least ``MIN_COMPARABLES`` won deals:

1. same product, type and segment;
2. same product and type;
3. same product;
4. same type;
5. every won deal (any number of them).

A deal's segment is its account's, else its owner's. A won deal counts when its amount is
above 0. When nothing was won yet, the product's list price (``products.list_price``), else
0. Closed deals keep their recorded amount (an empty one counts 0: nothing recorded was
booked).

This module holds the rule and its Ibis form (the metrics layer, on any backend);
``revops.engines.forecast.valuation`` computes the same values over the forecast's arrays
at any instant (a test holds the two together).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from revops.engines.metrics.context import MetricContext

MIN_COMPARABLES = 5
GROUPS: tuple[tuple[str, ...], ...] = (("product", "type", "segment"), ("product", "type"), ("product",),
                                       ("type",), ())
NONE = "(none)"
"""The group of deals without a product, type or segment."""


def with_segment(ctx: MetricContext, deals: ir.Table) -> ir.Table:
    """``deals`` with ``__segment``: the account's segment, else the owner's."""
    accounts, users = ctx.table("accounts"), ctx.table("users")
    acc = accounts.group_by(__acc=accounts.account_id).aggregate(__aseg=accounts.segment.max())
    own = users.group_by(__usr=users.user_id).aggregate(__useg=users.segment.max())
    t = deals.left_join(acc, deals.account_id == acc.__acc).left_join(own, deals.owner_id == own.__usr)
    return t.mutate(__segment=ibis.coalesce(t.__aseg, t.__useg)).drop("__acc", "__aseg", "__usr", "__useg")


def valued(ctx: MetricContext, deals: ir.Table) -> ir.Table:
    """``deals`` (a deal fact: opportunity_id, is_open, is_won, amount, product, type,
    account_id, owner_id) with open deals that have no amount valued by the module's rule.
    Only the deals to value and the won deals are looked at (segments, groups), and the values
    are joined back by opportunity_id."""
    need = deals.amount.isnull() & deals.is_open
    comparable = deals.is_won & deals.amount.notnull() & (deals.amount > 0)
    part = deals.filter(need | comparable).select(
        "opportunity_id", "product", "type", "account_id", "owner_id", "amount", __need=need)
    t = _with_list_price(ctx, with_segment(ctx, part))
    keys = {"product": t.product.fill_null(NONE), "type": t.type.fill_null(NONE),
            "segment": t.__segment.fill_null(NONE)}
    t = t.mutate(**{f"__k_{k}": v for k, v in keys.items()})
    won = t.filter(~t.__need)
    t = t.filter(t.__need)
    levels = []
    for i, group in enumerate(GROUPS):
        name = f"__v{i}"
        if group:
            cols = [f"__k_{k}" for k in group]
            stats = won.group_by([won[c].name(f"__g{i}_{c}") for c in cols]).aggregate(
                **{name: won.amount.cast("float64").median(), f"__n{i}": won.count()})
            stats = stats.filter(stats[f"__n{i}"] >= MIN_COMPARABLES).drop(f"__n{i}")
            t = t.left_join(stats, [t[c] == stats[f"__g{i}_{c}"] for c in cols]).drop(
                *(f"__g{i}_{c}" for c in cols))
        else:
            overall = won.aggregate(**{name: won.amount.cast("float64").median()})
            t = t.cross_join(overall)
        levels.append(t[name])
    price = t.__list_price if "__list_price" in t.columns else ibis.null("float64")
    values = t.select(__vid=t.opportunity_id, __value=ibis.coalesce(*levels, price, ibis.literal(0.0)))
    out = deals.left_join(values, deals.opportunity_id == values.__vid)
    out = out.mutate(amount=ibis.ifelse(out.__vid.notnull(), out.__value, out.amount.cast("float64")))
    return out.drop("__vid", "__value")


def _with_list_price(ctx: MetricContext, deals: ir.Table) -> ir.Table:
    """``deals`` with ``__list_price``, the product's price in the price book, when there is one."""
    products = ctx.table("products")
    if "list_price" not in products.columns:
        return deals
    price = products.group_by(__product=products.product_id).aggregate(
        __list_price=products.list_price.cast("float64").max())
    return deals.left_join(price, deals.product == price.__product).drop("__product")
