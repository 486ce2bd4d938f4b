"""Events: what the website, the product and an intent provider report about the demo
company's leads, contacts and accounts, made from the staged tables once they are written.
The builder stores them as any sender's events are stored (``EventLog``, the log behind
`revops events ingest` and POST /v1/events), and the workflows read them from there.

- **Page views** (``page_view``, source ``website``): each web visit and pricing-page visit
  in ``touches`` is a session by the lead's e-mail address: the touch's page (``/`` or
  ``/pricing``), then half a page more on average (docs, blog, customers …, never pricing).
  One session in 20 is by an address the CRM does not know (the person's personal e-mail).
- **Forms** (``form_submitted``): each form fill (``demo_request``) and content download
  (``guide_download``) in ``touches``.
- **Product signups** (``product_signup``, source ``product``): 6% of leads start a free
  trial as they arrive.
- **Intent provider** (``page_view`` with ``account_id`` and no e-mail, source
  ``intent_provider``): anonymous visits the provider matched to an account, about one per
  account every 20 months; one in ten is of the pricing page.
- **Intent spikes**: at about one enterprise account in eight, its contacts view the pricing
  page three to five times within six days, ending in the last three weeks (one view in four
  is reported by the intent provider instead). **Near misses** at twice as many other
  enterprise accounts: two pricing views within a week, or three spread over more than a
  week. And spikes at a few mid-market accounts, which the demo's enterprise workflow passes
  over.

Events before ``today - event_days`` are left out (medium and large scale: ``Scale``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from revops.demo.seeds import rng_for
from revops.orchestration.events import IncomingEvent

DAY = 86_400.0
SPIKE_SHARE = 1 / 8
"""Enterprise accounts (with a contact to act on) whose pricing views spike."""
SPIKE_WITHIN_DAYS = 21.0
"""A spike's last view falls in this many days before today."""
NEAR_MISS_WITHIN_DAYS = 90.0
SIGNUP_SHARE = 0.06
UNKNOWN_VISITOR_SHARE = 0.05
PROVIDER_VISITS_PER_DAY = 0.05 / 30.4
EXTRA_PAGES_PER_SESSION = 0.5
PAGES = ("/docs/getting-started", "/docs/api", "/docs/integrations/salesforce", "/blog/revops-metrics-that-matter",
         "/blog/lead-routing-playbook", "/blog/forecast-accuracy", "/customers", "/customers/northwind-story",
         "/product", "/integrations", "/security")
PAGE_WEIGHTS = np.array([8, 5, 3, 6, 5, 4, 6, 3, 7, 3, 2], float)
PRICING_PAGES = ("/pricing", "/pricing/enterprise")
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com")
TOUCH_EVENTS = {"web_visit": "page_view", "pricing_page_visit": "page_view", "form_fill": "form_submitted",
                "content_download": "form_submitted"}
FORMS = {"/demo-request": "demo_request", "/resources/guide": "guide_download"}


@dataclass
class _Drawn:
    """Events as columns, in the order drawn (sorted by time at the end)."""

    at: list[float] = field(default_factory=list)
    """Unix seconds."""
    type: list[str] = field(default_factory=list)
    email: list[str | None] = field(default_factory=list)
    account: list[str | None] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)
    source: list[str] = field(default_factory=list)

    def add(self, at: float, type_: str, properties: dict[str, Any], source: str, *, email: str | None = None,
            account: str | None = None) -> None:
        self.at.append(at)
        self.type.append(type_)
        self.email.append(email)
        self.account.append(account)
        self.properties.append(properties)
        self.source.append(source)


