"""Leads and their lifecycle: created -> mql -> sql -> sal -> opportunity, or recycled /
disqualified, with first-contact times that depend on the rep routing chose and the hour.

Hidden ``quality`` (0-1, in ``truth_leads``) comes from the channel, the company's fit
(industry, size), the person's seniority and noise. ``would_convert`` is drawn from
quality: the lead would become an opportunity if worked promptly. Slow first contact
(slow reps, nights, weekends) loses part of those: speed to lead matters. Who owns and works
each lead is decided by revops' routing engine (``routing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revops.demo import columns as col
from revops.demo.calendar import SimCalendar
from revops.demo.companies import Companies
from revops.demo.marketing import CHANNEL_NAMES, CHANNEL_QUALITY, CHANNELS, Campaigns
from revops.demo.people import Staff
from revops.demo.routing import Arrivals, WorkDraws, work_leads
from revops.demo.seeds import choice_codes, rng_for, sigmoid
from revops.demo.vocabulary import (COUNTRY_CODES, FIRST_NAMES, INDUSTRY_NAMES, LAST_NAMES, LIFECYCLE,
                                    REGIONS, TIMEZONES, TITLES)

OUTBOUND = 5
SENIORITY_QUALITY = np.array([-0.6, 0.0, 0.45, 0.3])
NAN = np.nan
LEGACY_SIZE_POINTS = 20
"""Points marketing's legacy score gives a company of more than 1,000 employees."""
MQL_POINTS = 35
"""Points the legacy score adds when a lead raises its hand (becomes an MQL); an MQL scores 61+."""
WORK_END_DAYS = 10.0
"""Mean days, after its last step, until a worked lead that does not convert is closed."""


@dataclass
class Leads:
    created: np.ndarray
    channel: np.ndarray
    campaign: np.ndarray
    company: np.ndarray
    first: np.ndarray
    last: np.ndarray
    title: np.ndarray
    email_style: np.ndarray
    phone: np.ndarray
    quality: np.ndarray
    would_convert: np.ndarray
    owner: np.ndarray
    mql_at: np.ndarray
    first_contacted_at: np.ndarray
    sal_at: np.ndarray
    sql_at: np.ndarray
    converted_at: np.ndarray
    disqualified_at: np.ndarray
    recycled_at: np.ndarray
    worked_until: np.ndarray  # end of the rep's working window (for activities)
    score: np.ndarray
    queue: list[str | None] = field(default_factory=list)
    """The queue that owns the lead (routing sent it there), else None."""
    assigned_at: np.ndarray | None = None
    worker: np.ndarray | None = None
    """The rep who made the first contact (-1: nobody)."""
    decisions: list[pa.Table] = field(default_factory=list)
    """The routing decisions about the leads (``_routing_decisions`` rows)."""
    open_leads: dict[str, int] = field(default_factory=dict)
    """Open leads per user as routing counted them today."""
    status: np.ndarray | None = None  # filled once deals are known
    account: np.ndarray | None = None
    contact: np.ndarray | None = None
    opportunity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.created)


def _created_days(rng: np.random.Generator, cal: SimCalendar, n: int, region: np.ndarray) -> np.ndarray:
    """Lead arrival: ~55%/yr growth, January/September peaks, August/December dips,
    fewer on weekends, local working hours."""
    edges = np.append(cal.month_starts(), cal.cutoff)
    lengths = np.diff(edges)
    m = np.arange(len(lengths))
    month_of_year = (cal.day_dates(edges[:-1]).astype("datetime64[M]").astype(int)) % 12
    season = np.array([1.12, 1.0, 1.05, 1.0, 1.0, 0.95, 0.9, 0.82, 1.1, 1.05, 1.0, 0.8])[month_of_year]
    w = np.exp(0.44 * m / 12) * season * lengths / 30.4
    month = choice_codes(rng, w, n)
    day = edges[month] + np.floor(rng.random(n) * lengths[month])
    weekend = np.isin(cal.weekday(day), [5, 6]) & (rng.random(n) < 0.65)
    day[weekend] -= np.where(cal.weekday(day[weekend]) == 5, 1, 2)  # pulled to Friday
    day = np.maximum(day, 0)
    local_hour = np.where(rng.random(n) < 0.8, rng.normal(13, 3, n), rng.uniform(0, 24, n)) % 24
    offset = np.array([TIMEZONES[r][0][1] for r in REGIONS])[region]
    t = day + (local_hour - offset) / 24.0
    return np.clip(t, 0, cal.cutoff - 1e-4)


