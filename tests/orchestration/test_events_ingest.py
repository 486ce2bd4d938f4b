"""`revops events ingest FILE`: each event stored once (a file loaded twice adds nothing), bad
lines quarantined with their line number and reason, then the workflows they start."""

from __future__ import annotations

import json

from revops.store import Store
from tests.conftest import run_cli

LINES = [
    {"event_id": "e1", "type": "page_view", "occurred_at": "2026-11-20T10:00:00Z", "properties": {"url": "/pricing"},
     "email": "cara@big.com"},
    {"event_id": "e2", "type": "page_view", "occurred_at": "2026-11-20T11:00:00Z", "properties": {"url": "/pricing"},
     "email": "carl@big.com"},
    {"event_id": "e2", "type": "page_view", "occurred_at": "2026-11-20T11:00:00Z", "properties": {"url": "/pricing"},
     "email": "carl@big.com"},                                                        # the same event again
    {"type": "page_view", "occurred_at": "2026-11-20T12:00:00+01:00", "properties": {"url": "/pricing/enterprise"},
     "account_id": "A1"},                                                             # no event_id
    {"type": "page_view", "occurred_at": "yesterday", "account_id": "A1"},            # line 5: bad time
    {"type": "page_view", "occurred_at": "2026-11-20T12:00:00Z"},                     # line 6: about nobody
]
MODEL = """
workflows:
  - key: intent_spike
    trigger:
      signals: {type: page_view, where: "contains(url, '/pricing')", per: account, count: 3, within: 7d}
    steps:
      - create_task: {subject: "Research {name} ({signal_count} pricing views)", due_in: 1d}
"""


def test_ingest_stores_each_event_once_and_quarantines_bad_lines(book, tmp_path):
    book.close()
    model = tmp_path / "revops.yaml"
    model.write_text(MODEL)
    events = tmp_path / "signals.jsonl"
    events.write_text("\n".join(json.dumps(line) for line in LINES) + "\n" + "{not json\n")
    args = ("--db", str(book.path), "--model", str(model))

    first = run_cli(*args, "events", "ingest", str(events), "--format", "json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert {k: result[k] for k in ("read", "stored", "duplicates", "quarantined", "runs_started")} == {
        "read": 7, "stored": 3, "duplicates": 1, "quarantined": 3, "runs_started": 1}
    assert "3 line(s) quarantined" in first.stderr

    shown = run_cli(*args, "quarantine", "--table", "events", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    reasons = {q["row"]: q["reason"] for q in json.loads(shown.stdout)}
    assert sorted(reasons) == [5, 6, 7]
    assert "occurred_at" in reasons[5]
    assert "give account_id, lead_id or email" in reasons[6]
    assert "json" in reasons[7].lower()

    second = run_cli(*args, "events", "ingest", str(events), "--format", "json")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert (again["stored"], again["runs_started"]) == (0, 0)
    assert again["duplicates"] == 4

    with Store(book.path, read_only=True) as s:
        assert s.query("SELECT count(*) AS n FROM _events") == [{"n": 3}]
        assert s.query("SELECT subject, record_id FROM _tasks") == [
            {"subject": "Research Big Co (3 pricing views)", "record_id": "A1"}]
        [late] = s.query("SELECT occurred_at FROM _events WHERE account_id = 'A1'")
        assert late["occurred_at"].hour == 11  # 12:00+01:00 stored as naive UTC
