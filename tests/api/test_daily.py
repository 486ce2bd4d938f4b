"""The daily run inside the server: at HH:MM UTC every day, or now with POST /v1/runs/daily;
leads sent meanwhile are stored after it, cached reads are fresh after it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time

import pytest

from revops.api import ApiSettings
from revops.api.daily import next_run, parse_daily_at
from revops.access import create_key
from revops.store import Store
from tests.api.conftest import hot_smb_lead, serving, stored
from tests.api.test_opportunities import deals_db  # noqa: F401  (fixture)


def test_the_next_run_is_today_if_still_ahead_else_tomorrow():
    assert next_run(datetime(2026, 5, 12, 5, 59), time(6, 0)) == datetime(2026, 5, 12, 6, 0)
    assert next_run(datetime(2026, 5, 12, 6, 0), time(6, 0)) == datetime(2026, 5, 13, 6, 0)
    assert next_run(datetime(2026, 12, 31, 23, 0), time(6, 30)) == datetime(2027, 1, 1, 6, 30)


@pytest.mark.parametrize("text", ["25:00", "6", "six:thirty", "06:61"])
def test_a_daily_time_that_is_no_time_of_day_is_refused_before_serving(text):
    with pytest.raises(ValueError, match="HH:MM|pattern"):
        ApiSettings(db="x.duckdb", daily_at=text)
    if text.count(":") == 1 and text.replace(":", "").isdigit():
        with pytest.raises(ValueError, match="HH:MM in UTC"):
            parse_daily_at(text)


def test_a_daily_run_through_the_api_runs_every_step_while_leads_keep_coming(deals_db):  # noqa: F811
    with Store(deals_db) as s:
        rep = create_key(s, "rep", user_id="smb_ny")["key"]
    with serving(deals_db, daily_at="06:00") as api:
        assert api.get("/health").json()["daily"]["at"] == "06:00"
        refused = api.post("/v1/runs/daily", headers={"Authorization": f"Bearer {rep}"})
        assert refused.status_code == 403
        with ThreadPoolExecutor(2) as pool:
            run = pool.submit(api.post, "/v1/runs/daily", params={"forecast": "false"})
            leads = [pool.submit(api.post, "/v1/leads", json=hot_smb_lead(f"L{i}")) for i in range(5)]
            answer = run.result()
            assert all(f.result().status_code == 200 for f in leads)
        health = api.get("/health").json()["daily"]
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [s["step"] for s in body["steps"]] == ["pipeline snapshot", "rescore leads", "SLAs, hygiene and alerts"]
    assert all(s["ok"] for s in body["steps"]), body["steps"]
    assert health["last_run"]["at"] == body["at"] and health["next_run"]
    assert stored(deals_db, "SELECT count(*) AS n FROM _pipeline_snapshots")[0]["n"] == 22  # the 22 open deals
    assert stored(deals_db, "SELECT count(*) AS n FROM leads")[0]["n"] == 5
