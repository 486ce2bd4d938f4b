"""`revops dedupe` and `revops match-account`: duplicate records, and which account a person
belongs to.

    revops dedupe --table contacts                 # dry run: the pairs, their probability and why
    revops dedupe --table contacts --format json   # one row per clustered record: cluster_id, record_id, match_probability
    revops dedupe --table accounts --apply         # merge every cluster (recorded in _merges)
    revops dedupe --undo mrg_1a2b3c4d5e6f          # put a merge back exactly
    revops dedupe merges                           # the latest merges
    revops dedupe weights --table contacts         # every comparison level: m, u and its weight
    revops match-account --company "ACME Inc." --email ana@acme.com --format json
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

dedupe_app = typer.Typer(help="Duplicate contacts, leads and accounts: find them, merge them, undo a merge.",
                         invoke_without_command=True, add_completion=False)


class DedupeTable(str, Enum):
    contacts = "contacts"
    leads = "leads"
    accounts = "accounts"


ROW_COLUMNS = ["cluster_id", "record_id", "match_probability", "survivor", "reasons"]
SHOWN_PAIRS = 25
STEPS = 7  # read, lambda, u, EM x2, score, cluster


def register(app: typer.Typer) -> None:
    app.add_typer(dedupe_app, name="dedupe")
    app.command("match-account")(match_account)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A Rich progress bar on stderr advancing one step per message (stdout keeps the rows)."""
    if not enabled:
        yield lambda _msg: None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task("finding duplicates", total=STEPS)

        def say(message: str) -> None:
            bar.update(task, description=message, advance=1)

        yield say


def _backend(ctx: typer.Context, option: str | None) -> str | None:
    backend = option or app_context(ctx).backend
    if backend and "://" in backend and not backend.startswith(("spark://", "duckdb://")):
        from revops.engines.identity.errors import IdentityError

        raise IdentityError(f"duplicates are found on the store (DuckDB) or on Spark, not on {backend!r}: "
                            "use --backend spark://local[2] or leave --backend out")
    return backend if backend and backend.startswith("spark://") else None


