"""The single writer: a batch that cannot be committed is given back whole — nothing stored,
nobody acknowledged, the router's caps and rotation as if it never happened."""

from __future__ import annotations

import pytest

from revops.api.intake import LeadIntake, Unavailable
from revops.api.intake.batch import GroupCommit
from revops.store import Store
from tests.api.conftest import TUESDAY_11AM_NY, pool_model


def test_a_failed_commit_acknowledges_nothing_and_gives_the_turns_back(org_db, default_model, monkeypatch):
    model = pool_model(default_model, cap_per_day=1)
    with Store(org_db) as store:
        intake = LeadIntake.start(store, model, clock=lambda: TUESDAY_11AM_NY)
        try:
            real_write = GroupCommit.write
            monkeypatch.setattr(GroupCommit, "write", lambda self: (_ for _ in ()).throw(OSError("disk full")))
            failed = [intake.submit_lead({"lead_id": f"F{i}"}) for i in range(3)]
            for f in failed:
                with pytest.raises(Unavailable, match="disk full"):
                    f.result(30)
            monkeypatch.setattr(GroupCommit, "write", real_write)
            owners = [intake.submit_lead({"lead_id": f"L{i}"}).result(30) for i in range(5)]
        finally:
            intake.close()
        rows = store.query("SELECT lead_id, owner_id FROM leads ORDER BY lead_id")
        decisions = store.query("SELECT count(*) AS n FROM _routing_decisions")[0]["n"]
    # the failed three took no cap: the four AEs still take one lead each, the fifth goes to triage
    assert [r["owner_id"] for r in rows] == ["ent_na", "mm_ae_na", "smb_chi", "smb_ny", "triage"]
    assert [r["lead_id"] for r in rows] == [f"L{i}" for i in range(5)] and decisions == 5
    assert all(o.lead_id is not None for o in owners)


def test_a_closed_intake_refuses_new_leads(org_db, default_model):
    with Store(org_db) as store:
        intake = LeadIntake.start(store, default_model)
        intake.close()
        with pytest.raises(Unavailable, match="shutting down"):
            intake.submit_lead({"lead_id": "late"})


def test_the_log_is_folded_into_the_store_file_once_the_intake_is_idle(org_db, default_model):
    import time
    from pathlib import Path

    wal = Path(str(org_db) + ".wal")
    with Store(org_db) as store:
        intake = LeadIntake.start(store, default_model, idle_checkpoint_ms=100)
        try:
            for i in range(20):
                intake.submit_lead({"lead_id": f"L{i}", "company_size": 100}).result(30)
            assert wal.exists() and wal.stat().st_size > 0  # committed, in the log
            deadline = time.monotonic() + 10
            while intake.stats.checkpoints == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert intake.stats.checkpoints == 1
            assert not wal.exists() or wal.stat().st_size == 0  # folded into the file
            time.sleep(0.3)
            assert intake.stats.checkpoints == 1  # nothing new: no second checkpoint
        finally:
            intake.close()
