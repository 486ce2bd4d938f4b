"""What customer success sees besides usage: support tickets, NPS answers, invoices and the
champion who signed the deal, each drawn from the customer's hidden churn driver.

After the driver's onset (``truth_churn``):

- support_pain: tickets come four times as often, a third are escalated, and they stay open
  for weeks;
- payment_issues: payments slip first: invoices issued in the half-year before the onset are
  paid 20-60 days late; from a month before the onset most go unpaid, the rest are paid one to
  three months late (a contract ended for non-payment has a history of late payments);
- champion_left: the champion (the contact who opened the first deal) leaves on the onset day;
- low_usage, champion_left, support_pain: NPS answers drop to detractors (payment issues: passives).

Healthy accounts have noise too: ordinary tickets (a few escalated), the odd late invoice, a
champion who moves on without the account churning (about 6%), and a spread of NPS answers.
Everything is drawn from its own seeded stream, so the rest of the demo does not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from revops.demo import columns as col
from revops.demo.calendar import SimCalendar

TICKETS_PER_MONTH = np.array([1.0, 0.6, 0.3])  # by segment: enterprise, growth, starter
TICKET_RATE_AFTER_ONSET = np.array([1.0, 0.6, 1.0, 1.0, 4.0])  # by driver (low usage: they stop asking)
PRIORITIES = ("low", "normal", "high", "urgent")
SUBJECTS = ("Login problem", "Report shows wrong totals", "Integration sync failing", "How do I export data",
            "Slow dashboard", "Permission change request", "Billing question", "Feature request",
            "API rate limit", "Data import error")
NPS_EVERY_DAYS = 182.0
NPS_MEAN = np.array([8.3, 4.2, 4.6, 6.4, 4.0])  # by driver, after the onset (before: 8.3)
INVOICE_EVERY_DAYS = 365.0 / 4  # billed quarterly
NET_DAYS = 30
CHAMPION_NOISE = 0.06  # healthy customers whose champion leaves anyway
PAYMENT_SLIP_DAYS = 182  # payment_issues: invoices paid late this long before the onset


@dataclass
class CustomerLives:
    """One row per customer: when it was one, its hidden driver and the driver's onset."""

    account: np.ndarray
    start: np.ndarray
    end: np.ndarray  # churn day, or the cutoff
    segment: np.ndarray
    driver: np.ndarray
    onset: np.ndarray
    champion: np.ndarray  # contact number of the champion

    @classmethod
    def from_book(cls, book, cal: SimCalendar, deal_contact: np.ndarray) -> "CustomerLives":
        c = book.churn
        churned_on = np.asarray(c["churned_on"], dtype=float)
        return cls(account=np.asarray(c["account"], dtype="int64"), start=np.asarray(c["start"], dtype=float),
                   end=np.where(np.isnan(churned_on), cal.cutoff, churned_on),
                   segment=np.asarray(c["segment"], dtype="int64"), driver=np.asarray(c["latent"], dtype="int64"),
                   onset=np.asarray(c["onset"], dtype=float),
                   champion=deal_contact[np.asarray(c["opp"], dtype="int64")])


