"""A fake of Salesforce's REST API on loopback over TLS (simple-salesforce speaks only https),
answering in the shapes of Salesforce's REST API reference:

- ``GET /services/data/vXX.X/query?q=SOQL``: ``SELECT fields FROM Object [WHERE field op
  datetime] [ORDER BY field [ASC|DESC]]``, fields checked against the object's (INVALID_FIELD
  otherwise), ``{"totalSize", "done", "nextRecordsUrl", "records": [{"attributes": {"type",
  "url"}, ...}]}`` in batches of ``page_size``; ``GET /services/data/vXX.X/query/{locator}``.
- ``PATCH /sobjects/{Object}/{Id}`` (204), ``GET|PATCH /sobjects/Task/{ExternalIdField}/{value}``
  (upsert: 201 created / 200 updated with ``{"id", "success", "errors", "created"}``).
- errors as ``[{"message", "errorCode"}]``; every answer carries ``Sforce-Limit-Info``.
"""

from __future__ import annotations

import itertools
import re
import ssl
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from tests.connectors.fakes.server import Answer, FakeApi, Request

FIELDS = {
    "User": {"Id", "Name", "Email", "Username", "ManagerId", "TimeZoneSidKey", "IsActive", "Department", "Division",
             "CreatedDate", "LastModifiedDate"},
    "Account": {"Id", "Name", "Website", "Industry", "NumberOfEmployees", "AnnualRevenue", "BillingCountry",
                "OwnerId", "ParentId", "Type", "CreatedDate", "LastModifiedDate"},
    "Lead": {"Id", "Email", "FirstName", "LastName", "Title", "Phone", "Company", "NumberOfEmployees", "Industry",
             "Country", "LeadSource", "CreatedDate", "Status", "OwnerId", "IsConverted", "ConvertedDate",
             "ConvertedAccountId", "ConvertedContactId", "ConvertedOpportunityId", "LastModifiedDate"},
    "Contact": {"Id", "AccountId", "Email", "FirstName", "LastName", "Title", "Phone", "MailingCountry", "LeadSource",
                "OwnerId", "CreatedDate", "LastModifiedDate"},
    "Opportunity": {"Id", "AccountId", "OwnerId", "Name", "StageName", "Amount", "CreatedDate", "CloseDate",
                    "LeadSource", "Type", "ForecastCategoryName", "NextStep", "Probability", "CampaignId",
                    "LastActivityDate", "LastModifiedDate"},
    "Task": {"Id", "Subject", "WhoId", "WhatId", "OwnerId", "ActivityDate", "Description", "Status", "Priority",
             "CreatedDate", "LastModifiedDate"},
}
SOQL = re.compile(r"SELECT (?P<fields>.+?) FROM (?P<object>\w+)"
                  r"(?: WHERE (?P<field>\w+) (?P<op>>=|<=|>|<|=) (?P<value>\S+))?"
                  r"(?: ORDER BY (?P<order>\w+)(?: (?P<dir>ASC|DESC))?)?(?: LIMIT (?P<limit>\d+))?", re.I)


def sf_time(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "+0000"


def parse_time(value: str) -> datetime:
    text = value.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text).astimezone(timezone.utc).replace(tzinfo=None)


def refuse(status: int, code: str, message: str) -> Answer:
    return status, {}, [{"message": message, "errorCode": code}]


