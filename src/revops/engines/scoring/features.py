"""What the predictive model may know about a lead: the features, and what is kept out.

A lead is scored when it arrives and again while it waits; the model must only see what is
known by then. Every lead's features are therefore taken *as of its observation cutoff*:
``created_at`` plus ``window_days`` (one day by default). Training and prediction build
features the same way, so a model trained on last year's leads sees today's leads as it saw
those.

Known at the cutoff, and used:
- firmographics on the lead: company_size, industry, country;
- the channel: source;
- the person: seniority and function read from the title, whether the e-mail is a free
  mailbox (gmail, outlook…) or a role address (info@, sales@), whether a phone was given;
- when it arrived: month, weekday and hour (UTC) of created_at;
- marketing touches before the cutoff, counted by touch_type, and how many came before the
  lead was created; inbound activities (the lead writing or calling in) before the cutoff;
- custom attributes on leads: numbers and booleans as numbers, text as categories.

Kept out, because they are written after (or because of) the outcome, or identify a person:
see ``EXCLUDED_FIELDS``. Custom attributes that are dates, look like ids or e-mails, name an
outcome (``stage``, ``status``, ``won``…), or have a distinct value on most rows are kept out
too; ``--exclude`` drops any other that the analyst knows is filled in late.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from revops.store import Store, schema
from revops.store.store import quote

WINDOW_DAYS = 0.0
"""Default observation cutoff: what was known when the lead arrived."""

MAX_EVENT_TYPES = 12
MAX_LEVELS = 60
MIN_LEVEL_COUNT = 10
OTHER = "(other)"

EXCLUDED_FIELDS: dict[str, str] = {
    "lead_id": "an identifier",
    "email": "identifies a person (only its domain type is used)",
    "first_name": "identifies a person",
    "last_name": "identifies a person",
    "phone": "identifies a person (only whether one was given is used)",
    "company": "a free-text name (its size, industry and country are used)",
    "campaign_id": "an identifier (the source channel is used)",
    "title": "free text (its seniority and function are used)",
    "created_at": "a timestamp (its month, weekday and hour are used)",
    "status": "the lifecycle stage: it records the outcome",
    "owner_id": "assigned after scoring, by routing",
    "assigned_at": "assigned after scoring, by routing",
    "score": "written by the scoring engine from later activity",
    "fit_score": "written by the scoring engine",
    "intent_score": "written by the scoring engine from later activity",
    "engagement_score": "written by the scoring engine from later activity",
    "predicted_conversion": "this model's own output",
    "converted": "the label",
    "converted_at": "the outcome",
    "converted_account_id": "the outcome",
    "converted_contact_id": "the outcome",
    "converted_opportunity_id": "the outcome",
    "mql_at": "a lifecycle step after scoring",
    "sql_at": "a lifecycle step after scoring",
    "sal_at": "a lifecycle step after scoring",
    "first_contacted_at": "the rep's response, after routing",
    "disqualified_at": "the outcome",
    "recycled_at": "the outcome",
    "updated_at": "moves with every later change",
}
"""Canonical lead fields the model never sees, with the reason (shown in docs and reports)."""

OUTCOME_WORDS = re.compile(r"convert|opportunit|won|lost|closed|disqualif|qualified|stage|status|"
                           r"outcome|churn|deal|owner|score")
ID_LIKE = re.compile(r"(^id$|_id$|^id_|email|phone|_name$|^name$|url$)")
FREE_MAIL = frozenset("""gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com hotmail.com
hotmail.co.uk hotmail.fr outlook.com live.com msn.com aol.com icloud.com me.com mac.com gmx.de gmx.net
gmx.com web.de t-online.de mail.ru yandex.ru yandex.com proton.me protonmail.com qq.com 163.com 126.com
zoho.com mail.com orange.fr free.fr laposte.net libero.it""".split())
ROLE_MAILBOXES = frozenset("info sales contact admin hello office support team marketing billing "
                           "enquiries inquiries noreply no-reply".split())
SENIORITY = (
    ("c_level", re.compile(r"\b(ceo|cfo|cto|coo|cmo|cro|cio|chief|founder|co-founder|owner|president)\b")),
    ("vp", re.compile(r"\b(vp|svp|evp|vice president)\b")),
    ("director", re.compile(r"\b(director|head of|head)\b")),
    ("manager", re.compile(r"\b(manager|lead|supervisor|principal)\b")),
)
FUNCTIONS = (
    ("sales", re.compile(r"\b(sales|revenue|account|business development|cro)\b")),
    ("marketing", re.compile(r"\b(marketing|growth|demand|brand|cmo)\b")),
    ("finance", re.compile(r"\b(finance|financial|cfo|accounting|controller)\b")),
    ("technology", re.compile(r"\b(engineer\w*|developer|it|technology|cto|cio|data|software)\b")),
    ("operations", re.compile(r"\b(operations|ops|coo|procurement)\b")),
    ("executive", re.compile(r"\b(ceo|founder|president|owner|general manager)\b")),
)
CANONICAL_INPUTS = ("lead_id", "created_at", "email", "title", "phone", "company_size", "industry",
                    "country", "source")
BASE_NUMERIC = ("company_size", "has_phone", "email_free_domain", "email_role_address",
                "created_month", "created_weekday", "created_hour")
BASE_CATEGORICAL = ("source", "industry", "country", "title_seniority", "title_function")


@dataclass
class FeatureSpec:
    """The fitted shape of the feature matrix: names, kinds, category levels, event types.

    Plain data (stored with the model as a dict), so a model loads without this class.
    """

    numeric: list[str]
    categorical: dict[str, list[str]]
    order: list[str]
    touch_types: list[str]
    activity_types: list[str]
    custom: dict[str, str]  # custom column -> "numeric" or "categorical"
    window_days: float = WINDOW_DAYS
    excluded: list[dict[str, str]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return list(self.order)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        return cls(**data)

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Float matrix in ``order`` from ``lead_features`` + ``event_counts`` columns: numbers as
        they are, categories as level codes ('(other)' for a level rare or never seen in
        training), NaN when missing."""
        out = np.full((len(frame), len(self.order)), np.nan)
        for j, name in enumerate(self.order):
            if name not in frame.columns:
                continue
            if name in self.categorical:
                index = {level: float(i) for i, level in enumerate(self.categorical[name])}
                other = index.get(OTHER, np.nan)
                out[:, j] = [np.nan if _missing(v) else index.get(v, other) for v in frame[name].tolist()]
            else:
                out[:, j] = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64",
                                                                                 na_value=np.nan)
        return out

    def display_values(self, frame: pd.DataFrame, name: str) -> list[Any]:
        """The values a person reads for feature ``name`` (text or number; None if missing)."""
        if name not in frame.columns:
            return [None] * len(frame)
        return [None if _missing(v) else v for v in frame[name].tolist()]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def fit_spec(frame: pd.DataFrame, custom: dict[str, str], touch_types: list[str],
             activity_types: list[str], window_days: float,
             excluded: list[dict[str, str]], exclude: tuple[str, ...] = ()) -> FeatureSpec:
    """Choose the features from the training rows: categories keep their frequent levels (rare
    ones become '(other)'); a feature with a single value is dropped (it cannot separate leads),
    and so is one named in ``exclude``."""
    numeric = [c for c in BASE_NUMERIC if c in frame.columns]
    numeric += [f"touch_{t}" for t in touch_types] + ["touches_before_created"]
    numeric += [f"inbound_{t}" for t in activity_types]
    numeric += [c for c, kind in custom.items() if kind == "numeric"]
    categorical_names = [c for c in BASE_CATEGORICAL if c in frame.columns]
    categorical_names += [c for c, kind in custom.items() if kind == "categorical"]
    dropped = list(excluded)
    for name in [n for n in [*numeric, *categorical_names] if n in exclude]:
        dropped.append({"column": name, "reason": "excluded with --exclude"})
    numeric = [n for n in numeric if n not in exclude]
    categorical_names = [n for n in categorical_names if n not in exclude]
    categorical: dict[str, list[str]] = {}
    for name in categorical_names:
        counts = _as_text(frame[name]).value_counts()
        frequent = counts[counts >= MIN_LEVEL_COUNT].index[:MAX_LEVELS].tolist()
        levels = sorted(str(v) for v in frequent)
        if len(levels) < len(counts):
            levels.append(OTHER)
        if len(levels) < 2:
            dropped.append({"column": name, "reason": "a single value in the training leads"})
            continue
        categorical[name] = levels
    kept_numeric = []
    for name in numeric:
        values = pd.to_numeric(frame[name], errors="coerce") if name in frame.columns else pd.Series([], dtype=float)
        if values.nunique(dropna=True) < 2 and not (values.notna().any() and values.isna().any()):
            dropped.append({"column": name, "reason": "a single value in the training leads"})
            continue
        kept_numeric.append(name)
    order = [n for n in [*kept_numeric, *categorical] if n]
    return FeatureSpec(kept_numeric, categorical, order, touch_types, activity_types, custom,
                       window_days, dropped)


