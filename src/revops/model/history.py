"""Definition history: every version of the revenue model applied to a store, with what
changed, so "who changed the MQL definition, and when?" has an answer.

Versions live in the store table ``_model_versions`` (created by the store's migration).
A version is recorded only when the model's hash differs from the latest one.
"""

from __future__ import annotations

from typing import Any

from revops.model.schema import RevenueModel

_MAX_SUMMARY_CHANGES = 25


def record_model_version(store: Any, model: RevenueModel, source: str) -> int | None:
    """Record ``model`` in ``store`` if it differs from the latest version.

    Returns the new version number, or None when the model is unchanged. ``source`` says
    where the definitions came from (file path, user, command).
    """
    from datetime import datetime, timezone

    digest = model.hash()
    latest = store.con.execute(
        "SELECT version, hash, model_yaml FROM _model_versions ORDER BY version DESC LIMIT 1"
    ).fetchone()
    if latest is not None and latest[1] == digest:
        return None
    current = model.canonical_dict()
    if latest is None:
        version, summary = 1, f"initial model: {model.summary()}"
    else:
        version = int(latest[0]) + 1
        changes = describe_changes(_load_yaml(latest[2]), current)
        summary = "; ".join(changes[:_MAX_SUMMARY_CHANGES]) or "formatting only"
        if len(changes) > _MAX_SUMMARY_CHANGES:
            summary += f"; … and {len(changes) - _MAX_SUMMARY_CHANGES} more changes"
    store.con.execute(
        "INSERT INTO _model_versions (version, hash, applied_at, source, summary, model_yaml) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [version, digest, datetime.now(timezone.utc).replace(tzinfo=None), source, summary,
         model.to_yaml()],
    )
    return version


def model_history(store: Any, *, include_yaml: bool = False) -> list[dict[str, Any]]:
    """Recorded versions, newest first: version, hash, applied_at, source, summary."""
    columns = "version, hash, applied_at, source, summary" + (", model_yaml" if include_yaml else "")
    cur = store.con.execute(f"SELECT {columns} FROM _model_versions ORDER BY version DESC")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _load_yaml(text: str | None) -> Any:
    if not text:
        return {}
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text) or {}


def _item_name(item: Any) -> str | None:
    if isinstance(item, dict):
        name = item.get("key", item.get("name"))
        return name if isinstance(name, str) else None
    return None


def describe_changes(old: Any, new: Any, path: str = "") -> list[str]:
    """Human lines for each definition that differs, e.g.
    ``lifecycle.stages.mql.entry_criteria: 'score >= 60' -> 'score >= 70'``."""
    label = path or "model"
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                if old[key] is not None:
                    out.append(f"{sub}: removed")
            elif key not in old:
                if new[key] not in (None, [], {}, ""):
                    out.append(f"{sub}: set to {_short(new[key])}")
            else:
                out.extend(describe_changes(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list):
        old_names = [_item_name(i) for i in old]
        new_names = [_item_name(i) for i in new]
        if old_names and new_names and None not in old_names + new_names:
            out = []
            old_by, new_by = dict(zip(old_names, old)), dict(zip(new_names, new))
            for name in old_names:
                if name not in new_by:
                    out.append(f"{label}: removed {name!r}")
                else:
                    out.extend(describe_changes(old_by[name], new_by[name], f"{label}.{name}"))
            for name in new_names:
                if name not in old_by:
                    out.append(f"{label}: added {name!r}")
            common_old = [n for n in old_names if n in new_by]
            common_new = [n for n in new_names if n in old_by]
            if common_old != common_new:
                out.append(f"{label}: order {_short(common_old)} -> {_short(common_new)}")
            return out
        if old != new:
            return [f"{label}: {_short(old)} -> {_short(new)}"]
        return []
    if old != new:
        return [f"{label}: {_short(old)} -> {_short(new)}"]
    return []


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
