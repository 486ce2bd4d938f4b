"""The metric reference (docs/metrics.md), written from the catalogue itself so the document
and the code cannot disagree:

    python -m revops.engines.metrics.reference > docs/metrics.md
"""

from __future__ import annotations

import sys

from revops.engines.metrics.registry import builtin

INTRO = """# Metrics

Every number revops reports is defined once, in `src/revops/engines/metrics/`, and every
surface (CLI, Python API, REST API, dashboard, reports) asks the same code for it.
This page is generated from that code (`python -m revops.engines.metrics.reference`).

    revops metrics NAME [NAME ...] [--by DIM[,DIM]] [--period month|quarter|year]
                   [--from DATE] [--to DATE] [--as-of DATE] [--where EXPR] [--format json]
    revops metrics --list
    revops explain NAME            # the definition, its inputs and the SQL for the backend in use
    revops snapshot [--date DATE]  # store the day's open pipeline

```python
import revops.metrics
revops.metrics.compute("win_rate", by=["source"], period="quarter", db="demo.duckdb")

# many requests about the same moment share facts and results (one query per shared fact)
with revops.metrics.session(db="demo.duckdb") as s:
    s.compute(["win_rate", "avg_deal_size"], by=["source"], period="quarter")
    s.compute(["mrr", "nrr"], by=["segment"], period="quarter")
```

## How numbers are computed

Each request is a handful of SQL queries on the backend in use, whatever the number of
metrics asked: metrics over the same rows and date (every closed-deal metric, every
recurring-revenue metric of a window, every MQL-dated lead metric) are answered by one
query with filtered aggregates; formulas over other metrics (pipeline velocity, CAC
payback) are combined from those results. Periods are grouped as integer keys and named on
the small result. Business minutes (speed to lead, SLAs) are counted in SQL against a small
calendar table (`engines/sla/business_clock.py`), so no row leaves the backend.

## How numbers are bucketed

- `--period` buckets each metric by the date it is based on (below): closed-deal metrics by
  `close_date`, creation metrics by `created_at`, open pipeline by the `close_date` it is
  expected on. Quarters and years are fiscal (`company.fiscal_year_start_month`); a fiscal
  year that does not start in January is named after the calendar year it ends in. Labels:
  `2026-03`, `2026-Q1`, `2026`.
- `--from` / `--to` limit that same date. Without dimensions, every period of the range gets
  a row: 0 for counts and sums where nothing happened, null for rates and averages.
- `--by` takes any column of the metric's rows (custom attributes included), `owner` /
  `account`, any column of the owner (users: `team`, `region`, `segment`, …) or of the account
  (`industry`, `country`, `employees`, …), or `owner_<column>` / `account_<column>` to be
  explicit. An unknown name is refused with the list of names the metric accepts.
- `--where` filters the same rows with the model's expression language
  (`--where "segment = 'smb' and amount > 10000"`).
- `--as-of DATE` computes the metric as the data looked at the end of that day: deals take the
  state of their last `opportunity_history` row on or before it; a deal without history that
  closed after the day was open then (in a stage nobody recorded, weighted at the first open
  stage's probability); leads forget lifecycle steps taken later; nothing created later exists.
- Custom metrics are declared in `revops.yaml` under `metrics:` (count, sum, average with a
  filter, or the ratio of two metrics, built-in or custom) and run through the same code.

## How numbers are printed

`--format json` and `csv` keep every value at full precision (no rounding to cents); a
metric whose unit is a count is a whole number (`31`, not `31.0`). The table rounds by the
metric's format: currency to whole units, percentages and durations (days, months, minutes)
to one decimal with their unit, ratios to two decimals, counts whole.

## Built-in metrics

| metric | unit | good when | definition | based on |
| --- | --- | --- | --- | --- |
"""


def render() -> str:
    lines = [INTRO.rstrip("\n")]
    for m in builtin().values():
        definition = m.definition.replace("|", "\\|")
        lines.append(f"| `{m.name}` | {m.unit} | {m.direction} | {m.description} {definition} | "
                     f"{m.based_on} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