def is_feature_name(name: str) -> bool:
    """Whether ``name`` is (or could be, for event counts) one of the model's own features."""
    return (name in BASE_NUMERIC or name in BASE_CATEGORICAL or name == "touches_before_created"
            or name.startswith(("touch_", "inbound_")))


# -- from lead rows to feature columns --------------------------------------------------------

def lead_features(leads: pd.DataFrame, custom: dict[str, str]) -> pd.DataFrame:
    """The per-lead features (everything but event counts) from rows shaped like ``leads``."""
    out = pd.DataFrame(index=leads.index)
    out["lead_id"] = leads["lead_id"] if "lead_id" in leads else None
    created = timestamps(leads.get("created_at"), leads.index)
    out["created_at"] = created
    out["company_size"] = _numbers(leads.get("company_size"), leads.index)
    for name in ("source", "industry", "country"):
        out[name] = _as_text(leads[name]) if name in leads else None
    missing = pd.Series(pd.NA, index=leads.index, dtype=TEXT)
    title = _as_text(leads["title"]).str.lower() if "title" in leads else missing
    out["title_seniority"] = _bucket(title, SENIORITY, "individual")
    out["title_function"] = _bucket(title, FUNCTIONS, "other")
    email = _as_text(leads["email"]).str.lower() if "email" in leads else missing
    parts = email.str.extract(r"^([^@]*)@([^@]+)$")
    has_email = parts[1].notna().to_numpy()
    out["email_free_domain"] = np.where(has_email, parts[1].isin(FREE_MAIL).to_numpy(dtype=bool), np.nan)
    out["email_role_address"] = np.where(has_email, parts[0].isin(ROLE_MAILBOXES).to_numpy(dtype=bool), np.nan)
    # no phone column at all is unknown, not "no phone given"
    out["has_phone"] = _as_text(leads["phone"]).notna().to_numpy(dtype="float64") if "phone" in leads else np.nan
    out["created_month"] = created.dt.month.astype("float64")
    out["created_weekday"] = created.dt.day_of_week.astype("float64")
    out["created_hour"] = created.dt.hour.astype("float64")
    for name, kind in custom.items():
        if name not in leads:
            out[name] = np.nan
        elif kind == "numeric":
            col = leads[name]
            out[name] = _numbers(col.astype("Float64") if pd.api.types.is_bool_dtype(col) else col, leads.index)
        else:
            out[name] = _as_text(leads[name])
    return out


