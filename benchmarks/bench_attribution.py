"""Markov attribution over 1M journeys. Target (issue 6): under 30 s.

One million synthetic journeys (12 channels, 1 + Poisson(3) touches each, about 4M touches;
a channel's presence shifts the odds of converting, so removal effects differ) are attributed
three ways, each timed:

- the engine: ``revops.engines.attribution.markov.attribute`` on the journeys as arrays
  (identical paths aggregated, transitions counted, the chain solved exactly);
- ``revops attribution --model markov --paths FILE --format json``, the whole process, on a
  paths file of 1M lines (one journey a line, ChannelAttribution's layout);
- ``revops attribution --model markov --format json``, the whole process, on a store holding
  the same journeys as 1M leads, their touches and the opportunities the converted ones
  became (the linking of touches to opportunities included).

Baseline, in the same run: a straightforward per-path Python implementation — a loop over the
journeys counting transitions in a dict, then each channel's removal effect by a dense numpy
solve of the chain without it (one solve per channel). Ratio: baseline / engine. The three
routes and the baseline must agree on every removal effect (relative 1e-9).
"""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np

from benchmarks.common import WORK, BenchResult, revops_cmd, run_measured, timed

JOURNEYS = 1_000_000
LIMIT_S = 30.0
CHANNELS = ("paid_search", "paid_social", "content", "events", "webinar", "outbound", "referral", "partner",
            "email", "direct", "display", "review_sites")
POPULARITY = np.array([16, 12, 14, 4, 6, 12, 3, 4, 14, 9, 4, 2], float)
LIFT = np.array([0.3, -0.4, 0.1, 0.6, 0.5, -0.3, 1.2, 0.9, 0.0, 0.2, -0.6, 0.4])
DAY_US = 86_400 * 1_000_000


def synthetic(n: int, seed: int = 42):
    from revops.engines.attribution.journeys import Journeys

    rng = np.random.default_rng(seed)
    lengths = 1 + rng.poisson(3.0, n)
    bounds = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=bounds[1:])
    steps = rng.choice(len(CHANNELS), size=int(bounds[-1]), p=POPULARITY / POPULARITY.sum()).astype(np.int32)
    journey = np.repeat(np.arange(n), lengths)
    lift = np.bincount(journey, LIFT[steps], n) / lengths
    converted = rng.random(n) < 1 / (1 + np.exp(-(-2.5 + 1.5 * lift + 0.15 * lengths)))
    value = np.where(converted, np.round(rng.lognormal(10, 0.8, n), 2), 0.0)
    return Journeys(CHANNELS, steps, bounds, converted.astype(float), value, (~converted).astype(float))


def write_paths(journeys, path) -> None:
    names = np.array(journeys.channels, dtype=object)
    with open(path, "w") as f:
        f.write("path;total_conversions;total_conversion_value;total_null\n")
        for i in range(journeys.count):
            steps = names[journeys.steps[journeys.bounds[i]:journeys.bounds[i + 1]]]
            f.write(f"{' > '.join(steps)};{int(journeys.conversions[i])};{journeys.value[i]:.2f};"
                    f"{int(journeys.nulls[i])}\n")


def build_store(journeys, path) -> None:
    """Journey i is lead_i: its touches a day apart from its start; when it converted, an
    opportunity created an hour after its last touch, won 30 days later at the journey's value."""
    import pyarrow as pa

    from revops.store import Store

    path.unlink(missing_ok=True)
    n = journeys.count
    start = np.datetime64("2025-01-01T00:00:00", "us").astype(np.int64) + np.arange(n) * 30 * 1_000_000
    lengths = journeys.lengths
    at = np.repeat(start, lengths) + journeys.position * DAY_US
    won = np.flatnonzero(journeys.conversions > 0)
    created = start[won] + lengths[won] * DAY_US + 3_600_000_000
    ts = pa.timestamp("us")
    with Store(path) as store:
        con = store.con
        leads = pa.table({"i": pa.array(np.arange(n)), "created_at": pa.array(start, ts)})
        touches = pa.table({"i": pa.array(np.arange(len(at))), "lead": pa.array(journeys.journey_of_step),
                            "occurred_at": pa.array(at, ts),
                            "channel": pa.array(np.array(journeys.channels, dtype=object)[journeys.steps])})
        opps = pa.table({"i": pa.array(won), "created_at": pa.array(created, ts),
                         "amount": pa.array(journeys.value[won])})
        con.register("b_leads", leads)
        con.register("b_touches", touches)
        con.register("b_opps", opps)
        con.execute("""
            INSERT INTO leads (lead_id, created_at, converted_opportunity_id)
            SELECT 'lead_' || l.i, l.created_at, CASE WHEN o.i IS NOT NULL THEN 'opp_' || o.i END
            FROM b_leads l LEFT JOIN b_opps o USING (i);
            INSERT INTO touches (touch_id, occurred_at, channel, lead_id)
            SELECT 'tch_' || i, occurred_at, channel, 'lead_' || lead FROM b_touches;
            INSERT INTO opportunities (opportunity_id, lead_id, type, stage, created_at, close_date, amount)
            SELECT 'opp_' || i, 'lead_' || i, 'new_business', 'closed_won', created_at,
                   CAST(created_at + INTERVAL 30 DAY AS DATE), amount FROM b_opps;""")


