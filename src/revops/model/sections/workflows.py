"""`workflows`: what happens, by itself, when a signal arrives or a record changes.

    workflows:
      - key: intent_spike
        label: Pricing-page intent spike
        trigger:
          signals:                         # a count of signals in a window
            type: page_view                # events of this type (POST /v1/events, `revops events ingest`)
            where: "contains(url, '/pricing')"   # over the event: its properties by name
            per: account
            count: 3
            within: 7d
        when: "segment = 'enterprise'"     # over the account (or lead) the run is about
        steps:
          - assign: {owner: route}         # the routing graph; or account_owner, or an expression
          - add_to_sequence: {sequence: enterprise_intent, members: contacts}
          - create_task: {owner: "route:sdr_pool", subject: "Research {name}", due_in: 1d}
          - notify: {slack: [enterprise_aes], text: "{name} viewed pricing {signal_count} times"}
          - log_touch: {touch_type: intent_spike, channel: intent}
          - if: "employees >= 1000"
            then: [{crm_update: {system: hubspot, fields: {owner_id: owner_id}}}]
          - wait: 2d
          - webhook: {url_env: ENRICH_URL, secret_env: ENRICH_SECRET}

Each step of a run is done once: its idempotency key is the run and the step's place, and a
step's result is written in the same transaction as its effect (docs/workflows.md).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from revops.model.sections.base import Key, Section

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

WorkflowTable = Literal["leads", "accounts", "contacts", "opportunities"]
SUBJECT_TABLES: tuple[str, ...] = ("leads", "accounts", "contacts", "opportunities")


def duration_seconds(text: str | float | int) -> float:
    """'90s', '15m', '2h', '7d', '1w' (or a number of seconds) in seconds; ValueError otherwise."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"{text} is negative: a duration is 0 or more")
        return float(text)
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a duration: write a number and a unit, e.g. 30s, 15m, 2h, 7d, 1w")
    return float(m.group(1)) * _SECONDS[m.group(2)]


def _duration(value: Any) -> str:
    duration_seconds(value)
    return str(value)


# -- triggers -------------------------------------------------------------------------------------
class EventTrigger(Section):
    type: str
    """The event type (form_submitted, page_view, product_signup …)."""
    where: str = ""
    """Condition over the event: type, occurred_at, source, and its properties by name."""
    subject: Literal["lead", "account"] = "lead"
    """What the run is about: the event's lead (found by lead_id or e-mail) or its account."""
    max_age: str | None = None
    """An event that happened longer than this before the worker reads it starts nothing (a
    backfill of old events); none: any age."""

    _age = field_validator("max_age")(lambda cls, v: v if v is None else _duration(v))


class SignalsTrigger(Section):
    type: str
    """The event type counted."""
    where: str = ""
    """Condition over each event (its properties by name): only these count."""
    per: Literal["account", "lead"] = "account"
    """Count per account (events found by account_id, or a lead's or contact's e-mail) or per lead."""
    count: int = Field(ge=1)
    """The run starts when this many signals fall within the window ..."""
    within: str
    """... of this length (7d), ending at the signal that reached the count."""
    cooldown: str | None = None
    """No second run for the same account (lead) within this time of the last; default: `within`."""
    max_age: str | None = None
    """A window completed by a signal that happened longer than this before the worker reads it
    starts nothing (a backfill of last year's events); the signal still counts. None: any age."""

    _within = field_validator("within", "cooldown", "max_age")(lambda cls, v: v if v is None else _duration(v))


class RecordTrigger(Section):
    table: WorkflowTable
    on: Literal["created", "updated", "created_or_updated"] = "created_or_updated"
    fields: list[str] = Field(default_factory=list)
    """Only updates that change one of these fields (a field changed); empty: any change."""
    where: str = ""
    """Condition over the record as it is after the change."""


class ScoreTrigger(Section):
    score: str = "score"
    """The lead field that is watched: score, fit_score, intent_score, engagement_score, predictive_score."""
    crosses: float
    """The threshold."""
    direction: Literal["up", "down"] = "up"
    """up: from below the threshold to at or above it; down: the reverse."""


class ScheduleTrigger(Section):
    cron: str
    """When, as five cron fields in the company's time zone ("0 9 * * 1": Mondays at 9:00)."""
    table: WorkflowTable
    """One run per record of this table ..."""
    where: str = ""
    """... that meets this condition at that time."""


class Trigger(Section):
    """Exactly one of: event, signals, record, score, schedule."""

    event: EventTrigger | None = None
    signals: SignalsTrigger | None = None
    record: RecordTrigger | None = None
    score: ScoreTrigger | None = None
    schedule: ScheduleTrigger | None = None

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        given = [k for k in TRIGGER_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one trigger of {', '.join(TRIGGER_KINDS)} (found {len(given)})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in TRIGGER_KINDS if getattr(self, k) is not None)

    @property
    def spec(self) -> Any:
        return getattr(self, self.kind)

    @property
    def table(self) -> str:
        """The table of the record each run is about."""
        spec = self.spec
        if self.kind in ("record", "schedule"):
            return spec.table
        if self.kind == "score":
            return "leads"
        side = spec.per if self.kind == "signals" else spec.subject
        return "accounts" if side == "account" else "leads"


TRIGGER_KINDS: tuple[str, ...] = ("event", "signals", "record", "score", "schedule")


# -- actions --------------------------------------------------------------------------------------
OWNER_HELP = ("route (the routing graph), route:NODE (from that routing node), owner (the record's owner), "
              "manager (the owner's manager), account_owner, or an expression giving a user id ('u_12')")


