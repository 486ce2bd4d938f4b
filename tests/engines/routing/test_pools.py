"""Pools: who is passed over (inactive, out of office, capped, overloaded, off shift in their own
time zone), whose turn it is (weighted rotation, fewest open leads), and changes that apply at once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from tests.engines.routing.conftest import TUESDAY_11AM_NY, lead, make_router, model_with, pool_model, user

A, B, C = "rep_a", "rep_b", "rep_c"


def reps(*ids: str, **overrides) -> list[dict]:
    return [user(i, **overrides.get(i, {})) for i in ids]


def route_many(router, n: int, at: datetime = TUESDAY_11AM_NY, step: timedelta = timedelta(0)) -> list:
    return [router.route(lead(f"L{i}", 50, 100), at + step * i).assigned_to for i in range(n)]


def why(decision) -> dict[str, str]:
    return {c["user_id"]: c["why"] for c in decision.candidates()}


# -- rotation -----------------------------------------------------------------------------------
def test_equal_weights_take_strict_turns(model):
    router = make_router(pool_model(model), reps(A, B, C))
    assert route_many(router, 6) == [A, B, C, A, B, C]


def test_weights_by_user_give_proportional_shares_in_an_even_pattern(model):
    router = make_router(pool_model(model, weights={A: 2}), reps(A, B))
    owners = route_many(router, 30)
    assert Counter(owners) == {A: 20, B: 10}
    assert owners[:6] == [A, B, A, B, A, A]
    assert "".join("a" if o == A else "b" for o in owners).count("aaa") == 0  # never three of A in a row


def test_weights_by_role_and_weight_zero_leaves_a_rep_out(model):
    users = reps(A, B) + [user(C, role="manager")]
    router = make_router(pool_model(model, pool="role in ('ae', 'manager')", weights={"manager": 0}), users)
    d = router.route(lead("L", 50, 100), TUESDAY_11AM_NY)
    assert why(d)[C] == "weight 0"
    assert route_many(router, 5) == [B, A, B, A, B]


def test_a_rep_back_from_absence_rejoins_the_rotation_without_a_burst_of_catch_up_leads(model):
    router = make_router(pool_model(model), reps(A, B, C, **{A: {"out_of_office": True}}))
    assert route_many(router, 4) == [B, C, B, C]
    router.user_changed({"user_id": A, "out_of_office": False})
    assert route_many(router, 6) == [A, B, C, A, B, C]


# -- who is passed over -------------------------------------------------------------------------
def test_out_of_office_and_inactive_reps_are_skipped_with_their_reason(model):
    users = reps(A, B, C, **{A: {"out_of_office": True}, B: {"active": False}})
    d = make_router(pool_model(model), users).route(lead("L", 50, 100), TUESDAY_11AM_NY)
    assert d.assigned_to == C
    assert why(d) == {A: "out of office", B: "inactive", C: "next in rotation"}


def test_a_rep_whose_end_date_has_passed_gets_nothing(model):
    users = reps(A, B, **{A: {"end_date": "2026-05-01"}})
    d = make_router(pool_model(model), users).route(lead("L", 50, 100), TUESDAY_11AM_NY)
    assert d.assigned_to == B
    assert why(d)[A] == "inactive (left 2026-05-01)"


def test_a_rep_deactivated_mid_day_stops_receiving_leads_at_once(model):
    router = make_router(pool_model(model), reps(A, B))
    assert route_many(router, 2) == [A, B]
    router.user_changed({"user_id": A, "active": False})
    assert route_many(router, 3) == [B, B, B]


def test_daily_cap_stops_a_rep_for_the_rest_of_their_day_and_resets_the_next(model):
    router = make_router(pool_model(model, cap_per_day=2), reps(A, B))
    assert route_many(router, 5) == [A, B, A, B, "triage"]
    d = router.route(lead("L", 50, 100), TUESDAY_11AM_NY)
    assert why(d) == {A: "daily cap reached (2 of 2 today)", B: "daily cap reached (2 of 2 today)"}
    wednesday = TUESDAY_11AM_NY + timedelta(days=1)
    assert route_many(router, 2, wednesday) == [A, B]


def test_the_daily_cap_counts_the_reps_own_local_day(model):
    # 06:00 UTC Tuesday is still Monday 23:00 in Los Angeles; 16:00 UTC is Tuesday 09:00 there.
    la = [user(A, timezone="America/Los_Angeles")]
    router = make_router(pool_model(model, cap_per_day=1, working_hours="ignore"), la)
    assert router.route(lead("L1", 50, 100), datetime(2026, 5, 12, 6, 0)).assigned_to == A
    assert router.route(lead("L2", 50, 100), datetime(2026, 5, 12, 16, 0)).assigned_to == A
    assert router.route(lead("L3", 50, 100), datetime(2026, 5, 12, 18, 0)).assigned_to == "triage"


def test_weekly_cap_holds_until_the_next_iso_week(model):
    router = make_router(pool_model(model, cap_per_week=3), reps(A))
    days = [TUESDAY_11AM_NY + timedelta(days=d) for d in (0, 1, 2, 3)]  # Tue..Fri
    assert [router.route(lead(f"L{i}", 50, 100), at).assigned_to for i, at in enumerate(days)] == [A, A, A, "triage"]
    monday = TUESDAY_11AM_NY + timedelta(days=6)
    assert router.route(lead("L9", 50, 100), monday).assigned_to == A


# -- working hours in the rep's own time zone ----------------------------------------------------
PARIS = {"timezone": "Europe/Paris", "region": "EMEA"}


def test_reps_outside_their_working_hours_are_skipped_while_someone_is_at_work(model):
    router = make_router(pool_model(model), reps(A, B, **{A: PARIS}))
    d = router.route(lead("L", 50, 100), TUESDAY_11AM_NY)  # 17:00 in Paris: day over
    assert d.assigned_to == B
    assert why(d)[A] == "outside working hours (Tue 17:00 Europe/Paris)"
    morning = datetime(2026, 5, 12, 8, 30)  # 10:30 Paris, 04:30 New York
    assert router.route(lead("L2", 50, 100), morning).assigned_to == A


def test_when_nobody_is_at_work_the_lead_goes_to_whoever_starts_first(model):
    router = make_router(pool_model(model), reps(B, A, **{A: PARIS}))
    saturday = datetime(2026, 5, 16, 12, 0)
    d = router.route(lead("L", 50, 100), saturday)
    assert d.assigned_to == A  # Monday 09:00 Paris comes six hours before Monday 09:00 New York
    assert why(d) == {B: "nobody at work; starts later (Sat 08:00 America/New_York)",
                      A: "nobody at work now; first to start"}


def test_require_working_hours_sends_the_lead_to_else_when_nobody_is_at_work(model):
    router = make_router(pool_model(model, working_hours="require"), reps(A, B))
    assert router.route(lead("L", 50, 100), datetime(2026, 5, 16, 12, 0)).assigned_to == "triage"


# -- overflow and load ---------------------------------------------------------------------------
def test_a_rep_holding_the_maximum_open_leads_is_skipped_until_the_team_catches_up(model):
    router = make_router(pool_model(model), reps(A, B), open_leads={A: 50, B: 48})
    assert route_many(router, 3) == [B, B, "triage"]
    d = router.route(lead("L", 50, 100), TUESDAY_11AM_NY)
    assert why(d)[A] == "holds too many open leads (50 open, max 50)"


def test_least_loaded_gives_the_lead_to_the_rep_with_fewest_open_leads(model):
    m = pool_model(model, type="least_loaded")
    router = make_router(m, reps(A, B, C), open_leads={A: 5, B: 2, C: 2})
    assert route_many(router, 4) == [B, C, B, C]
    d = router.route(lead("L", 50, 100), TUESDAY_11AM_NY)
    assert why(d)[A] == "available, more open leads (5)"


def test_an_account_owner_over_the_limit_overflows_to_the_least_loaded_teammate(model):
    m = model_with(model, nodes=[
        {"key": "start", "type": "start", "next": "account"},
        {"key": "account", "type": "account_match", "match_on": ["domain"], "else": "triage"},
        {"key": "triage", "type": "queue", "queue": "triage"}])
    team = {"team": "NA Smb"}
    users = reps(A, B, C, **{A: team, B: team, C: team})
    accounts = [{"account_id": "acc1", "name": "Acme", "domain": "acme.com", "owner_id": A}]
    router = make_router(m, users, accounts=accounts, open_leads={A: 50, B: 9, C: 4})
    d = router.route(lead("L", 50, 100, email="ana@acme.com"), TUESDAY_11AM_NY)
    assert d.assigned_to == C
    assert why(d)[A] == "holds too many open leads (50 open, max 50)"
    queued = model_with(m, overflow={"max_open_leads_per_rep": 50, "action": "send_to_queue", "queue": "overflow"})
    d = make_router(queued, users, accounts=accounts, open_leads={A: 50}).route(
        lead("L", 50, 100, email="ana@acme.com"), TUESDAY_11AM_NY)
    assert (d.assigned_to, d.assigned_kind) == ("overflow", "queue")
