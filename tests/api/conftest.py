"""A small sales org in a store file, and the API served over real HTTP on a free loopback port.

Times are naive UTC. The intake's clock is fixed at TUESDAY_11AM_NY (2026-05-12 15:00 UTC:
11:00 in New York and 10:00 in Chicago, inside the 09:00-17:00 business day of the default
model, whose company time zone is New York), so scores, routes and due times can be worked
out by hand.

    def test_x(org_db):
        with serving(org_db) as api:
            r = api.post("/v1/leads", json={...})
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from revops.api import ApiSettings, create_app
from revops.api.services import ApiServices
from revops.model import load_model
from revops.model.schema import RevenueModel
from revops.store import Store

TUESDAY_11AM_NY = datetime(2026, 5, 12, 15, 0)
ADMIN_TOKEN = "test-admin-token"


def user(user_id: str, role: str = "ae", segment: str | None = "smb", region: str | None = "NA",
         timezone: str = "America/New_York", team: str | None = "NA Smb", manager_id: str | None = "mgr_na",
         active: bool = True) -> dict[str, Any]:
    return {"user_id": user_id, "name": user_id.replace("_", " ").title(), "role": role, "segment": segment,
            "region": region, "timezone": timezone, "team": team, "manager_id": manager_id, "active": active,
            "out_of_office": False}


ORG_USERS = [
    user("mgr_na", role="manager", segment=None, team="Sales NA", manager_id=None),
    user("smb_ny"),
    user("smb_chi", timezone="America/Chicago"),
    user("sdr_na", role="sdr", segment=None, team="SDR NA"),
    user("mm_ae_na", segment="mid_market", team="NA Mid Market"),
    user("ent_na", segment="enterprise", team="NA Enterprise"),
]
ORG_TEAMS = [{"team_id": "team_na_ent", "name": "NA Enterprise", "manager_id": "mgr_na"}]
ORG_TERRITORIES = [{"territory_id": "t_na_ent", "name": "NA Enterprise", "region": "NA", "segment": "enterprise",
                    "countries": "US,CA", "owner_id": "mgr_na", "team_id": "team_na_ent"}]

from tests.gtm import rows_table  # noqa: E402


def build_store(path: Path, **tables: list[dict[str, Any]]) -> Path:
    with Store(path) as s:
        for name, rows in tables.items():
            if rows:
                s.append(name, rows_table(name, rows))
    return path


@pytest.fixture
def org_db(tmp_path: Path) -> Path:
    """A store file holding the org (users, a team, a territory) and no leads."""
    return build_store(tmp_path / "org.duckdb", users=ORG_USERS, teams=ORG_TEAMS, territories=ORG_TERRITORIES)


@pytest.fixture(scope="session")
def default_model() -> RevenueModel:
    return load_model(None)


def pool_model(model: RevenueModel, **node: Any) -> RevenueModel:
    """A graph of one round-robin pool of the AEs (working hours ignored) with else: triage."""
    data = model.model_dump(mode="json", by_alias=True)
    spec = {"key": "pool", "type": "round_robin", "pool": "role = 'ae'", "working_hours": "ignore",
            "else": "triage", **node}
    data["routing"]["nodes"] = [{"key": "start", "type": "start", "next": "pool"}, spec,
                                {"key": "triage", "type": "queue", "queue": "triage"}]
    return RevenueModel.model_validate(data)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(db: Path, model: RevenueModel | None = None, *, token: str | None = ADMIN_TOKEN,
            clock: Any = lambda: TUESDAY_11AM_NY, send_token: bool | None = None,
            **settings: Any) -> Iterator[httpx.Client]:
    """The API on ``db`` served by uvicorn in this process on a free loopback port; yields an
    httpx client pointed at it. Stopping drains the intake and closes the store.

    ``token`` is the server's REVOPS_API_TOKEN (an admin key); the client sends it with every
    request when it is the default ADMIN_TOKEN (or ``send_token``), so tests about something
    else need not think about keys."""
    sock = free_socket()
    port = sock.getsockname()[1]
    config_settings = ApiSettings(db=db, port=port, api_token=token, **settings)
    services = ApiServices.open(config_settings, model=model, clock=clock)
    server = uvicorn.Server(uvicorn.Config(create_app(config_settings, services=services), log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        send = send_token if send_token is not None else token == ADMIN_TOKEN
        headers = {"Authorization": f"Bearer {token}"} if send and token else None
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, headers=headers) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def stored(db: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of ``sql`` read from the store file once the server has let go of it."""
    with Store(db, read_only=True) as s:
        return s.query(sql, params)


def hot_smb_lead(lead_id: str, **extra: Any) -> dict[str, Any]:
    """A lead that scores 60 on the default rules: fit 30 (VP title, US, software; 150 people is
    under the 200 of mid_size_company), intent 30 (form fill 20 + pricing page 10, both just
    now, no decay yet), engagement 0. 60 is the MQL threshold; with 150 people it takes the
    SMB branch (score > 40 and company_size < 200)."""
    return {"lead_id": lead_id, "email": f"{lead_id}@acme.com", "company_size": 150, "country": "US",
            "title": "VP Sales", "industry": "software",
            "touches": [{"touch_type": "form_fill"}, {"touch_type": "pricing_page_visit"}], **extra}
