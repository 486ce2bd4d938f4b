"""`revops metrics`, `revops explain` and `revops snapshot` as a user runs them."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("metrics") / "demo.duckdb"
    out = run_cli("--db", str(db), "demo", "--today", "2026-06-30", "--format", "json")
    assert out.returncode == 0, out.stderr
    return str(db)


def metrics(db, *args, cwd=None):
    out = run_cli("--db", db, "metrics", *args, "--format", "json", cwd=cwd)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_json_rows_carry_metric_value_period_and_one_key_per_dimension(demo_db):
    rows = metrics(demo_db, "win_rate", "won_count", "--by", "source,segment", "--period", "quarter")
    assert rows and all(set(r) == {"metric", "period", "source", "segment", "value"} for r in rows)
    assert {r["metric"] for r in rows} == {"win_rate", "won_count"}
    assert all(len(r["period"]) == 7 and r["period"][4:6] == "-Q" for r in rows)
    rates = [r["value"] for r in rows if r["metric"] == "win_rate" and r["value"] is not None]
    assert rates and all(0 <= v <= 1 for v in rates)


def test_periods_are_labelled_as_the_contract_says(demo_db):
    months = metrics(demo_db, "won_count", "--period", "month", "--from", "2026-01-01", "--to", "2026-03-31")
    assert [r["period"] for r in months] == ["2026-01", "2026-02", "2026-03"]
    years = metrics(demo_db, "won_count", "--period", "year", "--from", "2025-01-01", "--to", "2026-06-30")
    assert [r["period"] for r in years] == ["2025", "2026"]


def test_win_rate_matches_its_written_definition(demo_db):
    """won / (won + lost) over deals closed in the period, checked against the raw table."""
    import duckdb

    [row] = metrics(demo_db, "win_rate", "--from", "2026-01-01", "--to", "2026-03-31")
    con = duckdb.connect(demo_db, read_only=True)
    won, closed = con.execute(
        "SELECT count(*) FILTER (WHERE stage = 'closed_won'), count(*) FROM opportunities "
        "WHERE stage IN ('closed_won', 'closed_lost') AND close_date BETWEEN '2026-01-01' AND '2026-03-31'"
    ).fetchone()
    con.close()
    assert row["value"] == pytest.approx(won / closed)


def test_list_gives_name_description_and_unit_of_every_metric(demo_db):
    listed = metrics(demo_db, "--list")
    names = {m["name"] for m in listed}
    assert {"win_rate", "avg_deal_size", "open_pipeline", "expansion_share"} <= names
    assert all(m["description"] and m["unit"] for m in listed)


def test_a_custom_metric_declared_in_yaml_works_end_to_end(demo_db, tmp_path):
    init = run_cli("init", str(tmp_path))
    assert init.returncode == 0, init.stderr
    model = tmp_path / "revops.yaml"
    model.write_text(model.read_text() + """  - name: big_deals_won
    label: Big deals won
    description: Won deals of 50k or more.
    type: count
    table: opportunities
    filter: is_won and amount >= 50000
    date: close_date
    format: number
  - name: big_deal_share
    description: Share of won deals that are big.
    type: ratio
    numerator: big_deals_won
    denominator: won_count
    format: percent
""")
    assert run_cli("validate", cwd=tmp_path).returncode == 0
    big = metrics(demo_db, "big_deals_won", "won_count", "big_deal_share", cwd=tmp_path)
    values = {r["metric"]: r["value"] for r in big}
    assert 0 < values["big_deals_won"] < values["won_count"]
    assert values["big_deal_share"] == pytest.approx(values["big_deals_won"] / values["won_count"])
    explained = run_cli("--db", demo_db, "explain", "big_deals_won", cwd=tmp_path)
    assert "is_won and amount >= 50000" in explained.stdout and "SELECT" in explained.stdout


def test_explain_prints_the_definition_and_the_sql(demo_db):
    out = run_cli("--db", demo_db, "explain", "win_rate")
    assert out.returncode == 0, out.stderr
    assert "won / (won + lost)" in out.stdout and "SELECT" in out.stdout and "duckdb" in out.stdout


def test_mistakes_get_a_clear_message_and_exit_1(demo_db):
    unknown = run_cli("--db", demo_db, "metrics", "win_rat")
    assert unknown.returncode == 1 and "did you mean win_rate" in unknown.stderr
    dim = run_cli("--db", demo_db, "metrics", "win_rate", "--by", "colour")
    assert dim.returncode == 1 and "'colour'" in dim.stderr and "segment" in dim.stderr
    period = run_cli("--db", demo_db, "metrics", "win_rate", "--period", "week")
    assert period.returncode == 1 and "month, quarter or year" in period.stderr
    where = run_cli("--db", demo_db, "metrics", "win_rate", "--where", "amount >")
    assert where.returncode == 1 and "amount >" in where.stderr
    date = run_cli("--db", demo_db, "metrics", "win_rate", "--as-of", "yesterday")
    assert date.returncode == 1 and "YYYY-MM-DD" in date.stderr


def test_snapshot_then_as_of_gives_the_same_open_pipeline(demo_db):
    snap = run_cli("--db", demo_db, "snapshot", "--date", "2026-06-30", "--format", "json")
    assert snap.returncode == 0, snap.stderr
    stored = json.loads(snap.stdout)
    [row] = metrics(demo_db, "open_pipeline", "--as-of", "2026-06-30")
    assert row["value"] == pytest.approx(stored["open_pipeline"])


def test_a_table_shows_durations_to_one_decimal_and_json_counts_as_whole_numbers(demo_db):
    table = run_cli("--db", demo_db, "metrics", "cac_payback_months", "sales_cycle_days", "speed_to_lead_minutes",
                    "won_count", "--from", "2026-01-01", "--to", "2026-06-30", env={"COLUMNS": "200"})
    assert table.returncode == 0, table.stderr
    values = {cells[0]: cells[1] for cells in ([c.strip() for c in line.split("│") if c.strip()]
                                               for line in table.stdout.splitlines()) if len(cells) == 2}
    assert re.fullmatch(r"[\d,]+\.\d months", values["cac_payback_months"])
    assert re.fullmatch(r"[\d,]+\.\d days", values["sales_cycle_days"])
    assert re.fullmatch(r"[\d,]+\.\d minutes", values["speed_to_lead_minutes"])
    assert re.fullmatch(r"[\d,]+", values["won_count"])
    rows = {r["metric"]: r["value"] for r in metrics(demo_db, "won_count", "cac_payback_months", "open_deal_count",
                                                     "--from", "2026-01-01", "--to", "2026-06-30")}
    assert type(rows["won_count"]) is int and type(rows["open_deal_count"]) is int  # 31, not 31.0
    assert isinstance(rows["cac_payback_months"], float)  # full precision, not rounded
    assert {m["name"]: m["format"] for m in metrics(demo_db, "--list")}["cac_payback_months"] == "months"
