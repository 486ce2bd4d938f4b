"""The OpenAPI document describes what the routes take, including the body and header the
lead intake reads itself."""

from __future__ import annotations

from tests.api.conftest import serving


def test_the_lead_intake_is_documented_with_its_body_header_and_answers(org_db):
    with serving(org_db) as api:
        doc = api.get("/openapi.json").json()
        docs_page = api.get("/docs")
    post = doc["paths"]["/v1/leads"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/LeadIn"}
    assert [p["name"] for p in post["parameters"]] == ["Idempotency-Key"]
    assert {"200", "422", "503"} <= set(post["responses"])
    lead = doc["components"]["schemas"]["LeadIn"]
    assert lead["required"] == ["lead_id"]
    assert lead["properties"]["company_size"]["anyOf"][0]["minimum"] == 0
    assert lead["properties"]["touches"]["anyOf"][0]["items"] == {"$ref": "#/components/schemas/TouchIn"}
    assert "TouchIn" in doc["components"]["schemas"] and "LeadAccepted" in doc["components"]["schemas"]
    assert {"/v1/leads/{lead_id}", "/v1/users/{user_id}", "/health"} <= set(doc["paths"])
    assert docs_page.status_code == 404  # no page that loads scripts from a CDN
