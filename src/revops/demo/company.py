"""Simulating the whole company in memory: people, companies, leads, deals, customers.

``simulate_company`` returns the core arrays; the big tables (touches, activities,
usage) are generated from them chunk by chunk while writing (see ``builder``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from revops.demo.accounts import AccountBook, ContactBook, build_contacts, select_accounts
from revops.demo.calendar import SimCalendar
from revops.demo.companies import Companies, build_companies
from revops.demo.customers import CustomerBook, CustomerWins, simulate_customers
from revops.demo.deals import DealHistory, DealSpecs, DealState, reassign, new_business, simulate_history
from revops.demo.leads import Leads, finalize_status, simulate_leads
from revops.demo.marketing import CHANNELS, Campaigns, build_campaigns, quarter_starts
from revops.demo.people import ROLES, Staff, build_staff
from revops.demo.scales import Scale
from revops.demo.seeds import rng_for
from revops.demo.vocabulary import WON

CUSTOMER_SOURCES = ("customer_expansion", "renewal", "reactivation")


@dataclass
class Company:
    scale: Scale
    seed: int
    cal: SimCalendar
    staff: Staff
    comps: Companies
    camps: Campaigns
    qstarts: np.ndarray
    leads: Leads
    deals: DealSpecs
    history: DealHistory
    state: DealState
    book: CustomerBook
    accounts: AccountBook
    contacts: ContactBook


def simulate_company(scale: Scale, seed: int, cal: SimCalendar, model: Any) -> Company:
    """The company as ``model`` routes its leads (its routing section, SLAs and calendar)."""
    staff = build_staff(scale, cal, seed)
    comps = build_companies(scale.companies, seed)
    camps = build_campaigns(cal)
    qstarts = quarter_starts(cal)
    leads = simulate_leads(scale.leads, cal, comps, camps, qstarts, staff, seed, model, scale.routed_days)
    rng = rng_for(seed, "deals")

    # -- new business: the first converted lead of each company opens the deal ------------
    conv = np.flatnonzero(~np.isnan(leads.converted_at))
    contact_of = np.full(len(leads), -1)
    contact_of[conv] = np.arange(len(conv))
    by_time = conv[np.argsort(leads.converted_at[conv], kind="stable")]
    _, first_pos = np.unique(leads.company[by_time], return_index=True)
    openers = np.sort(by_time[first_pos])
    company = leads.company[openers]
    segment = comps.segment[company]
    owner = staff.assign(rng, leads.converted_at[openers], "ae", comps.region[company], segment)
    # an AE who owns the lead (routed to them, or handed on by the SDR) owns its deal
    lead_owner = leads.owner[openers]
    theirs = (lead_owner >= 0) & (staff.role_arr[np.maximum(lead_owner, 0)] == ROLES.index("ae"))
    theirs &= staff.end[np.maximum(lead_owner, 0)] > leads.converted_at[openers]
    owner = np.where(theirs, lead_owner, owner)
    nb = new_business(rng, cal, staff, leads.converted_at[openers], leads.quality[openers], segment,
                      owner, account=company, contact=contact_of[openers], lead=openers,
                      campaign=leads.campaign[openers], source=leads.channel[openers].astype("int64"))
    h_nb, s_nb = simulate_history(rng, cal, staff, nb, np.zeros(len(nb), bool))

    # -- customers ----------------------------------------------------------------------
    won = np.flatnonzero(nb.won & (nb.end < cal.cutoff))
    won = won[np.argsort(nb.end[won], kind="stable")]
    csm = staff.assign(rng, nb.end[won], "csm", comps.region[nb.account[won]])
    wins = CustomerWins(account=nb.account[won], close=nb.end[won], amount=s_nb.final_amount[won],
                        product=nb.product[won], segment=nb.segment[won],
                        region=comps.region[nb.account[won]], ae=s_nb.owner[won], csm=csm, opp=won)
    book = simulate_customers(rng_for(seed, "customers"), cal, wins, len(nb))
    extra = _customer_deals(rng_for(seed, "customer_deals"), staff, book, nb)
    h_x, s_x = simulate_history(rng_for(seed, "customer_history"), cal, staff, extra,
                                np.ones(len(extra), bool))
    deals = DealSpecs.concat([nb, extra])
    history = DealHistory(**{k: np.concatenate([getattr(h_nb, k), getattr(h_x, k) + (len(nb) if k == "opp" else 0)])
                             for k in DealHistory.__dataclass_fields__})
    state = DealState(**{k: np.concatenate([getattr(s_nb, k), getattr(s_x, k)])
                         for k in DealState.__dataclass_fields__})

    # -- leads' final status and links ----------------------------------------------------
    won_today = np.zeros(len(leads), bool)
    won_today[openers] = (s_nb.stage == WON)
    finalize_status(leads, won_today)
    leads.account = leads.company.copy()
    leads.contact = contact_of
    leads.opportunity = np.full(len(leads), -1)
    leads.opportunity[openers] = np.arange(len(openers))

    # -- accounts and contacts ------------------------------------------------------------
    arng = rng_for(seed, "accounts")
    owner_by_company = np.full(len(comps), -1)
    owner_by_company[nb.account] = s_nb.owner
    state_by_company = np.zeros(len(comps), dtype="int32")
    churn_acc = np.asarray(book.churn["account"], dtype="int64")
    former = np.asarray(book.churn["former"], dtype=bool)
    state_by_company[churn_acc] = np.where(former, 3, 1)
    engaged = np.fmin(leads.sal_at, leads.converted_at)
    accounts = select_accounts(
        arng, cal, comps, leads.company, leads.created, engaged, owner_by_company, state_by_company,
        lambda t, region, seg: staff.assign(arng, t, "ae", region, seg))
    people = dict(first=leads.first[conv], last=leads.last[conv], title=leads.title[conv],
                  style=leads.email_style[conv], phone=leads.phone[conv], created=leads.converted_at[conv],
                  source=leads.channel[conv].astype("int64"))
    contacts = build_contacts(arng, cal, leads.company[conv], people, nb.account, nb.created,
                              nb.segment, accounts)
    _set_quotas(staff, deals, state, cal)
    return Company(scale, seed, cal, staff, comps, camps, qstarts, leads, deals, history, state,
                   book, accounts, contacts)


def _customer_deals(rng: np.random.Generator, staff: Staff, book: CustomerBook, nb: DealSpecs) -> DealSpecs:
    d = {k: np.asarray(v) for k, v in book.deal.items()}
    n = len(d["account"])
    if n == 0:
        return DealSpecs(**{f: np.zeros(0, dtype=getattr(nb, f).dtype) for f in DealSpecs.__dataclass_fields__})
    contact_by_account = dict(zip(nb.account.tolist(), nb.contact.tolist()))
    owner = d["owner"].astype("int64")
    created = d["created"].astype(float)
    gone = staff.end[owner] <= created
    if gone.any():
        owner[gone] = reassign(rng, staff, owner[gone], created[gone])
    return DealSpecs(
        account=d["account"].astype("int64"),
        contact=np.array([contact_by_account.get(int(a), -1) for a in d["account"]], dtype="int64"),
        lead=np.full(n, -1), campaign=np.full(n, -1),
        source=len(CHANNELS) + d["source"].astype("int64") - 1,
        type=np.where(d["source"] == 3, 0, d["type"]).astype("int64"),
        product=d["product"].astype("int64"), segment=d["segment"].astype("int64"), owner=owner,
        created=created, end=d["end"].astype(float), won=d["won"].astype(bool),
        last_stage=d["last_stage"].astype("int64"), amount=d["amount"].astype(float),
        dark=np.full(n, np.nan), lost_reason=d["lost_reason"].astype("int64"))


def _set_quotas(staff: Staff, deals: DealSpecs, state: DealState, cal: SimCalendar) -> None:
    """Annual quotas set like a planner would: last year's bookings of fully ramped reps
    in the segment, plus 20%."""
    year = (deals.end >= cal.cutoff - 365) & (deals.end < cal.cutoff) & (state.stage == WON) & (deals.type < 2)
    bookings = np.bincount(state.owner[year], weights=state.final_amount[year], minlength=len(staff.role))
    aes = staff.members("ae")
    ramped = aes[(staff.start[aes] < cal.cutoff - 365) & (staff.end[aes] >= cal.cutoff)]
    for s in range(3):
        seg_aes = aes[staff.segment[aes] == s]
        ref = ramped[staff.segment[ramped] == s]
        level = np.median(bookings[ref]) if len(ref) else np.median(bookings[seg_aes]) if len(seg_aes) else 0
        staff.quota[seg_aes] = max(round(level * 1.2, -4), 50_000.0)
    for m in np.flatnonzero(staff.role_arr == 1):
        team = (staff.manager == m) & (staff.role_arr == 2) & (staff.end >= cal.cutoff)
        if team.any():
            staff.quota[m] = staff.quota[team].sum()

