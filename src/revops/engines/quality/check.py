"""``QualityCheck``: the data-quality parts and score of each table (and owner) as of a moment.

For a table (records created by ``as_of``):

- validity: the share of records that break no rule of ``data_quality.rules`` (a rule's
  ``when`` picks the records it checks; a rule that is null passes);
- completeness: the share of the tracked fields (``data_quality.completeness``) that are filled,
  over every record (an empty string counts as empty);
- uniqueness: 1 - the duplicate rate: the share of records that repeat an earlier record's
  exact key (``records.DUPLICATE_KEYS``: e-mail, bare domain, account and deal name);
- freshness: the share of live records (open deals, open leads; every account and contact)
  updated within ``stale_after_days`` of ``as_of`` (a table without a limit: 1);
- score = 100 x the weighted sum of the four (``data_quality.weights``).

A part with no record to judge counts as 1 (nothing wrong was found). By owner, every part is
the owner's records' (contacts belong to their account's owner).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from revops.engines.quality.records import DUPLICATE_KEYS, FRESHNESS_TIME, KEYS, LIVE, relation
from revops.model.expressions import parse
from revops.model.sections.quality import QUALITY_TABLES
from revops.store.store import quote


@dataclass(frozen=True)
class TableScore:
    table: str
    owner_id: str | None
    records: int
    validity: float
    completeness: float
    uniqueness: float
    freshness: float
    score: float
    violations: int
    duplicates: int
    stale: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class QualityCheck:
    def __init__(self, con: Any, model: Any, *, as_of: datetime) -> None:
        self.con = con
        self.model = model
        self.as_of = as_of
        self.dq = model.data_quality

    # -- the parts ------------------------------------------------------------------------
    def scores(self, *, tables: list[str] | None = None, by_owner: bool = False) -> list[TableScore]:
        out: list[TableScore] = []
        for table in tables or list(QUALITY_TABLES):
            out.extend(self._table_scores(table, by_owner))
        return out

    def _table_scores(self, table: str, by_owner: bool) -> list[TableScore]:
        rel = relation(self.model, table, self.as_of)
        broken = self._broken_sql(table)
        tracked = self.dq.completeness.get(table, [])
        filled = " + ".join(f"(CASE WHEN {_filled(f)} THEN 1 ELSE 0 END)" for f in tracked) or "0"
        stale_days = self.dq.stale_after_days.get(table)
        live = LIVE.get(table, "TRUE")
        moment = FRESHNESS_TIME.get(table, "coalesce(updated_at, created_at)")
        now = f"TIMESTAMP '{self.as_of.isoformat(sep=' ')}'"
        stale = (f"({live}) AND ({moment} IS NULL OR {moment} < {now} - INTERVAL {int(stale_days)} DAY)"
                 if stale_days else "FALSE")
        group = "__owner" if by_owner else "NULL"
        sql = f"""
            WITH r AS ({rel}),
            k AS (SELECT *, {DUPLICATE_KEYS[table]} AS __key FROM r),
            d AS (SELECT *, __key IS NOT NULL AND row_number() OVER (PARTITION BY __key ORDER BY created_at NULLS LAST,
                         __id) > 1 AS __duplicate FROM k)
            SELECT {group} AS owner_id, count(*) AS records,
                   count(*) FILTER (WHERE {broken}) AS violations,
                   sum({filled}) AS filled,
                   count(*) FILTER (WHERE __duplicate) AS duplicates,
                   count(*) FILTER (WHERE {live}) AS live,
                   count(*) FILTER (WHERE {stale}) AS stale
            FROM d GROUP BY ALL ORDER BY owner_id NULLS FIRST"""
        rows = self.con.execute(sql).fetchall()
        out = []
        w = self.dq.weights
        for owner, records, violations, filled_n, duplicates, live_n, stale_n in rows:
            validity = 1 - violations / records if records else 1.0
            completeness = float(filled_n) / (records * len(tracked)) if records and tracked else 1.0
            uniqueness = 1 - duplicates / records if records else 1.0
            freshness = 1 - stale_n / live_n if live_n else 1.0
            score = 100 * (w.validity * validity + w.completeness * completeness + w.uniqueness * uniqueness
                           + w.freshness * freshness)
            out.append(TableScore(table, owner, int(records), round(validity, 4), round(completeness, 4),
                                  round(uniqueness, 4), round(freshness, 4), round(score, 1), int(violations),
                                  int(duplicates), int(stale_n)))
        if not out and not by_owner:
            out.append(TableScore(table, None, 0, 1.0, 1.0, 1.0, 1.0, 100.0, 0, 0, 0))
        return out

    def _broken_sql(self, table: str) -> str:
        """SQL true for a record that breaks at least one rule of ``table``."""
        tests = [self._rule_sql(r) for r in self.dq.rules if r.table == table]
        return " OR ".join(f"({t})" for t in tests) or "FALSE"

    def _rule_sql(self, rule: Any) -> str:
        check = parse(rule.rule).to_sql(now=self.as_of)
        when = parse(rule.when).to_sql(now=self.as_of) if rule.when else "TRUE"
        return f"coalesce({when}, FALSE) AND NOT coalesce({check}, TRUE)"

    # -- the records behind the numbers -----------------------------------------------------
    def violations(self, *, tables: list[str] | None = None, rule: str | None = None,
                   owner_ids: set[str] | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Records breaking a rule: table, record_id, owner_id, rule, severity, message."""
        parts = []
        for r in self.dq.rules:
            if (tables and r.table not in tables) or (rule and r.key != rule):
                continue
            rel = relation(self.model, r.table, self.as_of)
            parts.append(f"SELECT '{r.table}' AS \"table\", CAST(__id AS VARCHAR) AS record_id, __owner AS owner_id, "
                         f"'{r.key}' AS rule, '{r.severity}' AS severity, {_text(r.message or r.rule)} AS message "
                         f"FROM ({rel}) WHERE {self._rule_sql(r)}")
        if not parts:
            return []
        where = ""
        params: list[Any] = []
        if owner_ids is not None:
            where = "WHERE owner_id IN (SELECT unnest(?::VARCHAR[]))"
            params.append(sorted(owner_ids))
        sql = (f"SELECT * FROM ({' UNION ALL '.join(parts)}) {where} "
               f"ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, \"table\", rule, "
               f"record_id LIMIT {int(limit)}")
        cur = self.con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def rule_counts(self) -> list[dict[str, Any]]:
        """Each rule with the records it checked and how many break it."""
        out = []
        for r in self.dq.rules:
            rel = relation(self.model, r.table, self.as_of)
            when = parse(r.when).to_sql(now=self.as_of) if r.when else "TRUE"
            checked, broken = self.con.execute(
                f"SELECT count(*) FILTER (WHERE coalesce({when}, FALSE)), count(*) FILTER (WHERE {self._rule_sql(r)}) "
                f"FROM ({rel})").fetchall()[0]
            out.append({"rule": r.key, "table": r.table, "severity": r.severity, "checked": int(checked),
                        "broken": int(broken), "pass_rate": round(1 - broken / checked, 4) if checked else 1.0,
                        "message": r.message or r.rule})
        return out

    def fields(self, *, tables: list[str] | None = None) -> list[dict[str, Any]]:
        """The share filled of every tracked field."""
        out = []
        for table in tables or list(QUALITY_TABLES):
            tracked = self.dq.completeness.get(table, [])
            if not tracked:
                continue
            rel = relation(self.model, table, self.as_of)
            counts = ", ".join(f"count(*) FILTER (WHERE {_filled(f)})" for f in tracked)
            row = self.con.execute(f"SELECT count(*), {counts} FROM ({rel})").fetchall()[0]
            total = row[0]
            for name, n in zip(tracked, row[1:]):
                out.append({"table": table, "field": name, "records": int(total), "filled": int(n),
                            "completeness": round(n / total, 4) if total else 1.0})
        return out


def _filled(field: str) -> str:
    column = quote(field)
    return f"{column} IS NOT NULL AND trim(CAST({column} AS VARCHAR)) <> ''"


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


__all__ = ["KEYS", "QualityCheck", "TableScore"]
