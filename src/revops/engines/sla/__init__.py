"""The SLA engine: a clock for every SLA of the revenue model and every record it applies to.

    events.py          start and stop events as (record_id, at) relations, named events included
    business_clock.py  business-hour deadlines as joins on a small calendar table (any backend)
    clocks.py          one row per SLA and record: started, due, stopped, state, reminder
    queue.py           status of the clocks and the breach queue, for the CLI, API and alerts

    from revops.engines.sla import clock_request, status
    status(store.ibis, model, clock_request(at="2026-05-15T12:00", keys="mql_to_first_contact"))

Attainment and breaches as numbers (by team, rep, region, SLA) live in the metrics layer:
``revops.engines.metrics.sla``. See docs/sla.md.
"""

from __future__ import annotations

from revops.engines.sla.clocks import (CLOCK_COLUMNS, STATES, ClockRequest, deadlines, policies, sla_clocks,
                                      unit_minutes)
from revops.engines.sla.queue import QUEUE_COLUMNS, breach_queue, clock_request, clocks, parse_moment, status

__all__ = ["CLOCK_COLUMNS", "QUEUE_COLUMNS", "STATES", "ClockRequest", "breach_queue", "clock_request",
           "clocks", "deadlines", "parse_moment", "policies", "sla_clocks", "status", "unit_minutes"]
