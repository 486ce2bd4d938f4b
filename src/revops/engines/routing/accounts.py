"""Lead-to-account matching: a lead from a company we already know goes to that account's owner.

A lead matches an account by its e-mail domain (``ana@acme.com`` -> ``acme.com``, never a
free-mail domain such as gmail.com) or by its company name normalised the same way on both
sides: lower case, ``&`` read as ``and``, punctuation dropped, legal forms at the end dropped
(Inc, LLC, GmbH, Ltd, Pty Ltd, S.A. …): "Acme, Inc." and "ACME Inc" are both ``acme``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com",
    "hotmail.co.uk", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com",
    "mac.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de", "mail.com",
    "yandex.ru", "qq.com", "163.com", "zoho.com", "fastmail.com", "hey.com",
})

LEGAL_FORMS = frozenset({
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "gmbh", "ag", "co", "corp",
    "corporation", "company", "plc", "sa", "sas", "sarl", "bv", "nv", "pty", "pte", "srl", "spa",
    "oy", "ab", "as", "asa", "aps", "kk", "kg", "se", "sl", "sro", "lda", "ulc", "pc", "pllc",
})

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def company_key(name: Any) -> str | None:
    """The normalised company name, or None when nothing is left (empty, only a legal form)."""
    if not isinstance(name, str):
        return None
    text = name.lower().replace("&", " and ").replace(".", "").replace("'", "")
    words = [w for w in _NOT_WORD.split(text) if w]
    if words and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    if not words or (len(words) == 1 and words[0] in LEGAL_FORMS):
        return None
    return " ".join(words)


def domain_key(value: Any) -> str | None:
    """A web domain or an e-mail address as a bare lower-case domain without ``www.``."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = text.split("/", 1)[0].split("?", 1)[0].rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    return text or None


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    name: str | None
    domain: str | None
    owner_id: str | None


class AccountIndex:
    """Accounts by domain and by normalised name. Where several accounts share one (duplicates),
    an account with an owner wins over one without, a customer over a prospect."""

    def __init__(self, accounts: Iterable[Mapping[str, Any]] = ()) -> None:
        self.by_domain: dict[str, Account] = {}
        self.by_name: dict[str, Account] = {}
        ranked = sorted(accounts, key=_precedence)
        for row in ranked:
            account = Account(str(row["account_id"]), row.get("name"), domain_key(row.get("domain")),
                              row.get("owner_id"))
            if account.domain and account.domain not in FREE_MAIL_DOMAINS:
                self.by_domain.setdefault(account.domain, account)
            key = company_key(account.name)
            if key:
                self.by_name.setdefault(key, account)

    def __len__(self) -> int:
        return len(self.by_domain) + len(self.by_name)

    def match(self, lead: Mapping[str, Any], on: tuple[str, ...]) -> tuple[Account | None, str, str | None]:
        """(account, how, the value that matched) — how is 'domain', 'company' or 'none'."""
        for how in on:
            if how == "domain":
                domain = domain_key(lead.get("email"))
                if domain and domain not in FREE_MAIL_DOMAINS:
                    found = self.by_domain.get(domain)
                    if found is not None:
                        return found, "domain", domain
            elif how == "company":
                key = company_key(lead.get("company"))
                if key:
                    found = self.by_name.get(key)
                    if found is not None:
                        return found, "company", key
        return None, "none", None


def _precedence(row: Mapping[str, Any]) -> tuple:
    return (row.get("owner_id") is None, row.get("type") != "customer", str(row.get("account_id")))
