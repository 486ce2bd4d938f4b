"""`revops score train` and `revops score models`: the predictive conversion model.

    revops score train [--report] [--window-days D] [--outcome-days D] [--exclude COL,...]
    revops score models [--version N] [--activate N]

`train` learns from the stored leads whose `converted` is known, validates on the newest
leads, stores a new active version and prints model_version, auc, n_train, n_test and
features (with --report also the calibration table and lift by decile). With too little
history it says so and exits 1: the scoring rules carry on alone.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr
from revops.errors import TrainingError

CALIBRATION_COLUMNS = ["bin", "leads", "predicted_from", "predicted_to", "predicted", "actual", "conversions"]
LIFT_COLUMNS = ["decile", "leads", "conversions", "conversion_rate", "lift", "captured"]


def register_train(score_app: typer.Typer) -> None:
    score_app.command("train")(train)
    score_app.command("models")(models)


def _existing_store(ctx: typer.Context, *, read_only: bool) -> Any:
    return app_context(ctx).existing_store(read_only=read_only)


def train(
    ctx: typer.Context,
    report: Annotated[bool, typer.Option("--report", help="Also print the test report: calibration by bin and lift by decile.")] = False,
    window_days: Annotated[float, typer.Option("--window-days", min=0, help="Features are what was known this many days after a lead was created (default 0: at arrival). A longer window adds early touches, but leads younger than it are scored on part of theirs.")] = 0.0,
    outcome_days: Annotated[Optional[float], typer.Option("--outcome-days", min=0, help="Leave out leads created this close to the newest one: their outcome is still open (default: the days within which 95% of conversions happened).")] = None,
    exclude: Annotated[Optional[str], typer.Option("--exclude", help="Custom lead attributes to keep out of the model, comma-separated (e.g. ones filled in after the outcome).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Train a conversion model on stored leads with a known outcome; it becomes the active version."""
    from revops.engines.scoring.predictive import TrainingOptions
    from revops.engines.scoring.predictive import train as train_model

    options = TrainingOptions(window_days=window_days, outcome_days=outcome_days,
                              exclude=tuple(c.strip() for c in (exclude or "").split(",") if c.strip()))
    with _existing_store(ctx, read_only=False) as store:
        if fmt is not OutputFormat.json:
            stderr.print("training the conversion model on stored leads with a known outcome …")
        result = train_model(store, options)
    summary = {"model_version": result.version, "auc": result.metrics["auc"], "n_train": result.n_train,
               "n_test": result.n_test, "features": result.features}
    _print_model(summary, result.algorithm, result.metrics, report, fmt)


def models(
    ctx: typer.Context,
    version: Annotated[Optional[int], typer.Option("--version", help="Print this version's full report (calibration, lift, features).")] = None,
    activate: Annotated[Optional[int], typer.Option("--activate", help="Make this version the active model again (roll back or forward).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The stored conversion model versions, the active one marked; or one version's report."""
    from revops.engines.scoring import versions

    with _existing_store(ctx, read_only=activate is None) as store:
        if activate is not None:
            versions.activate(store, activate)
            if fmt is not OutputFormat.json:
                stderr.print(f"conversion model version {activate} is now active")
        if version is not None:
            found = versions.get_version(store, version)
            if found is None:
                raise TrainingError(f"no conversion model version {version} in {store.path}; "
                                    "`revops score models` lists them")
            summary = {"model_version": found.version, "auc": found.metrics.get("auc"), "n_train": found.n_train,
                       "n_test": found.n_test, "features": found.features}
            _print_model(summary, found.algorithm, found.metrics, True, fmt)
            return
        rows = [{"version": v.version, "active": v.active, "trained_at": v.trained_at, "algorithm": v.algorithm,
                 "auc": v.metrics.get("auc"), "brier": v.metrics.get("brier"),
                 "calibration_error": v.metrics.get("calibration_error"), "n_train": v.n_train,
                 "n_test": v.n_test, "features": len(v.features)} for v in versions.list_versions(store)]
    if not rows and fmt is not OutputFormat.json:
        stderr.print("no conversion model trained yet: `revops score train` trains one")
    if fmt is OutputFormat.table:
        rows = [{**r, "trained_at": f"{r['trained_at']:%Y-%m-%d %H:%M}"} for r in rows]
    emit(rows, fmt, columns=["version", "active", "trained_at", "algorithm", "auc", "brier", "calibration_error",
                             "n_train", "n_test", "features"])


def _print_model(summary: dict[str, Any], algorithm: str, metrics: dict[str, Any], report: bool,
                 fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        emit({**summary, "report": {"algorithm": algorithm, **metrics}} if report else summary, fmt)
        return
    split = metrics.get("split", {})
    period = (f"trained on leads created {split.get('train_from', '?')[:10]} – {split.get('train_to', '?')[:10]}, "
              f"tested on {split.get('test_from', '?')[:10]} – {split.get('test_to', '?')[:10]}"
              if split.get("kind") == "time" else "stratified random split (created_at does not vary)")
    rows = [
        {"measure": "model_version", "value": summary["model_version"]},
        {"measure": "algorithm", "value": algorithm},
        {"measure": "auc", "value": metrics.get("auc")},
        {"measure": "brier", "value": metrics.get("brier")},
        {"measure": "brier_baseline", "value": metrics.get("brier_baseline")},
        {"measure": "calibration_error", "value": metrics.get("calibration_error")},
        {"measure": "mean_predicted / actual", "value": f"{metrics.get('mean_predicted')} / {metrics.get('actual_rate')}"},
        {"measure": "n_train", "value": summary["n_train"]},
        {"measure": "n_test", "value": summary["n_test"]},
        {"measure": "features", "value": ", ".join(summary["features"])},
    ]
    if fmt is OutputFormat.csv:
        if not report:
            emit(rows, fmt)
            return
        # one CSV: calibration bins then deciles, told apart by `section`
        sections = ([{"section": "calibration", **r} for r in metrics.get("calibration", [])]
                    + [{"section": "lift", **r} for r in metrics.get("lift", [])])
        emit(sections, fmt, columns=["section", *CALIBRATION_COLUMNS, *LIFT_COLUMNS[:1],
                                     *[c for c in LIFT_COLUMNS[1:] if c not in CALIBRATION_COLUMNS]])
        return
    if fmt is OutputFormat.table:
        emit(rows, fmt, title=f"Conversion model v{summary['model_version']}: {period}")
    if not report:
        return
    emit(metrics.get("calibration", []), fmt, columns=CALIBRATION_COLUMNS,
         title="Calibration on the test leads: predicted against actual, by bin")
    emit(metrics.get("lift", []), fmt, columns=LIFT_COLUMNS,
         title="Lift by decile on the test leads (decile 1: the tenth rated highest)")
    if fmt is OutputFormat.table:
        emit(metrics.get("importance", []), fmt, columns=["feature", "share"],
             title="What the model leans on: share of split gain")
        for item in metrics.get("excluded", []):
            stderr.print(f"kept out: {item['column']} — {item['reason']}")
