"""Customers after the first win: subscriptions, expansions, contractions, renewals,
churn and reactivation, and weekly product usage that tells the story before it happens.

Each customer gets a hidden churn driver (``truth_churn.driver``): none, low_usage,
champion_left, payment_issues or support_pain, with an onset date. After the onset,
usage shows it (low_usage declines steadily, champion_left drops, support_pain sags)
and the account usually churns at its next renewal (payment issues: mid-term). Healthy
accounts expand; usage presses against licensed seats in the weeks before. The driver is
written even when churn has not happened yet, so health scores can be measured on
accounts at risk today.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from revops.demo import columns as col
from revops.demo.calendar import SimCalendar

DRIVERS = ("none", "low_usage", "champion_left", "payment_issues", "support_pain")
DRIVER_SHARE = np.array([0.62, 0.14, 0.09, 0.06, 0.09])
SEAT_PRICE = np.array([95.0, 70.0, 45.0])  # monthly per seat by segment
PLAN_BY_SEGMENT = (2, 1, 0)  # enterprise, growth, starter
METRICS = ("active_users", "events", "premium_feature_events")
LOST_BY_DRIVER = (2, 5, 0, 4, 1)  # lost reason of a churned renewal, by driver


@dataclass
class CustomerWins:
    """Won new-business deals closed before today, one per customer account."""

    account: np.ndarray
    close: np.ndarray
    amount: np.ndarray
    product: np.ndarray
    segment: np.ndarray
    region: np.ndarray
    ae: np.ndarray
    csm: np.ndarray
    opp: np.ndarray


@dataclass
class CustomerBook:
    sub: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "account", "start", "end", "mrr", "plan", "product", "seats", "opp", "status")})
    deal: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "account", "type", "product", "segment", "owner", "created", "end", "won", "last_stage",
        "amount", "lost_reason", "source")})
    churn: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "account", "churned", "churned_on", "driver", "former", "latent", "onset", "start", "segment",
        "opp")})
    usage: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def add_deal(self, **kw) -> int:
        for k, v in kw.items():
            self.deal[k].append(v)
        return len(self.deal["account"]) - 1

    def add_sub(self, **kw) -> int:
        for k, v in kw.items():
            self.sub[k].append(v)
        return len(self.sub["account"]) - 1


def simulate_customers(rng: np.random.Generator, cal: SimCalendar, wins: CustomerWins,
                       first_extra_opp: int) -> CustomerBook:
    """Walk each customer year by year. Deals created here are numbered from
    ``first_extra_opp`` (their specs are simulated by deals.simulate_history later)."""
    book = CustomerBook()
    cutoff = cal.cutoff
    mondays0 = float(7 - cal.weekday(np.array([0.0]))[0]) % 7

    for i in range(len(wins.account)):
        acc, seg = int(wins.account[i]), int(wins.segment[i])
        start = float(np.floor(wins.close[i] + rng.uniform(0, 7)))
        if start >= cutoff:
            start = float(np.floor(wins.close[i]))
        mrr = max(wins.amount[i], 1200.0) / 12.0
        plan = PLAN_BY_SEGMENT[seg]
        seats = max(3, int(round(mrr / SEAT_PRICE[seg])))
        driver = int(rng.choice(len(DRIVERS), p=DRIVER_SHARE))
        onset = start + rng.uniform(60, 500) if driver else np.inf
        cause = 0  # the driver that actually ended the contract (0: ordinary churn)
        first_row = len(book.sub["account"])
        main = book.add_sub(account=acc, start=start, end=np.nan, mrr=mrr, plan=plan,
                            product=int(wins.product[i]), seats=seats, opp=int(wins.opp[i]), status=0)
        open_rows = [main]
        expansions: list[float] = []
        churned_on = np.nan
        year = 1
        while True:
            period = start + 365.0 * (year - 1)
            renewal = start + 365.0 * year
            healthy = onset > period + 180
            # -- mid-term expansion (or an expansion deal that is lost) ----------------------
            p_exp = (0.45, 0.38, 0.25)[seg] if healthy else 0.04
            if rng.random() < p_exp:
                te = period + rng.uniform(60, 330)
                created = te - rng.uniform(25, 60)
                if created < cutoff:
                    arr_now = sum(book.sub["mrr"][r] for r in open_rows) * 12
                    delta = round(arr_now * rng.uniform(0.15, 0.6), -2) / 12
                    cross = rng.random() < 0.4
                    product = int(rng.integers(1, 3)) if cross else book.sub["product"][main]
                    k = book.add_deal(account=acc, type=1, product=product, segment=seg,
                                      owner=int(wins.ae[i]), created=created, end=te, won=True,
                                      last_stage=4, amount=delta * 12, lost_reason=-1, source=1)
                    if te < cutoff:
                        expansions.append(te)
                        if cross:
                            open_rows.append(book.add_sub(
                                account=acc, start=np.floor(te), end=np.nan, mrr=delta, plan=plan,
                                product=product, seats=max(1, int(delta / SEAT_PRICE[seg])),
                                opp=first_extra_opp + k, status=0))
                        else:
                            main = _replace(book, open_rows, main, np.floor(te), book.sub["mrr"][main] + delta,
                                            first_extra_opp + k, seg)
            elif rng.random() < 0.12:
                created = period + rng.uniform(40, 300)
                if created < cutoff:
                    book.add_deal(account=acc, type=1, product=int(rng.integers(1, 3)), segment=seg,
                                  owner=int(wins.ae[i]), created=created,
                                  end=created + rng.uniform(30, 90), won=False,
                                  last_stage=int(rng.integers(0, 4)), amount=mrr * 12 * 0.3,
                                  lost_reason=int(rng.integers(0, 5)), source=1)
            # -- payment trouble ends the contract mid-term --------------------------------
            if driver == 3 and period <= onset < renewal:
                churned_on = float(np.floor(onset + rng.uniform(20, 60)))
                cause = driver
                if churned_on >= cutoff:
                    churned_on = np.nan
                    break
                _end_all(book, open_rows, churned_on, status=2)
                break
            # -- renewal ---------------------------------------------------------------
            r_created = renewal - 90
            if r_created >= cutoff:
                break
            at_risk = onset < renewal - 75  # trouble shows in usage for a while first
            churns = rng.random() < (0.72 if at_risk else (0.04, 0.07, 0.12)[seg])
            r_end = renewal + rng.uniform(-12, 10)
            contraction = (not churns) and rng.random() < (0.55 if at_risk else 0.07)
            arr = sum(book.sub["mrr"][r] for r in open_rows) * 12
            new_mrr = book.sub["mrr"][main] * rng.uniform(0.55, 0.9) if contraction else None
            renewal_arr = arr if new_mrr is None else arr - (book.sub["mrr"][main] - new_mrr) * 12
            k = book.add_deal(account=acc, type=2, product=book.sub["product"][main], segment=seg,
                              owner=int(wins.csm[i]), created=r_created, end=r_end, won=not churns,
                              last_stage=4 if not churns else int(rng.integers(1, 4)),
                              amount=round(renewal_arr, -2), lost_reason=LOST_BY_DRIVER[driver if at_risk else 0] if churns else -1,
                              source=2)
            if renewal >= cutoff:
                break
            if churns:
                churned_on = float(np.floor(renewal))
                cause = driver if at_risk else 0
                _end_all(book, open_rows, churned_on, status=2)
                break
            if new_mrr is not None:
                main = _replace(book, open_rows, main, float(np.floor(renewal)), new_mrr, first_extra_opp + k, seg)
            year += 1
        # -- a few churned customers come back ------------------------------------------
        former = not np.isnan(churned_on)
        draw = rng.random()
        if former and draw < 0.4:
            back = churned_on + rng.uniform(45, 150)
            if back < cutoff:
                k = book.add_deal(account=acc, type=0, product=0, segment=seg, owner=int(wins.ae[i]),
                                  created=back - rng.uniform(20, 50), end=back, won=True, last_stage=4,
                                  amount=round(mrr * 12 * rng.uniform(0.4, 0.9), -2), lost_reason=-1,
                                  source=3)
                book.add_sub(account=acc, start=float(np.floor(back)), end=np.nan,
                             mrr=book.deal["amount"][k] / 12, plan=plan, product=0,
                             seats=max(3, int(book.deal["amount"][k] / 12 / SEAT_PRICE[seg])),
                             opp=first_extra_opp + k, status=0)
                former = False
        book.churn["account"].append(acc)
        book.churn["churned"].append(not np.isnan(churned_on))
        book.churn["churned_on"].append(churned_on)
        # churned: what ended it; not churned: the latent driver (at risk today if not none)
        book.churn["driver"].append(cause if not np.isnan(churned_on) else driver)
        book.churn["former"].append(former)
        # what the health signals (demo/health_signals.py) are drawn from
        book.churn["latent"].append(driver)
        book.churn["onset"].append(onset)
        book.churn["start"].append(start)
        book.churn["segment"].append(seg)
        book.churn["opp"].append(int(wins.opp[i]))
        _usage(rng, cal, book, first_row, seg, start, onset, driver, expansions, mondays0)
    return book


def _replace(book: CustomerBook, open_rows: list[int], row: int, t: float, mrr: float, opp: int,
             seg: int) -> int:
    """End ``row`` at ``t`` and start its successor at the new monthly amount."""
    book.sub["end"][row] = t
    book.sub["status"][row] = 1
    open_rows.remove(row)
    new = book.add_sub(account=book.sub["account"][row], start=t, end=np.nan, mrr=mrr,
                       plan=book.sub["plan"][row], product=book.sub["product"][row],
                       seats=max(3, int(round(mrr / SEAT_PRICE[seg]))), opp=opp, status=0)
    open_rows.append(new)
    return new


def _end_all(book: CustomerBook, open_rows: list[int], t: float, status: int) -> None:
    for r in open_rows:
        book.sub["end"][r] = t
        book.sub["status"][r] = status
    open_rows.clear()


def _usage(rng, cal, book, first_row, seg, start, onset, driver, expansions, mondays0) -> None:
    """Weekly usage of the account whose subscription rows start at ``first_row``."""
    rows = range(first_row, len(book.sub["account"]))
    acc = book.sub["account"][first_row]
    first_monday = mondays0 + 7 * np.ceil((start - mondays0) / 7)
    weeks = np.arange(first_monday, cal.cutoff, 7.0)
    if len(weeks) == 0:
        return
    seats = np.zeros(len(weeks))
    for r in rows:
        end = book.sub["end"][r]
        live = (weeks >= book.sub["start"][r]) & (weeks < (cal.cutoff if np.isnan(end) else end))
        seats += live * book.sub["seats"][r]
    live = seats > 0
    weeks, seats = weeks[live], seats[live]
    if len(weeks) == 0:
        return
    age = (weeks - start) / 365.0
    adoption = rng.uniform(0.55, 0.85) + 0.08 * age
    premium = np.full(len(weeks), 0.05)
    for te in expansions:
        pre = (weeks > te - 80) & (weeks <= te)
        adoption[pre] = np.maximum(adoption[pre], 0.95 + 0.12 * (1 - (te - weeks[pre]) / 80))
        premium[pre] = 0.14
    after = weeks >= onset
    if driver == 1:
        adoption[after] *= np.clip(1 - (weeks[after] - onset) / 150.0, 0.1, 1)
        premium[after] = 0.02
    elif driver == 2:
        adoption[after] *= 0.55
    elif driver == 4:
        adoption[after] *= 0.82
    active = np.maximum(np.round(seats * adoption * np.exp(rng.normal(0, 0.06, len(weeks)))), 0)
    events = np.round(active * 38 * np.exp(rng.normal(0, 0.2, len(weeks))))
    prem = np.round(events * premium * np.exp(rng.normal(0, 0.25, len(weeks))))
    book.usage.append((np.full(len(weeks), acc), weeks, active, events, prem))


def subscriptions_table(cal: SimCalendar, book: CustomerBook) -> pa.Table:
    from revops.demo.vocabulary import PLANS, PRODUCTS

    s = {k: np.asarray(v) for k, v in book.sub.items()}
    n = len(s["account"])
    return pa.table({
        "subscription_id": col.ids("sub_", np.arange(n), 7),
        "account_id": col.ids("acc_", s["account"], 7),
        "start_date": col.dates(cal, s["start"].astype(float)),
        "end_date": col.dates(cal, s["end"].astype(float)),
        "mrr": col.numbers(s["mrr"].astype(float)),
        "plan": col.category(s["plan"], PLANS),
        "product": col.category(s["product"], PRODUCTS),
        "seats": col.integers(s["seats"]),
        "opportunity_id": col.ids("opp_", s["opp"], 7),
        "status": col.category(s["status"], ("active", "ended", "churned")),
    })


def usage_arrays(book: CustomerBook) -> dict[str, np.ndarray]:
    if not book.usage:
        return {k: np.zeros(0) for k in ("account", "week", "metric", "value")}
    acc, week, active, events, prem = (np.concatenate([u[i] for u in book.usage]) for i in range(5))
    n = len(acc)
    return {"account": np.repeat(acc, 3), "week": np.repeat(week, 3),
            "metric": np.tile(np.arange(3), n),
            "value": np.column_stack([active, events, prem]).ravel()}


def usage_table(cal: SimCalendar, u: dict[str, np.ndarray], rows: slice, first_id: int) -> pa.Table:
    n = len(u["account"][rows])
    return pa.table({
        "usage_id": col.ids("use_", np.arange(first_id, first_id + n), 9),
        "account_id": col.ids("acc_", u["account"][rows], 7),
        "usage_date": col.dates(cal, u["week"][rows]),
        "metric": col.category(u["metric"][rows], METRICS),
        "value": col.numbers(u["value"][rows], 0),
        "feature": col.category(np.where(u["metric"][rows] == 2, 0, -1), ("premium",)),
        "user_id": col.nulls(n),
    })


def truth_churn_table(cal: SimCalendar, book: CustomerBook) -> pa.Table:
    c = book.churn
    return pa.table({
        "account_id": col.ids("acc_", np.asarray(c["account"]), 7),
        "churned": col.booleans(np.asarray(c["churned"])),
        "churned_on": col.dates(cal, np.asarray(c["churned_on"], dtype=float)),
        "driver": col.category(np.asarray(c["driver"]), DRIVERS),
    })
