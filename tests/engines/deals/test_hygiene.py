"""Pipeline hygiene over a pipeline worked out by hand (tests/engines/deals/pipeline_world.py):
every default rule flags exactly the deals built to break it, with details a rep can act on;
rules the store cannot judge say so instead of flagging everything."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from revops.engines.deals.hygiene import HygieneRequest, check_hygiene
from revops.engines.deals.scorecard import completeness, headline, money, rep_scores
from revops.errors import DealError
from revops.model import load_model
from revops.model.schema import RevenueModel
from tests.engines.deals.pipeline_world import AT, EXPECTED, deal, tables

CONTRACT = {"opportunity_id", "owner_id", "rule", "severity", "detail"}


@pytest.fixture(scope="module")
def model() -> RevenueModel:
    return load_model(None)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from tests.gtm import store_with

    store = store_with(tmp_path_factory.mktemp("hygiene") / "pipeline.duckdb", **tables())
    yield store
    store.close()


@pytest.fixture(scope="module")
def report(world, model):
    return check_hygiene(world.ibis, model, HygieneRequest(as_of=AT))


def flagged(report, rule: str) -> set[str]:
    return {f["opportunity_id"] for f in report.findings if f["rule"] == rule}


def finding(report, rule: str, deal_id: str) -> dict:
    return next(f for f in report.findings if f["rule"] == rule and f["opportunity_id"] == deal_id)


@pytest.mark.parametrize("rule", list(EXPECTED))
def test_each_default_rule_flags_exactly_the_deals_that_break_it(report, rule):
    assert flagged(report, rule) == EXPECTED[rule]


def test_findings_carry_the_contract_fields_most_severe_first(report):
    assert report.findings and all(CONTRACT <= set(f) for f in report.findings)
    ranks = [("critical", "warning", "info").index(f["severity"]) for f in report.findings]
    assert ranks == sorted(ranks)
    assert finding(report, "stuck_in_stage", "stuck")["owner_id"] == "ben"
    assert {s.key: s.flagged for s in report.rules} == {k: len(v) for k, v in EXPECTED.items()}


def test_details_say_what_is_wrong(report):
    assert finding(report, "close_date_in_past", "late")["detail"] == \
        "Close date in the past: close date 2026-03-30 (1 day ago)"
    # the activity row on 03-12 is later than last_activity_at (03-10): 19.5 days
    assert finding(report, "no_recent_activity", "quiet")["detail"] == "Stale > 14 days: last activity 20 days ago"
    assert finding(report, "no_next_step", "nostep")["detail"] == "No next step: next step is empty"
    assert finding(report, "no_amount_late_stage", "noamount")["detail"] == \
        "No amount at proposal or later: amount is empty; in proposal"
    assert finding(report, "pushed_twice", "slipping")["detail"] == \
        "Close date pushed 2+ times: close date pushed 2 times"  # the push after AT is not seen
    assert finding(report, "stuck_in_stage", "stuck")["detail"] == \
        "Stuck in stage: 44 days in qualification; median 20 days"
    assert finding(report, "stage_skipped", "skipper")["detail"] == "Stage skipped: skipped qualification, solution"
    assert finding(report, "stage_requirements", "noamount")["detail"] == \
        "Stage requirements not met: missing amount; gate fails: amount > 0"
    assert finding(report, "stage_requirements", "gate_fail")["detail"] == \
        "Stage requirements not met: gate fails: close_date >= today()"
    assert finding(report, "stage_requirements", "lost_noreason")["detail"] == \
        "Stage requirements not met: missing lost_reason"


def test_a_deal_whose_stage_entry_is_not_in_the_history_is_not_judged_but_counted(report):
    stuck = next(s for s in report.rules if s.key == "stuck_in_stage")
    # imported (entry unknown) and the 11 open deals in stages no deal has left yet
    # (7 in solution, 3 in proposal, 1 in negotiation: no median)
    assert stuck.checked and stuck.unknown == 12
    assert "not judged" in stuck.note and "median_days_in_stage unknown when no deal has left the stage yet" in stuck.note


def test_the_headline_counts_the_open_deals_at_risk(report, model):
    top = headline(report, model)
    assert (top.deals, top.amount, top.checked) == (3, 30000.0, True)
    assert top.text == "deals at risk: 3 deals, $30K, stale > 14 days"


def test_data_quality_score_per_rep(report, model):
    rows = {r["owner_id"]: r for r in rep_scores(report, model, {"ana": "Ana Lopez", "ben": "Ben Okafor"})}
    # ana: 13 open deals, 7 with a critical or warning finding (skipper has only an info one)
    assert rows["ana"] == {"owner_id": "ana", "name": "Ana Lopez", "open_deals": 13, "open_amount": 110000.0,
                           "critical": 3, "warning": 6, "info": 1, "clean_deals": 6, "data_quality_score": 46.2,
                           "completeness": 96.8}  # 61 of the 63 fields their stages require
    # ben: quiet, slipping and stuck all have a warning; lost_noreason is closed
    assert rows["ben"]["data_quality_score"] == 0.0 and rows["ben"]["completeness"] == 100.0
    assert [r["owner_id"] for r in rep_scores(report, model)] == ["ben", "ana"]  # lowest first


def test_completeness_per_field_and_stage(report, model):
    cells = {(r["stage"], r["field"]): r for r in completeness(report, model)}
    assert cells[("proposal", "contact_id")] == {"stage": "proposal", "field": "contact_id", "required": True,
                                                 "deals": 3, "filled": 2, "completeness": 66.7}
    assert cells[("closed_lost", "lost_reason")]["completeness"] == 50.0
    assert cells[("discovery", "amount")] == {"stage": "discovery", "field": "amount", "required": False,
                                              "deals": 2, "filled": 1, "completeness": 50.0}


def test_filters_by_rule_owner_and_severity(world, model):
    only = check_hygiene(world.ibis, model, HygieneRequest(as_of=AT, rules=("stuck_in_stage",), owners=("ben",)))
    assert [(f["rule"], f["opportunity_id"]) for f in only.findings] == [("stuck_in_stage", "stuck")]
    critical = check_hygiene(world.ibis, model, HygieneRequest(as_of=AT, severities=("critical",)))
    assert {f["rule"] for f in critical.findings} == {"close_date_in_past", "no_amount_late_stage"}
    with pytest.raises(DealError, match="did you mean 'stuck_in_stage'"):
        check_hygiene(world.ibis, model, HygieneRequest(rules=("stuck_in_stag",)))
    with pytest.raises(DealError, match="unknown severity"):
        check_hygiene(world.ibis, model, HygieneRequest(severities=("urgent",)))


def test_as_of_reads_the_deals_as_they_were(world, model):
    # On 03-05 slipping had been pushed once, and stuck had been in qualification for 18 days
    early = check_hygiene(world.ibis, model, HygieneRequest(as_of=datetime(2026, 3, 5, 12)))
    assert "slipping" not in flagged(early, "pushed_twice")
    assert "stuck" not in flagged(early, "stuck_in_stage")
    # On 02-20 six deals existed; skipper was in discovery (it moved to proposal on 03-01);
    # imported (created in December, first recorded at its import on 03-01) is as it is now
    before = check_hygiene(world.ibis, model, HygieneRequest(as_of=datetime(2026, 2, 20)))
    stages = dict(zip(before.deals["opportunity_id"].to_pylist(), before.deals["stage"].to_pylist()))
    assert stages == {"won_1": "closed_won", "won_2": "closed_won", "won_3": "closed_won",
                      "skipper": "discovery", "stuck": "qualification", "imported": "qualification"}
    assert "skipper" not in flagged(before, "stage_skipped")


def test_a_custom_rule_with_its_own_expression_and_stages(world, model):
    data = model.model_dump(mode="json", by_alias=True)
    data["hygiene"]["rules"] = [
        {"key": "big_early", "label": "Big deal still early", "severity": "info",
         "when": "amount >= 10000 and age_days > 20", "stages": ["qualification"]},
        {"key": "calls_without_deal", "table": "activities", "severity": "info",
         "when": "type = 'call' and days_ago > 10"},
    ]
    custom = RevenueModel.model_validate(data)
    report = check_hygiene(world.ibis, custom, HygieneRequest(as_of=AT))
    assert flagged(report, "big_early") == {"stuck", "not_stuck", "imported"}
    assert finding(report, "big_early", "imported")["detail"] == \
        "Big deal still early: amount 10,000; 120 days old; in qualification"
    calls = [f for f in report.findings if f["rule"] == "calls_without_deal"]
    assert [(f["opportunity_id"], f["detail"]) for f in calls] == [
        ("quiet", "activities a1: calls_without_deal: type call; 20 days ago")]


def test_without_stage_history_or_activities_the_rules_that_need_them_say_so(gtm, model):
    # a CRM export: no activities, no last activity, one history row per deal written at the import
    imported_at = datetime(2026, 3, 31, 9)
    deals = [deal(f"o{i}", stage, created_at=datetime(2025, 11, 1), last_activity_at=None,
                  close_date=None if i % 2 else deal("x", "discovery")["close_date"])
             for i, stage in enumerate(["discovery", "qualification", "proposal", "closed_won"])]
    store = gtm(opportunities=deals, opportunity_history=[
        {"history_id": f"h{i}", "opportunity_id": d["opportunity_id"], "changed_at": imported_at,
         **{f: d.get(f) for f in ("stage", "amount", "close_date", "owner_id")},
         "changed_fields": "created", "source": "ingest:abc"} for i, d in enumerate(deals)])
    report = check_hygiene(store.ibis, model, HygieneRequest(as_of=AT))
    status = {s.key: s for s in report.rules}
    for key in ("no_recent_activity", "pushed_twice", "stuck_in_stage", "stage_skipped"):
        assert not status[key].checked and status[key].note.startswith("not checked: ")
    assert "no stage history" in status["stuck_in_stage"].note
    assert "no deal has an activity" in status["no_recent_activity"].note
    assert not {f["rule"] for f in report.findings} & {"no_recent_activity", "pushed_twice", "stuck_in_stage",
                                                        "stage_skipped"}
    # the rules on the deals' own fields still run: o1 and o3 have no close date
    assert flagged(report, "stage_requirements") == {"o1", "o3"}
    top = headline(report, model)
    assert not top.checked and top.text.startswith("deals at risk: stale > 14 days not checked")


def test_money_reads_like_a_headline():
    assert [money(x) for x in (400_000, 1_250_000, 950, 0)] == ["$400K", "$1.2M", "$950", "$0"]
    assert money(2_500, "EUR") == "€2.5K" and money(3_000_000, "CHF") == "CHF 3M"


def test_an_empty_store_has_nothing_to_flag(gtm, model):
    report = check_hygiene(gtm().ibis, model, HygieneRequest())
    assert report.findings == [] and report.deals.num_rows == 0
    assert headline(report, model).text.startswith("deals at risk: stale > 14 days not checked")
    assert rep_scores(report, model) == [] and {r["deals"] for r in completeness(report, model)} == {0}


def test_imported_deals_are_never_refused_for_a_gate_they_become_findings(store, write, model):
    from revops.ingest.pipeline import ingest_file

    csv = write("deals.csv", "opportunity_id,stage,amount,close_date,owner_id,account_id\n"
                             "n1,Negotiation,,2030-06-30,ana,acme\n"
                             "n2,Negotiation,25000,2030-06-30,ana,acme\n")
    result = ingest_file(store, "opportunities", csv, model=model, progress=False)
    assert (result.inserted, result.quarantined) == (2, 0)
    report = check_hygiene(store.ibis, model, HygieneRequest(rules=("stage_requirements",)))
    details = {f["opportunity_id"]: f["detail"] for f in report.findings}
    assert details == {
        "n1": "Stage requirements not met: missing amount, next_step, contact_id; gate fails: amount > 0",
        "n2": "Stage requirements not met: missing next_step, contact_id"}


def test_as_of_a_past_day_a_deal_decided_since_is_not_judged_on_fields_the_history_does_not_keep(gtm, model):
    # open on Mar 20 with no next step recorded today: one still open (flagged), one lost since
    # (its next step was emptied at the close: not what it was on Mar 20)
    opened = [{"history_id": f"h{o}", "opportunity_id": o, "changed_at": datetime(2026, 3, 1), "stage": "discovery",
               "amount": 1000.0, "close_date": date(2026, 6, 30), "owner_id": "ana"} for o in ("open", "lost")]
    lost = {"history_id": "hlost2", "opportunity_id": "lost", "changed_at": datetime(2026, 3, 25),
            "stage": "closed_lost", "amount": 1000.0, "close_date": date(2026, 3, 25), "owner_id": "ana"}
    store = gtm(opportunities=[
        deal("open", "discovery", created_at=datetime(2026, 3, 1), next_step=None),
        deal("lost", "closed_lost", created_at=datetime(2026, 3, 1), next_step=None, close_date=date(2026, 3, 25)),
    ], opportunity_history=[*opened, lost])
    report = check_hygiene(store.ibis, model, HygieneRequest(as_of=datetime(2026, 3, 20), rules=("no_next_step",)))
    assert flagged(report, "no_next_step") == {"open"}
    status = {s.key: s for s in report.rules}["no_next_step"]
    assert status.unknown == 1 and "next_step not kept in opportunity_history" in status.note
