"""The seeds' routing flowchart, as the default revenue model draws it, on hand-built leads.

    score > 80 and > 1,000 employees   -> enterprise AE by territory
    score > 60 and 200-1,000 employees -> mid-market SDR (then AE)
    score > 40 and < 200 employees     -> SMB round robin
    otherwise                          -> nurture
"""

from __future__ import annotations

from tests.engines.routing.conftest import ORG_USERS, TUESDAY_11AM_NY, lead, make_router


def test_hot_enterprise_lead_goes_to_the_enterprise_ae_of_its_territory(model):
    d = make_router(model).route(lead("L1", 85, 5000, "US"), TUESDAY_11AM_NY)
    assert (d.assigned_to, d.assigned_kind, d.team) == ("ent_na", "user", "NA Enterprise")
    assert d.path == ["new_lead", "high_score", "enterprise"]
    first = d.steps[0]
    assert (first.node, first.tested) == ("high_score", {"score": 85, "company_size": 5000})
    assert first.outcome.startswith("yes")
    territory = d.steps[1]
    assert territory.tested == {"country": "US", "region": "NA", "segment": "enterprise", "territory": "t_na_ent"}


def test_warm_mid_market_lead_goes_to_a_mid_market_sdr_of_its_region(model):
    d = make_router(model).route(lead("L2", 70, 500, "US"), TUESDAY_11AM_NY)
    assert (d.assigned_to, d.team) == ("sdr_na", "SDR NA")
    assert d.path == ["new_lead", "high_score", "mid_score", "mid_market_sdr"]
    assert [s.outcome.split(",")[0] for s in d.steps[:2]] == ["no", "yes"]


def test_engaged_small_company_leads_take_turns_in_the_smb_round_robin(model):
    router = make_router(model)
    owners = [router.route(lead(f"S{i}", 50, 100, "US"), TUESDAY_11AM_NY).assigned_to for i in range(4)]
    assert owners == ["smb_ny", "smb_chi", "smb_ny", "smb_chi"]
    d = router.route(lead("S9", 50, 100, "US"), TUESDAY_11AM_NY)
    assert d.path == ["new_lead", "high_score", "mid_score", "low_score", "smb"]


def test_a_cold_lead_goes_to_nurture(model):
    d = make_router(model).route(lead("L4", 30, 5000, "US"), TUESDAY_11AM_NY)
    assert (d.assigned_to, d.assigned_kind, d.team) == ("marketing_nurture", "nurture", None)
    assert d.path[-1] == "nurture"


def test_a_lead_no_condition_matches_follows_the_declared_default(model):
    # No score at all: every comparison is null, so each condition takes its else branch.
    d = make_router(model).route(lead("L5", None, None, None), TUESDAY_11AM_NY)
    assert d.path == ["new_lead", "high_score", "mid_score", "low_score", "nurture"]
    assert d.assigned_kind == "nurture"


def test_a_country_missing_from_the_territory_list_matches_by_its_region(model):
    # Italy is not in the EMEA territory's countries, but routing.regions puts IT in EMEA.
    d = make_router(model).route(lead("L6", 90, 2000, "it"), TUESDAY_11AM_NY)
    assert d.assigned_to == "ent_emea"
    assert d.steps[-1].tested["region"] == "EMEA"


def test_a_lead_no_territory_covers_goes_to_the_enterprise_nodes_else(model):
    d = make_router(model).route(lead("L7", 90, 2000, "BR"), TUESDAY_11AM_NY)  # LATAM: no territory
    assert (d.assigned_to, d.assigned_kind) == ("revops_triage", "queue")
    assert d.path == ["new_lead", "high_score", "enterprise", "triage"]
    assert "no territory matches" in d.reason


def test_territory_owner_takes_the_lead_when_the_team_is_out(model):
    users = [u if u["user_id"] != "ent_na" else {**u, "out_of_office": True} for u in ORG_USERS]
    d = make_router(model, users).route(lead("L8", 85, 5000, "CA"), TUESDAY_11AM_NY)
    assert d.assigned_to == "mgr_na"
    why = {c["user_id"]: c["why"] for c in d.candidates()}
    assert why == {"ent_na": "out of office", "mgr_na": "owner"}


def test_the_reason_reads_as_the_path_with_the_values_tested(model):
    d = make_router(model).route(lead("L9", 85, 5000, "US"), TUESDAY_11AM_NY)
    assert d.reason.startswith("high_score (score=85, company_size=5000): yes, score > 80 and company_size > 1000")
    assert d.reason.endswith("ent_na (Ent Na)")
    row = d.row()
    assert set(row) == {"lead_id", "assigned_to", "team", "path", "reason"}
    assert row["path"] == ["new_lead", "high_score", "enterprise"]


def test_a_pool_with_nobody_in_the_leads_region_goes_to_triage(model):
    # The only SDRs are in NA; an Australian mid-market lead finds nobody in APAC.
    d = make_router(model).route(lead("L10", 70, 500, "AU"), TUESDAY_11AM_NY)
    assert d.assigned_to == "revops_triage"
    assert "nobody in the pool in region APAC" in d.reason


def test_rerouting_moves_the_open_lead_from_the_previous_owner_to_the_new_one(model):
    router = make_router(model, open_leads={"smb_chi": 3})
    d = router.route({**lead("L11", 50, 100, "US"), "owner_id": "smb_chi"}, TUESDAY_11AM_NY)
    assert (d.previous_owner, d.assigned_to) == ("smb_chi", "smb_ny")
    reps = router.state.reps
    assert (reps["smb_chi"].open_leads, reps["smb_ny"].open_leads) == (2, 1)
