"""Built-in presets for CRM export column names and values.

A preset lists, for each canonical field, the source columns that carry it in a
Salesforce or HubSpot export: API names (``StageName``, ``dealstage``) and report
labels (``Stage``, ``Deal Stage``). Columns are matched ignoring case, spaces and
punctuation, and the first candidate present in the file wins. A mapping file given
with the preset overrides it field by field.
"""

from __future__ import annotations

import re

from revops.errors import IngestError
from revops.ingest.mapping import Mapping

PRESET_NAMES = ("salesforce", "hubspot")


def norm(name: str) -> str:
    """Column names compared ignoring case, spaces and punctuation: `Deal Stage` == `dealstage`."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


# canonical table -> canonical field -> candidate source columns
SALESFORCE_COLUMNS: dict[str, dict[str, list[str]]] = {
    "opportunities": {
        "opportunity_id": ["Id", "Opportunity ID", "OpportunityId"],
        "account_id": ["AccountId", "Account ID"],
        "owner_id": ["OwnerId", "Owner ID", "Opportunity Owner"],
        "name": ["Name", "Opportunity Name"],
        "stage": ["StageName", "Stage"],
        "amount": ["Amount"],
        "created_at": ["CreatedDate", "Created Date"],
        "close_date": ["CloseDate", "Close Date"],
        "source": ["LeadSource", "Lead Source"],
        "type": ["Type", "Opportunity Type"],
        "forecast_category": ["ForecastCategoryName", "ForecastCategory", "Forecast Category"],
        "next_step": ["NextStep", "Next Step"],
        "probability": ["Probability", "Probability (%)"],
        "campaign_id": ["CampaignId", "Primary Campaign Source"],
        "last_activity_at": ["LastActivityDate", "Last Activity"],
        "updated_at": ["LastModifiedDate", "Last Modified Date"],
        "lost_reason": ["Loss_Reason__c", "Loss Reason"],
    },
    "leads": {
        "lead_id": ["Id", "Lead ID"],
        "email": ["Email"],
        "first_name": ["FirstName", "First Name"],
        "last_name": ["LastName", "Last Name"],
        "title": ["Title"],
        "phone": ["Phone"],
        "company": ["Company", "Company / Account"],
        "company_size": ["NumberOfEmployees", "No. of Employees", "Employees"],
        "industry": ["Industry"],
        "country": ["Country", "Country Code"],
        "source": ["LeadSource", "Lead Source"],
        "created_at": ["CreatedDate", "Created Date", "Create Date"],
        "status": ["Status", "Lead Status"],
        "owner_id": ["OwnerId", "Owner ID", "Lead Owner"],
        "converted": ["IsConverted", "Converted"],
        "converted_at": ["ConvertedDate", "Converted Date"],
        "converted_account_id": ["ConvertedAccountId"],
        "converted_contact_id": ["ConvertedContactId"],
        "converted_opportunity_id": ["ConvertedOpportunityId"],
        "updated_at": ["LastModifiedDate", "Last Modified Date"],
    },
    "accounts": {
        "account_id": ["Id", "Account ID"],
        "name": ["Name", "Account Name"],
        "domain": ["Website"],
        "industry": ["Industry"],
        "employees": ["NumberOfEmployees", "Employees"],
        "annual_revenue": ["AnnualRevenue", "Annual Revenue"],
        "country": ["BillingCountry", "Billing Country", "BillingCountryCode"],
        "owner_id": ["OwnerId", "Account Owner"],
        "parent_account_id": ["ParentId", "Parent Account ID"],
        "type": ["Type", "Account Type"],
        "created_at": ["CreatedDate", "Created Date"],
        "updated_at": ["LastModifiedDate", "Last Modified Date"],
    },
    "contacts": {
        "contact_id": ["Id", "Contact ID"],
        "account_id": ["AccountId", "Account ID"],
        "email": ["Email"],
        "first_name": ["FirstName", "First Name"],
        "last_name": ["LastName", "Last Name"],
        "title": ["Title"],
        "phone": ["Phone"],
        "country": ["MailingCountry", "Mailing Country"],
        "source": ["LeadSource", "Lead Source"],
        "created_at": ["CreatedDate", "Created Date"],
        "updated_at": ["LastModifiedDate", "Last Modified Date"],
    },
    "users": {
        "user_id": ["Id", "User ID"],
        "name": ["Name", "Full Name"],
        "email": ["Email"],
        "manager_id": ["ManagerId", "Manager ID"],
        "timezone": ["TimeZoneSidKey", "Time Zone"],
        "active": ["IsActive", "Active"],
        "team": ["Department"],
        "region": ["Division"],
    },
    "opportunity_history": {
        "history_id": ["Id"],
        "opportunity_id": ["OpportunityId", "Opportunity ID"],
        "changed_at": ["CreatedDate", "Created Date", "Last Modified"],
        "stage": ["StageName", "Stage", "To Stage"],
        "amount": ["Amount"],
        "close_date": ["CloseDate", "Close Date"],
        "forecast_category": ["ForecastCategory", "Forecast Category"],
        "changed_by": ["CreatedById", "Last Modified By"],
    },
    "activities": {
        "activity_id": ["Id", "Activity ID"],
        "occurred_at": ["ActivityDateTime", "ActivityDate", "Date", "CreatedDate"],
        "type": ["TaskSubtype", "Type", "EventSubtype"],
        "subject": ["Subject"],
        "owner_id": ["OwnerId", "Assigned"],
        "lead_id": ["WhoId"],
        "opportunity_id": ["WhatId"],
        "account_id": ["AccountId"],
        "duration_minutes": ["DurationInMinutes"],
        "outcome": ["CallDisposition", "Status"],
    },
    "campaigns": {
        "campaign_id": ["Id", "Campaign ID"],
        "name": ["Name", "Campaign Name"],
        "type": ["Type"],
        "status": ["Status"],
        "start_date": ["StartDate", "Start Date"],
        "end_date": ["EndDate", "End Date"],
        "budget": ["BudgetedCost", "Budgeted Cost"],
        "cost": ["ActualCost", "Actual Cost"],
        "parent_campaign_id": ["ParentId"],
    },
}

SALESFORCE_VALUES: dict[str, dict[str, str]] = {
    "stage": {
        "Prospecting": "discovery", "Qualification": "qualification", "Needs Analysis": "qualification",
        "Value Proposition": "solution", "Id. Decision Makers": "solution",
        "Perception Analysis": "solution", "Proposal/Price Quote": "proposal",
        "Negotiation/Review": "negotiation", "Closed Won": "closed_won", "Closed Lost": "closed_lost",
    },
    "forecast_category": {
        "Omitted": "omitted", "Pipeline": "pipeline", "Best Case": "best_case", "BestCase": "best_case",
        "Commit": "commit", "Forecast": "commit", "Closed": "closed",
    },
    "status": {
        "Open - Not Contacted": "new", "Working - Contacted": "sal",
        "Closed - Converted": "opportunity", "Closed - Not Converted": "disqualified",
    },
    "type": {"New Customer": "new_business", "Existing Customer - Upgrade": "expansion",
             "Existing Customer - Replacement": "renewal", "Existing Customer - Downgrade": "contraction"},
}

HUBSPOT_COLUMNS: dict[str, dict[str, list[str]]] = {
    "opportunities": {
        "opportunity_id": ["hs_object_id", "Record ID", "Deal ID", "dealId"],
        "name": ["dealname", "Deal Name"],
        "stage": ["dealstage", "Deal Stage"],
        "amount": ["amount", "Amount"],
        "close_date": ["closedate", "Close Date"],
        "created_at": ["createdate", "Create Date"],
        "owner_id": ["hubspot_owner_id", "Deal owner", "Deal Owner"],
        "type": ["dealtype", "Deal Type"],
        "forecast_category": ["hs_forecast_category", "Forecast category"],
        "next_step": ["hs_next_step", "Next step"],
        "probability": ["hs_deal_stage_probability", "Deal probability"],
        "account_id": ["associatedcompanyid", "Associated Company ID", "Associated Company IDs"],
        "source": ["hs_analytics_source", "Original Source", "Original Traffic Source"],
        "updated_at": ["hs_lastmodifieddate", "Last Modified Date"],
        "last_activity_at": ["notes_last_updated", "Last Activity Date"],
    },
    "leads": {
        "lead_id": ["hs_object_id", "Record ID", "Contact ID", "vid"],
        "email": ["email", "Email"],
        "first_name": ["firstname", "First Name"],
        "last_name": ["lastname", "Last Name"],
        "title": ["jobtitle", "Job Title"],
        "phone": ["phone", "Phone Number"],
        "company": ["company", "Company Name"],
        "company_size": ["numemployees", "Number of Employees"],
        "industry": ["industry", "Industry"],
        "country": ["country", "Country/Region", "Country"],
        "source": ["hs_analytics_source", "Original Source", "Original Traffic Source"],
        "created_at": ["createdate", "Create Date"],
        "status": ["lifecyclestage", "Lifecycle Stage"],
        "owner_id": ["hubspot_owner_id", "Contact owner", "Contact Owner"],
        "mql_at": ["hs_lifecyclestage_marketingqualifiedlead_date",
                   "Became a Marketing Qualified Lead Date"],
        "sql_at": ["hs_lifecyclestage_salesqualifiedlead_date", "Became a Sales Qualified Lead Date"],
        "converted_at": ["hs_lifecyclestage_opportunity_date", "Became an Opportunity Date"],
        "updated_at": ["lastmodifieddate", "Last Modified Date"],
    },
    "contacts": {
        "contact_id": ["hs_object_id", "Record ID", "Contact ID", "vid"],
        "account_id": ["associatedcompanyid", "Associated Company ID", "Primary Associated Company ID"],
        "email": ["email", "Email"],
        "first_name": ["firstname", "First Name"],
        "last_name": ["lastname", "Last Name"],
        "title": ["jobtitle", "Job Title"],
        "phone": ["phone", "Phone Number"],
        "company": ["company", "Company Name"],
        "country": ["country", "Country/Region"],
        "source": ["hs_analytics_source", "Original Source"],
        "created_at": ["createdate", "Create Date"],
        "updated_at": ["lastmodifieddate", "Last Modified Date"],
    },
    "accounts": {
        "account_id": ["hs_object_id", "Record ID", "Company ID", "companyId"],
        "name": ["name", "Company name", "Company Name"],
        "domain": ["domain", "Company Domain Name", "website", "Website URL"],
        "industry": ["industry", "Industry"],
        "employees": ["numberofemployees", "Number of Employees"],
        "annual_revenue": ["annualrevenue", "Annual Revenue"],
        "country": ["country", "Country/Region"],
        "owner_id": ["hubspot_owner_id", "Company owner", "Company Owner"],
        "type": ["lifecyclestage", "Lifecycle Stage", "type"],
        "created_at": ["createdate", "Create Date"],
        "updated_at": ["hs_lastmodifieddate", "Last Modified Date"],
    },
    "users": {
        "user_id": ["id", "ownerId", "Owner ID"],
        "email": ["email", "Email"],
        "name": ["name", "Name"],
        "active": ["active"],
        "team": ["teams", "Team"],
    },
}

HUBSPOT_VALUES: dict[str, dict[str, str]] = {
    "stage": {
        "appointmentscheduled": "discovery", "Appointment Scheduled": "discovery",
        "qualifiedtobuy": "qualification", "Qualified To Buy": "qualification",
        "presentationscheduled": "solution", "Presentation Scheduled": "solution",
        "decisionmakerboughtin": "proposal", "Decision Maker Bought-In": "proposal",
        "contractsent": "negotiation", "Contract Sent": "negotiation",
        "closedwon": "closed_won", "Closed Won": "closed_won",
        "closedlost": "closed_lost", "Closed Lost": "closed_lost",
    },
    "status": {
        "subscriber": "new", "lead": "new", "marketingqualifiedlead": "mql",
        "Marketing Qualified Lead": "mql", "salesqualifiedlead": "sql", "Sales Qualified Lead": "sql",
        "opportunity": "opportunity", "customer": "customer", "evangelist": "customer", "other": "new",
        "Subscriber": "new", "Lead": "new", "Opportunity": "opportunity", "Customer": "customer",
        "Evangelist": "customer", "Other": "new",
    },
    "type": {"newbusiness": "new_business", "New Business": "new_business",
             "existingbusiness": "expansion", "Existing Business": "expansion"},
    "forecast_category": {"COMMIT": "commit", "BEST_CASE": "best_case", "PIPELINE": "pipeline",
                          "OMIT": "omitted", "CLOSED": "closed"},
    "company_size": {"1-5": "3", "5-25": "15", "25-50": "38", "50-100": "75", "100-500": "300",
                     "500-1000": "750", "1000+": "1000"},
    "employees": {"1-5": "3", "5-25": "15", "25-50": "38", "50-100": "75", "100-500": "300",
                  "500-1000": "750", "1000+": "1000"},
}

_PRESETS = {
    "salesforce": (SALESFORCE_COLUMNS, SALESFORCE_VALUES),
    "hubspot": (HUBSPOT_COLUMNS, HUBSPOT_VALUES),
}


def preset_mapping(name: str, table: str, source_columns: list[str]) -> Mapping:
    """The preset's mapping for ``table``, resolved against the columns the file has."""
    if name not in _PRESETS:
        raise IngestError(f"unknown preset {name!r}; presets are {', '.join(PRESET_NAMES)}")
    columns_by_table, values = _PRESETS[name]
    candidates = columns_by_table.get(table, {})
    present = {norm(c): c for c in source_columns}
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for field, names in candidates.items():
        for cand in names:
            src = present.get(norm(cand))
            if src is not None and src not in taken:
                columns[field] = src
                taken.add(src)
                break
    return Mapping(columns=columns, values={k: dict(v) for k, v in values.items()},
                   source=f"preset:{name}")
