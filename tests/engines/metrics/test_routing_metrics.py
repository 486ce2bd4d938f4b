"""Routing metrics over stored routing decisions: leads placed, queued, fallen back."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest

from tests.engines.metrics.conftest import metric_values


def decision(i: int, day: int, trigger: str, kind: str, to: str | None, previous: str | None = None) -> dict:
    return {"decision_id": f"d{i}", "lead_id": f"L{i}", "decided_at": datetime(2026, 5, day, 15),
            "trigger": trigger, "assigned_kind": kind, "assigned_to": to, "previous_owner": previous}


DECISIONS = [
    decision(1, 12, "route", "user", "rep_a"),
    decision(2, 12, "route", "user", "rep_b"),
    decision(3, 12, "route", "queue", "revops_triage"),
    decision(4, 12, "route", "nurture", "marketing_nurture"),
    decision(5, 13, "fallback", "user", "mgr", previous="rep_a"),  # rep_a missed the window on L1
    decision(6, 14, "api", "user", "rep_a"),
    decision(7, 15, "handoff", "user", "ae_1", previous="rep_b"),
]


@pytest.fixture
def routed(gtm):
    store = gtm(users=[{"user_id": u, "team": "NA Smb" if u.startswith("rep") else "Sales NA"}
                       for u in ("rep_a", "rep_b", "mgr", "ae_1")])
    store.append("_routing_decisions", pa.Table.from_pylist(DECISIONS))
    return store


def test_leads_routed_counts_first_placements_only(routed):
    [row] = metric_values(routed, "leads_routed", start="2026-05-01", end="2026-05-31", today=date(2026, 5, 31))
    assert row["value"] == 5  # the fallback and the hand-off move leads already placed


def test_queue_rate_is_the_share_of_rep_or_queue_placements_that_went_to_a_queue(routed):
    [row] = metric_values(routed, "routed_to_queue_rate", start="2026-05-01", end="2026-05-31",
                          today=date(2026, 5, 31))
    assert row["value"] == pytest.approx(1 / 4)


def test_fallback_rate_by_owner_counts_against_the_rep_who_lost_the_lead(routed):
    rows = metric_values(routed, "routing_fallback_rate", by="owner", start="2026-05-01", end="2026-05-31",
                         today=date(2026, 5, 31))
    by_owner = {r["owner"]: r["value"] for r in rows}
    assert by_owner["rep_a"] == pytest.approx(1 / 2)  # 1 fallback of the 2 leads rep_a was given
    assert by_owner["rep_b"] == 0


def test_a_store_that_never_routed_counts_zero(gtm):
    [row] = metric_values(gtm(users=[{"user_id": "u"}]), "leads_routed", today=date(2026, 5, 31))
    assert row["value"] == 0
