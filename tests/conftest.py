"""Shared fixtures: a fresh store per test, files written by the test itself."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from revops.store import Store

DEMO_TODAY = date(2026, 5, 15)
"""The day ``demo_files`` are built as of."""


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "store.duckdb")
    yield s
    s.close()


@pytest.fixture
def gtm(tmp_path: Path):
    """gtm(table=[rows], ...) -> a store holding exactly those rows (custom columns added)."""
    from tests.gtm import store_with

    stores: list[Store] = []

    def build(**tables):
        stores.append(store_with(tmp_path / f"gtm{len(stores)}.duckdb", **tables))
        return stores[-1]

    yield build
    for s in stores:
        s.close()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory) -> dict[str, Path]:
    """The small demo (5,000 leads) and the tiny one (1,500), seed 42 as of DEMO_TODAY, built
    once per test process. Read them, or copy one before writing to it."""
    from revops.demo.builder import build_demo

    folder = tmp_path_factory.mktemp("demos")
    files = {}
    for scale in ("small", "tiny"):
        path = folder / f"{scale}.duckdb"
        with Store(path) as s:
            build_demo(s, scale, 42, DEMO_TODAY)
        files[scale] = path
    return files


@pytest.fixture
def write(tmp_path: Path):
    """write(name, text or bytes) -> path of a file in the test's folder."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        p = tmp_path / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode(encoding))
        return p

    return _write


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `revops ARGS` as a user would, in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("REVOPS_DB", None) if env is None or "REVOPS_DB" not in env else None
    return subprocess.run([sys.executable, "-m", "revops.cli.main", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def backend_missing(reason: str) -> None:
    """Skip when a backend's server or runtime (Spark, Postgres, Chromium) is not on this machine — except under `make
    test` (and so CI), which installs them and sets REVOPS_REQUIRE_BACKENDS=1: there a missing
    one fails, so such tests can never pass by not running."""
    if os.environ.get("REVOPS_REQUIRE_BACKENDS") == "1":
        pytest.fail(f"REVOPS_REQUIRE_BACKENDS=1 but {reason}")
    pytest.skip(reason)
