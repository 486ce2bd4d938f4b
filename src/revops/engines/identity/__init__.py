"""The identity engine: duplicate contacts, leads and accounts, and which account a person
belongs to.

    from revops.engines import identity
    report = identity.find_duplicates(store.con, model, "contacts")   # pairs, clusters, reasons
    identity.apply_merges(store, report, model, by="ana")             # recorded in _merges
    identity.undo_merge(store, "mrg_…", by="ana")                     # exactly as before
    identity.match_account(store.con, model, company="ACME Inc.", email="ana@acme.com")

Modules, in the order data flows through them: ``names`` (normalising), ``prepare`` (records
as compared), ``settings`` (blocking rules and comparisons per table), ``train`` (Splink
linker on DuckDB or Spark, EM-trained), ``predict`` (pairs and clusters), ``explain`` (why, in
words), ``survivorship`` and ``merge`` (what a merge keeps; undo), ``accounts`` (lead-to-account
matching, used by routing's account_match node).
"""

from __future__ import annotations

from typing import Any

from revops.engines.identity.accounts import AccountMatch, AccountMatcher, load_accounts
from revops.engines.identity.errors import IdentityError
from revops.engines.identity.merge import MergeResult, apply_merges, merges, undo_merge
from revops.engines.identity.predict import DuplicateReport, PairMatch, find_duplicates
from revops.engines.identity.prepare import DEDUPE_TABLES

__all__ = [
    "DEDUPE_TABLES", "AccountMatch", "AccountMatcher", "DuplicateReport", "IdentityError", "MergeResult",
    "PairMatch", "apply_merges", "find_duplicates", "load_accounts", "match_account", "merges", "undo_merge",
]


def match_account(con: Any, model: Any, *, company: str | None = None, email: str | None = None) -> AccountMatch:
    """The store's account a person with this company name and e-mail belongs to."""
    if not (company or email):
        raise IdentityError("give a company name, an e-mail address or both")
    return AccountMatcher.from_model(load_accounts(con, model), model).match(company, email)
