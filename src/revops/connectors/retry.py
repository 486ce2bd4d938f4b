"""How a connector calls a CRM: rate limits honoured, passing failures retried with
exponential backoff, a bounded number of times; lasting failures raised at once.

Each connector says what a failure means (``classify``): a 429 or a 5xx or a timeout is
retryable, a refused token or a bad field is not. The waits go through ``sleep``, which tests
replace so that a 10-second rate window costs them nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

from revops.connectors.errors import ConnectorError

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """What a failed call means."""

    message: str
    retryable: bool
    wait: float | None = None
    """Seconds the CRM asked to wait (Retry-After, the rate window); backoff when None."""
    status: int | None = None


Classify = Callable[[BaseException], "Failure | None"]
"""A CRM's reading of an exception; None for an exception that is no CRM answer (a bug)."""


@dataclass
class RetryPolicy:
    attempts: int = 5
    """Calls made at most, the first included."""
    base_delay: float = 1.0
    """The first backoff; it doubles on each retry."""
    max_delay: float = 60.0
    max_wait: float = 120.0
    """A server asking for a longer wait than this is not waited for (a daily limit)."""
    sleep: Callable[[float], None] = time.sleep
    on_retry: Callable[[str], None] | None = None
    """Told of each retry (the CLI shows it next to the progress bar)."""

    def backoff(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))

    def run(self, call: Callable[[], T], classify: Classify, what: str) -> T:
        """``call()``, retried while its failures are retryable and attempts remain."""
        for attempt in range(1, self.attempts + 1):
            try:
                return call()
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                if not failure.retryable:
                    raise ConnectorError(f"{what}: {failure.message}", retryable=False,
                                         status=failure.status) from exc
                delay = failure.wait if failure.wait is not None else self.backoff(attempt)
                if attempt == self.attempts:
                    raise ConnectorError(f"{what}: {failure.message}; gave up after {attempt} attempts, "
                                         "try again later", retryable=True, status=failure.status) from exc
                if delay > self.max_wait:
                    raise ConnectorError(f"{what}: {failure.message}; the CRM asks to wait {delay:.0f} s, longer "
                                         f"than {self.max_wait:.0f} s: try again later", retryable=True,
                                         status=failure.status) from exc
                if self.on_retry:
                    self.on_retry(f"{what}: {failure.message}; retry {attempt} of {self.attempts - 1} "
                                  f"in {delay:g} s")
                self.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import datetime, timezone

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


@dataclass
class Throttle:
    """At most ``per_second`` calls a second (HubSpot's search endpoints allow five)."""

    per_second: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last: float | None = field(default=None, repr=False)

    def wait(self) -> None:
        now = self.clock()
        if self._last is not None:
            gap = 1.0 / self.per_second - (now - self._last)
            if gap > 0:
                self.sleep(gap)
                now += gap
        self._last = now
