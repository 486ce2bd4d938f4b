"""Schema versions of the store. Each migration runs once, in a transaction, and is
recorded in ``_schema_migrations`` with its version and time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from revops.store import schema


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def _column_sql(field: schema.Field) -> str:
    return f'"{field.name}" {field.sql_type}'


def create_table_sql(name: str, fields: tuple[schema.Field, ...], key: str | None) -> str:
    cols = [_column_sql(f) for f in fields]
    # Keys are enforced by the ingest upsert, not by a DuckDB index: DuckDB's ART
    # indexes make bulk loads slow and updates of indexed tables awkward.
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({", ".join(cols)})'


def _v1_canonical(con: duckdb.DuckDBPyConnection) -> None:
    for t in schema.TABLES.values():
        con.execute(create_table_sql(t.name, t.fields, t.key))
    for name, fields in schema.TRUTH_TABLES.items():
        con.execute(create_table_sql(name, fields, None))
    con.execute(
        "CREATE TABLE IF NOT EXISTS _ingest_runs ("
        "run_id VARCHAR, table_name VARCHAR, file VARCHAR, file_path VARCHAR, source_kind VARCHAR, "
        "mapping VARCHAR, preset VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, "
        "rows_read BIGINT, inserted BIGINT, updated BIGINT, unchanged BIGINT, quarantined BIGINT, "
        "model_hash VARCHAR)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS _quarantine ("
        "run_id VARCHAR, table_name VARCHAR, file VARCHAR, file_path VARCHAR, \"row\" BIGINT, "
        "column_name VARCHAR, value VARCHAR, reason VARCHAR, record_id VARCHAR, raw VARCHAR, "
        "quarantined_at TIMESTAMP)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS _custom_fields ("
        "table_name VARCHAR, column_name VARCHAR, type VARCHAR, first_seen_file VARCHAR, "
        "added_at TIMESTAMP)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS _model_versions ("
        "version INTEGER, hash VARCHAR, applied_at TIMESTAMP, source VARCHAR, "
        "summary VARCHAR, model_yaml VARCHAR)"
    )


SNAPSHOT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("snapshot_date", "DATE"), ("opportunity_id", "VARCHAR"), ("account_id", "VARCHAR"),
    ("owner_id", "VARCHAR"), ("stage", "VARCHAR"), ("amount", "DOUBLE"), ("close_date", "DATE"),
    ("forecast_category", "VARCHAR"), ("probability", "DOUBLE"), ("created_at", "TIMESTAMP"),
    ("source", "VARCHAR"), ("type", "VARCHAR"), ("product", "VARCHAR"), ("taken_at", "TIMESTAMP"),
)


def _v2_pipeline_snapshots(con: duckdb.DuckDBPyConnection) -> None:
    cols = ", ".join(f'"{n}" {t}' for n, t in SNAPSHOT_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS _pipeline_snapshots ({cols})")


LEAD_ENGINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("fit_score", "DOUBLE"), ("intent_score", "DOUBLE"), ("engagement_score", "DOUBLE"),
    ("predicted_conversion", "DOUBLE"), ("assigned_at", "TIMESTAMP"), ("recycled_at", "TIMESTAMP"),
)


def _v3_lead_engine(con: duckdb.DuckDBPyConnection) -> None:
    """Score parts and routing times on leads; the lead engine's own records."""
    for name, sql_type in LEAD_ENGINE_COLUMNS:
        con.execute(f'ALTER TABLE leads ADD COLUMN IF NOT EXISTS "{name}" {sql_type}')
    con.execute(
        "CREATE TABLE IF NOT EXISTS _scoring_models ("
        "version INTEGER, trained_at TIMESTAMP, algorithm VARCHAR, features VARCHAR, "
        "metrics VARCHAR, n_train BIGINT, n_test BIGINT, model BLOB, active BOOLEAN)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS _routing_decisions ("
        "decision_id VARCHAR, lead_id VARCHAR, decided_at TIMESTAMP, trigger VARCHAR, "
        "model_hash VARCHAR, path VARCHAR, steps VARCHAR, previous_owner VARCHAR, "
        "assigned_to VARCHAR, assigned_kind VARCHAR, team VARCHAR, reason VARCHAR)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS _lifecycle_events ("
        "lead_id VARCHAR, from_stage VARCHAR, to_stage VARCHAR, changed_at TIMESTAMP, "
        "reason VARCHAR, source VARCHAR)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS _idempotency ("
        "key VARCHAR, lead_id VARCHAR, response VARCHAR, created_at TIMESTAMP)"
    )


SCORE_HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("lead_id", "VARCHAR"), ("scored_at", "TIMESTAMP"), ("score", "DOUBLE"), ("fit", "DOUBLE"),
    ("intent", "DOUBLE"), ("engagement", "DOUBLE"), ("predicted_conversion", "DOUBLE"),
    ("model_version", "INTEGER"), ("model_hash", "VARCHAR"), ("source", "VARCHAR"),
)


