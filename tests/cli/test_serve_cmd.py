"""`revops serve` as a user starts it: a port already taken is reported with what to do."""

from __future__ import annotations

import socket

from tests.conftest import run_cli


def test_a_port_already_taken_is_an_error_naming_the_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run_cli("--db", str(tmp_path / "s.duckdb"), "serve", "--port", str(port), timeout=120)
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr and "--port" in out.stderr


def test_serve_is_listed_with_its_options():
    out = run_cli("serve", "--help")
    assert out.returncode == 0 and "--host" in out.stdout and "--port" in out.stdout
