"""Compensation: tiers, caps, SPIFs and clawbacks on hand-worked deals; plan file errors at
file:line; the command's contract."""

from __future__ import annotations

import json
from datetime import date

import pytest
import typer
from typer.testing import CliRunner

from tests.engines.planning.cli_app import plan_cli
from revops.engines.planning.comp import CompPeriod, simulate_comp
from revops.engines.planning.comp_plan import CompPlanFile, load_comp_plan
from revops.engines.planning.plan_file import PlanError
from revops.engines.metrics.periods import FiscalCalendar
from revops.model import load_model

# OTE 200k, half base: 100k variable a year on a 400k quota (base rate 25 %). In a quarter:
# quota 100k, base 25k, target variable 25k.
AE_PLAN = {"name": "ae", "roles": ["ae"], "ote": 200_000, "base_share": 0.5, "quota": 400_000}


def won(opp_id, owner, amount, closed, **kw):
    return {"opportunity_id": opp_id, "owner_id": owner, "amount": amount, "close_date": closed,
            "stage": "closed_won", "type": "new_business", **kw}


def run(store, *plans, period="2026-Q1"):
    return simulate_comp(store.con, load_model(None), CompPlanFile.model_validate({"plans": list(plans)}), period)


def row(result, user_id):
    return next(r for r in result.rows if r["user_id"] == user_id)


@pytest.fixture
def q1_store(gtm):
    """u1 wins 80k (platform) and 40k in 2026-Q1; a deal in Q2 and a lost one do not count."""
    return gtm(
        users=[{"user_id": "u1", "role": "ae", "quota": 999_999}, {"user_id": "u2", "role": "ae"},
               {"user_id": "m1", "role": "marketing"}],
        opportunities=[won("o1", "u1", 80_000, date(2026, 1, 20), product="platform", account_id="acc1"),
                       won("o2", "u1", 40_000, date(2026, 3, 31), product="addon", account_id="acc2"),
                       won("o3", "u1", 50_000, date(2026, 4, 1), account_id="acc3"),
                       {**won("o4", "u1", 70_000, date(2026, 2, 1)), "stage": "closed_lost"}])


def test_marginal_accelerator_pays_each_slice_at_its_rate(q1_store):
    result = run(q1_store, {**AE_PLAN, "tiers": [{"from": 0, "rate": 1.0}, {"from": 1.0, "rate": 2.0}]})
    r = row(result, "u1")
    assert r["quota"] == 100_000 and r["credited"] == 120_000
    assert r["attainment"] == pytest.approx(1.2)
    assert r["base"] == 25_000 and r["target_variable"] == 25_000
    # 25k x (1.0 x 1.0 + 0.2 x 2.0)
    assert r["variable"] == pytest.approx(35_000)
    assert r["payout"] == pytest.approx(35_000) and r["total_pay"] == pytest.approx(60_000)
    assert [t["rate"] for t in r["tiers_applied"]] == [1.0, 2.0]


def test_tiered_schedule_pays_all_attainment_at_the_tier_reached_and_the_cap_holds(q1_store):
    plan = {**AE_PLAN, "schedule": "tiered", "tiers": [{"from": 0, "rate": 1.0}, {"from": 1.0, "rate": 2.0}]}
    assert row(run(q1_store, plan), "u1")["variable"] == pytest.approx(60_000)  # 25k x 1.2 x 2.0
    capped = row(run(q1_store, {**plan, "cap": 1.5}), "u1")
    assert capped["variable"] == pytest.approx(37_500) and capped["capped"] is True


def test_decelerator_below_half_of_quota(gtm):
    store = gtm(users=[{"user_id": "u1", "role": "ae"}],
                opportunities=[won("o1", "u1", 40_000, date(2026, 2, 2))])
    r = row(run(store, {**AE_PLAN, "tiers": [{"from": 0, "rate": 0.5}, {"from": 0.5, "rate": 1.0}]}), "u1")
    assert r["attainment"] == pytest.approx(0.4)
    assert r["variable"] == pytest.approx(5_000)  # 25k x 0.4 x 0.5


