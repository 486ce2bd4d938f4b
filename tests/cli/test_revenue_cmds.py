"""`revops revenue mrr|retention|cohorts` as a user runs them: the contract's JSON, on an
export ingested through a mapping and on the demo company."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest

from tests.conftest import DEMO_TODAY, run_cli
from tests.engines.revenue.conftest import HISTORIES

CONTRACT = {"period", "mrr", "new", "expansion", "contraction", "churn", "reactivation"}
MOVED = ("new", "expansion", "contraction", "churn", "reactivation")


def revops(*args: str) -> list[dict]:
    out = run_cli(*args, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def assert_bridges(rows: list[dict], first_opening: float = 0.0) -> None:
    """The contract: every row's mrr is the previous row's mrr plus its five movements, exactly
    (in decimal, as the printed numbers add up); contraction and churn never positive."""
    previous = Decimal(str(first_opening))
    for r in rows:
        assert CONTRACT <= set(r), r
        assert r["contraction"] <= 0 and r["churn"] <= 0, r
        assert r["new"] >= 0 and r["expansion"] >= 0 and r["reactivation"] >= 0, r
        assert Decimal(str(r["opening_mrr"])) == previous, r
        assert previous + sum(Decimal(str(r[k])) for k in MOVED) == Decimal(str(r["mrr"])), r
        previous = Decimal(str(r["mrr"]))


@pytest.fixture(scope="module")
def export_db(tmp_path_factory):
    """The hand-built histories written as a billing export in the mrr-playbook's layout and
    ingested with a mapping, as a user would load theirs."""
    folder = tmp_path_factory.mktemp("export")
    export = folder / "subscription_periods.csv"
    with export.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["subscription_id", "customer_id", "start_date", "end_date", "monthly_amount"])
        for s in HISTORIES:
            writer.writerow([s["subscription_id"], s["account_id"], s["start_date"], s["end_date"] or "", s["mrr"]])
    mapping = folder / "mapping.yaml"
    mapping.write_text("columns:\n  account_id: customer_id\n  mrr: monthly_amount\n")
    db = str(folder / "store.duckdb")
    loaded = revops("--db", db, "ingest", "subscriptions", str(export), "--mapping", str(mapping))
    assert loaded["inserted"] == len(HISTORIES) and loaded["quarantined"] == 0
    return db


def test_the_contract_json_of_the_monthly_bridge(export_db):
    rows = revops("--db", export_db, "revenue", "mrr", "--to", "2025-09-30")
    assert [r["period"] for r in rows] == [f"2025-{m:02d}" for m in range(1, 10)]
    assert_bridges(rows)
    by_month = {r["period"]: r for r in rows}
    assert by_month["2025-03"] == {"period": "2025-03", "opening_mrr": 890.0, "new": 0.0, "expansion": 60.0,
                                   "contraction": -70.0, "churn": -100.0, "reactivation": 0.0, "mrr": 780.0}
    assert [r["mrr"] for r in rows] == [850.0, 890.0, 780.0, 790.0, 880.0, 950.0, 950.0, 860.0, 860.0]


def test_quarters_are_labelled_and_valued_as_the_metrics_layer_does(export_db):
    rows = revops("--db", export_db, "revenue", "mrr", "--period", "quarter", "--to", "2025-09-30")
    assert_bridges(rows)
    metrics = revops("--db", export_db, "metrics", "mrr", "churned_mrr", "--period", "quarter", "--to", "2025-09-30")
    mrr = {r["period"]: r["value"] for r in metrics if r["metric"] == "mrr"}
    churned = {r["period"]: r["value"] for r in metrics if r["metric"] == "churned_mrr"}
    assert [r["period"] for r in rows] == list(mrr) == ["2025-Q1", "2025-Q2", "2025-Q3"]
    assert all(r["mrr"] == mrr[r["period"]] and r["churn"] == -churned[r["period"]] for r in rows)


def test_retention_and_cohorts_json(export_db):
    rows = revops("--db", export_db, "revenue", "retention", "--months", "3", "--to", "2025-09-30")
    june = next(r for r in rows if r["period"] == "2025-06")
    assert set(june) == {"period", "accounts", "opening_mrr", "closing_mrr", "nrr", "grr", "logo_churn_rate"}
    assert june["nrr"] == pytest.approx(760 / 780)
    cohorts = revops("--db", export_db, "revenue", "cohorts", "--basis", "revenue", "--months", "2",
                     "--to", "2025-01-31")
    assert cohorts == [{"cohort": "2025-01", "accounts": 6, "mrr": 850.0, "month_0": 1.0,
                        "month_1": pytest.approx(890 / 850), "month_2": pytest.approx(780 / 850)}]


def test_mistakes_are_refused_with_what_to_do(export_db):
    out = run_cli("--db", export_db, "revenue", "mrr", "--period", "week")
    assert out.returncode == 1 and "use month, quarter or year" in out.stderr
    out = run_cli("--db", export_db, "revenue", "mrr", "--by", "plan")
    assert out.returncode == 1 and "it can by:" in out.stderr and "segment" in out.stderr
    out = run_cli("--db", export_db, "revenue", "cohorts", "--basis", "seats")
    assert out.returncode == 1 and "use logo, revenue, gross" in out.stderr


def test_the_bridge_reconciles_on_the_demo_by_month_quarter_and_segment(demo_files):
    db, as_of = str(demo_files["small"]), DEMO_TODAY.isoformat()
    months = revops("--db", db, "revenue", "mrr", "--as-of", as_of)
    assert months and months[-1]["period"] == DEMO_TODAY.strftime("%Y-%m")
    assert_bridges(months)
    assert sum(r["churn"] for r in months) < 0 and sum(r["expansion"] for r in months) > 0
    quarters = revops("--db", db, "revenue", "mrr", "--period", "quarter", "--as-of", as_of)
    assert_bridges(quarters)
    assert quarters[-1]["mrr"] == months[-1]["mrr"]
    segments = revops("--db", db, "revenue", "mrr", "--period", "quarter", "--by", "segment", "--as-of", as_of)
    assert {r["segment"] for r in segments} == {"smb", "mid_market", "enterprise"}
    for segment in ("smb", "mid_market", "enterprise"):
        assert_bridges([r for r in segments if r["segment"] == segment])
    assert sum(r["mrr"] for r in segments if r["period"] == quarters[-1]["period"]) == pytest.approx(quarters[-1]["mrr"])


def test_retention_and_cohorts_on_the_demo(demo_files):
    db, as_of = str(demo_files["small"]), DEMO_TODAY.isoformat()
    rows = revops("--db", db, "revenue", "retention", "--as-of", as_of)
    assert rows and rows[-1]["period"] == DEMO_TODAY.strftime("%Y-%m")
    [nrr] = [r["value"] for r in revops("--db", db, "metrics", "nrr", "--as-of", as_of)]
    assert rows[-1]["nrr"] == pytest.approx(nrr)  # the trailing twelve months to today: `revops metrics nrr`
    for basis in ("logo", "revenue", "gross"):
        cohorts = revops("--db", db, "revenue", "cohorts", "--basis", basis, "--as-of", as_of)
        assert cohorts and all(c["month_0"] == 1.0 for c in cohorts)
        if basis != "revenue":
            assert all(0 <= c[f"month_{k}"] <= 1 for c in cohorts for k in range(13) if c[f"month_{k}"] is not None)


def test_a_backend_url_gives_the_stores_numbers(export_db):
    expected = revops("--db", export_db, "revenue", "mrr", "--to", "2025-09-30")
    assert revops("--backend", f"duckdb://{export_db}", "revenue", "mrr", "--to", "2025-09-30") == expected
