"""The routing graph of the revenue model drawn as an inline SVG: nodes in layers by breadth-
first distance from the start node, boxes and arrows, each arrow labelled with the branch it
is (yes / no / next / handoff)."""

from __future__ import annotations

from collections import deque
from html import escape
from typing import Any

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 190, 58, 36, 70, 20
EDGE_FIELDS = {"next": "next", "then": "yes", "else": "no", "handoff": "handoff"}
COLORS = {"start": "#dbeafe", "condition": "#fef3c7", "queue": "#fee2e2", "nurture": "#ede9fe"}


def edges_of(nodes: list[Any]) -> list[tuple[str, str, str]]:
    """(from, to, label) for every branch of every node that names another node."""
    keys = {n.key for n in nodes}
    out: list[tuple[str, str, str]] = []
    for n in nodes:
        data = n.model_dump(by_alias=True)
        for field, value in data.items():
            if field in EDGE_FIELDS and isinstance(value, str) and value in keys:
                out.append((n.key, value, EDGE_FIELDS[field]))
            elif isinstance(value, list):  # branches listed in order: [{when, next}, ...]
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        for f2, v2 in item.items():
                            if f2 in EDGE_FIELDS and isinstance(v2, str) and v2 in keys:
                                out.append((n.key, v2, str(item.get("label") or item.get("when") or f"{field} {i + 1}")))
    return out


def layers(nodes: list[Any], edges: list[tuple[str, str, str]]) -> dict[str, int]:
    """Breadth-first depth of each node from the start node(s); the nodes a lead ends at (no
    branch out: queues, nurture) and unreachable nodes go in the last layer, so that most
    arrows point down."""
    start = [n.key for n in nodes if n.type == "start"] or [nodes[0].key]
    depth = {k: 0 for k in start}
    queue = deque(start)
    nexts: dict[str, list[str]] = {}
    for a, b, _ in edges:
        nexts.setdefault(a, []).append(b)
    while queue:
        k = queue.popleft()
        for b in nexts.get(k, []):
            if b not in depth:
                depth[b] = depth[k] + 1
                queue.append(b)
    last = max(depth.values(), default=0) + 1
    ends = {n.key for n in nodes if n.key not in nexts and n.key not in start}
    if ends and all(depth.get(k) == last - 1 for k in ends) and len(ends) == len([k for k in depth if depth[k] == last - 1]):
        last -= 1  # the last layer holds only ends already
    for n in nodes:
        if n.key in ends or n.key not in depth:
            depth[n.key] = last
    return depth


def _wrap(words: str, width: int = 26) -> list[str]:
    lines, line = [], ""
    for w in words.split():
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return (lines + [line])[:2] if line else lines[:2]


def routing_svg(nodes: list[Any]) -> str:
    if not nodes:
        return "<p class=\"note\">The model has no routing graph.</p>"
    edges = edges_of(nodes)
    depth = layers(nodes, edges)
    rows: dict[int, list[Any]] = {}
    for n in nodes:
        rows.setdefault(depth[n.key], []).append(n)
    widest = max(len(r) for r in rows.values())
    around = [e for e in edges if depth[e[1]] != depth[e[0]] + 1]  # skipping a layer, or back up
    lanes = 30 + 16 * len(around) if around else 0
    width = PAD * 2 + widest * BOX_W + (widest - 1) * GAP_X + lanes
    height = PAD * 2 + len(rows) * BOX_H + (len(rows) - 1) * GAP_Y
    pos: dict[str, tuple[float, float]] = {}
    for d, row in sorted(rows.items()):
        span = len(row) * BOX_W + (len(row) - 1) * GAP_X
        x0 = (width - lanes - span) / 2
        y = PAD + sorted(rows).index(d) * (BOX_H + GAP_Y)
        for i, n in enumerate(row):
            pos[n.key] = (x0 + i * (BOX_W + GAP_X), y)
    parts = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0f} {height:.0f}\" "
             f"width=\"{width:.0f}\" height=\"{height:.0f}\" role=\"img\" aria-label=\"Routing graph\" "
             "font-family=\"system-ui, sans-serif\" font-size=\"11\">",
             "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
             "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#64748b\"/>"
             "</marker></defs>"]
    right = width - lanes - PAD
    for a, b, label in edges:
        (xa, ya), (xb, yb) = pos[a], pos[b]
        if (a, b, label) in around:  # down into the gap below, along it to a lane of its own right of the
            i = around.index((a, b, label))  # boxes, down (or up) the lane, along the gap above the target, in
            lane = right + 24 + 16 * i
            x1, y1, x2, y2 = xa + BOX_W / 2 + 12, ya + BOX_H, xb + BOX_W / 2 + 12, yb
            g1, g2 = y1 + GAP_Y * 0.25 + 5 * i, y2 - GAP_Y * 0.25 - 5 * i
            d = (f"M{x1:.0f},{y1:.0f} L{x1:.0f},{g1:.0f} L{lane:.0f},{g1:.0f} L{lane:.0f},{g2:.0f} "
                 f"L{x2:.0f},{g2:.0f} L{x2:.0f},{y2:.0f}")
            lx, ly = x1 + 22, g1 - 3
        else:
            x1, y1 = xa + BOX_W / 2, ya + BOX_H
            x2, y2 = xb + BOX_W / 2, yb
            my = (y1 + y2) / 2
            d = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{my:.0f} {x2:.0f},{my:.0f} {x2:.0f},{y2:.0f}"
            lx, ly = x1 + (x2 - x1) * 0.3, y1 + (y2 - y1) * 0.35
        parts.append(f"<path class=\"edge\" data-from=\"{escape(a)}\" data-to=\"{escape(b)}\" d=\"{d}\" fill=\"none\" "
                     "stroke=\"#64748b\" stroke-width=\"1.4\" marker-end=\"url(#arrow)\"/>")
        parts.append(f"<text x=\"{lx:.0f}\" y=\"{ly:.0f}\" text-anchor=\"middle\" fill=\"#334155\" "
                     f"paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\">{escape(label[:40])}</text>")
    for n in nodes:
        x, y = pos[n.key]
        fill = COLORS.get(n.type, "#dcfce7")
        title = getattr(n, "when", None) or n.description or ""
        parts.append(f"<g class=\"node\" data-node=\"{escape(n.key)}\"><title>{escape(n.key)}: {escape(title)}</title>"
                     f"<rect x=\"{x:.0f}\" y=\"{y:.0f}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"8\" fill=\"{fill}\" "
                     "stroke=\"#475569\"/>"
                     f"<text x=\"{x + BOX_W / 2:.0f}\" y=\"{y + 16:.0f}\" text-anchor=\"middle\" font-weight=\"600\">"
                     f"{escape(n.key)} <tspan fill=\"#64748b\" font-weight=\"400\">({escape(n.type)})</tspan></text>")
        words = n.label or (f"if {n.when}" if getattr(n, "when", None) else "")
        for i, line in enumerate(_wrap(words, 30)):
            parts.append(f"<text x=\"{x + BOX_W / 2:.0f}\" y=\"{y + 32 + i * 13:.0f}\" text-anchor=\"middle\" "
                         f"fill=\"#334155\">{escape(line)}</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
