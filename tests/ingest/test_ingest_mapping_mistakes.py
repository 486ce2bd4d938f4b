"""Slips a user makes in a mapping file are named by file and line, with what to do.

A slip that can never load (a value map onto a stage that does not exist, a date layout
that reads none of the column) refuses the file and changes nothing; a slip that only
leaves some values unmapped is pointed out next to the values it leaves behind.
"""

from __future__ import annotations

from datetime import date

import pytest

from revops.errors import IngestError
from revops.ingest.pipeline import ingest_file, list_quarantine

DEALS = ("deal,stage_name,product,closed\n"
         "d1,Won,Starter,2024-01-31\n"
         "d2,Engaging,Professional,2024-02-05\n"
         "d3,Lost,Professional,2024-03-01\n")


def mapping(write, body: str):
    return write("deals.yaml", "columns:\n  opportunity_id: deal\n  stage: stage_name\n  close_date: closed\n" + body)


def nothing_stored(store) -> bool:
    return (store.query("SELECT count(*) AS n FROM opportunities")[0]["n"] == 0
            and list_quarantine(store) == []
            and store.query("SELECT count(*) AS n FROM _ingest_runs")[0]["n"] == 0)


def test_a_value_map_onto_a_stage_that_does_not_exist_refuses_the_file_at_its_line(store, write):
    f = write("deals.csv", DEALS)
    m = mapping(write, "values:\n  stage: {Won: closed_wonn, Engaging: qualification, Lost: closed_lost}\n")
    with pytest.raises(IngestError) as err:
        ingest_file(store, "opportunities", f, mapping=m)
    message = str(err.value)
    assert "deals.yaml:6: values.stage: 'Won' maps to 'closed_wonn'" in message
    assert "closed_won" in message.split("valid values:")[1]
    assert nothing_stored(store)


def test_a_constant_that_is_not_a_valid_value_refuses_the_file(store, write):
    f = write("deals.csv", DEALS)
    m = mapping(write, "values:\n  stage: {Engaging: qualification}\nconstants:\n  amount: lots\n")
    with pytest.raises(IngestError, match=r"deals.yaml:8: constants.amount: 'lots', which is not a number"):
        ingest_file(store, "opportunities", f, mapping=m)
    assert nothing_stored(store)


def test_a_misspelt_value_map_entry_is_named_beside_the_rows_it_leaves_unmapped(store, write):
    f = write("deals.csv", DEALS)
    m = mapping(write, "values:\n  stage:\n    Won: closed_won\n    Engagin: qualification\n    Lost: closed_lost\n")
    r = ingest_file(store, "opportunities", f, mapping=m)
    assert (r.inserted, r.quarantined) == (2, 1)
    [entry] = list_quarantine(store)
    assert (entry["row"], entry["column"], entry["value"]) == (2, "stage_name", "Engaging")
    assert "unknown pipeline stage 'Engaging'" in entry["reason"]
    assert "deals.yaml:8: values.stage maps 'Engagin'" in entry["reason"]
    assert r.warnings == [f"{m}:8: values.stage maps 'Engagin', which no row holds, "
                          "while 'Engaging' is left as it is: a typo?"]


def test_a_misspelt_entry_for_a_free_text_field_is_warned_about(store, write):
    f = write("deals.csv", DEALS)
    m = mapping(write, "values:\n  stage: {Won: closed_won, Engaging: qualification, Lost: closed_lost}\n"
                        "  product: {Profesional: Pro Edition}\n")
    r = ingest_file(store, "opportunities", f, mapping=m)
    assert (r.inserted, r.quarantined) == (3, 0)
    assert len(r.warnings) == 1 and "deals.yaml:7: values.product maps 'Profesional'" in r.warnings[0]
    assert "'Professional' is left as it is" in r.warnings[0]
    assert store.query("SELECT DISTINCT product FROM opportunities ORDER BY 1") == [
        {"product": "Professional"}, {"product": "Starter"}]
    assert "warnings" in r.to_dict()


def test_entries_for_values_this_file_lacks_are_not_warned_about(store, write):
    f = write("deals.csv", DEALS)
    m = mapping(write, "values:\n  stage: {Prospecting: discovery, Engaging: qualification, Won: closed_won, "
                        "Lost: closed_lost}\n")
    r = ingest_file(store, "opportunities", f, mapping=m)
    assert (r.inserted, r.quarantined, r.warnings) == (3, 0, [])
    assert "warnings" not in r.to_dict()


