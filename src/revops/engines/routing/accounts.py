"""Lead-to-account matching for routing: a lead from a company we already know goes to that
account's owner.

The matching itself is the identity engine's (``revops.engines.identity.accounts``): the e-mail
domain (never a free-mail domain such as gmail.com), then the company name — exact, normalised
("Acme, Inc." and "ACME Inc" are both ``acme``), acronym, first words of a longer name, fuzzy —
with its tie-breakers when several accounts match. An ``account_match`` node's ``match_on``
picks the families: ``domain`` and ``company`` (every name method).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from revops.engines.identity.accounts import NAME_METHODS, Account, AccountMatcher
from revops.engines.identity.names import FREE_MAIL_DOMAINS, LEGAL_FORMS, company_key, domain_key

__all__ = ["FREE_MAIL_DOMAINS", "LEGAL_FORMS", "Account", "AccountIndex", "company_key", "domain_key"]

_METHODS = {"domain": ("domain",), "company": NAME_METHODS}
_SAID = {"domain": "domain", "name_exact": "company", "name_normalised": "company"}


class AccountIndex:
    """The accounts routing matches leads to (see the module doc)."""

    def __init__(self, accounts: Iterable[Mapping[str, Any]] = (), model: Any = None) -> None:
        has_settings = getattr(model, "identity", None) is not None
        self.matcher = AccountMatcher.from_model(accounts, model) if has_settings else AccountMatcher(accounts)

    def __len__(self) -> int:
        return len(self.matcher)

    def match(self, lead: Mapping[str, Any], on: tuple[str, ...]) -> tuple[Account | None, str, str | None]:
        """(account, how, the value that matched): how is 'domain', 'company' (an exact or
        normalised name), 'acronym', 'name_prefix', 'fuzzy' or 'none'."""
        methods = [m for family in on for m in _METHODS.get(family, ())]
        found = self.matcher.match(lead.get("company"), lead.get("email"), methods)
        if found.account is None:
            return None, "none", None
        return found.account, _SAID.get(found.method, found.method), found.matched_on
