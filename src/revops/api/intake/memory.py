"""What the intake remembers about the store, so a lead costs no table scan.

DuckDB has no index on ``leads.lead_id``: finding 50 ids among a million leads scans the
table (about 50 ms). While ``revops serve`` runs it is the store's only writer (DuckDB lets
one process write a file), so the intake can keep, in memory and exact:

- ``stored``: the lead ids in ``leads`` — a new id needs no lookup, only an update does;
- ``with_events``: the lead ids that have touches or activities, the only leads whose events
  are read for scoring;
- ``answered`` / ``keys``: the leads already taken through the API and the Idempotency-Keys
  used (``_idempotency``), with the latest answers cached; older answers are read back from
  the store when a sender retries.

Everything is loaded once at start and updated by the writer only after a commit.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from revops.engines.scoring.rules import EVENT_TABLES

CACHED_ANSWERS = 50_000


class IntakeMemory:
    def __init__(self, stored: set[str], with_events: set[str], answered: set[str], keys: dict[str, str]) -> None:
        self.stored = stored
        self.with_events = with_events
        self.answered = answered
        self.keys = keys
        self._answers: OrderedDict[str, bytes] = OrderedDict()

    @classmethod
    def load(cls, store: Any) -> IntakeMemory:
        con = store.con
        stored = {r[0] for r in con.execute("SELECT lead_id FROM leads WHERE lead_id IS NOT NULL").fetchall()}
        with_events: set[str] = set()
        for table in EVENT_TABLES:
            if store.has_table(table):
                with_events.update(r[0] for r in con.execute(
                    f"SELECT DISTINCT lead_id FROM {table} WHERE lead_id IS NOT NULL").fetchall())
        answered: set[str] = set()
        keys: dict[str, str] = {}
        for key, lead_id in con.execute("SELECT key, lead_id FROM _idempotency").fetchall():
            answered.add(lead_id)
            if key is not None:
                keys[key] = lead_id
        return cls(stored, with_events, answered, keys)

    # -- answers ----------------------------------------------------------------------------
    def answered_lead(self, lead_id: str, key: str | None) -> str | None:
        """The lead whose answer a request repeats: the lead its key was first used for, else
        the lead itself when it was taken before; None for a request not seen yet."""
        if key is not None and key in self.keys:
            return self.keys[key]
        return lead_id if lead_id in self.answered else None

    def cached_answer(self, lead_id: str) -> bytes | None:
        body = self._answers.get(lead_id)
        if body is not None:
            self._answers.move_to_end(lead_id)
        return body

    def remember(self, lead_id: str, key: str | None, body: bytes) -> None:
        """A lead taken and committed: its id, its key and its answer."""
        self.answered.add(lead_id)
        self.stored.add(lead_id)
        if key is not None:
            self.keys.setdefault(key, lead_id)
        self._answers[lead_id] = body
        if len(self._answers) > CACHED_ANSWERS:
            self._answers.popitem(last=False)