def simulate_leads(n: int, cal: SimCalendar, comps: Companies, camps: Campaigns,
                   qstarts: np.ndarray, staff: Staff, seed: int, model: Any,
                   routed_days: int | None = None) -> Leads:
    """Leads arrive, marketing scores them, revops routes them (``routing``) and the reps it
    chooses work them."""
    rng = rng_for(seed, "leads")
    company = choice_codes(rng, comps.popularity, n).astype("int64")
    region = comps.region[company]
    created = np.sort(_created_days(rng, cal, n, region))
    channel = choice_codes(rng, np.array([c[1] for c in CHANNELS]), n)
    # outbound grows, paid social shrinks a little over time
    drift = created / max(cal.cutoff, 1)
    swap = (channel == 1) & (rng.random(n) < 0.3 * drift)
    channel[swap] = OUTBOUND
    campaign = camps.pick(rng, channel, created, qstarts)
    title = choice_codes(rng, np.array([t[2] for t in TITLES]), n)
    seniority = np.array([t[1] for t in TITLES])[title]

    z = (CHANNEL_QUALITY[channel] + comps.fit[company] + SENIORITY_QUALITY[seniority]
         + rng.normal(0, 0.9, n) - 1.0)
    quality = sigmoid(z)
    would_convert = rng.random(n) < 0.55 * quality ** 1.5

    prospector = staff.assign(rng, created, "sdr", region)  # who found each outbound lead
    inbound = channel != OUTBOUND
    # engagement -> MQL (inbound only)
    mql = inbound & (would_convert | (rng.random(n) < 0.9 * quality ** 1.3))
    instant = rng.random(n) < 0.45
    mql_at = np.where(mql, created + np.where(instant, 0.0, rng.exponential(6, n)), NAN)
    # inbound that never engaged: a few junk leads get disqualified quickly
    junk = inbound & ~mql & (rng.random(n) < 0.12)
    junk_at = np.where(junk, created + rng.uniform(0.2, 5, n), NAN)

    # marketing's legacy points score: only loosely related to quality; a lead that raises its
    # hand (an MQL) gets the hand-raise points, so every MQL scores more than 60
    employees = comps.employees[company]
    arrival_score = np.clip(np.round(25 * quality + 10 * (seniority >= 2) + 15 * (channel == 6)
                                     + LEGACY_SIZE_POINTS * (employees > 1000) + rng.normal(20, 15, n)), 0, 100)
    mql_score = np.clip(arrival_score + MQL_POINTS, 61, 100)
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    phone = rng.integers(2_000_000, 9_999_999, n)
    email_style = choice_codes(rng, np.array([0.6, 0.25, 0.15]), n)

    arrivals = Arrivals(
        created=created, inbound=inbound, mql=mql, mql_at=mql_at, would_convert=would_convert,
        quality=quality, junk_at=junk_at, arrival_score=arrival_score, mql_score=mql_score,
        company_size=employees, country=list(np.asarray(COUNTRY_CODES, dtype=object)[comps.country[company]]),
        industry=list(np.asarray(INDUSTRY_NAMES, dtype=object)[comps.industry[company]]),
        source=list(np.asarray(CHANNEL_NAMES, dtype=object)[channel]),
        title=list(np.asarray([t[0] for t in TITLES], dtype=object)[title]), prospector=prospector)
    draws = WorkDraws.draw(rng_for(seed, "lead_work"), n, WORK_END_DAYS)
    go_live = None if routed_days is None else cal.cutoff - routed_days
    w = work_leads(model, staff, cal, seed, arrivals, draws, go_live)

    conv_at, disq_at, recyc_at = w.converted_at, w.disqualified_at, w.recycled_at
    first_contact, sql_at, sal_at = w.first_contacted_at, w.sql_at, w.sal_at
    worked_until = np.where(~np.isnan(conv_at), conv_at, np.where(np.isnan(disq_at), recyc_at, disq_at))
    worked_until = np.where(np.isnan(worked_until), np.nan_to_num(first_contact) + 30, worked_until)
    # nothing at or after today has happened yet
    for arr in (mql_at, first_contact, sql_at, sal_at, conv_at, disq_at, recyc_at):
        arr[arr >= cal.cutoff] = NAN
    worked_until = np.minimum(worked_until, cal.cutoff - 1e-3)
    score = np.where(mql & ~np.isnan(mql_at), mql_score, arrival_score)
    return Leads(created, channel, campaign, company, first, last, title, email_style, phone,
                 quality, would_convert, w.owner, mql_at, first_contact, sal_at, sql_at, conv_at,
                 disq_at, recyc_at, worked_until, score, queue=w.queue, assigned_at=w.assigned_at,
                 worker=w.worker, decisions=w.decisions, open_leads=w.open_leads)


