"""External actions: a call to another system, sent with the step's idempotency key.

notify (Slack through alerts.slack, e-mail through alerts.email), webhook (POST of JSON,
signed ``X-Revops-Signature: t=UNIX,v1=HMAC(secret, "t." + body)`` as POST /v1/events is,
with ``Idempotency-Key``),
crm_update and a CRM task (through ``revops.connectors``, idempotent on the key). A step is
marked done only after the other system answered; a worker stopped between the answer and
that mark sends the step again with the same key, which the receiver uses to do it once.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from revops.alerts.channels import DeliveryFailed, Message, SlackWebhook, SmtpEmail
from revops.errors import ExpressionError
from revops.model.expressions import parse
from revops.model.sections.workflows import duration_seconds
from revops.jsonable import plain
from revops.orchestration.actions.base import ActionError, RunInfo, render
from revops.orchestration.signing import SIGNATURE_HEADER, signature



def send(kind: str, spec: Any, run: RunInfo, record: dict[str, Any], key: str, now: datetime, model: Any,
         owner_email: str | None = None, env: Mapping[str, str] | None = None,
         task_owner: str | None = None) -> dict[str, Any]:
    """Do the external step; its result, or ActionError."""
    env = os.environ if env is None else env
    scope = {**record, **run.extras}
    if kind == "notify":
        return _notify(spec, scope, model, owner_email, env)
    if kind == "webhook":
        return _webhook(spec, run, record, key, env)
    if kind == "crm_update":
        fields, empty = {}, []
        for name, text in spec.fields.items():
            try:
                value = plain(parse(text).evaluate(scope))
            except ExpressionError as exc:
                raise ActionError(str(exc), retryable=False) from None
            if value is None or value == "":
                empty.append(name)  # never clear a CRM field because revops has no value for it
            else:
                fields[name] = value
        if not fields:
            raise ActionError(f"nothing to write back: {', '.join(empty)} empty for this record", retryable=False)
        answer = _crm(spec.system, env).write_back(run.subject_table, run.subject_id, fields, key=key)
        return {"system": spec.system, "fields": fields, "not_written": empty, "answer": _jsonable(answer)}
    if kind == "create_task":  # the CRM side of a task; the local task is written after it
        due = now + timedelta(seconds=duration_seconds(spec.due_in))
        crm_id = _crm(spec.crm, env).create_task(
            subject=render(spec.subject, scope), table=run.subject_table, record_id=run.subject_id,
            owner_id=task_owner, due_at=due, body=render(spec.body, scope) or None, key=key)
        return {"crm_id": crm_id}
    raise ActionError(f"{kind} is not an external action", retryable=False)


_CLIENTS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}


def _crm(system: str, env: Mapping[str, str]) -> Any:
    """The system's connector, made once per environment: one try per call, since the workflow
    engine schedules the retries itself (with the step's backoff, not a sleeping thread)."""
    from revops.connectors import ConnectorError, crm
    from revops.connectors.retry import RetryPolicy

    prefix = system.upper() + "_"
    key = (system, tuple(sorted((k, v) for k, v in env.items() if k.startswith(prefix))))
    if key not in _CLIENTS:
        try:
            _CLIENTS[key] = _Guarded(crm(system, env, policy=RetryPolicy(attempts=1)), ConnectorError)
        except ConnectorError as exc:
            raise ActionError(str(exc), retryable=getattr(exc, "retryable", False)) from None
    return _CLIENTS[key]


class _Guarded:
    """A connector whose errors become ActionErrors (retryable as the connector says)."""

    def __init__(self, inner: Any, error: type[Exception]) -> None:
        self.inner, self.error = inner, error

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except self.error as exc:
                raise ActionError(str(exc), retryable=getattr(exc, "retryable", True)) from None
        return call


def _notify(spec: Any, scope: dict[str, Any], model: Any, owner_email: str | None,
            env: Mapping[str, str]) -> dict[str, Any]:
    text = render(spec.text, scope)
    message = Message(subject=text[:120], text=text)
    config = model.alerts
    sent: list[str] = []
    try:
        for name in spec.slack:
            channel = config.slack.get(name)
            if channel is None:
                raise ActionError(f"no Slack channel {name!r} under alerts.slack", retryable=False)
            SlackWebhook(name, channel.webhook_env, channel.timeout_seconds, env).send(message)
            sent.append(f"slack:{name}")
        to = list(spec.email) + ([owner_email] if spec.to_owner and owner_email else [])
        if to:
            if config.email is None:
                raise ActionError("alerts.email names no SMTP server", retryable=False)
            mail = SmtpEmail.of(config.email)
            for address in to:
                mail.send(message, address)
                sent.append(f"email:{address}")
    except DeliveryFailed as exc:
        raise ActionError(f"{exc} (already sent: {', '.join(sent) or 'nothing'})", exc.retryable) from None
    return {"text": text, "sent": sent}


def _webhook(spec: Any, run: RunInfo, record: dict[str, Any], key: str, env: Mapping[str, str]) -> dict[str, Any]:
    import httpx

    url = env.get(spec.url_env)
    if not url:
        raise ActionError(f"environment variable {spec.url_env} (the webhook URL) is not set", retryable=False)
    body = json.dumps({
        "workflow": run.workflow.key, "run_id": run.run_id, "step": key, "table": run.subject_table,
        "record_id": run.subject_id, "record": {k: plain(v) for k, v in record.items()},
        "trigger": {k: plain(v) for k, v in run.extras.items()},
    }, default=str, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    if spec.secret_env:
        secret = env.get(spec.secret_env)
        if not secret:
            raise ActionError(f"environment variable {spec.secret_env} (the signing key) is not set",
                              retryable=False)
        headers[SIGNATURE_HEADER] = signature(secret, body, int(time.time()))
    try:
        response = _webhook_client().post(url, content=body, headers=headers, timeout=spec.timeout_seconds)
    except httpx.HTTPError as exc:
        raise ActionError(f"webhook {spec.url_env}: {type(exc).__name__}: {exc}") from None
    if response.status_code >= 300:
        retryable = response.status_code >= 500 or response.status_code in (408, 409, 425, 429)
        raise ActionError(f"webhook {spec.url_env}: HTTP {response.status_code} {response.text[:200]}".strip(),
                          retryable)
    return {"status": response.status_code}


_WEBHOOKS: Any = None
_WEBHOOKS_LOCK = threading.Lock()


def _webhook_client() -> Any:
    """One httpx.Client for every webhook step, its connections kept alive between calls (thread
    safe). ``httpx.post`` makes a client per call, whose TLS context costs about 20 ms of CPU
    even for http://: at 100 webhooks a second, a whole core. It keeps no cookies, as a client
    per call kept none."""
    global _WEBHOOKS
    if _WEBHOOKS is None:
        with _WEBHOOKS_LOCK:
            if _WEBHOOKS is None:
                import http.cookiejar

                import httpx

                _WEBHOOKS = httpx.Client(cookies=http.cookiejar.CookieJar(
                    http.cookiejar.DefaultCookiePolicy(allowed_domains=[])))
    return _WEBHOOKS


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value, default=str)
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)
