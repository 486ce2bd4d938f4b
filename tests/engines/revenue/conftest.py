"""Hand-built subscription histories whose MRR bridge is worked out by hand.

Month-end MRR (a subscription counts in month M when start_date <= M's last day < end_date;
end_date exclusive), today 2025-09-15:

    account   subscriptions                                        Jan  Feb  Mar  Apr  May  Jun  Jul  Aug  Sep
    acme      100 Jan 1-Mar 10, 150 Mar 10-20, 80 from Mar 20      100  100   80   80   80   80   80   80   80
    globex    200 Jan 1-Mar 15, 260 from Mar 15                    200  200  260  260  260  260  260  260  260
    initech   300 Jan 1-Mar 31, 250 from Mar 31                    300  300  250  250  250  250  250  250  250
    hooli     50 Jan 1-Apr 1, 70 Jun 1-Jul 10, 70 from Jul 25       50   50   50    -    -   70   70   70   70
    umbrella  100 from Jan 1, + 40 Feb 15-Apr 15 (overlapping)     100  140  140  100  100  100  100  100  100
    stark     90 May 20-Aug 5 (starts and ends mid-month)            -    -    -    -   90   90   90    -    -
    wayne     100 from Jan 1, a -150 credit Mar 1-Apr 1            100  100    0  100  100  100  100  100  100
    total                                                          850  890  780  790  880  950  950  860  860

- acme upgrades (Mar 10) and downgrades (Mar 20) inside March: only the month ends count,
  100 -> 80, a contraction of 20; in the same month globex expands by 60 and initech
  contracts by 50 (its new price starts on March 31, the month's last day, so it counts).
- hooli stops paying in April (churn 50), pays again in June (reactivation 70); its gap of
  July 10-25 falls inside one month and no month end sees it.
- umbrella's add-on overlaps its base subscription: they add up (expansion 40 in February,
  contraction 40 in April, when the add-on ends mid-month).
- stark starts on May 20 (new in May) and ends on August 5 (churn in August).
- wayne's credit is larger than its charges in March: its MRR is 0 then, not -50 (churn 100
  in March, reactivation 100 in April).

Owners: acme, globex and initech belong to u1 (segment smb), the others to u2 (enterprise).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from revops.engines.metrics import MetricSession
from revops.model import load_model

D = date
TODAY = D(2025, 9, 15)
SMB = ("acme", "globex", "initech")


def sub(sid: str, account: str, start: date, end: date | None, mrr: float) -> dict[str, Any]:
    return {"subscription_id": sid, "account_id": account, "start_date": start, "end_date": end, "mrr": mrr}


HISTORIES = [
    sub("a1", "acme", D(2025, 1, 1), D(2025, 3, 10), 100.0),
    sub("a2", "acme", D(2025, 3, 10), D(2025, 3, 20), 150.0),
    sub("a3", "acme", D(2025, 3, 20), None, 80.0),
    sub("g1", "globex", D(2025, 1, 1), D(2025, 3, 15), 200.0),
    sub("g2", "globex", D(2025, 3, 15), None, 260.0),
    sub("i1", "initech", D(2025, 1, 1), D(2025, 3, 31), 300.0),
    sub("i2", "initech", D(2025, 3, 31), None, 250.0),
    sub("h1", "hooli", D(2025, 1, 1), D(2025, 4, 1), 50.0),
    sub("h2", "hooli", D(2025, 6, 1), D(2025, 7, 10), 70.0),
    sub("h3", "hooli", D(2025, 7, 25), None, 70.0),
    sub("u1", "umbrella", D(2025, 1, 1), None, 100.0),
    sub("u2", "umbrella", D(2025, 2, 15), D(2025, 4, 15), 40.0),
    sub("s1", "stark", D(2025, 5, 20), D(2025, 8, 5), 90.0),
    sub("w1", "wayne", D(2025, 1, 1), None, 100.0),
    sub("w2", "wayne", D(2025, 3, 1), D(2025, 4, 1), -150.0),
]


@pytest.fixture
def histories(gtm):
    accounts = sorted({s["account_id"] for s in HISTORIES})
    return gtm(
        users=[{"user_id": "u1", "segment": "smb"}, {"user_id": "u2", "segment": "enterprise"}],
        accounts=[{"account_id": a, "owner_id": "u1" if a in SMB else "u2"} for a in accounts],
        subscriptions=HISTORIES,
    )


@pytest.fixture
def session_of():
    """session_of(store, as_of=None) -> a MetricSession on the store, today TODAY."""
    opened: list[MetricSession] = []

    def open_(store, as_of=None, today=TODAY):
        opened.append(MetricSession(store.ibis, load_model(None), as_of=as_of, today=None if as_of else today))
        return opened[-1]

    yield open_
    for s in opened:
        s.close()
