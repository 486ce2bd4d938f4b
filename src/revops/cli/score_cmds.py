"""`revops score`: lead scores (fit, intent, engagement, predicted conversion), lifecycle moves,
the calibration report and one lead's explanation.

    revops score [--input FILE [--mapping MAP.yaml]] [--at DATETIME] [--dry-run] --format json|csv
    revops score explain LEAD_ID
    revops score calibration
    revops score train            (engines/scoring/predictive.py: see register_train)
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from revops.moments import parse_moment
from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr
from revops.errors import StoreError

score_app = typer.Typer(add_completion=False)  # its help is the docstring of `score` below

AtOption = Annotated[Optional[str], typer.Option(
    "--at", help="Score as of this moment: YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], UTC unless an offset is given "
                 "(default: now). Events after it are ignored; decay counts up to it.")]
ROW_COLUMNS = ["lead_id", "score", "fit", "intent", "engagement", "predicted_conversion", "mql", "band", "status"]


def register(app: typer.Typer) -> None:
    register_train(score_app)
    score_app.command("explain")(explain)
    score_app.command("calibration")(calibration)
    app.add_typer(score_app, name="score")


# ---------------------------------------------------------------------------------------------
# `revops score train` and `revops score models` (predictive scoring) live in cli/score_train_cmd.py.
# They stay subcommands of score_app so that both `revops score --format json` and
# `revops score train --format json` parse.
def register_train(app: typer.Typer) -> None:
    """Register `revops score train` and `revops score models` (cli/score_train_cmd.py) on the score group."""
    from revops.cli.score_train_cmd import register_train as register_predictive

    register_predictive(app)
# ---------------------------------------------------------------------------------------------


SCORE_HELP = (
    "Score leads with the rules of revops.yaml, blended with the predictive model once one is trained.\n\n"
    "Without --input, scores every stored lead and UPDATES THE STORE: score, fit_score, intent_score, "
    "engagement_score and predicted_conversion on each lead, then moves leads through the lifecycle "
    "(new -> MQL at scoring.mql_threshold, onward by each stage's entry criteria, recycling), recording "
    "each move with its time and reason. --dry-run writes nothing. With --input FILE, scores the file's "
    "leads and stores nothing.\n\n"
    "Rows (json, csv): lead_id, score (0-100), fit, intent, engagement, predicted_conversion (null when "
    "no model is trained), mql, band, status. The table format prints a summary by band."
)


@score_app.callback(invoke_without_command=True, help=SCORE_HELP)
def score(
    ctx: typer.Context,
    input_: Annotated[Optional[Path], typer.Option("--input", help="Score the leads of this file (CSV, Parquet, JSON lines) without storing them.")] = None,
    mapping: Annotated[Optional[Path], typer.Option("--mapping", help="With --input: mapping YAML, as for `revops ingest`.")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="With --input: column names of a CRM export (salesforce or hubspot).")] = None,
    at: AtOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the scores and lifecycle moves without writing anything to the store.")] = False,
    explain_scores: Annotated[bool, typer.Option("--explain", help="Add each lead's explanation: the rules that added points, each group before and after its cap.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Score leads (see SCORE_HELP)."""
    if ctx.invoked_subcommand is not None:
        return
    if (mapping or preset) and input_ is None:
        raise typer.BadParameter("--mapping and --preset go with --input FILE", param_hint="--mapping")
    app = app_context(ctx)
    model = app.model()
    now = parse_moment(at)
    if input_ is not None:
        rows, summary = _score_file(app, model, now, input_, mapping, preset, explain_scores)
    else:
        rows, summary = _score_store(app, model, now, dry_run, explain_scores)
    if fmt is OutputFormat.table:
        _print_summary(rows, summary, model)
        return
    columns = ROW_COLUMNS + (["explanation"] if explain_scores else [])
    emit(rows, fmt, columns=columns if fmt is OutputFormat.csv else None)
    for line in summary:
        stderr.print(line, highlight=False, soft_wrap=True)


