"""A killed ingest leaves the store exactly as it was before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from revops.ingest.pipeline import ingest_file
from revops.store import Store


def fingerprint(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = ("opportunities", "opportunity_history", "_ingest_runs", "_quarantine", "_custom_fields")
        counts = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
        content = con.execute("SELECT md5(string_agg(opportunity_id || coalesce(stage, '') || "
                              "coalesce(CAST(amount AS VARCHAR), ''), ',' ORDER BY opportunity_id)) "
                              "FROM opportunities").fetchone()[0]
        columns = tuple(r[0] for r in con.execute("DESCRIBE opportunities").fetchall())
        return counts, content, columns
    finally:
        con.close()


@pytest.mark.slow
def test_killing_an_ingest_midway_leaves_the_store_unchanged(tmp_path):
    db = tmp_path / "s.duckdb"
    small = tmp_path / "small.csv"
    small.write_text("opportunity_id,stage,amount\no1,discovery,10\no2,proposal,20\n")
    with Store(db) as store:
        ingest_file(store, "opportunities", small)
    before = fingerprint(db)

    big = tmp_path / "big.csv"
    duckdb.sql(
        "SELECT 'x' || i AS opportunity_id, 'proposal' AS stage, '$' || (i % 9000) || '.50' AS amount, "
        "'2024-01-01' AS close_date, 'custom ' || (i % 13) AS extra_field "
        "FROM range(3000000) t(i)"
    ).write_csv(str(big))
    proc = subprocess.Popen(
        [sys.executable, "-m", "revops.cli.main", "--db", str(db), "ingest", "opportunities", str(big),
         "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    time.sleep(2.5)   # well into reading and validating 3M rows
    assert proc.poll() is None, "the ingest finished before it could be killed; make the file larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    assert fingerprint(db) == before
    with Store(db) as store:   # and the store still works afterwards
        r = ingest_file(store, "opportunities", small)
        assert r.unchanged == 2
