"""Lifecycle transitions: moving stored leads through revops.yaml's lifecycle stages, with every
move recorded in ``_lifecycle_events`` (lead, from, to, when, why, source).

The funnel is the model's stages other than ``recycled`` and ``disqualified``, in the order
listed (new, mql, sql, sal, opportunity, customer). As of ``now``, a lead:

1. moves forward to the furthest funnel stage whose ``entry_criteria`` hold (MQL by default:
   ``score >= 60``; without criteria, ``score >= scoring.mql_threshold``) — never backward;
2. is disqualified when the disqualified criteria hold, unless it already reached
   opportunity or customer;
3. is recycled (back to nurture, ``recycled_at`` set) when, at MQL, SQL or SAL, it meets the
   recycled stage's criteria (by default 90 days without activity), or when it has been
   disqualified for ``recycle_after_days`` days (the recycled stage's setting);
4. leaves ``recycled`` only with a sign of life (activity, touch, lifecycle timestamp) after
   it was recycled, for a stage whose criteria hold on what happened since: for a lead that
   was recycled, ``mql_at``, ``sql_at``, ``sal_at`` and ``disqualified_at`` from before its
   recycling (``recycled_at``; for a recycled lead without one, ``updated_at``) read as null,
   so old interest neither brings it back nor carries it past MQL once it returns.

Recycling is the only move backward. Each step is applied to the whole population at once
and the steps repeat until nothing moves, so the result is a fixed point: running again
with the same data and ``now`` records nothing new. Entering MQL, SQL or SAL sets
``mql_at`` / ``sql_at`` / ``sal_at`` to ``now`` unless the lead already holds one from after
its last recycling (a stage timestamp is a sign of life, so a lead that just became an MQL is
not quiet); entering disqualified sets a missing or stale ``disqualified_at``. Moves of one
run share ``now`` as their time, plus one microsecond per step so a lead's events keep
their order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from revops.engines.scoring import facts as lead_facts_module
from revops.engines.scoring.rules import EVENT_TABLES, MICROS_PER_DAY
from revops.model.expressions import parse
from revops.store import Store
from revops.store.store import quote

STATE = "_lifecycle_state"
STEP = "_lifecycle_step"
MOVES = "_lifecycle_moves"
SIDE_STAGES = ("recycled", "disqualified")
STAGE_TIMESTAMPS = {"mql": "mql_at", "sql": "sql_at", "sal": "sal_at"}
MAX_STEPS = 12


@dataclass
class LifecycleMoves:
    """What a lifecycle run changed: moves counted by (from stage, to stage)."""

    now: datetime
    counts: dict[tuple[str | None, str], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        if not self.counts:
            return "no lifecycle moves"
        parts = [f"{a or 'none'} -> {b}: {n:,}" for (a, b), n in sorted(self.counts.items(), key=lambda kv: -kv[1])]
        return f"{self.total:,} lifecycle move(s): " + ", ".join(parts)

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"from_stage": a, "to_stage": b, "leads": n} for (a, b), n in sorted(self.counts.items(), key=lambda kv: -kv[1])]


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class LifecyclePlan:
    """The model's lifecycle as SQL over the state table: criteria, ranks and the next stage."""

    def __init__(self, model: Any, now: datetime) -> None:
        self.model = model
        self.now = now
        stages = model.lifecycle.stages
        self.funnel = [s for s in stages if s.key not in SIDE_STAGES]
        self.rank = {s.key: i for i, s in enumerate(self.funnel)}
        self.labels = {s.key: s.label for s in stages}
        self.criteria = {s.key: self._criteria_text(s) for s in stages}
        recycled = next((s for s in stages if s.key == "recycled"), None)
        self.recycle_after_days = recycled.recycle_after_days if recycled else None
        self.converted_rank = self.rank.get("opportunity", len(self.funnel))

    def _criteria_text(self, stage: Any) -> str:
        text = stage.entry_criteria.strip()
        if not text and stage.key == "mql":
            return f"score >= {self.model.scoring.mql_threshold:g}"
        return text

    @property
    def fields(self) -> set[str]:
        return set().union(*(parse(c).fields for c in self.criteria.values() if c))

    def holds(self, key: str) -> str:
        text = self.criteria.get(key, "")
        if not text:
            return "true" if key == "new" else "false"
        return f"coalesce(({parse(text).to_sql(self.now)}), false)"

    def next_stage_sql(self) -> str:
        """SELECT of (lead_id, from_stage, to_stage, reason) for the leads that move one step."""
        now = f"TIMESTAMP '{self.now.isoformat(sep=' ')}'"
        by_rank = list(reversed(self.funnel))
        target = "CASE " + " ".join(f"WHEN c_{s.key} THEN '{s.key}'" for s in by_rank) + " END"
        target_rank = "CASE " + " ".join(f"WHEN c_{s.key} THEN {self.rank[s.key]}" for s in by_rank) + " ELSE -1 END"
        current_rank = ("CASE status " + " ".join(f"WHEN '{k}' THEN {r}" for k, r in self.rank.items())
                        + f" WHEN 'recycled' THEN {self.rank.get('new', 0)} ELSE -1 END")
        quiet_stages = [s.key for s in self.funnel if 0 < self.rank[s.key] < self.converted_rank]
        # when the lead was last recycled (a recycled lead without recycled_at: its last update)
        recycled_ref = ("coalesce(recycled_at, CASE WHEN status = 'recycled' THEN updated_at END, "
                        "TIMESTAMP '1900-01-01')")
        due = "false"
        if self.recycle_after_days:
            due = (f"disqualified_at IS NOT NULL AND date_diff('microsecond', disqualified_at, {now}) "
                   f">= {int(self.recycle_after_days) * 86_400_000_000}")
        checks = ", ".join(f"{self.holds(k)} AS c_{k}" for k in [*self.rank, *SIDE_STAGES])
        # a lead recycled once is judged on what happened since: older stage dates read as null
        stale = ", ".join(f"CASE WHEN {c} <= {recycled_ref} THEN NULL ELSE {c} END AS {c}"
                          for c in (*STAGE_TIMESTAMPS.values(), "disqualified_at"))
        moves = f"""
            CASE
              WHEN status = 'disqualified' THEN CASE WHEN {due} THEN 'recycled' END
              WHEN c_disqualified AND cur_rank < {self.converted_rank} AND target_rank < {self.converted_rank}
                THEN 'disqualified'
              WHEN target_rank > cur_rank AND (status IS DISTINCT FROM 'recycled'
                   OR (target_rank > {self.rank.get('new', 0)} AND last_activity_at > {recycled_ref}))
                THEN target
              WHEN status IN ({', '.join(_sql_str(k) for k in quiet_stages) or "NULL"}) AND c_recycled
                THEN 'recycled'
            END"""
        return f"""
            SELECT s.lead_id, s.status AS from_stage, m.to_stage, {self._reason_sql()} AS reason
            FROM {STATE} s JOIN (
              SELECT lead_id, {moves} AS to_stage FROM (
                SELECT *, {target} AS target, {target_rank} AS target_rank, {current_rank} AS cur_rank
                FROM (SELECT *, {checks} FROM (SELECT * REPLACE ({stale}) FROM {STATE})))
            ) m ON m.lead_id = s.lead_id
            WHERE m.to_stage IS NOT NULL AND m.to_stage IS DISTINCT FROM s.status"""

    def _reason_sql(self) -> str:
        whens = []
        for key, text in self.criteria.items():
            label = self.labels[key]
            said = f"meets the entry criteria of {label}: {text}" if text else f"enters {label}"
            if key == "mql":
                whens.append(f"WHEN to_stage = 'mql' THEN 'score ' || CAST(score AS VARCHAR) || ' ' || {_sql_str(said)}")
            elif key == "recycled":
                after = self.recycle_after_days
                back = (f"'disqualified ' || strftime(disqualified_at, '%Y-%m-%d') || ', ' || "
                        f"CAST(CAST(floor(date_diff('hour', disqualified_at, TIMESTAMP '{self.now.isoformat(sep=' ')}')"
                        f" / 24) AS BIGINT) AS VARCHAR) || ' days ago: back to nurture after {after} days "
                        "(lifecycle recycled.recycle_after_days)'")
                quiet = (f"'no activity for ' || CAST(CAST(floor(days_since_last_activity) AS BIGINT) AS VARCHAR) "
                         f"|| ' days: ' || {_sql_str(said)}")
                whens.append(f"WHEN to_stage = 'recycled' AND status = 'disqualified' THEN {back}")
                whens.append(f"WHEN to_stage = 'recycled' THEN {quiet}")
            else:
                whens.append(f"WHEN to_stage = '{key}' THEN {_sql_str(said)}")
        return "CASE " + " ".join(whens) + " END"