def event_counts(store: Store, frame: pd.DataFrame, window_days: float, touch_types: list[str],
                 activity_types: list[str]) -> pd.DataFrame:
    """Touches by type and inbound activities by type up to each lead's cutoff
    (created_at + window_days), and touches before created_at. Zero when there are none."""
    names = ([f"touch_{t}" for t in touch_types] + ["touches_before_created"]
             + [f"inbound_{t}" for t in activity_types])
    counts = pd.DataFrame(0.0, index=frame.index, columns=names)
    if frame.empty:
        return counts
    keys = pd.DataFrame({"lead_id": frame["lead_id"].astype(str).to_numpy(),
                         "created_at": frame["created_at"].to_numpy(dtype="datetime64[us]"),
                         "row": np.arange(len(frame))})
    view = f"_lead_keys_{uuid.uuid4().hex[:10]}"
    cutoff = f"(k.created_at + INTERVAL '{int(round(window_days * 86400))} seconds')"
    con = store.con.cursor()  # its own connection: a view registered here is seen by no other caller
    con.register(view, keys)
    try:
        cols = [f"count(*) FILTER (WHERE t.touch_type = {_literal(tt)}) AS {quote('touch_' + tt)}"
                for tt in touch_types]
        cols.append("count(*) FILTER (WHERE t.occurred_at < k.created_at) AS touches_before_created")
        _fill(con, counts, f"SELECT k.row, {', '.join(cols)} FROM {view} k JOIN touches t "
                           f"ON t.lead_id = k.lead_id AND t.occurred_at <= {cutoff} GROUP BY k.row")
        if activity_types:
            cols = [f"count(*) FILTER (WHERE a.type = {_literal(at)}) AS {quote('inbound_' + at)}"
                    for at in activity_types]
            _fill(con, counts, f"SELECT k.row, {', '.join(cols)} FROM {view} k JOIN activities a "
                               f"ON a.lead_id = k.lead_id AND a.occurred_at <= {cutoff} "
                               f"AND a.direction = 'inbound' GROUP BY k.row")
    finally:
        con.unregister(view)
        con.close()
    return counts