def _v4_score_history(con: duckdb.DuckDBPyConnection) -> None:
    """Each scoring's scores, appended when a lead's score changed: its score over time."""
    cols = ", ".join(f'"{n}" {t}' for n, t in SCORE_HISTORY_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS _score_history ({cols})")


FORECAST_CALL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("call_id", "VARCHAR"), ("period", "VARCHAR"), ("user_id", "VARCHAR"), ("category", "VARCHAR"),
    ("amount", "DOUBLE"), ("version", "INTEGER"), ("submitted_at", "TIMESTAMP"), ("submitted_by", "VARCHAR"),
    ("note", "VARCHAR"), ("previous_amount", "DOUBLE"),
)
FORECAST_SNAPSHOT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("snapshot_date", "DATE"), ("period", "VARCHAR"), ("level", "VARCHAR"), ("key", "VARCHAR"),
    ("closed_won", "DOUBLE"), ("commit", "DOUBLE"), ("best_case", "DOUBLE"), ("pipeline", "DOUBLE"),
    ("weighted", "DOUBLE"), ("expected", "DOUBLE"), ("p10", "DOUBLE"), ("p50", "DOUBLE"), ("p90", "DOUBLE"),
    ("commit_call", "DOUBLE"), ("taken_at", "TIMESTAMP"), ("model_hash", "VARCHAR"),
)


def _v5_forecast(con: duckdb.DuckDBPyConnection) -> None:
    """Forecast calls (every version kept) and weekly forecast snapshots."""
    for name, columns in (("_forecast_calls", FORECAST_CALL_COLUMNS),
                          ("_forecast_snapshots", FORECAST_SNAPSHOT_COLUMNS)):
        cols = ", ".join(f'"{n}" {t}' for n, t in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


def _v6_customer_health(con: duckdb.DuckDBPyConnection) -> None:
    """What customer health reads beyond usage: support tickets, NPS answers, invoices, and
    the contact's role (champion) and the day they left."""
    for t in (schema.SUPPORT_TICKETS, schema.NPS_RESPONSES, schema.INVOICES):
        con.execute(create_table_sql(t.name, t.fields, t.key))
    for name in ("role", "left_at"):
        con.execute(f'ALTER TABLE contacts ADD COLUMN IF NOT EXISTS {_column_sql(schema.CONTACTS.field(name))}')


EXPANSION_SIGNAL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("signal_id", "VARCHAR"), ("account_id", "VARCHAR"), ("rule", "VARCHAR"), ("as_of", "DATE"),
    ("signalled_at", "TIMESTAMP"), ("reason", "VARCHAR"), ("action", "VARCHAR"), ("opportunity_id", "VARCHAR"),
    ("account_owner", "VARCHAR"), ("routed_to", "VARCHAR"), ("routed_kind", "VARCHAR"), ("routing_reason", "VARCHAR"),
    ("sla", "VARCHAR"), ("sla_due_at", "TIMESTAMP"), ("model_hash", "VARCHAR"), ("created_at", "TIMESTAMP"),
)
SALES_TO_CS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("handoff_id", "VARCHAR"), ("opportunity_id", "VARCHAR"), ("account_id", "VARCHAR"), ("won_at", "TIMESTAMP"),
    ("sales_owner", "VARCHAR"), ("cs_owner", "VARCHAR"), ("cs_owner_kind", "VARCHAR"), ("fields", "VARCHAR"),
    ("missing_fields", "VARCHAR"), ("status", "VARCHAR"), ("kickoff_sla", "VARCHAR"),
    ("kickoff_due_at", "TIMESTAMP"), ("source", "VARCHAR"), ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
)


def _v7_handoffs(con: duckdb.DuckDBPyConnection) -> None:
    """Expansion signals (one row per account, rule and firing, with its reason and routing) and
    Sales-to-CS handoff records (one per closed-won deal)."""
    for name, columns in (("_expansion_signals", EXPANSION_SIGNAL_COLUMNS),
                          ("_sales_to_cs_handoffs", SALES_TO_CS_COLUMNS)):
        cols = ", ".join(f'"{n}" {t}' for n, t in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


ALERT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("alert_id", "VARCHAR"), ("event_key", "VARCHAR"), ("kind", "VARCHAR"), ("channel", "VARCHAR"),
    ("recipient", "VARCHAR"), ("record_id", "VARCHAR"), ("owner_id", "VARCHAR"), ("subject", "VARCHAR"),
    ("text", "VARCHAR"), ("event", "VARCHAR"), ("status", "VARCHAR"), ("attempts", "INTEGER"),
    ("error", "VARCHAR"), ("digest_id", "VARCHAR"), ("created_at", "TIMESTAMP"), ("last_attempt_at", "TIMESTAMP"),
    ("sent_at", "TIMESTAMP"),
)
ALERT_WATCH_COLUMNS: tuple[tuple[str, str], ...] = (
    ("kind", "VARCHAR"), ("record_id", "VARCHAR"), ("detail", "VARCHAR"), ("seen_at", "TIMESTAMP"),
)


