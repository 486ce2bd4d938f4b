"""Local receivers the alert tests start themselves: a Slack incoming webhook (http.server in a
thread, answering a script of status codes) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Webhook:
    """POSTs land in ``received`` (the JSON bodies of the ones answered 200); ``answers`` are
    the status codes of the first requests (then 200)."""

    def __init__(self, answers: list[int] | None = None):
        self.answers = list(answers or [])
        self.received: list[dict[str, Any]] = []
        self.requests = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.requests += 1
                code = hook.answers.pop(0) if hook.answers else 200
                if code == 200:
                    hook.received.append(json.loads(body))
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code == 200 else b"server_error")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # the path of a Slack incoming webhook (/services/TEAM/CHANNEL/SECRET): the receiver takes any
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/TLOCAL/BLOCAL/local-test-secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Webhook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def texts(self) -> list[str]:
        return [m["text"] for m in self.received]


class Mailbox:
    """An SMTP server on a free local port; ``messages`` are the parsed e-mails received."""

    def __init__(self, fail_first: int = 0):
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self.fail_first = fail_first
        box = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                if box.fail_first:
                    box.fail_first -= 1
                    return "451 Requested action aborted: local error in processing"
                mail = message_from_bytes(envelope.content, policy=default_policy)
                mail.envelope_to = list(envelope.rcpt_tos)
                box.messages.append(mail)
                return "250 Message accepted for delivery"

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in m.envelope_to]

    @staticmethod
    def body(mail: Any) -> str:
        return mail.get_body(("plain",)).get_content()
