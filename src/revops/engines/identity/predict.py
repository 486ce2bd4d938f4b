"""Pairs and clusters: every pair of records the blocking rules bring together is scored; pairs
at or above the match threshold are joined into clusters (connected components: if A~B and
B~C, A, B and C are one entity); pairs between the review and match thresholds are listed for a
person to look at, never merged.

    result = find_duplicates(store.con, model, "contacts")
    result.pairs        # PairMatch(record_id_l, record_id_r, probability, reasons, status)
    result.clusters     # {cluster_id: [record ids]}, clusters of two or more only
    result.rows()       # the contract rows: cluster_id, record_id, match_probability, reasons
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from revops.engines.identity.explain import LevelBook, Reason, in_words
from revops.engines.identity.prepare import check_table, prepared_records
from revops.engines.identity.train import TrainedModel, train

Status = Literal["match", "review"]
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class PairMatch:
    record_id_l: str
    record_id_r: str
    probability: float
    match_weight: float
    reasons: tuple[Reason, ...]
    status: Status

    def as_row(self) -> dict[str, Any]:
        return {"record_id_l": self.record_id_l, "record_id_r": self.record_id_r,
                "match_probability": round(self.probability, 6), "match_weight": round(self.match_weight, 2),
                "status": self.status, "reasons": in_words(list(self.reasons))}


@dataclass
class DuplicateReport:
    """What `revops dedupe` finds in one table."""

    table: str
    match_threshold: float
    review_threshold: float
    records: int
    trained: bool
    pairs: list[PairMatch]
    clusters: dict[str, list[str]] = field(default_factory=dict)
    """Cluster id (its survivor once merged, see ``survivorship``) -> its record ids, the
    survivor first; only clusters of two or more records."""
    best: dict[str, PairMatch] = field(default_factory=dict)
    """Per clustered record, the strongest match pair that ties it to its cluster."""
    levels: list[dict[str, Any]] = field(default_factory=list)

    @property
    def matches(self) -> list[PairMatch]:
        return [p for p in self.pairs if p.status == "match"]

    @property
    def reviews(self) -> list[PairMatch]:
        return [p for p in self.pairs if p.status == "review"]

    def rows(self) -> list[dict[str, Any]]:
        """One row per clustered record: cluster_id, record_id, match_probability, reasons."""
        out = []
        for cluster_id, members in self.clusters.items():
            for record_id in members:
                pair = self.best[record_id]
                out.append({"cluster_id": cluster_id, "record_id": record_id,
                            "match_probability": round(pair.probability, 6),
                            "survivor": record_id == cluster_id,
                            "reasons": in_words(list(pair.reasons))})
        return out


def find_duplicates(con: Any, model: Any, table: str, *, backend: str | None = None,
                    progress: Progress | None = None, where: str | None = None) -> DuplicateReport:
    """Score the pairs of ``table`` in the store (a DuckDB connection) and cluster them."""
    from revops.engines.identity.survivorship import order_clusters

    say = progress or (lambda _msg: None)
    check_table(table)
    rules = model.identity.rules(table)
    say(f"reading and normalising {table}")
    records = prepared_records(con, table, where)
    trained = train(records, table, backend=backend, min_records=rules.min_records_to_train, progress=say)
    say("scoring pairs")
    pairs = score_pairs(trained, rules.review_threshold, rules.match_threshold)
    report = DuplicateReport(table, rules.match_threshold, rules.review_threshold, records.num_rows,
                             trained.trained, pairs, levels=trained.levels())
    say("clustering")
    groups = connected_components([(p.record_id_l, p.record_id_r) for p in report.matches])
    report.best = _best_pairs(report.matches)
    report.clusters = order_clusters(con, table, groups, rules)
    return report


def score_pairs(trained: TrainedModel, review_threshold: float, match_threshold: float) -> list[PairMatch]:
    linker = trained.linker
    predictions = linker.inference.predict(threshold_match_probability=review_threshold, warning_mode="never")
    table = predictions.as_pyarrow_table()
    book = LevelBook(linker)
    pairs = []
    for row in table.to_pylist():
        probability = float(row["match_probability"])
        status: Status = "match" if probability >= match_threshold else "review"
        left, right = sorted((str(row["unique_id_l"]), str(row["unique_id_r"])))
        pairs.append(PairMatch(left, right, probability, float(row["match_weight"]),
                               tuple(book.reasons(row)), status))
    pairs.sort(key=lambda p: (-p.probability, p.record_id_l, p.record_id_r))
    predictions.drop_table_from_database_and_remove_from_cache()
    return pairs


def connected_components(edges: list[tuple[str, str]]) -> list[list[str]]:
    """Groups of ids linked by ``edges`` (union-find), each sorted; only groups of two or more."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(root(x), []).append(x)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def _best_pairs(matches: list[PairMatch]) -> dict[str, PairMatch]:
    best: dict[str, PairMatch] = {}
    for pair in matches:  # strongest first
        best.setdefault(pair.record_id_l, pair)
        best.setdefault(pair.record_id_r, pair)
    return best
