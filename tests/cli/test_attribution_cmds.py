"""`revops attribution` as a user runs it: the JSON contract (rows with channel, conversions,
value) on a store built here, on the demo company and on a paths file; bad input and
usage errors with their exit codes.

The store: two leads became opportunities, a third did not.

    Ana  email (Jan 1) > paid_search (Jan 5)  -> O1 created Jan 10, won Feb 20, $1,000
    Bo   paid_search (Jan 3)                  -> O2 created Jan 8, lost Feb 1, $3,000
    Cy   email (Jan 2)                           never converted
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from revops.store import Store
from tests.conftest import run_cli
from tests.gtm import rows_table

T = datetime
MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov", "shapley")
CONTRACT = {"channel", "conversions", "value"}
PATHS = """path;total_conversions;total_conversion_value;total_null
a > b;1;10;1
b;0;0;2
a;1;5;1
a > b > a;2;30;0
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("attribution") / "crm.duckdb"
    tables = {
        "leads": [{"lead_id": "ana", "created_at": T(2026, 1, 1), "converted_opportunity_id": "O1"},
                  {"lead_id": "bo", "created_at": T(2026, 1, 3), "converted_opportunity_id": "O2"},
                  {"lead_id": "cy", "created_at": T(2026, 1, 2)}],
        "opportunities": [
            {"opportunity_id": "O1", "lead_id": "ana", "type": "new_business", "created_at": T(2026, 1, 10),
             "close_date": date(2026, 2, 20), "stage": "closed_won", "amount": 1_000.0},
            {"opportunity_id": "O2", "lead_id": "bo", "type": "new_business", "created_at": T(2026, 1, 8),
             "close_date": date(2026, 2, 1), "stage": "closed_lost", "amount": 3_000.0}],
        "campaigns": [{"campaign_id": "ads", "name": "Search ads", "channel": "paid_search", "cost": 800.0}],
        "touches": [
            {"touch_id": "1", "occurred_at": T(2026, 1, 1), "lead_id": "ana", "channel": "email"},
            {"touch_id": "2", "occurred_at": T(2026, 1, 5), "lead_id": "ana", "channel": "paid_search", "campaign_id": "ads"},
            {"touch_id": "3", "occurred_at": T(2026, 1, 3), "lead_id": "bo", "channel": "paid_search", "campaign_id": "ads"},
            {"touch_id": "4", "occurred_at": T(2026, 1, 2), "lead_id": "cy", "channel": "email"}],
    }
    with Store(path) as store:
        for name, rows in tables.items():
            store.append(name, rows_table(name, rows))
    return str(path)


