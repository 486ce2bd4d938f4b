"""HubSpot through its maintained client (``hubspot-api-client``): CRM v3 search for what
changed, owners, write-back of owner, score and lifecycle stage, and tasks made once per key.

HubSpot's answers and failures are read here; the sync itself is in ``sync.py``. The API's
limits (docs/connectors.md): search pages hold at most 100 records (``limit``), a search
query reaches its first 10,000 results only, and search calls are limited to a few a second;
beyond them a 429 comes with the 10-second window to wait.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from revops.connectors.errors import ConnectorError
from revops.connectors.feeds import Feed, Page, PulledRecord, Target, epoch_ms, iso_z, naive_utc
from revops.connectors.fields import HUBSPOT_TASK_KEY, api_names, write_fields
from revops.connectors.retry import Failure, RetryPolicy, Throttle, retry_after
from revops.connectors.settings import HubSpotSettings
from revops.store.store import utcnow

OBJECT_OF_TABLE = {"leads": "contacts", "contacts": "contacts", "accounts": "companies", "opportunities": "deals"}
MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
RATE_WINDOW = 10.0
"""HubSpot's rolling rate-limit window (seconds): what a 429 without Retry-After waits."""
SEARCH_RESULTS = 10_000
"""HubSpot answers a search query's first 10,000 results only."""
PRIMARY_DEAL_COMPANY = 5
"""HubSpot's association type id of a deal's primary company."""
TASK_TYPE = "TODO"
"""HubSpot's task type for a to-do (the API's enumeration: TODO, CALL, EMAIL); not a placeholder."""


def classify(exc: BaseException) -> Failure | None:
    """What a HubSpot client exception means: 429, 5xx and network failures pass, others last."""
    import urllib3

    status = getattr(exc, "status", None)
    if type(exc).__module__.startswith("hubspot.") and status is not None:
        try:
            body = json.loads(getattr(exc, "body", None) or "{}")
        except (TypeError, ValueError):
            body = {}
        message = (body.get("message") if isinstance(body, dict) else None) or getattr(exc, "reason", "") or ""
        headers = getattr(exc, "headers", None) or {}
        if status == 0:
            return Failure(f"could not call HubSpot: {message}", retryable=False)
        if status == 429:
            policy = body.get("policyName") if isinstance(body, dict) else None
            if policy == "DAILY":
                return Failure("HubSpot's daily API limit is used up (429, policy DAILY): sync again after "
                               "midnight in the account's time zone", retryable=False, status=429)
            interval = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
            wait = retry_after(headers.get("Retry-After"))
            if wait is None:
                wait = int(interval) / 1000 if interval and interval.isdigit() else RATE_WINDOW
            return Failure(f"rate limited by HubSpot (429{', ' + policy if policy else ''})", True, wait, 429)
        if status >= 500:
            return Failure(f"HubSpot answered {status}: {message}", retryable=True, status=status)
        if status == 401:
            return Failure("HubSpot refused the access token (401): set HUBSPOT_ACCESS_TOKEN to a valid private "
                           "app token", retryable=False, status=401)
        if status == 403:
            return Failure(f"HubSpot refused the call (403): {message}; give the private app the scopes in "
                           "docs/connectors.md", retryable=False, status=403)
        return Failure(f"HubSpot refused the call ({status}): {message}", retryable=False, status=status)
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return Failure(f"could not reach HubSpot ({type(exc).__name__}: {exc})", retryable=True)
    return None


