"""Stage gates of the default pipeline: a stage's required fields must be filled and its gate
expressions true; a forward move past open stages skips them. The per-record check (moves)
and the vectorised one (hygiene) give the same answers."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest

from revops.engines.deals.gates import (
    failed_gates_column, is_filled, missing_required_column, requirements, skipped_stages,
)
from revops.model import load_model

NOW = datetime(2026, 3, 31, 12)


@pytest.fixture(scope="module")
def model():
    return load_model(None)


def complete(**fields):
    return {"account_id": "acme", "owner_id": "ana", "close_date": date(2026, 6, 30), "amount": 50000.0,
            "next_step": "Send MSA", "contact_id": "c1", **fields}


def test_negotiation_needs_its_fields_a_price_and_a_close_date_ahead(model):
    gate = requirements(model)["negotiation"]
    assert gate.check(complete(), NOW).passed
    check = gate.check(complete(next_step="   ", contact_id=None, close_date=date(2026, 3, 30)), NOW)
    assert check.missing == ("next_step", "contact_id")  # blank text is not filled
    assert check.failed == ("close_date >= today()",)
    # a gate on an empty field does not hold: no amount, no negotiation
    assert requirements(model)["negotiation"].check(complete(amount=None), NOW).failed == ("amount > 0",)
    assert requirements(model)["negotiation"].check(complete(amount=None), NOW).missing == ("amount",)


def test_stages_without_a_gate_check_only_their_fields(model):
    assert requirements(model)["discovery"].check({"account_id": "a", "owner_id": "o", "close_date": date(2026, 1, 1)},
                                                  NOW).passed
    assert requirements(model)["closed_lost"].check(complete(), NOW).missing == ("lost_reason",)


def test_filled_means_not_null_and_not_blank():
    assert [is_filled(v) for v in (None, "", "  \t", float("nan"), 0, 0.0, False, "x")] == \
        [False, False, False, False, True, True, True, True]


@pytest.mark.parametrize(("source", "target", "skipped"), [
    ("discovery", "qualification", []),
    ("discovery", "proposal", ["qualification", "solution"]),
    ("qualification", "negotiation", ["solution", "proposal"]),
    ("solution", "closed_won", ["proposal", "negotiation"]),  # won without a proposal
    ("discovery", "closed_lost", []),                          # a deal may be lost from any stage
    ("negotiation", "discovery", []),                          # back is not a skip
    ("closed_lost", "proposal", []),                           # reopened
    (None, "proposal", []),                                    # no stage before
])
def test_skipped_stages(model, source, target, skipped):
    assert skipped_stages(model, source, target) == skipped


def test_the_vectorised_check_agrees_with_the_per_record_one(gtm, model):
    rows = [
        {"opportunity_id": "a", "stage": "negotiation", **complete()},
        {"opportunity_id": "b", "stage": "negotiation", **complete(amount=0.0, next_step=" ", close_date=date(2026, 1, 1))},
        {"opportunity_id": "c", "stage": "proposal", **complete(amount=None, contact_id=None)},
        {"opportunity_id": "d", "stage": "closed_lost", **complete()},
        {"opportunity_id": "e", "stage": "unknown_stage", **complete(amount=None)},
        {"opportunity_id": "f", "stage": None, **complete()},
    ]
    store = gtm(opportunities=rows)
    t = store.ibis.table("opportunities")
    got = t.select("opportunity_id", missing=missing_required_column(t, model),
                   failed=failed_gates_column(t, model, NOW)).to_pyarrow()
    gates = requirements(model)
    for row, missing, failed in zip(rows, got["missing"].to_pylist(), got["failed"].to_pylist()):
        gate = gates.get(row["stage"])
        check = gate.check(row, NOW) if gate else None
        assert missing == (", ".join(check.missing) or None if check else None), row["opportunity_id"]
        assert failed == ("; ".join(check.failed) or None if check else None), row["opportunity_id"]
    assert got.to_pylist()[1] == {"opportunity_id": "b", "missing": "next_step",
                                  "failed": "amount > 0; close_date >= today()"}
    assert isinstance(got, pa.Table)


def test_a_gate_cannot_read_what_the_gates_report(tmp_path):
    from revops.model import default_model_text, validate_file

    path = tmp_path / "revops.yaml"
    path.write_text(default_model_text().replace("      gate:\n        - amount > 0\n      forecast_category: best_case",
                                                 "      gate:\n        - amount > 0\n        - failed_gates is null\n"
                                                 "      forecast_category: best_case", 1))
    issues = [i for i in validate_file(path) if i.is_error]
    assert len(issues) == 1 and "a gate cannot read failed_gates" in issues[0].message
    assert issues[0].line == default_model_text().splitlines().index("        - amount > 0") + 2