def _v8_alerts(con: duckdb.DuckDBPyConnection) -> None:
    """Alerts: one row per event and destination (sent, failed or waiting for the digest), and
    what the last check saw at risk, so only deals newly at risk are announced."""
    for name, columns in (("_alerts", ALERT_COLUMNS), ("_alert_watch", ALERT_WATCH_COLUMNS)):
        cols = ", ".join(f'"{n}" {t}' for n, t in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


API_KEY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("key_id", "VARCHAR"), ("key_hash", "VARCHAR"), ("role", "VARCHAR"), ("user_id", "VARCHAR"),
    ("label", "VARCHAR"), ("created_at", "TIMESTAMP"), ("created_by", "VARCHAR"), ("revoked_at", "TIMESTAMP"),
    ("revoked_by", "VARCHAR"),
)
AUDIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("audit_id", "VARCHAR"), ("changed_at", "TIMESTAMP"), ("key_id", "VARCHAR"), ("actor_user_id", "VARCHAR"),
    ("role", "VARCHAR"), ("action", "VARCHAR"), ("entity", "VARCHAR"), ("entity_id", "VARCHAR"),
    ("before", "VARCHAR"), ("after", "VARCHAR"), ("source", "VARCHAR"),
)


def _v9_api_keys(con: duckdb.DuckDBPyConnection) -> None:
    """API keys (only their SHA-256 hash is kept) with their role and user, and the audit log of
    every write made through the API: who, when, the record before and after."""
    for name, columns in (("_api_keys", API_KEY_COLUMNS), ("_audit_log", AUDIT_COLUMNS)):
        cols = ", ".join(f'"{n}" {t}' for n, t in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


MERGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("merge_id", "VARCHAR"), ("table_name", "VARCHAR"), ("survivor_id", "VARCHAR"), ("merged_id", "VARCHAR"),
    ("probability", "DOUBLE"), ("before", "VARCHAR"), ("after", "VARCHAR"), ("merged_at", "TIMESTAMP"),
    ("merged_by", "VARCHAR"), ("undone_at", "TIMESTAMP"), ("undone_by", "VARCHAR"),
)


def _v10_merges(con: duckdb.DuckDBPyConnection) -> None:
    """Merges of duplicate records (`revops dedupe --apply`): one row per record merged into a
    survivor, with both records and every reference repointed as they were before (JSON), so
    `revops dedupe --undo MERGE_ID` puts them back exactly."""
    cols = ", ".join(f'"{n}" {t}' for n, t in MERGE_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS _merges ({cols})")


EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "BIGINT"), ("event_id", "VARCHAR PRIMARY KEY"), ("type", "VARCHAR"), ("occurred_at", "TIMESTAMP"),
    ("received_at", "TIMESTAMP"), ("account_id", "VARCHAR"), ("lead_id", "VARCHAR"), ("email", "VARCHAR"),
    ("properties", "VARCHAR"), ("source", "VARCHAR"),
)
WORKFLOW_RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR PRIMARY KEY"), ("workflow", "VARCHAR"), ("trigger_kind", "VARCHAR"),
    ("trigger_key", "VARCHAR"), ("subject_table", "VARCHAR"), ("subject_id", "VARCHAR"), ("status", "VARCHAR"),
    ("triggered_at", "TIMESTAMP"), ("started_at", "TIMESTAMP"), ("finished_at", "TIMESTAMP"),
    ("context", "VARCHAR"), ("model_hash", "VARCHAR"),
)
WORKFLOW_STEP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("step_key", "VARCHAR PRIMARY KEY"), ("run_id", "VARCHAR"), ("workflow", "VARCHAR"), ("position", "VARCHAR"),
    ("action", "VARCHAR"), ("status", "VARCHAR"), ("attempts", "INTEGER"), ("next_at", "TIMESTAMP"),
    ("created_at", "TIMESTAMP"), ("finished_at", "TIMESTAMP"), ("result", "VARCHAR"), ("error", "VARCHAR"),
)
WORKFLOW_ATTEMPT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("step_key", "VARCHAR"), ("attempt", "INTEGER"), ("started_at", "TIMESTAMP"), ("finished_at", "TIMESTAMP"),
    ("ok", "BOOLEAN"), ("error", "VARCHAR"), ("replay", "INTEGER"),
)
TASK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("task_id", "VARCHAR"), ("step_key", "VARCHAR"), ("subject", "VARCHAR"), ("body", "VARCHAR"),
    ("owner_id", "VARCHAR"), ("table_name", "VARCHAR"), ("record_id", "VARCHAR"), ("due_at", "TIMESTAMP"),
    ("status", "VARCHAR"), ("created_at", "TIMESTAMP"), ("crm_system", "VARCHAR"), ("crm_id", "VARCHAR"),
)
LIST_MEMBER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("list_kind", "VARCHAR"), ("list_name", "VARCHAR"), ("member_table", "VARCHAR"), ("member_id", "VARCHAR"),
    ("added_at", "TIMESTAMP"), ("step_key", "VARCHAR"),
)


