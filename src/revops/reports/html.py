"""The HTML of a report: one self-contained page (inline CSS and SVG, no script, no external
asset) that prints on A4 or Letter, a section per page group, tables never cut mid-row.

A ``Page`` collects sections; every number written through ``Page.metric`` (a metric of the
metrics layer) or ``Page.number`` (a number an engine gives, with its written definition)
carries its definition in a ``title`` attribute and lands in the definitions appendix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Any

from revops.engines.metrics import get

CSS = """
@page { margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; }
  section { break-before: page; }
  section.first { break-before: auto; }
  table, tr, .chart, .tiles, figure { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  abbr[title], span[title] { text-decoration: none; }
}
body { font: 10.5pt/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2937;
       max-width: 190mm; margin: 0 auto; padding: 8mm 4mm; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; border-bottom: 1px solid #d1d5db; padding-bottom: 1mm; margin-top: 8mm; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
p.meta, p.note { color: #6b7280; font-size: 9pt; margin: 1mm 0; }
.tiles { display: flex; flex-wrap: wrap; gap: 3mm; margin: 2mm 0; }
.tile { border: 1px solid #e5e7eb; border-radius: 2mm; padding: 2mm 3mm; min-width: 38mm; }
.tile .label { color: #6b7280; font-size: 8.5pt; }
.tile .value { font-size: 14pt; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; font-size: 9pt; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 1mm 2mm; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th { color: #374151; font-weight: 600; background: #f9fafb; }
span[title] { text-decoration: underline dotted #9ca3af; cursor: help; }
.charts { display: flex; flex-wrap: wrap; gap: 4mm; }
dl.definitions dt { font-weight: 600; margin-top: 2mm; }
dl.definitions dd { margin: 0 0 1mm 4mm; font-size: 9pt; }
.bad { color: #b91c1c; } .good { color: #047857; }
"""


def fmt_value(value: Any, unit: str, currency: str = "") -> str:
    """A value written the way `revops metrics` prints it as a table: currency whole, ratios
    of a share as percentages with one decimal, other ratios with two decimals and x."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if unit in ("currency", "currency_per_day"):
        text = f"{v:,.0f}"
        text = f"{currency} {text}" if currency else text
        return f"{text}/day" if unit == "currency_per_day" else text
    if unit == "count":
        return f"{v:,.0f}"
    if unit == "percent":
        return f"{v * 100:,.1f}%"
    if unit == "multiple":
        return f"{v:,.2f}x"
    if unit in ("days", "months", "minutes"):
        return f"{v:,.1f} {unit}"
    return f"{v:,.2f}"


PERCENT_RATIOS = frozenset({"win_rate", "win_rate_value", "stage_conversion_rate", "mql_to_sql_rate",
                            "sql_to_opportunity_rate", "lead_to_customer_rate", "first_contact_sla_breach_rate",
                            "nrr", "grr", "logo_churn_rate", "quota_attainment", "sla_attainment_rate",
                            "routed_to_queue_rate", "fallback_rate"})
"""Ratios that are shares of a whole: shown as percentages."""


def metric_unit(metric: Any) -> str:
    if metric.unit == "ratio":
        return "percent" if metric.name in PERCENT_RATIOS or metric.name.endswith("_rate") else "multiple"
    return metric.unit


@dataclass
class Definition:
    name: str
    text: str
    source: str


@dataclass
class Page:
    """One report being written."""

    model: Any
    title: str
    meta: str
    sections: list[str] = field(default_factory=list)
    definitions: dict[str, Definition] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.model.company.currency

    # -- numbers -------------------------------------------------------------------------
    def define_metric(self, name: str) -> Definition:
        if name not in self.definitions:
            m = get(self.model, name)
            self.definitions[name] = Definition(name, f"{m.description} {m.definition}",
                                                f"metrics layer (`revops explain {name}`); based on {m.based_on}")
        return self.definitions[name]

    def metric(self, name: str, value: Any) -> str:
        """``value`` of metric ``name``, formatted, with its definition on hover."""
        d = self.define_metric(name)
        text = fmt_value(value, metric_unit(get(self.model, name)), self.currency)
        return f'<span title="{escape(d.text)}" data-metric="{escape(name)}">{escape(text)}</span>'

    def metric_fmt(self, name: str):
        unit = metric_unit(get(self.model, name))
        return lambda v: fmt_value(v, unit, self.currency)

    def define(self, name: str, text: str, source: str) -> Definition:
        self.definitions.setdefault(name, Definition(name, text, source))
        return self.definitions[name]

    def number(self, name: str, value: Any, unit: str = "currency") -> str:
        """A number an engine gives (defined with ``define`` first), with its definition on hover."""
        d = self.definitions[name]
        text = fmt_value(value, unit, self.currency)
        return f'<span title="{escape(d.text)}" data-number="{escape(name)}">{escape(text)}</span>'

    # -- blocks --------------------------------------------------------------------------
    def section(self, heading: str, *blocks: str) -> None:
        first = " class=\"first\"" if not self.sections else ""
        self.sections.append(f"<section{first}><h2>{escape(heading)}</h2>{''.join(blocks)}</section>")

    def render(self) -> str:
        appendix = "".join(f"<dt>{escape(d.name)}</dt><dd>{escape(d.text)} <em>({escape(d.source)})</em></dd>"
                           for d in sorted(self.definitions.values(), key=lambda d: d.name))
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{escape(self.title)}</title><style>{CSS}</style></head><body>"
                f"<header><h1>{escape(self.title)}</h1><p class=\"meta\">{escape(self.meta)}</p></header>"
                + "".join(self.sections)
                + f"<section id=\"definitions\"><h2>Definitions</h2><dl class=\"definitions\">{appendix}</dl></section>"
                + "</body></html>\n")


def tiles(items: list[tuple[str, str]]) -> str:
    """Headline numbers: (label, already formatted HTML) pairs."""
    return "<div class=\"tiles\">" + "".join(
        f"<div class=\"tile\"><div class=\"label\">{escape(label)}</div><div class=\"value\">{html}</div></div>"
        for label, html in items) + "</div>"


def table(columns: list[str], rows: list[list[str]], numeric: set[int] | None = None, caption: str = "") -> str:
    """A table; cells are HTML already (escape text with ``text``). Columns at ``numeric``
    indices are right-aligned."""
    numeric = numeric if numeric is not None else set(range(1, len(columns)))
    head = "".join(f"<th class=\"num\">{escape(c)}</th>" if i in numeric else f"<th>{escape(c)}</th>"
                   for i, c in enumerate(columns))
    body = "".join("<tr>" + "".join(f"<td class=\"num\">{c}</td>" if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    if not rows:
        body = f"<tr><td colspan=\"{len(columns)}\">nothing in this period</td></tr>"
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def text(value: Any) -> str:
    return "–" if value is None else escape(str(value))


def note(words: str) -> str:
    return f"<p class=\"note\">{escape(words)}</p>"


def heading(words: str) -> str:
    return f"<h3>{escape(words)}</h3>"


def charts(*svgs: str) -> str:
    return "<div class=\"charts\">" + "".join(f"<figure>{s}</figure>" for s in svgs) + "</div>"
