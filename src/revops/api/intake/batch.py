"""One group commit: the requests the writer took from the queue together, in arrival order.

For the leads of a batch, in order:

1. a lead already taken (same lead_id, or same Idempotency-Key) gets its first answer again
   and changes nothing; a repeat inside the batch waits for the first one's answer;
2. the payload is merged over the stored lead (an update) or becomes a new lead;
3. it is scored by the model's rules (its stored touches and activities included); with an
   active predictive model the whole batch is predicted at once and blended in;
4. a new lead whose MQL criteria hold becomes an MQL (``_lifecycle_events``);
5. a lead without an owner (not converted, not disqualified) is routed; a lead that has one
   keeps it. The router's in-memory state (caps, rotations, open leads) moves with each
   decision, so the leads of a batch see each other and the next batch sees them all;
6. its first-contact deadline is computed (``deadlines``).

A user change (``PATCH /v1/users/{id}``) in the queue applies between the leads before and
after it. Everything — leads, ``_routing_decisions``, ``_idempotency``, lifecycle events,
``_score_history``, users — is written in the batch's one transaction; answers go out only after the commit.
If the commit fails, the router's state is given back (``undo``) and every request of the
batch fails: nothing of it was stored, nothing was acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from revops.access.audit import NAMES as AUDIT_COLUMNS
from revops.access.audit import audit_entry
from revops.api.intake.answers import Answer, Rejection, encode, encode_answer
from revops.api.intake.desk import IntakeDesk
from revops.api.intake.records import ValueMismatch, merge
from revops.engines.routing.audit import AUDIT_COLUMNS as DECISION_COLUMNS
from revops.engines.routing.decision import RoutingDecision
from revops.engines.scoring.combined import CONTRACT_GROUPS, HISTORY_COLUMNS, LeadScore, band_of, score_lead
from revops.engines.scoring.rules import EVENT_TABLES
from revops.store import schema

ROUTABLE_KINDS = ("user", "queue", "nurture")
EVENT_KEYS = {"touches": ("touch_id", "touch"), "activities": ("activity_id", "activity")}
"""Per event table: its id column and the word in the ids made for events sent without one."""
MQL_SOURCE = LEADS_SOURCE = "POST /v1/leads"
IDEMPOTENCY_COLUMNS = ("key", "lead_id", "response", "created_at")
LIFECYCLE_COLUMNS = ("lead_id", "from_stage", "to_stage", "changed_at", "reason", "source")


@dataclass(eq=False)
class LeadRequest:
    fields: dict[str, Any]
    key: str | None
    ignored: list[str]
    waiter: Any
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Touches and activities sent with the lead, by table."""
    actor: Any = None
    """Who sent it (a revops.access.Principal), for the audit log."""


@dataclass(eq=False)
class UserRequest:
    user_id: str
    changes: dict[str, Any]
    waiter: Any
    actor: Any = None


@dataclass(eq=False)
class StageMoveRequest:
    move: Any
    """A revops.engines.deals.moves.StageMove."""
    waiter: Any
    actor: Any = None


@dataclass(eq=False)
class EventRequest:
    events: list[Any]
    """revops.orchestration.events.IncomingEvent, in the order sent."""
    waiter: Any
    single: bool = True
    """Sent as one event (answered with its own status) rather than a list."""
    source: str | None = None
    actor: Any = None