class FakeSalesforce(FakeApi):
    def __init__(self, tls: ssl.SSLContext, token: str = "00Dfake!session", page_size: int = 2000) -> None:
        super().__init__(token, tls=tls)
        self.page_size = page_size
        self.fields = {name: set(fields) for name, fields in FIELDS.items()}
        for name in ("Lead", "Contact", "Account", "Opportunity"):  # the custom fields docs/connectors.md asks for
            self.fields[name].add("Revops_Score__c")
        for name in ("Contact", "Account"):
            self.fields[name].add("Revops_Lifecycle_Stage__c")
        self.fields["Task"].add("Revops_Key__c")
        self.external_ids = {"Task": {"Revops_Key__c"}}
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in FIELDS}
        self.updates: list[tuple[str, str, dict[str, Any]]] = []
        self._locators: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self.api_calls = 0

    # -- seeding -----------------------------------------------------------------------
    def add(self, sobject: str, record_id: str, modified: datetime | str, **fields: Any) -> None:
        stamp = sf_time(modified)
        self.records[sobject][record_id] = {"Id": record_id, "CreatedDate": fields.pop("CreatedDate", stamp),
                                            "LastModifiedDate": stamp, **fields}

    def tasks(self) -> list[dict[str, Any]]:
        return list(self.records["Task"].values())

    # -- answers -----------------------------------------------------------------------
    def unauthorized(self) -> Answer:
        return refuse(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def error_body(self, status: int) -> Any:
        return {403: [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
                503: [{"message": "Server temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}]}.get(
            status, [{"message": "An unexpected error occurred.", "errorCode": "UNKNOWN_EXCEPTION"}])

    def route(self, r: Request) -> Answer:
        self.api_calls += 1
        status, headers, body = self._route(r)
        return status, {**headers, "Sforce-Limit-Info": f"api-usage={self.api_calls}/15000"}, body

    def _route(self, r: Request) -> Answer:
        m = re.fullmatch(r"/services/data/v(?P<v>\d+\.\d)/(?P<rest>.+)", r.path)
        if m is None:
            return refuse(404, "NOT_FOUND", "The requested resource does not exist")
        version, rest = m["v"], m["rest"]
        if rest == "query/" or rest == "query":
            return self._query(version, r.query.get("q", [""])[0])
        if q := re.fullmatch(r"query/(?P<locator>[\w]+)-(?P<offset>\d+)", rest):
            return self._page(version, q["locator"], int(q["offset"]))
        if u := re.fullmatch(r"sobjects/(?P<object>\w+)/(?P<field>\w+__c)/(?P<value>[^/]+)", rest):
            return self._by_external_id(version, r, u["object"], u["field"], unquote(u["value"]))
        if u := re.fullmatch(r"sobjects/(?P<object>\w+)/(?P<id>\w+)", rest):
            if r.method == "PATCH":
                return self._update(u["object"], u["id"], r.body or {})
        return refuse(404, "NOT_FOUND", "The requested resource does not exist")

    def _attributes(self, version: str, sobject: str, record: dict[str, Any]) -> dict[str, Any]:
        return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record['Id']}"}

    def _query(self, version: str, soql: str) -> Answer:
        m = SOQL.fullmatch(soql.strip())
        if m is None:
            return refuse(400, "MALFORMED_QUERY", f"unexpected token in: {soql}")
        sobject = m["object"]
        if sobject not in self.fields:
            return refuse(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
        fields = [f.strip() for f in m["fields"].split(",")]
        for name in fields + [n for n in (m["field"], m["order"]) if n]:
            if name not in self.fields[sobject]:
                return refuse(400, "INVALID_FIELD", f"\n{soql}\n^\nERROR at Row:1:Column:1\nNo such column "
                                                    f"'{name}' on entity '{sobject}'.")
        rows = list(self.records[sobject].values())
        if m["field"]:
            bound = parse_time(m["value"])
            compare = {">=": lambda a: a >= bound, ">": lambda a: a > bound, "<=": lambda a: a <= bound,
                       "<": lambda a: a < bound, "=": lambda a: a == bound}[m["op"]]
            rows = [r for r in rows if r.get(m["field"]) and compare(parse_time(r[m["field"]]))]
        if m["order"]:
            rows.sort(key=lambda r: (parse_time(r[m["order"]]) if "Date" in m["order"] else str(r.get(m["order"]))),
                      reverse=(m["dir"] or "").upper() == "DESC")
        if m["limit"]:
            rows = rows[:int(m["limit"])]
        selected = [{"attributes": self._attributes(version, sobject, r), **{f: r.get(f) for f in fields}}
                    for r in rows]
        locator = f"01gFAKE{next(self._ids)}"
        self._locators[locator] = selected
        return self._page(version, locator, 0)

    def _page(self, version: str, locator: str, offset: int) -> Answer:
        rows = self._locators.get(locator)
        if rows is None:
            return refuse(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        end = offset + self.page_size
        answer: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows), "records": rows[offset:end]}
        if end < len(rows):
            answer["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        return 200, {}, answer

    def _unknown(self, sobject: str, data: dict[str, Any]) -> Answer | None:
        unknown = [k for k in data if k not in self.fields[sobject]]
        if unknown:
            return refuse(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {sobject}")
        return None

    def _update(self, sobject: str, record_id: str, data: dict[str, Any]) -> Answer:
        if sobject not in self.records or record_id not in self.records[sobject]:
            return refuse(404, "NOT_FOUND", "The requested resource does not exist")
        if (refused := self._unknown(sobject, data)) is not None:
            return refused
        self.records[sobject][record_id].update(data, LastModifiedDate=sf_time(datetime.now(timezone.utc)))
        self.updates.append((sobject, record_id, dict(data)))
        return 204, {}, None

    def _by_external_id(self, version: str, r: Request, sobject: str, field: str, value: str) -> Answer:
        if field not in self.external_ids.get(sobject, set()):
            return refuse(400, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}")
        record = next((x for x in self.records[sobject].values() if x.get(field) == value), None)
        if r.method == "GET":
            if record is None:
                return refuse(404, "NOT_FOUND", "The requested resource does not exist")
            return 200, {}, {"attributes": self._attributes(version, sobject, record), **record}
        if r.method != "PATCH":
            return refuse(405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed")
        data = dict(r.body or {})
        if (refused := self._unknown(sobject, data)) is not None:
            return refused
        if record is not None:
            record.update(data)
            return 200, {}, {"id": record["Id"], "success": True, "errors": [], "created": False}
        new_id = f"00T{next(self._ids):012d}"
        self.add(sobject, new_id, datetime.now(timezone.utc), **{field: value, **data})
        return 201, {}, {"id": new_id, "success": True, "errors": [], "created": True}