def finalize_status(leads: Leads, won_before_cutoff: np.ndarray) -> None:
    """Current lifecycle stage from the latest event before today."""
    s = np.zeros(len(leads), dtype="int32")
    s[~np.isnan(leads.mql_at)] = 1
    s[~np.isnan(leads.sql_at)] = 2
    s[~np.isnan(leads.sal_at)] = 3
    s[~np.isnan(leads.converted_at)] = 4
    s[won_before_cutoff] = 5
    s[~np.isnan(leads.recycled_at) & np.isnan(leads.converted_at)] = 6
    s[~np.isnan(leads.disqualified_at) & np.isnan(leads.converted_at)] = 7
    leads.status = s


def person_strings(first: np.ndarray, last: np.ndarray, style: np.ndarray,
                   domain: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(first_name, last_name, email) for people at companies with the given domains."""
    fn = col.pick(pa.array(FIRST_NAMES), first)
    ln = col.pick(pa.array(LAST_NAMES), last)
    f_low, l_low = pc.utf8_lower(fn), pc.utf8_lower(ln)
    initial = pc.utf8_slice_codeunits(f_low, 0, 1)
    local = pc.case_when(
        pc.make_struct(pa.array(style == 0), pa.array(style == 1)),
        col.join([f_low, l_low], "."), col.join([initial, l_low], ""), f_low)
    return fn, ln, col.join([local, domain], "@")


def leads_table(cal: SimCalendar, leads: Leads, comps: Companies, rows: slice) -> pa.Table:
    idx = np.arange(len(leads))[rows]
    company = leads.company[rows]
    fn, ln, email = person_strings(leads.first[rows], leads.last[rows], leads.email_style[rows],
                                   col.pick(comps.domain, company))
    phone = col.join(["+1-555-", pc.cast(pa.array(leads.phone[rows]), pa.string())], "")
    no_phone = (leads.phone[rows] % 5) == 0
    converted = ~np.isnan(leads.converted_at[rows])
    updated = np.nanmax(np.vstack([leads.created[rows], leads.mql_at[rows], leads.first_contacted_at[rows],
                                   leads.sal_at[rows], leads.sql_at[rows], leads.converted_at[rows],
                                   leads.disqualified_at[rows], leads.recycled_at[rows],
                                   leads.assigned_at[rows]]), axis=0)
    return pa.table({
        "lead_id": col.ids("lead_", idx, 8),
        "email": email,
        "first_name": fn,
        "last_name": ln,
        "title": col.category(leads.title[rows], [t[0] for t in TITLES]),
        "phone": col.pick(phone, np.arange(len(idx)), no_phone),
        "company": comps.names(company),
        "company_size": col.integers(comps.employees[company]),
        "industry": col.category(comps.industry[company], INDUSTRY_NAMES),
        "country": col.category(comps.country[company], COUNTRY_CODES),
        "source": col.category(leads.channel[rows], CHANNEL_NAMES),
        "campaign_id": col.ids("cmp_", leads.campaign[rows], 4),
        "created_at": col.timestamps(cal, leads.created[rows]),
        "status": col.category(leads.status[rows], LIFECYCLE),
        "owner_id": pc.coalesce(col.ids_or_null("usr_", leads.owner[rows], 4),
                                pa.array(leads.queue[rows], pa.string())),
        "score": col.numbers(leads.score[rows], 0),
        "assigned_at": col.timestamps(cal, leads.assigned_at[rows]),
        "converted": col.booleans(converted),
        "converted_at": col.timestamps(cal, leads.converted_at[rows]),
        "converted_account_id": col.ids_or_null("acc_", np.where(converted, leads.account[rows], -1), 7),
        "converted_contact_id": col.ids_or_null("con_", np.where(converted, leads.contact[rows], -1), 8),
        "converted_opportunity_id": col.ids_or_null("opp_", leads.opportunity[rows], 7),
        "mql_at": col.timestamps(cal, leads.mql_at[rows]),
        "sql_at": col.timestamps(cal, leads.sql_at[rows]),
        "sal_at": col.timestamps(cal, leads.sal_at[rows]),
        "first_contacted_at": col.timestamps(cal, leads.first_contacted_at[rows]),
        "disqualified_at": col.timestamps(cal, leads.disqualified_at[rows]),
        "recycled_at": col.timestamps(cal, leads.recycled_at[rows]),
        "updated_at": col.timestamps(cal, updated),
    })


def truth_leads_table(leads: Leads, rows: slice) -> pa.Table:
    idx = np.arange(len(leads))[rows]
    return pa.table({
        "lead_id": col.ids("lead_", idx, 8),
        "quality": col.numbers(leads.quality[rows], 4),
        "would_convert": col.booleans(leads.would_convert[rows]),
    })

