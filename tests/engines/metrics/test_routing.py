"""Routing metrics: leads the graph routed, the share it could not give to a rep, and the share
the SLA fallback took back from the rep. Worked by hand from six leads:

- l1 (US): routed to Sam (SDR NA) on Mon 12 January, taken back by the fallback that afternoon;
- l2 (US): sent by the API to Sam the same day, called in time;
- l3 (DE): parked in nurture on 13 January, routed again as an MQL to Eva (EMEA Smb) on 2 February;
- l4 (DE): no rep could take it on 14 January: the triage queue;
- l5 (US): handed on from the SDR to an AE (a hand-off, not a routing of a waiting lead);
- l6 (GB): sent by the API to Eva on 3 February, taken back by the fallback on 5 February.
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest

from revops.engines.metrics import compute
from revops.engines.routing.audit import AUDIT_COLUMNS
from revops.model import load_model
from tests.engines.metrics.conftest import metric_values, value

T = datetime
TODAY = date(2026, 2, 10)
NAMES = ["leads_routed", "routed_to_queue_rate", "fallback_rate"]


def decision(n: int, lead: str, at: datetime, trigger: str, kind: str, to: str | None, team: str | None = None,
             previous: str | None = None) -> dict:
    return {"decision_id": f"d{n}", "lead_id": lead, "decided_at": at, "trigger": trigger, "model_hash": "m",
            "path": "[]", "steps": "[]", "previous_owner": previous, "assigned_to": to, "assigned_kind": kind,
            "team": team, "reason": ""}


DECISIONS = [
    decision(1, "l1", T(2026, 1, 12, 10), "route", "user", "sam", "SDR NA"),
    decision(2, "l1", T(2026, 1, 12, 15), "fallback", "user", "max", "SDR NA", previous="sam"),
    decision(3, "l2", T(2026, 1, 12, 11), "api", "user", "sam", "SDR NA"),
    decision(4, "l3", T(2026, 1, 13, 9), "route", "nurture", "marketing_nurture"),
    decision(5, "l3", T(2026, 2, 2, 9), "route", "user", "eva", "EMEA Smb"),
    decision(6, "l4", T(2026, 1, 14, 9), "route", "queue", "revops_triage"),
    decision(7, "l5", T(2026, 1, 20, 9), "handoff", "user", "abe", "NA Mid Market", previous="sam"),
    decision(8, "l6", T(2026, 2, 3, 9), "api", "user", "eva", "EMEA Smb"),
    decision(9, "l6", T(2026, 2, 5, 9), "fallback", "user", "max", "SDR NA", previous="eva"),
]


@pytest.fixture
def routed(gtm):
    store = gtm(
        users=[{"user_id": "sam", "team": "SDR NA", "region": "NA", "role": "sdr"},
               {"user_id": "eva", "team": "EMEA Smb", "region": "EMEA", "role": "ae", "segment": "smb"},
               {"user_id": "max", "team": "SDR NA", "region": "NA", "role": "manager"},
               {"user_id": "abe", "team": "NA Mid Market", "region": "NA", "role": "ae", "segment": "mid_market"}],
        leads=[{"lead_id": f"l{i}", "country": c} for i, c in enumerate(["US", "US", "de", "DE", "US", "GB"], 1)])
    store.append("_routing_decisions", pa.table({c: pa.array([d[c] for d in DECISIONS],
                                                             pa.timestamp("us") if c == "decided_at" else pa.string())
                                                 for c in AUDIT_COLUMNS}))
    return store


def by(rows, *keys):
    return {(r["metric"], *(r[k] for k in keys)): r["value"] for r in rows}


def test_each_metric_by_month(routed):
    got = by(metric_values(routed, NAMES, today=TODAY, period="month"), "period")
    assert got == {
        # January: l1, l2, l3 (nurture), l4 (queue); the hand-off and the fallback are not routings
        ("leads_routed", "2026-01"): 4, ("leads_routed", "2026-02"): 2,
        ("routed_to_queue_rate", "2026-01"): pytest.approx(2 / 4), ("routed_to_queue_rate", "2026-02"): 0.0,
        # January: of l1 and l2 given to Sam, l1 fell back; February: of l3 and l6 given to Eva, l6
        ("fallback_rate", "2026-01"): pytest.approx(1 / 2), ("fallback_rate", "2026-02"): pytest.approx(1 / 2)}


def test_a_lead_routed_twice_in_a_period_counts_once(routed):
    assert value(routed, "leads_routed", today=TODAY) == 5  # l1, l2, l3, l4, l6
    assert value(routed, "routed_to_queue_rate", today=TODAY) == pytest.approx(2 / 6)  # decisions, not leads


def test_by_team_owner_and_the_leads_region(routed):
    rows = metric_values(routed, ["routed_to_queue_rate", "fallback_rate"], today=TODAY, by="team")
    assert by(rows, "team") == {
        ("routed_to_queue_rate", "SDR NA"): 0.0, ("routed_to_queue_rate", "EMEA Smb"): 0.0,
        ("routed_to_queue_rate", None): 1.0,  # queue and nurture decisions have no team
        ("fallback_rate", "SDR NA"): pytest.approx(1 / 2), ("fallback_rate", "EMEA Smb"): pytest.approx(1 / 2)}
    rows = metric_values(routed, ["leads_routed", "routed_to_queue_rate"], today=TODAY, by="region")
    # the lead's region from its country (de counts as DE): queued and nurtured leads have one too
    assert by(rows, "region") == {("leads_routed", "NA"): 2, ("leads_routed", "EMEA"): 3,
                                  ("routed_to_queue_rate", "NA"): 0.0,
                                  ("routed_to_queue_rate", "EMEA"): pytest.approx(2 / 4)}
    rows = metric_values(routed, "leads_routed", today=TODAY, by="owner")
    assert by(rows, "owner") == {("leads_routed", "sam"): 2, ("leads_routed", "eva"): 2,
                                 ("leads_routed", None): 2}
    rows = metric_values(routed, "fallback_rate", today=TODAY, by="segment,owner_region")
    assert by(rows, "segment", "owner_region") == {("fallback_rate", None, "NA"): pytest.approx(1 / 2),
                                                   ("fallback_rate", "smb", "EMEA"): pytest.approx(1 / 2)}


def test_as_of_a_past_day_later_decisions_do_not_exist_yet(routed):
    # at the end of 4 February, l6's fallback (5 February) had not happened
    rows = metric_values(routed, NAMES, as_of=date(2026, 2, 4), period="month")
    assert by(rows, "period")[("fallback_rate", "2026-02")] == 0.0
    assert by(rows, "period")[("fallback_rate", "2026-01")] == pytest.approx(1 / 2)
    # at the end of 12 January: l1 and l2 routed, l1 already taken back
    assert value(routed, "leads_routed", as_of=date(2026, 1, 12)) == 2
    assert value(routed, "fallback_rate", as_of=date(2026, 1, 12)) == pytest.approx(1 / 2)


def test_a_store_without_decisions_routed_nothing(gtm):
    store = gtm(leads=[{"lead_id": "l1", "country": "US"}])
    assert value(store, "leads_routed", today=TODAY) == 0
    assert value(store, "routed_to_queue_rate", today=TODAY) is None


def test_routing_metrics_explain_their_sql(routed):
    from revops.engines.metrics import explain

    info = explain(routed.ibis, load_model(None), "fallback_rate")
    assert "_routing_decisions" in info["sql"][0]["sql"]
    assert compute(routed.ibis, load_model(None), "fallback_rate", today=TODAY).value[0] == pytest.approx(2 / 4)