def test_quota_comes_from_users_when_the_plan_has_none(q1_store):
    plan = {k: v for k, v in AE_PLAN.items() if k != "quota"}
    result = run(q1_store, plan)
    assert row(result, "u1")["quota"] == pytest.approx(999_999 / 4)
    assert row(result, "u2")["attainment"] is None  # no quota anywhere: said so, not guessed
    assert any("u2" in n and "no quota" in n for n in result.notes)


def test_spiffs_per_deal_and_as_a_share(q1_store):
    plan = {**AE_PLAN, "spiffs": [{"name": "platform", "amount": 1_000, "products": ["platform"]},
                                  {"name": "big_deal", "rate": 0.01, "min_amount": 50_000}]}
    r = row(run(q1_store, plan), "u1")
    assert r["spiffs"] == [{"name": "platform", "deals": 1, "pay": 1_000.0},
                           {"name": "big_deal", "deals": 1, "pay": 800.0}]
    assert r["payout"] == pytest.approx(r["variable"] + 1_800)


def test_early_churn_claws_back_the_deal_commission(gtm):
    store = gtm(
        users=[{"user_id": "u1", "role": "ae"}],
        opportunities=[won("early", "u1", 60_000, date(2025, 11, 10), account_id="a_early"),
                       won("late", "u1", 30_000, date(2024, 6, 1), account_id="a_late"),
                       won("later", "u1", 20_000, date(2025, 12, 1), account_id="a_later")],
        subscriptions=[
            {"subscription_id": "s1", "account_id": "a_early", "start_date": date(2025, 11, 10),
             "end_date": date(2026, 2, 1), "mrr": 5_000},   # churned in Q1, 3 months after the close
            {"subscription_id": "s2", "account_id": "a_late", "start_date": date(2024, 6, 1),
             "end_date": date(2026, 2, 1), "mrr": 2_500},   # churned in Q1 but 20 months after
            {"subscription_id": "s3", "account_id": "a_later", "start_date": date(2025, 12, 1),
             "end_date": date(2026, 7, 1), "mrr": 1_000}])  # churns next quarter
    r = row(run(store, {**AE_PLAN, "clawback": {"months": 12, "share": 1.0}}), "u1")
    assert [c["opportunity_id"] for c in r["clawbacks"]] == ["early"]
    assert r["clawback_amount"] == pytest.approx(15_000)  # 100k / 400k x 60k
    assert r["payout"] == pytest.approx(-15_000)  # nothing won this quarter


def test_marketing_is_paid_on_sourced_pipeline_that_closed(q1_store, gtm):
    store = gtm(users=[{"user_id": "m1", "role": "marketing"}, {"user_id": "m2", "role": "marketing"}],
                opportunities=[won("w1", "u9", 30_000, date(2026, 1, 5), source="webinar"),
                               won("w2", "u9", 50_000, date(2026, 2, 5), source="outbound"),
                               {**won("w3", "u9", 90_000, date(2026, 2, 5), source="webinar"), "stage": "negotiation"}])
    plan = {"name": "mkt", "roles": ["marketing"], "ote": 120_000, "base_share": 0.8, "quota": 240_000,
            "measure": "closed_pipeline", "sources": ["webinar"]}
    result = run(store, plan)
    for user in ("m1", "m2"):
        r = row(result, user)
        assert r["credited"] == 30_000 and r["attainment"] == pytest.approx(0.5)
        assert r["variable"] == pytest.approx(3_000)  # (24k / 4) x 0.5


