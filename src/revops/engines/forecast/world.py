"""What the forecast and the pipeline flow know: every deal's state at any instant.

A ``DealWorld`` holds the deals, their stage history and their activities as plain arrays,
loaded once from the store (``load_world``). ``state(deals, instants)`` gives each deal's
state at each instant by the as-of rules of the metrics layer
(``revops.engines.metrics.asof``):

- a deal created at or after the instant does not exist yet;
- a deal with history rows before the instant takes the state of the latest one
  (stage, amount, close date, forecast category, owner);
- a deal without history rows before the instant keeps its current state when it is
  still open or closed before the instant's day; when it closed later, it was open then,
  in a stage nobody recorded, at an amount, close date and forecast category nobody
  recorded either (the export's values are the ones it closed with: a lost deal's amount
  is often 0). Its owner is the current one.

``known_at(day)`` is the world as it was known at the end of a day, for forecasts: history
rows, activities and deals after it are dropped, and what a deal without history says
about a decision taken later (its closed stage, amount, close date and category) is
removed from the world itself, so nothing decided after the day can reach a forecast made
then. A forecast only
ever sees a ``known_at`` world: the guarantee against leakage is structural. In such a
world one more rule holds (``strict``): what an export says about a deal still open today
(stage, amount, close date) was only known today, so before today that deal is open in an
unknown state too.

Instants are int64 seconds since 1970-01-01 (naive UTC, as the store keeps timestamps);
days are int64 days since 1970-01-01. The as-of day D is the instant ``cutoff(D)``, the
midnight that ends it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd

DAY = 86_400
EPOCH = date(1970, 1, 1)
UNKNOWN_OPEN = -2
"""Stage code of a deal open in a stage nobody recorded."""
NO_STAGE = -1
"""Stage code of a deal without a stage, or with a stage the model does not know."""
_SPAN = np.int64(1) << np.int64(36)
_SHIFT = np.int64(1) << np.int64(35)
NEVER = np.iinfo(np.int64).min
"""created instant of a deal whose creation is unknown: it always existed."""


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(n: int | float) -> date:
    return EPOCH + timedelta(days=int(n))


def cutoff(d: date) -> int:
    """The instant that ends day ``d``."""
    return (day_number(d) + 1) * DAY


@dataclass(frozen=True)
class StageCodes:
    """The model's pipeline stages as integer codes (their order in the model)."""

    keys: tuple[str, ...]
    probability: np.ndarray
    is_open: np.ndarray
    is_won: np.ndarray
    is_lost: np.ndarray
    open_rank: np.ndarray
    """Position among the open stages (0 = first open stage); -1 for closed stages."""
    default_category: tuple[str, ...]

    @classmethod
    def of(cls, model: Any) -> StageCodes:
        stages = model.pipeline.stages
        open_rank, rank = [], 0
        for s in stages:
            open_rank.append(-1 if s.is_closed else rank)
            rank += 0 if s.is_closed else 1
        return cls(keys=tuple(s.key for s in stages),
                   probability=np.array([float(s.probability) for s in stages]),
                   is_open=np.array([not s.is_closed for s in stages]),
                   is_won=np.array([s.is_closed and s.is_won for s in stages]),
                   is_lost=np.array([s.is_closed and not s.is_won for s in stages]),
                   open_rank=np.array(open_rank),
                   default_category=tuple(s.forecast_category for s in stages))

    @property
    def first_open_probability(self) -> float:
        opens = self.probability[self.is_open]
        return float(opens[0]) if len(opens) else 0.0

    def encode(self, values: Any) -> np.ndarray:
        return _encode(values, self.keys)

    def lookup(self, table: np.ndarray, codes: np.ndarray, unknown: Any) -> np.ndarray:
        """``table[code]`` with ``unknown`` for NO_STAGE / UNKNOWN_OPEN."""
        ok = codes >= 0
        out = np.full(len(codes), unknown, dtype=np.result_type(table, type(unknown)))
        out[ok] = table[codes[ok]]
        return out


