"""Journeys from the store: which touches led to which conversion, and what it was worth.

Acme buys in January; a month later it weighs an expansion it loses. Globex renews.
Initech closes a deal nobody in Marketing touched.

    L1 (Ana, Acme) lead created Jan 5 10:00, converted into O1
    L2 (Bo)        lead created Jan 10, never converted

    O1 Acme new business, lead L1, contact C1: created Jan 20, won Feb 15, $10,000
    O2 Acme expansion:                          created Mar 1,  lost Mar 20, $5,000
    O3 Globex renewal:                          created Feb 1,  won Feb 28,  $8,000
    O4 Initech new business (no lead, no contact): created Feb 10, won Feb 28, $3,000

    t1 Jan 1  L1 paid_search (campaign S)
    t2 Jan 5  L1 webinar          (10:00: the touch that created the lead)
    t3 Jan 12 L1 email
    t4 Jan 18 C1 event            (the contact, no lead on the touch)
    t5 Jan 25 Acme, no channel, campaign X (content)
    t6 Feb 20 L1 direct
    t7 Jan 15 L2 no channel, no campaign
    t8 Feb 5  Globex webinar
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from revops.engines.attribution import JourneyRequest, attribute, load_journeys, rows
from revops.model import load_model

T = datetime


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    from tests.gtm import store_with

    store = store_with(
        tmp_path_factory.mktemp("attribution") / "crm.duckdb",
        leads=[{"lead_id": "L1", "created_at": T(2026, 1, 5, 10), "converted_opportunity_id": "O1"},
               {"lead_id": "L2", "created_at": T(2026, 1, 10)}],
        opportunities=[
            {"opportunity_id": "O1", "lead_id": "L1", "contact_id": "C1", "account_id": "acme", "type": "new_business",
             "created_at": T(2026, 1, 20), "close_date": date(2026, 2, 15), "stage": "closed_won", "amount": 10_000.0},
            {"opportunity_id": "O2", "account_id": "acme", "type": "expansion", "created_at": T(2026, 3, 1),
             "close_date": date(2026, 3, 20), "stage": "closed_lost", "amount": 5_000.0},
            {"opportunity_id": "O3", "account_id": "globex", "type": "renewal", "created_at": T(2026, 2, 1),
             "close_date": date(2026, 2, 28), "stage": "closed_won", "amount": 8_000.0},
            {"opportunity_id": "O4", "account_id": "initech", "type": "new_business", "created_at": T(2026, 2, 10),
             "close_date": date(2026, 2, 28), "stage": "closed_won", "amount": 3_000.0}],
        campaigns=[{"campaign_id": "S", "name": "Search Q1", "channel": "paid_search", "cost": 2_000.0},
                   {"campaign_id": "X", "name": "Guide", "channel": "content", "cost": 1_000.0},
                   {"campaign_id": "Z", "name": "Podcast", "channel": "content", "cost": 500.0}],
        touches=[
            {"touch_id": "t1", "occurred_at": T(2026, 1, 1), "lead_id": "L1", "channel": "paid_search", "campaign_id": "S"},
            {"touch_id": "t2", "occurred_at": T(2026, 1, 5, 10), "lead_id": "L1", "channel": "webinar"},
            {"touch_id": "t3", "occurred_at": T(2026, 1, 12), "lead_id": "L1", "channel": "email"},
            {"touch_id": "t4", "occurred_at": T(2026, 1, 18), "contact_id": "C1", "channel": "event"},
            {"touch_id": "t5", "occurred_at": T(2026, 1, 25), "account_id": "acme", "campaign_id": "X"},
            {"touch_id": "t6", "occurred_at": T(2026, 2, 20), "lead_id": "L1", "channel": "direct"},
            {"touch_id": "t7", "occurred_at": T(2026, 1, 15), "lead_id": "L2"},
            {"touch_id": "t8", "occurred_at": T(2026, 2, 5), "account_id": "globex", "channel": "webinar"}],
    )
    yield store
    store.close()


def stored(crm, **request):
    return load_journeys(crm.ibis, load_model(None), JourneyRequest(**request))


def journey_table(s) -> dict[tuple[str, ...], tuple[float, float, float]]:
    j = s.journeys
    return {j.path(i): (j.conversions[i], j.value[i], j.nulls[i]) for i in range(j.count)}


def test_each_touch_counts_for_the_first_opportunity_created_after_it(crm):
    s = stored(crm)
    assert journey_table(s) == {
        # O1: the lead's touches, and the contact's event, up to its creation on Jan 20
        ("paid_search", "webinar", "email", "event"): (1.0, 1.0, 0.0),
        # O2: the account-level touch of Jan 25 (after O1 was created) led to the expansion
        ("content",): (1.0, 1.0, 0.0),
        # after every opportunity it could belong to: Ana's journey goes on, not converted yet
        ("direct",): (0.0, 0.0, 1.0),
        ("(no channel)",): (0.0, 0.0, 1.0),  # Bo
        ("webinar",): (0.0, 0.0, 1.0),  # Globex: its renewal is not counted by default
    }
    # Initech's deal had no touch before it: nobody to credit
    assert s.conversions_without_touches == 1.0


def test_pipeline_is_worth_the_opportunity_amount(crm):
    s = stored(crm, conversion="pipeline")
    table = journey_table(s)
    assert table[("paid_search", "webinar", "email", "event")] == (1.0, 10_000.0, 0.0)
    assert table[("content",)] == (1.0, 5_000.0, 0.0)
    assert s.value_without_touches == 3_000.0


def test_revenue_journeys_run_to_the_close_and_a_lost_deal_ends_one_without_converting(crm):
    s = stored(crm, conversion="revenue")
    table = journey_table(s)
    # O1 won Feb 15: the account touch of Jan 25 was during its sales cycle
    assert table[("paid_search", "webinar", "email", "event", "content")] == (1.0, 10_000.0, 0.0)
    # O2 was lost: no touch was left for it (t5 went to the earlier end); Ana's Feb 20 touch is after O1
    assert table[("direct",)] == (0.0, 0.0, 1.0)
    assert sum(v for _, v, _ in table.values()) == 10_000.0
    assert (s.conversions_without_touches, s.value_without_touches) == (1.0, 3_000.0)  # Initech


def test_only_the_opportunity_types_asked_for(crm):
    # Globex's touch of Feb 5 came after its renewal was created (Feb 1), before it was won (Feb 28)
    assert journey_table(stored(crm, opportunity_types=("renewal",)))[("webinar",)] == (0.0, 0.0, 1.0)
    s = stored(crm, conversion="revenue", opportunity_types=("renewal",))
    assert journey_table(s)[("webinar",)] == (1.0, 8_000.0, 0.0)
    assert s.journeys.total_conversions == 1.0


def test_milestones_and_days_before_the_conversion(crm):
    s = stored(crm, conversion="revenue")
    j = s.journeys
    i = next(i for i in range(j.count) if j.conversions[i])
    touches = slice(j.bounds[i], j.bounds[i + 1])
    # the lead was created by the webinar at 10:00 on Jan 5; the opportunity on Jan 20, after the event
    assert j.lead_created[touches].tolist() == [False, True, False, False, False]
    assert j.opportunity_created[touches].tolist() == [False, False, False, True, False]
    # the journey ends at the end of Feb 15 (the close date): Jan 1 is 46 days before, Jan 25 22 days
    days = j.days_before[touches].tolist()
    assert days[0] == pytest.approx(46.0) and days[-1] == pytest.approx(22.0)
    assert days[1] == pytest.approx(41 + 14 / 24)


def test_w_shaped_on_the_store_uses_the_milestones(crm):
    s = stored(crm)
    got = attribute(s.journeys, "w_shaped").by_channel()
    # O1: first touch paid_search 30%, lead creation webinar 30%, opportunity creation event 30%,
    # email 10%; O2: content 100%
    assert got["paid_search"][0] == pytest.approx(0.3)
    assert got["webinar"][0] == pytest.approx(0.3)
    assert got["event"][0] == pytest.approx(0.3)
    assert got["email"][0] == pytest.approx(0.1)
    assert got["content"][0] == pytest.approx(1.0)


def test_campaigns_give_cost_cost_per_conversion_and_roi(crm):
    s = stored(crm, conversion="pipeline")
    by_channel = {r["channel"]: r for r in rows(attribute(s.journeys, "linear"), s)}
    # paid_search: a quarter of O1's $10,000 = $2,500 for campaign S's $2,000
    assert by_channel["paid_search"] == {"channel": "paid_search", "conversions": 0.25, "value": 2_500.0,
                                         "cost": 2_000.0, "cost_per_conversion": 8_000.0, "roi": 0.25}
    # content: O2's $5,000 for campaigns X and Z, $1,500 in all
    assert by_channel["content"]["cost"] == 1_500.0
    assert by_channel["content"]["roi"] == pytest.approx(3_500 / 1_500)
    assert by_channel["email"]["cost"] is None and by_channel["email"]["roi"] is None


def test_by_campaign_lists_campaigns_nothing_came_of(crm):
    s = stored(crm, conversion="pipeline", by="campaign")
    got = {r["campaign_id"]: r for r in rows(attribute(s.journeys, "first_touch"), s)}
    # O1 opened by campaign S's touch; O2 by campaign X's; the podcast spent $500 for nothing
    assert got["S"] == {"campaign_id": "S", "campaign": "Search Q1", "channel": "paid_search", "conversions": 1.0,
                        "value": 10_000.0, "cost": 2_000.0, "cost_per_conversion": 2_000.0, "roi": 4.0}
    assert got["X"]["value"] == 5_000.0
    assert got["Z"] == {"campaign_id": "Z", "campaign": "Podcast", "channel": "content", "conversions": 0.0,
                        "value": 0.0, "cost": 500.0, "cost_per_conversion": None, "roi": -1.0}
    assert got[None]["campaign"] == "(no campaign)" and got[None]["conversions"] == 0.0


def test_roi_is_left_empty_when_the_value_is_a_count(crm):
    s = stored(crm)
    assert all(r["roi"] is None for r in rows(attribute(s.journeys, "linear"), s))


def test_a_store_without_touches_says_how_to_get_them(gtm):
    from revops.engines.attribution import AttributionError

    empty = gtm(opportunities=[{"opportunity_id": "O1", "created_at": T(2026, 1, 1)}])
    with pytest.raises(AttributionError, match="no touches"):
        stored(empty)
