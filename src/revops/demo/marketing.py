"""Channels, campaigns, marketing touches and spend.

Each channel brings leads of a different hidden quality at a different cost per lead:
referral and partner leads are the best, paid social and outbound the weakest; events
are expensive. Campaigns run one quarter each. Spend is monthly, per campaign
(programs) and per department (salaries, tools), so CAC can be computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from revops.demo import columns as col
from revops.demo.calendar import SimCalendar
from revops.demo.people import ROLES, Staff

# channel, share of leads, quality shift (logit), cost per lead, campaigns per quarter, type
CHANNELS = (
    ("paid_search", 0.21, 0.0, 190.0, 3, "search_ads"),
    ("paid_social", 0.15, -0.7, 120.0, 3, "social_ads"),
    ("content", 0.16, -0.3, 55.0, 2, "content_seo"),
    ("events", 0.07, 0.2, 420.0, 2, "event"),
    ("webinar", 0.08, 0.1, 95.0, 2, "webinar"),
    ("outbound", 0.20, -0.5, 0.0, 1, "outbound_sequence"),
    ("referral", 0.05, 1.2, 150.0, 1, "referral_program"),
    ("partner", 0.08, 0.7, 260.0, 1, "partner_program"),
)
CHANNEL_NAMES = tuple(c[0] for c in CHANNELS)
CHANNEL_QUALITY = np.array([c[2] for c in CHANNELS])
FIRST_TOUCH = ("ad_click", "ad_click", "content_download", "event", "webinar", "email_click",
               "form_fill", "form_fill")
TOUCH_TYPES = ("ad_click", "web_visit", "pricing_page_visit", "form_fill", "email_open",
               "email_click", "event", "webinar", "content_download")
# follow-up touch type weights for a low-quality and a high-quality lead
TOUCH_WEIGHTS_LOW = np.array([0.10, 0.38, 0.03, 0.03, 0.30, 0.06, 0.02, 0.03, 0.05])
TOUCH_WEIGHTS_HIGH = np.array([0.05, 0.22, 0.20, 0.12, 0.12, 0.12, 0.05, 0.07, 0.05])
TOUCH_CHANNEL = np.array([0, -1, -1, -1, 2, 2, 3, 4, 2])  # channel a follow-up touch belongs to
MONTHLY_SALARY = {"executive": 26_000, "manager": 17_000, "ae": 12_500, "sdr": 7_000,
                  "csm": 9_000, "marketing": 10_000, "revops": 11_000}
DEPARTMENT = {"executive": "sales", "manager": "sales", "ae": "sales", "sdr": "sales",
              "csm": "customer_success", "marketing": "marketing", "revops": "sales"}


@dataclass
class Campaigns:
    channel: np.ndarray
    quarter: np.ndarray  # index of the quarter in history
    start: np.ndarray  # days
    end: np.ndarray
    offset: np.ndarray  # first campaign index of each (channel, quarter 0)
    per_quarter: np.ndarray

    def __len__(self) -> int:
        return len(self.channel)

    def pick(self, rng: np.random.Generator, channel: np.ndarray, days: np.ndarray,
             quarter_starts: np.ndarray) -> np.ndarray:
        """A campaign of each channel running at each instant."""
        q = np.clip(np.searchsorted(quarter_starts, days, side="right") - 1, 0, len(quarter_starts) - 1)
        k = self.per_quarter[channel]
        return self.offset[channel] + q * k + (rng.random(len(days)) * k).astype("int64")


def quarter_starts(cal: SimCalendar) -> np.ndarray:
    """Day offsets of the quarter starts covering history (the first may be before the epoch)."""
    ends = np.unique(cal.quarter_end(np.arange(0, cal.cutoff + 1)))
    return np.concatenate([[ends[0] - 91], ends[:-1]]) + 1


def build_campaigns(cal: SimCalendar) -> Campaigns:
    qs = quarter_starts(cal)
    qe = np.append(qs[1:], cal.quarter_end(np.array([cal.cutoff]))[0] + 1)
    per_q = np.array([c[4] for c in CHANNELS])
    chan, quarter, offset = [], [], []
    for c in range(len(CHANNELS)):
        offset.append(len(chan))
        for q in range(len(qs)):
            chan += [c] * per_q[c]
            quarter += [q] * per_q[c]
    chan, quarter = np.array(chan), np.array(quarter)
    return Campaigns(chan, quarter, qs[quarter].astype(float), qe[quarter].astype(float),
                     np.array(offset), per_q)


def campaign_costs(rng: np.random.Generator, camps: Campaigns, lead_campaign: np.ndarray) -> np.ndarray:
    leads = np.bincount(lead_campaign, minlength=len(camps)).astype(float)
    cpl = np.array([c[3] for c in CHANNELS])[camps.channel]
    fixed = np.where(camps.channel == 3, 18_000.0, np.where(camps.channel == 4, 2_500.0, 0.0))
    return np.round(leads * cpl * np.exp(rng.normal(0, 0.25, len(camps))) + fixed, 2)


def campaigns_table(cal: SimCalendar, camps: Campaigns, cost: np.ndarray,
                    rng: np.random.Generator) -> pa.Table:
    n = len(camps)
    q_end_dates = cal.day_dates(camps.end - 1)
    labels = [f"{str(d)[:4]}-Q{(int(str(d)[5:7]) - 1) // 3 + 1}" for d in q_end_dates]
    names = [f"{labels[i]} {CHANNELS[camps.channel[i]][0].replace('_', ' ').title()} #{i % 7 + 1}"
             for i in range(n)]
    status = np.where(camps.end <= cal.cutoff, "completed", "active")
    budget = np.round(cost * rng.uniform(0.9, 1.3, n), -2)
    return pa.table({
        "campaign_id": col.ids("cmp_", np.arange(n), 4),
        "name": pa.array(names),
        "channel": col.category(camps.channel, CHANNEL_NAMES),
        "type": col.category(camps.channel, [c[5] for c in CHANNELS]),
        "status": pa.array(status),
        "start_date": col.dates(cal, camps.start),
        "end_date": col.dates(cal, camps.end - 1),
        "budget": col.numbers(budget),
        "cost": col.numbers(cost),
        "parent_campaign_id": col.nulls(n),
    })


def spend_table(cal: SimCalendar, camps: Campaigns, cost: np.ndarray, staff: Staff) -> pa.Table:
    """Monthly spend: each campaign's cost spread over its months (up to today), plus
    salaries per department from the people employed each month, plus tools."""
    months = cal.month_starts()
    months = np.append(months, cal.cutoff)  # current month is partial
    m_start, m_end = months[:-1], months[1:]
    rows: dict[str, list] = {k: [] for k in ("start", "end", "dept", "cat", "chan", "camp", "amount")}

    def add(start, end, dept, cat, chan, camp, amount):
        rows["start"].append(start); rows["end"].append(end); rows["dept"].append(dept)
        rows["cat"].append(cat); rows["chan"].append(chan); rows["camp"].append(camp)
        rows["amount"].append(amount)

    for i in range(len(camps)):
        active = [(s, e) for s, e in zip(m_start, m_end) if s < camps.end[i] and e > camps.start[i]]
        if not active or cost[i] == 0:
            continue
        cat = "events" if camps.channel[i] == 3 else ("agencies" if camps.channel[i] == 2 else "programs")
        for s, e in active:
            add(s, e - 1, "marketing", cat, CHANNEL_NAMES[camps.channel[i]], i, cost[i] / len(active))
    for s, e in zip(m_start, m_end):
        employed = (staff.start < e) & (staff.end > s)
        totals: dict[str, float] = {}
        for r, role in enumerate(ROLES):
            headcount = int((employed & (staff.role_arr == r)).sum())
            dept = DEPARTMENT[role]
            totals[dept] = totals.get(dept, 0.0) + headcount * MONTHLY_SALARY[role] * (e - s) / 30.4
        for dept, amount in totals.items():
            if amount:
                add(s, e - 1, dept, "salaries", None, -1, amount)
        add(s, e - 1, "marketing", "tools", None, -1, 6_000.0 * (e - s) / 30.4)
        add(s, e - 1, "sales", "tools", None, -1, 160.0 * int(employed.sum()) * (e - s) / 30.4)
    n = len(rows["amount"])
    return pa.table({
        "spend_id": col.ids("spd_", np.arange(n), 6),
        "period_start": col.dates(cal, np.array(rows["start"])),
        "period_end": col.dates(cal, np.array(rows["end"])),
        "department": pa.array(rows["dept"]),
        "category": pa.array(rows["cat"]),
        "channel": pa.array(rows["chan"], pa.string()),
        "campaign_id": col.ids_or_null("cmp_", np.array(rows["camp"]), 4),
        "amount": col.numbers(np.array(rows["amount"])),
    })


def simulate_touches(rng: np.random.Generator, cal: SimCalendar, camps: Campaigns,
                     qstarts: np.ndarray, lead_idx: np.ndarray, created: np.ndarray,
                     channel: np.ndarray, campaign: np.ndarray, quality: np.ndarray,
                     engaged_until: np.ndarray) -> dict[str, np.ndarray]:
    """Touches of a chunk of leads: the touch that created the lead (its channel and
    campaign), then follow-ups whose mix and count rise with hidden quality: good leads
    visit the pricing page and fill forms, weak ones mostly open e-mails and browse."""
    n = len(lead_idx)
    extra = rng.poisson(0.6 + 4.5 * quality)
    count = 1 + extra
    owner = np.repeat(np.arange(n), count)
    first = np.r_[True, owner[1:] != owner[:-1]]
    total = len(owner)
    window = np.maximum(engaged_until - created, 1.0)[owner]
    t = created[owner] + np.where(rng.random(total) < 0.2, -rng.uniform(0, 25, total),
                                  rng.random(total) ** 1.6 * np.minimum(window, 90))
    t[first] = created[owner[first]]
    q = quality[owner]
    cum_low, cum_high = np.cumsum(TOUCH_WEIGHTS_LOW), np.cumsum(TOUCH_WEIGHTS_HIGH)
    cum = cum_low[None, :] * (1 - q[:, None]) + cum_high[None, :] * q[:, None]
    ttype = (cum < rng.random(total)[:, None] * cum[:, -1:]).sum(axis=1)
    ttype[first] = np.array([TOUCH_TYPES.index(f) for f in FIRST_TOUCH])[channel[owner[first]]]
    tchan = TOUCH_CHANNEL[ttype]
    tchan[first] = channel[owner[first]]
    camp = np.full(total, -1, dtype="int64")
    has = tchan >= 0
    camp[has] = camps.pick(rng, tchan[has], t[has], qstarts)
    camp[first] = campaign[owner[first]]
    keep = t < cal.cutoff
    return {"lead": lead_idx[owner][keep], "t": t[keep], "type": ttype[keep],
            "channel": tchan[keep], "campaign": camp[keep]}


def touches_table(cal: SimCalendar, touch: dict[str, np.ndarray], first_id: int,
                  lead_contact: np.ndarray, lead_account: np.ndarray,
                  converted_at: np.ndarray) -> pa.Table:
    n = len(touch["t"])
    after = touch["t"] >= np.nan_to_num(converted_at[touch["lead"]], nan=np.inf)
    url_labels = ["/", "/pricing", "/demo-request", "/resources/guide"]
    url_idx = np.select([touch["type"] == 1, touch["type"] == 2, touch["type"] == 3, touch["type"] == 8],
                        [0, 1, 2, 3], -1)
    return pa.table({
        "touch_id": col.ids("tch_", np.arange(first_id, first_id + n), 9),
        "occurred_at": col.timestamps(cal, touch["t"]),
        "channel": col.category(np.where(touch["channel"] >= 0, touch["channel"], len(CHANNEL_NAMES)),
                                CHANNEL_NAMES + ("direct",)),
        "campaign_id": col.ids_or_null("cmp_", touch["campaign"], 4),
        "touch_type": col.category(touch["type"], TOUCH_TYPES),
        "lead_id": col.ids("lead_", touch["lead"], 8),
        "contact_id": col.ids_or_null("con_", np.where(after, lead_contact[touch["lead"]], -1), 8),
        "account_id": col.ids_or_null("acc_", np.where(after, lead_account[touch["lead"]], -1), 7),
        "opportunity_id": col.nulls(n),
        "url": col.category(url_idx, url_labels),
    })
