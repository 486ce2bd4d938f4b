"""``QualityCheck``: the data-quality parts and score of each table (and owner) as of a moment.

For a table (records created by ``as_of``):

- validity: the share of records that break no rule of ``data_quality.rules`` (a rule's
  ``when`` picks the records it checks; a rule that is null passes);
- completeness: the share of the tracked fields (``data_quality.completeness``) that are filled,
  over the live records (open deals, open leads; every contact and account; an empty string
  counts as empty): a closed deal's next step no longer matters;
- uniqueness: 1 - the duplicate rate: the share of records that repeat an earlier record's
  exact key (``records.DUPLICATE_KEYS``: e-mail, bare domain, account and deal name);
- freshness: the share of live records with a date (updated_at, else created_at; deals: their
  last activity too) updated within ``stale_after_days`` of ``as_of``; records without any date
  are unknown, not stale;
- score = 100 x the weighted mean of the parts (``data_quality.weights``).

A part with nothing to judge (an empty table, no dates, no limit) is None (n/a) and the score
is the weighted mean of the others; an empty table has no score. For a moment in the past
(--as-of), deals are taken as they stood then from their stage history (the metrics layer's
reading); other records as they are now, if created by then. By owner, every part is
the owner's records' (contacts belong to their account's owner).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from revops.engines.quality.records import DUPLICATE_KEYS, FRESHNESS_TIME, KEYS, LIVE, deals_as_of, relation
from revops.model.expressions import parse
from revops.model.sections.quality import QUALITY_TABLES
from revops.store.store import quote


@dataclass(frozen=True)
class TableScore:
    table: str
    owner_id: str | None
    records: int
    validity: float | None
    completeness: float | None
    uniqueness: float | None
    freshness: float | None
    score: float | None
    """None: nothing to judge (an empty table)."""
    violations: int
    duplicates: int
    stale: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class QualityCheck:
    def __init__(self, con: Any, model: Any, *, as_of: datetime, now: datetime | None = None) -> None:
        from revops.store.store import utcnow

        self.con = con
        self.model = model
        self.as_of = as_of
        self.dq = model.data_quality
        # a moment in the past: deals as they stood then (their history), not as they are now
        past = as_of < (now or utcnow()) - timedelta(days=1)
        self._past_deals = deals_as_of(con, model, as_of) if past else None

    def relation(self, table: str) -> str:
        return relation(self.model, table, self.as_of, self._past_deals)

    # -- the parts ------------------------------------------------------------------------
    def scores(self, *, tables: list[str] | None = None, by_owner: bool = False) -> list[TableScore]:
        out: list[TableScore] = []
        for table in tables or list(QUALITY_TABLES):
            out.extend(self._table_scores(table, by_owner))
        return out

    def _table_scores(self, table: str, by_owner: bool) -> list[TableScore]:
        rel = self.relation(table)
        broken = self._broken_sql(table)
        tracked = self.dq.completeness.get(table, [])
        live = LIVE.get(table, "TRUE")
        filled = " + ".join(f"(CASE WHEN {_filled(f)} THEN 1 ELSE 0 END)" for f in tracked) or "0"
        stale_days = self.dq.stale_after_days.get(table)
        moment = FRESHNESS_TIME.get(table, "coalesce(updated_at, created_at)")
        now = f"TIMESTAMP '{self.as_of.isoformat(sep=' ')}'"
        stale = f"{moment} < {now} - INTERVAL {int(stale_days or 0)} DAY"
        group = "__owner" if by_owner else "NULL"
        sql = f"""
            WITH r AS ({rel}),
            k AS (SELECT *, {DUPLICATE_KEYS[table]} AS __key FROM r),
            d AS (SELECT *, __key IS NOT NULL AND row_number() OVER (PARTITION BY __key ORDER BY created_at NULLS LAST,
                         __id) > 1 AS __duplicate FROM k)
            SELECT {group} AS owner_id, count(*) AS records,
                   count(*) FILTER (WHERE {broken}) AS violations,
                   sum(CASE WHEN {live} THEN {filled} ELSE 0 END) AS filled,
                   count(*) FILTER (WHERE __duplicate) AS duplicates,
                   count(*) FILTER (WHERE {live}) AS live,
                   count(*) FILTER (WHERE ({live}) AND {moment} IS NOT NULL) AS dated,
                   count(*) FILTER (WHERE ({live}) AND {stale}) AS stale
            FROM d GROUP BY ALL ORDER BY owner_id NULLS FIRST"""
        rows = self.con.execute(sql).fetchall()
        out = []
        for owner, records, violations, filled_n, duplicates, live_n, dated_n, stale_n in rows:
            validity = 1 - violations / records if records else None
            completeness = float(filled_n) / (live_n * len(tracked)) if live_n and tracked else None
            uniqueness = 1 - duplicates / records if records else None
            freshness = 1 - stale_n / dated_n if dated_n and stale_days else None
            out.append(TableScore(table, owner, int(records), _round(validity), _round(completeness),
                                  _round(uniqueness), _round(freshness), self._score(validity, completeness,
                                                                                     uniqueness, freshness),
                                  int(violations), int(duplicates), int(stale_n)))
        if not out and not by_owner:
            out.append(TableScore(table, None, 0, None, None, None, None, None, 0, 0, 0))
        return out

    def _score(self, *parts: float | None) -> float | None:
        """100 x the weighted mean of the parts that could be measured (weights re-normalised);
        None when none could."""
        w = self.dq.weights
        weights = (w.validity, w.completeness, w.uniqueness, w.freshness)
        known = [(p, wt) for p, wt in zip(parts, weights) if p is not None and wt > 0]
        total = sum(wt for _, wt in known)
        return round(100 * sum(p * wt for p, wt in known) / total, 1) if total else None

    def _broken_sql(self, table: str) -> str:
        """SQL true for a record that breaks at least one rule of ``table``."""
        tests = [self._rule_sql(r) for r in self.dq.rules if r.table == table]
        return " OR ".join(f"({t})" for t in tests) or "FALSE"

    def _rule_sql(self, rule: Any) -> str:
        check = parse(rule.rule).to_sql(now=self.as_of)
        when = parse(rule.when).to_sql(now=self.as_of) if rule.when else "TRUE"
        return f"NOT __unknown AND coalesce({when}, FALSE) AND NOT coalesce({check}, TRUE)"

    # -- the records behind the numbers -----------------------------------------------------
    def violations(self, *, tables: list[str] | None = None, rule: str | None = None,
                   owner_ids: set[str] | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Records breaking a rule: table, record_id, owner_id, rule, severity, message."""
        parts = []
        for r in self.dq.rules:
            if (tables and r.table not in tables) or (rule and r.key != rule):
                continue
            rel = self.relation(r.table)
            parts.append(f"SELECT '{r.table}' AS \"table\", CAST(__id AS VARCHAR) AS record_id, __owner AS owner_id, "
                         f"'{r.key}' AS rule, '{r.severity}' AS severity, {_values(r.rule)} AS value, "
                         f"{_text(r.message or r.rule)} AS message FROM ({rel}) WHERE {self._rule_sql(r)}")
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
            rel = self.relation(r.table)
            when = parse(r.when).to_sql(now=self.as_of) if r.when else "TRUE"
            checked, broken = self.con.execute(
                f"SELECT count(*) FILTER (WHERE NOT __unknown AND coalesce({when}, FALSE)), "
                f"count(*) FILTER (WHERE {self._rule_sql(r)}) "
                f"FROM ({rel})").fetchall()[0]
            out.append({"rule": r.key, "table": r.table, "severity": r.severity, "checked": int(checked),
                        "broken": int(broken), "pass_rate": round(1 - broken / checked, 4) if checked else None,
                        "message": r.message or r.rule})
        return out

    def fields(self, *, tables: list[str] | None = None) -> list[dict[str, Any]]:
        """The share filled of every tracked field."""
        out = []
        for table in tables or list(QUALITY_TABLES):
            tracked = self.dq.completeness.get(table, [])
            if not tracked:
                continue
            rel = self.relation(table)
            counts = ", ".join(f"count(*) FILTER (WHERE {_filled(f)})" for f in tracked)
            row = self.con.execute(f"SELECT count(*), {counts} FROM ({rel})").fetchall()[0]
            total = row[0]
            for name, n in zip(tracked, row[1:]):
                out.append({"table": table, "field": name, "records": int(total), "filled": int(n),
                            "completeness": round(n / total, 4) if total else 1.0})
        return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _filled(field: str) -> str:
    column = quote(field)
    return f"{column} IS NOT NULL AND trim(CAST({column} AS VARCHAR)) <> ''"


def _values(rule: str) -> str:
    """SQL of the values the rule read, as ``field=value; …`` (what to fix)."""
    from revops.engines.deals.hygiene import fields_in_order

    names = [f for f in fields_in_order(parse(rule)) if f not in ("now", "today")]
    if not names:
        return "NULL"
    parts = [f"'{n}=' || coalesce(CAST({quote(n)} AS VARCHAR), 'null')" for n in names]
    return " || '; ' || ".join(parts)


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


__all__ = ["KEYS", "QualityCheck", "TableScore"]