def baseline(paths: list[list[int]], conversions: list[float], nulls: list[float], k: int) -> np.ndarray:
    """Removal effects the straightforward way: a dict of transitions, a dense solve per channel."""
    counts: dict[tuple[int, int], float] = defaultdict(float)
    conv, null = k + 1, k + 2
    for path, c, n in zip(paths, conversions, nulls):
        previous = 0
        for channel in path:
            counts[(previous, channel + 1)] += c + n
            previous = channel + 1
        counts[(previous, conv)] += c
        counts[(previous, null)] += n
    q = np.zeros((k + 1, k + 1))
    r = np.zeros(k + 1)
    for (a, b), w in counts.items():
        if b == conv:
            r[a] += w
        elif b != null:
            q[a, b] += w
    leaving = q.sum(axis=1) + r + np.array([counts.get((a, null), 0.0) for a in range(k + 1)])
    q, r = q / leaving[:, None], r / leaving
    p = np.linalg.solve(np.eye(k + 1) - q, r)[0]
    effects = []
    for state in range(1, k + 1):
        qq, rr = q.copy(), r.copy()
        qq[state], rr[state] = 0.0, 0.0
        effects.append(1 - np.linalg.solve(np.eye(k + 1) - qq, rr)[0] / p)
    return np.array(effects)


def markov_cli(option: str, path) -> tuple[float, int, dict[str, float]]:
    """Wall seconds, peak RSS and removal effects by channel of `revops attribution --model markov`
    reading ``--paths FILE`` or the store ``--db FILE``."""
    source = [option, str(path)]
    command = [*source, "attribution"] if option == "--db" else ["attribution", *source]
    wall, peak, proc = run_measured(revops_cmd(*command, "--model", "markov", "--format", "json"), cwd=WORK)
    return wall, peak, {r["channel"]: r["removal_effect"] for r in json.loads(proc.stdout)}


def run() -> list[BenchResult]:
    from revops.engines.attribution import markov

    WORK.mkdir(exist_ok=True)
    t_gen, journeys = timed(synthetic, JOURNEYS)
    touches = len(journeys.steps)
    t_engine, result = min((timed(markov.attribute, journeys) for _ in range(2)), key=lambda x: x[0])
    distinct = journeys.aggregated().count
    engine = dict(zip(CHANNELS, result.removal_effect))

    paths = [journeys.steps[journeys.bounds[i]:journeys.bounds[i + 1]].tolist() for i in range(journeys.count)]
    t_base, base = timed(baseline, paths, journeys.conversions.tolist(), journeys.nulls.tolist(), len(CHANNELS))
    del paths

    paths_file = WORK / "attribution_1m_paths.csv"
    t_write, _ = timed(write_paths, journeys, paths_file)
    t_file, rss_file, from_file = markov_cli("--paths", paths_file)
    db = WORK / "attribution_1m.duckdb"
    t_build, _ = timed(build_store, journeys, db)
    t_store, rss_store, from_store = markov_cli("--db", db)

    agree = all(np.isclose(engine[c], x, rtol=1e-9, atol=0) for c, x in zip(CHANNELS, base)) and all(
        np.isclose(engine[c], got[c], rtol=1e-9, atol=0) for got in (from_file, from_store) for c in CHANNELS)
    gib = 2 ** 30
    return [BenchResult(
        name=f"attribution: Markov removal effects over {JOURNEYS:,} journeys ({touches:,} touches, "
             f"{len(CHANNELS)} channels)",
        target=f"< {LIMIT_S:.0f} s",
        measured=f"engine {t_engine:.2f} s (best of 2; {distinct:,} distinct paths, P(conversion) "
                 f"{result.conversion_probability:.4f}); `revops attribution --model markov --paths` on a "
                 f"{JOURNEYS:,}-line file {t_file:.1f} s end to end, peak RSS {rss_file / gib:.2f} GiB; the same "
                 f"from a store of {JOURNEYS:,} leads and their touches and opportunities {t_store:.1f} s end to "
                 f"end, peak RSS {rss_store / gib:.2f} GiB",
        baseline=f"{t_base:.1f} s per-path Python loop + a dense solve per channel",
        ratio=t_base / t_engine,
        passed=agree and max(t_engine, t_file, t_store) < LIMIT_S,
        notes=["ratio: baseline / engine; removal effects of engine, paths file, store and baseline agree to "
               f"1e-9: {'yes' if agree else 'NO'}",
               f"journeys generated in {t_gen:.1f} s, the paths file written in {t_write:.0f} s, the store built "
               f"in {t_build:.0f} s (not counted)"],
    )]
