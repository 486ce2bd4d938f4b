"""A load generator for `POST /v1/leads`, run in its own process by bench_api:

    python -m benchmarks.api_load --url http://127.0.0.1:PORT --rate 1000 --seconds 60 \
        --concurrency 64 --out results.json [--prefix run1] [--token T]

Open loop at a fixed rate: request i is due at start + i / rate. ``--concurrency`` keep-alive
connections take the due requests in order; a request is timed from the moment it was due,
not from when a connection got free, so a server that falls behind shows it in the latencies
(no coordinated omission). Bounded in count (rate x seconds) and time (stops sending at
--seconds + 10 s). Loopback only: the URL must be 127.0.0.1 or localhost.

The connections speak HTTP/1.1 over asyncio streams (``RawConnection``, uvloop when
installed): about 20 µs of client CPU per request. ``--client httpx`` uses httpx's
AsyncClient instead, which costs about 850 µs of CPU per request here (and several ms past
~16 connections, its pool scanning): at 1,000 requests/s that is a whole core, on a
two-core machine whose other core runs the server — it would measure httpx, not revops.

The leads are built by ``lead_payload``: a fixed mix of sizes, countries, titles and touches
(the form fills and pricing-page visits that make a lead hot), so routing reaches every branch
of the default graph. Writes one row per request (lead_id, status, latency from due, latency
from sent, assigned_to) and a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from urllib.parse import urlparse

SIZES = [20, 80, 150, 150, 250, 600, 900, 1500, 5000]
COUNTRIES = ["US"] * 40 + ["CA"] * 6 + ["GB"] * 12 + ["DE"] * 8 + ["FR"] * 5 + ["AU"] * 8 + ["JP"] * 5 + \
    ["IN"] * 5 + ["SG"] * 4 + ["BR"] * 4 + ["MX"] * 3
TITLES = ["VP Sales", "Head of Growth", "Director of Marketing", "Engineer", "Analyst", "CEO", "Manager"]
INDUSTRIES = ["software", "financial_services", "healthcare", "retail", "manufacturing"]
TOUCHES = [[], [], [{"touch_type": "email_click"}], [{"touch_type": "form_fill"}],
           [{"touch_type": "form_fill"}, {"touch_type": "pricing_page_visit"}],
           [{"touch_type": "form_fill"}, {"touch_type": "pricing_page_visit"}, {"touch_type": "webinar"},
            {"touch_type": "webinar"}, {"touch_type": "content_download"}]]


def lead_payload(lead_id: str, rng: random.Random) -> dict:
    return {"lead_id": lead_id, "email": f"{lead_id}@company{rng.randrange(5000)}.com",
            "first_name": "Alex", "last_name": "Doe", "company": f"Company {rng.randrange(5000)}",
            "company_size": rng.choice(SIZES), "country": rng.choice(COUNTRIES), "title": rng.choice(TITLES),
            "industry": rng.choice(INDUSTRIES), "source": "web", "touches": rng.choice(TOUCHES),
            "plan_interest": rng.choice(["starter", "pro", "enterprise"])}


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(int(len(sorted_values) * q), len(sorted_values) - 1)]


class RawConnection:
    """One keep-alive HTTP/1.1 connection: POST a body, read status and body (Content-Length)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"host": f"{host}:{port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}content-length: {len(body)}\r\n\r\n"
                              .encode() + body)
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            length, close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            data = await self.reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class HttpxConnection:
    def __init__(self, client) -> None:
        self.client = client

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        r = await self.client.request(method, path, content=body)
        return r.status_code, r.content

    def close(self) -> None:
        pass


async def generate(url: str, rate: float, seconds: float, concurrency: int, prefix: str,
                   token: str | None, seed: int = 11, client: str = "raw") -> dict:
    rng = random.Random(seed)
    total = int(rate * seconds)
    bodies = [json.dumps(lead_payload(f"{prefix}-{i:07d}", rng)).encode() for i in range(total)]
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    parsed = urlparse(url)
    shared = None
    if client == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        shared = httpx.AsyncClient(base_url=url, limits=limits, timeout=15.0, headers=headers)
        connections = [HttpxConnection(shared) for _ in range(concurrency)]
    else:
        connections = [RawConnection(parsed.hostname, parsed.port or 80, headers) for _ in range(concurrency)]
    rows: list[tuple] = [()] * total
    state = {"next": 0}
    clock = time.perf_counter
    for c in connections:  # open the connections before the clock starts
        await c.request("GET", "/health")
    start = clock() + 0.5
    deadline = start + seconds + 10.0

    async def worker(conn) -> None:
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
                rows[i] = (i, 0, None, None, None)
                continue
            sent = clock()
            try:
                status, body = await asyncio.wait_for(conn.request("POST", "/v1/leads", bodies[i]), 15.0)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
                status, body = -1, str(exc).encode()
                conn.close()
            except Exception as exc:  # httpx errors
                status, body = -1, str(exc).encode()
            done = clock()
            rows[i] = (i, status, done - due, done - sent, body)

    t0 = clock()
    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for c in connections:
            c.close()
        if shared is not None:
            await shared.aclose()
    wall = clock() - t0 - 0.5
    results = []
    for i, status, from_due, from_sent, body in rows:
        assigned = None
        if status == 200:
            answer = json.loads(body)
            assigned = answer.get("assigned_to"), answer.get("assigned_kind")
        results.append({"lead_id": f"{prefix}-{i:07d}", "status": status, "latency": from_due,
                        "service": from_sent, "assigned": assigned})
    ok = [r for r in results if r["status"] == 200]
    lat = sorted(r["latency"] for r in ok)
    svc = sorted(r["service"] for r in ok)
    return {
        "requests": total, "ok": len(ok), "failed": total - len(ok), "wall_s": wall,
        "rate": len(ok) / wall if wall > 0 else 0.0,
        "p50_ms": percentile(lat, 0.50) * 1e3, "p90_ms": percentile(lat, 0.90) * 1e3,
        "p99_ms": percentile(lat, 0.99) * 1e3, "max_ms": (lat[-1] if lat else float("nan")) * 1e3,
        "service_p99_ms": percentile(svc, 0.99) * 1e3,
        "statuses": {str(s): sum(1 for r in results if r["status"] == s) for s in {r["status"] for r in results}},
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--rate", type=float, default=1000.0)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--prefix", default="load")
    p.add_argument("--token")
    p.add_argument("--out", required=True)
    p.add_argument("--client", choices=("raw", "httpx"), default="raw")
    args = p.parse_args(argv)
    host = urlparse(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"refusing to load {host}: loopback only", file=sys.stderr)
        return 2
    try:
        from uvloop import run  # a faster event loop for the client, when installed
    except ImportError:
        run = asyncio.run
    summary = run(generate(args.url, args.rate, args.seconds, args.concurrency, args.prefix, args.token,
                           client=args.client))
    with open(args.out, "w") as fh:
        json.dump(summary, fh)
    brief = {k: v for k, v in summary.items() if k != "results"}
    print(json.dumps(brief), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
