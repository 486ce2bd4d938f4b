"""The read endpoints under /v1 answer what the store holds and what the engines compute, in
typed, paged lists: leads, deals (with their stage history and the gate ahead), accounts,
metrics from the metrics layer, the forecast roll-up, SLA clocks, hygiene findings and health.

The book: two NA reps (smb_ny, smb_chi) under mgr_na, an EMEA rep (emea_ae) under mgr_emea, their
leads, accounts and deals. The intake's clock is Tuesday 2026-05-12 15:00 UTC (conftest)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from revops.model import load_model
from tests.api.conftest import ORG_TEAMS, ORG_TERRITORIES, ORG_USERS, TUESDAY_11AM_NY, build_store, serving, user

EMEA = [user("mgr_emea", role="manager", segment=None, region="EMEA", team="Sales EMEA", manager_id=None,
             timezone="Europe/London"),
        user("emea_ae", region="EMEA", team="EMEA Smb", manager_id="mgr_emea", timezone="Europe/London")]


def lead(lead_id: str, owner: str | None, status: str, created: datetime, updated: datetime | None = None,
         **fields: Any) -> dict:
    return {"lead_id": lead_id, "email": f"{lead_id.lower()}@acme.com", "owner_id": owner, "status": status,
            "created_at": created, "updated_at": updated or created, "country": "US", "company_size": 100, **fields}


def deal(opportunity_id: str, owner: str, account: str, stage: str, **fields: Any) -> dict:
    return {"opportunity_id": opportunity_id, "account_id": account, "owner_id": owner, "stage": stage,
            "name": f"{account} - {opportunity_id}", "amount": 50000.0, "close_date": date(2026, 6, 30),
            "created_at": datetime(2026, 3, 1), "next_step": "Demo", "contact_id": "c1",
            "forecast_category": "pipeline", **fields}


LEADS = [lead("L_ny", "smb_ny", "mql", datetime(2026, 5, 1), mql_at=datetime(2026, 5, 1, 14)),  # never contacted
         lead("L_chi", "smb_chi", "new", datetime(2026, 5, 5), datetime(2026, 5, 10)),
         lead("L_emea", "emea_ae", "sql", datetime(2026, 4, 1), datetime(2026, 4, 2), mql_at=datetime(2026, 4, 1, 9),
              first_contacted_at=datetime(2026, 4, 1, 10)),
         lead("L_triage", "triage", "new", datetime(2026, 5, 11))]
ACCOUNTS = [{"account_id": "acc_ny", "name": "Acme NY", "owner_id": "smb_ny", "type": "customer", "segment": "smb",
             "region": "NA", "created_at": datetime(2025, 1, 1)},
            {"account_id": "acc_chi", "name": "Acme Chicago", "owner_id": "smb_chi", "type": "prospect",
             "segment": "smb", "region": "NA", "created_at": datetime(2025, 2, 1)},
            {"account_id": "acc_emea", "name": "Acme London", "owner_id": "emea_ae", "type": "customer",
             "segment": "smb", "region": "EMEA", "created_at": datetime(2025, 3, 1)}]
DEALS = [deal("o_ny_1", "smb_ny", "acc_ny", "solution"),
         deal("o_ny_2", "smb_ny", "acc_ny", "qualification", next_step=None, close_date=date(2026, 5, 29)),
         deal("o_ny_won", "smb_ny", "acc_ny", "closed_won", amount=30000.0, close_date=date(2026, 4, 15),
              forecast_category="closed"),
         deal("o_chi_1", "smb_chi", "acc_chi", "discovery", amount=20000.0),
         deal("o_chi_lost", "smb_chi", "acc_chi", "closed_lost", close_date=date(2026, 4, 20), lost_reason="price",
              forecast_category="omitted"),
         deal("o_emea_1", "emea_ae", "acc_emea", "negotiation", amount=90000.0, close_date=date(2026, 6, 15),
              forecast_category="commit"),
         deal("o_emea_won", "emea_ae", "acc_emea", "closed_won", amount=70000.0, close_date=date(2026, 4, 10),
              forecast_category="closed")]
HISTORY = [{"history_id": "h2", "opportunity_id": "o_ny_1", "changed_at": datetime(2026, 4, 1), "stage": "solution",
            "amount": 50000.0, "owner_id": "smb_ny", "changed_fields": "stage"},
           {"history_id": "h1", "opportunity_id": "o_ny_1", "changed_at": datetime(2026, 3, 1), "stage": "discovery",
            "amount": 50000.0, "owner_id": "smb_ny", "changed_fields": "stage"}]
SUBSCRIPTIONS = [{"subscription_id": "s_ny", "account_id": "acc_ny", "start_date": date(2026, 1, 1), "mrr": 1000.0,
                  "status": "active", "plan": "pro"},
                 {"subscription_id": "s_emea", "account_id": "acc_emea", "start_date": date(2026, 2, 1),
                  "mrr": 2500.0, "status": "active", "plan": "enterprise"}]


def build_book(path: Path) -> Path:
    return build_store(path, users=ORG_USERS + EMEA, teams=ORG_TEAMS, territories=ORG_TERRITORIES, leads=LEADS,
                       accounts=ACCOUNTS, opportunities=DEALS, opportunity_history=HISTORY,
                       subscriptions=SUBSCRIPTIONS)


@pytest.fixture
def book_db(tmp_path: Path) -> Path:
    return build_book(tmp_path / "book.duckdb")


@pytest.fixture
def api(book_db):
    with serving(book_db) as client:
        yield client


def ids(answer: dict, key: str) -> list[str]:
    return [r[key] for r in answer["items"]]


# -- leads --------------------------------------------------------------------------------------
def test_leads_are_listed_in_id_order_with_their_stored_columns(api):
    r = api.get("/v1/leads")
    assert r.status_code == 200, r.text
    body = r.json()
    assert ids(body, "lead_id") == ["L_chi", "L_emea", "L_ny", "L_triage"] and body["next"] is None
    assert {"lead_id": "L_ny", "owner_id": "smb_ny", "status": "mql", "created_at": "2026-05-01T00:00:00Z"}.items() \
        <= body["items"][2].items()


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "new"}, ["L_chi", "L_triage"]),
    ({"owner_id": "smb_chi"}, ["L_chi"]),
    ({"updated_since": "2026-05-05T00:00:00Z"}, ["L_chi", "L_triage"]),
    ({"created_since": "2026-05-01"}, ["L_chi", "L_ny", "L_triage"]),
    ({"created_since": "2026-05-01T09:00:00+09:00", "status": "mql"}, ["L_ny"]),  # 00:00 UTC
])
def test_leads_are_filtered(api, params, expected):
    r = api.get("/v1/leads", params=params)
    assert r.status_code == 200, r.text
    assert ids(r.json(), "lead_id") == expected


def test_a_cursor_walks_every_lead_once_and_offset_skips(api):
    seen, cursor = [], None
    while True:
        body = api.get("/v1/leads", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        seen += ids(body, "lead_id")
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == ["L_chi", "L_emea", "L_ny", "L_triage"]
    assert ids(api.get("/v1/leads", params={"offset": 3}).json(), "lead_id") == ["L_triage"]


@pytest.mark.parametrize("params", [{"cursor": "not-a-cursor"}, {"limit": 0}, {"limit": 5000},
                                    {"cursor": "azpM", "offset": 1}, {"updated_since": "yesterday"}])
def test_bad_paging_or_filters_are_422(api, params):
    r = api.get("/v1/leads", params=params)
    assert r.status_code == 422 and r.json()["detail"]


# -- opportunities ------------------------------------------------------------------------------
def test_opportunities_are_listed_with_their_fields_and_whether_they_are_open(api):
    body = api.get("/v1/opportunities").json()
    assert ids(body, "opportunity_id") == sorted(d["opportunity_id"] for d in DEALS)
    first = body["items"][0]
    assert {"opportunity_id": "o_chi_1", "owner_id": "smb_chi", "account_id": "acc_chi", "stage": "discovery",
            "amount": 20000.0, "close_date": "2026-06-30", "forecast_category": "pipeline", "is_open": True,
            "name": "acc_chi - o_chi_1"}.items() <= first.items()


@pytest.mark.parametrize(("params", "expected"), [
    ({"stage": "closed_won"}, ["o_emea_won", "o_ny_won"]),
    ({"state": "closed"}, ["o_chi_lost", "o_emea_won", "o_ny_won"]),
    ({"state": "open", "owner_id": "smb_ny"}, ["o_ny_1", "o_ny_2"]),
    ({"close_from": "2026-05-01", "close_to": "2026-06-15"}, ["o_emea_1", "o_ny_2"]),
    ({"account_id": "acc_chi"}, ["o_chi_1", "o_chi_lost"]),
])
def test_opportunities_are_filtered(api, params, expected):
    r = api.get("/v1/opportunities", params=params)
    assert r.status_code == 200, r.text
    assert ids(r.json(), "opportunity_id") == expected


def test_a_deal_comes_with_its_history_oldest_first_and_the_gate_of_its_next_stage(api):
    body = api.get("/v1/opportunities/o_ny_1").json()
    assert body["opportunity"]["stage"] == "solution"
    assert [h["history_id"] for h in body["stage_history"]] == ["h1", "h2"]
    # proposal needs contact_id and more (filled) and its gate amount > 0 (holds)
    assert body["next_stage"] == {"stage": "proposal", "label": "Proposal", "required_fields": [
        "account_id", "owner_id", "close_date", "amount", "next_step", "contact_id"], "gate": ["amount > 0"],
        "missing": [], "failed": [], "passes": True}
    blocked = api.get("/v1/opportunities/o_ny_2").json()["next_stage"]
    assert (blocked["stage"], blocked["missing"], blocked["passes"]) == ("solution", ["next_step"], False)


def test_the_gate_ahead_is_what_a_move_would_be_refused_for(api):
    ahead = api.get("/v1/opportunities/o_ny_2").json()["next_stage"]
    refused = api.post("/v1/opportunities/o_ny_2/stage", json={"stage": ahead["stage"]})
    assert refused.status_code == 409
    assert (refused.json()["missing"], refused.json()["failed"]) == (ahead["missing"], ahead["failed"])


def test_a_closed_deal_has_no_next_stage_and_an_unknown_one_is_404(api):
    assert api.get("/v1/opportunities/o_ny_won").json()["next_stage"] is None
    r = api.get("/v1/opportunities/ghost")
    assert r.status_code == 404 and "ghost" in r.json()["detail"]


# -- accounts -----------------------------------------------------------------------------------
def test_accounts_are_listed_and_filtered(api):
    assert ids(api.get("/v1/accounts").json(), "account_id") == ["acc_chi", "acc_emea", "acc_ny"]
    assert ids(api.get("/v1/accounts", params={"type": "customer", "region": "NA"}).json(), "account_id") == ["acc_ny"]


def test_an_account_comes_with_its_open_deals_and_subscriptions(api):
    body = api.get("/v1/accounts/acc_ny").json()
    assert body["account"]["name"] == "Acme NY"
    assert [d["opportunity_id"] for d in body["open_opportunities"]] == ["o_ny_2", "o_ny_1"]  # by close date
    assert [(s["subscription_id"], s["mrr"]) for s in body["subscriptions"]] == [("s_ny", 1000.0)]
    assert body["revenue"] is None and body["health"] is None


def test_an_account_revenue_is_the_metrics_layer_number(book_db):
    expected = metrics_layer(book_db, ["mrr", "arr"], where="account_id = 'acc_ny'")
    with serving(book_db) as api:
        body = api.get("/v1/accounts/acc_ny", params={"include": "revenue"}).json()
        unknown_include = api.get("/v1/accounts/acc_ny", params={"include": "everything"}).status_code
        unknown_account = api.get("/v1/accounts/nope").status_code
    assert expected[0]["value"] == 1000.0
    assert {r["metric"]: r["value"] for r in body["revenue"]} == {r["metric"]: r["value"] for r in expected}
    assert (unknown_include, unknown_account) == (422, 404)


# -- metrics ------------------------------------------------------------------------------------
def metrics_layer(db: Path, names: list[str], **kw: Any) -> list[dict]:
    from revops.engines.metrics import compute
    from revops.store import Store

    with Store(db, read_only=True) as store:
        frame = compute(store.ibis, load_model(None), names, today=TUESDAY_11AM_NY.date(), **kw)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_metrics_are_the_metrics_layer_numbers(book_db):
    expected = metrics_layer(book_db, ["win_rate", "won_amount"], by="owner")
    with serving(book_db) as api:
        r = api.get("/v1/metrics", params={"name": ["win_rate", "won_amount"], "by": "owner"})
    assert r.status_code == 200, r.text
    assert r.json()["items"] == expected and r.json()["where"] is None
    assert {(x["metric"], x["owner"]): x["value"] for x in expected}[("win_rate", "smb_chi")] == 0.0


@pytest.mark.parametrize(("params", "words"), [
    ({"name": "win_rat"}, "unknown metric"),
    ({"name": "win_rate", "by": "planet"}, "planet"),
    ({"name": "win_rate", "where": "owner = "}, ""),
    ({"name": "win_rate", "period": "fortnight"}, "fortnight"),
    ({"name": "win_rate", "from": "2026-13-01"}, ""),
])
def test_a_metric_request_the_layer_refuses_is_422_with_its_message(api, params, words):
    r = api.get("/v1/metrics", params=params)
    assert r.status_code == 422 and words in r.json()["detail"]


def test_the_catalogue_and_explain(api):
    names = [m["name"] for m in api.get("/v1/metrics/catalogue").json()["items"]]
    assert {"win_rate", "mrr", "open_pipeline"} <= set(names)
    explained = api.get("/v1/metrics/win_rate/explain").json()
    assert explained["metric"] == "win_rate" and explained["sql"] and "SELECT" in explained["sql"][0]["sql"].upper()
    assert api.get("/v1/metrics/nothing/explain").status_code == 422


# -- forecast, SLA, hygiene, health ------------------------------------------------------------
def test_the_forecast_rolls_up_the_quarter_like_the_cli(book_db):
    from revops.engines import forecast as engine
    from revops.store import Store

    with Store(book_db, read_only=True) as store:
        fc = engine.forecast(store.ibis, load_model(None), today=TUESDAY_11AM_NY.date())
    with serving(book_db) as api:
        body = api.get("/v1/forecast").json()
        unknown_quarter = api.get("/v1/forecast", params={"quarter": "2026-Q9"}).status_code
    assert body["period"] == "2026-Q2" and body["company"] == {**fc.as_dict(), "as_of": "2026-05-12"}
    rows = {r["user_id"]: r for r in body["rows"]}
    assert rows["(company)"]["closed_won"] == 100000.0  # o_ny_won + o_emea_won
    assert rows["mgr_emea"]["closed_won"] == 70000.0 and rows["smb_ny"]["closed_won"] == 30000.0
    assert unknown_quarter == 422


def test_sla_hygiene_and_health_answer_the_engines_rows(api):
    sla = api.get("/v1/sla").json()
    assert sla["total"] == len(sla["items"]) and {"sla", "record_id", "owner_id", "state"} <= set(sla["items"][0])
    assert api.get("/v1/sla", params={"view": "breaches"}).status_code == 200
    assert api.get("/v1/sla", params={"state": "late"}).status_code == 422
    hygiene = api.get("/v1/hygiene").json()
    assert hygiene["total"] >= 1 and {"opportunity_id", "owner_id", "rule", "severity"} <= set(hygiene["items"][0])
    assert api.get("/v1/hygiene", params={"rule": "no_such_rule"}).status_code == 422
    health = api.get("/v1/health").json()
    assert {r["account_id"] for r in health["items"]} <= {"acc_ny", "acc_emea"}
    assert api.get("/v1/health", params={"band": "purple"}).status_code == 422


def test_engine_lists_page_by_cursor(api):
    first = api.get("/v1/hygiene", params={"limit": 1}).json()
    everything = api.get("/v1/hygiene").json()["items"]
    if len(everything) > 1:
        second = api.get("/v1/hygiene", params={"limit": 1, "cursor": first["next"]}).json()
        assert first["items"] + second["items"] == everything[:2]


def test_the_openapi_document_describes_every_read(api):
    doc = api.get("/openapi.json").json()
    for path in ("/v1/leads", "/v1/opportunities", "/v1/opportunities/{opportunity_id}", "/v1/accounts",
                 "/v1/accounts/{account_id}", "/v1/metrics", "/v1/metrics/catalogue", "/v1/metrics/{name}/explain",
                 "/v1/forecast", "/v1/sla", "/v1/hygiene", "/v1/health"):
        get = doc["paths"][path]["get"]
        assert get["summary"] and "$ref" in str(get["responses"]["200"]), path
    assert "OpportunityRecord" in doc["components"]["schemas"]


def test_an_account_health_is_its_row_of_the_health_report(api):
    every = {r["account_id"]: r for r in api.get("/v1/health").json()["items"]}
    body = api.get("/v1/accounts/acc_ny", params={"include": "health"}).json()
    assert body["health"] == every["acc_ny"] and body["revenue"] is None