@dataclass
class GroupCommit:
    desk: IntakeDesk
    now: datetime
    settled: list[tuple[Any, Answer | Exception]] = field(default_factory=list)
    lead_rows: list[dict[str, Any]] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    decisions: list[RoutingDecision] = field(default_factory=list)
    answers: dict[str, Answer | Exception] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    ties: list[tuple[Any, str]] = field(default_factory=list)
    taken: list[tuple[str, str | None]] = field(default_factory=list)
    lifecycle: list[tuple[str, str | None, str, datetime, str, str]] = field(default_factory=list)
    event_leads: set[str] = field(default_factory=set)
    named_ids: set[str] = field(default_factory=set)
    """Ids of events sent with their own id: they replace stored events with that id."""
    users_before: list[dict[str, Any]] = field(default_factory=list)
    open_deal_moves: list[tuple[str, int]] = field(default_factory=list)
    """(owner, +1 / -1) applied to routing's open-opportunity counts by stage moves, for undo."""
    scores: list[tuple[Any, ...]] = field(default_factory=list)
    """``_score_history`` rows of the leads whose score changed (every new lead)."""
    audits: list[tuple[Any, ...]] = field(default_factory=list)
    """``_audit_log`` rows: every write of the batch, with who asked for it, before and after."""
    stored_leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The leads as stored before this batch (updates), for the audit log."""
    event_requests: list[EventRequest] = field(default_factory=list)
    events_stored: int = 0
    event_seq_before: int | None = None

    # -- events -------------------------------------------------------------------------------
    def take_events(self, request: EventRequest) -> None:
        """Events are stored in ``write`` (each event_id once) and answered there."""
        self.event_requests.append(request)

    def _write_events(self, con: Any) -> None:
        log = self.desk.events
        self.event_seq_before = log.next_seq
        events = [e for r in self.event_requests for e in r.events]
        stored, fresh = log.append(con, events, self.now)
        self.events_stored = len(stored)
        i = 0
        for r in self.event_requests:
            statuses = [{"event_id": e.event_id, "status": "accepted" if new else "duplicate"}
                        for e, new in zip(r.events, fresh[i:i + len(r.events)])]
            i += len(r.events)
            body = statuses[0] if r.single else {
                "accepted": sum(s["status"] == "accepted" for s in statuses),
                "duplicates": sum(s["status"] == "duplicate" for s in statuses), "events": statuses}
            self.settled.append((r.waiter, Answer(None, encode(body))))

    # -- leads --------------------------------------------------------------------------------
    def take_leads(self, requests: list[LeadRequest]) -> None:
        desk, memory = self.desk, self.desk.memory
        fresh: list[LeadRequest] = []
        for r in requests:
            lead_id = r.fields["lead_id"]
            first = memory.answered_lead(lead_id, r.key)
            if first is not None:
                self.settled.append((r.waiter, self._replay(first)))
            elif r.key is not None and r.key in self.keys:
                self.ties.append((r.waiter, self.keys[r.key]))
            elif lead_id in self.answers:
                self.ties.append((r.waiter, lead_id))
            else:
                self.answers[lead_id] = Rejection(500, "not processed")  # placeholder: claims the id
                if r.key is not None:
                    self.keys[r.key] = lead_id
                fresh.append(r)
        if not fresh:
            return
        stored = self._stored_rows([r.fields["lead_id"] for r in fresh if r.fields["lead_id"] in memory.stored])
        self.stored_leads.update(stored)
        leads: list[tuple[LeadRequest, dict[str, Any]]] = []
        for r in fresh:
            lead_id = r.fields["lead_id"]
            try:
                record = merge(stored.get(lead_id), r.fields, desk.columns, self.now)
            except ValueMismatch as exc:
                self._reject(r, lead_id, Rejection(422, f"invalid lead {lead_id}: {exc}",
                                                   [(exc.field, exc.message, "custom_attribute_type")]))
                continue
            if lead_id in stored:
                self.replaced.append(lead_id)
            leads.append((r, record))
        if not leads:
            return
        sent = {r.fields["lead_id"]: self._sent_events(r) for r, _ in leads}
        stored_events = self._events([lead_id for lead_id in sent if lead_id in memory.with_events])
        self._store_events(sent)  # before predicting: the predictive model reads events from the store
        scores = self._scores([record for _, record in leads], _joined(stored_events, sent))
        placed = [self._place(record, score) for (_, record), score in zip(leads, scores)]
        dues = desk.clock.due([record for _, record in leads], [d is not None and d.assigned_kind == "user"
                                                                for d in placed], self.now)
        for (r, record), score, decision, (sla, due) in zip(leads, scores, placed, dues):
            self._answer(r, record, score, decision, sla, due)

    def _stored_rows(self, lead_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not lead_ids:
            return {}
        cur = self.desk.store.con.execute("SELECT * FROM leads WHERE lead_id IN (SELECT unnest(?::VARCHAR[]))",
                                          [lead_ids])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row)) for row in cur.fetchall()]
        return {r["lead_id"]: r for r in rows}

    def _sent_events(self, r: LeadRequest) -> dict[str, list[dict[str, Any]]]:
        """The events sent with a lead as rows of their tables: lead_id set, ids and times filled in."""
        lead_id = r.fields["lead_id"]
        out: dict[str, list[dict[str, Any]]] = {}
        for table, events in r.events.items():
            key, word = EVENT_KEYS[table]
            out[table] = [{**e, "lead_id": lead_id, key: e.get(key) or f"{lead_id}-{word}-{i}",
                           "occurred_at": e.get("occurred_at") or self.now} for i, e in enumerate(events, 1)]
            self.named_ids.update(e[key] for e in events if e.get(key))
        return out

    def _store_events(self, sent: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
        """Write the events sent with the leads; one sent with its own id replaces a stored one."""
        con = self.desk.store.con
        for table, (key, _) in EVENT_KEYS.items():
            rows = [row for tables in sent.values() for row in tables.get(table, ())]
            if not rows:
                continue
            named = [r[key] for r in rows if r[key] in self.named_ids]
            if named:
                con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT unnest(?::VARCHAR[]))", [named])
            names = schema.table(table).field_names
            self.desk.appenders.insert(table, names, [tuple(r.get(n) for n in names) for r in rows])
            self.event_leads.update(r["lead_id"] for r in rows)

    def _scores(self, records: list[dict[str, Any]], events: dict[str, dict[str, list[dict[str, Any]]]]) -> list[LeadScore]:
        desk = self.desk
        scores = [score_lead(desk.model, r, events.get(r["lead_id"]), self.now, book=desk.book) for r in records]
        if desk.model_version is None:
            return scores
        import pandas as pd

        from revops.engines.scoring.combined import predict

        frame = predict(desk.store, pd.DataFrame(records), factors=False)
        if frame is None:
            return scores
        # as score_lead blends one lead: the probability is reported, its percentile among the
        # training leads is what the blend adds
        predictions = {lead_id: (_number(p), _number(q)) for lead_id, p, q in
                       zip(frame["lead_id"], frame["predicted_conversion"], frame["predicted_percentile"])}
        scoring = desk.model.scoring
        out = []
        for s in scores:
            probability, percentile = predictions.get(s.lead_id, (None, None))
            combined = desk.blend.score(s.rules.score, percentile)
            out.append(replace(s, score=combined, predicted_conversion=probability,
                               mql=combined >= scoring.mql_threshold, band=band_of(scoring.bands, combined)))
        return out

    def _events(self, lead_ids: list[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        if not lead_ids or not self.desk.reads_events:
            return out
        con = self.desk.store.con
        for table in EVENT_TABLES:
            cur = con.execute(f"SELECT * FROM {table} WHERE lead_id IN (SELECT unnest(?::VARCHAR[]))", [lead_ids])
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                event = dict(zip(names, row))
                out.setdefault(event["lead_id"], {}).setdefault(table, []).append(event)
        return out

    def _place(self, record: dict[str, Any], score: LeadScore) -> RoutingDecision | None:
        """Score parts and lifecycle on the record; route it if nobody owns it. Every group's
        points are on the record as ``<group>_score`` for conditions to read; leads keeps fit,
        intent and engagement."""
        parts = (score.score, *(score.group_points(g) for g in CONTRACT_GROUPS), score.predicted_conversion)
        if parts != (record.get("score"), *(record.get(f"{g}_score") for g in CONTRACT_GROUPS),
                     record.get("predicted_conversion")):
            self.scores.append((record["lead_id"], self.now, *parts, self.desk.model_version,
                                self.desk.model_hash, "api"))
        record["score"] = score.score
        record["predicted_conversion"] = score.predicted_conversion
        for group in dict.fromkeys([*CONTRACT_GROUPS, *(g.key for g in self.desk.book.groups)]):
            record[f"{group}_score"] = score.group_points(group)
        if record.get("status") == "new" and self.desk.mql.matches(record, self.now):
            record["status"] = "mql"
            if record.get("mql_at") is None:
                record["mql_at"] = self.now
            self.lifecycle.append((record["lead_id"], "new", "mql", self.now,
                                   f"score {score.score:g} meets the entry criteria of MQL: {self.desk.mql.text}",
                                   MQL_SOURCE))
        if record.get("owner_id") is not None or record.get("converted") or record.get("disqualified_at") is not None:
            return None
        d = self.desk.router.route(record, self.now, trigger="api")
        self.decisions.append(d)
        if d.assigned_kind in ROUTABLE_KINDS:
            record["owner_id"] = d.assigned_to if d.assigned_kind != "nurture" else None
            record["assigned_at"] = self.now
        return d

    def _answer(self, r: LeadRequest, record: dict[str, Any], score: LeadScore, d: RoutingDecision | None,
                sla: str | None, due: datetime | None) -> None:
        lead_id = record["lead_id"]
        body = {**score.row(), "status": record.get("status")}
        body.pop("lead_id")
        if d is not None:
            routed = {"assigned_to": d.assigned_to, "assigned_kind": d.assigned_kind, "team": d.team,
                      "path": list(d.path), "reason": d.reason, "decision_id": d.decision_id}
        else:
            owner = record.get("owner_id")
            why = (f"kept: already owned by {owner}; not routed again" if owner is not None else
                   "kept: converted or disqualified leads are not routed")
            rep = self.desk.router.state.reps.get(owner) if owner is not None else None
            routed = {"assigned_to": owner, "assigned_kind": "kept",
                      "team": self.desk.router.state.team_name(rep.team) if rep is not None else None,
                      "path": [], "reason": why, "decision_id": None}
        answer = Answer(lead_id, encode_answer({"lead_id": lead_id, "score": score.score, **body, **routed,
                                                "sla": sla, "sla_due_at": due, "received_at": self.now,
                                                "ignored": r.ignored}))
        self.answers[lead_id] = answer
        self.lead_rows.append(record)
        before = self.stored_leads.get(lead_id)
        self.audits.append(audit_entry(r.actor, "lead.update" if before else "lead.create", "leads", lead_id,
                                       before=before, after=record, at=self.now, source=LEADS_SOURCE))
        self.taken.append((lead_id, r.key))
        self.settled.append((r.waiter, answer))

    def _reject(self, r: LeadRequest, lead_id: str, rejection: Rejection) -> None:
        self.answers[lead_id] = rejection
        if r.key is not None:
            self.keys.pop(r.key, None)
        self.settled.append((r.waiter, rejection))

    def _replay(self, lead_id: str) -> Answer | Exception:
        body = self.desk.memory.cached_answer(lead_id)
        if body is None:
            row = self.desk.store.con.execute(
                "SELECT response FROM _idempotency WHERE lead_id = ? ORDER BY created_at LIMIT 1", [lead_id]).fetchall()
            if not row:
                return Rejection(500, f"lead {lead_id} was taken but its answer is missing from _idempotency")
            body = row[0][0].encode()
        return Answer(lead_id, body, replayed=True)

    # -- users --------------------------------------------------------------------------------
    def change_user(self, r: UserRequest) -> None:
        """Apply a change to a users row: in the store (this transaction) and to routing at once."""
        con = self.desk.store.con
        cur = con.execute("SELECT * FROM users WHERE user_id = ?", [r.user_id])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        if not rows:
            self.settled.append((r.waiter, Rejection(404, f"no user {r.user_id!r} in the store; "
                                                         "check the id (users table)")))
            return
        before = dict(zip(names, rows[0]))
        changes = {k: v for k, v in r.changes.items() if k in before}
        if changes:
            sets = ", ".join(f'"{k}" = ?' for k in changes)
            con.execute(f"UPDATE users SET {sets} WHERE user_id = ?", [*changes.values(), r.user_id])
        after = {**before, **changes}
        self.desk.router.user_changed(after)
        self.audits.append(audit_entry(r.actor, "user.update", "users", r.user_id, before=before, after=after,
                                       at=self.now, source="PATCH /v1/users/{user_id}"))
        self.users_before.append(before)
        self.settled.append((r.waiter, Answer(None, encode(after))))

    # -- stage moves --------------------------------------------------------------------------
    def move_stage(self, r: StageMoveRequest) -> None:
        """Move a deal through its stage gate in this transaction (``deals.moves``): a refusal
        changes nothing and is answered as such; a move updates routing's count of the owners'
        open deals at once, as ``user_changed`` does for users."""
        from revops.engines.deals.moves import MoveRefused, apply_move

        con = self.desk.store.con
        before = _row(con, "opportunities", "opportunity_id", r.move.opportunity_id)
        try:
            result = apply_move(con, self.desk.model, r.move, self.now)
        except MoveRefused as refused:
            self.settled.append((r.waiter, refused))
            return
        self.audits.append(audit_entry(r.actor, "opportunity.stage_move", "opportunities", r.move.opportunity_id,
                                       before=before, after=_row(con, "opportunities", "opportunity_id",
                                                                 r.move.opportunity_id),
                                       at=self.now, source=r.move.source or "stage move"))
        if result.open_before:
            self._count_open_deal(result.owner_before, -1)
        if result.open_after:
            self._count_open_deal(result.owner_after, +1)
        self.settled.append((r.waiter, Answer(None, encode(result.to_dict()))))

    def _count_open_deal(self, owner: str | None, step: int) -> None:
        state = self.desk.router.state
        rep = state.reps.get(owner) if owner is not None else None
        if rep is None:
            return
        with state.lock:
            rep.open_opportunities = max(rep.open_opportunities + step, 0)
            rep.record["open_opportunities"] = rep.open_opportunities
        self.open_deal_moves.append((owner, step))  # type: ignore[arg-type]

    # -- the commit ---------------------------------------------------------------------------
    def write(self) -> None:
        """Write everything of the batch (call inside its transaction)."""
        desk = self.desk
        con, insert = desk.store.con, desk.appenders.insert
        desk.columns.add_new(con, self.now)
        if self.replaced:
            con.execute("DELETE FROM leads WHERE lead_id IN (SELECT unnest(?::VARCHAR[]))", [self.replaced])
        if self.lead_rows:
            insert("leads", *desk.columns.rows(self.lead_rows))
        if self.decisions:
            rows = [d.audit_row() for d in self.decisions]
            insert("_routing_decisions", DECISION_COLUMNS, [tuple(r[n] for n in DECISION_COLUMNS) for r in rows])
        if self.taken:
            insert("_idempotency", IDEMPOTENCY_COLUMNS, [
                (key, lead_id, self.answers[lead_id].body.decode(), self.now)  # type: ignore[union-attr]
                for lead_id, key in self.taken])
        if self.scores:
            insert("_score_history", HISTORY_COLUMNS, self.scores)
        if self.audits:  # audit_entry's rows, as revops.access.audit.write_audit stores them
            insert("_audit_log", AUDIT_COLUMNS, self.audits)
        if self.event_requests:
            self._write_events(con)
        if self.lifecycle:
            insert("_lifecycle_events", LIFECYCLE_COLUMNS, self.lifecycle)

    def committed(self) -> None:
        """After the commit: what the intake remembers, and the repeats inside the batch."""
        memory = self.desk.memory
        for lead_id, key in self.taken:
            memory.remember(lead_id, key, self.answers[lead_id].body)  # type: ignore[union-attr]
        memory.with_events.update(self.event_leads)
        for waiter, lead_id in self.ties:
            first = self.answers[lead_id]
            self.settled.append((waiter, Answer(first.lead_id, first.body, replayed=True)
                                 if isinstance(first, Answer) else first))

    def undo(self) -> None:
        """The commit failed: give the router's state back, forget planned columns."""
        if self.event_seq_before is not None:
            self.desk.events.next_seq = self.event_seq_before
        router = self.desk.router
        for d in reversed(self.decisions):
            router.release(d)
        for before in reversed(self.users_before):
            router.user_changed(before)
        for owner, step in reversed(self.open_deal_moves):
            rep = router.state.reps.get(owner)
            if rep is not None:
                with router.state.lock:
                    rep.open_opportunities = max(rep.open_opportunities - step, 0)
                    rep.record["open_opportunities"] = rep.open_opportunities
        self.desk.columns.forget_new()


def _row(con: Any, table: str, key: str, value: Any) -> dict[str, Any] | None:
    cur = con.execute(f"SELECT * FROM {table} WHERE {key} = ?", [value])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    return dict(zip(names, rows[0])) if rows else None


def _number(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def _joined(stored: dict[str, dict[str, list[dict[str, Any]]]],
            sent: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each lead's stored events with the ones just sent (a sent id replaces a stored one)."""
    out = {lead_id: {t: list(rows) for t, rows in tables.items()} for lead_id, tables in stored.items()}
    for lead_id, tables in sent.items():
        for table, rows in tables.items():
            key = EVENT_KEYS[table][0]
            ids = {r[key] for r in rows}
            kept = [e for e in out.get(lead_id, {}).get(table, []) if e.get(key) not in ids]
            out.setdefault(lead_id, {})[table] = kept + rows
    return out
