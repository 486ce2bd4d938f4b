"""Data quality: the model's validation rules, completeness by field, duplicates and
staleness, rolled into a 0-100 score per table and per owner (`revops quality`).

    from revops.engines.quality import QualityCheck
    check = QualityCheck(store.con, model, as_of=datetime(2026, 5, 1))
    check.scores(by_owner=True)       # [TableScore(table, owner_id, records, validity, ...)]
    check.violations(limit=100)       # records breaking a rule, with the rule and its message
    check.fields()                    # completeness of each tracked field

docs/quality.md defines each part of the score.
"""

from revops.engines.quality.check import QualityCheck, TableScore

__all__ = ["QualityCheck", "TableScore"]
