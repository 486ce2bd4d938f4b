"""`revops sync hubspot`: what changed in HubSpot since the cursor lands in the store, page by
page, through rate limits and outages, and nothing moves when HubSpot refuses the token."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from revops.connectors import ConnectorError, RetryPolicy, crm
from revops.connectors.cursor import read_cursor, read_cursors
from revops.connectors.sync import run_sync
from revops.ingest.pipeline import list_quarantine

JAN = datetime(2026, 1, 1)


def day(n: int, hour: int = 9) -> datetime:
    return JAN.replace(day=n, hour=hour)


def seed(api) -> None:
    api.add_owner("7", "ana@acme.test", "Ana", "Ng", day(1), team="West")
    api.add("companies", "501", day(2), name="Acme", domain="acme.test", numberofemployees="120", hubspot_owner_id="7")
    api.add("contacts", "101", day(3), email="ava@acme.test", firstname="Ava", lastname="Li",
            lifecyclestage="marketingqualifiedlead", hubspot_owner_id="7", associatedcompanyid="501")
    api.add("contacts", "102", day(4), email="bo@solo.test", firstname="Bo", lifecyclestage="lead")
    api.add("deals", "901", day(5), dealname="Acme platform", dealstage="contractsent", amount="48000",
            closedate="2026-03-31T00:00:00Z", hubspot_owner_id="7")
    api.associate("deals", "901", "companies", "501", 5)


def epoch_ms(moment: datetime) -> str:
    return str(int(moment.replace(tzinfo=timezone.utc).timestamp() * 1000))


def by_object(report) -> dict[tuple[str, str], object]:
    return {(run.object, run.table): run for run in report.objects}


def test_a_first_sync_pulls_everything_into_the_canonical_tables(store, hubspot_api, hubspot):
    seed(hubspot_api)
    report = run_sync(store, hubspot)

    runs = by_object(report)
    assert {k: (r.pulled, r.stored, r.quarantined) for k, r in runs.items()} == {
        ("owners", "users"): (1, 1, 0), ("companies", "accounts"): (1, 1, 0), ("contacts", "leads"): (2, 2, 0),
        ("contacts", "contacts"): (1, 1, 0), ("deals", "opportunities"): (1, 1, 0)}
    assert store.query("SELECT lead_id, email, status, owner_id FROM leads ORDER BY lead_id") == [
        {"lead_id": "101", "email": "ava@acme.test", "status": "mql", "owner_id": "7"},
        {"lead_id": "102", "email": "bo@solo.test", "status": "new", "owner_id": None}]
    assert store.query("SELECT contact_id, account_id FROM contacts") == [{"contact_id": "101", "account_id": "501"}]
    deal = store.query("SELECT opportunity_id, account_id, stage, amount, close_date, owner_id FROM opportunities")[0]
    assert deal == {"opportunity_id": "901", "account_id": "501", "stage": "negotiation", "amount": 48000.0,
                    "close_date": datetime(2026, 3, 31).date(), "owner_id": "7"}
    assert store.query("SELECT user_id, name, email, team, active FROM users") == [
        {"user_id": "7", "name": "Ana Ng", "email": "ana@acme.test", "team": "West", "active": True}]
    assert read_cursors(store, "hubspot") == {"owners": day(1), "companies": day(2), "contacts": day(4),
                                              "deals": day(5)}
    assert store.query("SELECT DISTINCT source_kind FROM _ingest_runs") == [{"source_kind": "hubspot"}]


def test_the_next_sync_asks_only_for_what_changed_since_the_cursor(store, hubspot_api, hubspot):
    seed(hubspot_api)
    run_sync(store, hubspot)
    hubspot_api.add("contacts", "103", day(10), email="cy@new.test", lifecyclestage="salesqualifiedlead")
    hubspot_api.requests.clear()

    report = run_sync(store, hubspot)

    contacts = by_object(report)[("contacts", "leads")]
    assert (contacts.cursor_before, contacts.pulled, contacts.cursor_after) == (day(4), 2, day(10))
    # the cursor less five minutes of overlap: 102 (modified at the cursor) comes again, unchanged
    search = hubspot_api.calls("POST", "/contacts/search")[0].body
    assert search["filterGroups"] == [{"filters": [
        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": epoch_ms(day(4) - timedelta(minutes=5))}]}]
    assert search["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
    deals = by_object(report)[("deals", "opportunities")]
    assert (deals.pulled, deals.cursor_after) == (1, day(5))  # 901, at the cursor, read again: no new history
    assert store.query("SELECT count(*) AS n FROM opportunity_history")[0]["n"] == 1
    assert store.query("SELECT count(*) AS n FROM leads")[0]["n"] == 3
    runs = store.query("SELECT pulled, stored FROM _sync_runs WHERE object = 'contacts' AND table_name = 'leads' "
                       "ORDER BY started_at")
    assert [(r["pulled"], r["stored"]) for r in runs] == [(2, 2), (2, 2)]


def test_since_overrides_the_cursor(store, hubspot_api, hubspot):
    seed(hubspot_api)
    run_sync(store, hubspot)

    report = run_sync(store, hubspot, since=day(3))

    runs = by_object(report)
    assert runs[("contacts", "leads")].pulled == 2  # 101 (day 3) again, though the cursor is at day 4
    assert runs[("companies", "accounts")].pulled == 0  # Acme changed on day 2, before --since
    assert runs[("contacts", "leads")].cursor_after == day(4)  # a cursor never moves back


def test_pages_are_followed_until_hubspot_gives_no_next_page(store, hubspot_api, hubspot_env, waits):
    for i in range(7):
        hubspot_api.add("contacts", str(200 + i), day(2 + i), email=f"p{i}@x.test", lifecyclestage="lead")
    connector = crm("hubspot", hubspot_env, policy=RetryPolicy(sleep=waits.append), page_size=3,
                    searches_per_second=1e9)

    report = run_sync(store, connector)

    assert by_object(report)[("contacts", "leads")].pulled == 7
    afters = [c.body.get("after") for c in hubspot_api.calls("POST", "/contacts/search")]
    assert afters == [None, "3", "6"]
    assert store.query("SELECT count(*) AS n FROM leads")[0]["n"] == 7


def test_past_hubspots_search_result_limit_the_search_starts_again_from_the_last_date(
        store, hubspot_api, hubspot_env, waits):
    hubspot_api.search_cap = 4  # HubSpot's is 10,000: asking for result 10,001 is refused with a 400
    stamps = [day(2), day(3), day(3), day(4), day(4), day(5), day(6), day(6), day(7)]
    for i, stamp in enumerate(stamps):
        hubspot_api.add("contacts", str(300 + i), stamp, email=f"w{i}@x.test", lifecyclestage="lead")
    connector = crm("hubspot", hubspot_env, policy=RetryPolicy(sleep=waits.append), page_size=2,
                    searches_per_second=1e9, search_results=4)

    report = run_sync(store, connector)

    assert by_object(report)[("contacts", "leads")].pulled == 9  # each once, none lost at a window's edge
    assert store.query("SELECT count(*) AS n FROM leads")[0]["n"] == 9
    assert len({c.body.get("filterGroups", [{}])[0].get("filters", [{}])[0].get("value")
                for c in hubspot_api.calls("POST", "/contacts/search")}) >= 3


def test_a_429_waits_as_long_as_retry_after_says_then_goes_on(store, hubspot_api, hubspot, waits):
    seed(hubspot_api)
    hubspot_api.fail(429, path="/contacts/search", headers={"Retry-After": "7"})

    report = run_sync(store, hubspot)

    assert waits == [7.0]
    assert by_object(report)[("contacts", "leads")].stored == 2


def test_a_429_without_retry_after_waits_out_hubspots_ten_second_window(store, hubspot_api, hubspot, waits):
    seed(hubspot_api)
    hubspot_api.fail(429, path="/deals/search")

    run_sync(store, hubspot)

    assert waits == [10.0]
    assert store.query("SELECT count(*) AS n FROM opportunities")[0]["n"] == 1


def test_server_errors_are_retried_with_exponential_backoff(store, hubspot_api, hubspot, waits):
    seed(hubspot_api)
    hubspot_api.fail(502, times=2, path="/companies/search")

    run_sync(store, hubspot)

    assert waits == [1.0, 2.0]
    assert store.query("SELECT account_id FROM accounts") == [{"account_id": "501"}]


def test_when_retries_run_out_the_error_says_to_try_later_and_the_cursor_stays(store, hubspot_api, hubspot, waits):
    seed(hubspot_api)
    run_sync(store, hubspot)
    hubspot_api.add("deals", "902", day(20), dealname="More", dealstage="closedwon", amount="10")
    hubspot_api.fail(503, times=5, path="/deals/search")

    with pytest.raises(ConnectorError, match="gave up after 5 attempts") as caught:
        run_sync(store, hubspot)

    assert caught.value.retryable is True
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert read_cursor(store, "hubspot", "deals") == day(5)
    assert store.query("SELECT opportunity_id FROM opportunities") == [{"opportunity_id": "901"}]


def test_a_daily_limit_is_not_retried(store, hubspot_api, hubspot, waits):
    seed(hubspot_api)
    hubspot_api.fail(429, body={"status": "error", "message": "You have reached your daily limit.",
                                "errorType": "RATE_LIMIT", "policyName": "DAILY"})

    with pytest.raises(ConnectorError, match="daily API limit") as caught:
        run_sync(store, hubspot)

    assert caught.value.retryable is False and waits == []


def test_a_refused_token_stores_nothing_and_moves_no_cursor(store, hubspot_api, hubspot_env, waits):
    seed(hubspot_api)
    connector = crm("hubspot", {**hubspot_env, "HUBSPOT_ACCESS_TOKEN": "pat-revoked"},
                    policy=RetryPolicy(sleep=waits.append))

    with pytest.raises(ConnectorError, match="HubSpot refused the access token .401.*HUBSPOT_ACCESS_TOKEN") as caught:
        run_sync(store, connector)

    assert caught.value.retryable is False and waits == []
    assert store.row_counts(("users", "accounts", "leads", "contacts", "opportunities")) == dict.fromkeys(
        ("users", "accounts", "leads", "contacts", "opportunities"), 0)
    assert read_cursors(store, "hubspot") == {}
    assert store.query("SELECT object, status FROM _sync_runs") == [{"object": "owners", "status": "failed"}]


def test_a_record_the_model_cannot_read_is_quarantined_with_its_reason_and_the_others_stored(
        store, hubspot_api, hubspot):
    seed(hubspot_api)
    hubspot_api.add("deals", "902", day(6), dealname="Odd", dealstage="1234567", amount="lots")

    report = run_sync(store, hubspot)

    deals = by_object(report)[("deals", "opportunities")]
    assert (deals.pulled, deals.stored, deals.quarantined) == (2, 1, 1)
    assert store.query("SELECT opportunity_id FROM opportunities") == [{"opportunity_id": "901"}]
    reasons = {q["column"]: q["reason"] for q in list_quarantine(store, "opportunities") if q["record_id"] == "902"}
    assert "unknown pipeline stage '1234567'" in reasons["dealstage"]
    assert "'lots' is not a number" in reasons["amount"]
    assert deals.cursor_after == day(6)  # quarantined with its reason: a re-pull would not fix it


class CrashWhileStoring:
    """Progress that dies as the ingest of ``table`` is about to start: a killed sync."""

    def __init__(self, table: str) -> None:
        self.table = table

    def pulled(self, obj: str, count: int, total: int | None) -> None:
        pass

    def storing(self, obj: str, table: str) -> None:
        if table == self.table:
            raise KeyboardInterrupt


def test_a_sync_killed_before_an_object_is_stored_leaves_its_cursor_and_the_next_sync_pulls_it_again(
        store, hubspot_api, hubspot):
    seed(hubspot_api)

    with pytest.raises(KeyboardInterrupt):
        run_sync(store, hubspot, progress=CrashWhileStoring("contacts"))  # leads stored, contacts not yet

    assert read_cursors(store, "hubspot") == {"owners": day(1), "companies": day(2)}
    assert store.query("SELECT count(*) AS n FROM contacts")[0]["n"] == 0

    report = run_sync(store, hubspot)

    runs = by_object(report)
    assert (runs[("contacts", "leads")].pulled, runs[("contacts", "contacts")].stored) == (2, 1)
    assert store.query("SELECT count(*) AS n FROM leads")[0]["n"] == 2
    assert read_cursor(store, "hubspot", "contacts") == day(4)


def test_every_record_pulled_is_stored_or_quarantined_in_the_sync_record(store, hubspot_api, hubspot):
    seed(hubspot_api)
    hubspot_api.add("contacts", "104", day(6), email="not-an-email", lifecyclestage="lead")
    run_sync(store, hubspot)

    runs = store.query("SELECT object, table_name, pulled, stored, quarantined, status FROM _sync_runs")

    assert all(r["pulled"] == r["stored"] + r["quarantined"] and r["status"] == "ok" for r in runs)
    assert sum(r["quarantined"] for r in runs) == 1


def test_a_timeout_is_retried(store, hubspot_api, hubspot_env, waits):
    seed(hubspot_api)
    connector = crm("hubspot", hubspot_env, policy=RetryPolicy(sleep=waits.append), timeout=0.2,
                    searches_per_second=1e9)
    hubspot_api.fail(200, path="/companies/search", delay=0.5)

    report = run_sync(store, connector)

    assert waits == [1.0]
    assert by_object(report)[("companies", "accounts")].stored == 1


def test_owners_changed_before_the_cursor_are_left_out(store, hubspot_api, hubspot):
    seed(hubspot_api)  # Ana, changed on day 1
    hubspot_api.add_owner("9", "lee@acme.test", "Lee", "Park", day(3))
    run_sync(store, hubspot)
    hubspot_api.add_owner("8", "raj@acme.test", "Raj", "Iyer", day(12), team="East")

    report = run_sync(store, hubspot)

    owners = by_object(report)[("owners", "users")]
    assert (owners.cursor_before, owners.pulled, owners.cursor_after) == (day(3), 2, day(12))  # Lee again, Raj
    assert store.query("SELECT user_id FROM users ORDER BY user_id") == [
        {"user_id": "7"}, {"user_id": "8"}, {"user_id": "9"}]
