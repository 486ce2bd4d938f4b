"""Rules of the `alerts` section: channels a route names exist, secrets stay out of the file."""

from __future__ import annotations

import re
from collections.abc import Iterator

from revops.model.issues import RuleIssue
from revops.model.rules.common import hint
from revops.model.schema import RevenueModel

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def alert_definitions(model: RevenueModel) -> Iterator[RuleIssue]:
    alerts = model.alerts
    for name, channel in alerts.slack.items():
        yield from _env(channel.webhook_env, ("alerts", "slack", name, "webhook_env"), "the webhook URL")
    if alerts.email is not None:
        base = ("alerts", "email")
        if not EMAIL.match(alerts.email.from_address):
            yield RuleIssue((*base, "from"), f"{alerts.email.from_address!r} is not an e-mail address")
        for attr in ("username_env", "password_env"):
            if (value := getattr(alerts.email, attr)) is not None:
                yield from _env(value, (*base, attr), "the SMTP " + attr.split("_")[0])
        if (alerts.email.username_env is None) != (alerts.email.password_env is None):
            yield RuleIssue(base, "give both username_env and password_env for an SMTP login, or neither")
    for i, route in enumerate(alerts.routes):
        path = ("alerts", "routes", i)
        for j, name in enumerate(route.slack):
            if name not in alerts.slack:
                names = list(alerts.slack)
                yield RuleIssue((*path, "slack", j), f"no Slack channel {name!r} under alerts.slack" + hint(name, names)
                                + (f"; channels: {', '.join(names)}" if names else "; declare it with its webhook_env"))
        for j, address in enumerate(route.email):
            if not EMAIL.match(address):
                yield RuleIssue((*path, "email", j), f"{address!r} is not an e-mail address")
        if (route.email or route.to_owner) and alerts.email is None:
            yield RuleIssue(path, "this route sends e-mail but alerts.email names no SMTP server (host, port, from)")
        if not route.slack and not route.email and not route.to_owner:
            yield RuleIssue(path, "this route sends nothing: give slack, email or to_owner: true", "warning")
        if route.to_owner and route.events == ["forecast_change"]:
            yield RuleIssue((*path, "to_owner"), "a forecast change has no owner: to_owner sends nothing here",
                            "warning")


def _env(value: str, path: tuple, what: str) -> Iterator[RuleIssue]:
    if "://" in value or "@" in value:
        yield RuleIssue(path, f"this looks like {what} itself: put it in an environment variable and name the "
                        "variable here (e.g. SLACK_WEBHOOK_SALES), so the secret stays out of revops.yaml")
    elif not ENV_NAME.match(value):
        yield RuleIssue(path, f"{value!r} is not an environment variable name (letters, digits, '_')")
