"""Reading aggregated journeys in ChannelAttribution's layout: good files, and bad lines
reported as FILE:LINE with what to do."""

from __future__ import annotations

import pytest

from revops.engines.attribution import AttributionError, read_paths

GOOD = """path;total_conversions;total_conversion_value;total_null
email > paid_search > webinar;3;4200.5;17
paid_search;1;900;40
email>paid_search>webinar;1;800;3
webinar > webinar;0;0;5
"""


def test_a_good_file_is_read_with_identical_paths_summed(write):
    j = read_paths(write("paths.csv", GOOD))
    assert j.channels == ("email", "paid_search", "webinar")  # in order of first appearance
    rows = {j.path(i): (j.conversions[i], j.value[i], j.nulls[i]) for i in range(j.count)}
    # lines 2 and 4 are the same path written with and without spaces
    assert rows == {("email", "paid_search", "webinar"): (4.0, 5000.5, 20.0),
                    ("paid_search",): (1.0, 900.0, 40.0),
                    ("webinar", "webinar"): (0.0, 0.0, 5.0)}
    assert j.total_journeys == 4 + 20 + 1 + 40 + 5


def test_windows_line_ends_a_byte_order_mark_blank_lines_and_quoted_fields_are_read(write):
    text = '\ufeffpath;total_conversions;total_conversion_value;total_null\r\n"a > b";1;10;0\r\n\r\nb;0;0;2\r\n'
    j = read_paths(write("excel.csv", text))
    assert [j.path(i) for i in range(j.count)] == [("a", "b"), ("b",)]
    assert j.nulls.tolist() == [0.0, 2.0]


def test_bad_lines_are_reported_with_their_line_numbers_and_what_to_do(write):
    path = write("bad.csv", "path;total_conversions;total_conversion_value;total_null\n"
                            "email > search;1;100;2\n"          # 2 fine
                            "email;search;1;100;2\n"            # 3 five fields
                            "\n"                                # 4 blank, skipped
                            "email > > search;1;100;2\n"        # 5 empty channel
                            "search;one;100;2\n"                # 6 not a number
                            "search;1;100;-2\n"                 # 7 negative
                            ";1;100;2\n"                        # 8 empty path
                            "search;0;250;3\n")                 # 9 value without conversions
    with pytest.raises(AttributionError) as err:
        read_paths(path)
    message = str(err.value)
    assert f"{path}: 6 line(s) cannot be read" in message
    assert f"{path}:3: 5 field(s) where a path line has 4 separated by ';'" in message
    assert f"{path}:5: channel 2 of 'email > > search' is empty" in message
    assert f"{path}:6: total_conversions 'one' is not a number" in message
    assert f"{path}:7: total_null '-2' is negative" in message
    assert f"{path}:8: the path is empty" in message
    assert f"{path}:9: total_conversion_value 250 with 0 total_conversions" in message
    assert f"{path}:2:" not in message and f"{path}:4:" not in message
    assert "Fix those lines" in message


def test_the_same_bad_path_is_reported_on_every_line_it_is_on(write):
    path = write("twice.csv", "path;total_conversions;total_conversion_value;total_null\n"
                              "a >;1;1;0\nb;1;1;0\na >;1;1;0\n")
    message = str(pytest.raises(AttributionError, read_paths, path).value)
    assert f"{path}:2: channel 2 of 'a >' is empty" in message
    assert f"{path}:4: channel 2 of 'a >' is empty" in message


def test_only_the_first_ten_problems_are_listed(write):
    lines = "".join(f"p{i};x;0;0\n" for i in range(25))
    path = write("many.csv", "path;total_conversions;total_conversion_value;total_null\n" + lines)
    message = str(pytest.raises(AttributionError, read_paths, path).value)
    assert "25 line(s)" in message and "... and 15 more" in message
    assert f"{path}:11:" in message and f"{path}:12:" not in message


def test_a_file_without_the_header_says_what_the_header_is(write):
    path = write("noheader.csv", "email > search;1;100;2\n")
    message = str(pytest.raises(AttributionError, read_paths, path).value)
    assert message.startswith(f"{path}:1: the first line is 'email > search;1;100;2'")
    assert "path;total_conversions;total_conversion_value;total_null" in message


def test_an_empty_file_a_header_alone_a_missing_file_and_non_utf8_text(write, tmp_path):
    with pytest.raises(AttributionError, match="empty file"):
        read_paths(write("empty.csv", ""))
    with pytest.raises(AttributionError, match="no paths after the header"):
        read_paths(write("header.csv", "path;total_conversions;total_conversion_value;total_null\n"))
    with pytest.raises(AttributionError, match="no such file"):
        read_paths(tmp_path / "missing.csv")
    latin = "path;total_conversions;total_conversion_value;total_null\nr\xe9f\xe9rence;1;1;0\n".encode("latin-1")
    with pytest.raises(AttributionError, match=r"latin\.csv:2: not UTF-8"):
        read_paths(write("latin.csv", latin))


def test_the_fast_reading_and_the_line_by_line_reading_agree(write):
    from revops.engines.attribution.paths_file import _read_columns, _read_lines

    text = GOOD + '"paid_search > email";2;300.25;1\n\nemail;0;0;9\n'
    path = write("paths.csv", text)
    fast, exact = _read_columns(text), _read_lines(path, text.splitlines())
    assert fast is not None
    for field in ("channels", "steps", "bounds", "conversions", "value", "nulls"):
        assert list(getattr(fast, field)) == list(getattr(exact, field)), field
    assert read_paths(path).total_journeys == 4 + 20 + 1 + 40 + 5 + 3 + 9