def demo_events(con: Any, schema: str, today: date, seed: int, event_days: int | None) -> list[IncomingEvent]:
    """The events of the demo whose tables are staged in ``schema`` (read through ``con``), in
    time order, with ids ``demo_evt_00000000`` … in that order."""
    cutoff = _unix(datetime.combine(today, datetime.min.time()))
    since = cutoff - event_days * DAY if event_days else -np.inf
    since_ts = datetime(1970, 1, 1) + timedelta(seconds=max(since, 0.0))
    drawn = _Drawn()
    _sessions(drawn, con, schema, since_ts, rng_for(seed, "events", 0))
    _signups(drawn, con, schema, since_ts, rng_for(seed, "events", 1))
    accounts = con.execute(
        f"SELECT a.account_id, a.segment, epoch(a.created_at), coalesce(d.record_id = d.cluster_id, true) "
        f"FROM {schema}.accounts a LEFT JOIN {schema}.truth_duplicates d "
        f"ON d.table_name = 'accounts' AND d.record_id = a.account_id ORDER BY a.account_id").fetchall()
    _provider_visits(drawn, accounts, since, cutoff, rng_for(seed, "events", 2))
    _spikes(drawn, con, schema, accounts, since, cutoff, rng_for(seed, "events", 3))
    keep = [i for i in np.argsort(np.asarray(drawn.at), kind="stable") if since <= drawn.at[i] < cutoff]
    times = np.floor(np.asarray(drawn.at)[keep]).astype("int64").astype("datetime64[s]").tolist()
    return [IncomingEvent(type=drawn.type[i], occurred_at=at, properties=drawn.properties[i],
                          event_id=f"demo_evt_{n:08d}", email=drawn.email[i], account_id=drawn.account[i],
                          source=drawn.source[i])
            for n, (i, at) in enumerate(zip(keep, times))]


def _unix(at: datetime) -> float:
    return (at - datetime(1970, 1, 1)).total_seconds()


# -- the website: sessions and forms from the touches ---------------------------------------------
def _sessions(drawn: _Drawn, con: Any, schema: str, since: datetime, rng: np.random.Generator) -> None:
    rows = con.execute(
        f"SELECT epoch(t.occurred_at), t.touch_type, t.url, lower(trim(l.email)) FROM {schema}.touches t "
        f"JOIN {schema}.leads l USING (lead_id) WHERE t.touch_type IN "
        f"('web_visit', 'pricing_page_visit', 'form_fill', 'content_download') "
        f"AND t.occurred_at >= ? AND l.email LIKE '%_@_%' ORDER BY t.touch_id", [since]).fetchall()
    n = len(rows)
    unknown = rng.random(n) < UNKNOWN_VISITOR_SHARE
    free_mail = rng.integers(0, len(FREE_MAIL), n)
    extra = rng.poisson(EXTRA_PAGES_PER_SESSION, n)
    pages = rng.choice(len(PAGES), size=int(extra.sum()), p=PAGE_WEIGHTS / PAGE_WEIGHTS.sum())
    gaps = rng.uniform(20.0, 360.0, int(extra.sum()))
    used = 0
    for i, (at, touch_type, url, email) in enumerate(rows):
        kind = TOUCH_EVENTS[touch_type]
        if kind == "form_submitted":
            drawn.add(at, kind, {"form": FORMS.get(url, "contact"), "url": url}, "website", email=email)
            continue
        if unknown[i]:
            email = f"{email.split('@')[0]}@{FREE_MAIL[free_mail[i]]}"
        session = f"ses_{i:08d}"
        drawn.add(at, kind, {"url": url, "session_id": session}, "website", email=email)
        for k in range(extra[i]):
            at += gaps[used + k]
            drawn.add(at, "page_view", {"url": PAGES[pages[used + k]], "session_id": session}, "website",
                      email=email)
        used += extra[i]


def _signups(drawn: _Drawn, con: Any, schema: str, since: datetime, rng: np.random.Generator) -> None:
    rows = con.execute(f"SELECT epoch(created_at), lower(trim(email)) FROM {schema}.leads "
                       f"WHERE created_at >= ? AND email LIKE '%_@_%' ORDER BY lead_id", [since]).fetchall()
    chosen = np.flatnonzero(rng.random(len(rows)) < SIGNUP_SHARE)
    for i in chosen:
        at, email = rows[i]
        drawn.add(at, "product_signup", {"plan": "free_trial", "url": "/signup"}, "product", email=email)


