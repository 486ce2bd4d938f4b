"""Signed bodies, both ways: senders sign POST /v1/events, and webhook steps sign what they send.

    X-Revops-Signature: t=1767225600,v1=<hex HMAC-SHA256(secret, "1767225600." + body)>

The time in the signed text lets a receiver refuse a captured request replayed later
(``SIGNATURE_TOLERANCE``); ``verify`` is what a receiver runs.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Revops-Signature"
SIGNATURE_TOLERANCE = 300
"""Seconds a signed request stays valid (clock skew and delivery delay)."""


def signature(secret: str, body: bytes, at: int) -> str:
    """The header value a sender sends: ``t=AT,v1=HEX``."""
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: float) -> str | None:
    """None when ``header`` signs ``body`` within the tolerance; else what is wrong."""
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return f"{SIGNATURE_HEADER} must read t=UNIX_SECONDS,v1=HEX"
    try:
        at = int(parts["t"])
    except ValueError:
        return "t= is not a number of seconds"
    if abs(now - at) > SIGNATURE_TOLERANCE:
        return f"the signature's time is more than {SIGNATURE_TOLERANCE} s from the server's: sign again"
    expected = signature(secret, body, at).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts["v1"].strip()):
        return "the signature does not match the body (sign the raw body with REVOPS_EVENTS_SECRET)"
    return None
