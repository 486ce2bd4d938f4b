"""Workflows' CRM actions: owner, score and lifecycle stage written back under each CRM's
field names, and a task made once per key however often it is asked for."""

from __future__ import annotations

from datetime import datetime

import pytest

from revops.connectors import ConnectorError


def test_hubspot_write_back_sets_owner_score_and_lifecycle_stage(hubspot_api, hubspot):
    hubspot_api.add("contacts", "101", datetime(2026, 1, 3), email="ava@acme.test", lifecyclestage="lead")

    answer = hubspot.write_back("leads", "101", {"owner_id": "7", "score": 82.5, "lifecycle_stage": "mql"},
                                key="wf-1:route")

    assert hubspot_api.updates == [("contacts", "101", {"hubspot_owner_id": "7", "revops_score": "82.5",
                                                        "lifecyclestage": "marketingqualifiedlead"})]
    assert answer == {"system": "hubspot", "object": "contacts", "id": "101", "key": "wf-1:route",
                      "fields": {"hubspot_owner_id": "7", "revops_score": "82.5",
                                 "lifecyclestage": "marketingqualifiedlead"}}
    assert [c.headers["Authorization"] for c in hubspot_api.calls("PATCH")] == [f"Bearer {hubspot_api.token}"]


def test_hubspot_write_back_to_accounts_and_deals_goes_to_companies_and_deals(hubspot_api, hubspot):
    hubspot_api.add("companies", "501", datetime(2026, 1, 2), name="Acme")
    hubspot_api.add("deals", "901", datetime(2026, 1, 5), dealname="Big", dealstage="qualifiedtobuy")

    hubspot.write_back("accounts", "501", {"owner_id": "8", "lifecycle_stage": "customer"}, key="k1")
    hubspot.write_back("opportunities", "901", {"stage": "closed_won", "score": 40}, key="k2")

    assert hubspot_api.updates == [("companies", "501", {"hubspot_owner_id": "8", "lifecyclestage": "customer"}),
                                   ("deals", "901", {"dealstage": "closedwon", "revops_score": "40"})]


def test_hubspot_write_back_to_a_portal_without_the_score_property_says_which_property(hubspot_api, hubspot, waits):
    hubspot_api.add("contacts", "101", datetime(2026, 1, 3), email="ava@acme.test")
    hubspot_api.properties["contacts"].discard("revops_score")

    with pytest.raises(ConnectorError, match='revops_score.*does not exist') as caught:
        hubspot.write_back("leads", "101", {"score": 82}, key="k")

    assert caught.value.retryable is False and waits == [] and hubspot_api.updates == []


def test_a_field_that_cannot_be_written_back_is_refused_before_any_call(hubspot_api, hubspot):
    with pytest.raises(ConnectorError, match="cannot write 'lead_id'.*writable fields are .*owner_id"):
        hubspot.write_back("leads", "101", {"lead_id": "x"}, key="k")
    with pytest.raises(ConnectorError, match="opportunities have no lifecycle_stage"):
        hubspot.write_back("opportunities", "901", {"lifecycle_stage": "mql"}, key="k")
    assert hubspot_api.requests == []


def test_hubspot_create_task_twice_with_one_key_makes_one_task(hubspot_api, hubspot):
    hubspot_api.add("contacts", "101", datetime(2026, 1, 3), email="ava@acme.test")
    ask = {"subject": "Call Ava within the hour", "table": "leads", "record_id": "101", "owner_id": "7",
           "due_at": datetime(2026, 1, 6, 10), "body": "MQL from the pricing page", "key": "wf-42/step-3"}

    first = hubspot.create_task(**ask)
    second = hubspot.create_task(**ask)

    assert first == second
    tasks = hubspot_api.tasks()
    assert len(tasks) == 1 and tasks[0]["id"] == first
    assert {k: tasks[0]["properties"].get(k) for k in ("revops_key", "hs_task_subject", "hubspot_owner_id",
                                                        "hs_timestamp", "hs_task_body")} == {
        "revops_key": "wf-42/step-3", "hs_task_subject": "Call Ava within the hour", "hubspot_owner_id": "7",
        "hs_timestamp": "2026-01-06T10:00:00Z", "hs_task_body": "MQL from the pricing page"}
    assert hubspot_api.associations[("tasks", first)] == [("contacts", "101", 204)]
    assert len(hubspot_api.calls("POST", "/tasks/batch/upsert")) == 1


