"""GET answers under /v1 are served again until the next write, per key scope; a write, a
revoked key or another scope never gets a kept answer."""

from __future__ import annotations

from revops.access import create_key
from revops.store import Store
from tests.api.conftest import serving
from tests.api.test_opportunities import deals_db  # noqa: F401  (fixture)


def test_a_kept_answer_lasts_until_a_write_and_stays_within_its_scope(deals_db):  # noqa: F811
    with Store(deals_db) as s:
        rep = {"Authorization": f"Bearer {create_key(s, 'rep', user_id='smb_ny')['key']}"}
    with serving(deals_db) as api:
        first = api.get("/v1/opportunities", params={"state": "open"})
        hits = api.get("/health").json()["read_cache"]["hits"]
        again = api.get("/v1/opportunities", params={"state": "open"})
        assert first.content == again.content and api.get("/health").json()["read_cache"]["hits"] == hits + 1
        mine = api.get("/v1/opportunities", params={"state": "open"}, headers=rep).json()["items"]
        assert {d["owner_id"] for d in mine} == {"smb_ny"}  # not the admin's kept answer
        assert api.post("/v1/opportunities/o1/stage", json={"stage": "negotiation"}).status_code == 200
        moved = {d["opportunity_id"]: d["stage"] for d in api.get("/v1/opportunities").json()["items"]}
        assert moved["o1"] == "negotiation"  # the write retired the kept answers
        assert api.get("/v1/opportunities", headers={"Authorization": "Bearer nope"}).status_code == 401