# -- the intent provider -------------------------------------------------------------------------
def _provider_visits(drawn: _Drawn, accounts: Sequence[tuple], since: float, cutoff: float,
                     rng: np.random.Generator) -> None:
    created = np.array([np.nan if a[2] is None else a[2] for a in accounts], float)
    start = np.fmax(created, since)  # an account created before the window: from the window's start
    days = np.where(np.isfinite(start), np.maximum(cutoff - start, 0.0), 0.0) / DAY
    visits = rng.poisson(days * PROVIDER_VISITS_PER_DAY)
    who = np.repeat(np.arange(len(accounts)), visits)
    at = rng.uniform(start[who], cutoff)
    page = rng.integers(0, len(PAGES), len(who))
    pricing = rng.random(len(who)) < 0.1
    for i, account in enumerate(who):
        url = PRICING_PAGES[0] if pricing[i] else PAGES[page[i]]
        drawn.add(float(at[i]), "page_view", {"url": url}, "intent_provider", account=accounts[account][0])


def _spikes(drawn: _Drawn, con: Any, schema: str, accounts: Sequence[tuple], since: float, cutoff: float,
            rng: np.random.Generator) -> None:
    """Intent spikes, near misses and mid-market spikes (module docstring)."""
    contacts: dict[str, list[str]] = {}
    for account_id, email in con.execute(
            f"SELECT c.account_id, lower(trim(c.email)) FROM {schema}.contacts c JOIN {schema}.truth_duplicates d "
            f"ON d.table_name = 'contacts' AND d.record_id = c.contact_id AND d.record_id = d.cluster_id "
            f"WHERE c.email LIKE '%_@_%' AND c.account_id IS NOT NULL AND c.left_at IS NULL "
            f"ORDER BY c.contact_id").fetchall():
        contacts.setdefault(account_id, []).append(email)

    def usable(segment: str) -> list[str]:
        return [a for a, s, _, original in accounts if s == segment and original and a in contacts]

    enterprise = rng.permutation(usable("enterprise")).tolist()
    n = min(len(enterprise), max(2, round(len(enterprise) * SPIKE_SHARE))) if enterprise else 0
    spiking, near = enterprise[:n], enterprise[n:3 * n]
    window_start = max(since, cutoff - SPIKE_WITHIN_DAYS * DAY)
    for account in spiking:
        views = 3 + int(rng.random() < 0.4) + int(rng.random() < 0.2)
        _pricing_views(drawn, account, contacts[account], views, rng.uniform(0.5, 6.0),
                       rng.uniform(window_start, cutoff - 3600.0), rng)
    near_start = max(since, cutoff - NEAR_MISS_WITHIN_DAYS * DAY)
    for k, account in enumerate(near):
        if k % 2 == 0:  # two views within a week
            _pricing_views(drawn, account, contacts[account], 2, rng.uniform(0.5, 5.0),
                           rng.uniform(near_start, cutoff - 3600.0), rng)
        else:  # three views, the first more than a week before the last
            _pricing_views(drawn, account, contacts[account], 3, rng.uniform(8.0, 20.0),
                           rng.uniform(near_start + 20 * DAY, cutoff - 3600.0), rng, spread=True)
    mid = rng.permutation(usable("mid_market")).tolist()[:max(1, n // 2)]
    for account in mid:
        _pricing_views(drawn, account, contacts[account], 3, rng.uniform(0.5, 3.0),
                       rng.uniform(window_start, cutoff - 3600.0), rng)


def _pricing_views(drawn: _Drawn, account: str, emails: list[str], views: int, span_days: float, last: float,
                   rng: np.random.Generator, spread: bool = False) -> None:
    """``views`` pricing-page views at ``account`` over ``span_days`` ending at ``last``; with
    ``spread`` the first is exactly ``span_days`` before the last (the rest in between)."""
    offsets = np.sort(rng.uniform(0.0, span_days, views - 1)) if not spread else \
        np.concatenate([[0.0], np.sort(rng.uniform(0.0, span_days, views - 2))])
    times = [last - span_days * DAY + o * DAY for o in offsets] + [last]
    for at in times:
        url = PRICING_PAGES[int(rng.random() < 0.3)]
        if rng.random() < 0.25:
            drawn.add(at, "page_view", {"url": url}, "intent_provider", account=account)
            continue
        email = emails[rng.integers(len(emails))]
        session = f"ses_{account}_{int(at)}"
        drawn.add(at, "page_view", {"url": url, "session_id": session}, "website", email=email)
        if rng.random() < 0.5:
            drawn.add(at + rng.uniform(30.0, 300.0), "page_view",
                      {"url": PAGES[rng.integers(len(PAGES))], "session_id": session}, "website", email=email)
