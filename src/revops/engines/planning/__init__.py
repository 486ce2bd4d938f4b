"""Planning: the quantitative spine — capacity (hiring plan, ramp, attrition into bookings
capacity against the target), quota (top-down and bottom-up, reconciled), territories,
compensation and scenarios — planned from the same store the metrics measure, so each
assumption stands next to what actually happened (docs/planning.md).
"""
