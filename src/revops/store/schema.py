"""The canonical GTM data model: one definition of every table, key and type.

Every other part of revops (ingest, demo, engines, surfaces) reads table and field
definitions from here. A field is required only when the table is meaningless
without it: the record's id, and dates such as a subscription's start.

Columns that a mapping does not name are kept as typed custom attributes: real
columns added to the table at ingest time and recorded in ``_custom_fields``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["string", "integer", "number", "boolean", "date", "timestamp"]

SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType = "string"
    required: bool = False
    description: str = ""
    # Name of a vocabulary in the revenue model the value must belong to
    # ("pipeline_stage", "lifecycle_stage", "forecast_category"), checked at ingest.
    vocabulary: str | None = None
    # "email" marks a field validated as an e-mail address.
    semantic: str | None = None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    fields: tuple[Field, ...]
    description: str = ""
    # Field whose change on an upsert is recorded with this timestamp when present.
    updated_field: str | None = None
    history_fields: tuple[str, ...] = field(default_factory=tuple)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} has no field {name!r}")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


def F(name: str, type: FieldType = "string", *, required: bool = False, description: str = "",
      vocabulary: str | None = None, semantic: str | None = None) -> Field:
    return Field(name, type, required, description, vocabulary, semantic)


ACCOUNTS = Table(
    "accounts", "account_id",
    (
        F("account_id", required=True),
        F("name"),
        F("domain", description="Primary web domain, lower case, no scheme or www."),
        F("industry"),
        F("employees", "integer"),
        F("annual_revenue", "number"),
        F("country"),
        F("region"),
        F("segment", description="enterprise, mid_market or smb"),
        F("owner_id"),
        F("parent_account_id"),
        F("type", description="prospect, customer, partner, former_customer"),
        F("created_at", "timestamp"),
        F("updated_at", "timestamp"),
    ),
    "Companies: prospects and customers.",
    updated_field="updated_at",
)

CONTACTS = Table(
    "contacts", "contact_id",
    (
        F("contact_id", required=True),
        F("account_id"),
        F("email", semantic="email"),
        F("first_name"),
        F("last_name"),
        F("title"),
        F("phone"),
        F("company"),
        F("country"),
        F("source"),
        F("role", description="The contact's part at a customer: champion, economic_buyer, admin, user."),
        F("left_at", "date", description="The day the contact left the account (left the company or the role)."),
        F("created_at", "timestamp"),
        F("updated_at", "timestamp"),
    ),
    "People at accounts.",
    updated_field="updated_at",
)

LEADS = Table(
    "leads", "lead_id",
    (
        F("lead_id", required=True),
        F("email", semantic="email"),
        F("first_name"),
        F("last_name"),
        F("title"),
        F("phone"),
        F("company"),
        F("company_size", "integer", description="Employees at the lead's company."),
        F("industry"),
        F("country"),
        F("source", description="Lead source / channel."),
        F("campaign_id"),
        F("created_at", "timestamp"),
        F("status", vocabulary="lifecycle_stage", description="Current lifecycle stage."),
        F("owner_id"),
        F("score", "number", description="Combined lead score, 0-100 (scoring engine)."),
        F("fit_score", "number", description="Points from the fit group of the scoring rules."),
        F("intent_score", "number", description="Points from the intent group of the scoring rules."),
        F("engagement_score", "number", description="Points from the engagement group of the scoring rules."),
        F("predicted_conversion", "number",
          description="Calibrated probability the lead converts (predictive scoring), 0-1."),
        F("assigned_at", "timestamp", description="When the current owner was assigned (routing)."),
        F("converted", "boolean"),
        F("converted_at", "timestamp"),
        F("converted_account_id"),
        F("converted_contact_id"),
        F("converted_opportunity_id"),
        F("mql_at", "timestamp"),
        F("sql_at", "timestamp"),
        F("sal_at", "timestamp"),
        F("first_contacted_at", "timestamp"),
        F("disqualified_at", "timestamp"),
        F("recycled_at", "timestamp", description="When the lead went back to nurture."),
        F("updated_at", "timestamp"),
    ),
    "People not yet converted to a contact and opportunity, with their lifecycle timestamps.",
    updated_field="updated_at",
)

OPPORTUNITIES = Table(
    "opportunities", "opportunity_id",
    (
        F("opportunity_id", required=True),
        F("account_id"),
        F("owner_id"),
        F("name"),
        F("stage", vocabulary="pipeline_stage"),
        F("amount", "number"),
        F("created_at", "timestamp"),
        F("close_date", "date"),
        F("source"),
        F("type", description="new_business, expansion, renewal"),
        F("product"),
        F("forecast_category", vocabulary="forecast_category"),
        F("next_step"),
        F("probability", "number"),
        F("lead_id"),
        F("contact_id"),
        F("campaign_id"),
        F("lost_reason"),
        F("last_activity_at", "timestamp"),
        F("updated_at", "timestamp"),
    ),
    "Deals, with their current state; every change is kept in opportunity_history.",
    updated_field="updated_at",
    history_fields=("stage", "amount", "close_date", "forecast_category", "owner_id"),
)

OPPORTUNITY_HISTORY = Table(
    "opportunity_history", "history_id",
    (
        F("history_id", required=True),
        F("opportunity_id", required=True),
        F("changed_at", "timestamp", required=True,
          description="When the opportunity took on this state."),
        F("stage", vocabulary="pipeline_stage"),
        F("amount", "number"),
        F("close_date", "date"),
        F("forecast_category", vocabulary="forecast_category"),
        F("owner_id"),
        F("changed_fields", description="Comma-separated fields that changed in this row."),
        F("changed_by"),
        F("source", description="Where the row came from: ingest run, import, stage move."),
    ),
    "The state of an opportunity from changed_at until the next row: stage, amount, close date, "
    "forecast category and owner.",
)

ACTIVITIES = Table(
    "activities", "activity_id",
    (
        F("activity_id", required=True),
        F("occurred_at", "timestamp", required=True),
        F("type", description="call, email, meeting, task, note"),
        F("subject"),
        F("owner_id"),
        F("lead_id"),
        F("contact_id"),
        F("account_id"),
        F("opportunity_id"),
        F("direction", description="inbound or outbound"),
        F("duration_minutes", "number"),
        F("outcome"),
    ),
    "Calls, e-mails, meetings and tasks by reps.",
)

CAMPAIGNS = Table(
    "campaigns", "campaign_id",
    (
        F("campaign_id", required=True),
        F("name"),
        F("channel"),
        F("type"),
        F("status"),
        F("start_date", "date"),
        F("end_date", "date"),
        F("budget", "number"),
        F("cost", "number"),
        F("parent_campaign_id"),
    ),
    "Marketing campaigns and the channel each belongs to.",
)

TOUCHES = Table(
    "touches", "touch_id",
    (
        F("touch_id", required=True),
        F("occurred_at", "timestamp", required=True),
        F("channel"),
        F("campaign_id"),
        F("touch_type", description="ad_click, web_visit, pricing_page_visit, form_fill, email_open, "
                                     "email_click, event, webinar, content_download"),
        F("lead_id"),
        F("contact_id"),
        F("account_id"),
        F("opportunity_id"),
        F("url"),
    ),
    "Marketing touches for attribution and intent.",
)

USERS = Table(
    "users", "user_id",
    (
        F("user_id", required=True),
        F("name"),
        F("email", semantic="email"),
        F("role", description="ae, sdr, manager, csm, marketing, revops, executive"),
        F("team"),
        F("manager_id"),
        F("region"),
        F("segment", description="enterprise, mid_market, smb"),
        F("timezone", description="IANA time zone, e.g. America/New_York"),
        F("start_date", "date"),
        F("end_date", "date"),
        F("quota", "number", description="Annual quota in the company currency."),
        F("active", "boolean"),
        F("out_of_office", "boolean"),
    ),
    "Reps, managers and everyone else who owns records.",
)

TEAMS = Table(
    "teams", "team_id",
    (
        F("team_id", required=True),
        F("name"),
        F("function", description="marketing, sales, customer_success, revops"),
        F("manager_id"),
        F("parent_team_id"),
        F("segment"),
        F("region"),
    ),
    "Teams and their hierarchy.",
)

TERRITORIES = Table(
    "territories", "territory_id",
    (
        F("territory_id", required=True),
        F("name"),
        F("region"),
        F("segment"),
        F("countries", description="Comma-separated ISO country codes."),
        F("industry"),
        F("owner_id"),
        F("team_id"),
    ),
    "Territories: who owns which region, segment and industry.",
)

SUBSCRIPTIONS = Table(
    "subscriptions", "subscription_id",
    (
        F("subscription_id", required=True),
        F("account_id"),
        F("start_date", "date", required=True),
        F("end_date", "date", description="Exclusive end; empty while active."),
        F("mrr", "number"),
        F("plan"),
        F("product"),
        F("seats", "integer"),
        F("opportunity_id"),
        F("status"),
    ),
    "Recurring revenue: each row is a period at a monthly amount.",
)

USAGE = Table(
    "usage", "usage_id",
    (
        F("usage_id", required=True),
        F("account_id"),
        F("usage_date", "date", required=True),
        F("metric", description="active_users, events, logins, feature name …"),
        F("value", "number"),
        F("feature"),
        F("user_id"),
    ),
    "Product usage per account and day, one metric a row.",
)

SPEND = Table(
    "spend", "spend_id",
    (
        F("spend_id", required=True),
        F("period_start", "date", required=True),
        F("period_end", "date"),
        F("department", description="marketing, sales, customer_success"),
        F("category", description="programs, salaries, tools, events, agencies"),
        F("channel"),
        F("campaign_id"),
        F("amount", "number"),
    ),
    "Sales and marketing spend, for CAC and payback.",
)

PRODUCTS = Table(
    "products", "product_id",
    (
        F("product_id", required=True),
        F("name"),
        F("family"),
        F("list_price", "number", description="List price per deal or per year."),
        F("billing", description="one_time, monthly, annual"),
    ),
    "The price book: list prices value open deals that have no amount.",
)

SUPPORT_TICKETS = Table(
    "support_tickets", "ticket_id",
    (
        F("ticket_id", required=True),
        F("account_id"),
        F("contact_id"),
        F("opened_at", "timestamp", required=True),
        F("closed_at", "timestamp", description="Empty while the ticket is open."),
        F("priority", description="low, normal, high, urgent"),
        F("escalated_at", "timestamp", description="When the ticket was escalated; empty if never."),
        F("subject"),
    ),
    "Support tickets customers raise: open while closed_at is empty or after the day asked about.",
)

NPS_RESPONSES = Table(
    "nps_responses", "response_id",
    (
        F("response_id", required=True),
        F("account_id"),
        F("contact_id"),
        F("responded_at", "timestamp", required=True),
        F("score", "integer", description="How likely to recommend us, 0-10."),
        F("comment"),
    ),
    "Net Promoter Score survey answers.",
)

INVOICES = Table(
    "invoices", "invoice_id",
    (
        F("invoice_id", required=True),
        F("account_id"),
        F("subscription_id"),
        F("issued_on", "date", required=True),
        F("due_on", "date"),
        F("amount", "number"),
        F("paid_on", "date", description="Empty while unpaid; overdue when due_on has passed unpaid."),
    ),
    "Invoices billed to customers, and when each was paid.",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        ACCOUNTS, CONTACTS, LEADS, OPPORTUNITIES, OPPORTUNITY_HISTORY, ACTIVITIES, CAMPAIGNS,
        TOUCHES, USERS, TEAMS, TERRITORIES, SUBSCRIPTIONS, USAGE, SPEND, PRODUCTS,
        SUPPORT_TICKETS, NPS_RESPONSES, INVOICES,
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


def table(name: str) -> Table:
    """The canonical table called ``name``, or a KeyError that lists the valid names."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(
            f"unknown table {name!r}; valid tables: {', '.join(TABLE_NAMES)}"
        ) from None


# Ground truth written by the demo company so engines can be measured. Not part of
# the canonical model: real companies have no such tables.
TRUTH_TABLES: dict[str, tuple[Field, ...]] = {
    "truth_leads": (
        F("lead_id", required=True),
        F("quality", "number", description="Hidden lead quality 0-1 that drove its behaviour."),
        F("would_convert", "boolean"),
    ),
    "truth_duplicates": (
        F("table_name", required=True),
        F("record_id", required=True),
        F("cluster_id", required=True, description="Records with the same cluster are one entity."),
    ),
    "truth_churn": (
        F("account_id", required=True),
        F("churned", "boolean"),
        F("churned_on", "date"),
        F("driver", description="low_usage, champion_left, payment_issues, support_pain, none"),
    ),
    "truth_reps": (
        F("user_id", required=True),
        F("skill", "number"),
        F("forecast_bias", "number", description="Multiplier reps apply to their commit."),
        F("response_minutes", "number", description="Typical minutes to first touch."),
    ),
}
