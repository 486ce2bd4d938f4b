"""The canonical data model described for people: docs/data-model.md is rendered from here."""

from __future__ import annotations

from revops.store import schema


def data_model_markdown() -> str:
    lines = [
        "# The GTM data model",
        "",
        "Rendered from `src/revops/store/schema.py` (`python -m revops.store.describe > docs/data-model.md`);",
        "a test keeps the two in step. Required fields are marked **required**: only ids and the",
        "dates a table is meaningless without. Columns that a mapping does not name are added as",
        "typed custom attributes (see docs/ingest.md).",
        "",
    ]
    for t in schema.TABLES.values():
        lines += [f"## {t.name}", "", t.description, "", f"Key: `{t.key}`.", ""]
        if t.history_fields:
            lines += [f"Changes of {', '.join(t.history_fields)} are kept in `opportunity_history`.", ""]
        lines += ["| field | type | notes |", "| --- | --- | --- |"]
        for f in t.fields:
            notes = []
            if f.required:
                notes.append("**required**")
            if f.vocabulary:
                notes.append(f"one of the model's `{f.vocabulary}` values")
            if f.semantic == "email":
                notes.append("checked e-mail address")
            if f.description:
                notes.append(f.description)
            lines.append(f"| {f.name} | {f.type} | {'; '.join(notes)} |")
        lines.append("")
    lines += ["## Ground truth of the demo company", "",
              "Written only by `revops demo`, so engines can be measured against what really drove the data.", ""]
    for name, fields in schema.TRUTH_TABLES.items():
        lines.append(f"- `{name}`: " + ", ".join(f"{f.name} ({f.type})" for f in fields))
    lines += ["", "## revops' own records", "",
              "Tables whose names start with `_` are written by revops itself, never by ingest; each came with",
              "a schema version of the store (`_schema_migrations`, `src/revops/store/migrations.py`).", ""]
    for name, columns in own_tables().items():
        what = OWN_TABLES.get(name, "")
        lines.append(f"- `{name}`{': ' + what if what else ''} Columns: "
                     + ", ".join(f"{c} ({t.lower()})" for c, t in columns.items()) + ".")
    return "\n".join(lines) + "\n"


OWN_TABLES: dict[str, str] = {
    "_schema_migrations": "the schema versions applied to this store, with when.",
    "_ingest_runs": "one row per table loaded by `revops ingest` or `revops demo`.",
    "_quarantine": "values ingest refused, with the row, column and reason (`revops quarantine`).",
    "_custom_fields": "columns added to canonical tables for unmapped source columns.",
    "_model_versions": "the revenue model's definition history (`revops model history`).",
    "_pipeline_snapshots": "the open pipeline as it stood each day `revops snapshot` ran.",
    "_scoring_models": "trained predictive scoring models; one is active (`revops score models`).",
    "_routing_decisions": "every routing decision: path, values tested, candidates, previous and new "
                          "owner (docs/routing.md).",
    "_lifecycle_events": "every lifecycle move of a lead, with its time and reason (docs/scoring.md).",
    "_idempotency": "the first answer to each lead or Idempotency-Key taken by `POST /v1/leads`.",
    "_score_history": "a lead's scores over time: one row per scoring (`revops score`, `POST /v1/leads`) "
                      "that changed the lead's score parts, with the predictive model version and the "
                      "revenue model's hash (docs/scoring.md).",
    "_forecast_calls": "every version of every forecast call: a rep's or manager's number for a period, "
                       "who submitted it, when, and a manager's note (`revops forecast call`, docs/forecast.md).",
    "_forecast_snapshots": "the forecast of a period as it stood on a day, for the company and each owner "
                           "(`revops forecast snapshot`, docs/forecast.md).",
    "_expansion_signals": "every firing of an expansion signal: account, rule, reason, the deal or task it "
                          "opened, who it was routed to and why, the SLA due time (docs/handoffs.md).",
    "_sales_to_cs_handoffs": "one Sales-to-CS handoff per closed-won deal: required fields and the missing "
                             "ones, status, CS owner, kickoff SLA due time (docs/handoffs.md).",
    "_alerts": "one row per alert event and destination (Slack channel or e-mail address): queued, sent or "
               "failed, with the attempts and the error; a key already here is never sent again "
               "(`revops alerts check`, docs/alerts.md).",
    "_alert_watch": "the deals at risk at the last alert check, so only deals newly at risk are announced "
                    "(docs/alerts.md).",
    "_api_keys": "API keys: their SHA-256 hash (never the key), role, user, who made and revoked them "
                 "(`revops keys`, docs/keys.md).",
    "_merges": "every merge `revops dedupe --apply` made: the survivor, the merged record, the match probability, "
               "both records and their references before and after as JSON, who and when, and whether it was "
               "undone (`revops dedupe --undo`, docs/identity.md).",
    "_audit_log": "every write through the API, by workflows and by loads into tables workflows watch: who "
                  "(key, user, role), when, the record before and after as JSON, and `seq`, the commit order "
                  "workflows read changes in (docs/keys.md, docs/workflows.md).",
    "_events": "each event (signal) once per event_id, with `seq` in commit order (POST /v1/events, "
               "`revops events ingest`, docs/workflows.md).",
    "_workflow_runs": "one row per workflow run: the trigger, the record it is about, its status.",
    "_workflow_steps": "one row per step a run reached: its idempotency key (`step_key`), status, attempts, "
                       "result or error (`revops workflows runs`).",
    "_workflow_attempts": "every try of every step, with its outcome.",
    "_workflow_cursors": "how far the worker has read each feed (events, record changes).",
    "_workflow_schedules": "the last cron tick of each scheduled workflow.",
    "_tasks": "tasks workflows created (owner, due date, the record, the CRM task id).",
    "_list_members": "records workflows added to lists and sequences.",
    "_sync_state": "where each CRM sync left off: the latest modified date pulled per system and object, moved "
                   "only once what was pulled is stored (`revops sync`, docs/connectors.md).",
    "_sync_runs": "one row per object and table of each `revops sync`: --since, cursors before and after, "
                  "pulled/stored/quarantined counts, the ingest run, ok or failed with the error.",
}
"""What each of revops' own tables holds, for the document."""


def own_tables() -> dict[str, dict[str, str]]:
    """Columns of revops' own tables as the migrations create them (a fresh in-memory store)."""
    from revops.store.store import Store

    with Store(":memory:") as store:
        names = [r[0] for r in store.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND starts_with(table_name, '_') ORDER BY table_name").fetchall()]
        return {name: store.columns(name) for name in names}


if __name__ == "__main__":
    print(data_model_markdown(), end="")
