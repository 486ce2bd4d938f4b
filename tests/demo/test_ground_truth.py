"""The demo company hides truths an engine should be able to find."""

from __future__ import annotations

import difflib
import re

from revops.demo.vocabulary import NICKNAMES
from tests.demo.conftest import scalar


def rate(store, sql: str) -> float:
    return float(scalar(store, sql))


def test_higher_quality_leads_convert_more(demo_store):
    rows = demo_store.query("""
        SELECT ntile(4) OVER (ORDER BY t.quality) AS q, l.converted
        FROM leads l JOIN truth_leads t USING (lead_id)""")
    conv = {q: sum(r["converted"] for r in rows if r["q"] == q) / sum(1 for r in rows if r["q"] == q)
            for q in (1, 4)}
    assert conv[4] > 4 * conv[1]


def test_would_convert_leads_mostly_do_when_worked_fast(demo_store):
    fast = rate(demo_store, """SELECT avg(converted::INT) FROM leads JOIN truth_leads USING (lead_id)
        WHERE would_convert AND first_contacted_at < coalesce(mql_at, created_at) + INTERVAL 1 HOUR
          AND created_at < DATE '2026-03-01'""")
    slow = rate(demo_store, """SELECT avg(converted::INT) FROM leads JOIN truth_leads USING (lead_id)
        WHERE would_convert AND first_contacted_at > coalesce(mql_at, created_at) + INTERVAL 1 DAY
          AND created_at < DATE '2026-03-01'""")
    assert fast > slow + 0.1


def test_channels_differ_in_conversion(demo_store):
    conv = {r["source"]: r["c"] for r in demo_store.query(
        "SELECT source, avg(converted::INT) AS c FROM leads GROUP BY 1")}
    assert conv["referral"] > 1.5 * conv["paid_social"]
    assert conv["partner"] > conv["outbound"]


def _norm_company(name: str) -> str:
    name = re.sub(r"\b(inc|llc|ltd|limited|corp|corporation|co|gmbh|ag|plc|sas|sa|bv|ab|sl|kk|pty|pte|pvt)\b\.?",
                  "", name.lower())
    return re.sub(r"[^a-z0-9]", "", name)


def test_duplicate_accounts_are_near_identical(demo_store):
    pairs = demo_store.query("""
        SELECT a.name AS a, b.name AS b FROM truth_duplicates d
        JOIN truth_duplicates o ON o.cluster_id = d.cluster_id AND o.record_id = o.cluster_id
        JOIN accounts a ON a.account_id = o.record_id JOIN accounts b ON b.account_id = d.record_id
        WHERE d.table_name = 'accounts' AND d.record_id <> d.cluster_id""")
    assert len(pairs) >= 10
    for p in pairs:
        assert difflib.SequenceMatcher(None, _norm_company(p["a"]), _norm_company(p["b"])).ratio() > 0.8, p
    share = len(pairs) / scalar(demo_store, "SELECT count(*) FROM accounts")
    assert 0.02 <= share <= 0.04


def test_duplicate_contacts_are_the_same_person(demo_store):
    pairs = demo_store.query("""
        SELECT a.first_name AS af, a.last_name AS al, a.email AS ae, b.first_name AS bf,
               b.last_name AS bl, b.email AS be FROM truth_duplicates d
        JOIN contacts a ON a.contact_id = d.cluster_id JOIN contacts b ON b.contact_id = d.record_id
        WHERE d.table_name = 'contacts' AND d.record_id <> d.cluster_id""")
    assert len(pairs) >= 30
    for p in pairs:
        last = difflib.SequenceMatcher(None, p["al"].lower(), p["bl"].lower()).ratio()
        first = p["bf"].rstrip(".").lower()
        assert first in {p["af"].lower(), p["af"][0].lower(), NICKNAMES.get(p["af"], "").lower()}, p
        assert last > 0.7, p
    singletons = scalar(demo_store, """SELECT count(*) FROM truth_duplicates
        WHERE table_name = 'contacts' AND record_id = cluster_id""")
    assert singletons + len(pairs) == scalar(demo_store, "SELECT count(*) FROM contacts")


