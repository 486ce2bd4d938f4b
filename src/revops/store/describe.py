"""The canonical data model described for people: docs/data-model.md is rendered from here."""

from __future__ import annotations

from revops.store import schema


def data_model_markdown() -> str:
    lines = [
        "# The GTM data model",
        "",
        "Rendered from `src/revops/store/schema.py` (`python -m revops.store.describe > docs/data-model.md`);",
        "a test keeps the two in step. Required fields are marked **required**: only ids and the",
        "dates a table is meaningless without. Columns that a mapping does not name are added as",
        "typed custom attributes (see docs/ingest.md).",
        "",
    ]
    for t in schema.TABLES.values():
        lines += [f"## {t.name}", "", t.description, "", f"Key: `{t.key}`.", ""]
        if t.history_fields:
            lines += [f"Changes of {', '.join(t.history_fields)} are kept in `opportunity_history`.", ""]
        lines += ["| field | type | notes |", "| --- | --- | --- |"]
        for f in t.fields:
            notes = []
            if f.required:
                notes.append("**required**")
            if f.vocabulary:
                notes.append(f"one of the model's `{f.vocabulary}` values")
            if f.semantic == "email":
                notes.append("checked e-mail address")
            if f.description:
                notes.append(f.description)
            lines.append(f"| {f.name} | {f.type} | {'; '.join(notes)} |")
        lines.append("")
    lines += ["## Ground truth of the demo company", "",
              "Written only by `revops demo`, so engines can be measured against what really drove the data.", ""]
    for name, fields in schema.TRUTH_TABLES.items():
        lines.append(f"- `{name}`: " + ", ".join(f"{f.name} ({f.type})" for f in fields))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(data_model_markdown(), end="")