def _v11_workflows(con: duckdb.DuckDBPyConnection) -> None:
    """Orchestration: the events received (each event_id once), workflow runs and their steps with
    every attempt, the feeds' cursors and schedules' last ticks, tasks, list and sequence members,
    and a sequence number on the audit log so workflows read record changes in commit order."""
    tables = (("_events", EVENT_COLUMNS), ("_workflow_runs", WORKFLOW_RUN_COLUMNS),
              ("_workflow_steps", WORKFLOW_STEP_COLUMNS), ("_workflow_attempts", WORKFLOW_ATTEMPT_COLUMNS),
              ("_tasks", TASK_COLUMNS), ("_list_members", LIST_MEMBER_COLUMNS))
    for name, columns in tables:
        cols = ", ".join(f'"{n}" {t}' for n, t in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
    con.execute("CREATE TABLE IF NOT EXISTS _workflow_cursors (feed VARCHAR PRIMARY KEY, position BIGINT, "
                "updated_at TIMESTAMP)")
    con.execute("CREATE TABLE IF NOT EXISTS _workflow_schedules (workflow VARCHAR PRIMARY KEY, "
                "last_tick TIMESTAMP)")
    con.execute("CREATE SEQUENCE IF NOT EXISTS _audit_seq")
    con.execute("ALTER TABLE _audit_log ADD COLUMN IF NOT EXISTS seq BIGINT DEFAULT nextval('_audit_seq')")


SYNC_RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sync_id", "VARCHAR"), ("system", "VARCHAR"), ("object", "VARCHAR"), ("table_name", "VARCHAR"),
    ("since", "TIMESTAMP"), ("cursor_before", "TIMESTAMP"), ("pulled_since", "TIMESTAMP"),
    ("cursor_after", "TIMESTAMP"), ("pulled", "BIGINT"), ("stored", "BIGINT"), ("quarantined", "BIGINT"),
    ("ingest_run_id", "VARCHAR"), ("status", "VARCHAR"), ("error", "VARCHAR"), ("started_at", "TIMESTAMP"),
    ("finished_at", "TIMESTAMP"),
)


def _v12_sync_state(con: duckdb.DuckDBPyConnection) -> None:
    """CRM syncs (`revops sync hubspot|salesforce`): the high-water mark of the CRM's modified date
    per system and object, moved only once what was pulled up to it is stored, and one row per
    object and table of each sync with its counts and cursors (docs/connectors.md)."""
    con.execute("CREATE TABLE IF NOT EXISTS _sync_state (system VARCHAR, object VARCHAR, cursor TIMESTAMP, "
                "sync_id VARCHAR, updated_at TIMESTAMP)")
    cols = ", ".join(f'"{n}" {t}' for n, t in SYNC_RUN_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS _sync_runs ({cols})")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "canonical GTM tables, ingest runs, quarantine, custom fields, model versions",
              _v1_canonical),
    Migration(2, "daily snapshots of the open pipeline", _v2_pipeline_snapshots),
    Migration(3, "lead engine: score parts and assignment time on leads, scoring models, routing "
                 "decisions, lifecycle events, idempotency keys", _v3_lead_engine),
    Migration(4, "score history: each scoring's scores of the leads whose score changed", _v4_score_history),
    Migration(5, "forecast: calls by rep and manager (versioned), weekly forecast snapshots", _v5_forecast),
    Migration(6, "customer health: support tickets, NPS responses, invoices; contacts' role and left_at",
              _v6_customer_health),
    Migration(7, "handoffs: expansion signals and Sales-to-CS handoff records", _v7_handoffs),
    Migration(8, "alerts: every alert sent, failed or waiting for the digest; deals seen at risk", _v8_alerts),
    Migration(9, "API keys (hashed) with roles, and the audit log of API writes", _v9_api_keys),
    Migration(10, "merges of duplicate records, with what they replaced, so each can be undone", _v10_merges),
    Migration(11, "orchestration: events, workflow runs, steps and attempts, cursors, schedules, tasks, "
                  "list members; audit log sequence", _v11_workflows),
    Migration(12, "CRM sync: the cursor per system and object, and each sync's counts", _v12_sync_state),
)
