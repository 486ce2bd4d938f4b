"""Lead-to-account matching: which known account a person (an e-mail, a company name) belongs to.

Methods, tried in this order; the first that finds an account decides:

| method | how | confidence |
| --- | --- | --- |
| domain | the e-mail's domain is the account's web domain (a subdomain's parent too); never a free-mail domain | 0.98 |
| name_exact | the same name, case and spacing aside | 0.95 |
| name_normalised | the same name once legal forms (Inc, LLC, GmbH, Pty Ltd …), punctuation, "&"/"and", accents and spaces are set aside | 0.90 |
| acronym | one name is the initials of the other: "IBM", "International Business Machines" | 0.80 |
| name_prefix | one name is the first words of the other, camel case read as words: "Chevron" in "ChevronTexaco" (at least ``min_prefix_length`` letters) | 0.70 |
| fuzzy | Jaro-Winkler similarity of the normalised names at least ``fuzzy_threshold``, lengths within two letters (or 10%): a typo, not a longer name | 0.6 x similarity |

When several accounts match by the deciding method (duplicates, sister companies), the tie is
broken by: an account with an owner, then more open opportunities, then the most recent activity,
then a customer over a prospect, then the oldest; and the confidence drops by 0.1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from revops.engines.identity import names

Method = Literal["domain", "name_exact", "name_normalised", "acronym", "name_prefix", "fuzzy", "none"]
NAME_METHODS: tuple[Method, ...] = ("name_exact", "name_normalised", "acronym", "name_prefix", "fuzzy")
CONFIDENCE: dict[str, float] = {"domain": 0.98, "name_exact": 0.95, "name_normalised": 0.9, "acronym": 0.8,
                                "name_prefix": 0.7}
FUZZY_CONFIDENCE = 0.6
TIE_PENALTY = 0.1


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    name: str | None
    domain: str | None
    owner_id: str | None
    type: str | None = None
    created_at: datetime | None = None
    open_opportunities: int = 0
    last_activity_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountMatch:
    account: Account | None
    method: Method
    confidence: float
    matched_on: str | None
    """The value that matched: the domain, or the normalised name."""
    candidates: int = 0
    """How many accounts the deciding method found (more than one: a tie was broken)."""

    @property
    def account_id(self) -> str | None:
        return self.account.account_id if self.account else None

    def as_dict(self) -> dict[str, Any]:
        a = self.account
        return {"account_id": self.account_id, "confidence": round(self.confidence, 3), "method": self.method,
                "matched_on": self.matched_on, "name": a.name if a else None, "owner_id": a.owner_id if a else None,
                "candidates": self.candidates}


NO_MATCH = AccountMatch(None, "none", 0.0, None)


def _tie_key(a: Account) -> tuple:
    """Best first: an owner, more open deals, latest activity, a customer, the oldest, the id."""
    last = a.last_activity_at.timestamp() if isinstance(a.last_activity_at, datetime) else float("-inf")
    created = a.created_at.timestamp() if isinstance(a.created_at, datetime) else float("inf")
    return (not a.owner_id, -(a.open_opportunities or 0), -last, a.type != "customer", created, a.account_id)


class AccountMatcher:
    """The accounts of a store, indexed by domain and by every form of their name."""

    def __init__(self, accounts: Iterable[Mapping[str, Any]] = (), *, fuzzy_threshold: float = 0.92,
                 min_prefix_length: int = 4, free_mail: Iterable[str] = ()) -> None:
        self.fuzzy_threshold = fuzzy_threshold
        self.min_prefix_length = min_prefix_length
        self.free_mail = names.FREE_MAIL_DOMAINS | {d.lower() for d in free_mail}
        self.by_domain: dict[str, list[Account]] = {}
        self.by_exact: dict[str, list[Account]] = {}
        self.by_compact: dict[str, list[Account]] = {}
        self.by_acronym: dict[str, list[Account]] = {}
        self.by_prefix: dict[str, list[Account]] = {}
        """Accounts by each proper first-words prefix of their name ("chevron" for ChevronTexaco)."""
        self.by_ends: dict[str, list[Account]] = {}
        """Accounts by the first and last three letters of their compact name (fuzzy candidates)."""
        self.size = 0
        for row in accounts:
            self.add(_account(row))

    @classmethod
    def from_model(cls, accounts: Iterable[Mapping[str, Any]], model: Any) -> AccountMatcher:
        s = model.identity.account_matching
        return cls(accounts, fuzzy_threshold=s.fuzzy_threshold, min_prefix_length=s.min_prefix_length,
                   free_mail=s.extra_free_mail_domains)

    def __len__(self) -> int:
        return self.size

    def add(self, account: Account) -> None:
        self.size += 1
        domain = names.domain_key(account.domain)
        if domain and domain not in self.free_mail:
            self.by_domain.setdefault(domain, []).append(account)
        exact = _exact(account.name)
        if exact:
            self.by_exact.setdefault(exact, []).append(account)
        words = names.company_words(account.name)
        if not words:
            return
        compact = "".join(words)
        self.by_compact.setdefault(compact, []).append(account)
        if (initials := names.initials(words)) is not None:
            self.by_acronym.setdefault(initials, []).append(account)
        tokens = names.company_tokens(account.name) if names.has_camel_case(account.name) else words
        for k in range(1, len(tokens)):
            prefix = "".join(tokens[:k])
            if len(prefix) >= self.min_prefix_length:
                self.by_prefix.setdefault(prefix, []).append(account)
        for end in _ends(compact):
            self.by_ends.setdefault(end, []).append(account)

    # -- matching -------------------------------------------------------------------------
    def match(self, company: Any = None, email: Any = None,
              methods: Iterable[str] = ("domain", *NAME_METHODS)) -> AccountMatch:
        """The account a person with this e-mail and company name belongs to (NO_MATCH: none)."""
        wanted = set(methods)
        if "domain" in wanted:
            found = self._by_domain(email)
            if found:
                return found
        for method in NAME_METHODS:
            if method in wanted:
                found = getattr(self, f"_{method}")(company)
                if found:
                    return found
        return NO_MATCH

    def _by_domain(self, email: Any) -> AccountMatch | None:
        domain = names.domain_key(email)
        if not domain or domain in self.free_mail:
            return None
        parts = domain.split(".")
        for i in range(len(parts) - 1):  # acme.com, then eu.acme.com's parent acme.com
            candidate = ".".join(parts[i:])
            if candidate in self.by_domain:
                return _decide(self.by_domain[candidate], "domain", CONFIDENCE["domain"], candidate)
        return None

    def _name_exact(self, company: Any) -> AccountMatch | None:
        key = _exact(company)
        return _decide(self.by_exact.get(key, []), "name_exact", CONFIDENCE["name_exact"], key) if key else None

    def _name_normalised(self, company: Any) -> AccountMatch | None:
        compact = names.company_compact(company)
        if not compact:
            return None
        return _decide(self.by_compact.get(compact, []), "name_normalised", CONFIDENCE["name_normalised"],
                       names.company_key(company))

    def _acronym(self, company: Any) -> AccountMatch | None:
        compact = names.company_compact(company)
        if not compact:
            return None
        found: list[Account] = []
        if 2 <= len(compact) <= 6 and len(names.company_words(company)) == 1:
            found += self.by_acronym.get(compact, [])  # "IBM" -> International Business Machines
        initials = names.acronym(company)
        if initials:
            found += [a for a in self.by_compact.get(initials, [])  # and the other way round
                      if len(names.company_words(a.name)) == 1]
        return _decide(found, "acronym", CONFIDENCE["acronym"], compact)

    def _name_prefix(self, company: Any) -> AccountMatch | None:
        compact = names.company_compact(company)
        if not compact:
            return None
        found: list[Account] = []
        if len(compact) >= self.min_prefix_length:
            found += self.by_prefix.get(compact, [])  # "Chevron" -> ChevronTexaco
        tokens = names.company_tokens(company)
        for k in range(1, len(tokens)):  # "ChevronTexaco" -> Chevron
            prefix = "".join(tokens[:k])
            if len(prefix) >= self.min_prefix_length:
                found += self.by_compact.get(prefix, [])
        return _decide(found, "name_prefix", CONFIDENCE["name_prefix"], compact)

    def _fuzzy(self, company: Any) -> AccountMatch | None:
        compact = names.company_compact(company)
        if not compact or len(compact) < self.min_prefix_length:
            return None
        scored: dict[str, tuple[float, Account]] = {}
        for end in _ends(compact):
            for account in self.by_ends.get(end, []):
                if account.account_id in scored:
                    continue
                other = names.company_compact(account.name) or ""
                if abs(len(other) - len(compact)) > max(2, len(compact) // 10):
                    continue  # a typo, not a longer name (name_prefix's part)
                scored[account.account_id] = (jaro_winkler(compact, other), account)
        if not scored:
            return None
        best = max(score for score, _ in scored.values())
        if best < self.fuzzy_threshold:
            return None
        top = [a for score, a in scored.values() if score == best]
        return _decide(top, "fuzzy", FUZZY_CONFIDENCE * best, compact)


def _decide(found: list[Account], method: Method, confidence: float, value: str | None) -> AccountMatch | None:
    unique = list({a.account_id: a for a in found}.values())
    if not unique:
        return None
    unique.sort(key=_tie_key)
    penalty = TIE_PENALTY if len(unique) > 1 else 0.0
    return AccountMatch(unique[0], method, max(confidence - penalty, 0.05), value, len(unique))


def _exact(name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    text = " ".join(name.split()).lower()
    return text or None


def _ends(compact: str) -> tuple[str, ...]:
    return (f"^{compact[:3]}", f"{compact[-3:]}$") if len(compact) >= 3 else (f"^{compact}",)


def _account(row: Mapping[str, Any] | Account) -> Account:
    if isinstance(row, Account):
        return row
    return Account(str(row["account_id"]), row.get("name"), row.get("domain"), row.get("owner_id"), row.get("type"),
                   row.get("created_at"), int(row.get("open_opportunities") or 0), row.get("last_activity_at"))


def jaro_winkler(a: str, b: str, prefix_scale: float = 0.1) -> float:
    """Jaro-Winkler similarity of two strings, 0..1 (1: equal)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    a_hit = [False] * len(a)
    b_hit = [False] * len(b)
    matches = 0
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not b_hit[j] and b[j] == ch:
                a_hit[i] = b_hit[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    a_chars = [c for c, hit in zip(a, a_hit) if hit]
    b_chars = [c for c, hit in zip(b, b_hit) if hit]
    transpositions = sum(x != y for x, y in zip(a_chars, b_chars)) / 2
    jaro = (matches / len(a) + matches / len(b) + (matches - transpositions) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4]):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * prefix_scale * (1 - jaro)


ACCOUNTS_SQL = """
SELECT a.account_id, a.name, a.domain, a.owner_id, a.type, a.created_at,
       coalesce(o.open_opportunities, 0) AS open_opportunities, act.last_activity_at
FROM accounts a
LEFT JOIN (SELECT account_id, count(*) AS open_opportunities FROM opportunities
           WHERE list_contains($open_stages, stage) GROUP BY account_id) o USING (account_id)
LEFT JOIN (SELECT account_id, max(occurred_at) AS last_activity_at FROM activities
           WHERE account_id IS NOT NULL GROUP BY account_id) act USING (account_id)
ORDER BY a.account_id
"""


def load_accounts(con: Any, model: Any) -> list[dict[str, Any]]:
    """The store's accounts with what the tie-breakers read: owner, open deals, last activity."""
    cur = con.execute(ACCOUNTS_SQL, {"open_stages": [s.key for s in model.open_stages]})
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row)) for row in cur.fetchall()]
