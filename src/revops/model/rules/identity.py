"""Rules of the `identity` section: survivorship names fields the table has, source priority
only where records have a source."""

from __future__ import annotations

from collections.abc import Iterator

from revops.model.issues import RuleIssue
from revops.model.rules.common import hint
from revops.model.schema import RevenueModel
from revops.model.sections.identity import SourcePriority
from revops.store.schema import table as store_table

DEDUPE_TABLES = ("contacts", "leads", "accounts")


def identity_definitions(model: RevenueModel) -> Iterator[RuleIssue]:
    for name in DEDUPE_TABLES:
        rules = model.identity.rules(name)
        table = store_table(name)
        fields = set(table.field_names) | {f.name for f in model.custom_fields.get(name, [])}
        base = ("identity", name)
        has_source = "source" in fields
        if isinstance(rules.survivor, SourcePriority) and not has_source:
            yield RuleIssue((*base, "survivor"), f"{name} have no source column: source_priority cannot choose "
                            "a survivor; use most_complete, most_recent or oldest")
        for field, rule in rules.fields.items():
            path = (*base, "fields", field)
            if field == "default":
                pass
            elif field == table.key:
                yield RuleIssue(path, f"{field} is the record's id: the survivor keeps its own, it is not filled "
                                "from the cluster")
            elif field not in fields:
                yield RuleIssue(path, f"{name} have no field {field!r}" + hint(field, sorted(fields))
                                + f"; declare it under custom_fields.{name} if it is a field of your CRM")
            if isinstance(rule, SourcePriority) and not has_source:
                yield RuleIssue(path, f"{name} have no source column: source_priority cannot choose the value; "
                                "use most_complete, most_recent or oldest")
        if rules.match_threshold < 0.5:
            yield RuleIssue((*base, "match_threshold"), f"a match_threshold of {rules.match_threshold} merges pairs "
                            "more likely different than the same", "warning")
