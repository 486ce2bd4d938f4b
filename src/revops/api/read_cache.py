"""``ReadCache``: answers of GET requests under /v1 kept per store generation and key scope.

A GET under /v1 reads the store as of its last commit. Until the next write (a lead taken, a
deal moved, a user changed, the daily run) the same question from a key with the same scope
(role and owners) has the same answer, so the answer's bytes are kept and served again
without the route, the thread pool or the store. Only 200 answers are kept; a key is checked
on every request (a revoked key gets its 401 from the route, never a kept answer). Writes
change the generation (``ApiServices.generation``), which retires every kept answer.

Not kept: /v1/keys and /v1/audit (admin lists that change outside the intake), and anything
that is not a GET.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

SKIPPED = ("/v1/keys", "/v1/audit", "/v1/runs")


class ReadCache:
    def __init__(self, app: Any, *, size: int = 4096) -> None:
        self.app = app
        self.size = size
        self._items: OrderedDict[tuple, tuple[int, list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = -1
        self.hits = self.misses = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if "app" in scope and getattr(scope["app"].state, "read_cache", None) is not self:
            scope["app"].state.read_cache = self  # for GET /health
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith("/v1/") \
                or scope["path"].startswith(SKIPPED):
            await self.app(scope, receive, send)
            return
        services = getattr(scope["app"].state, "services", None) if "app" in scope else None
        key = self._key(scope, services)
        if key is None:
            await self.app(scope, receive, send)
            return
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
        if found is not None:
            status, headers, body = found
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        captured: dict[str, Any] = {"body": []}

        async def keep(message: dict) -> None:
            if message["type"] == "http.response.start":
                captured["status"], captured["headers"] = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
                if not message.get("more_body") and captured.get("status") == 200:
                    self._keep(key, captured["status"], captured["headers"], b"".join(captured["body"]))
            await send(message)

        await self.app(scope, receive, keep)

    def stats(self) -> dict[str, int]:
        return {"answers_kept": len(self._items), "hits": self.hits, "misses": self.misses}

    def _key(self, scope: dict, services: Any) -> tuple | None:
        if services is None:
            return None
        auth = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"").decode("latin-1")
        kind, _, given = auth.partition(" ")
        principal = services.keys.principal(given.strip()) if kind.lower() == "bearer" and given.strip() else None
        if principal is None:
            return None
        owners = None if principal.owners is None else tuple(sorted(principal.owners))
        return (services.generation, principal.role, principal.user_id, owners, scope["path"],
                scope.get("query_string", b""))

    def _keep(self, key: tuple, status: int, headers: list, body: bytes) -> None:
        with self._lock:
            if key[0] != self._generation:  # answers of an older generation are never served again
                if key[0] < self._generation:
                    return  # computed before a write that has landed since
                self._items.clear()
                self._generation = key[0]
            self._items[key] = (status, headers, body)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
