"""Figure specs for plotly.js as plain dicts (``{"data": [...], "layout": {...}}``): the page
embeds them as JSON and ``static/dashboard.js`` draws them. No number is computed here: the
values come from the metrics layer or an engine."""

from __future__ import annotations

from typing import Any

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title, "font": {"size": 14}, "x": 0.02}, "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
            "height": 300, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"family": "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif", "size": 12},
            "showlegend": False, **extra}


def _clean(values: list[Any]) -> list[Any]:
    return [None if v is None or v != v else v for v in values]


def bar(points: list[tuple[str, float | None]], title: str, *, color: str = PALETTE[0],
        horizontal: bool = False, percent: bool = False) -> dict[str, Any]:
    labels, values = [p[0] for p in points], _clean([p[1] for p in points])
    trace: dict[str, Any] = {"type": "bar", "marker": {"color": color}}
    if horizontal:
        trace.update(x=values, y=labels, orientation="h")
        axis = {"yaxis": {"automargin": True, "autorange": "reversed"}}
    else:
        trace.update(x=labels, y=values)
        axis = {"xaxis": {"type": "category"}}
    if percent:
        axis[("x" if horizontal else "y") + "axis"] = {"tickformat": ".0%"}
    return {"data": [trace], "layout": _layout(title, **axis)}


def lines(series: dict[str, list[tuple[str, float | None]]], title: str, *, percent: bool = False,
          reference: float | None = None) -> dict[str, Any]:
    data = [{"type": "scatter", "mode": "lines+markers", "name": name, "x": [p for p, _ in pts],
             "y": _clean([v for _, v in pts]), "line": {"color": PALETTE[i % len(PALETTE)]}}
            for i, (name, pts) in enumerate(series.items())]
    layout = _layout(title, showlegend=len(series) > 1, xaxis={"type": "category"},
                     legend={"orientation": "h", "y": -0.2})
    if percent:
        layout["yaxis"] = {"tickformat": ".0%"}
    if reference is not None:
        layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": reference, "y1": reference,
                             "line": {"dash": "dot", "color": "#9ca3af"}}]
    return {"data": data, "layout": layout}


def grouped(categories: list[str], series: dict[str, list[float | None]], title: str) -> dict[str, Any]:
    data = [{"type": "bar", "name": name, "x": categories, "y": _clean(values),
             "marker": {"color": PALETTE[i % len(PALETTE)]}} for i, (name, values) in enumerate(series.items())]
    return {"data": data, "layout": _layout(title, barmode="group", showlegend=True, xaxis={"type": "category"},
                                            legend={"orientation": "h", "y": -0.2})}


def waterfall(steps: list[tuple[str, float | None, str]], title: str) -> dict[str, Any]:
    """(label, signed amount, 'absolute'|'relative'|'total') steps."""
    return {"data": [{"type": "waterfall", "x": [s[0] for s in steps], "y": _clean([s[1] for s in steps]),
                      "measure": [s[2] for s in steps], "connector": {"line": {"color": "#9ca3af"}},
                      "increasing": {"marker": {"color": PALETTE[1]}}, "decreasing": {"marker": {"color": PALETTE[3]}},
                      "totals": {"marker": {"color": PALETTE[0]}}}],
            "layout": _layout(title, xaxis={"type": "category"})}


def funnel(steps: list[tuple[str, float | None]], title: str) -> dict[str, Any]:
    return {"data": [{"type": "funnel", "y": [s[0] for s in steps], "x": _clean([s[1] for s in steps]),
                      "textinfo": "value+percent initial", "marker": {"color": PALETTE[0]}}],
            "layout": _layout(title, yaxis={"automargin": True})}


def interval(labels: list[str], low: list[float | None], mid: list[float | None], high: list[float | None],
             title: str, actual: list[float | None] | None = None) -> dict[str, Any]:
    """P50 with its P10-P90 range (error bars), and the actual when known."""
    mid_c = _clean(mid)
    up = [None if h is None or m is None else h - m for h, m in zip(_clean(high), mid_c)]
    down = [None if lo is None or m is None else m - lo for lo, m in zip(_clean(low), mid_c)]
    data = [{"type": "scatter", "mode": "markers", "name": "P50 (P10-P90)", "x": labels, "y": mid_c,
             "marker": {"size": 10, "color": PALETTE[0]},
             "error_y": {"type": "data", "symmetric": False, "array": up, "arrayminus": down}}]
    if actual is not None:
        data.append({"type": "scatter", "mode": "markers", "name": "actual", "x": labels, "y": _clean(actual),
                     "marker": {"size": 10, "symbol": "diamond", "color": PALETTE[3]}})
    return {"data": data, "layout": _layout(title, showlegend=actual is not None, xaxis={"type": "category"},
                                            legend={"orientation": "h", "y": -0.2})}
