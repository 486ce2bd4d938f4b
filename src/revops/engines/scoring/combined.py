"""The combined lead score: the rules score, blended with the predictive model's probability
when a model is trained and active::

    score = (1 - w) x rules score + w x 100 x predicted conversion     (w: scoring.predictive_weight)

Without an active model (or for a lead the model gives no probability) the rules score stands
alone. A lead is an MQL when its score reaches ``scoring.mql_threshold``; its band is the
``scoring.bands`` entry with the highest ``min`` at or below the score.

``score_leads`` scores a whole relation of the store into the temporary table ``_lead_scores``
(one row per lead: the rule columns, the groups, rules_score, predicted_conversion,
top_factors, score, mql, band); ``save_scores`` writes the score columns back to ``leads``
and appends the leads whose score changed to ``_score_history`` (``score_history`` reads it).
``score_lead`` does the same for one lead given as a dict, for the real-time API.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from revops.engines.scoring import facts as lead_facts_module
from revops.engines.scoring.explain import RulesScore, clamp_score, round2
from revops.engines.scoring.rules import EVENT_TABLES, Rulebook, rule_points, rules_scores, score_record
from revops.store import Store
from revops.store.store import quote

RULE_SCORES = "_lead_rule_scores"
PREDICTIONS = "_lead_predictions"
SCORES = "_lead_scores"
CONTRACT_GROUPS: tuple[str, ...] = ("fit", "intent", "engagement")
"""Groups every score row names (null when the model has no such group)."""
PREDICTIVE_MODULE = "revops.engines.scoring.predictive"


# -- bands and the blend ----------------------------------------------------------------------

def band_of(bands: Iterable[Any], score: float | None) -> str | None:
    """The band with the highest ``min`` at or below ``score`` (79.5 is warm when hot starts at 80)."""
    if score is None:
        return None
    best = None
    for b in bands:
        if b.min <= score and (best is None or b.min > best.min):
            best = b
    return best.key if best is not None else None


def band_sql(bands: Iterable[Any], column: str) -> str:
    ordered = sorted(bands, key=lambda b: b.min, reverse=True)
    if not ordered:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {column} >= {float(b.min)!r} THEN '{b.key}'" for b in ordered)
    return f"CASE {whens} END"


@dataclass(frozen=True)
class Blend:
    """How the rules score and the predicted conversion make the combined score."""

    weight: float

    @property
    def rules_share(self) -> float:
        return 1.0 - self.weight

    def score(self, rules_score: float, percentile: float | None) -> float:
        """``percentile``: where the lead's predicted conversion stands among the training
        leads' (0-100), so a lead the model ranks in its top tenth brings 90+ points."""
        if percentile is None or self.weight == 0:
            return rules_score
        return round2(clamp_score(self.rules_share * rules_score + self.weight * percentile))

    def sql(self, rules_col: str, percentile_col: str) -> str:
        predicted_col = percentile_col
        if self.weight == 0:
            return rules_col
        blended = f"{self.rules_share!r} * {rules_col} + {self.weight!r} * {predicted_col}"
        return (f"CASE WHEN {predicted_col} IS NULL THEN {rules_col} "
                f"ELSE round(least(greatest({blended}, 0.0), 100.0), 2) END")


# -- the predictive model (trained by `revops score train`) -----------------------------------

def active_model_version(store: Store) -> int | None:
    """The version of the active predictive model in the store, or None."""
    if importlib.util.find_spec(PREDICTIVE_MODULE) is None or not store.has_table("_scoring_models"):
        return None
    row = store.con.execute("SELECT max(version) FROM _scoring_models WHERE active").fetchall()[0]
    return None if row is None or row[0] is None else int(row[0])


def predict(store: Store, leads: Any, *, factors: bool = True) -> Any:
    """predicted_conversion and top_factors per lead (a DataFrame), or None without a model.
    ``factors=False`` leaves the top factors out (much faster over millions of leads)."""
    predictive = importlib.import_module(PREDICTIVE_MODULE)
    if factors:
        return predictive.predict_conversion(store, leads)
    return predictive.predict_conversion(store, leads, factors=False)


# -- whole tables -----------------------------------------------------------------------------