class Assign(Section):
    owner: str = "route"
    """Who gets the record: """ + OWNER_HELP
    keep_owner: bool = False
    """Keep a current owner who is an active user (an out-of-office day does not move an
    account); assign only records without one."""


class CreateTask(Section):
    subject: str
    """The task's subject; {field} is replaced by the record's field (or signal_count, event_type)."""
    owner: str = "owner"
    """Who gets the task: """ + OWNER_HELP
    due_in: str = "1d"
    body: str = ""
    crm: Literal["hubspot", "salesforce"] | None = None
    """Also create the task in this CRM (idempotent: one task per step however often it is tried)."""

    _due = field_validator("due_in")(lambda cls, v: _duration(v))


class UpdateField(Section):
    field: str
    """A field of the run's record."""
    value: str
    """An expression over the record (and signal_count, event_type); a text value in quotes: "'sql'"."""


class CreateOpportunity(Section):
    name: str = "{name} - new business"
    stage: Key | None = None
    """A pipeline stage; default: the first."""
    amount: str = ""
    """An expression for the amount; empty: no amount yet."""
    owner: str = "owner"
    type: str = "new_business"
    close_in: str = "90d"
    """The deal's first close date, this long after it is created."""

    _close = field_validator("close_in")(lambda cls, v: _duration(v))

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class AddToList(Section):
    list: Key
    members: Literal["record", "contacts", "leads"] = "record"
    """Who is added: the run's record, or the contacts (leads) of its account."""


class AddToSequence(Section):
    sequence: Key
    members: Literal["record", "contacts", "leads"] = "record"


class Notify(Section):
    text: str
    """The message; {field} is replaced by the record's field."""
    slack: list[Key] = Field(default_factory=list)
    """Slack channels by their name under alerts.slack."""
    email: list[str] = Field(default_factory=list)
    to_owner: bool = False
    """Also e-mail the record's owner (users.email), through alerts.email."""


class Webhook(Section):
    url_env: str
    """Environment variable holding the URL (a secret: not in the file)."""
    secret_env: str | None = None
    """Environment variable holding the key that signs the body (X-Revops-Signature: t=UNIX,v1=HMAC, as
    POST /v1/events takes it)."""
    timeout_seconds: float = Field(10.0, gt=0, le=120)


class CrmUpdate(Section):
    system: Literal["hubspot", "salesforce"]
    fields: dict[str, str] = Field(min_length=1)
    """CRM field (by its revops name: owner_id, score, lifecycle_stage …) -> expression over the record."""


class LogTouch(Section):
    touch_type: str = "intent_spike"
    channel: str = "intent"
    campaign_id: str | None = None


ACTION_KINDS: tuple[str, ...] = (
    "assign", "create_task", "update_field", "create_opportunity", "add_to_list", "add_to_sequence", "notify",
    "webhook", "crm_update", "log_touch", "wait", "if",
)
EXTERNAL_ACTIONS: frozenset[str] = frozenset({"notify", "webhook", "crm_update"})
"""Actions that call another system: sent with the step's idempotency key, retried with backoff."""


class Step(Section):
    """One action, a wait, or a branch (if / then / else)."""

    assign: Assign | None = None
    create_task: CreateTask | None = None
    update_field: UpdateField | None = None
    create_opportunity: CreateOpportunity | None = None
    add_to_list: AddToList | None = None
    add_to_sequence: AddToSequence | None = None
    notify: Notify | None = None
    webhook: Webhook | None = None
    crm_update: CrmUpdate | None = None
    log_touch: LogTouch | None = None
    wait: str | None = None
    """Pause the run this long (2h, 3d) before the next step."""
    if_: str | None = Field(None, alias="if")
    """A condition over the record: the steps under `then` run when it holds, those under `else` otherwise."""
    then: list[Step] = Field(default_factory=list)
    else_: list[Step] = Field(default_factory=list, alias="else")

    _wait = field_validator("wait")(lambda cls, v: v if v is None else _duration(v))

    @model_validator(mode="after")
    def _one(self) -> Step:
        given = [k for k in ACTION_KINDS if getattr(self, "if_" if k == "if" else k) is not None]
        if len(given) != 1:
            raise ValueError(f"a step is exactly one of {', '.join(ACTION_KINDS)} (found "
                             f"{', '.join(given) if given else 'none'})")
        if given != ["if"] and (self.then or self.else_):
            raise ValueError("then / else belong to an `if` step")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ACTION_KINDS if getattr(self, "if_" if k == "if" else k) is not None)

    @property
    def spec(self) -> Any:
        return getattr(self, "if_" if self.kind == "if" else self.kind)


class Retry(Section):
    attempts: int = Field(5, ge=1, le=20)
    """Tries of a step before it goes to the dead-letter queue (`revops workflows replay-dead`)."""
    backoff_seconds: float = Field(2.0, ge=0, le=3600)
    """Wait before the second try; doubled before each next one ..."""
    max_backoff_seconds: float = Field(600.0, ge=0)
    """... up to this."""


class Workflow(Section):
    key: Key
    label: str = ""
    description: str = ""
    enabled: bool = True
    trigger: Trigger
    when: str = ""
    """Condition over the run's record (with signal_count, event_type, event_at): no run unless it holds."""
    steps: list[Step] = Field(min_length=1)
    retry: Retry = Field(default_factory=Retry)


def watched(model: Any, table: str) -> bool:
    """Whether an enabled workflow reacts to changes of ``table`` (a record trigger on it, or a
    score trigger on leads): then loads and scorings also write their changes to the change feed."""
    for w in getattr(model, "workflows", None) or []:
        kind = w.trigger.kind if w.enabled else None
        if kind == "record" and w.trigger.record.table == table or kind == "score" and table == "leads":
            return True
    return False
