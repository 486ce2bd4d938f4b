"""``build_demo``: simulate the demo company and replace the store's contents with it.

Everything is written in ONE transaction: the canonical tables and the truth tables are
emptied and refilled chunk by chunk (with revops' own records about them: routing decisions
and forecast calls), the web, product and intent events are stored in the event log, and
one ``_ingest_runs`` row per table records the build (source_kind 'demo', file
'demo:<scale>:seed=<seed>'). If the build fails or is killed, the transaction never commits
and the previous contents stay. Chunks are staged in a scratch database beside the store
first: DuckDB holds a transaction's appended rows in memory, so appending 40M rows inside
the transaction itself would need ~6 GB. Once committed, the workflows of the model in use
work the events, as a worker switched on at the demo's today would (``work_workflows``).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from revops.demo import activities as act
from revops.demo import columns as col
from revops.demo.accounts import accounts_tables, contacts_tables
from revops.demo.calendar import SimCalendar
from revops.demo.company import CUSTOMER_SOURCES, Company, simulate_company
from revops.demo.customers import subscriptions_table, truth_churn_table, usage_arrays, usage_table
from revops.demo.deals import FIELDS
from revops.demo.events import demo_events
from revops.demo.forecast_calls import forecast_calls_table
from revops.demo.health_signals import (CustomerLives, champion_columns, invoices_table, nps_responses_table,
                                        support_tickets_table)
from revops.demo.leads import leads_table, truth_leads_table
from revops.demo.marketing import (CHANNEL_NAMES, campaign_costs, campaigns_table, simulate_touches,
                                   spend_table, touches_table)
from revops.demo.people import Staff, teams_tables, truth_reps_table, users_table
from revops.demo.scales import SCALES, Scale
from revops.demo.seeds import rng_for
from revops.demo.vocabulary import (FORECAST_CATEGORIES, LOST, LOST_REASONS, NEXT_STEPS, OPP_TYPES,
                                    PRODUCTS, STAGE_PROBABILITY, STAGES, WON)
from revops.engines.forecast.world import build_world
from revops.engines.metrics.periods import FiscalCalendar
from revops.errors import RevopsError
from revops.store import schema
from revops.store.store import Store, quote, utcnow

Progress = Callable[[str], None]
OPP_CHUNK = 50_000
ROW_CHUNK = 1_000_000
BUILD_MEMORY_LIMIT = "1500MB"  # DuckDB's share while writing: keeps a large build under 4 GiB
STAGING = "revops_demo_staging"
DECISIONS = "_routing_decisions"
LEAD_RECORDS = ("_lifecycle_events", "_score_history", "_idempotency")
"""revops' records about the leads a build replaces, emptied with them (decisions are rewritten)."""
CALLS = "_forecast_calls"
"""The reps' and managers' weekly forecast calls (``forecast_calls``): rewritten with the deals."""
DEAL_RECORDS = ("_forecast_snapshots",)
"""Forecasts stored about the deals a build replaces: emptied with them."""
EVENTS = "_events"
WORKFLOW_RECORDS = ("_workflow_runs", "_workflow_steps", "_workflow_attempts", "_workflow_cursors",
                    "_workflow_schedules", "_tasks", "_list_members")
"""What workflows did with the events and records a build replaces (runs, steps, tasks, list
and sequence members, the feeds' cursors): emptied with them, so the new events are worked."""
EVENT_CHUNK = 50_000
DEAL_STATE_COLUMNS = ("opportunity_id", "owner_id", "stage", "amount", "created_at", "close_date", "forecast_category")
HISTORY_STATE_COLUMNS = ("history_id", "opportunity_id", "changed_at", "stage", "amount", "close_date",
                         "forecast_category", "owner_id")
"""What the forecast calls read of the staged deals: what a deal's state at an instant is made of."""
REVOPS_USER = 3  # changes made by the system (owner reassignment) are logged as RevOps


@dataclass
class DemoBuild:
    scale: str
    seed: int
    today: date
    rows: dict[str, int]
    seconds: float
    events: int = 0
    """Web, product and intent events stored (``_events``)."""
    workflows: WorkflowsWorked | None = None
    """What the model's workflows did with them; None when the model has none."""

    @property
    def source(self) -> str:
        return f"demo:{self.scale}:seed={self.seed}"


@dataclass
class WorkflowsWorked:
    workflows: int
    runs: int
    """Runs started (a trigger fired and the workflow's `when` held)."""
    completed: int
    steps_done: int
    steps_dead: int
    """Steps in the dead-letter queue (`revops workflows dead`)."""
    steps_waiting: int
    """Steps due later (a wait, a retry): the next worker does them (`revops serve`)."""
    passed_over: int
    """Triggers the workflows' `when` turned down."""
    dead_errors: list[str]
    """The distinct errors of the dead steps."""


