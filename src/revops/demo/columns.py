"""Turning simulator arrays into Arrow columns: ids, categories, timestamps, dates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revops.demo.calendar import SimCalendar


def ids(prefix: str, numbers: np.ndarray, width: int = 7) -> pa.Array:
    """``prefix`` + zero-padded number, e.g. ``lead_0000042``."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype="int64")), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def ids_or_null(prefix: str, numbers: np.ndarray, width: int = 7) -> pa.Array:
    """Like ``ids`` with negative numbers as nulls."""
    numbers = np.asarray(numbers, dtype="int64")
    arr = ids(prefix, np.maximum(numbers, 0), width)
    return pc.if_else(pa.array(numbers < 0), pa.scalar(None, pa.string()), arr)


def category(codes: np.ndarray, labels: Sequence[str], mask: np.ndarray | None = None) -> pa.Array:
    """Dictionary-encoded strings: ``labels[codes]``, null where ``mask`` is True or code < 0."""
    codes = np.asarray(codes, dtype="int32")
    null = codes < 0 if mask is None else (mask | (codes < 0))
    idx = pa.array(np.where(null, 0, codes), mask=null if null.any() else None)
    return pa.DictionaryArray.from_arrays(idx, pa.array(list(labels), pa.string()))


def pick(values: pa.Array, index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """``values[index]`` as a plain Arrow array, null where ``mask`` is True."""
    taken = values.take(pa.array(np.asarray(index, dtype="int64")))
    if mask is not None and mask.any():
        taken = pc.if_else(pa.array(mask), pa.scalar(None, taken.type), taken)
    return taken


def join(parts: Sequence[pa.Array | str], sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def timestamps(cal: SimCalendar, days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=float)
    nulls = np.isnan(days)
    return pa.array(cal.timestamps(days), type=pa.timestamp("s"), mask=nulls if nulls.any() else None)


def dates(cal: SimCalendar, days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=float)
    nulls = np.isnan(days)
    d = cal.day_dates(np.nan_to_num(days))
    return pa.array(d, type=pa.date32(), mask=nulls if nulls.any() else None)


def numbers(values: np.ndarray, decimals: int | None = 2) -> pa.Array:
    values = np.asarray(values, dtype=float)
    if decimals is not None:
        values = np.round(values, decimals)
    nulls = np.isnan(values)
    return pa.array(values, type=pa.float64(), mask=nulls if nulls.any() else None)


def integers(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype="int64"), type=pa.int64(),
                    mask=mask if mask is not None and mask.any() else None)


def booleans(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_())


def nulls(n: int, type: pa.DataType = pa.string()) -> pa.Array:
    return pa.nulls(n, type)
