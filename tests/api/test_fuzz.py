"""Schemathesis fuzzes every operation of the OpenAPI document against the live server (an
admin key, the book of test_reads.py): whatever it sends, no answer is a 5xx — a malformed
request is the client's error (4xx) with a message, never a crash.

The operations are read from the document the app builds (so that pytest can list one test per
operation before any server runs); ``test_the_fuzzed_document_is_the_one_served`` checks it is
the document /openapi.json serves. Bounded: 25 examples an operation.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from revops.api import create_app
from tests.api.conftest import ADMIN_TOKEN, serving
from tests.api.test_reads import build_book

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DOCUMENT = create_app().openapi()
OPERATIONS = {op.label: op for op in (r.ok() for r in schemathesis.openapi.from_dict(DOCUMENT).get_all_operations())}
EXAMPLES = int(os.environ.get("REVOPS_FUZZ_EXAMPLES", 25))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    db = build_book(tmp_path_factory.mktemp("fuzz") / "book.duckdb")
    with serving(db) as client:
        yield client


def test_the_fuzzed_document_is_the_one_served(live):
    assert live.get("/openapi.json").json() == DOCUMENT
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_operation_answers_a_server_error(live, label):
    base = str(live.base_url).rstrip("/")

    @given(case=OPERATIONS[label].as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base, headers=AUTH, checks=[not_a_server_error])

    fuzz()
