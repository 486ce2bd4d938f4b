"""Hand-built lead data for the scoring and lifecycle tests: each test writes the few leads,
touches and activities it reasons about, and a revenue model with the rules it needs.

    store = lead_store(tmp_path, leads=[{"lead_id": "l1", "company_size": 500}],
                       touches=[touch("l1", "pricing_page_visit", days_ago=14)])
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from revops.model import load_model
from revops.store import Store

NOW = datetime(2026, 6, 30, 12, 0)
_ids = itertools.count(1)

from tests.gtm import rows_table  # noqa: E402


def lead_store(folder: Path, **tables: list[dict[str, Any]]) -> Store:
    """A store in ``folder`` holding exactly these rows per table."""
    store = Store(folder / f"leads{next(_ids)}.duckdb")
    for name, rows in tables.items():
        if rows:
            store.append(name, rows_table(name, rows))
    return store


def touch(lead_id: str | None, touch_type: str, *, days_ago: float, now: datetime = NOW) -> dict[str, Any]:
    return {"touch_id": f"t{next(_ids)}", "lead_id": lead_id, "touch_type": touch_type,
            "occurred_at": now - timedelta(days=days_ago)}


def activity(lead_id: str, direction: str, *, days_ago: float, now: datetime = NOW) -> dict[str, Any]:
    return {"activity_id": f"a{next(_ids)}", "lead_id": lead_id, "direction": direction, "type": "email",
            "occurred_at": now - timedelta(days=days_ago)}


def days_before(days: float, now: datetime = NOW) -> datetime:
    return now - timedelta(days=days)


def model_with(folder: Path, scoring: dict[str, Any] | None = None, lifecycle: dict[str, Any] | None = None) -> Any:
    """The default revenue model with the scoring (and lifecycle) section replaced."""
    data: dict[str, Any] = {"version": 1}
    if scoring is not None:
        data["scoring"] = scoring
    if lifecycle is not None:
        data["lifecycle"] = lifecycle
    path = folder / f"revops{next(_ids)}.yaml"
    with path.open("w") as f:
        YAML().dump(data, f)
    return load_model(path)


BANDS = [{"key": "hot", "label": "Hot", "min": 80, "max": 100}, {"key": "warm", "label": "Warm", "min": 60, "max": 79},
         {"key": "engaged", "label": "Engaged", "min": 40, "max": 59}, {"key": "cold", "label": "Cold", "min": 0, "max": 39}]


def size_points_model(folder: Path, **scoring: Any) -> Any:
    """Scoring where company size alone decides the band: 1,000+ is 85 points (hot), 200-999
    is 65 (warm), 50-199 is 45 (engaged), smaller is 0 (cold)."""
    rules = [
        {"key": "enterprise", "when": "company_size >= 1000", "points": 85},
        {"key": "mid_market", "when": "company_size between 200 and 999", "points": 65},
        {"key": "smb", "when": "company_size between 50 and 199", "points": 45},
    ]
    section = {"mql_threshold": 60, "groups": [{"key": "fit", "cap": 100, "rules": rules}], "bands": BANDS}
    section.update(scoring)
    return model_with(folder, section)
