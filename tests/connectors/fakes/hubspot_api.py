"""A fake of HubSpot's CRM API (v3 objects, search, owners; v4 associations) on loopback,
answering in the shapes of HubSpot's public API reference:

- ``POST /crm/v3/objects/{type}/search``: filterGroups (GTE/GT/LTE/LT/EQ on a property,
  datetimes as epoch milliseconds or ISO), one sort, ``limit`` (at most 200), ``after``;
  ``{"total", "results": [{"id", "properties", "createdAt", "updatedAt", "archived"}],
  "paging": {"next": {"after"}}}``; a query pages no further than ``search_cap`` results (10,000).
- ``GET /crm/v3/owners/``, ``PATCH /crm/v3/objects/{type}/{id}`` (unknown properties refused),
  ``GET /crm/v3/objects/{type}/{id}?idProperty=``, ``POST /crm/v3/objects/{type}/batch/upsert``
  (on a unique property), ``PUT /crm/v4/objects/{type}/{id}/associations/default/{to}/{toId}``,
  ``POST /crm/v4/associations/{from}/{to}/batch/read``.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from tests.connectors.fakes.server import Answer, FakeApi, Request

MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate",
            "tasks": "hs_lastmodifieddate"}
STANDARD = {
    "contacts": {"email", "firstname", "lastname", "jobtitle", "phone", "company", "numemployees", "industry",
                 "country", "hs_analytics_source", "lifecyclestage", "hubspot_owner_id", "associatedcompanyid",
                 "hs_lifecyclestage_marketingqualifiedlead_date", "hs_lifecyclestage_salesqualifiedlead_date",
                 "hs_lifecyclestage_opportunity_date"},
    "companies": {"name", "domain", "industry", "numberofemployees", "annualrevenue", "country", "hubspot_owner_id",
                  "lifecyclestage"},
    "deals": {"dealname", "dealstage", "amount", "closedate", "hubspot_owner_id", "dealtype", "hs_forecast_category",
              "hs_next_step", "hs_deal_stage_probability", "hs_analytics_source", "notes_last_updated", "pipeline"},
    "tasks": {"hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_type", "hs_timestamp", "hubspot_owner_id"},
}
ASSOCIATION_TYPES = {("tasks", "contacts"): 204, ("tasks", "companies"): 192, ("tasks", "deals"): 216}


def hs_time(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_time(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc).replace(tzinfo=None)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)


def error(status: int, message: str, category: str, **extra: Any) -> Answer:
    return status, {}, {"status": "error", "message": message, "correlationId": "00000000-fake", "category": category,
                        **extra}


class FakeHubSpot(FakeApi):
    def __init__(self, token: str = "pat-test", search_cap: int = 10_000) -> None:
        super().__init__(token)
        self.search_cap = search_cap
        self.objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in MODIFIED}
        self.properties = {t: {"hs_object_id", "createdate", MODIFIED[t], *props} for t, props in STANDARD.items()}
        for t in ("contacts", "companies", "deals"):
            self.properties[t].add("revops_score")  # the custom property docs/connectors.md asks for
        self.properties["tasks"].add("revops_key")
        self.unique = {"tasks": {"revops_key"}}
        self.owners: list[dict[str, Any]] = []
        self.associations: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
        self.updates: list[tuple[str, str, dict[str, str]]] = []
        self._ids = itertools.count(90_001)

    # -- seeding -----------------------------------------------------------------------
    def add(self, object_type: str, object_id: str, modified: datetime | str, **properties: Any) -> None:
        stamp = hs_time(modified)
        props = {"hs_object_id": object_id, "createdate": properties.pop("createdate", stamp),
                 MODIFIED[object_type]: stamp}
        props.update({k: None if v is None else str(v) for k, v in properties.items()})
        self.objects[object_type][object_id] = {"id": object_id, "properties": props, "createdAt": props["createdate"],
                                                "updatedAt": stamp, "archived": False}

    def add_owner(self, owner_id: str, email: str, first: str, last: str, updated: datetime | str,
                  team: str | None = None, archived: bool = False) -> None:
        self.owners.append({"id": owner_id, "email": email, "type": "PERSON", "firstName": first, "lastName": last,
                            "userId": int(owner_id), "createdAt": hs_time(updated), "updatedAt": hs_time(updated),
                            "archived": archived,
                            "teams": [{"id": "1", "name": team, "primary": True}] if team else []})

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> None:
        self.associations.setdefault((from_type, from_id), []).append((to_type, to_id, type_id))

    def tasks(self) -> list[dict[str, Any]]:
        return list(self.objects["tasks"].values())

    # -- answers -----------------------------------------------------------------------
    def unauthorized(self) -> Answer:
        return error(401, "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                          "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                     "INVALID_AUTHENTICATION")

    def error_body(self, status: int) -> Any:
        if status == 429:
            return {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT", "correlationId": "00000000-fake", "policyName": "TEN_SECONDLY_ROLLING"}
        return {"status": "error", "message": "internal error", "correlationId": "00000000-fake"}

    def route(self, r: Request) -> Answer:
        path = r.path.rstrip("/")
        if m := re.fullmatch(r"/crm/v3/objects/(\w+)/search", path):
            return self._search(m[1], r.body or {}) if r.method == "POST" else error(405, "", "")
        if path == "/crm/v3/owners" and r.method == "GET":
            return self._owners(r)
        if (m := re.fullmatch(r"/crm/v3/objects/(\w+)/batch/upsert", path)) and r.method == "POST":
            return self._upsert(m[1], r.body or {})
        if (m := re.fullmatch(r"/crm/v3/objects/(\w+)/([^/]+)", path)) and m[1] in self.objects:
            if r.method == "PATCH":
                return self._update(m[1], m[2], (r.body or {}).get("properties", {}))
            if r.method == "GET":
                return self._read(m[1], unquote(m[2]), (r.query.get("idProperty") or [None])[0])
        if (m := re.fullmatch(r"/crm/v4/objects/(\w+)/([^/]+)/associations/default/(\w+)/([^/]+)", path)) \
                and r.method == "PUT":
            return self._associate(m[1], m[2], m[3], m[4])
        if (m := re.fullmatch(r"/crm/v4/associations/(\w+)/(\w+)/batch/read", path)) and r.method == "POST":
            return self._read_associations(m[1], m[2], r.body or {})
        return error(404, f"no route {r.method} {r.path}", "OBJECT_NOT_FOUND")

    def _search(self, object_type: str, body: dict[str, Any]) -> Answer:
        if object_type not in self.objects:
            return error(400, f"Unable to infer object type from: {object_type}", "VALIDATION_ERROR")
        limit, after = int(body.get("limit") or 10), int(body.get("after") or 0)
        if limit > 200:
            return error(400, "limit must be less than or equal to 200", "VALIDATION_ERROR")
        if after >= self.search_cap:
            return error(400, f"There was a problem with the request. Search only supports paging up to "
                              f"{self.search_cap} results", "VALIDATION_ERROR")
        records = list(self.objects[object_type].values())
        groups = body.get("filterGroups") or []
        if groups:
            records = [o for o in records if any(all(self._matches(o, f) for f in g["filters"]) for g in groups)]
        for sort in body.get("sorts") or []:
            name = sort["propertyName"] if isinstance(sort, dict) else sort.lstrip("-")
            descending = (sort.get("direction") == "DESCENDING") if isinstance(sort, dict) else sort.startswith("-")
            records.sort(reverse=descending,
                         key=lambda o: (o["properties"].get(name) is None, self._sortable(name, o), int(o["id"])))
        wanted = set(body.get("properties") or []) | {"hs_object_id", "createdate", MODIFIED[object_type]}
        page = records[after:after + limit]
        answer: dict[str, Any] = {"total": len(records), "results": [
            {**o, "properties": {k: v for k, v in o["properties"].items() if k in wanted}} for o in page]}
        if after + limit < len(records):
            answer["paging"] = {"next": {"after": str(after + limit), "link": "?after=" + str(after + limit)}}
        return 200, {}, answer

    def _sortable(self, name: str, o: dict[str, Any]) -> Any:
        value = o["properties"].get(name)
        return parse_time(value) if value and name in (MODIFIED.values()) else (value or "")

    def _matches(self, o: dict[str, Any], f: dict[str, Any]) -> bool:
        value = o["properties"].get(f["propertyName"])
        if value is None:
            return False
        dated = f["propertyName"] in MODIFIED.values() or f["propertyName"] == "createdate"
        left, right = (parse_time(value), parse_time(str(f["value"]))) if dated else (value, str(f["value"]))
        return {"GTE": left >= right, "GT": left > right, "LTE": left <= right, "LT": left < right,
                "EQ": left == right}[f["operator"]]

    def _owners(self, r: Request) -> Answer:
        limit, after = int((r.query.get("limit") or ["100"])[0]), int((r.query.get("after") or ["0"])[0])
        archived = (r.query.get("archived") or ["false"])[0] == "true"
        owners = [o for o in self.owners if o["archived"] == archived]
        answer: dict[str, Any] = {"results": owners[after:after + limit]}
        if after + limit < len(owners):
            answer["paging"] = {"next": {"after": str(after + limit), "link": ""}}
        return 200, {}, answer

    def _unknown(self, object_type: str, properties: dict[str, Any]) -> Answer | None:
        unknown = [k for k in properties if k not in self.properties[object_type]]
        if unknown:
            return error(400, "Property values were not valid: " + ", ".join(
                f'{{"isValid":false,"message":"Property \\"{k}\\" does not exist","error":"PROPERTY_DOESNT_EXIST",'
                f'"name":"{k}"}}' for k in unknown), "VALIDATION_ERROR")
        return None

    def _update(self, object_type: str, object_id: str, properties: dict[str, Any]) -> Answer:
        if object_id not in self.objects[object_type]:
            return error(404, f"resource not found, objectId={object_id}", "OBJECT_NOT_FOUND")
        if (refused := self._unknown(object_type, properties)) is not None:
            return refused
        record = self.objects[object_type][object_id]
        record["properties"].update(properties)
        record["updatedAt"] = record["properties"][MODIFIED[object_type]] = hs_time(datetime.now(timezone.utc))
        self.updates.append((object_type, object_id, dict(properties)))
        return 200, {}, record

    def _by_unique(self, object_type: str, prop: str, value: str) -> dict[str, Any] | None:
        return next((o for o in self.objects[object_type].values() if o["properties"].get(prop) == value), None)

    def _read(self, object_type: str, object_id: str, id_property: str | None) -> Answer:
        if id_property and id_property not in self.unique.get(object_type, set()):
            return error(400, f"{id_property} is not a unique property", "VALIDATION_ERROR")
        record = self._by_unique(object_type, id_property, object_id) if id_property else \
            self.objects[object_type].get(object_id)
        if record is None:
            return error(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
        return 200, {}, record

    def _upsert(self, object_type: str, body: dict[str, Any]) -> Answer:
        now = hs_time(datetime.now(timezone.utc))
        results = []
        for item in body.get("inputs", []):
            prop, value, properties = item.get("idProperty"), item["id"], dict(item.get("properties") or {})
            if prop not in self.unique.get(object_type, set()):
                return error(400, f"{prop} is not a unique property", "VALIDATION_ERROR")
            if (refused := self._unknown(object_type, properties)) is not None:
                return refused
            record = self._by_unique(object_type, prop, value)
            new = record is None
            if new:
                if object_type == "tasks" and "hs_timestamp" not in properties:
                    return error(400, "hs_timestamp is required", "VALIDATION_ERROR")
                self.add(object_type, str(next(self._ids)), now, **{prop: value, **properties})
                record = self._by_unique(object_type, prop, value)
            else:
                record["properties"].update(properties)
            results.append({**record, "new": new})
        return 200, {}, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}

    def _associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> Answer:
        if from_id not in self.objects.get(from_type, {}) or to_id not in self.objects.get(to_type, {}):
            return error(404, "one of the objects does not exist", "OBJECT_NOT_FOUND")
        type_id = ASSOCIATION_TYPES[(from_type, to_type)]
        links = self.associations.setdefault((from_type, from_id), [])
        if (to_type, to_id, type_id) not in links:
            links.append((to_type, to_id, type_id))
        now = hs_time(datetime.now(timezone.utc))
        return 200, {}, {"status": "COMPLETE", "startedAt": now, "completedAt": now, "results": [
            {"from": {"id": from_id}, "to": {"id": to_id},
             "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}}]}

    def _read_associations(self, from_type: str, to_type: str, body: dict[str, Any]) -> Answer:
        now = hs_time(datetime.now(timezone.utc))
        results, errors = [], []
        for item in body.get("inputs", []):
            links = [(t, i, k) for t, i, k in self.associations.get((from_type, item["id"]), []) if t == to_type]
            if not links:
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND", "message": f"No {to_type} is "
                               f"associated with {from_type} {item['id']}.", "context": {"fromObjectId": [item["id"]]},
                               "links": {}, "errors": []})
                continue
            results.append({"from": {"id": item["id"]}, "to": [
                {"toObjectId": int(i), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": k,
                                                             "label": "Primary" if k == 5 else None}]}
                for _, i, k in links]})
        answer = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if errors:
            return 207, {}, {**answer, "errors": errors, "numErrors": len(errors)}
        return 200, {}, answer
