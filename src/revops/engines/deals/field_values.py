"""Values given for a deal's fields with a move (``--set amount=$50,000``, or JSON), typed
exactly as ingest types a file's cells: the same converters (``revops.ingest.convert``), the
same layouts for dates, the same spellings of forecast categories, and the same words when a
value does not fit. A custom field the model declares (``custom_fields.opportunities``) is
typed by its declared type, whether or not the store has its column yet.

    typed = typed_values(con, model, {"amount": "$50,000", "close_date": "09/30/2026"})
    # {"amount": 50000.0, "close_date": date(2026, 9, 30)}

An empty value clears the field. A problem with any value raises ``MoveRefused`` (422)
listing every field at fault; nothing is written.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from revops.ingest import convert
from revops.ingest.custom_fields import stored_types
from revops.ingest.reader import sql_str
from revops.ingest.validate import vocab_key
from revops.model.fields import custom_field_types
from revops.store import schema

TABLE = "opportunities"
NOT_SETTABLE = {
    "opportunity_id": "the deal's id cannot be changed",
    "stage": "the stage is what the move sets: give it as the move's STAGE, not as a value",
}
def field_types(con: Any, model: Any = None) -> dict[str, str]:
    """Field name -> type of every field of opportunities a move may set: the canonical ones,
    the custom fields ``model`` declares (of their declared type, column or not yet), and the
    other custom attributes the store holds (of their column's type)."""
    out = {f.name: f.type for f in schema.table(TABLE).fields}
    for name, ftype in custom_field_types(model, TABLE).items():
        out.setdefault(name, ftype)
    for name, ftype in stored_types(con, TABLE).items():
        out.setdefault(name, ftype if ftype in schema.SQL_TYPES else "string")
    return out


def as_text(value: Any) -> str | None:
    """A value as the cell text ingest would read: None for empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text.strip() or None


def typed_values(con: Any, model: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` (field -> text or JSON value) typed like ingest; raises MoveRefused (422)."""
    from revops.engines.deals.moves import MoveRefused

    types = field_types(con, model)
    declared = custom_field_types(model, TABLE)
    canonical = {f.name: f for f in schema.table(TABLE).fields}
    vocabularies = model.vocabularies()
    out: dict[str, Any] = {}
    errors: list[tuple[str, str, str]] = []
    for raw_name, value in values.items():
        name = str(raw_name).strip()
        if name in NOT_SETTABLE:
            errors.append((name, NOT_SETTABLE[name], "not_settable"))
            continue
        if name not in types:
            close = difflib.get_close_matches(name, list(types), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; its fields: {', '.join(types)}"
            errors.append((name, f"opportunities has no field {name!r}{hint}", "unknown_field"))
            continue
        text = as_text(value)
        if text is None:
            out[name] = None
            continue
        try:
            out[name] = _typed(con, name, types[name], text, canonical.get(name), vocabularies)
        except ValueError as problem:
            declared_as = (f" ({name} is declared as {types[name]} under custom_fields)"
                           if name in declared and name not in canonical else "")
            errors.append((name, f"{problem}{declared_as}", "value_error"))
    if errors:
        names = ", ".join(dict.fromkeys(f for f, _, _ in errors))
        raise MoveRefused("invalid_value", f"invalid value for {names}: " + "; ".join(m for _, m, _ in errors),
                          status=422, errors=errors)
    return out


def _typed(con: Any, name: str, ftype: str, text: str, spec: Any, vocabularies: dict[str, dict[str, str]]) -> Any:
    """``text`` as field ``name`` of type ``ftype`` (``spec``: its canonical definition, None for a custom one)."""
    if spec is not None and spec.vocabulary:
        vocab = vocabularies.get(spec.vocabulary, {})
        key = vocab_key(text, vocab)
        if key is None:
            label = spec.vocabulary.replace("_", " ")
            raise ValueError(f"unknown {label} {text!r}; valid values: {', '.join(dict.fromkeys(vocab.values()))}")
        return key
    semantic = spec.semantic if spec is not None else None
    formats = convert.candidate_formats(ftype) if ftype in ("date", "timestamp") else (None,)
    for fmt in formats:  # the first layout that reads the value, as ingest picks a column's layout
        value = con.execute(f"SELECT {convert.convert(sql_str(text), ftype, fmt=fmt, semantic=semantic)}").fetchone()[0]
        if value is not None:
            return value
    if ftype in ("date", "timestamp"):
        expected = (f"a {ftype} in a layout ingest reads (2024-03-31, 03/31/2024, 31.03.2024, 31 Mar 2024, "
                    "Mar 31, 2024 …)")
    else:
        expected = convert.describe_expected(ftype, None, semantic, field=name)
    raise ValueError(f"{name}: {text[:200]!r} is not {expected}")
