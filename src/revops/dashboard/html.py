"""The HTML every page shares: the shell (left nav, header with who is signed in, the filter
bar), cards of headline numbers, tables, and chart containers that ``static/dashboard.js``
draws with plotly.js. Cells and card values are HTML already (``text`` escapes text)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from revops import __version__
from revops.dashboard.view import View

NAV = (("home", "/", "Home"), ("funnel", "/funnel", "Funnel"), ("pipeline", "/pipeline", "Pipeline"),
       ("forecast", "/forecast", "Forecast"), ("leads", "/leads", "Leads & SLAs"),
       ("customers", "/customers", "Customers"), ("quality", "/quality", "Data quality"),
       ("definitions", "/definitions", "Definitions"))
VIEW_NAMES = {"executive": "Executive view", "team": "Team view", "own": "My deals"}


def text(value: Any) -> str:
    return "–" if value is None or value != value else escape(str(value))


def head(title: str, plotly: bool = False) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">"
            f"<title>{escape(title)} · revops</title>"
            f"<link rel=\"stylesheet\" href=\"/static/dashboard.css?v={__version__}\">"
            + (f"<script src=\"/static/plotly.min.js?v={__version__}\" defer></script>" if plotly else "") +
            f"<script src=\"/static/dashboard.js?v={__version__}\" defer></script></head>")


def shell(view: View, active: str, title: str, body: str, choices: dict[str, list[tuple[str, str]]] | None = None,
          subtitle: str = "", fresh: bool = True) -> str:
    """A whole page: nav, header, filter bar (when ``choices`` are given) and ``body``."""
    q = view.query()
    nav = "".join(f"<a href=\"{href}{escape(q)}\" class=\"{'active' if key == active else ''}\">{escape(label)}</a>"
                  for key, href, label in NAV)
    who = escape(view.principal.name or view.principal.user_id or view.principal.key_id)
    bar = filter_bar(view, choices) if choices is not None else ""
    return (head(title, plotly="class=\"chart\"" in body) + "<body><nav class=\"side\"><div class=\"brand\">revops</div>" + nav + "</nav>"
            "<div class=\"main\"><header class=\"top\"><div><h1>" + escape(title) + "</h1>"
            f"<p class=\"meta\">{escape(subtitle)}</p></div>"
            f"<div class=\"who\" data-role=\"{escape(view.principal.role)}\" data-view=\"{view.name}\">"
            f"<span class=\"user\">{who}</span> <span class=\"badge\">{escape(view.principal.role)} · "
            f"{VIEW_NAMES[view.name]}</span> <a href=\"/logout\">Sign out</a></div></header>"
            + bar + "<main>" + ("" if fresh else "<p class=\"refreshing\">New data arrived: these numbers are "
                                 "from just before it and are being computed again; reload in a moment.</p>") + body + "</main></div></body></html>\n")


def filter_bar(view: View, choices: dict[str, list[tuple[str, str]]]) -> str:
    f = view.filters
    selects = [_select("period", "Period", choices.get("period", []), f.period)]
    for key, label in (("team", "Team"), ("segment", "Segment"), ("owner", "Owner")):
        options = choices.get(key)
        if options is None:
            continue
        current = view.owner if key == "owner" else getattr(f, key)
        fixed = key == "owner" and view.principal.role == "rep"
        selects.append(_select(key, label, ([] if fixed else [("", "All")]) + options, current, fixed))
    return ("<form class=\"filters\" method=\"get\" action=\"\">" + "".join(selects)
            + "<button type=\"submit\">Apply</button><a class=\"reset\" href=\"?\">Reset</a></form>")


def _select(name: str, label: str, options: list[tuple[str, str]], current: str, fixed: bool = False) -> str:
    opts = "".join(f"<option value=\"{escape(v)}\"{' selected' if v == current else ''}>{escape(t)}</option>"
                   for v, t in options)
    return (f"<label>{escape(label)} <select name=\"{escape(name)}\"{' disabled' if fixed else ''}>"
            f"{opts}</select></label>")


def section(title: str, *blocks: str, ident: str = "") -> str:
    attr = f" id=\"{escape(ident)}\"" if ident else ""
    return f"<section{attr}><h2>{escape(title)}</h2>" + "".join(blocks) + "</section>"


def cards(items: list[tuple[str, str]] | list[tuple[str, str, str]]) -> str:
    """Headline numbers: (label, value HTML[, a line under it, HTML])."""
    out = []
    for item in items:
        label, value, *rest = item
        sub = rest[0] if rest else ""
        out.append(f"<div class=\"card\"><div class=\"label\">{escape(label)}</div><div class=\"value\">{value}</div>"
                   + (f"<div class=\"sub\">{sub}</div>" if sub else "") + "</div>")
    return "<div class=\"cards\">" + "".join(out) + "</div>"


def table(columns: list[str], rows: list[list[str]], numeric: set[int] | None = None, ident: str = "",
          row_attrs: list[str] | None = None, empty: str = "nothing to show") -> str:
    numeric = numeric if numeric is not None else set(range(1, len(columns)))
    head_ = "".join(f"<th class=\"{'num' if i in numeric else ''}\">{escape(c)}</th>" for i, c in enumerate(columns))
    attrs = row_attrs or [""] * len(rows)
    body = "".join(f"<tr{a}>" + "".join(f"<td class=\"{'num' if i in numeric else ''}\">{c}</td>"
                                        for i, c in enumerate(r)) + "</tr>" for r, a in zip(rows, attrs))
    if not rows:
        body = f"<tr class=\"empty\"><td colspan=\"{len(columns)}\">{escape(empty)}</td></tr>"
    ident_ = f" id=\"{escape(ident)}\"" if ident else ""
    return f"<div class=\"table-wrap\"><table{ident_}><thead><tr>{head_}</tr></thead><tbody>{body}</tbody></table></div>"


def chart(ident: str, figure: dict[str, Any]) -> str:
    """A container drawn by dashboard.js with ``Plotly.newPlot`` from ``figure`` (data, layout)."""
    spec = escape(json.dumps(figure, default=_plain, separators=(",", ":")), quote=True)
    return f"<div class=\"chart\" id=\"{escape(ident)}\" data-figure=\"{spec}\"></div>"


def charts(*blocks: str) -> str:
    return "<div class=\"charts\">" + "".join(blocks) + "</div>"


def note(words: str) -> str:
    return f"<p class=\"note\">{escape(words)}</p>"


def grid(*blocks: str) -> str:
    return "<div class=\"grid\">" + "".join(f"<div>{b}</div>" for b in blocks) + "</div>"


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)
