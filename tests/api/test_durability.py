"""A server killed mid-load (SIGKILL: no shutdown, no flush) loses no lead it acknowledged:
an answer is sent only after the lead, its decision and its answer are committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from benchmarks.common import wait_until_healthy
from tests.api.conftest import ADMIN_TOKEN, free_socket, pool_model, stored

pytestmark = pytest.mark.slow

CLIENTS = 16
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
KILL_AFTER = 300


def start_server(db: Path, model_file: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "revops.cli.main", "--db", str(db), "--model", str(model_file),
                             "serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "REVOPS_API_TOKEN": ADMIN_TOKEN})
    return wait_until_healthy(proc, port, proc.stderr.read)


def test_a_killed_server_loses_no_acknowledged_lead(org_db, default_model, tmp_path):
    model_file = tmp_path / "revops.yaml"
    model_file.write_text(pool_model(default_model).to_yaml())
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    server = start_server(org_db, model_file, port)
    acked: dict[str, str] = {}
    bodies: dict[str, bytes] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def client(c: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, headers=AUTH) as http:
            for i in range(10_000):
                lead_id = f"K{c:02d}-{i:05d}"
                try:
                    r = http.post("/v1/leads", json={"lead_id": lead_id, "company_size": 100, "country": "US"})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200:
                    with lock:
                        acked[lead_id] = r.json()["assigned_to"]
                        bodies[lead_id] = r.content
                        if len(acked) >= KILL_AFTER:
                            enough.set()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    assert enough.wait(120), f"only {len(acked)} leads acknowledged"
    os.kill(server.pid, signal.SIGKILL)  # mid-load: requests in flight, batches half written
    server.wait(30)
    for t in threads:
        t.join(30)
    assert server.returncode == -signal.SIGKILL

    server = start_server(org_db, model_file, port)  # the store's write-ahead log is replayed
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, headers=AUTH) as http:
            missing = [lead for lead in acked if http.get(f"/v1/leads/{lead}").status_code != 200]
            sample = sorted(acked)[:20]
            replays = {lead: http.post("/v1/leads", json={"lead_id": lead}) for lead in sample}
    finally:
        server.terminate()
        server.wait(30)
    assert missing == []
    assert all(r.content == bodies[lead] and r.headers["idempotent-replayed"] == "true"
               for lead, r in replays.items())
    owners = {r["lead_id"]: r["owner_id"] for r in stored(org_db, "SELECT lead_id, owner_id FROM leads")}
    assert all(owners[lead] == owner for lead, owner in acked.items())
    # batches land whole or not at all: every stored lead has its decision and its answer
    orphans = stored(org_db, """
        SELECT (SELECT count(*) FROM leads l WHERE NOT EXISTS (SELECT 1 FROM _routing_decisions d WHERE d.lead_id = l.lead_id)) AS no_decision,
               (SELECT count(*) FROM _routing_decisions d WHERE NOT EXISTS (SELECT 1 FROM leads l WHERE l.lead_id = d.lead_id)) AS no_lead,
               (SELECT count(*) FROM leads l WHERE NOT EXISTS (SELECT 1 FROM _idempotency k WHERE k.lead_id = l.lead_id)) AS no_answer""")
    assert orphans == [{"no_decision": 0, "no_lead": 0, "no_answer": 0}]


def test_a_second_server_on_the_same_store_is_refused_with_the_reason(org_db, tmp_path):
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    model_file = tmp_path / "revops.yaml"
    model_file.write_text("")  # the built-in model
    first = start_server(org_db, model_file, port)
    try:
        second = subprocess.run([sys.executable, "-m", "revops.cli.main", "--db", str(org_db), "serve",
                                 "--port", str(port + 1 if port < 65535 else port - 1)],
                                capture_output=True, text=True, timeout=60)
    finally:
        first.terminate()
        first.wait(30)
    assert second.returncode == 1
    assert f"cannot open store {org_db}" in second.stderr
