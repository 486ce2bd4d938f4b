"""`revops score train` and `revops score models`, run as a user runs them.

Contract: `revops score train --format json` trains on stored leads that have `converted`
and prints {"model_version", "auc", "n_train", "n_test", "features"}.
"""

from __future__ import annotations

import json
import shutil

import pytest

from revops.store import Store
from tests.conftest import DEMO_TODAY, run_cli

TODAY = DEMO_TODAY


@pytest.fixture
def small(demo_files, tmp_path):
    path = tmp_path / "small.duckdb"
    shutil.copy(demo_files["small"], path)
    return path


def test_train_prints_the_contract_and_retraining_adds_a_version(small):
    first = run_cli("--db", str(small), "score", "train", "--format", "json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)  # stdout holds only the JSON
    assert set(data) == {"model_version", "auc", "n_train", "n_test", "features"}
    assert data["model_version"] == 1
    assert 0.65 < data["auc"] < 0.9
    assert data["n_train"] > 3000 and data["n_test"] > 700
    assert data["n_test"] == pytest.approx(0.2 * (data["n_train"] + data["n_test"]), abs=5)
    assert "source" in data["features"] and "company_size" in data["features"]
    assert not {"converted", "status", "converted_at", "mql_at", "owner_id", "score"} & set(data["features"])

    second = run_cli("--db", str(small), "score", "train", "--format", "json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["model_version"] == 2

    listed = run_cli("--db", str(small), "score", "models", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [(m["version"], m["active"]) for m in json.loads(listed.stdout)] == [(1, False), (2, True)]

    # once trained, `revops score` fills predicted_conversion with a probability
    scored = run_cli("--db", str(small), "score", "--format", "json", "--dry-run", "--at", "2026-05-15")
    assert scored.returncode == 0, scored.stderr
    probabilities = [row["predicted_conversion"] for row in json.loads(scored.stdout)]
    assert all(0 < p < 1 for p in probabilities)


def test_the_report_shows_calibration_and_lift_by_decile(small):
    done = run_cli("--db", str(small), "score", "train", "--report", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["report"]
    assert len(report["calibration"]) == 10 and len(report["lift"]) == 10
    assert report["lift"][0]["lift"] > 1.5
    assert report["brier"] < report["brier_baseline"]
    assert report["split"]["kind"] == "time" and report["split"]["train_to"] <= report["split"]["test_from"]

    table = run_cli("--db", str(small), "score", "models", "--version", "1")
    assert table.returncode == 0, table.stderr
    assert "Lift by decile" in table.stdout and "Calibration" in table.stdout


def test_too_little_history_exits_1_with_the_reason_and_stores_nothing(demo_files, tmp_path):
    path = tmp_path / "tiny.duckdb"
    shutil.copy(demo_files["tiny"], path)
    done = run_cli("--db", str(path), "score", "train", "--format", "json")
    assert done.returncode == 1
    assert done.stdout == ""
    message = " ".join(done.stderr.split())
    assert "too little history" in message and "scoring rules" in message
    with Store(path, read_only=True) as s:
        assert s.con.execute("SELECT count(*) FROM _scoring_models").fetchall() == [(0,)]


def test_a_missing_store_is_an_error_not_an_empty_one(tmp_path):
    done = run_cli("--db", str(tmp_path / "nowhere.duckdb"), "score", "train", "--format", "json")
    assert done.returncode == 1
    assert "no store at" in done.stderr
    assert not (tmp_path / "nowhere.duckdb").exists()