def _score_store(app: Any, model: Any, now: datetime, dry_run: bool, explain: bool) -> tuple[list[dict], list[str]]:
    from revops.engines.scoring.combined import save_scores, score_leads, score_rows
    from revops.model.sections.workflows import watched
    from revops.engines.scoring.lifecycle import advance_lifecycle

    with app.existing_store(hint="build one with `revops demo` or `revops ingest leads FILE`, or score a "
                            "file without storing it: `revops score --input FILE`") as store:
        store.con.execute("SET enable_progress_bar = false")
        store.con.execute("BEGIN TRANSACTION")
        try:
            scored = score_leads(store, model, now, factors=explain)
            changed = save_scores(store, scored, feed=watched(model, "leads"))
            moves = advance_lifecycle(store, model, now)
            rows = score_rows(store, model, explain=explain)
        except BaseException:
            store.con.execute("ROLLBACK")
            raise
        store.con.execute("ROLLBACK" if dry_run else "COMMIT")
        if not dry_run:
            app.record_model(store, model)
    verb = "would change" if dry_run else "changed"
    summary = [f"scored {scored.leads:,} stored lead(s) as of {now:%Y-%m-%d %H:%M} UTC"
               + (f" with predictive model v{scored.model_version}" if scored.model_version else " (rules only: no predictive model is active)")
               + f"; scores {verb} on {changed:,}",
               ("dry run: " if dry_run else "") + moves.summary()]
    if dry_run:
        summary.append("dry run: nothing was written to the store")
    return rows, summary


def _score_file(app: Any, model: Any, now: datetime, path: Path, mapping: Path | None, preset: str | None,
                explain: bool) -> tuple[list[dict], list[str]]:
    from revops.engines.scoring.combined import score_leads, score_rows
    from revops.ingest.preview import read_records
    from revops.store import Store

    store = app.store(read_only=True) if app.db.exists() else Store(":memory:")
    with store:
        store.con.execute("SET enable_progress_bar = false")
        with read_records(store, "leads", path, mapping=mapping, preset=preset, model=model) as records:
            scored = score_leads(store, model, now, relation=records.relation, factors=explain)
            rows = score_rows(store, model, relation=records.relation, explain=explain)
    summary = [f"scored {scored.leads:,} lead(s) of {path} as of {now:%Y-%m-%d %H:%M} UTC, not stored"
               + (f" (predictive model v{scored.model_version})" if scored.model_version else "")]
    summary += [f"warning: {w}" for w in records.warnings]
    if records.quarantined:
        rows_out = len({q["row"] for q in records.quarantined})
        summary.append(f"{rows_out:,} row(s) of {records.rows_read:,} not scored:")
        summary += [f"  {m}" for m in records.messages()]
    return rows, summary


def _print_summary(rows: list[dict], summary: list[str], model: Any) -> None:
    from collections import Counter

    bands = Counter(r["band"] for r in rows)
    table = [{"band": b.key, "range": f"{b.min:g}-{b.max:g}", "leads": bands.get(b.key, 0),
              "mql": sum(1 for r in rows if r["band"] == b.key and r["mql"])}
             for b in sorted(model.scoring.bands, key=lambda b: -b.min)]
    emit(table, OutputFormat.table, title="Leads by score band")
    for line in summary:
        stderr.print(line, highlight=False, soft_wrap=True)
    stderr.print("one row per lead: --format json or csv; why a lead scored what it did: "
                 "`revops score explain LEAD_ID`", highlight=False)