@dataclass
class ScoredLeads:
    """The outcome of scoring a relation: rows are in the temporary table ``_lead_scores``."""

    leads: int
    model_version: int | None
    groups: list[str]
    now: datetime
    model_hash: str | None = None
    """The revenue model whose scoring rules gave the scores."""


def score_leads(store: Store, model: Any, now: datetime, *, relation: str = "leads",
                lead_ids: list[str] | None = None, as_of_column: str | None = None,
                factors: bool = False) -> ScoredLeads:
    """Score every lead of ``relation`` (the stored leads, or a file's leads read into a
    temporary table) as of ``now`` into ``_lead_scores``. Events come from the store.
    ``as_of_column`` scores each lead as of its own moment (see ``rules.rule_points``);
    ``factors`` asks the predictive model for each lead's top factors too (slower)."""
    import ibis

    book = Rulebook.of(model.scoring)
    db = store.ibis
    leads = db.table(relation)
    if lead_ids is not None:
        leads = leads.filter(leads.lead_id.isin(list(lead_ids)))
    tables = {t: db.table(t) if store.has_table(t) else None for t in (*EVENT_TABLES, "opportunities")}
    needed = book.lead_fields & set(lead_facts_module.DERIVED)
    if needed:
        leads = lead_facts_module.lead_facts(leads, tables, model, now, needed, as_of_column=as_of_column)
    subset = relation != "leads" or lead_ids is not None
    expr = rules_scores(book, rule_points(book, leads, tables, now, only_these_leads=subset,
                                          as_of_column=as_of_column))
    con = store.con
    con.execute(f"CREATE OR REPLACE TEMP TABLE {RULE_SCORES} AS {ibis.to_sql(expr, dialect='duckdb')}")
    version = active_model_version(store)
    predicted = _store_predictions(store, relation, lead_ids, factors) if version is not None else False
    blend = Blend(model.scoring.predictive_weight)
    groups = [g.key for g in book.groups]
    missing = ", ".join(f"CAST(NULL AS DOUBLE) AS {quote(g)}" for g in CONTRACT_GROUPS if g not in groups)
    join = (f"LEFT JOIN {PREDICTIONS} p ON p.lead_id = r.lead_id" if predicted else
            "LEFT JOIN (SELECT CAST(NULL AS DOUBLE) AS predicted_conversion, "
            "CAST(NULL AS DOUBLE) AS predicted_percentile, CAST(NULL AS VARCHAR) AS top_factors) p ON true")
    threshold = float(model.scoring.mql_threshold)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {SCORES} AS "
        f"SELECT *, score >= {threshold!r} AS mql, {band_sql(model.scoring.bands, 'score')} AS band FROM ("
        f"SELECT r.*{', ' + missing if missing else ''}, p.predicted_conversion, p.top_factors, "
        f"{blend.sql('r.rules_score', 'p.predicted_percentile')} AS score FROM {RULE_SCORES} r {join})"
    )
    con.execute(f"DROP TABLE IF EXISTS {RULE_SCORES}")
    con.execute(f"DROP TABLE IF EXISTS {PREDICTIONS}")
    count = int(con.execute(f"SELECT count(*) FROM {SCORES}").fetchall()[0][0])
    return ScoredLeads(count, version if predicted else None, groups, now, _model_hash(model))


def _model_hash(model: Any) -> str | None:
    try:
        return model.hash()
    except AttributeError:  # a bare scoring section, as some callers pass
        return None


def _store_predictions(store: Store, relation: str, lead_ids: list[str] | None, factors: bool) -> bool:
    where, params = "", []
    if lead_ids is not None:
        where, params = "WHERE lead_id IN (SELECT unnest(?))", [list(lead_ids)]
    leads = store.con.execute(f"SELECT * FROM {quote(relation)} {where}", params).df()
    frame = predict(store, leads, factors=factors)
    if frame is None:
        return False
    frame = frame[["lead_id", "predicted_conversion", "predicted_percentile", "top_factors"]].copy()
    frame["top_factors"] = frame["top_factors"].map(
        lambda f: json.dumps(list(f), default=str) if isinstance(f, (list, tuple)) and len(f) else None)
    store.con.register("_lead_predictions_frame", frame)
    try:
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE {PREDICTIONS} AS SELECT CAST(lead_id AS VARCHAR) AS lead_id, "
                          "CAST(predicted_conversion AS DOUBLE) AS predicted_conversion, "
                          "CAST(predicted_percentile AS DOUBLE) AS predicted_percentile, "
                          "CAST(top_factors AS VARCHAR) AS top_factors FROM _lead_predictions_frame")
    finally:
        store.con.unregister("_lead_predictions_frame")
    return True