class HubSpotConnector:
    system = "hubspot"

    def __init__(self, settings: HubSpotSettings, *, policy: RetryPolicy | None = None, timeout: float = 30.0,
                 page_size: int = 100, search_results: int = SEARCH_RESULTS, searches_per_second: float = 4.0) -> None:
        import hubspot
        from urllib3.util.retry import Retry

        self.settings = settings
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.page_size = page_size
        self.search_results = search_results
        self.throttle = Throttle(searches_per_second, sleep=self.policy.sleep)
        config: dict[str, Any] = {"host": settings.base_url}
        if settings.ca_bundle:
            config["ssl_ca_cert"] = settings.ca_bundle
        # Retries are this connector's (the policy): the client's transport makes one attempt.
        client = hubspot.Client.create(access_token=settings.access_token.get_secret_value(),
                                       retry=Retry(total=0, redirect=False, raise_on_redirect=False), **config)
        self._basic, self._batch, self._search = client.crm.objects.basic_api, client.crm.objects.batch_api, \
            client.crm.objects.search_api
        self._owners = client.crm.owners.owners_api
        self._associations = client.crm.associations.v4

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return self.policy.run(lambda: fn(*args, _request_timeout=self.timeout, **kwargs), classify, f"HubSpot {what}")

    # -- pull --------------------------------------------------------------------------
    def feeds(self) -> tuple[Feed, ...]:
        return (
            Feed("owners", (Target("users"),), self._pull_owners),
            Feed("companies", (Target("accounts"),), lambda since: self._pull("companies", since, "accounts")),
            Feed("contacts", (Target("leads"), Target("contacts", keep=self._at_a_company)),
                 lambda since: self._pull("contacts", since, "leads", "contacts")),
            Feed("deals", (Target("opportunities"),), lambda since: self._pull("deals", since, "opportunities")),
        )

    @staticmethod
    def _at_a_company(row: dict[str, Any]) -> bool:
        """A HubSpot contact with a primary company is also a contact of that account."""
        return bool(row.get("associatedcompanyid"))

    def _pull(self, object_type: str, since: datetime | None, *tables: str) -> Iterator[Page]:
        modified = MODIFIED[object_type]
        properties = [p for p in api_names(self.system, *tables) if p != "hs_object_id"]
        for records, total in self.search(object_type, modified, properties, since):
            rows = [{**r.properties, "hs_object_id": r.id} for r in records]
            if object_type == "deals" and rows:
                companies = self._deal_companies([r["hs_object_id"] for r in rows])
                for row in rows:
                    row["associatedcompanyid"] = companies.get(row["hs_object_id"])
            yield Page([PulledRecord(row, naive_utc(row.get(modified))) for row in rows], total)

    def search(self, object_type: str, modified: str, properties: list[str],
               since: datetime | None) -> Iterator[tuple[list[Any], int]]:
        """Pages of the records modified at or after ``since``, oldest first. A query reaches its
        first 10,000 results only: past them the search starts again from the last modified date
        seen, skipping the records already given."""
        from hubspot.crm.objects.models import Filter, FilterGroup, PublicObjectSearchRequest

        start: datetime | None = since
        given_at_start: set[str] = set()
        while True:
            after, in_query, last = None, 0, start
            at_last: set[str] = set()
            filters = None if start is None else [
                FilterGroup(filters=[Filter(property_name=modified, operator="GTE", value=str(epoch_ms(start)))])]
            while True:
                request = PublicObjectSearchRequest(
                    filter_groups=filters, sorts=[{"propertyName": modified, "direction": "ASCENDING"}],
                    properties=properties, limit=self.page_size, after=after)
                self.throttle.wait()
                answer = self._call(f"{object_type} search", self._search.do_search, object_type, request)
                results = [r for r in answer.results if r.id not in given_at_start]
                in_query += len(answer.results)
                for r in results:
                    moment = naive_utc(r.properties.get(modified))
                    if moment is not None and (last is None or moment > last):
                        last, at_last = moment, set()
                    if moment == last:
                        at_last.add(r.id)
                yield results, answer.total
                after = answer.paging.next.after if answer.paging and answer.paging.next else None
                if after is None:
                    return
                if in_query + self.page_size > self.search_results:
                    break
            if last == start:
                raise ConnectorError(f"HubSpot {object_type}: more than {self.search_results} records were modified "
                                     f"at {last}; a search cannot page past them (sync with --since after it)")
            start, given_at_start = last, at_last

    def _deal_companies(self, deal_ids: list[str]) -> dict[str, str]:
        """Each deal's primary company (else its first), from the v4 associations batch read."""
        from hubspot.crm.associations.v4.models import (BatchInputPublicFetchAssociationsBatchRequest,
                                                         PublicFetchAssociationsBatchRequest)

        request = BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in deal_ids])
        answer = self._call("deal companies", self._associations.batch_api.get_page, "deals", "companies", request)
        companies: dict[str, str] = {}
        for result in answer.results:
            targets = sorted(result.to, key=lambda t: not any(a.type_id == PRIMARY_DEAL_COMPANY
                                                               for a in t.association_types))
            if targets:
                companies[str(result._from.id)] = str(targets[0].to_object_id)
        return companies

    def _pull_owners(self, since: datetime | None) -> Iterator[Page]:
        """Owners (HubSpot's users); the owners API has no modified filter, so the ones changed
        before ``since`` are left out here."""
        after = None
        while True:
            answer = self._call("owners", self._owners.get_page, limit=self.page_size, after=after, archived=False)
            records = []
            for owner in answer.results:
                modified = naive_utc(owner.updated_at)
                if since is not None and modified is not None and modified < since:
                    continue
                team = next((t.name for t in owner.teams or [] if t.primary), None) or \
                    next((t.name for t in owner.teams or []), None)
                name = " ".join(p for p in (owner.first_name, owner.last_name) if p) or None
                records.append(PulledRecord({"id": owner.id, "email": owner.email, "name": name,
                                             "active": not owner.archived, "teams": team}, modified))
            yield Page(records)
            after = answer.paging.next.after if answer.paging and answer.paging.next else None
            if after is None:
                return

    # -- write-back --------------------------------------------------------------------
    def write_back(self, table: str, record_id: str, fields: dict[str, Any], *, key: str) -> dict[str, Any]:
        """Set owner, score, lifecycle stage (canonical names) on a HubSpot record; what HubSpot answered."""
        from hubspot.crm.objects.models import SimplePublicObjectInput

        properties = {k: "" if v is None else str(v) for k, v in write_fields(self.system, table, fields).items()}
        object_type = OBJECT_OF_TABLE[table]
        answer = self._call(f"update of {object_type} {record_id}", self._basic.update, object_type, record_id,
                            SimplePublicObjectInput(properties=properties))
        return {"system": self.system, "object": object_type, "id": answer.id, "key": key,
                "fields": {k: answer.properties.get(k) for k in properties}}

    def create_task(self, *, subject: str, table: str, record_id: str, owner_id: str | None = None,
                    due_at: datetime | None = None, body: str | None = None, key: str) -> str:
        """A HubSpot task on the record, made once per ``key`` (kept in the unique task property
        revops_key): read by key first, else upserted by key, so a retry finds the first one."""
        from hubspot.crm.objects.models import BatchInputSimplePublicObjectBatchInputUpsert, \
            SimplePublicObjectBatchInputUpsert

        if table not in OBJECT_OF_TABLE:
            raise ConnectorError(f"cannot make a task on {table!r}: tasks go on {', '.join(OBJECT_OF_TABLE)}")
        task_id = self._task_by_key(key)
        if task_id is None:
            properties = {"hs_task_subject": subject, "hs_task_type": TASK_TYPE,
                          "hs_timestamp": iso_z(naive_utc(due_at) or utcnow())}
            if body:
                properties["hs_task_body"] = body
            if owner_id:
                properties["hubspot_owner_id"] = owner_id
            request = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[SimplePublicObjectBatchInputUpsert(
                id_property=HUBSPOT_TASK_KEY, id=key, properties=properties)])
            answer = self._call(f"task upsert {key!r}", self._batch.upsert, "tasks", request)
            errors = getattr(answer, "errors", None)
            if errors or not answer.results:
                message = errors[0].message if errors else "no task in the answer"
                raise ConnectorError(f"HubSpot task upsert {key!r}: {message}", retryable=False)
            task_id = answer.results[0].id
        self._call(f"task {task_id} association", self._associations.basic_api.create_default, "tasks", task_id,
                   OBJECT_OF_TABLE[table], record_id)
        return str(task_id)

    def _task_by_key(self, key: str) -> str | None:
        def read() -> str | None:
            try:
                return self._basic.get_by_id("tasks", key, id_property=HUBSPOT_TASK_KEY,
                                             _request_timeout=self.timeout).id
            except Exception as exc:
                if getattr(exc, "status", None) == 404 and type(exc).__module__.startswith("hubspot."):
                    return None
                raise
        return self.policy.run(read, classify, f"HubSpot task by key {key!r}")


def connect(env: Mapping[str, str], **options: Any) -> HubSpotConnector:
    return HubSpotConnector(HubSpotSettings.from_env(env), **options)
