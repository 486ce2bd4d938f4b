"""The universe of companies leads come from: firmographics and unique names/domains.

Company sizes are heavy-tailed (log-normal). Names are ``Adjective Noun Tail`` plus a
country-typical legal suffix; every company gets a distinct name stem, so two records
sharing a stem are the same company (the duplicate injector relies on this).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revops.demo import columns as col
from revops.demo.seeds import choice_codes, rng_for
from revops.demo.vocabulary import (COMPANY_ADJ, COMPANY_NOUN, COMPANY_TAIL, COUNTRIES,
                                    COUNTRY_REGION, INDUSTRIES)

SEGMENT_BY_SIZE = (1000, 200)  # >=1000 enterprise, >=200 mid_market, else smb


def segment_of(employees: np.ndarray) -> np.ndarray:
    return np.where(employees >= SEGMENT_BY_SIZE[0], 0, np.where(employees >= SEGMENT_BY_SIZE[1], 1, 2))


@dataclass
class Companies:
    country: np.ndarray
    region: np.ndarray
    industry: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    stem: pa.Array  # "Blue Harbor Analytics"
    suffix: pa.Array  # "Inc"
    domain: pa.Array
    popularity: np.ndarray  # relative chance a lead comes from this company
    fit: np.ndarray  # ideal-customer-profile fit, feeds lead quality

    def __len__(self) -> int:
        return len(self.country)

    @property
    def segment(self) -> np.ndarray:
        return segment_of(self.employees)

    def names(self, idx: np.ndarray) -> pa.Array:
        return col.join([col.pick(self.stem, idx), col.pick(self.suffix, idx)], " ")


def build_companies(n: int, seed: int) -> Companies:
    rng = rng_for(seed, "companies")
    country = choice_codes(rng, np.array([c[2] for c in COUNTRIES]), n)
    region = np.asarray(COUNTRY_REGION)[country]
    industry = choice_codes(rng, np.array([i[1] for i in INDUSTRIES]), n)
    employees = np.clip(np.exp(rng.normal(np.log(90), 1.45, n)), 2, 250_000).astype("int64")
    revenue = np.round(employees * np.exp(rng.normal(np.log(160_000), 0.5, n)), -3)

    dims = (len(COMPANY_ADJ), len(COMPANY_NOUN), len(COMPANY_TAIL))
    space = dims[0] * dims[1] * dims[2]
    codes = rng.choice(space, size=min(n, space), replace=False)
    if n > space:  # more companies than name stems: reuse stems with a number
        codes = np.concatenate([codes, rng.integers(0, space, n - space)])
    a, b, c = np.unravel_index(codes, dims)
    adj, noun, tail = (pa.array(list(w)) for w in (COMPANY_ADJ, COMPANY_NOUN, COMPANY_TAIL))
    stem = col.join([col.pick(adj, a), col.pick(noun, b), col.pick(tail, c)], " ")
    if n > space:
        num = np.where(np.arange(n) >= space, np.arange(n), -1)
        stem = pc.if_else(pa.array(num >= 0), col.join([stem, pc.cast(pa.array(num), pa.string())], " "), stem)

    suffix_lists = [c[3] for c in COUNTRIES]
    flat = [s for lst in suffix_lists for s in lst]
    offsets = np.cumsum([0] + [len(lst) for lst in suffix_lists])
    counts = np.diff(offsets)
    pick_suffix = offsets[country] + (rng.random(n) * counts[country]).astype(int)
    suffix = col.pick(pa.array(flat), pick_suffix)

    tlds = pa.array([c[4] for c in COUNTRIES])
    compact = pc.utf8_lower(col.join([col.pick(adj, a), col.pick(noun, b)], ""))
    if n > space:
        compact = pc.if_else(pa.array(np.arange(n) >= space),
                             col.join([compact, pc.cast(pa.array(np.arange(n)), pa.string())], ""), compact)
    tail_word = pc.utf8_lower(col.pick(tail, c))
    long_form = rng.random(n) < 0.35
    domain_name = pc.if_else(pa.array(long_form), col.join([compact, tail_word], ""), compact)
    domain = col.join([domain_name, col.pick(tlds, country)], ".")

    size_fit = -np.abs(np.log10(employees) - 2.8) * 0.9 + 0.5  # sweet spot ~600 employees
    fit = np.array([i[2] for i in INDUSTRIES])[industry] + size_fit
    popularity = employees.astype(float) ** 0.35
    return Companies(country, region, industry, employees, revenue, stem, suffix, domain,
                     popularity, fit)