def test_customer_success_is_paid_on_net_expansion_of_their_book(gtm):
    store = gtm(
        users=[{"user_id": "c1", "role": "csm"}],
        accounts=[{"account_id": "grow", "owner_id": "c1"}, {"account_id": "lost", "owner_id": "c1"},
                  {"account_id": "new", "owner_id": "c1"}, {"account_id": "other", "owner_id": "c9"}],
        subscriptions=[
            {"subscription_id": "g1", "account_id": "grow", "start_date": date(2025, 1, 1),
             "end_date": date(2026, 2, 1), "mrr": 1_000},
            {"subscription_id": "g2", "account_id": "grow", "start_date": date(2026, 2, 1), "mrr": 1_500},
            {"subscription_id": "l1", "account_id": "lost", "start_date": date(2025, 1, 1),
             "end_date": date(2026, 3, 1), "mrr": 200},
            {"subscription_id": "n1", "account_id": "new", "start_date": date(2026, 2, 15), "mrr": 9_000},
            {"subscription_id": "x1", "account_id": "other", "start_date": date(2025, 1, 1), "mrr": 7_000}])
    plan = {"name": "cs", "roles": ["csm"], "ote": 100_000, "base_share": 0.8, "quota": 48_000,
            "measure": "net_expansion"}
    r = row(run(store, plan), "c1")
    assert r["credited"] == pytest.approx(12 * 500 - 12 * 200)  # expansion less churn, new logo not counted
    assert r["attainment"] == pytest.approx(3_600 / 12_000)


def test_cost_of_sales_is_total_pay_over_bookings(q1_store):
    result = run(q1_store, AE_PLAN)
    # u1: 25k base + 25k x 1.2 variable; u2: 25k base, no deals; bookings 120k
    assert result.total_pay == pytest.approx(25_000 + 30_000 + 25_000)
    assert result.bookings == pytest.approx(120_000)
    assert result.cost_of_sales == pytest.approx(80_000 / 120_000)


def test_bookings_are_the_won_amount_metric(q1_store):
    from revops.engines.metrics import compute

    metric = compute(q1_store.ibis, load_model(None), "won_amount", by="owner", period="quarter")
    q1 = metric[(metric["period"] == "2026-Q1") & (metric["owner"] == "u1")]["value"].iloc[0]
    assert row(run(q1_store, AE_PLAN), "u1")["bookings"] == pytest.approx(q1)


@pytest.mark.parametrize("label, start, end, months", [
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), 3),
    ("2026-05", date(2026, 5, 1), date(2026, 5, 31), 1),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), 12),
])
def test_periods(label, start, end, months):
    assert CompPeriod.parse(label, FiscalCalendar(1)) == CompPeriod(label, start, end, months)


def test_a_fiscal_quarter_follows_the_fiscal_year():
    # FY2027 starts in February 2026: its first quarter is February to April 2026
    p = CompPeriod.parse("2027-Q1", FiscalCalendar(2))
    assert (p.start, p.end) == (date(2026, 2, 1), date(2026, 4, 30))


def test_a_bad_period_is_refused():
    with pytest.raises(PlanError, match="2026-13"):
        CompPeriod.parse("2026-13", FiscalCalendar(1))


# -- the plan file ------------------------------------------------------------------------
GOOD = """\
plans:
  - name: ae
    roles: [ae]
    ote: 200000
    base_share: 0.5
    quota: 400000
    tiers:
      - {from: 0, rate: 1.0}
      - {from: 1.0, rate: 2.0}
"""


def test_a_plan_file_reads(write):
    plans = load_comp_plan(write("comp.yaml", GOOD))
    assert plans.plans[0].variable == 100_000 and plans.plans[0].tiers[1].start == 1.0


def test_tiers_out_of_order_are_reported_at_their_line(write):
    path = write("comp.yaml", GOOD.replace("{from: 1.0, rate: 2.0}", "{from: 0, rate: 2.0}"))
    with pytest.raises(PlanError) as exc:
        load_comp_plan(path)
    assert f"{path}:7:" in str(exc.value) and "increasing attainment" in str(exc.value)