def attribution(*args: str) -> list[dict]:
    out = run_cli(*args, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def by_channel(rows: list[dict]) -> dict[str, tuple[float, float]]:
    return {r["channel"]: (r["conversions"], r["value"]) for r in rows}


@pytest.mark.parametrize("model", MODELS)
def test_every_model_on_a_paths_file_keeps_the_contract(model, write):
    rows = attribution("attribution", "--model", model, "--paths", str(write("paths.csv", PATHS)))
    assert [set(r) for r in rows] == [CONTRACT | ({"removal_effect"} if model == "markov" else set())] * 2
    assert sum(r["conversions"] for r in rows) == pytest.approx(4.0)
    assert sum(r["value"] for r in rows) == pytest.approx(45.0)


def test_markov_on_a_paths_file_is_the_removal_effect_solved_by_hand(write):
    # tests/engines/attribution/test_markov.py: RE(a) = 11/12, RE(b) = 7/16
    rows = attribution("attribution", "--model", "markov", "--paths", str(write("paths.csv", PATHS)))
    got = {r["channel"]: r for r in rows}
    total = 11 / 12 + 7 / 16
    assert got["a"]["removal_effect"] == pytest.approx(11 / 12)
    assert got["a"]["conversions"] == pytest.approx(4 * (11 / 12) / total)
    assert got["b"]["conversions"] == pytest.approx(4 * (7 / 16) / total)


@pytest.mark.parametrize("model", MODELS)
def test_every_model_on_the_store_keeps_the_contract(db, model):
    rows = attribution("--db", db, "attribution", "--model", model)
    assert all(CONTRACT <= set(r) for r in rows)
    assert {r["channel"] for r in rows} == {"email", "paid_search"}
    assert sum(r["conversions"] for r in rows) == pytest.approx(2.0)  # O1 and O2 were created


def test_the_store_by_hand(db):
    # linear: O1 email 1/2, paid_search 1/2; O2 paid_search 1
    assert by_channel(attribution("--db", db, "attribution", "--model", "linear")) == {
        "email": (0.5, 0.5), "paid_search": (1.5, 1.5)}
    # markov: start -> email 2/3, -> paid_search 1/3; email -> paid_search 1/2, -> null 1/2;
    # paid_search -> conversion 1. P = 2/3 * 1/2 + 1/3 = 2/3; without email P = 1/3 (RE 1/2),
    # without paid_search P = 0 (RE 1): shares 1/3, 2/3 of 2 conversions
    got = by_channel(attribution("--db", db, "attribution", "--model", "markov"))
    assert got["email"] == pytest.approx((2 / 3, 2 / 3))
    assert got["paid_search"] == pytest.approx((4 / 3, 4 / 3))


def test_pipeline_and_revenue_with_cost_and_roi(db):
    # pipeline, linear: paid_search gets $500 of O1 and all $3,000 of O2 for $800 of ads
    pipeline = {r["channel"]: r for r in attribution("--db", db, "attribution", "--model", "linear",
                                                     "--conversion", "pipeline")}
    assert pipeline["paid_search"]["value"] == pytest.approx(3_500.0)
    assert pipeline["paid_search"]["roi"] == pytest.approx((3_500 - 800) / 800)
    # revenue: only O1 was won; by campaign, its first touch was email (no campaign)
    revenue = attribution("--db", db, "attribution", "--model", "first_touch", "--conversion", "revenue",
                          "--by", "campaign")
    got = {r["campaign_id"]: r for r in revenue}
    assert got[None]["value"] == 1_000.0 and got[None]["campaign"] == "(no campaign)"
    assert got["ads"] == {"campaign_id": "ads", "campaign": "Search ads", "channel": "paid_search",
                          "conversions": 0.0, "value": 0.0, "cost": 800.0, "cost_per_conversion": None, "roi": -1.0}


def test_the_demo_company_every_model_shares_the_same_conversions(demo_files):
    from revops.engines import attribution as engine
    from revops.model import load_model

    db = str(demo_files["small"])
    rows = attribution("--db", db, "attribution", "--model", "markov", "--conversion", "revenue")
    assert rows and all(CONTRACT | {"removal_effect", "cost", "roi"} <= set(r) for r in rows)
    assert all(r["conversions"] >= 0 and r["value"] >= 0 for r in rows)
    assert {"paid_search", "content", "webinar", "referral", "direct"} <= {r["channel"] for r in rows}
    conversions, value = sum(r["conversions"] for r in rows), sum(r["value"] for r in rows)
    assert conversions > 20 and value > 0
    # the other models, in process on the same journeys: the same total, shared differently
    with Store(demo_files["small"], read_only=True) as store:
        stored = engine.load_journeys(store.ibis, load_model(None), engine.JourneyRequest(conversion="revenue"))
    shares = {}
    for model in MODELS:
        credit = engine.attribute(stored.journeys, model)
        assert credit.conversions.sum() == pytest.approx(conversions), model
        assert credit.value.sum() == pytest.approx(value), model
        shares[model] = tuple(credit.conversions.round(6))
    assert len(set(shares.values())) == len(MODELS)


def test_the_demo_by_campaign_with_roi(demo_files):
    rows = attribution("--db", str(demo_files["small"]), "attribution", "--model", "w_shaped",
                       "--conversion", "pipeline", "--by", "campaign")
    campaigns = [r for r in rows if r["campaign_id"]]
    assert len(campaigns) > 20
    assert all(r["campaign"] and r["channel"] for r in campaigns)
    assert any(r["roi"] is not None and r["roi"] > 0 for r in campaigns)


def test_a_bad_paths_file_exits_1_naming_the_line(write):
    path = write("bad.csv", "path;total_conversions;total_conversion_value;total_null\na > b;1;10;1\na >;x;0;0\n")
    out = run_cli("attribution", "--model", "linear", "--paths", str(path), "--format", "json")
    assert out.returncode == 1
    assert out.stdout == ""
    assert f"{path}:3:" in out.stderr and "is empty" in out.stderr and "is not a number" in out.stderr


def test_usage_errors_exit_2(write):
    path = str(write("paths.csv", PATHS))
    out = run_cli("attribution", "--model", "linear", "--paths", path, "--by", "campaign")
    assert out.returncode == 2 and "--by" in out.stderr
    assert run_cli("attribution", "--model", "position_based", "--paths", path).returncode == 2
    assert run_cli("attribution", "--paths", path).returncode == 2  # --model is required


def test_no_store_says_how_to_get_one(tmp_path):
    out = run_cli("--db", str(tmp_path / "none.duckdb"), "attribution", "--model", "linear")
    assert out.returncode == 1 and "revops demo" in out.stderr


def test_table_and_csv_for_people_and_spreadsheets(db):
    table = run_cli("--db", db, "attribution", "--model", "markov")
    assert table.returncode == 0 and "paid_search" in table.stdout and "removal" in table.stdout
    csv = run_cli("--db", db, "attribution", "--model", "linear", "--format", "csv")
    assert csv.stdout.splitlines()[0] == "channel,conversions,value,cost,cost_per_conversion,roi"


def test_a_table_shows_every_amount_in_whole_units(db):
    # pipeline, linear: paid_search has $3,500 of value for $800 of ads, $533.33 per conversion
    table = run_cli("--db", db, "attribution", "--model", "linear", "--conversion", "pipeline", env={"COLUMNS": "200"})
    assert table.returncode == 0, table.stderr
    [row] = [line for line in table.stdout.splitlines() if "paid_search" in line]
    cells = [c.strip() for c in row.split("│") if c.strip()]
    assert cells == ["paid_search", "1.50", "3,500", "800", "533", "+3.38"]
    assert "worth 4,000 from" in table.stderr  # O1 $1,000 + O2 $3,000, not 4,000.00
    # opportunities are a count, worth 1 each: shares of one keep their decimals
    count = run_cli("--db", db, "attribution", "--model", "linear", env={"COLUMNS": "200"})
    [row] = [line for line in count.stdout.splitlines() if "paid_search" in line]
    assert [c.strip() for c in row.split("│") if c.strip()][:4] == ["paid_search", "1.50", "1.50", "800"]
