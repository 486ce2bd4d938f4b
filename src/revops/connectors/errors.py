"""The one error a CRM connector raises: what went wrong, where, what to do, and whether
trying again later can help."""

from __future__ import annotations

from revops.errors import RevopsError


class ConnectorError(RevopsError):
    """A CRM call failed, or a connector cannot be set up (a missing credential).

    ``retryable`` says whether the same call may succeed later (a rate limit, a CRM outage, a
    timeout: retries ran out) or not (a refused token, a bad field: someone must fix something).
    """

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
