"""A small real HTTP(S) server on 127.0.0.1 that a fake CRM API answers through: it checks the
bearer token, can be told to fail the next calls (429 with Retry-After, 5xx, a slow answer),
and records every request so tests can say what reached the CRM."""

from __future__ import annotations

import json
import ssl
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, dict[str, str], Any]
"""status, headers, body (JSON-able, or None for no body)."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class Fault:
    status: int
    times: int = 1
    path: str | None = None
    """Only requests whose path contains this."""
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    """Seconds to wait before answering (past the client's timeout: a timeout)."""


class FakeApi(ABC):
    """Subclasses answer ``route`` and say how they refuse a token (``unauthorized``) and what
    error body goes with an injected status (``error_body``)."""

    def __init__(self, token: str = "test-token", tls: ssl.SSLContext | None = None) -> None:
        self.token = token
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                api._handle(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> FakeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail(self, status: int, *, times: int = 1, path: str | None = None, headers: dict[str, str] | None = None,
             body: Any = None, delay: float = 0.0) -> None:
        """The next ``times`` requests (to ``path``) are answered ``status``."""
        with self.lock:
            self.faults.append(Fault(status, times, path, dict(headers or {}), body, delay))

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        return [r for r in self.requests if (method is None or r.method == method) and (path is None or path in r.path)]

    # -- subclass hooks ----------------------------------------------------------------
    @abstractmethod
    def route(self, request: Request) -> Answer:
        """The API's answer to a request that passed the token check and no injected fault."""

    @abstractmethod
    def unauthorized(self) -> Answer:
        """The API's answer to a wrong or missing bearer token."""

    @abstractmethod
    def error_body(self, status: int) -> Any:
        """The API's error body for an injected ``status``."""

    # -- plumbing ----------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = Request(handler.command, parts.path, parse_qs(parts.query), body, dict(handler.headers.items()))
        with self.lock:
            self.requests.append(request)
            fault = self._take_fault(request)
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            answer = self.unauthorized()
        elif fault is not None:
            time.sleep(fault.delay)
            body = fault.body if fault.body is not None else self.error_body(fault.status)
            answer = (fault.status, fault.headers, body)
        else:
            with self.lock:
                answer = self.route(request)
        status, headers, payload = answer
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            if payload is not None:
                handler.send_header("Content-Type", "application/json;charset=UTF-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client closed the connection first (a timeout test): there is no one to answer

    def _take_fault(self, request: Request) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and (fault.path is None or fault.path in request.path):
                fault.times -= 1
                return fault
        return None
