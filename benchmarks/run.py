"""`make bench`: run every benchmark and write docs/benchmarks.md.

    python benchmarks/run.py [NAME ...]     # e.g. ingest validate demo
"""

from __future__ import annotations

import importlib
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, BenchResult, machine  # noqa: E402

BENCHES = ("validate", "ingest", "demo", "metrics", "training", "scoring", "sla", "routing", "hygiene", "forecast", "revenue", "attribution", "api", "api_reads", "dashboard", "territories", "identity", "workflows")  # metrics reuses the store demo builds


def render(results: list[BenchResult], seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python benchmarks/run.py`). Every figure is measured next to a",
        "baseline in the same run; the ratio is what is compared with the target, because these",
        "machines are noisy.",
        "",
        f"- Run: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {seconds:.0f} s in all",
        f"- Machine: {machine()}",
        "",
        "| benchmark | target | measured | baseline (same run) | ratio | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        lines.append(f"| {r.name} | {r.target} | {r.measured} | {r.baseline} | {ratio} | "
                     f"{'yes' if r.passed else '**no**'} |")
    notes = [(r.name, n) for r in results for n in r.notes]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {name}: {note}" for name, note in notes]
    return "\n".join(lines) + "\n"


def main(names: list[str]) -> int:
    chosen = names or list(BENCHES)
    results: list[BenchResult] = []
    t0 = time.perf_counter()
    for name in chosen:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"running {name} …", file=sys.stderr, flush=True)
        for r in module.run():
            print(f"  {r.name}: {r.measured} vs {r.baseline} -> "
                  f"{'' if r.ratio is None else f'{r.ratio:.2f}x '}{'met' if r.passed else 'NOT MET'}",
                  file=sys.stderr, flush=True)
            results.append(r)
    out = ROOT / "docs" / "benchmarks.md"
    out.parent.mkdir(exist_ok=True)
    if names:  # a partial run keeps the other rows of the last full run
        out = ROOT / "docs" / f"benchmarks-{'-'.join(names)}.md"
    out.write_text(render(results, time.perf_counter() - t0))
    print(f"wrote {out}", file=sys.stderr)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
