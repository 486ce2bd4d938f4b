"""Accounts and contacts, with injected duplicates.

An account exists for every company a lead reached sales-accepted (or converted) at,
plus a slice of other companies imported as target prospects. Contacts are the
converted leads, the buying committee met on each deal, and a few imported prospects.
About 3% of accounts and 6% of contacts are then entered a second time, messily
(see ``duplicates``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revops.demo import columns as col
from revops.demo import duplicates as dup
from revops.demo.calendar import SimCalendar
from revops.demo.companies import Companies
from revops.demo.leads import person_strings
from revops.demo.vocabulary import (COUNTRY_CODES, FIRST_NAMES, INDUSTRY_NAMES, LAST_NAMES,
                                    REGIONS, SEGMENTS, TITLES)

ACCOUNT_TYPES = ("prospect", "customer", "partner", "former_customer")
ACCOUNT_DUP_SHARE = 0.03
CONTACT_DUP_SHARE = 0.06


@dataclass
class AccountBook:
    company: np.ndarray  # the account's company index == its account number
    created: np.ndarray
    owner: np.ndarray
    type: np.ndarray
    updated: np.ndarray


@dataclass
class ContactBook:
    company: np.ndarray
    first: np.ndarray
    last: np.ndarray
    title: np.ndarray
    style: np.ndarray
    phone: np.ndarray
    created: np.ndarray
    source: np.ndarray  # channel code, -1 none


def select_accounts(rng: np.random.Generator, cal: SimCalendar, comps: Companies,
                    lead_company: np.ndarray, lead_created: np.ndarray, engaged_at: np.ndarray,
                    deal_owner_by_company: np.ndarray, customer_state: np.ndarray,
                    assign_owner) -> AccountBook:
    """``engaged_at``: when each lead was sales-accepted or converted (NaN never).
    ``customer_state`` per company: 0 none, 1 customer, 3 former customer."""
    n = len(comps)
    first_engaged = np.full(n, np.inf)
    np.minimum.at(first_engaged, lead_company, np.nan_to_num(engaged_at, nan=np.inf))
    first_lead = np.full(n, np.inf)
    np.minimum.at(first_lead, lead_company, lead_created)
    engaged = np.isfinite(first_engaged)
    imported = ~engaged & (rng.random(n) < 0.25)
    company = np.flatnonzero(engaged | imported | (customer_state > 0))
    created = np.where(engaged[company], first_engaged[company],
                       np.minimum(first_lead[company], rng.uniform(0, cal.cutoff, len(company))))
    created = np.minimum(created, cal.cutoff - 0.01)
    owner = deal_owner_by_company[company].copy()
    none = owner < 0
    owner[none] = assign_owner(created[none], comps.region[company[none]], comps.segment[company[none]])
    kind = customer_state[company].copy()
    kind[(kind == 0) & (rng.random(len(company)) < 0.015)] = 2
    updated = np.minimum(created + rng.exponential(120, len(company)), cal.cutoff - 0.01)
    return AccountBook(company, created, owner, kind, updated)


def build_contacts(rng: np.random.Generator, cal: SimCalendar, converted_company: np.ndarray,
                   converted_people: dict[str, np.ndarray], deal_company: np.ndarray,
                   deal_created: np.ndarray, deal_segment: np.ndarray, accounts: AccountBook) -> ContactBook:
    """Converted leads first (their contact number is their position), then the buying
    committees of deals, then imported prospects."""
    parts = [dict(company=converted_company, **converted_people)]
    k = rng.poisson(np.array([3.0, 1.6, 0.8])[deal_segment])
    comp = np.repeat(deal_company, k)
    created = np.minimum(np.repeat(deal_created, k) + rng.uniform(0, 40, len(comp)), cal.cutoff - 0.01)
    parts.append(_random_people(rng, comp, created, -1))
    prospects = accounts.type == 0
    k = rng.poisson(0.6, prospects.sum())
    comp = np.repeat(accounts.company[prospects], k)
    created = np.repeat(accounts.created[prospects], k)
    parts.append(_random_people(rng, comp, created, -1))
    return ContactBook(**{f: np.concatenate([p[f] for p in parts]) for f in parts[0]})


def _random_people(rng, company, created, source) -> dict[str, np.ndarray]:
    n = len(company)
    seniority_weights = np.array([t[2] * (1.0 + t[1]) for t in TITLES])
    return dict(company=company, first=rng.integers(0, len(FIRST_NAMES), n),
                last=rng.integers(0, len(LAST_NAMES), n),
                title=rng.choice(len(TITLES), n, p=seniority_weights / seniority_weights.sum()),
                style=rng.choice(3, n, p=[0.6, 0.25, 0.15]), phone=rng.integers(2_000_000, 9_999_999, n),
                created=created, source=np.full(n, source))


def accounts_tables(rng: np.random.Generator, cal: SimCalendar, comps: Companies,
                    acc: AccountBook) -> tuple[pa.Table, pa.Table, dict[int, int]]:
    """(accounts, truth rows, original account -> duplicate account number)."""
    c = acc.company
    n = len(c)
    base = pa.table({
        "account_id": col.ids("acc_", c, 7),
        "name": comps.names(c),
        "domain": col.pick(comps.domain, c),
        "industry": col.category(comps.industry[c], INDUSTRY_NAMES),
        "employees": col.integers(comps.employees[c]),
        "annual_revenue": col.numbers(comps.revenue[c], 0),
        "country": col.category(comps.country[c], COUNTRY_CODES),
        "region": col.category(comps.region[c], REGIONS),
        "segment": col.category(comps.segment[c], SEGMENTS),
        "owner_id": col.ids("usr_", acc.owner, 4),
        "parent_account_id": col.nulls(n),
        "type": col.category(acc.type, ACCOUNT_TYPES),
        "created_at": col.timestamps(cal, acc.created),
        "updated_at": col.timestamps(cal, acc.updated),
    })
    picked = np.sort(rng.choice(n, size=int(round(n * ACCOUNT_DUP_SHARE)), replace=False))
    stems = comps.stem.take(pa.array(c[picked])).to_pylist()
    suffixes = comps.suffix.take(pa.array(c[picked])).to_pylist()
    domains = comps.domain.take(pa.array(c[picked])).to_pylist()
    dup_numbers = len(comps) + np.arange(len(picked))
    names = [dup.company_variant(rng, s, x) for s, x in zip(stems, suffixes)]
    dom = [dup.domain_variant(rng, d) for d in domains]
    missing = rng.random((len(picked), 3)) < np.array([0.4, 0.4, 0.5])
    created = np.minimum(acc.created[picked] + rng.uniform(5, 400, len(picked)), cal.cutoff - 0.01)
    other_owner = np.where(rng.random(len(picked)) < 0.5, acc.owner[picked], -1)
    copies = pa.table({
        "account_id": col.ids("acc_", dup_numbers, 7),
        "name": pa.array(names),
        "domain": pa.array(dom, pa.string()),
        "industry": col.category(comps.industry[c[picked]], INDUSTRY_NAMES, missing[:, 0]),
        "employees": col.integers(comps.employees[c[picked]], missing[:, 1]),
        "annual_revenue": col.numbers(np.where(missing[:, 2], np.nan, comps.revenue[c[picked]]), 0),
        "country": col.category(comps.country[c[picked]], COUNTRY_CODES),
        "region": col.category(comps.region[c[picked]], REGIONS),
        "segment": col.category(comps.segment[c[picked]], SEGMENTS, missing[:, 1]),
        "owner_id": col.ids_or_null("usr_", other_owner, 4),
        "parent_account_id": col.nulls(len(picked)),
        "type": col.category(np.zeros(len(picked), "int32"), ACCOUNT_TYPES),
        "created_at": col.timestamps(cal, created),
        "updated_at": col.timestamps(cal, created),
    })
    table = pa.concat_tables([_plain(base), _plain(copies)])
    truth = pa.table({
        "table_name": pa.array(["accounts"] * table.num_rows),
        "record_id": table["account_id"],
        "cluster_id": pa.concat_arrays([base["account_id"].combine_chunks(),
                                        col.ids("acc_", c[picked], 7)]),
    })
    return table, truth, dict(zip(c[picked].tolist(), dup_numbers.tolist()))


def contacts_tables(rng: np.random.Generator, cal: SimCalendar, comps: Companies, con: ContactBook,
                    dup_account: dict[int, int]) -> tuple[pa.Table, pa.Table]:
    from revops.demo.marketing import CHANNEL_NAMES

    n = len(con.company)
    fn, ln, email = person_strings(con.first, con.last, con.style, col.pick(comps.domain, con.company))
    phone = col.join(["+1-555-", pc.cast(pa.array(con.phone), pa.string())], "")
    base = pa.table({
        "contact_id": col.ids("con_", np.arange(n), 8),
        "account_id": col.ids("acc_", con.company, 7),
        "email": email,
        "first_name": fn,
        "last_name": ln,
        "title": col.category(con.title, [t[0] for t in TITLES]),
        "phone": col.pick(phone, np.arange(n), con.phone % 4 == 0),
        "company": comps.names(con.company),
        "country": col.category(comps.country[con.company], COUNTRY_CODES),
        "source": col.category(con.source, CHANNEL_NAMES),
        "created_at": col.timestamps(cal, con.created),
        "updated_at": col.timestamps(cal, con.created),
    })
    picked = np.sort(rng.choice(n, size=int(round(n * CONTACT_DUP_SHARE)), replace=False))
    take = pa.array(picked)
    people = [dup.person_variant(rng, f, l, e) for f, l, e in zip(
        fn.take(take).to_pylist(), ln.take(take).to_pylist(), email.take(take).to_pylist())]
    orig_acc = con.company[picked]
    to_dup = np.array([dup_account.get(int(a), -1) for a in orig_acc])
    u = rng.random(len(picked))
    account = np.where((to_dup >= 0) & (u < 0.5), to_dup, np.where(u > 0.85, -1, orig_acc))
    stems = comps.stem.take(pa.array(orig_acc)).to_pylist()
    suffixes = comps.suffix.take(pa.array(orig_acc)).to_pylist()
    company = [dup.company_variant(rng, s, x) if rng.random() < 0.5 else f"{s} {x}"
               for s, x in zip(stems, suffixes)]
    missing = rng.random((len(picked), 2)) < 0.4
    created = np.minimum(con.created[picked] + rng.uniform(1, 300, len(picked)), cal.cutoff - 0.01)
    copies = pa.table({
        "contact_id": col.ids("con_", n + np.arange(len(picked)), 8),
        "account_id": col.ids_or_null("acc_", account, 7),
        "email": pa.array([p[2] for p in people]),
        "first_name": pa.array([p[0] for p in people]),
        "last_name": pa.array([p[1] for p in people]),
        "title": col.category(con.title[picked], [t[0] for t in TITLES], missing[:, 0]),
        "phone": col.pick(phone, picked, missing[:, 1] | (con.phone[picked] % 4 == 0)),
        "company": pa.array(company),
        "country": col.category(comps.country[orig_acc], COUNTRY_CODES),
        "source": col.category(np.full(len(picked), -1), CHANNEL_NAMES),
        "created_at": col.timestamps(cal, created),
        "updated_at": col.timestamps(cal, created),
    })
    table = pa.concat_tables([_plain(base), _plain(copies)])
    truth = pa.table({
        "table_name": pa.array(["contacts"] * table.num_rows),
        "record_id": table["contact_id"],
        "cluster_id": pa.concat_arrays([col.ids("con_", np.arange(n), 8),
                                        col.ids("con_", picked, 8)]),
    })
    return table, truth


def _plain(t: pa.Table) -> pa.Table:
    """Dictionary columns decoded, so tables built differently can be concatenated."""
    return pa.table({name: (pc.cast(c, pa.string()) if pa.types.is_dictionary(c.type) else c)
                     for name, c in zip(t.column_names, t.columns)})
