"""The demo company's tables agree with each other like a clean CRM export would."""

from __future__ import annotations

from tests.demo.conftest import scalar


def orphans(store, child: str, column: str, parent: str, key: str) -> int:
    return scalar(store, f"SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL "
                         f"AND c.{column} NOT IN (SELECT {key} FROM {parent})")


def test_owners_accounts_and_links_exist(demo_store):
    assert orphans(demo_store, "opportunities", "owner_id", "users", "user_id") == 0
    assert orphans(demo_store, "opportunities", "account_id", "accounts", "account_id") == 0
    assert orphans(demo_store, "opportunities", "contact_id", "contacts", "contact_id") == 0
    assert orphans(demo_store, "opportunity_history", "owner_id", "users", "user_id") == 0
    # a lead's owner is a user or, where routing sent it, a queue of the model
    assert scalar(demo_store, """SELECT count(*) FROM leads WHERE owner_id IS NOT NULL AND owner_id NOT IN
        (SELECT user_id FROM users) AND owner_id <> 'revops_triage'""") == 0
    assert orphans(demo_store, "_routing_decisions", "lead_id", "leads", "lead_id") == 0
    assert orphans(demo_store, "leads", "converted_opportunity_id", "opportunities", "opportunity_id") == 0
    assert orphans(demo_store, "leads", "converted_account_id", "accounts", "account_id") == 0
    assert orphans(demo_store, "contacts", "account_id", "accounts", "account_id") == 0
    assert orphans(demo_store, "subscriptions", "account_id", "accounts", "account_id") == 0
    assert orphans(demo_store, "subscriptions", "opportunity_id", "opportunities", "opportunity_id") == 0
    assert orphans(demo_store, "activities", "opportunity_id", "opportunities", "opportunity_id") == 0
    assert orphans(demo_store, "touches", "campaign_id", "campaigns", "campaign_id") == 0
    assert orphans(demo_store, "users", "manager_id", "users", "user_id") == 0


def test_ids_are_unique(demo_store):
    for table, key in (("leads", "lead_id"), ("opportunities", "opportunity_id"), ("accounts", "account_id"),
                       ("contacts", "contact_id"), ("activities", "activity_id"),
                       ("opportunity_history", "history_id"), ("touches", "touch_id")):
        assert scalar(demo_store, f"SELECT count(*) - count(DISTINCT {key}) FROM {table}") == 0, table


def test_latest_history_row_is_the_current_opportunity(demo_store):
    mismatches = scalar(demo_store, """
        WITH latest AS (SELECT * FROM opportunity_history
                        QUALIFY row_number() OVER (PARTITION BY opportunity_id ORDER BY changed_at DESC) = 1)
        SELECT count(*) FROM opportunities o JOIN latest h USING (opportunity_id)
        WHERE o.stage IS DISTINCT FROM h.stage OR o.amount IS DISTINCT FROM h.amount
           OR o.close_date IS DISTINCT FROM h.close_date OR o.owner_id IS DISTINCT FROM h.owner_id
           OR o.forecast_category IS DISTINCT FROM h.forecast_category""")
    assert mismatches == 0
    assert scalar(demo_store, "SELECT count(DISTINCT opportunity_id) FROM opportunity_history") == \
        scalar(demo_store, "SELECT count(*) FROM opportunities")


def test_nothing_happens_after_today(demo_store):
    for table, column in (("leads", "created_at"), ("opportunity_history", "changed_at"),
                          ("activities", "occurred_at"), ("touches", "occurred_at"),
                          ("subscriptions", "start_date"), ("usage", "usage_date")):
        assert scalar(demo_store, f"SELECT count(*) FROM {table} WHERE {column} >= DATE '2026-05-15'") == 0


def test_activity_timestamps_match_lead_and_deal_fields(demo_store):
    assert scalar(demo_store, """
        SELECT count(*) FROM leads l JOIN (SELECT lead_id, min(occurred_at) AS first FROM activities
                                           WHERE lead_id IS NOT NULL GROUP BY 1) a USING (lead_id)
        WHERE l.first_contacted_at <> a.first""") == 0
    assert scalar(demo_store, """
        SELECT count(*) FROM opportunities o JOIN (SELECT opportunity_id, max(occurred_at) AS last
                                                   FROM activities GROUP BY 1) a USING (opportunity_id)
        WHERE o.last_activity_at <> a.last""") == 0


def test_lifecycle_timestamps_are_in_order(demo_store):
    assert scalar(demo_store, """SELECT count(*) FROM leads WHERE mql_at < created_at
        OR sql_at < first_contacted_at OR sal_at < sql_at OR converted_at < sal_at""") == 0


def test_subscription_periods_are_well_formed(demo_store):
    assert scalar(demo_store, "SELECT count(*) FROM subscriptions WHERE end_date <= start_date") == 0
    assert scalar(demo_store, "SELECT count(*) FROM subscriptions WHERE mrr <= 0") == 0
