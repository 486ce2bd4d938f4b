"""What an open deal without an amount is worth: the median of comparable won deals.

Real exports leave amounts empty on early-stage deals (the Maven CRM export has none on
any open deal). Such a deal is valued at the median amount of the deals won before the
moment asked that look like it, the first of these groups with at least
``MIN_COMPARABLES`` deals:

1. same product, type and segment;
2. same product and type;
3. same product;
4. same type;
5. every won deal.

When no deal was won yet, the product's list price (``products.list_price``) is used, and
0 without one. Only deals won by the moment count, so a forecast never values a deal with
what was learned later.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from revops.engines.forecast.world import DealWorld

MIN_COMPARABLES = 5
GROUPS: tuple[tuple[str, ...], ...] = (("product", "type", "segment"), ("product", "type"), ("product",),
                                       ("type",), ())


def comparable_values(world: DealWorld, instant: int, list_prices: dict[str, float] | None = None) -> np.ndarray:
    """Per deal of the world, the median amount of comparable deals won before ``instant``."""
    n = len(world)
    index = np.arange(n)
    state = world.state(index, instant)
    won = state.is_won & ~np.isnan(state.amount) & (state.amount > 0)
    attrs = world.deals[["product", "type", "segment"]].astype(object).where(
        world.deals[["product", "type", "segment"]].notna(), "(none)")
    out = np.full(n, np.nan)
    if won.any():
        won_frame = attrs[won].assign(__amount=state.amount[won])
        for keys in GROUPS:
            todo = np.isnan(out)
            if not todo.any():
                break
            if not keys:
                out[todo] = float(np.median(state.amount[won]))
                break
            stats = won_frame.groupby(list(keys), sort=False)["__amount"].agg(["median", "size"])
            stats = stats[stats["size"] >= MIN_COMPARABLES]["median"]
            if stats.empty:
                continue
            looked = attrs.loc[todo, list(keys)].merge(stats.rename("__m").reset_index(), on=list(keys),
                                                       how="left")["__m"].to_numpy(dtype=float)
            out[todo] = looked
    if np.isnan(out).any() and list_prices:
        price = world.deals["product"].map(list_prices).to_numpy(dtype=float, na_value=np.nan)
        out = np.where(np.isnan(out), price, out)
    return np.nan_to_num(out, nan=0.0)


def list_prices(con: Any) -> dict[str, float]:
    """product_id -> list price from the price book, when the store has one."""
    try:
        t = con.table("products")
    except Exception:
        return {}
    if "list_price" not in t.columns:
        return {}
    frame = t.select("product_id", "list_price").to_pyarrow().to_pandas()
    frame = frame.dropna()
    return {str(k): float(v) for k, v in zip(frame["product_id"], frame["list_price"])}


def valued(amount: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The amount where known, else the comparable value."""
    return np.where(np.isnan(amount), values, amount)
