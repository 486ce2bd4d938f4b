"""`revops sync salesforce`: SOQL by LastModifiedDate, followed through nextRecordsUrl, into
the store; REQUEST_LIMIT_EXCEEDED, outages and timeouts retried; a refused session stores nothing."""

from __future__ import annotations

from datetime import datetime

import pytest

from revops.connectors import ConnectorError, RetryPolicy, crm
from revops.connectors.cursor import read_cursor, read_cursors
from revops.connectors.sync import run_sync
from revops.ingest.pipeline import list_quarantine

TABLES = ("users", "accounts", "leads", "contacts", "opportunities")


def day(n: int, hour: int = 9) -> datetime:
    return datetime(2026, 1, n, hour)


def seed(api) -> None:
    api.add("User", "005A", day(1), Name="Ana Ng", Email="ana@acme.test", IsActive=True, Department="West",
            TimeZoneSidKey="Europe/Paris")
    api.add("Account", "001A", day(2), Name="Acme", Website="acme.test", NumberOfEmployees=120, OwnerId="005A")
    api.add("Lead", "00QA", day(3), Email="ava@solo.test", LastName="Li", Company="Solo", Status="Working - Contacted",
            OwnerId="005A", IsConverted=False)
    api.add("Lead", "00QB", day(4), Email="bo@solo.test", LastName="Bo", Company="Solo",
            Status="Open - Not Contacted")
    api.add("Contact", "003A", day(5), AccountId="001A", Email="cy@acme.test", LastName="Cy")
    api.add("Opportunity", "006A", day(6), AccountId="001A", Name="Acme platform", StageName="Negotiation/Review",
            Amount=48000.0, CloseDate="2026-03-31", OwnerId="005A", ForecastCategoryName="Commit")


def by_object(report) -> dict[str, object]:
    return {run.object: run for run in report.objects}


def test_a_first_sync_pulls_every_object_into_its_table(store, salesforce_api, salesforce):
    seed(salesforce_api)

    report = run_sync(store, salesforce)

    assert {o: (r.table, r.pulled, r.stored, r.quarantined) for o, r in by_object(report).items()} == {
        "User": ("users", 1, 1, 0), "Account": ("accounts", 1, 1, 0), "Lead": ("leads", 2, 2, 0),
        "Contact": ("contacts", 1, 1, 0), "Opportunity": ("opportunities", 1, 1, 0)}
    assert store.query("SELECT lead_id, status, owner_id, converted FROM leads ORDER BY lead_id") == [
        {"lead_id": "00QA", "status": "sal", "owner_id": "005A", "converted": False},
        {"lead_id": "00QB", "status": "new", "owner_id": None, "converted": None}]
    assert store.query("SELECT opportunity_id, account_id, stage, forecast_category, amount FROM opportunities") == [
        {"opportunity_id": "006A", "account_id": "001A", "stage": "negotiation", "forecast_category": "commit",
         "amount": 48000.0}]
    assert store.query("SELECT user_id, name, team, timezone, active FROM users") == [
        {"user_id": "005A", "name": "Ana Ng", "team": "West", "timezone": "Europe/Paris", "active": True}]
    assert read_cursors(store, "salesforce") == {"User": day(1), "Account": day(2), "Lead": day(4),
                                                 "Contact": day(5), "Opportunity": day(6)}


def test_the_query_asks_for_standard_fields_only_modified_since_the_cursor_oldest_first(
        store, salesforce_api, salesforce):
    seed(salesforce_api)
    run_sync(store, salesforce)
    salesforce_api.add("Lead", "00QC", day(9), Email="new@x.test", LastName="New", Company="X",
                       Status="Open - Not Contacted")
    salesforce_api.requests.clear()

    report = run_sync(store, salesforce)

    queries = [c.query["q"][0] for c in salesforce_api.calls("GET", "/query")]
    soql = {q.split(" FROM ")[1].split()[0]: q for q in queries}
    assert soql["Lead"].endswith(" FROM Lead WHERE LastModifiedDate >= 2026-01-04T08:55:00Z "
                                 "ORDER BY LastModifiedDate ASC")
    assert "Loss_Reason__c" not in soql["Opportunity"]  # an org may lack the preset's custom field
    lead = by_object(report)["Lead"]
    assert (lead.cursor_before, lead.pulled, lead.cursor_after) == (day(4), 2, day(9))  # 00QB again, then 00QC
    assert store.query("SELECT count(*) AS n FROM leads")[0]["n"] == 3