def advance_lifecycle(store: Store, model: Any, now: datetime, *, lead_ids: list[str] | None = None,
                      source: str = "revops score") -> LifecycleMoves:
    """Move the stored leads (or only ``lead_ids``) through the lifecycle as of ``now``, record
    every move in ``_lifecycle_events`` and update the leads. Call inside a transaction."""
    import ibis

    plan = LifecyclePlan(model, now)
    db = store.ibis
    leads = db.table("leads")
    if lead_ids is not None:
        leads = leads.filter(leads.lead_id.isin(list(lead_ids)))
    tables = {t: db.table(t) if store.has_table(t) else None for t in (*EVENT_TABLES, "opportunities")}
    needed = (plan.fields & set(lead_facts_module.DERIVED)) | {"last_activity_at", "days_since_last_activity"}
    state = lead_facts_module.lead_facts(leads, tables, model, now, needed)
    state = _with_group_scores(store, model, now, state, plan.fields, lead_ids)
    con = store.con
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STATE} AS {ibis.to_sql(state, dialect='duckdb')}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {MOVES} (step INTEGER, lead_id VARCHAR, from_stage VARCHAR, "
                "to_stage VARCHAR, reason VARCHAR)")
    step_sql = plan.next_stage_sql()
    for step in range(MAX_STEPS):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STEP} AS {step_sql}")
        if not con.execute(f"SELECT count(*) FROM {STEP}").fetchall()[0][0]:
            break
        con.execute(f"INSERT INTO {MOVES} SELECT {step}, lead_id, from_stage, to_stage, reason FROM {STEP}")
        _apply_step(con, now)
    moves = _record(store, now, source)
    for t in (STATE, STEP, MOVES):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return LifecycleMoves(now, moves)