def save_scores(store: Store, scored: ScoredLeads, *, source: str = "score", feed: bool = False) -> int:
    """Write score, the group scores (fit_score, intent_score, engagement_score) and
    predicted_conversion from ``_lead_scores`` to the stored leads; returns how many changed.

    The leads whose score changed (any of those columns) also get one ``_score_history`` row
    (score, fit, intent, engagement, predicted conversion, the predictive model's version, the
    revenue model's hash, ``source``), so a lead's score over time can be explained later;
    a lead scored the same as before adds nothing. Run it inside the scoring's transaction."""
    lead_cols = store.columns("leads")
    pairs = [("score", "score"), ("predicted_conversion", "predicted_conversion")]
    pairs += [(f"{g}_score", g) for g in dict.fromkeys([*scored.groups, *CONTRACT_GROUPS]) if f"{g}_score" in lead_cols]
    sets = ", ".join(f"{quote(target)} = s.{quote(source)}" for target, source in pairs)
    changed = " OR ".join(f"l.{quote(target)} IS DISTINCT FROM s.{quote(source)}" for target, source in pairs)
    if store.has_table(HISTORY):
        store.con.execute(
            f"INSERT INTO {HISTORY} ({', '.join(HISTORY_COLUMNS)}) "
            f"SELECT s.lead_id, ?, s.score, {', '.join(f's.{quote(g)}' for g in CONTRACT_GROUPS)}, "
            f"s.predicted_conversion, ?, ?, ? FROM {SCORES} s JOIN leads l ON l.lead_id = s.lead_id "
            f"WHERE {changed}", [scored.now, scored.model_version, scored.model_hash, source])
    if feed:  # score workflows watch leads: each changed lead's scores before and after, in commit order
        from revops.access.audit import audit_changes

        audit_changes(store.con, scored.now, entity="leads", action="'lead.score'", record_id="s.lead_id",
                      before={t: f"l.{quote(t)}" for t, _ in pairs}, after={t: f"s.{quote(src)}" for t, src in pairs},
                      source=f"scoring:{source}",
                      rows=f"FROM {SCORES} s JOIN leads l ON l.lead_id = s.lead_id WHERE {changed} ORDER BY s.lead_id")
    row = store.con.execute(f"UPDATE leads AS l SET {sets} FROM {SCORES} s "
                            f"WHERE l.lead_id = s.lead_id AND ({changed})").fetchall()[0]
    return int(row[0]) if row else 0


HISTORY = "_score_history"
HISTORY_COLUMNS: tuple[str, ...] = ("lead_id", "scored_at", "score", "fit", "intent", "engagement",
                                    "predicted_conversion", "model_version", "model_hash", "source")


def score_history(store: Store, lead_id: str) -> list[dict[str, Any]]:
    """A lead's recorded scores, oldest first: each scoring that changed its score parts."""
    if not store.has_table(HISTORY):  # a store from before schema v4, opened read-only
        return []
    return store.query(f"SELECT {', '.join(HISTORY_COLUMNS[1:])} FROM {HISTORY} WHERE lead_id = ? "
                       "ORDER BY scored_at", [lead_id])


CONTRACT_COLUMNS: tuple[str, ...] = ("lead_id", "score", "fit", "intent", "engagement", "predicted_conversion",
                                     "mql", "band")


