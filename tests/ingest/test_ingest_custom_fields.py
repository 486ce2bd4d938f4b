"""Ingest into the custom fields the revenue model declares (``custom_fields:``): a mapping may
target one, a column named like one feeds it, and its values are typed by the declared type,
not guessed from the file; values that do not fit are quarantined with their reason, like any
typed field's. A column an earlier ingest typed otherwise takes the declared type."""

from __future__ import annotations

from datetime import date

import pytest

from revops.errors import IngestError
from revops.ingest.pipeline import ingest_file, list_quarantine
from revops.model import load_model
from tests.gtm import with_custom_fields

DEALS = ("Deal,Stage,EB,Security Review,Seats,NDA Signed,Year Established\n"
         "d1,Won,Jane Doe,yes,1200,03/31/2024,1999\n"
         "d2,Lost,,no,lots,04/15/2024,2001\n"
         "d3,Won,Raj,maybe,15,13/45/2024,2003\n")
MAPPING = ("columns:\n  opportunity_id: Deal\n  stage: Stage\n  economic_buyer: EB\n"
           "values:\n  stage: {Won: closed_won, Lost: closed_lost}\n")


@pytest.fixture(scope="module")
def model():
    return with_custom_fields(load_model(None), opportunities={
        "economic_buyer": "string", "security_review_done": "boolean", "seats": "integer",
        "nda_signed": "date", "year_established": "string"})


def test_declared_fields_are_fed_by_the_mapping_or_a_same_named_column_and_typed_as_declared(store, write, model):
    f = write("deals.csv", DEALS)
    m = write("deals.yaml", MAPPING.replace("economic_buyer: EB\n", "economic_buyer: EB\n  security_review_done: "
                                            "Security Review\n"))
    r = ingest_file(store, "opportunities", f, mapping=m, model=model)
    assert (r.rows_read, r.inserted, r.quarantined) == (3, 1, 2)
    assert store.query("SELECT opportunity_id, economic_buyer, security_review_done, seats, nda_signed, "
                       "year_established FROM opportunities") == [
        {"opportunity_id": "d1", "economic_buyer": "Jane Doe", "security_review_done": True, "seats": 1200,
         "nda_signed": date(2024, 3, 31), "year_established": "1999"}]
    columns = store.columns("opportunities")
    # year_established would have been guessed a whole number; the declaration says text
    assert [columns[c] for c in ("economic_buyer", "security_review_done", "seats", "nda_signed",
                                 "year_established")] == ["VARCHAR", "BOOLEAN", "BIGINT", "DATE", "VARCHAR"]
    assert {c["column_name"]: c["type"] for c in store.custom_fields("opportunities")} == {
        "economic_buyer": "string", "security_review_done": "boolean", "seats": "integer", "nda_signed": "date",
        "year_established": "string"}
    reasons = {(q["row"], q["column"]): q["reason"] for q in list_quarantine(store)}
    assert reasons == {
        (2, "Seats"): "seats: 'lots' is not a whole number",
        (3, "Security Review"): "security_review_done: 'maybe' is not true/false, yes/no or 1/0",
        (3, "NDA Signed"): "nda_signed: '13/45/2024' is not a date in the layout %m/%d/%Y (like 03/31/2024); "
                           "set formats.nda_signed in the mapping if the file uses another",
    }


def test_a_mapping_may_give_a_declared_field_a_format_and_a_constant(store, write, model):
    f = write("deals.csv", "Deal,Stage,Signed\nd1,Won,31.03.2024\nd2,Won,15.04.2024\n")
    m = write("deals.yaml", "columns:\n  opportunity_id: Deal\n  stage: Stage\n  nda_signed: Signed\n"
                            "values:\n  stage: {Won: closed_won}\nformats:\n  nda_signed: '%d.%m.%Y'\n"
                            "constants:\n  security_review_done: 'yes'\n")
    r = ingest_file(store, "opportunities", f, mapping=m, model=model)
    assert (r.inserted, r.quarantined) == (2, 0)
    assert store.query("SELECT nda_signed, security_review_done FROM opportunities ORDER BY opportunity_id") == [
        {"nda_signed": date(2024, 3, 31), "security_review_done": True},
        {"nda_signed": date(2024, 4, 15), "security_review_done": True}]


