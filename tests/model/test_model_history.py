"""Definition history: who changed the MQL definition, and when."""

from __future__ import annotations

import pytest

from revops.model import load_model
from revops.model.history import describe_changes, model_history, record_model_version


@pytest.fixture
def store():
    from revops.store import Store

    s = Store(":memory:")
    yield s
    s.close()


def test_first_version_is_recorded_once(store):
    model = load_model(None)
    assert record_model_version(store, model, "revops.yaml by ana") == 1
    assert record_model_version(store, model, "revops.yaml by ana") is None
    [row] = model_history(store)
    assert row["version"] == 1 and row["hash"] == model.hash()
    assert row["summary"].startswith("initial model: 7 pipeline stages")
    assert row["source"] == "revops.yaml by ana"
    assert row["applied_at"] is not None


def test_a_changed_definition_is_summarised(store):
    model = load_model(None)
    record_model_version(store, model, "v1")
    changed = load_model(None)
    changed.lifecycle.stage("mql").entry_criteria = "score >= 70"
    changed.scoring.mql_threshold = 70
    changed.stage("proposal").probability = 0.55
    assert record_model_version(store, changed, "v2 by ben") == 2
    latest = model_history(store)[0]
    assert latest["version"] == 2 and latest["source"] == "v2 by ben"
    assert "lifecycle.stages.mql.entry_criteria: 'score >= 60' -> 'score >= 70'" in latest["summary"]
    assert "pipeline.stages.proposal.probability: 0.6 -> 0.55" in latest["summary"]
    assert "scoring.mql_threshold: 60.0 -> 70.0" in latest["summary"]


def test_added_and_removed_definitions():
    old = {"slas": [{"key": "a", "duration": 4}, {"key": "b", "duration": 1}]}
    new = {"slas": [{"key": "a", "duration": 4}, {"key": "c", "duration": 2}]}
    assert describe_changes(old, new) == ["slas: removed 'b'", "slas: added 'c'"]


def test_reordered_stages_are_reported():
    old = {"stages": [{"key": "a"}, {"key": "b"}]}
    new = {"stages": [{"key": "b"}, {"key": "a"}]}
    assert describe_changes(old, new) == ["stages: order ['a', 'b'] -> ['b', 'a']"]