def explain(
    ctx: typer.Context,
    lead_id: Annotated[str, typer.Argument(help="The stored lead to explain.")],
    at: AtOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Why a stored lead has its score: rules, caps, predictive factors and lifecycle moves."""
    from revops.engines.scoring.combined import score_history, score_leads, score_rows
    from revops.engines.scoring.lifecycle import lead_history

    app = app_context(ctx)
    model = app.model()
    now = parse_moment(at)
    with app.existing_store(read_only=True, hint="point --db / REVOPS_DB at the store that holds the lead") as store:
        found = store.con.execute("SELECT count(*) FROM leads WHERE lead_id = ?", [lead_id]).fetchall()[0][0]
        if not found:
            raise StoreError(f"no lead {lead_id!r} in {app.db}; `revops score --format csv` lists the lead ids")
        score_leads(store, model, now, lead_ids=[lead_id], factors=True)
        [row] = score_rows(store, model, explain=True)
        history = lead_history(store, lead_id)
        scores = score_history(store, lead_id)
    data = {**{k: row[k] for k in ROW_COLUMNS}, "as_of": now, **row["explanation"], "lifecycle": history,
            "score_history": scores}
    if fmt is not OutputFormat.table:
        emit(data, fmt)
        return
    _print_explanation(data)


def _print_explanation(data: dict[str, Any]) -> None:
    from rich.console import Console

    out = Console()
    predicted = data["predicted_conversion"]
    out.print(f"[bold]{data['lead_id']}[/]: score {data['score']:g} ({data['band'] or 'no band'}"
              f"{', MQL' if data['mql'] else ''}), lifecycle stage {data['status'] or 'none'}, "
              f"as of {data['as_of']:%Y-%m-%d %H:%M} UTC", highlight=False)
    if predicted is not None:
        out.print(f"  rules {data['rules_score']:g} blended with predicted conversion {predicted:.1%} "
                  f"(predictive_weight {data['predictive_weight']:g})", highlight=False)
    rows = []
    for g in data["groups"]:
        cap = f" (cap {g['cap']:g}, before cap {g['uncapped']:.2f})" if g["capped"] else ""
        rows.append({"group": g["label"], "rule": "", "events": "", "points": f"{g['points']:g}{cap}"})
        for r in g["rules"]:
            events = "" if r["events"] is None else r["events"]
            counted = f" -> {r['counted']:.2f}" if g["capped"] else ""
            rows.append({"group": "", "rule": r["label"], "events": events, "points": f"{r['points']:.2f}{counted}"})
    emit(rows, OutputFormat.table, columns=["group", "rule", "events", "points"], title="Rules score")
    if data["top_factors"]:
        emit([{k: f.get(k) for k in ("feature", "value", "contribution")} for f in data["top_factors"]],
             OutputFormat.table, title="Predictive model: top factors")
    if data["lifecycle"]:
        emit(data["lifecycle"], OutputFormat.table, columns=["changed_at", "from_stage", "to_stage", "reason"],
             title="Lifecycle moves")
    if data["score_history"]:
        emit(data["score_history"], OutputFormat.table,
             columns=["scored_at", "score", "fit", "intent", "engagement", "predicted_conversion", "model_version",
                      "source"], title="Score history (each scoring that changed the score)")


def calibration(
    ctx: typer.Context,
    days: Annotated[float, typer.Option("--days", min=0, help="Score each lead as it stood this many days after it arrived (when it was routed and worked).")] = 7.0,
    settle_days: Annotated[Optional[float], typer.Option("--settle-days", min=0, help="A lead's outcome counts once it is this many days older than the newest lead (default: the days within which 95% of conversions happened).")] = None,
    at: AtOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Score band against actual conversion; flags bands that do not convert better than the one below."""
    from revops.engines.scoring.calibration import calibration_report

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        report = calibration_report(store, model, parse_moment(at), days=days, settle_days=settle_days)
    if fmt is OutputFormat.json:
        emit(report.to_dict(), fmt)
        return
    columns = ["band", "min", "max", "leads", "converted", "conversion_rate", "avg_score",
               "avg_predicted_conversion", "increasing"]
    rows = report.rows()
    if fmt is OutputFormat.csv:
        emit(rows, fmt, columns=columns)
        return
    for r in rows:
        r["conversion_rate"] = None if r["conversion_rate"] is None else f"{r['conversion_rate']:.1%}"
        r["avg_score"] = None if r["avg_score"] is None else round(r["avg_score"], 1)
        p = r["avg_predicted_conversion"]
        r["avg_predicted_conversion"] = None if p is None else f"{p:.1%}"
    emit(rows, fmt, columns=columns, title=f"Score bands against conversion ({report.leads:,} leads with a known "
                                           f"outcome, scored {days:g} days after arrival)")
    mql = report.mql_conversion_rate
    below = report.below_mql_conversion_rate
    if mql is not None or below is not None:
        typer.echo(f"MQL (score >= {report.mql_threshold:g}) converts {_pct(mql)}; below it {_pct(below)}.")
    for flag in report.flags:
        typer.echo(f"flag: {flag}")
    typer.echo(report.guidance)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
