"""Aggregated journeys from a file, in the layout of the ChannelAttribution package's PathData:

    path;total_conversions;total_conversion_value;total_null
    eta > iota > alpha > eta;1;0.244;3
    iota > iota > iota > iota;2;3.195;6

One line per path: the channels in order separated by ``>`` (spaces around it do not
matter), how many journeys with that path converted, the value they converted with, and how
many did not convert. The same path on several lines is summed. Empty lines are skipped.

A million journeys are read in a couple of seconds: Arrow's CSV reader splits the fields, the
numbers are cast as whole columns, and each distinct path is parsed once (a million journeys
are a few hundred thousand distinct paths at most). When anything is off, the file is read
again line by line, so every line that cannot be read is reported as FILE:LINE with what is
wrong, the first ten of them in one error.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from revops.engines.attribution.journeys import Journeys
from revops.errors import AttributionError

HEADER = ("path", "total_conversions", "total_conversion_value", "total_null")
LAYOUT = ";".join(HEADER)
SHOWN_PROBLEMS = 10
SEPARATOR = ">"


def read_paths(file: str | Path) -> Journeys:
    """The paths of ``file`` as aggregated journeys, or an AttributionError naming each bad line."""
    file = Path(file)
    text = _text(file)
    first = text.splitlines()[0] if text.strip() else None
    _check_header(file, first)
    fast = _read_columns(text)
    if fast is not None:
        return fast
    return _read_lines(file, text.splitlines())


def _check_header(file: Path, first: str | None) -> None:
    header = tuple(_unquote(f).lower() for f in first.split(";")) if first is not None else ()
    if header != HEADER:
        found = first[:80] if first is not None else "an empty file"
        raise AttributionError(
            f"{file}:1: the first line is {found!r}; a paths file starts with the header {LAYOUT} "
            f"(the layout of ChannelAttribution's PathData), then one line per path such as "
            f"'email > paid_search > webinar;3;42000;17'")


def _read_columns(text: str) -> Journeys | None:
    """The fast reading: Arrow's CSV reader, the numbers cast as columns, each distinct path
    parsed once. None when anything is off, for ``_read_lines`` to say where and what."""
    body = text.split("\n", 1)[1] if "\n" in text else ""
    try:
        table = pa_csv.read_csv(
            io.BytesIO(body.encode()),
            read_options=pa_csv.ReadOptions(column_names=list(HEADER)),
            parse_options=pa_csv.ParseOptions(delimiter=";", ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(column_types={h: pa.string() for h in HEADER},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
        counts = np.column_stack([pc.cast(pc.utf8_trim_whitespace(table.column(h)), pa.float64()).to_numpy()
                                  for h in HEADER[1:]])
    except (pa.ArrowInvalid, ValueError):
        return None
    if table.num_rows == 0 or not np.isfinite(counts).all() or (counts < 0).any() \
            or ((counts[:, 0] == 0) & (counts[:, 1] > 0)).any():
        return None
    encoded = table.column("path").combine_chunks().dictionary_encode()
    index: dict[tuple[str, ...], int] = {}
    row_of_distinct = np.empty(len(encoded.dictionary), np.int64)
    for i, raw in enumerate(encoded.dictionary.to_pylist()):
        channels = _channels(raw)
        if isinstance(channels, str):
            return None
        row_of_distinct[i] = index.setdefault(channels, len(index))
    return _aggregate(index, row_of_distinct[encoded.indices.to_numpy()], counts)


def _read_lines(file: Path, lines: list[str]) -> Journeys:
    """The exact reading, line by line: every problem with its line number."""
    problems: list[tuple[int, str]] = []
    numbers: list[list[str]] = []
    raw_paths: list[str] = []
    line_numbers: list[int] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split(";")
        if len(fields) != 4:
            problems.append((number, f"{len(fields)} field(s) where a path line has 4 separated by ';' "
                                     f"({LAYOUT}); channels in the path are separated by '>', not ';'"))
            continue
        raw_paths.append(fields[0])
        numbers.append(fields[1:])
        line_numbers.append(number)
    counts = _numbers(numbers, line_numbers, problems)
    index, path_rows = _paths(raw_paths, line_numbers, problems)
    if problems:
        raise _problems(file, problems)
    if not raw_paths:
        raise AttributionError(f"{file}: no paths after the header; add one line per path such as "
                               f"'email > paid_search > webinar;3;42000;17'")
    return _aggregate(index, path_rows, counts)


def _text(file: Path) -> str:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise AttributionError(f"{file}: no such file; --paths takes a file of paths ({LAYOUT})") from None
    except OSError as exc:
        raise AttributionError(f"{file}: cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise AttributionError(f"{file}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return text


def _unquote(field: str) -> str:
    field = field.strip()
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].strip()
    return field


def _numbers(rows: list[list[str]], line_numbers: list[int], problems: list[tuple[int, str]]) -> np.ndarray:
    """The three number columns as floats (journeys x 3); each bad cell is a problem."""
    if not rows:
        return np.zeros((0, 3))
    try:
        values = np.array(rows, dtype=np.float64)
    except ValueError:
        values = np.array([[_float(c) for c in r] for r in rows])
    names = HEADER[1:]
    bad = ~np.isfinite(values) | (values < 0)
    for i, col in zip(*np.nonzero(bad)):
        text = rows[i][col].strip()
        why = ("is negative; counts and values are 0 or more" if np.isfinite(values[i, col])
               else "is not a number")
        problems.append((line_numbers[i], f"{names[col]} {text!r} {why}"))
    orphan = (values[:, 0] == 0) & (values[:, 1] > 0)
    for i in np.flatnonzero(orphan & ~bad.any(axis=1)):
        problems.append((line_numbers[i], f"total_conversion_value {rows[i][1].strip()} with 0 total_conversions: "
                                          "value comes with conversions; put the conversions in, or 0 as the value"))
    return values


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _paths(raw: list[str], line_numbers: list[int], problems: list[tuple[int, str]]
           ) -> tuple[dict[tuple[str, ...], int], np.ndarray]:
    """Each distinct path parsed once: {channels: row} and the row of every line."""
    parsed: dict[str, tuple[str, ...] | str] = {}
    index: dict[tuple[str, ...], int] = {}
    rows = np.empty(len(raw), np.int64)
    for i, text in enumerate(raw):
        channels = parsed.get(text)
        if channels is None:
            channels = parsed[text] = _channels(text)
        if isinstance(channels, str):  # what is wrong with it
            problems.append((line_numbers[i], channels))
            rows[i] = -1
            continue
        rows[i] = index.setdefault(channels, len(index))
    return index, rows


def _channels(text: str) -> tuple[str, ...] | str:
    """The channels of a path, or what is wrong with it."""
    path = _unquote(text)
    if not path:
        return "the path is empty; write its channels in order, e.g. 'email > paid_search > webinar'"
    channels = tuple(c.strip() for c in path.split(SEPARATOR))
    empty = [i + 1 for i, c in enumerate(channels) if not c]
    if empty:
        return (f"channel {empty[0]} of {path!r} is empty; write the channels separated by '>', "
                f"e.g. 'email > paid_search > webinar'")
    return channels


def _problems(file: Path, problems: list[tuple[int, str]]) -> AttributionError:
    problems.sort()
    shown = "\n".join(f"{file}:{line}: {message}" for line, message in problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    tail = f"\n... and {more} more" if more > 0 else ""
    return AttributionError(f"{file}: {len(problems)} line(s) cannot be read as {LAYOUT}:\n{shown}{tail}\n"
                            f"Fix those lines (or remove them) and run again.")


def _aggregate(index: dict[tuple[str, ...], int], rows: np.ndarray, counts: np.ndarray) -> Journeys:
    """One journey row per distinct path, its lines' numbers summed; channels indexed in order
    of first appearance."""
    paths = list(index)
    names = tuple(dict.fromkeys(c for p in paths for c in p))
    code = {c: i for i, c in enumerate(names)}
    lengths = np.fromiter((len(p) for p in paths), np.int64, len(paths))
    bounds = np.zeros(len(paths) + 1, np.int64)
    np.cumsum(lengths, out=bounds[1:])
    steps = np.fromiter((code[c] for p in paths for c in p), np.int32, int(bounds[-1]))
    k = len(paths)
    return Journeys(names, steps, bounds, np.bincount(rows, counts[:, 0], k), np.bincount(rows, counts[:, 1], k),
                    np.bincount(rows, counts[:, 2], k))