def frequent_event_types(store: Store, window_days: float, lead_filter_sql: str) -> tuple[list[str], list[str]]:
    """The touch types and inbound activity types seen before the cutoff of the training leads
    (the most frequent ``MAX_EVENT_TYPES`` of each)."""
    cutoff = f"(l.created_at + INTERVAL '{int(round(window_days * 86400))} seconds')"
    touch = [r[0] for r in store.con.execute(
        f"SELECT t.touch_type FROM touches t JOIN leads l ON t.lead_id = l.lead_id "
        f"WHERE t.touch_type IS NOT NULL AND t.occurred_at <= {cutoff} AND {lead_filter_sql} "
        f"GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT {MAX_EVENT_TYPES}").fetchall()]
    act = [r[0] for r in store.con.execute(
        f"SELECT a.type FROM activities a JOIN leads l ON a.lead_id = l.lead_id "
        f"WHERE a.type IS NOT NULL AND a.direction = 'inbound' AND a.occurred_at <= {cutoff} "
        f"AND {lead_filter_sql} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT {MAX_EVENT_TYPES}").fetchall()]
    return sorted(touch), sorted(act)


def custom_attributes(store: Store, exclude: tuple[str, ...] = ()) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Custom columns on leads the model may use (name -> numeric | categorical), and the ones
    kept out with the reason. High-cardinality text is judged later, on the training rows."""
    canonical = set(schema.LEADS.field_names)
    usable: dict[str, str] = {}
    kept_out: list[dict[str, str]] = []
    for name, sql_type in store.columns("leads").items():
        if name in canonical:
            continue
        kind = _kind(sql_type)
        low = name.lower()
        if name in exclude:
            kept_out.append({"column": name, "reason": "excluded with --exclude"})
        elif kind is None:
            kept_out.append({"column": name, "reason": f"{sql_type.lower()} values: when they were set "
                                                       "relative to the outcome cannot be told"})
        elif OUTCOME_WORDS.search(low):
            kept_out.append({"column": name, "reason": "its name suggests it records the outcome"})
        elif ID_LIKE.search(low):
            kept_out.append({"column": name, "reason": "its name suggests an identifier or contact detail"})
        else:
            usable[name] = kind
    return usable, kept_out


def high_cardinality(frame: pd.DataFrame, custom: dict[str, str]) -> list[str]:
    """Text custom attributes with a distinct value on most rows: identifiers or free text."""
    out = []
    for name, kind in custom.items():
        if kind == "categorical" and name in frame:
            values = frame[name].dropna()
            if len(values) >= 50 and values.nunique() > 0.5 * len(values):
                out.append(name)
    return out


# -- helpers ------------------------------------------------------------------------------------

def timestamps(values: Any, index: pd.Index) -> pd.Series:
    """Naive-UTC timestamps from whatever the rows hold (datetimes, ISO text, with offsets)."""
    if values is None:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    return pd.Series(parsed, index=index).dt.tz_localize(None).astype("datetime64[us]")


def _numbers(values: Any, index: pd.Index) -> pd.Series:
    if values is None:
        return pd.Series(np.nan, index=index)
    return pd.to_numeric(pd.Series(values, index=index), errors="coerce").astype("float64")


TEXT = pd.StringDtype("pyarrow")


def _as_text(col: pd.Series) -> pd.Series:
    """Text (Arrow-backed, vectorised) with blanks as missing: categories compare as strings."""
    text = col.astype(TEXT).str.strip()
    return text.mask(text == "")


def _bucket(title: pd.Series, rules: tuple[tuple[str, re.Pattern[str]], ...], default: str) -> pd.Series:
    """The label of the first rule whose pattern the text matches, else ``default``; missing
    stays missing. Each distinct title is matched once."""
    mapping = {t: next((label for label, rx in rules if rx.search(t)), default)
               for t in title.dropna().unique()}
    return title.map(mapping).astype(TEXT)


def _kind(sql_type: str) -> str | None:
    t = sql_type.upper()
    if t in ("BOOLEAN",) or any(t.startswith(p) for p in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT",
                                                          "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                                                          "UBIGINT", "DOUBLE", "FLOAT", "REAL", "DECIMAL")):
        return "numeric"
    if t.startswith("VARCHAR") or t == "TEXT":
        return "categorical"
    return None


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _fill(con: Any, counts: pd.DataFrame, sql: str) -> None:
    found = con.execute(sql).df()
    if found.empty:
        return
    rows = found.pop("row").to_numpy()
    for name in found.columns:
        column = counts.columns.get_loc(name)
        counts.iloc[rows, column] = found[name].to_numpy(dtype="float64")
