"""Hand-built GTM data for metric tests: each test writes the few rows it reasons about.

    def test_x(gtm):
        store = gtm(opportunities=[{"opportunity_id": "o1", "stage": "closed_won", ...}])
        frame = metric_values(store, "win_rate", period="quarter")
"""

from __future__ import annotations

from datetime import date
from typing import Any

from revops.model import load_model
from revops.store import Store


def metric_values(store: Store, names: str | list[str], *, model: Any = None, today: date | None = None,
                  **kwargs: Any) -> list[dict[str, Any]]:
    """compute() as records, NaN as None, for easy comparison in asserts."""
    from revops.engines.metrics import compute

    frame = compute(store.ibis, model or load_model(None), names, today=today, **kwargs)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def value(store: Store, name: str, **kwargs: Any) -> float | None:
    """The single value of a metric asked without dimensions or period."""
    [row] = metric_values(store, name, **kwargs)
    return row["value"]
