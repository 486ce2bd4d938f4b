"""`alerts`: who hears about an SLA breach, a deal turning at risk and a material forecast change.

    alerts:
      slack:                               # incoming webhooks, by name
        sales_managers:
          webhook_env: SLACK_WEBHOOK_SALES # the URL is read from this environment variable
      email:                               # one SMTP server
        host: smtp.example.com
        port: 587
        from: revops@example.com
        starttls: true
        username_env: SMTP_USER            # credentials from environment variables, never the file
        password_env: SMTP_PASSWORD
      routes:
        - events: [sla_breach, deal_at_risk]
          to_owner: true                   # the record's owner, at users.email
        - events: [sla_breach, deal_at_risk, forecast_change]
          team: enterprise                 # only records owned by this team (forecast: company-wide)
          slack: [sales_managers]
          email: [cro@example.com]
      thresholds:
        forecast_change_pct: 0.10          # P50 or commit moved by more than 10% ...
        forecast_change_amount: 0          # ... and by more than this amount
      digest: false                        # true: one message per recipient per run, everything new

Nothing is sent until a route names a channel: the default model has none. docs/alerts.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from revops.model.sections.base import Key, Section

AlertKind = Literal["sla_breach", "deal_at_risk", "forecast_change"]
ALERT_KINDS: tuple[str, ...] = ("sla_breach", "deal_at_risk", "forecast_change")


class SlackChannel(Section):
    webhook_env: str
    """Name of the environment variable holding the webhook URL (the URL is a secret: not in the file)."""
    timeout_seconds: float = Field(10.0, gt=0, le=300)


class EmailChannel(Section):
    host: str
    port: int = Field(587, ge=1, le=65535)
    from_address: str = Field(alias="from")
    """The sender: revops@example.com."""
    starttls: bool = True
    """Upgrade the connection with STARTTLS before sending (and before the login)."""
    username_env: str | None = None
    """Environment variable holding the SMTP user name; none: no login."""
    password_env: str | None = None
    """Environment variable holding the SMTP password."""
    timeout_seconds: float = Field(10.0, gt=0, le=300)


class AlertRoute(Section):
    events: list[AlertKind] = Field(min_length=1)
    """Which events this route carries: sla_breach, deal_at_risk, forecast_change."""
    team: str | None = None
    """Only records whose owner is in this team (users.team); none: every record. Forecast
    changes are company-wide and pass any team filter."""
    slack: list[Key] = Field(default_factory=list)
    """Slack channels (names under alerts.slack)."""
    email: list[str] = Field(default_factory=list)
    """E-mail addresses."""
    to_owner: bool = False
    """Also e-mail the record's owner at users.email (forecast changes have no owner)."""


class AlertThresholds(Section):
    forecast_change_pct: float = Field(0.10, ge=0)
    """A forecast change is material when the current quarter's P50 or commit moved by more than
    this share (0.10 = 10%) since the previous snapshot ..."""
    forecast_change_amount: float = Field(0.0, ge=0)
    """... and by more than this amount, in the company currency."""
    breach_within_days: float = Field(2.0, gt=0)
    """An SLA breach is alerted when it became due at most this many days before the check: an
    alert is news. Older open breaches stay in `revops sla breaches` (the queue), so turning
    alerts on does not send a message for every breach the company has ever let happen."""


class AlertRetry(Section):
    attempts: int = Field(3, ge=1, le=10)
    """Tries per message in one run (HTTP 5xx, timeouts, SMTP errors); a message still failing is
    recorded and tried again on the next run."""
    backoff_seconds: float = Field(2.0, ge=0, le=300)
    """Wait before the second try; doubled before each next one."""


class Alerts(Section):
    slack: dict[Key, SlackChannel] = Field(default_factory=dict)
    email: EmailChannel | None = None
    routes: list[AlertRoute] = Field(default_factory=list)
    thresholds: AlertThresholds = Field(default_factory=AlertThresholds)
    retry: AlertRetry = Field(default_factory=AlertRetry)
    digest: bool = False
    """true: instead of one message per event, one message per recipient with everything new
    since the last digest, sent by each `revops alerts check` (daily with `revops run daily`)."""
