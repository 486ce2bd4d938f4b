"""`revops quality`: the data-quality score of each table (and owner), the records that break
the model's validation rules, and the completeness of each tracked field (docs/quality.md).

    revops quality score [--table leads,contacts] [--by owner] [--as-of DAY]
    revops quality rules                     # each rule: records checked, broken, pass rate
    revops quality violations [--rule KEY] [--owner usr_1] [--limit 200]
    revops quality fields                    # share filled of each tracked field
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, comma_list, emit

quality_app = typer.Typer(help="Data quality: validation rules, completeness, duplicates and staleness as a "
                               "0-100 score per table and owner.", no_args_is_help=True, add_completion=False)

TableOption = Annotated[Optional[str], typer.Option("--table", help="Only these tables: leads, contacts, accounts, opportunities (comma-separated).")]
AsOfOption = Annotated[Optional[str], typer.Option("--as-of", help="Judge as of this moment, YYYY-MM-DD[THH:MM] (a day alone: its end): today() in rules and staleness count from it; records created later are left out. Default: now.")]
SCORE_COLUMNS = ["table", "owner_id", "records", "score", "validity", "completeness", "uniqueness", "freshness",
                 "violations", "duplicates", "stale"]


def register(app: typer.Typer) -> None:
    app.add_typer(quality_app, name="quality")


def _check(ctx: typer.Context, as_of: str | None) -> tuple[Any, Any]:
    from revops.engines.quality import QualityCheck
    from revops.moments import parse_moment

    app = app_context(ctx)
    model = app.model()
    store = app.existing_store(read_only=True)
    moment = parse_moment(as_of, "--as-of")
    if as_of and len(as_of.strip()) == 10:
        from datetime import timedelta

        moment = moment + timedelta(days=1) - timedelta(microseconds=1)
    return store, QualityCheck(store.con, model, as_of=moment)


def _tables(text: str | None) -> list[str] | None:
    from revops.errors import RevopsError
    from revops.model.sections.quality import QUALITY_TABLES

    tables = list(comma_list(text))
    unknown = [t for t in tables if t not in QUALITY_TABLES]
    if unknown:
        raise RevopsError(f"--table: unknown table {unknown[0]!r}; one of {', '.join(QUALITY_TABLES)}")
    return tables or None


@quality_app.command("score")
def score(
    ctx: typer.Context,
    table: TableOption = None,
    by: Annotated[Optional[str], typer.Option("--by", help="owner: one row per table and owner (contacts: their account's owner).")] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The score (0-100) of each table: validity, completeness, uniqueness and freshness, weighted
    as data_quality.weights says."""
    from revops.errors import RevopsError

    if by not in (None, "owner"):
        raise RevopsError(f"--by takes owner, not {by!r}")
    tables = _tables(table)
    store, check = _check(ctx, as_of)
    with store:
        rows = [s.to_dict() for s in check.scores(tables=tables, by_owner=by == "owner")]
    columns = SCORE_COLUMNS if by else [c for c in SCORE_COLUMNS if c != "owner_id"]
    if fmt is OutputFormat.table:
        rows = [{**r, "owner_id": r["owner_id"] or "(no owner)", "score": "n/a" if r["score"] is None else r["score"],
                 **{k: "n/a" if r[k] is None else f"{r[k]:.1%}"
                    for k in ("validity", "completeness", "uniqueness", "freshness")}} for r in rows]
    emit(rows, fmt, columns=columns, title=f"Data quality as of {check.as_of:%Y-%m-%d %H:%M}",
         caption="score = 100 x weighted validity, completeness, uniqueness, freshness (docs/quality.md)")


@quality_app.command("rules")
def rules(ctx: typer.Context, as_of: AsOfOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Each validation rule: the records it checked, how many break it, the pass rate."""
    store, check = _check(ctx, as_of)
    with store:
        rows = check.rule_counts()
    if fmt is OutputFormat.table:
        rows = [{**r, "pass_rate": "n/a (none checked)" if not r["checked"] else f"{r['pass_rate']:.1%}"} for r in rows]
    emit(rows, fmt, columns=["rule", "table", "severity", "checked", "broken", "pass_rate", "message"])


@quality_app.command("violations")
def violations(
    ctx: typer.Context,
    table: TableOption = None,
    rule: Annotated[Optional[str], typer.Option("--rule", help="Only this rule (its key).")] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", help="Only records of these owners (user ids, comma-separated).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many records, critical first.")] = 200,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The records that break a rule, critical first: table, record, owner, rule and what to fix."""
    from revops.errors import RevopsError

    store, check = _check(ctx, as_of)
    if rule and rule not in {r.key for r in check.dq.rules}:
        store.close()
        raise RevopsError(f"--rule: no data quality rule {rule!r}; `revops quality rules` lists them")
    owners = set(comma_list(owner)) or None
    if owners:
        known = {r[0] for r in store.con.execute("SELECT user_id FROM users").fetchall()}
        unknown = sorted(owners - known)
        if unknown:
            store.close()
            raise RevopsError(f"--owner: no user {unknown[0]!r} in the store (users.user_id)")
    with store:
        rows = check.violations(tables=_tables(table), rule=rule, owner_ids=owners, limit=limit)
    emit(rows, fmt, columns=["table", "record_id", "owner_id", "rule", "severity", "value", "message"])


@quality_app.command("fields")
def fields(ctx: typer.Context, table: TableOption = None, as_of: AsOfOption = None,
           fmt: FormatOption = OutputFormat.table) -> None:
    """The share filled of each field data_quality.completeness tracks."""
    store, check = _check(ctx, as_of)
    with store:
        rows = check.fields(tables=_tables(table))
    if fmt is OutputFormat.table:
        rows = [{**r, "completeness": f"{r['completeness']:.1%}"} for r in rows]
    emit(rows, fmt, columns=["table", "field", "records", "filled", "completeness"])
