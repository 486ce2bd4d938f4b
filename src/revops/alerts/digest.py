"""One message per recipient with everything new since the last digest.

With ``alerts.digest: true`` each check sends, to each destination, one message holding every
alert queued for it (or failed before) since its last digest, grouped by kind: SLA breaches,
deals at risk, forecast changes. A digest that fails leaves its alerts outstanding, so the next
run's digest carries them again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from revops.alerts.channels import Message, slack_blocks

HEADINGS = {"sla_breach": "SLA breaches", "deal_at_risk": "Deals newly at risk", "forecast_change": "Forecast changes"}


def row_message(row: dict[str, Any]) -> Message:
    """An alert row on its own (no digest)."""
    lines = tuple(line for line in (row["text"] or "").split("\n") if line)
    text = row["subject"] + "".join(f"\n{line}" for line in lines)
    return Message(row["subject"], text, slack_blocks(row["subject"], [(row["subject"], lines)]))


def by_destination(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["channel"], row["recipient"])].append(row)
    return dict(groups)


def digest_message(rows: list[dict[str, Any]], day: str) -> Message:
    """Every alert of ``rows`` in one message, grouped by kind in a fixed order."""
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        kinds[row["kind"]].append(row)
    counts = ", ".join(f"{len(kinds[k])} {HEADINGS[k].lower()}" for k in HEADINGS if kinds.get(k))
    subject = f"revops daily digest {day}: {counts}"
    text, sections = [subject], []
    for kind, heading in HEADINGS.items():
        if not kinds.get(kind):
            continue
        text.append(f"\n{heading} ({len(kinds[kind])})")
        for row in kinds[kind]:
            lines = tuple(line for line in (row["text"] or "").split("\n") if line)
            text.append(f"- {row['subject']}")
            text.extend(f"    {line}" for line in lines)
            sections.append((row["subject"], lines))
    return Message(subject, "\n".join(text), slack_blocks(subject, sections))
