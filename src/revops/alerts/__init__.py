"""Alerts: SLA breaches, deals turning at risk and material forecast changes, sent to Slack
incoming webhooks and e-mail, once per event and destination, with retries and a record.

    events.py    what is worth telling: asked of the SLA, hygiene and forecast engines
    channels.py  Slack webhook (HTTP POST JSON) and SMTP e-mail
    delivery.py  routes -> destinations, retries with backoff, the _alerts record
    digest.py    one message per recipient with everything new
    check.py     find, queue, send: `revops alerts check`

    from revops.alerts import check_alerts
    result = check_alerts(store, model)          # result.summary()

Configured by the model's ``alerts`` section (model/sections/alerts.py). docs/alerts.md.
"""

from __future__ import annotations

from revops.alerts.check import CheckResult, check_alerts, find_events

__all__ = ["CheckResult", "check_alerts", "find_events"]
