"""Tiny inline SVG charts for the reports: bars and lines, no dependency, no script.

    bar_chart([("2026-Q1", 1.2e6), ("2026-Q2", 1.4e6)], title="Bookings", fmt=money)
    line_chart([("2026-01", 1.02), ...], title="NRR", fmt=pct, reference=1.0)

Every chart is an ``<svg>`` element with a ``<title>`` (read by screen readers and shown on
hover) and one ``<title>`` per bar or point carrying its label and value, so the numbers
behind a chart can be read from the file itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

Point = tuple[str, float | None]

WIDTH, HEIGHT = 320, 140
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 8, 8, 18, 22
INK, MUTED, ACCENT, NEGATIVE = "#1f2937", "#6b7280", "#2563eb", "#dc2626"


def _plain(value: float) -> str:
    return f"{value:,.2f}"


def _scale(values: list[float]) -> tuple[float, float]:
    low = min([0.0, *values])
    high = max([0.0, *values])
    if math.isclose(low, high):
        high = low + 1.0
    return low, high


def _frame(title: str, body: list[str], width: int, height: int) -> str:
    return (f'<svg class="chart" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
            f'<text x="{PAD_LEFT}" y="12" font-size="11" fill="{INK}">{escape(title)}</text>'
            + "".join(body) + "</svg>")


def bar_chart(points: Sequence[Point], *, title: str, fmt: Callable[[float], str] = _plain,
              width: int = WIDTH, height: int = HEIGHT) -> str:
    """One bar per (label, value); negative values hang below the zero line in red; a null
    value leaves a gap."""
    values = [v for _, v in points if v is not None and not math.isnan(v)]
    low, high = _scale(values)
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = height - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(points), 1)

    def y(v: float) -> float:
        return PAD_TOP + (high - v) / (high - low) * plot_h

    body = [f'<line x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{MUTED}" '
            'stroke-width="0.5"/>']
    for i, (label, value) in enumerate(points):
        x = PAD_LEFT + i * step
        if value is not None and not math.isnan(value):
            top, bottom = sorted((y(value), y(0)))
            colour = NEGATIVE if value < 0 else ACCENT
            body.append(f'<rect x="{x + step * 0.15:.1f}" y="{top:.1f}" width="{step * 0.7:.1f}" '
                        f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}" data-value="{value!r}">'
                        f'<title>{escape(label)}: {escape(fmt(value))}</title></rect>')
        body.append(_axis_label(label, x + step / 2, height, len(points)))
    return _frame(title, body, width, height)


def line_chart(points: Sequence[Point], *, title: str, fmt: Callable[[float], str] = _plain,
               reference: float | None = None, width: int = WIDTH, height: int = HEIGHT) -> str:
    """A line through (label, value) points (a null value breaks the line), with an optional
    dashed reference line (a target: 100% NRR, 3x coverage)."""
    values = [v for _, v in points if v is not None and not math.isnan(v)]
    scale_values = values + ([reference] if reference is not None else [])
    low, high = min(scale_values, default=0.0), max(scale_values, default=1.0)
    if math.isclose(low, high):
        low, high = low - 1.0, high + 1.0
    margin = (high - low) * 0.1
    low, high = low - margin, high + margin
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = height - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(points), 1)

    def y(v: float) -> float:
        return PAD_TOP + (high - v) / (high - low) * plot_h

    body: list[str] = []
    if reference is not None:
        body.append(f'<line x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y(reference):.1f}" '
                    f'y2="{y(reference):.1f}" stroke="{MUTED}" stroke-dasharray="3 3" stroke-width="0.8">'
                    f'<title>reference: {escape(fmt(reference))}</title></line>')
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, (label, value) in enumerate(points):
        x = PAD_LEFT + i * step + step / 2
        if value is None or math.isnan(value):
            if segment:
                segments.append(segment)
            segment = []
        else:
            segment.append(f"{x:.1f},{y(value):.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y(value):.1f}" r="2.5" fill="{ACCENT}" data-value="{value!r}">'
                        f'<title>{escape(label)}: {escape(fmt(value))}</title></circle>')
        body.append(_axis_label(label, x, height, len(points)))
    if segment:
        segments.append(segment)
    lines = [f'<polyline points="{" ".join(s)}" fill="none" stroke="{ACCENT}" stroke-width="1.5"/>'
             for s in segments if len(s) > 1]
    return _frame(title, lines + body, width, height)


def _axis_label(label: str, x: float, height: int, count: int) -> str:
    size = 9 if count <= 8 else 7
    return (f'<text x="{x:.1f}" y="{height - 8}" font-size="{size}" fill="{MUTED}" '
            f'text-anchor="middle">{escape(label)}</text>')
