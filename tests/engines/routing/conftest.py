"""A small sales org built by hand, and leads whose route each test works out.

Times are naive UTC, as the store keeps them. TUESDAY_11AM_NY is 2026-05-12 15:00 UTC:
11:00 in New York (EDT), 10:00 in Chicago, 08:00 in Los Angeles, 17:00 in Paris (after the
09:00-17:00 business day there).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from revops.engines.routing.router import Router
from revops.engines.routing.state import RoutingState
from revops.model import load_model

TUESDAY_11AM_NY = datetime(2026, 5, 12, 15, 0)


@pytest.fixture(scope="session")
def model():
    return load_model(None)


def user(user_id: str, role: str = "ae", segment: str | None = "smb", region: str | None = "NA",
         timezone: str = "America/New_York", team: str | None = None, manager_id: str | None = "mgr_na",
         active: bool = True, out_of_office: bool = False, **extra: Any) -> dict[str, Any]:
    return {"user_id": user_id, "name": user_id.replace("_", " ").title(), "role": role, "segment": segment,
            "region": region, "timezone": timezone, "team": team, "manager_id": manager_id, "active": active,
            "out_of_office": out_of_office, **extra}


def lead(lead_id: str, score: float | None, size: int | None, country: str | None = "US", **extra: Any) -> dict:
    return {"lead_id": lead_id, "score": score, "company_size": size, "country": country, **extra}


# The org of the flowchart tests: one of each seat the default graph routes to.
ORG_USERS = [
    user("mgr_na", role="manager", segment=None, team="Sales NA", manager_id="vp_sales"),
    user("vp_sales", role="executive", segment=None, region=None, team="Sales", manager_id=None),
    user("ent_na", segment="enterprise", team="NA Enterprise"),
    user("ent_emea", segment="enterprise", region="EMEA", timezone="Europe/London", team="EMEA Enterprise",
         manager_id="mgr_emea"),
    user("mgr_emea", role="manager", segment=None, region="EMEA", timezone="Europe/Berlin", team="Sales EMEA",
         manager_id="vp_sales"),
    user("sdr_na", role="sdr", segment=None, timezone="America/Chicago", team="SDR NA"),
    user("mm_ae_na", segment="mid_market", team="NA Mid Market"),
    user("smb_ny", team="NA Smb"),
    user("smb_chi", timezone="America/Chicago", team="NA Smb"),
]
ORG_TEAMS = [
    {"team_id": "team_na_ent", "name": "NA Enterprise", "manager_id": "mgr_na"},
    {"team_id": "team_emea_ent", "name": "EMEA Enterprise", "manager_id": "mgr_emea"},
    {"team_id": "team_na_smb", "name": "NA Smb", "manager_id": "mgr_na"},
]
ORG_TERRITORIES = [
    {"territory_id": "t_na_ent", "name": "NA Enterprise", "region": "NA", "segment": "enterprise",
     "countries": "US,CA", "owner_id": "mgr_na", "team_id": "team_na_ent"},
    {"territory_id": "t_emea_ent", "name": "EMEA Enterprise", "region": "EMEA", "segment": "enterprise",
     "countries": "GB,DE,FR", "owner_id": "mgr_emea", "team_id": "team_emea_ent"},
]


def make_router(model: Any, users: list[dict] | None = None, *, teams: list[dict] | None = None,
                territories: list[dict] | None = None, accounts: list[dict] | None = None,
                open_leads: dict[str, int] | None = None, history: bool = False) -> Router:
    state = RoutingState(model, users=ORG_USERS if users is None else users,
                         teams=ORG_TEAMS if teams is None else teams,
                         territories=ORG_TERRITORIES if territories is None else territories,
                         accounts=accounts or [], open_leads=open_leads, history=history)
    return Router(model, state)


def model_with(model: Any, **routing: Any) -> Any:
    """The model with parts of its routing section replaced (nodes given as dicts)."""
    from revops.model.schema import RevenueModel

    data = model.model_dump(mode="json", by_alias=True)
    data["routing"].update(routing)
    return RevenueModel.model_validate(data)


def pool_model(model: Any, **node: Any) -> Any:
    """A graph of one pool node (round robin unless `type` says otherwise) with else: triage."""
    spec = {"key": "pool", "type": "round_robin", "pool": "role = 'ae'", "else": "triage", **node}
    return model_with(model, nodes=[
        {"key": "start", "type": "start", "next": "pool"}, spec,
        {"key": "triage", "type": "queue", "queue": "triage"},
    ])


# -- stores built from rows -------------------------------------------------------------------