def test_mrr_moves_every_way(demo_store):
    expansions = scalar(demo_store, """SELECT count(*) FROM subscriptions n JOIN subscriptions o
        ON o.account_id = n.account_id AND o.end_date = n.start_date AND n.mrr > o.mrr""")
    cross_sell = scalar(demo_store, """SELECT count(*) FROM subscriptions n JOIN opportunities p
        ON p.opportunity_id = n.opportunity_id WHERE p.type = 'expansion'""")
    contractions = scalar(demo_store, """SELECT count(*) FROM subscriptions n JOIN subscriptions o
        ON o.account_id = n.account_id AND o.end_date = n.start_date AND n.mrr < o.mrr""")
    churned = scalar(demo_store, "SELECT count(*) FROM truth_churn WHERE churned")
    reactivated = scalar(demo_store, """SELECT count(DISTINCT n.account_id) FROM subscriptions n
        JOIN subscriptions o ON o.account_id = n.account_id AND o.status = 'churned'
        AND n.start_date > o.end_date""")
    assert expansions > 0 and cross_sell > 0 and contractions > 0 and churned > 0 and reactivated > 0


def test_churned_accounts_stopped_paying_on_their_churn_date(demo_store):
    assert scalar(demo_store, """SELECT count(*) FROM truth_churn t WHERE churned AND NOT EXISTS (
        SELECT 1 FROM subscriptions s WHERE s.account_id = t.account_id AND s.end_date = t.churned_on)""") == 0


def test_low_usage_churners_use_less_before_churning(demo_store):
    rows = demo_store.query("""
        SELECT t.driver, avg(u.value / s.seats) AS adoption
        FROM truth_churn t JOIN usage u ON u.account_id = t.account_id AND u.metric = 'active_users'
        JOIN subscriptions s ON s.account_id = t.account_id AND u.usage_date >= s.start_date
             AND u.usage_date < coalesce(s.end_date, DATE '2026-05-15') AND s.product = 'core_platform'
        WHERE t.churned AND u.usage_date >= t.churned_on - INTERVAL 60 DAY AND u.usage_date < t.churned_on
           OR NOT t.churned AND t.driver = 'none' AND u.usage_date >= DATE '2026-03-01'
        GROUP BY 1""")
    adoption = {r["driver"]: r["adoption"] for r in rows}
    assert adoption["low_usage"] < 0.6 * adoption["none"]


def test_open_pipeline_is_messy(demo_store):
    open_deals = "FROM opportunities WHERE stage NOT IN ('closed_won', 'closed_lost')"
    assert scalar(demo_store, f"SELECT count(*) {open_deals} AND close_date < DATE '2026-05-15'") > 0
    assert scalar(demo_store, f"SELECT count(*) {open_deals} AND last_activity_at < DATE '2026-05-01'") > 0
    assert scalar(demo_store, f"SELECT count(*) {open_deals} AND next_step IS NULL") > 0
    assert scalar(demo_store, "SELECT count(*) FROM opportunity_history WHERE changed_fields = 'close_date'") > 0


def test_history_spans_enough_quarters_for_a_backtest(demo_store):
    quarters = scalar(demo_store, """SELECT count(DISTINCT date_trunc('quarter', close_date))
        FROM opportunities WHERE stage = 'closed_won' AND type = 'new_business'""")
    assert quarters >= 10


def test_skilled_reps_win_more(demo_store):
    rows = demo_store.query("""
        SELECT r.skill, avg((o.stage = 'closed_won')::INT) AS win, count(*) AS n
        FROM opportunities o JOIN truth_reps r ON r.user_id = o.owner_id
        WHERE o.type = 'new_business' AND o.stage IN ('closed_won', 'closed_lost') GROUP BY 1 HAVING n >= 10""")
    rows.sort(key=lambda r: r["skill"])
    half = len(rows) // 2
    low = sum(r["win"] for r in rows[:half]) / half
    high = sum(r["win"] for r in rows[-half:]) / half
    assert high > low


def test_the_rep_who_got_the_lead_calls_at_their_own_speed(demo_store):
    """truth_reps.response_minutes shows in the data for whoever routing gave leads to:
    slow reps (and managers) call later than fast ones, counted from the assignment."""
    rows = demo_store.query("""
        SELECT r.response_minutes > 120 AS slow,
               median(date_diff('minute', d.decided_at, l.first_contacted_at)) AS wait
        FROM _routing_decisions d JOIN leads l USING (lead_id)
        JOIN truth_reps r ON r.user_id = d.assigned_to
        JOIN activities a ON a.lead_id = l.lead_id AND a.occurred_at = l.first_contacted_at
                          AND a.owner_id = d.assigned_to
        WHERE d.assigned_kind = 'user' AND d.trigger IN ('route', 'fallback')
          AND l.first_contacted_at >= d.decided_at
        GROUP BY 1""")
    wait = {r["slow"]: r["wait"] for r in rows}
    assert wait[True] > 2 * wait[False]
    roles = {r["role"] for r in demo_store.query(
        "SELECT DISTINCT u.role FROM truth_reps t JOIN users u USING (user_id)")}
    assert roles == {"ae", "sdr", "csm", "manager"}
