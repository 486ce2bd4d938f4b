"""The retry policy: passing failures retried with backoff a bounded number of times, the
server's wait honoured, lasting failures raised at once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from revops.connectors import ConnectorError, RetryPolicy
from revops.connectors.retry import Failure, Throttle, retry_after


class Flaky:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def classify(exc: BaseException) -> Failure | None:
    if isinstance(exc, TimeoutError):
        return Failure("timed out", retryable=True)
    if isinstance(exc, PermissionError):
        return Failure("refused", retryable=False, status=401)
    if isinstance(exc, InterruptedError):
        return Failure("rate limited", retryable=True, wait=float(str(exc)))
    return None


def test_backoff_doubles_up_to_its_cap():
    waits: list[float] = []
    policy = RetryPolicy(attempts=6, base_delay=1.0, max_delay=5.0, sleep=waits.append)
    call = Flaky(*[TimeoutError()] * 5)

    assert policy.run(call, classify, "pull") == "ok"
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0] and call.calls == 6


def test_a_server_wait_replaces_the_backoff():
    waits: list[float] = []
    assert RetryPolicy(sleep=waits.append).run(Flaky(InterruptedError("12")), classify, "pull") == "ok"
    assert waits == [12.0]


def test_a_wait_longer_than_the_policy_allows_is_not_waited():
    waits: list[float] = []
    with pytest.raises(ConnectorError, match="asks to wait 86400 s") as caught:
        RetryPolicy(sleep=waits.append, max_wait=60).run(Flaky(InterruptedError("86400")), classify, "pull")
    assert caught.value.retryable is True and waits == []


def test_a_lasting_failure_is_raised_at_once_with_what_was_done():
    call = Flaky(PermissionError())
    with pytest.raises(ConnectorError, match="^HubSpot owners: refused$") as caught:
        RetryPolicy(sleep=lambda s: None).run(call, classify, "HubSpot owners")
    assert (caught.value.retryable, caught.value.status, call.calls) == (False, 401, 1)


def test_an_exception_that_is_no_crm_answer_is_not_swallowed():
    with pytest.raises(KeyError):
        RetryPolicy(sleep=lambda s: None).run(Flaky(KeyError("bug")), classify, "pull")


def test_retries_are_told_to_whoever_listens():
    told: list[str] = []
    RetryPolicy(sleep=lambda s: None, on_retry=told.append).run(Flaky(TimeoutError()), classify, "pull")
    assert told == ["pull: timed out; retry 1 of 4 in 1 s"]


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("7") == 7.0
    assert retry_after(None) is None and retry_after("soon") is None
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after(later) or 0) <= 30


def test_a_throttle_spaces_calls():
    now = [100.0]
    waits: list[float] = []
    throttle = Throttle(per_second=4, sleep=waits.append, clock=lambda: now[0])
    throttle.wait()
    now[0] += 0.05
    throttle.wait()
    now[0] += 1.0
    throttle.wait()
    assert waits == [pytest.approx(0.2)]
