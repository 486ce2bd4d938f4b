"""`revops validate` on the default model. Target (issue 2): under a second."""

from __future__ import annotations

import sys

from benchmarks.common import BenchResult, revops_cmd, run_measured


def run() -> list[BenchResult]:
    base = min(run_measured([sys.executable, "-c", "import typer, rich"])[0] for _ in range(3))
    ours = min(run_measured(revops_cmd("validate"))[0] for _ in range(3))
    return [BenchResult(
        name="revops validate (default model), whole process",
        target="< 1 s",
        measured=f"{ours:.2f} s",
        baseline=f"{base:.2f} s python start + import typer, rich",
        ratio=ours / base, passed=ours < 1.0,
        notes=["best of 3 runs; includes interpreter start-up"],
    )]
