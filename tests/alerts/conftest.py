"""A small company for the alert tests: one lead past its first-contact SLA, one deal gone
quiet (at risk), two forecast snapshots of the current quarter; and the model's alerts section
pointed at the local receivers (receivers.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from revops.alerts.events import current_quarter
from revops.model import load_model
from revops.model.schema import RevenueModel
from revops.store import Store

AT = datetime(2026, 5, 15, 18, 0)
"""The check's moment: Friday 15 May 2026, 18:00 UTC."""
SLACK_ENV = "REVOPS_TEST_SLACK_SALES"

USERS = [
    {"user_id": "usr_ana", "name": "Ana Rep", "email": "ana@example.com", "team": "sdr_na", "active": True},
    {"user_id": "usr_ben", "name": "Ben Closer", "email": "Ben@Example.com", "team": "ae_na", "active": True},
    {"user_id": "usr_cy", "name": "Cy Quiet", "email": None, "team": "ae_na", "active": True},
]
LEADS = [  # MQL on Wednesday, never contacted: four business hours long gone by Friday evening
    {"lead_id": "lead_late", "mql_at": datetime(2026, 5, 13, 14, 0), "owner_id": "usr_ana", "email": "x@acme.io",
     "created_at": datetime(2026, 5, 13, 14, 0)},
    {"lead_id": "lead_done", "mql_at": datetime(2026, 5, 13, 14, 0), "owner_id": "usr_ana", "email": "y@acme.io",
     "created_at": datetime(2026, 5, 13, 14, 0), "first_contacted_at": datetime(2026, 5, 13, 15, 0)},
]


def deal(opp: str, owner: str, quiet_days: int, **kw: Any) -> dict[str, Any]:
    return {"opportunity_id": opp, "name": f"{opp} renewal", "account_id": "acc_1", "owner_id": owner,
            "stage": "discovery", "amount": 48000.0, "close_date": date(2026, 6, 30), "next_step": "Call",
            "forecast_category": "pipeline", "created_at": AT - timedelta(days=60),
            "last_activity_at": AT - timedelta(days=quiet_days), **kw}


DEALS = [deal("opp_quiet", "usr_ben", 30), deal("opp_busy", "usr_ben", 2)]


def forecast_snapshots(store: Store, model: Any, values: list[tuple[date, float, float]]) -> None:
    """Company rows of the current quarter: (snapshot_date, p50, commit)."""
    period = current_quarter(model, AT.date())
    n = len(values)
    store.append("_forecast_snapshots", pa.table({
        "snapshot_date": pa.array([d for d, _, _ in values], pa.date32()), "period": [period] * n,
        "level": ["company"] * n, "key": ["(company)"] * n,
        "p50": pa.array([p for _, p, _ in values], pa.float64()),
        "commit": pa.array([c for _, _, c in values], pa.float64())}))


@pytest.fixture
def company(gtm):
    """company(deals=..., snapshots=...) -> the store."""

    def build(deals: list[dict] = DEALS, snapshots: list[tuple[date, float, float]] | None = None) -> Store:
        store = gtm(users=USERS, leads=LEADS, opportunities=deals)
        if snapshots:
            forecast_snapshots(store, load_model(None), snapshots)
        return store

    return build


def model_with_alerts(smtp_port: int | None = None, *, digest: bool = False, attempts: int = 3,
                      routes: list[dict] | None = None) -> RevenueModel:
    """The default model, its alerts pointed at the local receivers: every event to Slack
    `sales` and to cro@example.com; SLA breaches and deals at risk also to the owner."""
    data = load_model(None).model_dump(mode="json", by_alias=True)
    data["alerts"] = {
        "slack": {"sales": {"webhook_env": SLACK_ENV, "timeout_seconds": 5}},
        "email": {"host": "127.0.0.1", "port": smtp_port or 25, "from": "revops@example.com", "starttls": False},
        "routes": routes if routes is not None else [
            {"events": ["sla_breach", "deal_at_risk", "forecast_change"], "slack": ["sales"],
             "email": ["cro@example.com"]},
            {"events": ["sla_breach", "deal_at_risk"], "to_owner": True},
        ],
        "thresholds": {"forecast_change_pct": 0.10, "forecast_change_amount": 10000},
        "retry": {"attempts": attempts, "backoff_seconds": 0},
        "digest": digest,
    }
    return RevenueModel.model_validate(data)
