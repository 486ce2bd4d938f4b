"""What every benchmark shares: timing, the machine description, the result record.

Each benchmark measures revops and a baseline in the same run and reports the ratio,
because these machines are noisy: the ratio is what is compared with the target.
"""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"


@dataclass
class BenchResult:
    name: str
    target: str
    measured: str
    baseline: str
    ratio: float | None
    passed: bool
    notes: list[str] = field(default_factory=list)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def revops_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "revops.cli.main", *args]


def run_measured(cmd: list[str], **kw) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall seconds and peak RSS (bytes) of one child process. The peak is the high-water mark
    of the program's own memory (``VmHWM`` of /proc/PID/status, read every 20 ms while it
    runs): the rusage of a child counts the pages it shared with this process before it
    started the program, which here can be gigabytes."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, **kw)
        status = Path(f"/proc/{child.pid}/status")
        peak_kb = 0
        while child.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(status))
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(cmd, child.returncode, out.read(), err.read())
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    return wall, peak_kb * 1024, proc


def _high_water_kb(status: Path) -> int:
    """VmHWM of a running process in kB (0 once it is gone)."""
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def wait_until_healthy(proc: subprocess.Popen, port: int, output: Callable[[], str],
                       timeout: float = 60.0) -> subprocess.Popen:
    """Wait until the server ``proc`` answers GET /health on loopback ``port`` with 200; raise
    with its ``output()`` if it exits first, or kill it after ``timeout`` seconds."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{' '.join(map(str, proc.args))} exited: {output()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{' '.join(map(str, proc.args))} did not answer /health within {timeout:.0f} s")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb

    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}")