def test_a_date_layout_that_reads_no_value_refuses_the_file_and_names_the_layout_that_fits(store, write):
    us = write("us.csv", "deal,closed\nd1,03/31/2024\nd2,04/15/2024\n")
    m = write("us.yaml", 'columns:\n  opportunity_id: deal\n  close_date: closed\nformats:\n  close_date: "%d.%m.%Y"\n')
    with pytest.raises(IngestError) as err:
        ingest_file(store, "opportunities", us, mapping=m)
    message = str(err.value)
    assert message.startswith(f"{m}:5: formats.close_date: the layout '%d.%m.%Y' reads none of the values")
    assert "'closed'" in message and '"%m/%d/%Y" (like 03/31/2024)' in message
    iso = write("iso.csv", "deal,closed\nd1,2024-03-31\n")
    m2 = write("iso.yaml", 'columns:\n  opportunity_id: deal\n  close_date: closed\nformats:\n  close_date: "%d/%m/%Y"\n')
    with pytest.raises(IngestError, match="remove formats.close_date"):
        ingest_file(store, "opportunities", iso, mapping=m2)
    assert nothing_stored(store)


def test_a_date_layout_that_reads_most_values_quarantines_the_rest_naming_the_mapping_line(store, write):
    f = write("d.csv", "deal,closed\nd1,31/01/2024\nd2,2024-02-05\nd3,05/02/2024\n")
    m = write("d.yaml", 'columns:\n  opportunity_id: deal\n  close_date: closed\nformats:\n  close_date: "%d/%m/%Y"\n')
    r = ingest_file(store, "opportunities", f, mapping=m)
    assert (r.inserted, r.quarantined) == (2, 1)
    [entry] = list_quarantine(store)
    assert (entry["row"], entry["value"]) == (2, "2024-02-05")
    assert f"%d/%m/%Y (like 31/03/2024) that formats.close_date ({m}:5) gives" in entry["reason"]
    assert store.query("SELECT close_date FROM opportunities WHERE opportunity_id = 'd3'") == [
        {"close_date": date(2024, 2, 5)}]


def test_a_detected_layout_names_the_field_to_set_a_format_for(store, write):
    f = write("o.csv", "opportunity_id,close_date\no1,2024-01-31\no2,2024-13-45\n")
    ingest_file(store, "opportunities", f)
    [entry] = list_quarantine(store)
    assert "set formats.close_date in the mapping" in entry["reason"]


@pytest.mark.parametrize("layout, says", [
    ("dd/mm/yyyy", "is not a strptime format"),
    ("%Q-%m", "is not a layout that can be read"),
])
def test_a_format_that_is_not_a_layout_is_refused_at_its_line(store, write, layout, says):
    f = write("deals.csv", DEALS)
    m = mapping(write, f'formats:\n  close_date: "{layout}"\n')
    with pytest.raises(IngestError) as err:
        ingest_file(store, "opportunities", f, mapping=m)
    assert f"deals.yaml:6: formats.close_date: '{layout}' {says}" in str(err.value)
    assert nothing_stored(store)


def test_columns_written_the_wrong_way_round_are_pointed_out(store, write):
    f = write("deals.csv", DEALS)
    m = write("deals.yaml", "columns:\n  opportunity_id: deal\n  stage_name: stage\n")
    with pytest.raises(IngestError, match=r"deals.yaml:3: columns.stage_name: .*wrong way round \(stage: stage_name\)"):
        ingest_file(store, "opportunities", f, mapping=m)


def test_quarantine_shows_the_files_value_not_what_the_value_map_made_of_it(store, write):
    f = write("o.csv", "opportunity_id,close_date\no1,TBD\no2,2024-01-31\n")
    m = write("m.yaml", "values:\n  close_date: {TBD: next quarter}\n")
    ingest_file(store, "opportunities", f, mapping=m)
    [entry] = list_quarantine(store)
    assert (entry["row"], entry["column"], entry["value"]) == (1, "close_date", "TBD")


def test_a_value_mapped_to_nothing_is_stored_empty(store, write):
    f = write("a.csv", "account_id,industry,employees\na1,n/a,-\na2,retail,12\n")
    m = write("m.yaml", "values:\n  industry: {n/a: ''}\n  employees: {'-': null}\n")
    r = ingest_file(store, "accounts", f, mapping=m)
    assert (r.inserted, r.quarantined) == (2, 0)
    assert store.query("SELECT industry, employees FROM accounts ORDER BY account_id") == [
        {"industry": None, "employees": None}, {"industry": "retail", "employees": 12}]


def test_a_record_the_parser_cannot_read_is_quarantined_with_its_text(store, write):
    f = write("o.csv", "opportunity_id,amount\no1,5\no2,6,oops\n")
    r = ingest_file(store, "opportunities", f)
    assert (r.inserted, r.quarantined) == (1, 1)
    [entry] = list_quarantine(store)
    assert (entry["row"], entry["column"], entry["value"]) == (2, None, "o2,6,oops")


def test_ids_that_differ_only_in_digits_are_not_taken_for_typos(store, write):
    f = write("o.csv", "opportunity_id,owner_id\no1,rep-100\no2,rep-7\n")
    m = write("m.yaml", "values:\n  owner_id: {rep-1000: rep-1, rep-77: rep-7b}\n")
    r = ingest_file(store, "opportunities", f, mapping=m)
    assert (r.inserted, r.warnings) == (2, [])
