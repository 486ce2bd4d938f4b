"""revops init / validate / schema / model history, as an analyst runs them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(scope="module")
def app():
    from revops.cli import main

    names = {c.name for c in main.app.registered_commands}
    if "validate" not in names:
        try:
            main._register()
        except ImportError:  # other command groups not written yet: ours are enough here
            from revops.cli import model_cmds

            model_cmds.register(main.app)
    return main.app


def run(app, *args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_init_then_validate_round_trip(app, tmp_path):
    result = run(app, "init", str(tmp_path))
    assert result.exit_code == 0, result.output
    model = tmp_path / "revops.yaml"
    assert "# revops.yaml" in model.read_text()
    result = run(app, "--model", str(model), "validate")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 7 pipeline stages")


def test_init_refuses_to_overwrite(app, tmp_path):
    (tmp_path / "revops.yaml").write_text("company: {}\n")
    result = run(app, "init", str(tmp_path))
    assert result.exit_code == 1
    assert "already exists" in result.output and "--force" in result.output
    assert (tmp_path / "revops.yaml").read_text() == "company: {}\n"
    assert run(app, "init", str(tmp_path), "--force").exit_code == 0
    assert "pipeline:" in (tmp_path / "revops.yaml").read_text()


def test_validate_prints_file_line_and_exits_1(app, tmp_path):
    model = tmp_path / "revops.yaml"
    model.write_text("company:\n  name: Acme\n  fiscal_year_start_month: 14\n")
    result = run(app, "--model", str(model), "validate")
    assert result.exit_code == 1
    assert f"{model}:3: company.fiscal_year_start_month" in result.output


def test_validate_json(app, tmp_path):
    model = tmp_path / "revops.yaml"
    model.write_text("company:\n  timezone: Atlantis/Capital\n")
    result = run(app, "--model", str(model), "validate", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    [issue] = doc["issues"]
    assert issue["file"] == str(model) and issue["line"] == 2 and issue["severity"] == "error"
    assert "Atlantis/Capital" in issue["message"]


def test_validate_default_model_json(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./revops.yaml: the built-in default applies
    result = run(app, "validate", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"valid": True, "issues": []}


def test_validate_bad_format_is_a_usage_error(app):
    assert runner.invoke(app, ["validate", "--format", "xml"]).exit_code == 2


def test_schema_is_json_schema_with_every_section(app):
    result = run(app, "schema")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["type"] == "object"
    assert {"version", "company", "lifecycle", "pipeline", "forecast_categories", "slas", "scoring",
            "routing", "hygiene", "health", "targets", "metrics"} <= set(doc["properties"])
    assert doc.get("additionalProperties") is False


def test_model_history_lists_recorded_versions(app, tmp_path):
    db = tmp_path / "revops.duckdb"
    model = tmp_path / "revops.yaml"
    assert run(app, "init", str(tmp_path)).exit_code == 0
    result = run(app, "--db", str(db), "--model", str(model), "model", "record", "--source", "ana")
    assert result.exit_code == 0 and "Recorded version 1" in result.output
    model.write_text(model.read_text().replace("entry_criteria: score >= 60", "entry_criteria: score >= 65"))
    result = run(app, "--db", str(db), "--model", str(model), "model", "record", "--source", "ben")
    assert "Recorded version 2" in result.output, result.output
    result = run(app, "--db", str(db), "model", "history", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["version"] for r in rows] == [2, 1]
    assert rows[0]["source"] == "ben"
    assert "lifecycle.stages.mql.entry_criteria: 'score >= 60' -> 'score >= 65'" in rows[0]["summary"]
