"""Where alerts go: a Slack incoming webhook (HTTP POST of JSON) and e-mail over SMTP.

A channel's ``send`` either delivers the message or raises :class:`DeliveryFailed`, which says
whether trying again may help (HTTP 5xx, timeouts, refused connections, SMTP errors) or not
(HTTP 4xx: the webhook is wrong; a secret's environment variable is not set).
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    """Plain text: the e-mail body and Slack's fallback text."""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    """Slack Block Kit blocks."""


class DeliveryFailed(Exception):
    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


_TLS: ssl.SSLContext | None = None
_TLS_LOCK = threading.Lock()


def _tls() -> ssl.SSLContext:
    """One TLS context for every webhook call: making one per message costs ~20 ms of CPU."""
    global _TLS
    with _TLS_LOCK:
        if _TLS is None:
            _TLS = ssl.create_default_context()
        return _TLS


def _secret(env: str, what: str, environ: Any = None) -> str:
    value = (os.environ if environ is None else environ).get(env)
    if not value:
        raise DeliveryFailed(f"environment variable {env} ({what}) is not set", retryable=False)
    return value


@dataclass(frozen=True)
class SlackWebhook:
    name: str
    webhook_env: str
    timeout_seconds: float = 10.0
    environ: Any = field(default=None, compare=False, repr=False)
    """Where the webhook URL is read from (default: the process environment)."""

    def send(self, message: Message) -> None:
        url = _secret(self.webhook_env, f"the webhook URL of Slack channel {self.name}", self.environ)
        payload: dict[str, Any] = {"text": message.text}
        if message.blocks:  # an empty list of blocks is refused by Slack (invalid_blocks)
            payload["blocks"] = message.blocks
        body = json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            context = _tls() if url.lower().startswith("https:") else None
            with urllib.request.urlopen(request, timeout=self.timeout_seconds, context=context) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            raise DeliveryFailed(f"Slack {self.name}: HTTP {exc.code} {detail}".strip(),
                                 retryable=exc.code >= 500 or exc.code == 429) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryFailed(f"Slack {self.name}: {reason}") from None


@dataclass(frozen=True)
class SmtpEmail:
    host: str
    port: int
    from_address: str
    starttls: bool = True
    username_env: str | None = None
    password_env: str | None = None
    timeout_seconds: float = 10.0

    @classmethod
    def of(cls, config: Any) -> SmtpEmail:
        return cls(config.host, config.port, config.from_address, config.starttls, config.username_env,
                   config.password_env, config.timeout_seconds)

    def send(self, message: Message, to: str) -> None:
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message.subject, self.from_address, to
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username_env:
                    smtp.login(_secret(self.username_env, "the SMTP user name"),
                               _secret(self.password_env or "", "the SMTP password"))
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"e-mail to {to}: refused ({exc.recipients})", retryable=False) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: login refused ({exc.smtp_code})",
                                 retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: {exc}") from None


def slack_blocks(title: str, sections: list[tuple[str, tuple[str, ...]]]) -> list[dict[str, Any]]:
    """A header and one section per event (its title in bold, then its lines)."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    for head, lines in sections[:49]:  # Slack takes 50 blocks a message
        text = f"*{head}*" + "".join(f"\n{line}" for line in lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    if len(sections) > 49:
        blocks[-1] = {"type": "section", "text": {"type": "mrkdwn",
                                                  "text": f"… and {len(sections) - 48} more: `revops alerts list`"}}
    return blocks