def _spans(lo: np.ndarray, hi: np.ndarray, rate: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events at ``rate`` per day in [lo, hi): (row of each event, its time)."""
    length = np.maximum(hi - lo, 0)
    k = rng.poisson(rate * length)
    row = np.repeat(np.arange(len(lo)), k)
    return row, lo[row] + rng.random(len(row)) * length[row]


def support_tickets_table(rng, cal: SimCalendar, lives: CustomerLives) -> pa.Table:
    onset = np.clip(lives.onset, lives.start, lives.end)
    base = TICKETS_PER_MONTH[lives.segment] / 30.4
    r1, t1 = _spans(lives.start, onset, base, rng)
    r2, t2 = _spans(onset, lives.end, base * TICKET_RATE_AFTER_ONSET[lives.driver], rng)
    row, opened = np.concatenate([r1, r2]), np.concatenate([t1, t2])
    pain = np.concatenate([np.zeros(len(r1), bool), lives.driver[r2] == 4])
    n = len(row)
    escalated = rng.random(n) < np.where(pain, 0.35, 0.04)
    days_open = rng.exponential(np.where(pain, 14.0, 3.0)) + np.where(escalated, rng.uniform(5, 25, n), 0)
    closed = opened + days_open
    closed[closed >= cal.cutoff] = np.nan
    esc_at = np.where(escalated, opened + rng.uniform(0.2, 4, n), np.nan)
    esc_at[esc_at >= cal.cutoff] = np.nan
    priority = np.where(escalated, rng.choice([2, 3], n), rng.choice([0, 1, 2], n, p=[0.3, 0.6, 0.1]))
    order = np.argsort(opened, kind="stable")
    row, opened, closed, esc_at, priority = row[order], opened[order], closed[order], esc_at[order], priority[order]
    return pa.table({
        "ticket_id": col.ids("tkt_", np.arange(n), 8),
        "account_id": col.ids("acc_", lives.account[row], 7),
        "contact_id": col.nulls(n),
        "opened_at": col.timestamps(cal, opened),
        "closed_at": col.timestamps(cal, closed),
        "priority": col.category(priority, PRIORITIES),
        "escalated_at": col.timestamps(cal, esc_at),
        "subject": col.category(rng.integers(0, len(SUBJECTS), n), SUBJECTS),
    })


def nps_responses_table(rng, cal: SimCalendar, lives: CustomerLives) -> pa.Table:
    waves = np.maximum(np.floor((lives.end - lives.start - 90) / NPS_EVERY_DAYS) + 1, 0).astype("int64")
    row = np.repeat(np.arange(len(lives.start)), waves)
    wave = np.arange(len(row)) - np.repeat(np.cumsum(waves) - waves, waves)
    survey = lives.start[row] + 90 + NPS_EVERY_DAYS * wave
    k = rng.poisson(1.3, len(row))  # answers per survey
    row, survey = np.repeat(row, k), np.repeat(survey, k)
    t = survey + rng.exponential(4, len(row))
    keep = (t < cal.cutoff) & (t < lives.end[row])
    row, t = row[keep], t[keep]
    unhappy = t >= lives.onset[row]
    mean = np.where(unhappy, NPS_MEAN[lives.driver[row]], NPS_MEAN[0])
    score = np.clip(np.round(rng.normal(mean, 1.6)), 0, 10)
    order = np.argsort(t, kind="stable")
    row, t, score = row[order], t[order], score[order]
    n = len(row)
    return pa.table({
        "response_id": col.ids("nps_", np.arange(n), 8),
        "account_id": col.ids("acc_", lives.account[row], 7),
        "contact_id": col.nulls(n),
        "responded_at": col.timestamps(cal, t),
        "score": col.integers(score),
        "comment": col.nulls(n),
    })


def invoices_table(rng, cal: SimCalendar, book, lives: CustomerLives) -> pa.Table:
    s = {k: np.asarray(book.sub[k], dtype=float) for k in ("account", "start", "end", "mrr")}
    end = np.where(np.isnan(s["end"]), cal.cutoff, s["end"])
    bills = np.maximum(np.ceil((end - s["start"]) / INVOICE_EVERY_DAYS), 0).astype("int64")
    sub = np.repeat(np.arange(len(s["start"])), bills)
    k = np.arange(len(sub)) - np.repeat(np.cumsum(bills) - bills, bills)
    issued = np.floor(s["start"][sub] + INVOICE_EVERY_DAYS * k)
    keep = issued < cal.cutoff
    sub, issued = sub[keep], issued[keep]
    n = len(sub)
    order = np.argsort(lives.account)
    life = order[np.searchsorted(lives.account, s["account"][sub].astype("int64"), sorter=order)]
    due = issued + NET_DAYS
    trouble = (lives.driver[life] == 3) & (issued >= lives.onset[life] - 30)
    paid = issued + np.clip(rng.normal(22, 7, n), 1, None)
    late = rng.random(n) < 0.05
    paid[late] = due[late] + rng.uniform(5, 45, late.sum())
    unpaid = trouble & (rng.random(n) < 0.75)
    paid[trouble] = due[trouble] + rng.uniform(30, 90, trouble.sum())
    paid[unpaid] = np.nan
    slipping = (lives.driver[life] == 3) & (issued >= lives.onset[life] - PAYMENT_SLIP_DAYS) & ~trouble
    slip = rng.uniform(20, 60, n)  # drawn last: the other invoices are those of before
    paid[slipping] = due[slipping] + slip[slipping]
    paid = np.floor(paid)
    paid[paid >= cal.cutoff] = np.nan
    ended = ~np.isnan(s["end"][sub])  # the last invoice of an ended period bills only its days
    fraction = np.where(ended, np.minimum(end[sub] - issued, INVOICE_EVERY_DAYS) / INVOICE_EVERY_DAYS, 1.0)
    amount = s["mrr"][sub] * 3 * fraction
    order = np.lexsort((sub, issued))
    sub, issued, due, paid, amount, life = (a[order] for a in (sub, issued, due, paid, amount, life))
    return pa.table({
        "invoice_id": col.ids("inv_", np.arange(n), 8),
        "account_id": col.ids("acc_", lives.account[life], 7),
        "subscription_id": col.ids("sub_", sub, 7),
        "issued_on": col.dates(cal, issued),
        "due_on": col.dates(cal, due),
        "amount": col.numbers(amount),
        "paid_on": col.dates(cal, paid),
    })


def champion_columns(rng, cal: SimCalendar, lives: CustomerLives, n_contacts: int,
                     total_rows: int) -> tuple[pa.Array, pa.Array]:
    """(role, left_at) for the contacts table's ``total_rows`` rows, of which the first
    ``n_contacts`` are the original contacts: each customer's champion is named, and leaves
    on the onset (champion_left) or, for a few others, some day while they are a customer."""
    role = np.full(total_rows, -1)
    left = np.full(total_rows, np.nan)
    champ = lives.champion
    ok = (champ >= 0) & (champ < n_contacts)
    role[champ[ok]] = 0
    noise = rng.random(len(champ)) < CHAMPION_NOISE
    when = np.where(lives.driver == 2, lives.onset,
                    np.where(noise, lives.start + rng.uniform(90, 900, len(champ)), np.nan))
    gone = ok & (when < lives.end) & (when < cal.cutoff)
    left[champ[gone]] = np.floor(when[gone])
    return col.category(role, ("champion",)), col.dates(cal, left)
