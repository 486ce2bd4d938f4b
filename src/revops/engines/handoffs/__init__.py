"""Handoffs both ways: expansion signals to Sales, closed-won deals to Customer Success.

    facts.py        the customer accounts as of a day, with the fields expansion signals read
    owners.py       who takes a signal: the account's owner, their manager, or a queue
    expansion.py    `revops handoffs expansion`: evaluate the signals, open deals or tasks, once
    sales_to_cs.py  `revops handoffs sales-to-cs` and the closed-won hook of `revops deal move`
    listing.py      `revops handoffs list`: every handoff with its owner, status and SLA clock

The definitions are the model's (``handoffs:`` in revops.yaml), the SLA clocks the SLA
engine's. See docs/handoffs.md.
"""

from __future__ import annotations

from revops.engines.handoffs.expansion import ExpansionRun, run_expansion
from revops.engines.handoffs.listing import HANDOFF_COLUMNS, handoff_rows
from revops.engines.handoffs.sales_to_cs import HandoffRun, open_handoff, run_sales_to_cs

__all__ = ["HANDOFF_COLUMNS", "ExpansionRun", "HandoffRun", "handoff_rows", "open_handoff", "run_expansion",
           "run_sales_to_cs"]
