"""Real exports: delimiters, quoting, encodings, number and date layouts, Parquet and JSON lines."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from revops.errors import IngestError
from revops.ingest.pipeline import ingest_file, list_quarantine


def amounts(store):
    return [r["amount"] for r in store.query("SELECT amount FROM opportunities ORDER BY opportunity_id")]


def test_money_written_the_us_and_the_european_way(store, write):
    f = write("o.csv", 'opportunity_id;amount\no1;$1,200.50\no2;1.200,50\no3;€ 3 000\no4;(450)\no5;1,200\no6;12.5\n')
    r = ingest_file(store, "opportunities", f)
    assert r.quarantined == 0
    assert amounts(store) == [1200.50, 1200.50, 3000.0, -450.0, 1200.0, 12.5]


def test_decimal_comma_declared_in_the_mapping(store, write):
    f = write("o.csv", "opportunity_id;amount\no1;1.200\no2;3,5\n")
    m = write("m.yaml", "decimal: ','\n")
    ingest_file(store, "opportunities", f, mapping=m)
    assert amounts(store) == [1200.0, 3.5]


def test_bom_crlf_quoted_newlines_and_tabs(store, write):
    text = '\ufeffaccount_id\tname\tdescription\r\na1\t"Acme, Inc."\t"line one\r\nline two"\r\na2\tGlobex\t""\r\n'
    f = write("a.tsv", text)
    r = ingest_file(store, "accounts", f)
    assert (r.rows_read, r.inserted, r.quarantined) == (2, 2, 0)
    rows = store.query("SELECT account_id, name, description FROM accounts ORDER BY 1")
    assert rows[0]["name"] == "Acme, Inc."
    assert rows[0]["description"] == "line one\r\nline two"


def test_latin1_file_is_read_without_mojibake(store, write):
    f = write("a.csv", "account_id,name\na1,Müller GmbH\na2,Café Crème\n", encoding="latin-1")
    ingest_file(store, "accounts", f)
    assert [r["name"] for r in store.query("SELECT name FROM accounts ORDER BY 1")] == ["Café Crème", "Müller GmbH"]


def test_utf16_with_bom_is_read(store, write):
    f = write("a.csv", "account_id,name\na1,Zoë\n", encoding="utf-16")
    ingest_file(store, "accounts", f)
    assert store.query("SELECT name FROM accounts") == [{"name": "Zoë"}]


def test_wrong_encoding_without_a_bom_gives_a_clear_error(store, write):
    f = write("a.csv", "account_id,name\na1,x\n".encode("utf-16-le"))
    with pytest.raises(IngestError, match="UTF-16"):
        ingest_file(store, "accounts", f)


def test_empty_file_and_header_only_file(store, write):
    with pytest.raises(IngestError, match="empty"):
        ingest_file(store, "accounts", write("e.csv", ""))
    r = ingest_file(store, "accounts", write("h.csv", "account_id,name\n"))
    assert (r.rows_read, r.inserted, r.updated, r.unchanged, r.quarantined) == (0, 0, 0, 0, 0)


def test_dates_in_the_layout_the_file_uses(store, write):
    f = write("o.csv", "opportunity_id,close_date,created_at\no1,31/01/2024,31/01/2024 13:45\no2,05/02/2024,05/02/2024 09:00\n")
    ingest_file(store, "opportunities", f)
    rows = store.query("SELECT close_date, created_at FROM opportunities ORDER BY opportunity_id")
    assert rows[0]["close_date"] == date(2024, 1, 31)
    assert rows[1]["close_date"] == date(2024, 2, 5)   # day first, as the column as a whole shows
    assert rows[0]["created_at"] == datetime(2024, 1, 31, 13, 45)


def test_mapping_formats_and_offsets_convert_to_utc(store, write):
    f = write("o.csv", "opportunity_id,close_date,created_at\no1,03-04-2024,2024-01-01T10:00:00+02:00\n")
    m = write("m.yaml", 'formats:\n  close_date: "%d-%m-%Y"\n')
    ingest_file(store, "opportunities", f, mapping=m)
    row = store.query("SELECT close_date, created_at FROM opportunities")[0]
    assert row["close_date"] == date(2024, 4, 3)
    assert row["created_at"] == datetime(2024, 1, 1, 8, 0)


def test_custom_attributes_are_typed_and_queryable(store, write):
    f = write("a.csv", "account_id,Year Established,Is Partner,Region Office,Renewal Date\n"
                       "a1,1996,yes,East,2025-01-31\na2,2001,no,West,\n")
    ingest_file(store, "accounts", f)
    cols = store.columns("accounts")
    assert cols["year_established"] == "BIGINT"
    assert cols["is_partner"] == "BOOLEAN"
    assert cols["region_office"] == "VARCHAR"
    assert cols["renewal_date"] == "DATE"
    assert store.query("SELECT account_id FROM accounts WHERE year_established > 2000") == [{"account_id": "a2"}]
    assert {c["column_name"] for c in store.custom_fields("accounts")} == {
        "year_established", "is_partner", "region_office", "renewal_date"}


def test_a_custom_attribute_that_later_holds_text_is_widened_not_lost(store, write):
    ingest_file(store, "accounts", write("a.csv", "account_id,tier\na1,1\n"))
    r = ingest_file(store, "accounts", write("b.csv", "account_id,tier\na2,gold\n"))
    assert r.quarantined == 0
    assert store.columns("accounts")["tier"] == "VARCHAR"
    assert {r["tier"] for r in store.query("SELECT tier FROM accounts")} == {"1", "gold"}


def test_parquet_and_json_lines(store, write, tmp_path):
    import duckdb

    pq = tmp_path / "u.parquet"
    duckdb.sql("SELECT 'u' || i AS user_id, 'ae' AS role, i * 1000.0 AS quota FROM range(3) t(i)").write_parquet(str(pq))
    r = ingest_file(store, "users", pq)
    assert (r.inserted, r.quarantined) == (3, 0)
    jl = write("t.jsonl", '{"touch_id": "t1", "occurred_at": "2024-01-01T00:00:00", "channel": "webinar"}\n'
                          'not json\n'
                          '{"touch_id": "t2", "occurred_at": "2024-01-02", "utm": {"source": "g"}}\n')
    r = ingest_file(store, "touches", jl)
    assert (r.rows_read, r.inserted, r.quarantined) == (3, 2, 1)
    assert list_quarantine(store, "touches")[0]["row"] == 2


def test_mapped_column_missing_names_the_column_and_the_mapping(store, write):
    f = write("o.csv", "id,agent\no1,ann\n")
    m = write("map.yaml", "columns:\n  opportunity_id: id\n  owner_id: sales_agent\n")
    with pytest.raises(IngestError) as err:
        ingest_file(store, "opportunities", f, mapping=m)
    assert "sales_agent" in str(err.value) and "map.yaml" in str(err.value)


def test_mapping_errors_give_file_and_line(store, write):
    f = write("o.csv", "opportunity_id\no1\n")
    m = write("map.yaml", "columns:\n  opportunity_id: opportunity_id\n  owner: agent\n")
    with pytest.raises(IngestError, match=r"map.yaml:3: columns.owner"):
        ingest_file(store, "opportunities", f, mapping=m)


def test_a_huge_value_is_quarantined_and_a_huge_header_refused(store, write, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write("account_id,name\na1,ok\na2,")
        fh.write("x" * (100 * 1024 * 1024))
        fh.write("\na3,fine\n")
    r = ingest_file(store, "accounts", big)
    assert (r.rows_read, r.inserted, r.quarantined) == (3, 2, 1)
    assert "larger than 1 MB" in list_quarantine(store)[0]["reason"]
    line = tmp_path / "line.csv"
    line.write_text("y" * (100 * 1024 * 1024))
    with pytest.raises(IngestError, match="header"):
        ingest_file(store, "accounts", line)
