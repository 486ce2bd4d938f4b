"""The data audit: where the pipeline lives, how clean it is, whether the records use the
model's definitions, and whether the CRM is current."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from revops.engines.quality import QualityCheck

TABLES = ("accounts", "contacts", "leads", "opportunities", "subscriptions", "activities")
LIFECYCLE_TIMES = {"mql": "mql_at", "sql": "sql_at", "sal": "sal_at"}
"""Lead statuses whose own timestamp column must be set while a lead is in them."""
CURRENT_WITHIN_DAYS = 7
"""The CRM is current when data arrived within this many days of the audit."""


def data_audit(con: Any, model: Any, as_of: datetime) -> dict[str, Any]:
    check = QualityCheck(con, model, as_of=as_of)
    scores = [s.to_dict() for s in check.scores()]
    records = {t: _scalar(con, f"SELECT count(*) FROM {t}") for t in TABLES}
    scored = [s for s in scores if s["score"] is not None]
    quality = (round(sum(s["score"] * s["records"] for s in scored) / sum(s["records"] for s in scored), 1)
               if scored else None)
    return {
        "records": records,
        "sources": _sources(con, as_of),
        "quality": {"score": quality, "tables": scores, "rules": check.rule_counts(),
                    "quarantine": _quarantine(con)},
        "definitions": _definitions(con, model),
        "current": _current(con, as_of),
    }


def _sources(con: Any, as_of: datetime) -> list[dict[str, Any]]:
    """Where each table's records came from: ingest runs by source (preset or file kind), and
    writes through the API."""
    rows = _rows(con, """
        SELECT table_name AS "table", CASE WHEN source_kind = 'demo' THEN 'demo' ELSE coalesce(preset, 'file') END AS source,
               count(*) AS runs,
               count(DISTINCT file) AS files, sum(coalesce(inserted, 0) + coalesce(updated, 0)) AS rows_stored,
               sum(coalesce(quarantined, 0)) AS rows_quarantined, max(finished_at) AS last_loaded_at
        FROM _ingest_runs WHERE table_name NOT LIKE 'truth%' AND (started_at IS NULL OR started_at <= ?)
        GROUP BY ALL ORDER BY "table", source""", [as_of])
    if not _scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = '_audit_log'"):
        return rows  # a store from before the API's audit log (opened read-only, not migrated)
    rows += [{"table": r["entity"], "source": "api", "runs": None, "files": None, "rows_stored": r["n"],
              "rows_quarantined": 0, "last_loaded_at": r["last"]} for r in _rows(con, """
        SELECT entity, count(*) AS n, max(changed_at) AS last FROM _audit_log
        WHERE entity IN ('leads', 'opportunities', 'users') AND changed_at <= ? GROUP BY ALL ORDER BY entity""",
        [as_of])]
    return rows


def _quarantine(con: Any) -> list[dict[str, Any]]:
    return _rows(con, """
        SELECT table_name AS "table", reason, count(*) AS rows FROM _quarantine
        GROUP BY ALL ORDER BY rows DESC, "table", reason LIMIT 25""")


def _definitions(con: Any, model: Any) -> dict[str, Any]:
    """Records whose values the model does not define: every team reading them sees something
    different."""
    stages = set(model.stage_spellings())
    categories = _spellings([(c.key, c.label) for c in model.forecast_categories])
    statuses = _spellings([(s.key, s.label) for s in model.lifecycle.stages])
    checks = [
        ("opportunities", "stage", "a stage the pipeline does not define", stages),
        ("opportunities", "forecast_category", "a forecast category the model does not define", categories),
        ("leads", "status", "a lifecycle stage the model does not define", statuses),
    ]
    found = []
    for table, column, what, known in checks:
        rows = _rows(con, f"""
            SELECT {column} AS value, count(*) AS n FROM {table}
            WHERE {column} IS NOT NULL AND lower(trim({column})) NOT IN (SELECT unnest(?::VARCHAR[]))
            GROUP BY ALL ORDER BY n DESC LIMIT 10""", [sorted(known)])
        total = sum(r["n"] for r in rows)
        found.append({"table": table, "field": column, "problem": what, "records": total,
                      "values": [r["value"] for r in rows]})
    for status, column in LIFECYCLE_TIMES.items():
        n = _scalar(con, f"SELECT count(*) FROM leads WHERE lower(status) = ? AND {column} IS NULL", [status])
        found.append({"table": "leads", "field": column, "problem": f"leads in {status} without {column}",
                      "records": n, "values": []})
    versions = _rows(con, "SELECT count(*) AS versions, max(applied_at) AS last_change FROM _model_versions")[0]
    return {"undefined_values": found, "records_off_definition": sum(f["records"] for f in found),
            "model_versions": versions["versions"], "model_last_changed": versions["last_change"]}


def _current(con: Any, as_of: datetime) -> dict[str, Any]:
    """Is the data current: the newest record change (a deal or lead updated or created, an
    activity) up to the audit's moment, however recently a file was loaded — an export of
    2017 loaded today is not current."""
    last = _scalar(con, """
        SELECT max(t) FROM (SELECT max(coalesce(updated_at, created_at)) AS t FROM opportunities
                            WHERE coalesce(updated_at, created_at) <= $at
                            UNION ALL SELECT max(coalesce(updated_at, created_at)) FROM leads
                            WHERE coalesce(updated_at, created_at) <= $at
                            UNION ALL SELECT max(occurred_at) FROM activities WHERE occurred_at <= $at)""",
                   {"at": as_of})
    last_load = _scalar(con, "SELECT max(finished_at) FROM _ingest_runs WHERE finished_at <= $at", {"at": as_of})
    days = (as_of - last).total_seconds() / 86400 if last is not None else None
    return {"last_record_change": last, "last_load": last_load,
            "days_since_last_data": round(days, 1) if days is not None else None,
            "current": days is not None and days <= CURRENT_WITHIN_DAYS}


def _spellings(pairs: list[tuple[str, str]]) -> set[str]:
    return {v.strip().lower() for pair in pairs for v in pair if v}


def _rows(con: Any, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _scalar(con: Any, sql: str, params: Any = None) -> Any:
    return con.execute(sql, params or []).fetchall()[0][0]
