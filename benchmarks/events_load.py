"""A load generator for `POST /v1/events`, run in its own process by bench_workflows:

    python -m benchmarks.events_load --url http://127.0.0.1:PORT --rate 500 --seconds 30 \
        --concurrency 32 --accounts 3000 --token T --out results.json

Open loop at a fixed rate, as ``api_load`` (whose HTTP/1.1 connections it uses): event i is
due at start + i / rate, and its acknowledgement is timed from then. Each row of the output
carries the event's id, whether it should start the benchmark's workflow (a demo request of a
known account), its due time as Unix seconds (wall clock: the server's run times are compared
with it) and the acknowledgement's status and latency. Loopback only.

The events: a fifth are demo requests (``form_submitted``, form 'demo') naming an account by id
or a contact's e-mail (c0..c2@companyN.com); the rest match nothing: page views, other forms,
and demo requests from free-mail or unknown domains (no account to be about).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import datetime, timezone
from urllib.parse import urlparse

from benchmarks.api_load import RawConnection, percentile


def event_payload(event_id: str, at: float, rng: random.Random, accounts: int) -> tuple[dict, bool]:
    """One event due at Unix time ``at`` and whether it should start the demo-request workflow."""
    when = datetime.fromtimestamp(at, timezone.utc).isoformat()
    account = rng.randrange(accounts)
    r = rng.random()
    if r < 0.10:
        return {"event_id": event_id, "type": "form_submitted", "occurred_at": when, "source": "website",
                "properties": {"form": "demo", "page": "/demo"}, "account_id": f"acc_{account:05d}"}, True
    if r < 0.20:
        return {"event_id": event_id, "type": "form_submitted", "occurred_at": when, "source": "website",
                "properties": {"form": "demo", "page": "/demo"},
                "email": f"c{rng.randrange(3)}@company{account}.com"}, True
    if r < 0.30:
        domain = rng.choice(["gmail.com", f"unknown{rng.randrange(10**5)}.net"])
        return {"event_id": event_id, "type": "form_submitted", "occurred_at": when, "source": "website",
                "properties": {"form": "demo", "page": "/demo"}, "email": f"p{rng.randrange(10**6)}@{domain}"}, False
    if r < 0.45:
        return {"event_id": event_id, "type": "form_submitted", "occurred_at": when, "source": "website",
                "properties": {"form": rng.choice(["newsletter", "ebook"]), "page": "/blog"},
                "email": f"c{rng.randrange(3)}@company{account}.com"}, False
    return {"event_id": event_id, "type": "page_view", "occurred_at": when, "source": "segment",
            "properties": {"url": rng.choice(["/pricing", "/docs", "/blog/x", "/"])},
            "account_id": f"acc_{account:05d}"}, False


async def generate(url: str, rate: float, seconds: float, concurrency: int, accounts: int, token: str,
                   seed: int = 13) -> dict:
    rng = random.Random(seed)
    total = int(rate * seconds)
    prefix = f"ev{int(time.time())}"
    parsed = urlparse(url)
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    connections = [RawConnection(parsed.hostname, parsed.port or 80, headers) for _ in range(concurrency)]
    clock = time.perf_counter
    for c in connections:  # open the connections before the clock starts
        await c.request("GET", "/health")
    head = 0.5 + total / 20_000  # time to build the events before the first is due
    start, wall_start = clock() + head, time.time() + head  # the same instant on both clocks
    bodies, triggers = [], []
    for i in range(total):
        payload, fires = event_payload(f"{prefix}-{i:07d}", wall_start + i / rate, rng, accounts)
        bodies.append(json.dumps(payload).encode())
        triggers.append(fires)
    if clock() > start - 0.1:
        raise SystemExit("building the events took longer than the head start: lower --rate or --seconds")
    rows: list[tuple] = [()] * total
    state = {"next": 0}
    deadline = start + seconds + 10.0

    async def worker(conn: RawConnection) -> None:
        while True:
            i = state["next"]
            if i >= total:
                return
            state["next"] = i + 1
            due = start + i / rate
            wait = due - clock()
            if wait > 0:
                await asyncio.sleep(wait)
            if clock() > deadline:
                rows[i] = (0, None)
                continue
            try:
                status, _ = await asyncio.wait_for(conn.request("POST", "/v1/events", bodies[i]), 15.0)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
                status = -1
                conn.close()
            rows[i] = (status, clock() - due)

    t0 = clock()
    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for c in connections:
            c.close()
    wall = clock() - t0 - head
    results = [{"event_id": f"{prefix}-{i:07d}", "due": wall_start + i / rate, "triggers": triggers[i],
                "status": status, "latency": latency} for i, (status, latency) in enumerate(rows)]
    ok = [r for r in results if r["status"] == 202]
    lat = sorted(r["latency"] for r in ok)
    return {
        "requests": total, "ok": len(ok), "wall_s": wall, "rate": len(ok) / wall if wall > 0 else 0.0,
        "p50_ms": percentile(lat, 0.50) * 1e3, "p99_ms": percentile(lat, 0.99) * 1e3,
        "max_ms": (lat[-1] if lat else float("nan")) * 1e3,
        "statuses": {str(s): sum(1 for r in results if r["status"] == s) for s in {r["status"] for r in results}},
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--rate", type=float, default=500.0)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--accounts", type=int, default=3000)
    p.add_argument("--token", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        print(f"refusing to load {args.url}: loopback only", file=sys.stderr)
        return 2
    try:
        from uvloop import run  # a faster event loop for the client, when installed
    except ImportError:
        run = asyncio.run
    summary = run(generate(args.url, args.rate, args.seconds, args.concurrency, args.accounts, args.token))
    with open(args.out, "w") as fh:
        json.dump(summary, fh)
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