@dataclass(frozen=True)
class DealState:
    """Deals' states at instants, one entry per (deal, instant) asked."""

    exists: np.ndarray
    stage: np.ndarray  # stage code, UNKNOWN_OPEN or NO_STAGE
    amount: np.ndarray  # NaN when unknown
    close_day: np.ndarray  # float day number, NaN when unknown
    category: np.ndarray  # forecast category code as recorded, -1 when none
    owner: np.ndarray  # owner code, -1 when none
    has_history: np.ndarray
    row: np.ndarray  # index of the history row in force, -1 for none
    is_open: np.ndarray
    is_won: np.ndarray
    is_lost: np.ndarray

    def take(self, index: np.ndarray) -> DealState:
        """The entries at ``index``."""
        return DealState(**{f: getattr(self, f)[index] for f in self.__dataclass_fields__})


@dataclass
class DealWorld:
    """Deals, history and activities as arrays; see the module's docstring."""

    model: Any
    stages: StageCodes
    categories: tuple[str, ...]
    today: int  # day number of 'today': what an export says about open deals is known from then
    strict: bool  # open deals without history are unknown before today (forecast worlds)
    deals: pd.DataFrame  # one row per deal, index 0..n-1; static fields + current state
    created: np.ndarray  # int64 seconds, NEVER when unknown (the deal always existed)
    cur_stage: np.ndarray
    cur_amount: np.ndarray
    cur_close: np.ndarray
    cur_category: np.ndarray
    cur_owner: np.ndarray
    owners: tuple[str, ...]
    users: pd.DataFrame
    h_deal: np.ndarray
    h_t: np.ndarray
    h_stage: np.ndarray
    h_amount: np.ndarray
    h_close: np.ndarray
    h_category: np.ndarray
    h_owner: np.ndarray
    a_deal: np.ndarray  # activities on deals, sorted by deal then time
    a_t: np.ndarray
    last_event: int = 0  # day number of the last change, creation or close the data records (not
    # counting the rows ingest stamps 'created' when it first sees a deal without history)
    as_of: date | None = None  # set on a known_at world
    _derived: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    # -- sizes and lookups ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.deals)

    def today_date(self) -> date:
        return day_date(self.today)

    @property
    def ids(self) -> np.ndarray:
        return self.deals["opportunity_id"].to_numpy()

    def _hkey(self) -> np.ndarray:
        if "hkey" not in self._derived:
            self._derived["hkey"] = self.h_deal.astype(np.int64) * _SPAN + (self.h_t + _SHIFT)
        return self._derived["hkey"]

    def _akey(self) -> np.ndarray:
        if "akey" not in self._derived:
            self._derived["akey"] = self.a_deal.astype(np.int64) * _SPAN + (self.a_t + _SHIFT)
        return self._derived["akey"]

    def history_row(self, deal: np.ndarray, instant: np.ndarray) -> np.ndarray:
        """Index of each deal's latest history row strictly before the instant, -1 if none."""
        keys = self._hkey()
        if len(keys) == 0:
            return np.full(len(deal), -1, dtype=np.int64)
        q = deal.astype(np.int64) * _SPAN + (np.asarray(instant, dtype=np.int64) + _SHIFT)
        idx = np.searchsorted(keys, q, side="left") - 1
        ok = idx >= 0
        ok[ok] = self.h_deal[idx[ok]] == deal[ok]
        return np.where(ok, idx, -1)

    def activity_before(self, deal: np.ndarray, instant: np.ndarray, window_days: int | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        """(time of the last activity before the instant or -1 if none, activities in the
        ``window_days`` before it)."""
        keys = self._akey()
        n = len(deal)
        if len(keys) == 0:
            return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64)
        base = deal.astype(np.int64) * _SPAN + _SHIFT
        inst = np.asarray(instant, dtype=np.int64)
        hi = np.searchsorted(keys, base + inst, side="left")
        last = hi - 1
        ok = last >= 0
        ok[ok] = self.a_deal[last[ok]] == deal[ok]
        when = np.where(ok, self.a_t[np.maximum(last, 0)], -1)
        count = np.zeros(n, dtype=np.int64)
        if window_days is not None:
            lo = np.searchsorted(keys, base + inst - window_days * DAY, side="left")
            count = hi - lo
        return when, count

    # -- derived history columns ---------------------------------------------------------
    def pushes(self) -> np.ndarray:
        """Per history row: how many times the deal's close date moved later up to that row."""
        if "pushes" not in self._derived:
            self._derived["pushes"] = _running_count(self.h_deal, _increase(self.h_deal, self.h_close))
        return self._derived["pushes"]

    def stage_since(self) -> np.ndarray:
        """Per history row: the instant the deal entered the stage it is in at that row."""
        if "stage_since" not in self._derived:
            first = np.r_[True, self.h_deal[1:] != self.h_deal[:-1]] if len(self.h_deal) else np.zeros(0, bool)
            changed = first.copy()
            if len(self.h_deal):
                changed[1:] |= self.h_stage[1:] != self.h_stage[:-1]
            pos = np.where(changed, np.arange(len(changed)), 0)
            pos = np.maximum.accumulate(pos) if len(pos) else pos
            self._derived["stage_since"] = self.h_t[pos] if len(pos) else np.zeros(0, np.int64)
        return self._derived["stage_since"]

    # -- states ----------------------------------------------------------------------------
    def state(self, deal: np.ndarray, instant: np.ndarray | int) -> DealState:
        deal = np.asarray(deal, dtype=np.int64)
        inst = np.broadcast_to(np.asarray(instant, dtype=np.int64), deal.shape)
        row = self.history_row(deal, inst)
        has = row >= 0
        r = np.maximum(row, 0)
        h = len(self.h_deal) > 0
        created = self.created[deal]
        exists = (created == NEVER) | (created < inst)
        # without history: the current state, or open in an unknown stage when decided later
        st = self.stages
        cur_stage = self.cur_stage[deal]
        cur_close = self.cur_close[deal]
        closed_now = self.closed_stage(cur_stage)
        closed_by_then = closed_now & ~np.isnan(cur_close) & (cur_close < inst // DAY)
        unknown = closed_now & ~closed_by_then
        if self.strict:  # what an export says about an open deal is known from today on
            unknown |= st.lookup(st.is_open, cur_stage, False) & (inst <= self.today * DAY)
        blank = unknown  # its amount, close date and category were decided with the outcome
        stage = np.where(has, self.h_stage[r] if h else NO_STAGE, np.where(unknown, UNKNOWN_OPEN, cur_stage))
        amount = np.where(has, self.h_amount[r] if h else np.nan, np.where(blank, np.nan, self.cur_amount[deal]))
        close = np.where(has, self.h_close[r] if h else np.nan, np.where(blank, np.nan, cur_close))
        category = np.where(has, self.h_category[r] if h else -1,
                            np.where(blank, -1, self.cur_category[deal]))
        owner = np.where(has, self.h_owner[r] if h else -1, self.cur_owner[deal])
        is_open = exists & ((stage == UNKNOWN_OPEN) | st.lookup(st.is_open, stage, False))
        is_won = exists & st.lookup(st.is_won, stage, False)
        is_lost = exists & st.lookup(st.is_lost, stage, False)
        return DealState(exists=exists, stage=stage, amount=amount, close_day=close, category=category,
                         owner=owner, has_history=has, row=row, is_open=is_open, is_won=is_won,
                         is_lost=is_lost)

    def owner_names(self, codes: np.ndarray) -> np.ndarray:
        """The owner user_id of each owner code ("(none)" for a deal without an owner)."""
        names = np.array(list(self.owners) + ["(none)"], dtype=object)
        return names[np.where(codes >= 0, codes, len(self.owners))]

    def closed_stage(self, codes: np.ndarray) -> np.ndarray:
        """Whether each stage code is a closed (won or lost) stage."""
        st = self.stages
        return st.lookup(st.is_won | st.is_lost, codes, False)

    # -- the world known at a day ----------------------------------------------------------
    def known_at(self, day: date) -> DealWorld:
        """The world as known at the end of ``day`` (see the module's docstring)."""
        end = cutoff(day)
        keep = (self.created == NEVER) | (self.created < end)
        index = np.flatnonzero(keep)
        remap = np.full(len(self.deals), -1, dtype=np.int64)
        remap[index] = np.arange(len(index))
        hk = (self.h_t < end) & keep[self.h_deal]
        ak = (self.a_t < end) & keep[self.a_deal]
        cur_stage = self.cur_stage[index].copy()
        cur_close = self.cur_close[index].copy()
        cur_amount = self.cur_amount[index].copy()
        cur_category = self.cur_category[index].copy()
        st = self.stages
        hidden = self.closed_stage(cur_stage) & (np.isnan(cur_close) | (cur_close > day_number(day)))
        if day_number(day) < self.today:  # an export's open deals: their state is today's, not then
            hidden |= st.lookup(st.is_open, cur_stage, False)
        cur_stage[hidden] = UNKNOWN_OPEN
        cur_close[hidden] = np.nan
        cur_amount[hidden] = np.nan
        cur_category[hidden] = -1
        deals = self.deals.iloc[index].drop(columns=list(CURRENT_STATE_COLUMNS)).reset_index(drop=True)
        return replace(self, deals=deals, created=self.created[index], cur_stage=cur_stage,
                       cur_amount=cur_amount, cur_close=cur_close, cur_category=cur_category,
                       cur_owner=self.cur_owner[index], h_deal=remap[self.h_deal[hk]], h_t=self.h_t[hk],
                       h_stage=self.h_stage[hk], h_amount=self.h_amount[hk], h_close=self.h_close[hk],
                       h_category=self.h_category[hk], h_owner=self.h_owner[hk],
                       a_deal=remap[self.a_deal[ak]], a_t=self.a_t[ak], strict=True,
                       last_event=min(self.last_event, day_number(day)), as_of=day, _derived={})


# -- loading ----------------------------------------------------------------------------------

CURRENT_STATE_COLUMNS = ("stage", "amount", "close_date", "forecast_category", "owner_id")
"""Columns of the deals frame that may hold what was decided later: a known_at world drops them."""
DEAL_COLUMNS = ("opportunity_id", "account_id", "owner_id", "stage", "amount", "created_at", "close_date",
                "source", "type", "product", "forecast_category")


def load_world(con: Any, model: Any, today: date | None = None) -> DealWorld:
    """Read deals, history, activities on deals, users and account segments through Ibis."""
    return build_world(
        model, today=today, opportunities=_frame(con, "opportunities", DEAL_COLUMNS),
        history=_frame(con, "opportunity_history", HISTORY_COLUMNS), users=_frame(con, "users", USER_COLUMNS),
        accounts=_frame(con, "accounts", ("account_id", "segment")), activities=_activity_frame(con))


HISTORY_COLUMNS = ("history_id", "opportunity_id", "changed_at", "stage", "amount", "close_date",
                   "forecast_category", "owner_id", "changed_fields", "source")
USER_COLUMNS = ("user_id", "name", "role", "team", "manager_id", "segment", "region")


def build_world(model: Any, *, opportunities: pd.DataFrame, history: pd.DataFrame | None = None,
                users: pd.DataFrame | None = None, accounts: pd.DataFrame | None = None,
                activities: pd.DataFrame | None = None, today: date | None = None) -> DealWorld:
    """A world from frames holding the canonical columns (missing columns are empty)."""
    today = today or datetime.now(timezone.utc).date()
    stages = StageCodes.of(model)
    categories = tuple(c.key for c in model.forecast_categories)
    opps = _columns(opportunities, DEAL_COLUMNS)
    opps = opps.drop_duplicates("opportunity_id", keep="last").reset_index(drop=True)
    users = _columns(users, USER_COLUMNS)
    accounts = _columns(accounts, ("account_id", "segment"))
    seg = accounts.dropna(subset=["account_id"]).drop_duplicates("account_id").set_index("account_id")["segment"]
    opps["segment"] = opps["account_id"].map(seg).astype(object)
    useg = users.dropna(subset=["user_id"]).drop_duplicates("user_id").set_index("user_id")["segment"]
    opps["segment"] = opps["segment"].where(opps["segment"].notna(), opps["owner_id"].map(useg))

    hist = _columns(history, HISTORY_COLUMNS)
    deal_index = pd.Index(opps["opportunity_id"])
    hist = hist.assign(__deal=deal_index.get_indexer(hist["opportunity_id"]), __t=_seconds(hist["changed_at"]))
    hist = hist[(hist["__deal"] >= 0) & (hist["__t"] != NEVER)]
    hist = hist.sort_values(["__deal", "__t", "history_id"], kind="stable")
    acts = _activities(_columns(activities, ("opportunity_id", "occurred_at")), deal_index)

    stamped = (hist["changed_fields"].astype(object) == "created") & \
        hist["source"].astype(object).fillna("").astype(str).str.startswith("ingest:")
    created_s = _seconds(opps["created_at"])
    closed = stages.lookup(stages.is_won | stages.is_lost, stages.encode(opps["stage"]), False)
    closes = _days(opps["close_date"])[closed]
    marks = [hist["__t"][~stamped].max() // DAY if (~stamped).any() else None,
             created_s[created_s != NEVER].max() // DAY if (created_s != NEVER).any() else None,
             np.nanmax(closes) if len(closes) and not np.isnan(closes).all() else None]
    last_event = int(min(max(int(m) for m in marks if m is not None), day_number(today))) \
        if any(m is not None for m in marks) else day_number(today)
    owner_ids = pd.Index(pd.unique(pd.concat([users["user_id"], opps["owner_id"], hist["owner_id"]]).dropna()))
    return DealWorld(
        model=model, stages=stages, categories=categories, today=day_number(today), strict=False,
        deals=opps, created=created_s, cur_stage=stages.encode(opps["stage"]), last_event=last_event,
        cur_amount=_floats(opps["amount"]), cur_close=_days(opps["close_date"]),
        cur_category=_encode(opps["forecast_category"], categories),
        cur_owner=_encode_index(opps["owner_id"], owner_ids), owners=tuple(owner_ids), users=users,
        h_deal=hist["__deal"].to_numpy(np.int64), h_t=hist["__t"].to_numpy(np.int64),
        h_stage=stages.encode(hist["stage"]), h_amount=_floats(hist["amount"]), h_close=_days(hist["close_date"]),
        h_category=_encode(hist["forecast_category"], categories),
        h_owner=_encode_index(hist["owner_id"], owner_ids), a_deal=acts[0], a_t=acts[1])


def _columns(frame: pd.DataFrame | None, columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame() if frame is None else frame.copy()
    for c in columns:
        if c not in frame.columns:
            frame[c] = pd.Series([None] * len(frame), dtype=object)
    return frame.reset_index(drop=True)


def _frame(con: Any, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        t = con.table(table)
    except Exception:  # a store without the table: nothing of that kind is known
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    present = [c for c in columns if c in t.columns]
    frame = t.select(*present).to_pyarrow().to_pandas(types_mapper=None)
    for c in columns:
        if c not in frame.columns:
            frame[c] = None
    return frame


def _activity_frame(con: Any) -> pd.DataFrame | None:
    try:
        t = con.table("activities")
    except Exception:
        return None
    if "opportunity_id" not in t.columns or "occurred_at" not in t.columns:
        return None
    t = t.filter(t.opportunity_id.notnull() & t.occurred_at.notnull())
    return t.select("opportunity_id", "occurred_at").to_pyarrow().to_pandas()


def _activities(frame: pd.DataFrame, deal_index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    deal = deal_index.get_indexer(frame["opportunity_id"])
    seconds = _seconds(frame["occurred_at"])
    ok = (deal >= 0) & (seconds != NEVER)
    deal, seconds = deal[ok].astype(np.int64), seconds[ok]
    order = np.lexsort((seconds, deal))
    return deal[order], seconds[order]


def _seconds(values: pd.Series) -> np.ndarray:
    s = pd.to_datetime(values, errors="coerce")
    out = np.full(len(s), NEVER, dtype=np.int64)
    ok = s.notna().to_numpy()
    if ok.any():
        out[ok] = s[ok].to_numpy().astype("datetime64[s]").astype(np.int64)
    return out


def _days(values: pd.Series) -> np.ndarray:
    s = pd.to_datetime(values, errors="coerce")
    out = np.full(len(s), np.nan)
    ok = s.notna().to_numpy()
    if ok.any():
        out[ok] = s[ok].to_numpy().astype("datetime64[D]").astype(np.int64)
    return out


def _floats(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _encode(values: Any, keys: tuple[str, ...]) -> np.ndarray:
    return pd.Index(keys).get_indexer(pd.Series(values, dtype=object)).astype(np.int64)


def _encode_index(values: pd.Series, index: pd.Index) -> np.ndarray:
    return index.get_indexer(values).astype(np.int64)


def _increase(deal: np.ndarray, close: np.ndarray) -> np.ndarray:
    """True where a history row moves the close date later than the deal's previous row."""
    out = np.zeros(len(deal), dtype=bool)
    if len(deal) > 1:
        same = deal[1:] == deal[:-1]
        with np.errstate(invalid="ignore"):
            out[1:] = same & (close[1:] > close[:-1])
    return out


def _running_count(deal: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Per row, how many flagged rows of the same deal up to and including it."""
    if len(deal) == 0:
        return np.zeros(0, dtype=np.int64)
    c = np.cumsum(flag.astype(np.int64))
    first = np.r_[True, deal[1:] != deal[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(deal)), 0))
    return c - c[start] + flag[start].astype(np.int64)
