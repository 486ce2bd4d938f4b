"""Written definitions of the numbers the reports take from engines rather than from the
metrics layer's catalogue (which carries its own: ``revops explain NAME``). Each quotes the
engine's documentation; the source names where the number is computed."""

from __future__ import annotations

FORECAST = "forecast engine (`revops forecast`, docs/forecast.md)"
FLOW = "pipeline flow (`revops pipeline flow`, docs/forecast.md)"
HYGIENE = "hygiene engine (`revops hygiene`, docs/deals.md)"
BRIDGE = "MRR bridge (`revops revenue mrr`, docs/revenue.md)"
RETENTION = "trailing retention (`revops revenue retention`, docs/revenue.md)"
HEALTH = "health engine (`revops health`, docs/health.md)"
BACKTEST = "forecast backtest (`revops forecast backtest`, docs/forecast.md)"
CALLS = "forecast calls (`revops forecast calls`, docs/forecast.md)"
SNAPSHOTS = "forecast snapshots (`revops forecast snapshots`, docs/forecast.md)"
SLA = "SLA breach queue (`revops sla breaches`, docs/sla.md)"
QUARANTINE = "quarantine (`revops quarantine`, docs/ingest.md)"
ROUTING = "routing log (the _routing_decisions table, `revops route`, docs/routing.md)"
WORKFLOWS = "workflow runs (`revops workflows runs`, docs/workflows.md)"

ENGINE_NUMBERS: dict[str, tuple[str, str]] = {
    "forecast.closed_won": ("Deals won in the period by the as-of day (bookings so far).", FORECAST),
    "forecast.commit": ("closed_won + open deals closing in the period called commit (the rep's category, else "
                        "the stage's default).", FORECAST),
    "forecast.best_case": ("commit + open deals closing in the period called best_case.", FORECAST),
    "forecast.pipeline": ("Every open deal closing in the period, at its amount.", FORECAST),
    "forecast.weighted": ("closed_won + pipeline x stage probability.", FORECAST),
    "forecast.p10": ("closed_won + the 10th percentile of a Monte Carlo over every open deal (its chance to be won "
                     "inside the period, from models learned on the company's own history) and the deals not "
                     "created yet that will be.", FORECAST),
    "forecast.p50": ("closed_won + the median of the Monte Carlo (as P10).", FORECAST),
    "forecast.p90": ("closed_won + the 90th percentile of the Monte Carlo (as P10).", FORECAST),
    "flow.start": ("Pipeline of the quarter's close-date window at the start of the week (open deals closing in "
                   "the quarter, at their amount).", FLOW),
    "flow.new": ("Deals created (or reopened) during the week that are in the pipeline.", FLOW),
    "flow.pulled_in": ("Open deals whose close date moved into the quarter during the week.", FLOW),
    "flow.increased": ("Amount added to deals in the pipeline during the week.", FLOW),
    "flow.pushed_out": ("Open deals whose close date moved out of the quarter during the week.", FLOW),
    "flow.decreased": ("Amount removed from deals in the pipeline during the week.", FLOW),
    "flow.won": ("Deals in the pipeline won during the week, at their amount then.", FLOW),
    "flow.lost": ("Deals in the pipeline lost during the week, at their amount then.", FLOW),
    "flow.end": ("Pipeline at the end of the week; start + new + pulled_in + increased - pushed_out - decreased "
                 "- won - lost = end.", FLOW),
    "hygiene.deals_at_risk": ("Open deals flagged by the hygiene rules marked at_risk in revops.yaml (else the "
                              "critical rules), as of the end of the day.", HYGIENE),
    "hygiene.amount_at_risk": ("Amount of the deals at risk.", HYGIENE),
    "bridge.opening_mrr": ("MRR at the end of the month before.", BRIDGE),
    "bridge.new": ("new_mrr of the period.", BRIDGE),
    "bridge.expansion": ("expansion_mrr of the period.", BRIDGE),
    "bridge.contraction": ("contraction_mrr of the period, as a negative amount.", BRIDGE),
    "bridge.churn": ("churned_mrr of the period, as a negative amount.", BRIDGE),
    "bridge.reactivation": ("reactivation_mrr of the period.", BRIDGE),
    "bridge.mrr": ("mrr at the period's end: opening_mrr + new + expansion + contraction + churn + reactivation, "
                   "exactly in cents.", BRIDGE),
    "health.accounts": ("Customer accounts in a health band on the day: 0-100 score from the measures of "
                        "revops.yaml's health section, banded by health.bands.", HEALTH),
    "backtest.p50": ("The forecast's P50 as of week N of a past quarter, from only what was known then.", BACKTEST),
    "backtest.actual": ("Bookings actually won in that quarter.", BACKTEST),
    "backtest.mape": ("Mean absolute percentage error of the P50 against the actual, over the quarters tested "
                      "(the backtest's summary).", BACKTEST),
    "backtest.coverage": ("Share of quarters tested whose actual fell inside the P10-P90 range.", BACKTEST),
    "forecast.call": ("The commit call in force at the end of the as-of day: the person's own (or their manager's "
                      "adjustment), else the sum of their reports' calls.", CALLS),
    "snapshot.error_p50": ("(P50 of the snapshot - actual bookings) / actual bookings; blank while the quarter is "
                           "open.", SNAPSHOTS),
    "hygiene.findings": ("Findings of the hygiene rules on open deals (one per deal and rule), as of the end of the "
                         "day.", HYGIENE),
    "hygiene.open_deals": ("Open deals checked by the hygiene rules.", HYGIENE),
    "hygiene.data_quality_score": ("Share of an owner's open deals with no critical or warning finding (0-100).",
                                   HYGIENE),
    "hygiene.completeness": ("Share of the fields their stages require that are filled (not null, not blank), "
                             "0-100.", HYGIENE),
    "sla.open_breaches": ("SLA clocks broken and still open at the end of the day (the breach queue).", SLA),
    "sla.minutes_late": ("Business minutes past the SLA's due time at the end of the day.", SLA),
    "quarantine.rows": ("Rows that could not be stored, by table and reason (the quarantine).", QUARANTINE),
    "routing.decisions": ("Routing decisions recorded (one per lead routed or re-routed), with the path through "
                          "the routing graph.", ROUTING),
    "workflows.runs": ("Workflow runs started: one per trigger (an event, a signal window reaching its count, a "
                       "record change, a schedule tick and record) whose record exists and whose `when` held.",
                       WORKFLOWS),
    "workflows.dead_steps": ("Steps in the dead-letter queue: failed every try, or could not succeed; "
                             "`revops workflows replay-dead` puts them back.", WORKFLOWS),
    "workflows.events": ("Events (signals) stored, each event_id once.", WORKFLOWS),
    "health.score": ("0-100 health score of the account on the day, from the measures of revops.yaml's health "
                     "section.", HEALTH),
    "health.mrr": ("The account's MRR on the day (the metrics layer's mrr by account).", HEALTH),
}


def define(page, key: str) -> str:
    """Register engine number ``key`` on ``page``; returns the key."""
    text, source = ENGINE_NUMBERS[key]
    page.define(key, text, source)
    return key