def test_an_unknown_setting_is_reported_at_its_line(write):
    path = write("comp.yaml", GOOD.replace("    quota: 400000\n", "    quotas: 400000\n"))
    with pytest.raises(PlanError) as exc:
        load_comp_plan(path)
    assert f"{path}:6:" in str(exc.value) and "quotas" in str(exc.value)


def test_a_spiff_needs_one_way_of_paying(write):
    path = write("comp.yaml", GOOD + "    spiffs:\n      - {name: x}\n")
    with pytest.raises(PlanError) as exc:
        load_comp_plan(path)
    assert f"{path}:11:" in str(exc.value) and "amount" in str(exc.value)


def test_yaml_syntax_errors_give_the_line(write):
    path = write("comp.yaml", GOOD.replace("    ote: 200000", "    ote: [200000"))
    with pytest.raises(PlanError, match=r"comp\.yaml:\d+: YAML syntax error"):
        load_comp_plan(path)


# -- the command --------------------------------------------------------------------------
def _cli(db):
    from revops.cli.plan_comp_cmds import register

    return plan_cli(db, register)


def test_the_command_prints_rows_with_the_contract_fields(q1_store, write):
    db = q1_store.path
    q1_store.close()
    plan = write("comp.yaml", GOOD)
    out = CliRunner().invoke(_cli(db), ["plan", "comp", "--plan", str(plan), "--period", "2026-Q1",
                                        "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = {r["user_id"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {"u1", "u2"}
    assert rows["u1"]["attainment"] == pytest.approx(1.2) and rows["u1"]["payout"] == pytest.approx(35_000)
    summary = CliRunner().invoke(_cli(db), ["plan", "comp", "--plan", str(plan), "--period", "2026-Q1",
                                            "--summary", "--format", "json"])
    assert json.loads(summary.stdout)["cost_of_sales"] == pytest.approx((25_000 * 2 + 35_000) / 120_000)


def test_inactive_people_are_paid_only_when_named(gtm):
    store = gtm(users=[{"user_id": "u1", "role": "ae", "active": True}, {"user_id": "u2", "role": "ae", "active": False},
                       {"user_id": "u3", "role": "ae", "active": False}])
    result = run(store, {**AE_PLAN, "name": "named", "roles": [], "users": ["u3"]}, AE_PLAN)
    assert {(r["user_id"], r["plan"]) for r in result.rows} == {("u1", "ae"), ("u3", "named")}


# -- what a new user met: typos that paid nothing, silent zeros, errors in waves ------------
TYPOS = """\
plans:
  - name: ae
    roles: [ae, account_exec]
    ote: 200000
    base_share: 0.5
    quota: 400000
    deal_types: [new_busines]
    spiffs:
      - {name: platform, amount: 500, products: [platform]}
  - name: mkt
    roles: [marketing]
    ote: 100000
    base_share: 0.8
    quota: 400000
    measure: closed_pipeline
    sources: [webinar, webnar]
"""


def test_plan_values_the_store_never_holds_are_reported_at_their_line_with_the_nearest(q1_store, write):
    from revops.engines.planning.comp_plan import StoreVocabulary

    path = write("comp.yaml", TYPOS)
    known = StoreVocabulary.read(q1_store.con)
    with pytest.raises(PlanError) as exc:
        load_comp_plan(path, known)
    text = str(exc.value)
    assert f"{path}:3:" in text and "no user in the store has role 'account_exec'" in text
    assert f"{path}:7:" in text and "no deal in the store has type 'new_busines'; did you mean 'new_business'?" in text
    assert "product 'platform'" not in text  # the store has a 'platform' product
    assert "source" not in text  # no deal in this store has a source: nothing to check against
    assert "docs/planning-comp.md" in text


def test_a_spiff_product_that_is_not_in_the_store_suggests_the_one_that_is(gtm, write):
    from revops.engines.planning.comp_plan import StoreVocabulary

    store = gtm(users=[{"user_id": "u1", "role": "ae"}, {"user_id": "m1", "role": "marketing"}],
                opportunities=[won("o1", "u1", 10_000, date(2026, 1, 5), product="core_platform", source="webinar")])
    path = write("comp.yaml", GOOD + "    spiffs:\n      - {name: p, amount: 500, products: [platform]}\n"
                 + "\n".join(TYPOS.splitlines()[9:]) + "\n")
    with pytest.raises(PlanError) as exc:
        load_comp_plan(path, StoreVocabulary.read(store.con))
    text = str(exc.value)
    assert f"{path}:11: plans.0.spiffs.0.products.0: no deal in the store has product 'platform'; did you mean " \
           "'core_platform'?" in text
    assert f"{path}:18: plans.1.sources.1: no deal in the store has source 'webnar'; did you mean 'webinar'?" in text


def test_every_mistake_in_a_plan_file_is_reported_at_once(write):
    path = write("comp.yaml", GOOD + GOOD.removeprefix("plans:\n").replace("ote: 200000", "ote: 200k"))
    with pytest.raises(PlanError) as exc:
        load_comp_plan(path)
    text = str(exc.value)
    assert f"{path}:12:" in text and "ote" in text  # the field error ...
    assert "two plans are called 'ae'" in text  # ... and the rule pydantic skipped because of it


def test_an_unknown_setting_points_to_the_comp_plan_docs(write):
    path = write("comp.yaml", GOOD.replace("    quota: 400000\n", "    quotas: 400000\n"))
    with pytest.raises(PlanError, match="docs/planning-comp.md"):
        load_comp_plan(path)


def test_csms_who_own_no_accounts_are_told_why_they_earn_no_variable(gtm):
    store = gtm(users=[{"user_id": "c1", "role": "csm"}, {"user_id": "c2", "role": "csm"}],
                accounts=[{"account_id": "a1", "owner_id": "ae9"}])
    plan = {"name": "cs", "roles": ["csm"], "ote": 100_000, "base_share": 0.8, "quota": 48_000,
            "measure": "net_expansion"}
    result = run(store, plan)
    assert all(r["variable"] == 0 for r in result.rows)
    assert any("c1, c2" in n and "own no accounts" in n for n in result.notes)


def test_a_future_period_says_it_pays_base_only_because_nothing_has_closed(q1_store):
    result = run(q1_store, AE_PLAN, period="2030-Q1")
    assert all(r["payout"] == 0 for r in result.rows)
    assert any("2030-Q1 has not happened yet" in n and "base only" in n for n in result.notes)


def test_a_clawback_names_the_deal_amount_and_what_is_taken_back(gtm):
    store = gtm(users=[{"user_id": "u1", "role": "ae"}],
                opportunities=[won("early", "u1", 60_000, date(2025, 11, 10), account_id="a1")],
                subscriptions=[{"subscription_id": "s1", "account_id": "a1", "start_date": date(2025, 11, 10),
                                "end_date": date(2026, 2, 1), "mrr": 5_000}])
    r = row(run(store, {**AE_PLAN, "clawback": {"months": 12, "share": 1.0}}), "u1")
    assert r["clawbacks"][0]["deal_amount"] == 60_000 and r["clawbacks"][0]["clawback"] == pytest.approx(15_000)
    assert "amount" not in r["clawbacks"][0]


def test_the_tables_show_shares_as_percentages_and_no_empty_notes(q1_store, write):
    db = q1_store.path
    q1_store.close()
    plan = write("comp.yaml", GOOD)
    rows = CliRunner().invoke(_cli(db), ["plan", "comp", "--plan", str(plan), "--period", "2026-Q1"],
                              env={"COLUMNS": "250"})
    assert rows.exit_code == 0, rows.output
    assert "120.0%" in rows.stdout  # u1's attainment
    summary = CliRunner().invoke(_cli(db), ["plan", "comp", "--plan", str(plan), "--period", "2026-Q1",
                                            "--summary"], env={"COLUMNS": "250"})
    assert "70.8%" in summary.stdout and "[]" not in summary.stdout  # cost of sales 85k / 120k
