"""`revops demo --scale large`. Target (issue 2): under 5 minutes with peak memory under 4 GiB.

Baseline, in the same run: DuckDB itself writing the same number of rows per table
from range() (no simulation), so the ratio shows the cost of the simulation.
"""

from __future__ import annotations

import duckdb

from benchmarks.common import WORK, BenchResult, revops_cmd, run_measured, timed

LIMIT_S = 300
LIMIT_RSS = 4 * 2**30


def run(scale: str = "large") -> list[BenchResult]:
    WORK.mkdir(exist_ok=True)
    db = WORK / f"demo_{scale}.duckdb"
    db.unlink(missing_ok=True)
    wall, rss, _ = run_measured(revops_cmd("--db", str(db), "demo", "--scale", scale, "--today", "2026-06-30"))
    con = duckdb.connect(str(db), read_only=True)
    from revops.store.schema import TABLE_NAMES

    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLE_NAMES}
    widths = {t: len(con.execute(f"DESCRIBE {t}").fetchall()) for t in TABLE_NAMES}
    con.close()
    base_db = WORK / "demo_baseline.duckdb"
    base_db.unlink(missing_ok=True)
    bcon = duckdb.connect(str(base_db))

    def baseline() -> None:
        for t, n in counts.items():
            cols = ", ".join(f"'v' || (i % 1000) AS c{k}" for k in range(widths[t]))
            bcon.execute(f"CREATE TABLE {t} AS SELECT {cols} FROM range({n}) t(i)")

    t_base, _ = timed(baseline)
    bcon.close()
    total = sum(counts.values())
    return [BenchResult(
        name=f"revops demo --scale {scale}",
        target="< 300 s and peak RSS < 4 GiB",
        measured=f"{wall:.0f} s, peak RSS {rss / 2**30:.2f} GiB, {total:,} rows "
                 f"({counts['leads']:,} leads, {counts['activities']:,} activities)",
        baseline=f"{t_base:.0f} s DuckDB writing the same row counts from range()",
        ratio=wall / t_base, passed=wall < LIMIT_S and rss < LIMIT_RSS,
    )]