def _with_group_scores(store: Store, model: Any, now: datetime, state: Any, fields: set[str],
                       lead_ids: list[str] | None) -> Any:
    """Criteria may read ``<group>_score`` of any scoring group; the groups not stored on leads
    (only fit, intent and engagement are) are scored now, as ``revops score`` would."""
    missing = {g.key for g in model.scoring.groups if f"{g.key}_score" in fields and f"{g.key}_score" not in state.columns}
    if not missing:
        return state
    from revops.engines.scoring.combined import SCORES, score_leads

    score_leads(store, model, now, lead_ids=lead_ids)
    scores = store.ibis.table(SCORES)
    groups = scores.select(group_lead_id=scores.lead_id, **{f"{g}_score": scores[g] for g in missing})
    return state.left_join(groups, state.lead_id == groups["group_lead_id"]).drop("group_lead_id")


def _apply_step(con: Any, now: datetime) -> None:
    at = f"TIMESTAMP '{now.isoformat(sep=' ')}'"
    stale = "(s.{col} IS NULL OR s.{col} <= coalesce(s.recycled_at, TIMESTAMP '1900-01-01'))"
    sets = ["status = m.to_stage",
            f"recycled_at = CASE WHEN m.to_stage = 'recycled' THEN {at} ELSE s.recycled_at END",
            f"disqualified_at = CASE WHEN m.to_stage = 'disqualified' AND (s.disqualified_at IS NULL OR "
            f"s.disqualified_at <= coalesce(s.recycled_at, TIMESTAMP '1900-01-01')) THEN {at} ELSE s.disqualified_at END"]
    for stage, col in STAGE_TIMESTAMPS.items():
        sets.append(f"{col} = CASE WHEN m.to_stage = '{stage}' AND {stale.format(col=col)} THEN {at} ELSE s.{col} END")
    con.execute(f"UPDATE {STATE} AS s SET {', '.join(sets)} FROM {STEP} m WHERE s.lead_id = m.lead_id")
    # a stage timestamp set just now is a sign of life, as in facts.last_activity_at
    latest = f"greatest(last_activity_at, {', '.join(STAGE_TIMESTAMPS.values())})"
    con.execute(f"UPDATE {STATE} SET last_activity_at = {latest}, days_since_last_activity = "
                f"date_diff('microsecond', {latest}, {at}) / {MICROS_PER_DAY!r} "
                f"WHERE lead_id IN (SELECT lead_id FROM {STEP})")


LEAD_COLUMNS = ("status", "mql_at", "sql_at", "sal_at", "disqualified_at", "recycled_at")


def _record(store: Store, now: datetime, source: str) -> dict[tuple[str | None, str], int]:
    con = store.con
    counts = con.execute(f"SELECT from_stage, to_stage, count(*) FROM {MOVES} GROUP BY ALL").fetchall()
    if not counts:
        return {}
    con.execute(
        "INSERT INTO _lifecycle_events (lead_id, from_stage, to_stage, changed_at, reason, source) "
        f"SELECT lead_id, from_stage, to_stage, ? + to_microseconds(step), reason, ? FROM {MOVES} ORDER BY step, lead_id",
        [now, source])
    sets = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in LEAD_COLUMNS)
    con.execute(f"UPDATE leads AS l SET {sets} FROM {STATE} s "
                f"WHERE l.lead_id = s.lead_id AND s.lead_id IN (SELECT lead_id FROM {MOVES})")
    return {(a, b): int(n) for a, b, n in counts}


def lead_history(store: Store, lead_id: str) -> list[dict[str, Any]]:
    """A lead's recorded lifecycle moves, oldest first."""
    if not store.has_table("_lifecycle_events"):  # a store from before the lead engine, opened read-only
        return []
    return store.query("SELECT from_stage, to_stage, changed_at, reason, source FROM _lifecycle_events "
                       "WHERE lead_id = ? ORDER BY changed_at", [lead_id])