def test_since_overrides_the_cursor(store, salesforce_api, salesforce):
    seed(salesforce_api)
    run_sync(store, salesforce)

    report = run_sync(store, salesforce, since=day(3))

    assert by_object(report)["Lead"].pulled == 2 and by_object(report)["Account"].pulled == 0
    lead_query = [c.query["q"][0] for c in salesforce_api.calls("GET", "/query") if "FROM Lead" in c.query["q"][0]]
    assert "WHERE LastModifiedDate >= 2026-01-03T09:00:00Z" in lead_query[-1]  # no overlap taken off --since


def test_next_records_url_is_followed_page_by_page(store, salesforce_api, salesforce):
    salesforce_api.page_size = 2
    for i in range(5):
        salesforce_api.add("Lead", f"00Q{i}", day(2 + i), Email=f"p{i}@x.test", LastName="P", Company="X")

    report = run_sync(store, salesforce)

    assert by_object(report)["Lead"].pulled == 5
    pages = [c.path for c in salesforce_api.calls("GET", "/query/01gFAKE")]
    assert len(pages) == 2 and pages[0].endswith("-2") and pages[1].endswith("-4")
    assert store.query("SELECT count(*) AS n FROM leads")[0]["n"] == 5


def test_request_limit_exceeded_and_server_errors_are_retried_with_backoff(store, salesforce_api, salesforce, waits):
    seed(salesforce_api)
    salesforce_api.fail(403, path="/query")  # REQUEST_LIMIT_EXCEEDED
    salesforce_api.fail(503, path="/query")

    report = run_sync(store, salesforce)

    assert waits == [1.0, 2.0]
    assert by_object(report)["User"].stored == 1


def test_a_rate_limit_with_retry_after_waits_that_long(store, salesforce_api, salesforce, waits):
    seed(salesforce_api)
    salesforce_api.fail(429, path="/query", headers={"Retry-After": "3"},
                        body=[{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])

    run_sync(store, salesforce)

    assert waits == [3.0]


def test_a_timeout_is_retried(store, salesforce_api, salesforce_env, waits):
    seed(salesforce_api)
    connector = crm("salesforce", salesforce_env, policy=RetryPolicy(sleep=waits.append), timeout=0.2)
    salesforce_api.fail(200, path="/query", delay=0.5)

    report = run_sync(store, connector)

    assert waits == [1.0]
    assert by_object(report)["User"].stored == 1


def test_a_refused_session_stores_nothing_and_moves_no_cursor(store, salesforce_api, salesforce_env, waits):
    seed(salesforce_api)
    connector = crm("salesforce", {**salesforce_env, "SALESFORCE_ACCESS_TOKEN": "expired"},
                    policy=RetryPolicy(sleep=waits.append))

    with pytest.raises(ConnectorError, match="refused the session .401 INVALID_SESSION_ID.*SALESFORCE_ACCESS_TOKEN"):
        run_sync(store, connector)

    assert waits == []
    assert store.row_counts(TABLES) == dict.fromkeys(TABLES, 0)
    assert read_cursor(store, "salesforce", "User") is None


def test_a_bad_field_in_the_query_is_not_retried(store, salesforce_api, salesforce, waits):
    seed(salesforce_api)
    salesforce_api.fields["User"].discard("Division")  # a field the org's profile cannot see

    with pytest.raises(ConnectorError, match="INVALID_FIELD.*Division") as caught:
        run_sync(store, salesforce)

    assert caught.value.retryable is False and waits == []


def test_an_untrusted_certificate_is_refused_with_what_to_set(store, salesforce_api, salesforce_env, waits):
    env = {k: v for k, v in salesforce_env.items() if k != "SALESFORCE_CA_BUNDLE"}
    connector = crm("salesforce", env, policy=RetryPolicy(sleep=waits.append))

    with pytest.raises(ConnectorError, match="SALESFORCE_CA_BUNDLE"):
        run_sync(store, connector)

    assert waits == []


def test_a_record_the_model_cannot_read_is_quarantined_and_the_others_stored(store, salesforce_api, salesforce):
    seed(salesforce_api)
    salesforce_api.add("Opportunity", "006B", day(7), Name="Odd", StageName="Haggling", CloseDate="someday")

    report = run_sync(store, salesforce)

    opportunities = by_object(report)["Opportunity"]
    assert (opportunities.pulled, opportunities.stored, opportunities.quarantined) == (2, 1, 1)
    reasons = {q["column"]: q["reason"] for q in list_quarantine(store, "opportunities")}
    assert "unknown pipeline stage 'Haggling'" in reasons["StageName"]
    assert "someday" in reasons["CloseDate"]
    assert store.query("SELECT opportunity_id FROM opportunities") == [{"opportunity_id": "006A"}]