def test_hubspot_create_task_retried_after_a_lost_answer_still_makes_one_task(hubspot_api, hubspot, waits):
    hubspot_api.add("deals", "901", datetime(2026, 1, 5), dealname="Big")
    hubspot_api.fail(502, path="/associations/default")  # the task is made, then the association call fails

    first = hubspot.create_task(subject="Send the order form", table="opportunities", record_id="901", key="wf-7")
    again = hubspot.create_task(subject="Send the order form", table="opportunities", record_id="901", key="wf-7")

    assert first == again and len(hubspot_api.tasks()) == 1 and waits == [1.0]
    assert hubspot_api.associations[("tasks", first)] == [("deals", "901", 216)]


def test_salesforce_write_back_sets_owner_score_and_status(salesforce_api, salesforce):
    salesforce_api.add("Lead", "00QA", datetime(2026, 1, 3), LastName="Li", Company="Solo",
                       Status="Open - Not Contacted")

    answer = salesforce.write_back("leads", "00QA", {"owner_id": "005B", "score": 82, "lifecycle_stage": "sal"},
                                   key="wf-1:route")

    assert salesforce_api.updates == [("Lead", "00QA", {"OwnerId": "005B", "Revops_Score__c": 82,
                                                        "Status": "Working - Contacted"})]
    assert answer["id"] == "00QA" and answer["status"] == 204 and answer["fields"]["Status"] == "Working - Contacted"


def test_salesforce_write_back_to_contacts_uses_the_revops_lifecycle_field(salesforce_api, salesforce):
    salesforce_api.add("Contact", "003A", datetime(2026, 1, 3), LastName="Cy")
    salesforce_api.add("Opportunity", "006A", datetime(2026, 1, 3), Name="Big", StageName="Prospecting")

    salesforce.write_back("contacts", "003A", {"owner_id": "005B", "lifecycle_stage": "customer"}, key="k1")
    salesforce.write_back("opportunities", "006A", {"stage": "proposal"}, key="k2")

    assert salesforce_api.updates == [
        ("Contact", "003A", {"OwnerId": "005B", "Revops_Lifecycle_Stage__c": "customer"}),
        ("Opportunity", "006A", {"StageName": "Proposal/Price Quote"})]


def test_salesforce_write_back_to_a_missing_record_is_not_retried(salesforce_api, salesforce, waits):
    with pytest.raises(ConnectorError, match="404 NOT_FOUND") as caught:
        salesforce.write_back("leads", "00Qgone", {"owner_id": "005B"}, key="k")
    assert caught.value.retryable is False and waits == []


def test_salesforce_create_task_twice_with_one_key_makes_one_task(salesforce_api, salesforce):
    ask = {"subject": "Send the order form", "table": "opportunities", "record_id": "006A", "owner_id": "005A",
           "due_at": datetime(2026, 1, 6, 10), "body": "Closed won pending paperwork", "key": "wf-42/step 3"}

    first = salesforce.create_task(**ask)
    second = salesforce.create_task(**ask)

    assert first == second
    assert salesforce_api.tasks() == [{
        "Id": first, "CreatedDate": salesforce_api.tasks()[0]["CreatedDate"],
        "LastModifiedDate": salesforce_api.tasks()[0]["LastModifiedDate"], "Revops_Key__c": "wf-42/step 3",
        "Subject": "Send the order form", "WhatId": "006A", "OwnerId": "005A", "ActivityDate": "2026-01-06",
        "Description": "Closed won pending paperwork"}]
    assert len(salesforce_api.calls("PATCH", "/sobjects/Task/Revops_Key__c/")) == 1


def test_salesforce_create_task_after_a_lost_answer_finds_the_task_it_made(salesforce_api, salesforce, waits):
    salesforce_api.fail(503, path="/sobjects/Task/Revops_Key__c", times=1)

    first = salesforce.create_task(subject="Call", table="leads", record_id="00QA", key="wf-9")
    again = salesforce.create_task(subject="Call", table="leads", record_id="00QA", key="wf-9")

    assert first == again and len(salesforce_api.tasks()) == 1 and waits == [1.0]
    assert salesforce_api.tasks()[0]["WhoId"] == "00QA"
