"""Expansion signals: a customer whose seats are nearly full becomes an expansion deal for its
owner, once, held to the first-touch SLA."""

from __future__ import annotations

from datetime import date, datetime

from revops.engines.handoffs import handoff_rows, run_expansion
from revops.model.schema import RevenueModel

AT = datetime(2026, 5, 15)  # a Friday; 00:00 UTC is Thursday 20:00 in New York


def _model(action: str = "opportunity") -> RevenueModel:
    data = RevenueModel().model_dump(mode="json", by_alias=True)
    data["handoffs"]["expansion"]["signals"] = [
        {"key": "seats_nearly_full", "label": "Seats nearly full", "when": "seat_utilisation > 0.9",
         "action": action}]
    return RevenueModel.model_validate(data)


def _world(gtm):
    users = [{"user_id": "usr_ae", "role": "ae", "active": True, "manager_id": "usr_mgr"},
             {"user_id": "usr_gone", "role": "ae", "active": False, "manager_id": "usr_mgr"},
             {"user_id": "usr_mgr", "role": "manager", "active": True}]
    accounts = [{"account_id": a, "name": a.title(), "owner_id": o, "type": "customer"}
                for a, o in (("acc_full", "usr_ae"), ("acc_roomy", "usr_ae"), ("acc_orphan", "usr_gone"))]
    subs = [{"subscription_id": f"sub_{a}", "account_id": a, "start_date": date(2025, 1, 1), "mrr": 1000.0,
             "seats": 20} for a in ("acc_full", "acc_roomy", "acc_orphan")]
    usage = [{"usage_id": f"u_{a}", "account_id": a, "usage_date": date(2026, 5, 10), "metric": "active_users",
              "value": v} for a, v in (("acc_full", 19.0), ("acc_roomy", 17.0), ("acc_orphan", 19.0))]
    return gtm(users=users, accounts=accounts, subscriptions=subs, usage=usage)


def test_utilisation_above_90_percent_fires_and_85_percent_does_not(gtm):
    store = _world(gtm)
    run = run_expansion(store, _model(), AT)
    fired = {r["account_id"]: r for r in run.fired}
    assert set(fired) == {"acc_full", "acc_orphan"}  # 19/20 = 0.95 fires, 17/20 = 0.85 does not
    full = fired["acc_full"]
    assert full["routed_to"] == "usr_ae" and full["routed_kind"] == "user"
    assert "seat_utilisation 0.95" in full["reason"]
    deal = store.query("SELECT * FROM opportunities WHERE opportunity_id = ?", [full["opportunity_id"]])[0]
    assert (deal["type"], deal["stage"], deal["owner_id"], deal["source"]) == \
        ("expansion", "discovery", "usr_ae", "expansion_signal")
    assert store.query("SELECT count(*) AS n FROM opportunity_history WHERE opportunity_id = ?",
                       [full["opportunity_id"]])[0]["n"] == 1


def test_an_inactive_owner_falls_back_to_their_manager(gtm):
    store = _world(gtm)
    orphan = next(r for r in run_expansion(store, _model(), AT).fired if r["account_id"] == "acc_orphan")
    assert orphan["routed_to"] == "usr_mgr"
    assert "usr_gone is inactive" in orphan["routing_reason"]


def test_no_active_person_sends_it_to_the_queue(gtm):
    store = _world(gtm)
    store.con.execute("UPDATE users SET active = false WHERE user_id = 'usr_mgr'")
    orphan = next(r for r in run_expansion(store, _model(), AT).fired if r["account_id"] == "acc_orphan")
    assert (orphan["routed_to"], orphan["routed_kind"]) == ("expansion_queue", "queue")


def test_running_again_changes_nothing(gtm):
    store = _world(gtm)
    first = run_expansion(store, _model(), AT)
    counts = [store.query(f"SELECT count(*) AS n FROM {t}")[0]["n"]
              for t in ("_expansion_signals", "opportunities", "opportunity_history")]
    again = run_expansion(store, _model(), AT)
    later = run_expansion(store, _model(), datetime(2026, 6, 1))  # within the cool-down
    assert len(first.fired) == 2 and again.fired == [] and later.fired == [] and again.held_back == 2
    assert counts == [store.query(f"SELECT count(*) AS n FROM {t}")[0]["n"]
                      for t in ("_expansion_signals", "opportunities", "opportunity_history")]


def test_after_the_cool_down_a_rule_fires_again_only_once_its_deal_is_closed(gtm):
    store = _world(gtm)
    run_expansion(store, _model(), AT)
    store.con.execute("INSERT INTO usage (usage_id, account_id, usage_date, metric, value) "
                      "VALUES ('u2', 'acc_full', DATE '2026-09-01', 'active_users', 19)")
    assert run_expansion(store, _model(), datetime(2026, 9, 15)).fired == []  # cooled down, deal still open
    store.con.execute("UPDATE opportunities SET stage = 'closed_lost' WHERE type = 'expansion' "
                      "AND account_id = 'acc_full'")
    assert [r["account_id"] for r in run_expansion(store, _model(), datetime(2026, 9, 15)).fired] == ["acc_full"]


def test_dry_run_writes_nothing(gtm):
    store = _world(gtm)
    assert len(run_expansion(store, _model(), AT, dry_run=True).fired) == 2
    assert store.query("SELECT count(*) AS n FROM _expansion_signals")[0]["n"] == 0


def test_first_touch_sla_is_two_business_days_from_the_signal(gtm):
    # Fri 2026-05-15 00:00 UTC = Thu 20:00 New York, after hours: the clock starts Fri 09:00 NY
    # and runs 2 business days of 8 hours: Fri 09-17 and Mon 09-17 -> due Mon 17:00 NY = 21:00 UTC.
    store = _world(gtm)
    full = next(r for r in run_expansion(store, _model(), AT).fired if r["account_id"] == "acc_full")
    assert full["sla_due_at"] == datetime(2026, 5, 18, 21, 0)
    store.con.execute("INSERT INTO activities (activity_id, occurred_at, type, owner_id, account_id) "
                      "VALUES ('a1', TIMESTAMP '2026-05-18 20:00', 'call', 'usr_ae', 'acc_full')")
    rows = {r["account_id"]: r for r in handoff_rows(store, _model(), datetime(2026, 5, 19, 12))}
    assert rows["acc_full"]["sla_state"] == "met"
    assert rows["acc_full"]["sla_due_at"] == datetime(2026, 5, 18, 21, 0)
    assert rows["acc_orphan"]["sla_state"] == "breached"  # nobody touched it by Monday 17:00 NY
    assert rows["acc_full"]["status"] == "open" and rows["acc_full"]["kind"] == "expansion"


def test_a_task_signal_is_open_until_its_owner_touches_the_account(gtm):
    store = _world(gtm)
    fired = {r["account_id"]: r for r in run_expansion(store, _model("task"), AT).fired}
    assert fired["acc_full"]["opportunity_id"] is None
    assert store.query("SELECT count(*) AS n FROM opportunities")[0]["n"] == 0
    store.con.execute("INSERT INTO activities (activity_id, occurred_at, type, owner_id, account_id) "
                      "VALUES ('a1', TIMESTAMP '2026-05-19 14:00', 'call', 'usr_ae', 'acc_full')")
    rows = {r["account_id"]: r for r in handoff_rows(store, _model("task"), datetime(2026, 5, 20))}
    assert (rows["acc_full"]["status"], rows["acc_full"]["sla_state"]) == ("done", "breached")
    assert (rows["acc_orphan"]["status"], rows["acc_orphan"]["sla_state"]) == ("open", "breached")