def resolve_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise RevopsError(f"unknown demo scale {name!r}; choose one of small, medium, large") from None


def plan_steps(scale: Scale, company: Company) -> int:
    """How many progress steps the write will take (for the progress bar)."""
    lead_chunks = -(-len(company.leads) // scale.chunk_leads)
    opp_chunks = -(-len(company.deals) // OPP_CHUNK)
    return 6 + lead_chunks + 2 * opp_chunks + 8


def build_demo(store: Store, scale: str = "small", seed: int = 42, today: date | None = None,
               progress: Callable[[int], Progress] | None = None, model: Any = None) -> DemoBuild:
    """Simulate and write. ``progress(total)`` returns a callback called once per step.
    ``model`` (default: the built-in revenue model) routes the leads (``demo/routing.py``).

    Chunks are first appended to a staging database next to the store (each chunk its own
    small commit, so memory stays flat), then copied into the store in one transaction.
    The records revops keeps about leads (routing decisions, lifecycle moves, score history,
    idempotency keys) describe the leads being replaced: they are replaced too. So are the
    forecast calls (the reps' and managers' weekly calls, made from the staged deals once they
    are all written: ``forecast_calls``) and the stored forecast snapshots.
    """
    started = utcnow()
    sc = resolve_scale(scale)
    cal = SimCalendar(today or datetime.now(timezone.utc).date())
    if model is None:
        from revops.model import load_model

        model = load_model(None)
    company = simulate_company(sc, seed, cal, model)
    step = progress(plan_steps(sc, company)) if progress else (lambda label: None)
    rows: dict[str, int] = {}
    tables = (*schema.TABLE_NAMES, *schema.TRUTH_TABLES, DECISIONS, CALLS)
    cleared = tuple(t for t in (*LEAD_RECORDS, *DEAL_RECORDS, EVENTS, *WORKFLOW_RECORDS) if store.has_table(t))
    limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    staging_dir = _staging_dir(store)
    store.con.execute(f"SET memory_limit = '{BUILD_MEMORY_LIMIT}'")
    try:
        store.con.execute(f"ATTACH '{staging_dir / 'staging.duckdb'}' AS {STAGING}")
        for t in tables:
            store.con.execute(f"CREATE TABLE {STAGING}.{quote(t)} AS SELECT * FROM main.{quote(t)} LIMIT 0")
        for table, data in _tables(company, step):
            rows[table] = rows.get(table, 0) + append_chunk(store, table, data)
        staff = company.staff
        del company
        rows[CALLS] = append_chunk(store, CALLS, _forecast_calls(store, model, staff, cal, seed))
        step("forecast calls")
        events = demo_events(store.con, STAGING, cal.today, seed, sc.event_days)
        step("events")
        with store.transaction():
            store.truncate(*tables, *cleared)
            for t in tables:
                store.con.execute(f"INSERT INTO main.{quote(t)} SELECT * FROM {STAGING}.{quote(t)}")
            stored = _store_events(store, events, datetime.combine(cal.today, time()))
            finished = utcnow()
            for t in tables:
                if t in (DECISIONS, CALLS):
                    continue  # revops' own records, not loads
                n = rows.get(t, 0)
                _record_run(store, run_id=f"demo-{uuid.uuid4().hex[:12]}", table_name=t,
                            file=f"demo:{sc.name}:seed={seed}", source_kind="demo",
                            preset=f"today={cal.today.isoformat()}", started_at=started,
                            finished_at=finished, rows_read=n, inserted=n, updated=0, unchanged=0,
                            quarantined=0)
            _record_run(store, run_id=f"demo-{uuid.uuid4().hex[:12]}", table_name="events",
                        file=f"demo:{sc.name}:seed={seed}", source_kind="demo",
                        preset=f"today={cal.today.isoformat()}", started_at=started, finished_at=finished,
                        rows_read=len(events), inserted=stored, updated=0, unchanged=0, quarantined=0)
        del events
        step("committed")
    finally:
        try:
            store.con.execute(f"DETACH DATABASE IF EXISTS {STAGING}")
        finally:
            store.con.execute(f"SET memory_limit = '{limit}'")
            shutil.rmtree(staging_dir, ignore_errors=True)
    worked = work_workflows(store, model, cal.today)
    step("workflows")
    return DemoBuild(sc.name, seed, cal.today, rows, (utcnow() - started).total_seconds(), stored, worked)


def _store_events(store: Store, events: list[Any], received_at: datetime) -> int:
    """The demo's events into the event log, as `revops events ingest` stores a file's."""
    from revops.orchestration.events import EventLog

    log = EventLog(store.con)
    stored = 0
    for i in range(0, len(events), EVENT_CHUNK):
        kept, _ = log.append(store.con, events[i:i + EVENT_CHUNK], received_at, source="demo")
        stored += len(kept)
    return stored


def work_workflows(store: Store, model: Any, today: date) -> WorkflowsWorked | None:
    """The model's workflows work the stored events (and do every step due), with the clock
    at the demo's today 00:00: the instant its history ends, so the same seed and today give
    the same runs. None when the model has no enabled workflow."""
    active = [w for w in model.workflows if w.enabled]
    if not active:
        return None
    from revops.orchestration.engine import Orchestrator

    now = datetime.combine(today, time())
    orchestrator = Orchestrator(store, model, clock=lambda: now)
    try:
        stats = orchestrator.run_until_idle()
    finally:
        orchestrator.close()
    errors = [r[0] for r in store.con.execute(
        "SELECT DISTINCT error FROM _workflow_steps WHERE status = 'dead' ORDER BY 1").fetchall()]
    return WorkflowsWorked(len(active), stats.runs_started, stats.runs_completed, stats.steps_done,
                           stats.steps_dead, len(orchestrator.steps), stats.filtered, errors)


def _forecast_calls(store: Store, model: Any, staff: Staff, cal: SimCalendar, seed: int) -> pa.Table:
    """The weekly forecast calls (``forecast_calls``), made from the deals as staged: the
    forecast engine's world over exactly the rows the store is about to hold."""
    frames = {table: store.con.execute(f"SELECT {', '.join(quote(c) for c in columns)} "
                                       f"FROM {STAGING}.{quote(table)}").df()
              for table, columns in (("opportunities", DEAL_STATE_COLUMNS),
                                     ("opportunity_history", HISTORY_STATE_COLUMNS), ("users", ("user_id",)))}
    world = build_world(model, opportunities=frames["opportunities"], history=frames["opportunity_history"],
                        users=frames["users"], today=cal.today)
    return forecast_calls_table(world, staff, cal, seed, FiscalCalendar(model.company.fiscal_year_start_month))


def _staging_dir(store: Store) -> Path:
    """A fresh directory for the staging database: beside a file store (same disk), else in
    the system temp dir. Leftovers of killed builds are removed first."""
    if str(store.path) == ":memory:":
        return Path(tempfile.mkdtemp(prefix="revops-demo-"))
    parent = store.path.resolve().parent
    for old in parent.glob(f".{store.path.name}.demo-*"):
        shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f".{store.path.name}.demo-", dir=parent))


