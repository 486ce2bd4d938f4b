"""Who an event is about, and the records runs read.

An event names an account, a lead or an e-mail address. Its lead is ``lead_id``, or the
newest lead with that e-mail. Its account is ``account_id``; else the lead's converted
account; else the account of a contact with that e-mail; else the one account whose domain
is the e-mail's domain. Found ids are remembered (ids do not move); what is not found is
looked up again with the next batch, since the record may have arrived meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from revops.engines.identity.names import business_domain
from revops.orchestration.events import StoredEvent
from revops.store.schema import table as table_spec

class Subjects:
    """Resolves events to (lead_id, account_id), in batches; ``con`` is a connection for reads."""

    def __init__(self, con: Any, limit: int = 200_000) -> None:
        self.con = con
        self.limit = limit
        self._forget()

    def _forget(self) -> None:
        self.lead_of_email: dict[str, str] = {}
        self.account_of_lead: dict[str, str] = {}
        self.account_of_email: dict[str, str] = {}
        self.account_of_domain: dict[str, str] = {}

    def resolve(self, events: Sequence[StoredEvent]) -> list[tuple[str | None, str | None]]:
        self._learn(events)
        out = []
        for e in events:
            lead = e.lead_id or (self.lead_of_email.get(e.email) if e.email else None)
            account = e.account_id or (self.account_of_lead.get(lead) if lead else None)
            if account is None and e.email:
                domain = business_domain(e.email)
                account = self.account_of_email.get(e.email) or (self.account_of_domain.get(domain) if domain else None)
            out.append((lead, account))
        return out

    def _learn(self, events: Sequence[StoredEvent]) -> None:
        if sum(map(len, (self.lead_of_email, self.account_of_lead, self.account_of_email))) > self.limit:
            self._forget()  # bounded memory: start over
        emails = {e.email for e in events if e.email and not e.lead_id and e.email not in self.lead_of_email}
        if emails:
            for email, lead in self._pairs(
                    "SELECT lower(email), arg_max(lead_id, created_at) FROM leads "
                    "WHERE lower(email) IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1", emails):
                self.lead_of_email[email] = lead
        leads = {e.lead_id or self.lead_of_email.get(e.email or "") for e in events if not e.account_id}
        leads = {lead for lead in leads if lead and lead not in self.account_of_lead}
        if leads:
            for lead, account in self._pairs(
                    "SELECT lead_id, converted_account_id FROM leads WHERE converted_account_id IS NOT NULL "
                    "AND lead_id IN (SELECT unnest(?::VARCHAR[]))", leads):
                self.account_of_lead[lead] = account
        emails = {e.email for e in events if e.email and not e.account_id and e.email not in self.account_of_email}
        if emails:
            for email, account in self._pairs(
                    "SELECT lower(email), min(account_id) FROM contacts WHERE account_id IS NOT NULL "
                    "AND lower(email) IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1", emails):
                self.account_of_email[email] = account
            domains = {business_domain(m) for m in emails if m not in self.account_of_email}
            domains -= {None, *self.account_of_domain}
            if domains:
                for domain, account in self._pairs(
                        "SELECT lower(domain), min(account_id) FROM accounts "
                        "WHERE lower(domain) IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1 HAVING count(*) = 1",
                        domains):
                    self.account_of_domain[domain] = account

    def _pairs(self, sql: str, values: Iterable[str]) -> list[tuple[str, str]]:
        return self.con.execute(sql, [sorted(values)]).fetchall()


def load_records(con: Any, table: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The records of ``table`` with these ids, by id (the fields as stored)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    key = table_spec(table).key
    cur = con.execute(f'SELECT * FROM "{table}" WHERE "{key}" IN (SELECT unnest(?::VARCHAR[]))', [wanted])
    names = [d[0] for d in cur.description]
    return {row[names.index(key)]: dict(zip(names, row)) for row in cur.fetchall()}


def account_of(record: dict[str, Any], table: str) -> str | None:
    """The account a record belongs to."""
    if table == "accounts":
        return record.get("account_id")
    if table == "leads":
        return record.get("converted_account_id")
    return record.get("account_id")