def test_a_mapping_naming_an_undeclared_field_is_still_refused_at_its_line(store, write, model):
    f = write("deals.csv", DEALS)
    m = write("deals.yaml", MAPPING.replace("economic_buyer: EB", "champion: EB"))
    with pytest.raises(IngestError, match=r"deals.yaml:4: columns.champion: opportunities has no field 'champion'"):
        ingest_file(store, "opportunities", f, mapping=m, model=model)
    undeclared = r"deals.yaml:4: columns.economic_buyer: opportunities has no field .*custom_fields.opportunities"
    with pytest.raises(IngestError, match=undeclared):
        ingest_file(store, "opportunities", f, mapping=write("deals.yaml", MAPPING))  # the default model: none
    with pytest.raises(IngestError, match=r"constants.seats: 'many', which is not a whole number"):
        ingest_file(store, "opportunities", f, model=model,
                    mapping=write("deals.yaml", MAPPING + "constants:\n  seats: many\n"))
    assert store.query("SELECT count(*) AS n FROM opportunities") == [{"n": 0}]


def test_a_column_ingest_typed_before_the_declaration_takes_the_declared_type(store, write, model):
    f = write("deals.csv", "Deal,Stage,Seats,Year Established\nd1,Won,12,1999\nd2,Won,about 40,2001\n")
    m = write("deals.yaml", "columns:\n  opportunity_id: Deal\n  stage: Stage\nvalues:\n  stage: {Won: closed_won}\n")
    ingest_file(store, "opportunities", f, mapping=m)  # no declaration: custom attributes typed by their values
    columns = store.columns("opportunities")
    assert (columns["seats"], columns["year_established"]) == ("VARCHAR", "BIGINT")

    fixed = write("fixed.csv", "Deal,Stage,Year Established\nd1,Won,1999\n")
    r = ingest_file(store, "opportunities", fixed, mapping=m, model=model)
    # year_established is fed by the file and converted; seats is not in the file and stays as it was
    columns = store.columns("opportunities")
    assert (columns["seats"], columns["year_established"]) == ("VARCHAR", "VARCHAR")
    assert store.query("SELECT year_established FROM opportunities ORDER BY opportunity_id") == [
        {"year_established": "1999"}, {"year_established": "2001"}]
    assert r.warnings == []

    seats = write("seats.csv", "Deal,Stage,Seats\nd1,Won,14\n")
    r = ingest_file(store, "opportunities", seats, mapping=m, model=model)
    assert store.columns("opportunities")["seats"] == "BIGINT"
    assert store.query("SELECT opportunity_id, seats FROM opportunities ORDER BY 1") == [
        {"opportunity_id": "d1", "seats": 14}, {"opportunity_id": "d2", "seats": None}]
    # the stored value that is not a whole number is kept in the quarantine, and the result says so
    [kept] = [q for q in list_quarantine(store) if q["record_id"] == "d2"]
    assert (kept["column"], kept["value"]) == ("seats", "about 40")
    assert "'about 40' is not a whole number; it was stored as string before seats was declared as integer" \
        in kept["reason"]
    assert r.warnings == ["opportunities.seats is declared as integer under custom_fields: 1 stored string value "
                          "that does not read as integer was moved to the quarantine (revops quarantine --table "
                          "opportunities)"]
    assert {c["column_name"]: c["type"] for c in store.custom_fields("opportunities")}["seats"] == "integer"


def test_a_refused_file_adds_no_declared_column(store, write, model):
    f = write("deals.csv", "Deal,Stage,EB\nd1,Won,Jane\n")
    m = write("deals.yaml", "columns:\n  opportunity_id: Deal\n  stage: Stage\n  economic_buyer: EB\n"
                            "  owner_id: Agent\n")
    with pytest.raises(IngestError, match="Agent"):
        ingest_file(store, "opportunities", f, mapping=m, model=model)
    assert "economic_buyer" not in store.columns("opportunities") and store.custom_fields() == []
