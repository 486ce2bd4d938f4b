"""What an open deal without an amount is worth, over the forecast's arrays.

The rule is the metrics layer's (``revops.engines.metrics.valuation``): the median amount of
comparable deals won by the moment asked (same product, type and segment; then product and
type; product; type; every won deal), the product's list price when nothing was won, else 0.
Here it is computed for a ``DealWorld`` at any instant, so a forecast made on a past day
values a deal with what was won by then only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from revops.engines.forecast.world import DealState, DealWorld
from revops.engines.metrics.valuation import GROUPS, MIN_COMPARABLES, NONE


def comparable_values(world: DealWorld, instant: int, list_prices: dict[str, float] | None = None,
                      state: DealState | None = None) -> np.ndarray:
    """Per deal of the world, the median amount of comparable deals won before ``instant``;
    ``state``: every deal's state at ``instant`` when the caller already has it."""
    n = len(world)
    if state is None:
        state = world.state(np.arange(n, dtype=np.int64), instant)
    won = state.is_won & ~np.isnan(state.amount) & (state.amount > 0)
    groups = world.deals[["product", "type", "segment"]]
    attrs = groups.astype(object).where(groups.notna(), NONE)
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


def valued(state: DealState, values: np.ndarray) -> np.ndarray:
    """What each deal state counts for: its amount where known; an open deal without one, its
    comparable value; a closed deal without one, 0 (nothing recorded was booked), as the
    metrics layer sums it."""
    unknown = np.isnan(state.amount)
    return np.where(unknown, np.where(state.is_open, values, 0.0), state.amount)