def score_rows(store: Store, model: Any, *, relation: str = "leads", explain: bool = False) -> list[dict[str, Any]]:
    """The rows of ``_lead_scores`` as the CLI and API print them, in lead order, with the lead's
    lifecycle stage (``status``) and, when asked, its explanation."""
    cols = ", ".join(f"s.{quote(c)}" for c in CONTRACT_COLUMNS)
    status = "l.status" if "status" in store.columns(relation) else "CAST(NULL AS VARCHAR)"
    extra = ", s.*" if explain else ""
    cur = store.con.execute(f"SELECT {cols}, {status} AS status{extra} FROM {SCORES} s "
                            f"LEFT JOIN {quote(relation)} l ON l.lead_id = s.lead_id ORDER BY s.lead_id")
    names = [d[0] for d in cur.description]
    book = Rulebook.of(model.scoring) if explain else None
    rows = []
    width = len(CONTRACT_COLUMNS) + 1
    for values in cur.fetchall():
        row = dict(zip(names[:width], values[:width]))
        if book is not None:
            full = dict(zip(names[width:], values[width:]))
            row["explanation"] = LeadScore.from_row(book, model, full).explanation()
        rows.append(row)
    return rows


# -- one lead ---------------------------------------------------------------------------------

@dataclass
class LeadScore:
    """One lead's combined score with everything behind it."""

    lead_id: Any
    score: float
    rules: RulesScore
    predicted_conversion: float | None = None
    top_factors: list[dict[str, Any]] = field(default_factory=list)
    mql: bool = False
    band: str | None = None
    predictive_weight: float = 0.0

    def group_points(self, key: str) -> float | None:
        try:
            return self.rules.group(key).points
        except KeyError:
            return None

    def row(self) -> dict[str, Any]:
        """The contract's fields: lead_id, score, fit, intent, engagement, predicted_conversion, mql, band."""
        return {"lead_id": self.lead_id, "score": self.score,
                **{g: self.group_points(g) for g in CONTRACT_GROUPS},
                "predicted_conversion": self.predicted_conversion, "mql": self.mql, "band": self.band}

    def explanation(self) -> dict[str, Any]:
        rules = self.rules.to_dict()
        return {"score": self.score, "rules_score": self.rules.score,
                "predicted_conversion": self.predicted_conversion,
                "predictive_weight": self.predictive_weight if self.predicted_conversion is not None else 0.0,
                "groups": rules["groups"], "top_factors": self.top_factors}

    @classmethod
    def from_row(cls, book: Rulebook, model: Any, row: Mapping[str, Any]) -> LeadScore:
        factors = row.get("top_factors")
        return cls(row["lead_id"], row["score"], RulesScore.from_row(book, row), row.get("predicted_conversion"),
                   json.loads(factors) if factors else [], bool(row.get("mql")), row.get("band"),
                   model.scoring.predictive_weight)


def score_lead(model: Any, lead: Mapping[str, Any], events: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
               now: datetime | None = None, *, store: Store | None = None,
               book: Rulebook | None = None) -> LeadScore:
    """Score one lead given as a dict (lead fields) and its events by table, as of ``now``.
    With ``store``, the store's active predictive model blends in."""
    from revops.store.store import utcnow

    now = now or utcnow()
    events = {t: list(events.get(t, ())) for t in EVENT_TABLES} if events else {}
    book = book or Rulebook.of(model.scoring)
    record = dict(lead)
    needed = book.lead_fields & set(lead_facts_module.DERIVED)
    if needed:
        record = lead_facts_module.record_facts(lead, events, now, model=model)
    rules = score_record(book, record, events, now)
    predicted, percentile, factors = None, None, []
    if store is not None and active_model_version(store) is not None:
        import pandas as pd

        frame = predict(store, pd.DataFrame([dict(lead)]))
        if frame is not None and len(frame):
            first = frame.iloc[0]
            predicted = None if pd.isna(first["predicted_conversion"]) else float(first["predicted_conversion"])
            percentile = None if pd.isna(first["predicted_percentile"]) else float(first["predicted_percentile"])
            factors = list(first["top_factors"] or [])
    blend = Blend(model.scoring.predictive_weight)
    score = blend.score(rules.score, percentile)
    return LeadScore(lead.get("lead_id"), score, rules, predicted, factors,
                     score >= model.scoring.mql_threshold, band_of(model.scoring.bands, score),
                     model.scoring.predictive_weight)