@dedupe_app.callback()
def dedupe(
    ctx: typer.Context,
    table: Annotated[DedupeTable, typer.Option("--table", "-t", help="Which records to deduplicate.")] = DedupeTable.contacts,
    apply: Annotated[bool, typer.Option("--apply", help="Merge every cluster at or above the match threshold "
                                        "(default: a dry run that lists them).")] = False,
    undo: Annotated[Optional[str], typer.Option("--undo", metavar="MERGE_ID",
                                                help="Undo a merge: the records and references as they were.")] = None,
    backend: Annotated[Optional[str], typer.Option("--backend", help="spark://local[2] or spark://HOST:PORT to "
                                                   "score pairs on Spark (default: DuckDB, or the global --backend).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Find duplicate records with Splink (weights trained on the store by EM), cluster the pairs
    at or above identity.<table>.match_threshold of revops.yaml and say why each pair matched.
    A dry run unless --apply; --apply merges each cluster into its survivor by the survivorship
    rules, repoints references and records the merge in _merges (undo with --undo MERGE_ID)."""
    if ctx.invoked_subcommand is not None:
        return
    app = app_context(ctx)
    if undo:
        from revops.engines.identity import undo_merge

        with app.existing_store() as store:
            done = undo_merge(store, undo, by=app.user())
        if fmt is OutputFormat.table:
            stderr.print(f"undone {done['merge_id']}: {', '.join(done['restored'])} restored in {done['table']}, "
                         f"{done['references']} reference(s) pointed back", highlight=False)
        else:
            emit(done, fmt)
        return
    from revops.engines.identity import apply_merges, find_duplicates

    model = app.model()
    where = _backend(ctx, backend)
    with app.existing_store(read_only=not apply) as store:
        store.con.execute("SET enable_progress_bar = false")
        with _progress(fmt is OutputFormat.table or apply) as say:
            report = find_duplicates(store.con, model, table.value, backend=where, progress=say)
            merged = apply_merges(store, report, model, by=app.user()) if apply else None
    rows = report.rows()
    if merged is not None:
        by_survivor = {m["survivor_id"]: m["merge_id"] for m in merged.merges}
        for row in rows:
            row["merge_id"] = by_survivor.get(row["cluster_id"])
    if fmt is not OutputFormat.table:
        emit(rows, fmt, columns=ROW_COLUMNS + (["merge_id"] if merged is not None else []))
        return
    _print_report(report, merged)


def _print_report(report: Any, merged: Any) -> None:
    console = Console()
    matches, reviews = report.matches, report.reviews
    for title, pairs in (("Duplicates", matches), ("To review", reviews)):
        if not pairs:
            continue
        shown = Table(title=f"{title} in {report.table}: {len(pairs)} pair(s)"
                      + (f", the first {SHOWN_PAIRS}" if len(pairs) > SHOWN_PAIRS else ""))
        for column in ("record", "record", "probability", "why"):
            shown.add_column(column, overflow="fold")
        for p in pairs[:SHOWN_PAIRS]:
            shown.add_row(p.record_id_l, p.record_id_r, f"{p.probability:.4f}",
                          "; ".join(str(r) for r in p.reasons[:4]))
        console.print(shown)
    in_clusters = sum(len(m) for m in report.clusters.values())
    weights = "trained on the store (EM)" if report.trained else "built-in priors (too few records to train on)"
    console.print(f"{report.records:,} {report.table}: {len(matches):,} pair(s) at or above {report.match_threshold} "
                  f"in {len(report.clusters):,} cluster(s) of {in_clusters:,} records; {len(reviews):,} pair(s) "
                  f"from {report.review_threshold} to review. Weights: {weights}.", highlight=False)
    if merged is None:
        console.print("Dry run: nothing merged. `revops dedupe --table "
                      f"{report.table} --apply` merges the clusters; --format json lists them.", highlight=False)
    else:
        console.print(f"Merged {merged.merged_records:,} record(s) into {len(merged.merges):,} survivor(s); "
                      "`revops dedupe merges` lists them, `revops dedupe --undo MERGE_ID` undoes one.",
                      highlight=False)
    console.print("Each reason is a comparison level and its weight (log2 of how much more often it is seen "
                  "between records of one entity than of two): docs/identity.md.", style="dim", highlight=False)


@dedupe_app.command("weights")
def weights_cmd(
    ctx: typer.Context,
    table: Annotated[DedupeTable, typer.Option("--table", "-t", help="Which records' model.")] = DedupeTable.contacts,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The model behind the probabilities, trained on the store as `revops dedupe` does: each
    comparison level with m (how often seen between records of one entity), u (between two
    different ones) and its weight, log2(m/u)."""
    import math

    from revops.engines.identity.prepare import prepared_records
    from revops.engines.identity.train import train

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store, _progress(fmt is OutputFormat.table) as say:
        records = prepared_records(store.con, table.value)
        trained = train(records, table.value, min_records=model.identity.rules(table.value).min_records_to_train,
                        progress=say)
    rows = [{**level, "weight": round(math.log2(level["bayes_factor"]), 2) if level["bayes_factor"] else None}
            for level in trained.levels()]
    emit(rows, fmt, columns=["comparison", "gamma", "label", "m", "u", "weight"],
         title=f"Comparison levels of {table.value} ({'trained on' if trained.trained else 'priors: too few'} "
               f"{trained.records:,} records)")


@dedupe_app.command("merges")
def merges_cmd(
    ctx: typer.Context,
    table: Annotated[Optional[DedupeTable], typer.Option("--table", "-t", help="Only merges of this table.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 50,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The latest merges: merge_id, table, survivor, the records merged into it, when, by whom,
    and when it was undone."""
    from revops.engines.identity import merges

    app = app_context(ctx)
    with app.existing_store() as store:
        rows = merges(store, table.value if table else None, limit)
    emit(rows, fmt, columns=["merge_id", "table_name", "survivor_id", "merged_ids", "probability", "merged_at",
                             "merged_by", "undone_at"], title="Merges")


def match_account(
    ctx: typer.Context,
    company: Annotated[Optional[str], typer.Option("--company", help="The person's company name, as written.")] = None,
    email: Annotated[Optional[str], typer.Option("--email", help="The person's e-mail address.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Which account a person belongs to: by e-mail domain (free mail never), then by company
    name (exact, normalised, acronym, first words of a longer name, fuzzy), ties broken by owner,
    open deals, recent activity, customer, age. Prints account_id, confidence (0-1) and method."""
    from revops.engines.identity import match_account as find

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        found = find(store.con, model, company=company, email=email)
    row = found.as_dict()
    if fmt is OutputFormat.table:
        emit([{"field": k, "value": v} for k, v in row.items()], fmt, columns=["field", "value"],
             title="Account match")
    else:
        emit(row, fmt)
