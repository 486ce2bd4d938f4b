"""Salesforce through its maintained client (``simple-salesforce``): SOQL for what changed,
followed page by page through ``nextRecordsUrl``, write-back of owner, score and lifecycle
stage, and tasks upserted on an external id so that one key makes one task.

simple-salesforce always speaks https to the instance; a private CA (a proxy's, the tests'
local server) is trusted through SALESFORCE_CA_BUNDLE, set on the requests session it is given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from revops.connectors.errors import ConnectorError
from revops.connectors.feeds import Feed, Page, PulledRecord, Target, iso_z, naive_utc
from revops.connectors.fields import SALESFORCE_TASK_KEY, api_names, write_fields
from revops.connectors.retry import Failure, RetryPolicy, retry_after
from revops.connectors.settings import SalesforceSettings

SOBJECT_OF_TABLE = {"leads": "Lead", "contacts": "Contact", "accounts": "Account", "opportunities": "Opportunity"}
TASK_RELATION = {"leads": "WhoId", "contacts": "WhoId", "accounts": "WhatId", "opportunities": "WhatId"}
"""A task names a person (lead, contact) in WhoId and a thing (account, deal) in WhatId."""
PULLED = (("User", "users"), ("Account", "accounts"), ("Lead", "leads"), ("Contact", "contacts"),
          ("Opportunity", "opportunities"))
MODIFIED = "LastModifiedDate"


def _session(settings: SalesforceSettings, timeout: float) -> Any:
    """A requests session with a timeout on every call, trusting SALESFORCE_CA_BUNDLE when set.

    The CA bundle is given to each call by the session's adapter: requests lets REQUESTS_CA_BUNDLE
    from the environment override a session's own ``verify``."""
    import requests
    from requests.adapters import HTTPAdapter

    class Transport(HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            if settings.ca_bundle:
                kwargs["verify"] = settings.ca_bundle
            return super().send(request, *args, **kwargs)

    session = requests.Session()
    session.mount("https://", Transport(max_retries=0))
    return session


class SalesforceConnector:
    system = "salesforce"

    def __init__(self, settings: SalesforceSettings, *, policy: RetryPolicy | None = None,
                 timeout: float = 30.0) -> None:
        from simple_salesforce import Salesforce

        self.settings = settings
        self.policy = policy or RetryPolicy()
        self._retry_after: str | None = None
        session = _session(settings, timeout)
        session.hooks["response"].append(self._seen)
        if settings.access_token is not None:
            options: dict[str, Any] = {"instance_url": settings.instance_url,
                                       "session_id": settings.access_token.get_secret_value()}
        else:
            options = {"username": settings.username, "domain": settings.domain,
                       "password": settings.password.get_secret_value() if settings.password else None,
                       "security_token": settings.security_token.get_secret_value() if settings.security_token else None}
        self.sf = self.policy.run(lambda: Salesforce(version=settings.api_version, session=session, **options),
                                  self.classify, "Salesforce login")

    def _seen(self, response: Any, *args: Any, **kwargs: Any) -> None:
        """Each answer's Retry-After, for the rate limit that follows it (the client's exceptions
        carry the body, not the headers)."""
        self._retry_after = response.headers.get("Retry-After")

    def classify(self, exc: BaseException) -> Failure | None:
        """What a simple-salesforce or requests exception means: REQUEST_LIMIT_EXCEEDED, 429, 5xx
        and network failures pass, others last."""
        import requests
        from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

        if isinstance(exc, SalesforceAuthenticationFailed):
            return Failure(f"Salesforce refused the login ({exc.code}: {exc.auth_message}): check "
                           "SALESFORCE_USERNAME, SALESFORCE_PASSWORD, SALESFORCE_SECURITY_TOKEN and SALESFORCE_DOMAIN",
                           False, status=401)
        if isinstance(exc, SalesforceError):
            content = exc.content
            first = content[0] if isinstance(content, list) and content and isinstance(content[0], dict) else {}
            code, message = first.get("errorCode", ""), " ".join(str(first.get("message", content)).split())
            if code == "REQUEST_LIMIT_EXCEEDED" or exc.status == 429:
                return Failure(f"rate limited by Salesforce ({code or exc.status}: {message})", True,
                               retry_after(self._retry_after), exc.status)
            if exc.status >= 500:
                return Failure(f"Salesforce answered {exc.status} {code}: {message}", True, status=exc.status)
            if exc.status == 401:
                return Failure(f"Salesforce refused the session (401 {code}: {message}): set SALESFORCE_ACCESS_TOKEN "
                               "to a current access token, or log in with SALESFORCE_USERNAME, SALESFORCE_PASSWORD "
                               "and SALESFORCE_SECURITY_TOKEN", False, status=401)
            return Failure(f"Salesforce refused the call ({exc.status} {code}): {message}", False, status=exc.status)
        if isinstance(exc, requests.exceptions.SSLError):
            return Failure(f"TLS with Salesforce failed ({exc}); if a proxy re-signs traffic, set SALESFORCE_CA_BUNDLE "
                           "to its CA file", False)
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return Failure(f"could not reach Salesforce ({type(exc).__name__}: {exc})", True)
        return None

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        def call() -> Any:
            self._retry_after = None
            return fn(*args, **kwargs)
        return self.policy.run(call, self.classify, f"Salesforce {what}")

    # -- pull --------------------------------------------------------------------------
    def feeds(self) -> tuple[Feed, ...]:
        return tuple(Feed(sobject, (Target(table),), self._puller(sobject, table)) for sobject, table in PULLED)

    def _puller(self, sobject: str, table: str) -> Any:
        return lambda since: self._pull(sobject, table, since)

    def soql(self, sobject: str, table: str, since: datetime | None) -> str:
        """The query of a pull: the preset's standard fields (custom __c fields an org may lack are
        left out), modified at or after ``since``, oldest first."""
        fields = [f for f in api_names(self.system, table) if not f.endswith("__c")]
        if MODIFIED not in fields:
            fields.append(MODIFIED)
        where = f" WHERE {MODIFIED} >= {iso_z(since)}" if since is not None else ""
        return f"SELECT {', '.join(fields)} FROM {sobject}{where} ORDER BY {MODIFIED} ASC"

    def _pull(self, sobject: str, table: str, since: datetime | None) -> Iterator[Page]:
        answer = self._call(f"{sobject} query", self.sf.query, self.soql(sobject, table, since))
        while True:
            rows = [{k: v for k, v in record.items() if k != "attributes"} for record in answer["records"]]
            yield Page([PulledRecord(row, naive_utc(row.get(MODIFIED))) for row in rows], answer.get("totalSize"))
            if answer.get("done", True) or not answer.get("nextRecordsUrl"):
                return
            answer = self._call(f"{sobject} query page", self.sf.query_more, answer["nextRecordsUrl"],
                                identifier_is_url=True)

    # -- write-back --------------------------------------------------------------------
    def write_back(self, table: str, record_id: str, fields: dict[str, Any], *, key: str) -> dict[str, Any]:
        """Set owner, score, lifecycle stage (canonical names) on a Salesforce record. Salesforce
        answers an update with 204 and no body: the fields it took are the ones sent."""
        data = write_fields(self.system, table, fields)
        sobject = SOBJECT_OF_TABLE[table]
        status = self._call(f"update of {sobject} {record_id}", getattr(self.sf, sobject).update, record_id, data)
        return {"system": self.system, "object": sobject, "id": record_id, "key": key, "fields": data,
                "status": status}

    def create_task(self, *, subject: str, table: str, record_id: str, owner_id: str | None = None,
                    due_at: datetime | None = None, body: str | None = None, key: str) -> str:
        """A Salesforce task on the record, made once per ``key``: read by the external id
        Task.Revops_Key__c first, else upserted on it, so a retry finds the first one."""
        if table not in SOBJECT_OF_TABLE:
            raise ConnectorError(f"cannot make a task on {table!r}: tasks go on {', '.join(SOBJECT_OF_TABLE)}")
        task_id = self._task_by_key(key)
        if task_id is not None:
            return task_id
        data: dict[str, Any] = {"Subject": subject, TASK_RELATION[table]: record_id}
        if owner_id:
            data["OwnerId"] = owner_id
        if due_at is not None:
            data["ActivityDate"] = (naive_utc(due_at) or due_at).date().isoformat()
        if body:
            data["Description"] = body
        answer = self._call(f"task upsert {key!r}", self.sf.Task.upsert, f"{SALESFORCE_TASK_KEY}/{quote(key, safe='')}",
                            data, raw_response=True)
        made = answer.json() if answer.content else {}
        task_id = made.get("id") if isinstance(made, dict) else None
        if task_id is None:  # API versions before 46.0 answer 204 without a body
            task_id = self._task_by_key(key)
        if task_id is None:
            raise ConnectorError(f"Salesforce task upsert {key!r}: no task id in the answer", retryable=True)
        return str(task_id)

    def _task_by_key(self, key: str) -> str | None:
        from simple_salesforce.exceptions import SalesforceResourceNotFound

        def read() -> str | None:
            try:
                found = self.sf.restful(f"sobjects/Task/{SALESFORCE_TASK_KEY}/{quote(key, safe='')}",
                                        params={"fields": "Id"})
                return found["Id"] if found else None
            except SalesforceResourceNotFound:
                return None
        return self._call(f"task by key {key!r}", read)


def connect(env: Mapping[str, str], **options: Any) -> SalesforceConnector:
    return SalesforceConnector(SalesforceSettings.from_env(env), **options)
