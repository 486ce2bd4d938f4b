"""A MetricSession answers several requests exactly as separate ``compute`` calls do, builds a
shared fact once, and drops what it materialised when it closes."""

from __future__ import annotations

from collections.abc import Iterator
import pandas as pd
import pytest

from revops.engines.metrics import MetricSession, compute
from revops.model import load_model
from revops.store import Store
from tests.conftest import DEMO_TODAY

TODAY = DEMO_TODAY
REQUESTS = [
    (["win_rate", "won_amount", "pipeline_velocity", "lead_count", "speed_to_lead_minutes"],
     {"by": ["source"], "period": "quarter"}),
    (["mrr", "nrr", "new_mrr", "ltv"], {"by": ["segment"], "period": "quarter"}),
    (["cac_payback_months", "ltv_to_cac", "quota_attainment"], {"period": "quarter"}),
    (["win_rate"], {"by": ["source"], "period": "quarter"}),  # asked again: the memo answers
]


@pytest.fixture
def demo(demo_files) -> Iterator[Store]:
    with Store(demo_files["small"], read_only=True) as store:  # sessions only add temp tables
        yield store


def _temp_tables(store: Store) -> set[str]:
    return {r[0] for r in store.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}


def test_a_session_answers_as_separate_calls_and_builds_shared_facts_once(demo):
    model = load_model(None)
    before = _temp_tables(demo)
    with MetricSession(demo.ibis, model, today=TODAY) as session:
        answers = [session.compute(names, **query) for names, query in REQUESTS]
        built = _temp_tables(demo) - before
        # the deal states and the valued deals, the account-month fact and spend: each once,
        # whatever the number of requests reading them
        assert 1 <= len(built) <= 4
    assert _temp_tables(demo) == before  # closing drops what the session materialised
    for (names, query), answer in zip(REQUESTS, answers):
        alone = compute(demo.ibis, model, names, today=TODAY, **query)
        pd.testing.assert_frame_equal(answer.reset_index(drop=True), alone.reset_index(drop=True))
