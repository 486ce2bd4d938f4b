"""Leads taken in a batch are scored as `score_lead` scores one lead, predictive blend included."""

from __future__ import annotations

import json

import pandas as pd

import revops.api.intake.desk as desk_module
import revops.engines.scoring.combined as combined
from revops.api.intake import LeadIntake
from revops.engines.scoring.combined import score_lead
from revops.store import Store
from tests.api.conftest import TUESDAY_11AM_NY, hot_smb_lead


def fake_predictions(store, leads, *, factors=True):
    """A stand-in model: a lead's percentile is its company size / 50, its probability a hundredth of that."""
    sizes = leads["company_size"] if "company_size" in leads else pd.Series(0.0, index=leads.index)
    percentile = sizes.fillna(0).astype(float) / 50.0
    return pd.DataFrame({"lead_id": leads["lead_id"], "predicted_conversion": percentile / 100.0,
                         "predicted_percentile": percentile, "top_factors": [[] for _ in range(len(leads))]})


def test_a_batch_blends_the_predictions_as_score_lead_does(org_db, default_model, monkeypatch):
    monkeypatch.setattr(combined, "predict", fake_predictions)
    monkeypatch.setattr(combined, "active_model_version", lambda store: 7)
    monkeypatch.setattr(desk_module, "active_model_version", lambda store: 7)
    leads = [{**hot_smb_lead(f"L{size}"), "company_size": size, "touches": []} for size in (150, 900, 2500, 4000)]
    with Store(org_db) as store:
        intake = LeadIntake.start(store, default_model, clock=lambda: TUESDAY_11AM_NY)
        try:
            futures = [intake.submit_lead(lead) for lead in leads]
            answers = [f.result(30) for f in futures]
        finally:
            intake.close()
        got = [json.loads(a.body) for a in answers]
        expected = [score_lead(default_model, {**lead, "created_at": TUESDAY_11AM_NY}, None, TUESDAY_11AM_NY,
                               store=store) for lead in leads]
    assert [g["score"] for g in got] == [e.score for e in expected]
    assert [g["predicted_conversion"] for g in got] == [e.predicted_conversion for e in expected]
    # 4,000 people: rules 40 (fit capped) blended half and half with the 80th percentile -> 60, an MQL
    assert got[-1]["score"] == 60.0 and got[-1]["mql"] is True
