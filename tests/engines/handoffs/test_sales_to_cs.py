"""Sales-to-CS handoffs: a won new-business deal gets a handoff record that says what CS must
know, who in CS has it, and when the kickoff is due."""

from __future__ import annotations

from datetime import date, datetime

from revops.engines.deals.moves import StageMove, move_deal
from revops.engines.handoffs import handoff_rows, run_sales_to_cs
from revops.model.schema import RevenueModel
from tests.gtm import with_custom_fields

WON = datetime(2026, 5, 15, 15, 0)  # Friday 11:00 in New York


def _deal(opportunity_id: str, stage: str = "negotiation", type_: str = "new_business", **extra):
    return {"opportunity_id": opportunity_id, "account_id": "acc_1", "owner_id": "usr_ae", "stage": stage,
            "amount": 48000.0, "close_date": date(2026, 5, 15), "created_at": datetime(2026, 3, 1),
            "type": type_, "next_step": "Sign", "contact_id": "con_1", **extra}


def _world(gtm, deals, history=()):
    users = [{"user_id": "usr_ae", "role": "ae", "active": True}]
    return gtm(users=users, accounts=[{"account_id": "acc_1", "owner_id": "usr_ae"}], opportunities=deals,
               opportunity_history=list(history))


def _handoffs(store):
    return store.query("SELECT * FROM _sales_to_cs_handoffs ORDER BY opportunity_id")


def test_a_deal_won_by_a_move_gets_its_handoff_in_the_same_transaction(gtm):
    store = _world(gtm, [_deal("opp_1")])
    move_deal(store, RevenueModel(), StageMove("opp_1", "closed_won"), now=WON)
    [h] = _handoffs(store)
    assert (h["status"], h["missing_fields"]) == ("incomplete", "use_case,stakeholders,promised")
    assert (h["cs_owner"], h["cs_owner_kind"], h["sales_owner"]) == ("cs_onboarding", "queue", "usr_ae")
    assert h["won_at"] == WON
    assert h["kickoff_due_at"] == datetime(2026, 5, 20, 15, 0)  # closed_won_to_kickoff: 5 calendar days
    assert run_sales_to_cs(store, RevenueModel(), at=datetime(2026, 5, 16)).opened == []  # has one already


def test_required_fields_come_from_the_deal_and_complete_the_handoff(gtm):
    model = with_custom_fields(RevenueModel(), opportunities={"use_case": "string", "stakeholders": "string",
                                                              "promised": "string"})
    store = _world(gtm, [_deal("opp_1")])
    move_deal(store, model, StageMove("opp_1", "closed_won", {"use_case": "Forecasting",
                                                                "stakeholders": "CFO, VP Sales"}), now=WON)
    [h] = _handoffs(store)
    assert (h["status"], h["missing_fields"]) == ("incomplete", "promised")
    move_deal(store, model, StageMove("opp_1", "closed_won", {"promised": "SSO by June"}), now=WON)
    [h] = _handoffs(store)
    assert (h["status"], h["missing_fields"]) == ("complete", "")
    assert '"promised": "SSO by June"' in h["fields"]


def test_a_deal_imported_won_gets_its_handoff_from_the_command_once(gtm):
    history = [{"history_id": "h1", "opportunity_id": "opp_1", "changed_at": datetime(2026, 3, 1),
                "stage": "negotiation"},
               {"history_id": "h2", "opportunity_id": "opp_1", "changed_at": WON, "stage": "closed_won"}]
    deals = [_deal("opp_1", "closed_won"), _deal("opp_2", "closed_won", "renewal"), _deal("opp_3", "negotiation")]
    store = _world(gtm, deals, history)
    run = run_sales_to_cs(store, RevenueModel(), at=datetime(2026, 5, 16))
    assert [r["opportunity_id"] for r in run.opened] == ["opp_1"]  # a renewal needs no handoff; opp_3 is open
    assert run.opened[0]["won_at"] == WON
    again = run_sales_to_cs(store, RevenueModel(), at=datetime(2026, 5, 16))
    assert again.opened == [] and again.refreshed == [] and len(_handoffs(store)) == 1


def test_since_leaves_out_deals_won_before_it(gtm):
    store = _world(gtm, [_deal("opp_1", "closed_won")])  # no history: won on its close date, 2026-05-15
    assert run_sales_to_cs(store, RevenueModel(), since=date(2026, 5, 16), at=datetime(2026, 6, 1)).opened == []
    assert len(run_sales_to_cs(store, RevenueModel(), since=date(2026, 5, 15), at=datetime(2026, 6, 1)).opened) == 1


def test_the_accounts_csm_owns_the_handoff(gtm):
    store = _world(gtm, [_deal("opp_1", "closed_won"),
                         _deal("opp_r", "discovery", "renewal", owner_id="usr_csm")])
    store.con.execute("INSERT INTO users (user_id, role, active) VALUES ('usr_csm', 'csm', true)")
    [h] = run_sales_to_cs(store, RevenueModel(), at=datetime(2026, 6, 1)).opened
    assert (h["cs_owner"], h["cs_owner_kind"]) == ("usr_csm", "csm")


def _business_day_kickoff() -> RevenueModel:
    data = RevenueModel().model_dump(mode="json", by_alias=True)
    for sla in data["slas"]:
        if sla["key"] == "closed_won_to_kickoff":
            sla["unit"] = "business_days"
    return RevenueModel.model_validate(data)


def test_kickoff_sla_in_business_days_due_met_and_breached(gtm):
    # Won Fri 2026-05-15 11:00 New York. 5 business days of 8 hours: Fri 11-17 (6 h), Mon-Thu
    # (32 h), and 2 h of the next Friday -> due Fri 2026-05-22 11:00 NY = 15:00 UTC.
    model = _business_day_kickoff()
    store = _world(gtm, [_deal("opp_1")])
    move_deal(store, model, StageMove("opp_1", "closed_won"), now=WON)
    [h] = _handoffs(store)
    assert h["kickoff_due_at"] == datetime(2026, 5, 22, 15, 0)
    row = lambda at: handoff_rows(store, model, at, "sales_to_cs")[0]  # noqa: E731
    assert (row(datetime(2026, 5, 22, 14, 59))["sla_state"], row(datetime(2026, 5, 22, 15, 1))["sla_state"]) == \
        ("due", "breached")
    assert row(datetime(2026, 5, 22, 15, 1))["sla_due_at"] == datetime(2026, 5, 22, 15, 0)
    store.con.execute("INSERT INTO activities (activity_id, occurred_at, type, subject, owner_id, account_id) "
                      "VALUES ('k1', TIMESTAMP '2026-05-21 14:00', 'meeting', 'Kickoff call', 'usr_ae', 'acc_1')")
    assert row(datetime(2026, 5, 25))["sla_state"] == "met"
    assert row(datetime(2026, 5, 25))["missing_fields"] == "use_case,stakeholders,promised"


def test_the_default_model_declares_what_a_handoff_asks_so_a_rep_can_fill_it_with_the_win(gtm):
    from revops.model import load_model

    store = _world(gtm, [_deal("opp_1")])
    move_deal(store, load_model(None), StageMove("opp_1", "closed_won", {
        "use_case": "Forecasting", "stakeholders": "CFO (economic buyer), RevOps lead (champion)",
        "promised": "Salesforce sync live by June"}), now=WON)
    [h] = _handoffs(store)
    assert (h["status"], h["missing_fields"]) == ("complete", "")
