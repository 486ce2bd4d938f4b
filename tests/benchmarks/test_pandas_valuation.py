"""The pandas baseline values open deals without an amount as the metrics layer does (the
metrics benchmark compares every value of the two)."""

from __future__ import annotations

from benchmarks import pandas_metrics as pm
from revops.model import load_model
from tests.engines.metrics.test_valuation import EXPECTED, book  # noqa: F401  (the fixture)


def test_comparable_values_agree_with_the_metrics_layer(book):  # noqa: F811
    tables = {t: book.con.execute(f"SELECT * FROM {t}").df() for t in ("opportunities", "products", "users",
                                                                           "accounts")}
    o = pm.deals(tables, load_model(None))
    mine = dict(zip(o.opportunity_id, o.amount))
    assert {k: mine[k] for k in EXPECTED} == EXPECTED