def _record_run(store: Store, **values: object) -> None:
    """One ``_ingest_runs`` row, naming only the columns the store has."""
    names = [k for k in values if k in store.columns("_ingest_runs")]
    cols = ", ".join(names)
    marks = ", ".join("?" for _ in names)
    store.con.execute(f"INSERT INTO _ingest_runs ({cols}) VALUES ({marks})", [values[k] for k in names])


def append_chunk(store: Store, table: str, data: pa.Table) -> int:
    """One chunk into the staging copy of ``table`` (separate so tests can fail a build part-way)."""
    types = dict(store.con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_name = ?", [STAGING, table]).fetchall())
    store.con.register("_demo_chunk", data)
    try:
        cols = ", ".join(quote(n) for n in data.column_names)
        casts = ", ".join(f"CAST({quote(n)} AS {types[n]})" for n in data.column_names)
        store.con.execute(f"INSERT INTO {STAGING}.{quote(table)} ({cols}) SELECT {casts} FROM _demo_chunk")
    finally:
        store.con.unregister("_demo_chunk")
    return data.num_rows


def _tables(c: Company, step: Progress) -> Iterator[tuple[str, pa.Table]]:
    cal, seed = c.cal, c.seed
    yield "users", users_table(c.staff, cal)
    teams, territories = teams_tables(c.staff)
    yield "teams", teams
    yield "territories", territories
    yield "truth_reps", truth_reps_table(c.staff)
    if "products" in schema.TABLES:
        yield "products", products_table()
    step("people")
    mrng = rng_for(seed, "marketing")
    cost = campaign_costs(mrng, c.camps, c.leads.campaign)
    yield "campaigns", campaigns_table(cal, c.camps, cost, mrng)
    yield "spend", spend_table(cal, c.camps, cost, c.staff)
    step("campaigns and spend")
    yield from _lead_chunks(c, step)
    yield from _deal_chunks(c, step)
    acc_rng = rng_for(seed, "duplicates")
    accounts, acc_truth, dup_account = accounts_tables(acc_rng, cal, c.comps, c.accounts)
    yield "accounts", accounts
    contacts, con_truth = contacts_tables(acc_rng, cal, c.comps, c.contacts, dup_account)
    lives = CustomerLives.from_book(c.book, cal, c.deals.contact)
    health_rng = rng_for(seed, "health_signals")
    role, left_at = champion_columns(health_rng, cal, lives, len(c.contacts.company), contacts.num_rows)
    yield "contacts", contacts.append_column("role", role).append_column("left_at", left_at)
    yield "truth_duplicates", acc_truth
    yield "truth_duplicates", con_truth
    step("accounts and contacts")
    yield "subscriptions", subscriptions_table(cal, c.book)
    yield "truth_churn", truth_churn_table(cal, c.book)
    yield "support_tickets", support_tickets_table(health_rng, cal, lives)
    yield "nps_responses", nps_responses_table(health_rng, cal, lives)
    yield "invoices", invoices_table(health_rng, cal, c.book, lives)
    step("subscriptions")
    usage = usage_arrays(c.book)
    n = len(usage["account"])
    for start in range(0, n, ROW_CHUNK):
        yield "usage", usage_table(cal, usage, slice(start, min(start + ROW_CHUNK, n)), start)
    step("usage")


def products_table() -> pa.Table:
    """The price book the demo deals are sold from (annual list prices)."""
    return pa.table({
        "product_id": pa.array(list(PRODUCTS)),
        "name": pa.array([p.replace("_", " ").title() for p in PRODUCTS]),
        "family": pa.array(["platform", "addon", "addon", "platform"]),
        "list_price": pa.array([24_000.0, 9_000.0, 12_000.0, 120_000.0]),
        "billing": pa.array(["annual"] * len(PRODUCTS)),
    })


def _lead_chunks(c: Company, step: Progress) -> Iterator[tuple[str, pa.Table]]:
    leads, cal = c.leads, c.cal
    n, size = len(leads), c.scale.chunk_leads
    touch_id = activity_id = 0
    for k, start in enumerate(range(0, n, size)):
        rows = slice(start, min(start + size, n))
        idx = np.arange(rows.start, rows.stop)
        rng = rng_for(c.seed, "lead_chunk", k)
        yield "leads", leads_table(cal, leads, c.comps, rows)
        if k == 0:
            for part in leads.decisions:
                yield DECISIONS, part
        yield "truth_leads", truth_leads_table(leads, rows)
        t = simulate_touches(rng, cal, c.camps, c.qstarts, idx, leads.created[rows],
                             leads.channel[rows], leads.campaign[rows], leads.quality[rows],
                             np.fmax(leads.worked_until[rows], leads.created[rows] + 30))
        yield "touches", touches_table(cal, t, touch_id, leads.contact, leads.account, leads.converted_at)
        touch_id += len(t["t"])
        a = act.lead_activities(rng, leads.first_contacted_at[rows], leads.worked_until[rows],
                                ~np.isnan(leads.sal_at[rows]), ~np.isnan(leads.converted_at[rows]))
        lead = idx[a["lead"]]
        yield "activities", act.activities_table(cal, a, activity_id, leads.worker[lead], lead=lead)
        activity_id += len(a["t"])
        step(f"leads {rows.stop:,}/{n:,}")
    c.next_activity_id = activity_id  # type: ignore[attr-defined]


def _deal_chunks(c: Company, step: Progress) -> Iterator[tuple[str, pa.Table]]:
    d, s, h, cal = c.deals, c.state, c.history, c.cal
    n = len(d)
    activity_id = c.next_activity_id  # type: ignore[attr-defined]
    for k, start in enumerate(range(0, n, OPP_CHUNK)):
        rows = slice(start, min(start + OPP_CHUNK, n))
        yield "opportunities", _opportunities_table(c, rows)
        step(f"opportunities {rows.stop:,}/{n:,}")
    labels = [",".join(f for b, f in enumerate(FIELDS) if m >> b & 1) for m in range(1 << len(FIELDS))]
    for start in range(0, len(h.opp), ROW_CHUNK):
        r = slice(start, min(start + ROW_CHUNK, len(h.opp)))
        owner_change = (h.changed[r] >> 4 & 1).astype(bool) & ~(h.changed[r] == (1 << len(FIELDS)) - 1)
        yield "opportunity_history", pa.table({
            "history_id": col.ids("hist_", np.arange(r.start, r.stop), 8),
            "opportunity_id": col.ids("opp_", h.opp[r], 7),
            "changed_at": col.timestamps(cal, h.t[r]),
            "stage": col.category(h.stage[r], STAGES),
            "amount": col.numbers(h.amount[r]),
            "close_date": col.dates(cal, h.close_date[r]),
            "forecast_category": col.category(h.forecast_category[r], FORECAST_CATEGORIES),
            "owner_id": col.ids("usr_", h.owner[r], 4),
            "changed_fields": col.category(h.changed[r], labels),
            "changed_by": col.ids("usr_", np.where(owner_change, REVOPS_USER, h.owner[r]), 4),
            "source": pa.DictionaryArray.from_arrays(pa.array(np.zeros(r.stop - r.start, "int32")),
                                                     pa.array(["demo"])),
        })
    for k, start in enumerate(range(0, n, OPP_CHUNK)):
        rows = slice(start, min(start + OPP_CHUNK, n))
        rng = rng_for(c.seed, "deal_activities", k)
        a = act.deal_activities(rng, d.created[rows], s.last_activity[rows], d.segment[rows])
        opp = np.arange(rows.start, rows.stop)[a["opp"]]
        changed = a["t"] >= np.nan_to_num(s.owner_change_t[opp], nan=np.inf)
        owner = np.where(changed, s.owner[opp], s.first_owner[opp])
        yield "activities", act.activities_table(cal, a, activity_id, owner, contact=d.contact[opp],
                                                 account=d.account[opp], opportunity=opp)
        activity_id += len(a["t"])
        step(f"deal activities {rows.stop:,}/{n:,}")
    yield "activities", _kickoffs(c, activity_id)


def _kickoffs(c: Company, first_id: int) -> pa.Table:
    """The CS kickoff meeting of each won new-business deal (closed_won_to_kickoff SLA)."""
    d, s = c.deals, c.state
    rng = rng_for(c.seed, "kickoffs")
    won = np.flatnonzero((d.type == 0) & (s.stage == WON))
    csm = c.staff.assign(rng, d.end[won], "csm", c.comps.region[d.account[won]])
    k = act.kickoff_meetings(rng, c.cal, d.end[won], c.staff.tz_offset_hours[csm])
    deal = won[k["deal"]]
    return act.activities_table(c.cal, k, first_id, csm[k["deal"]], contact=d.contact[deal],
                                account=d.account[deal])


def _opportunities_table(c: Company, rows: slice) -> pa.Table:
    d, s, cal = c.deals, c.state, c.cal
    idx = np.arange(rows.start, rows.stop)
    product_labels = pa.array([p.replace("_", " ").title() for p in PRODUCTS])
    type_labels = pa.array(["New Business", "Expansion", "Renewal"])
    name = col.join([col.pick(c.comps.stem, d.account[rows]), col.pick(product_labels, d.product[rows]),
                     col.pick(type_labels, d.type[rows])], " - ")
    stage = s.stage[rows]
    closed_lost = stage == LOST
    return pa.table({
        "opportunity_id": col.ids("opp_", idx, 7),
        "account_id": col.ids("acc_", d.account[rows], 7),
        "owner_id": col.ids("usr_", s.owner[rows], 4),
        "name": name,
        "stage": col.category(stage, STAGES),
        "amount": col.numbers(s.amount[rows]),
        "created_at": col.timestamps(cal, d.created[rows]),
        "close_date": col.dates(cal, s.close_date[rows]),
        "source": col.category(d.source[rows], CHANNEL_NAMES + CUSTOMER_SOURCES),
        "type": col.category(d.type[rows], OPP_TYPES),
        "product": col.category(d.product[rows], PRODUCTS),
        "forecast_category": col.category(s.forecast_category[rows], FORECAST_CATEGORIES),
        "next_step": col.category(s.next_step[rows], NEXT_STEPS),
        "probability": col.numbers(np.asarray(STAGE_PROBABILITY)[stage]),
        "lead_id": col.ids_or_null("lead_", d.lead[rows], 8),
        "contact_id": col.ids_or_null("con_", d.contact[rows], 8),
        "campaign_id": col.ids_or_null("cmp_", d.campaign[rows], 4),
        "lost_reason": col.category(np.where(closed_lost, d.lost_reason[rows], -1), LOST_REASONS),
        "last_activity_at": col.timestamps(cal, s.last_activity[rows]),
        "updated_at": col.timestamps(cal, s.updated[rows]),
    })
