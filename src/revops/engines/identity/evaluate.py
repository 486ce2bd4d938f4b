"""How good the duplicate finder is against known truth (the demo's ``truth_duplicates``):
pairwise precision and recall over the pairs of records put in one cluster."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class PairwiseScore:
    true_pairs: int
    found_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {"true_pairs": self.true_pairs, "found_pairs": self.found_pairs, "correct_pairs": self.correct_pairs,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


def cluster_pairs(clusters: Mapping[str, Iterable[str]] | Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every pair of records sharing a cluster, ordered (a, b) with a < b. ``clusters``: cluster
    id -> record ids, or (cluster_id, record_id) rows."""
    members: dict[str, list[str]] = {}
    if isinstance(clusters, Mapping):
        members = {c: list(ids) for c, ids in clusters.items()}
    else:
        for cluster_id, record_id in clusters:
            members.setdefault(cluster_id, []).append(record_id)
    pairs = set()
    for ids in members.values():
        for a, b in combinations(sorted(set(ids)), 2):
            pairs.add((a, b))
    return pairs


def pairwise_score(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> PairwiseScore:
    return PairwiseScore(len(truth), len(found), len(found & truth))


def truth_pairs(con, table: str) -> set[tuple[str, str]]:
    """The pairs of ``truth_duplicates`` for one table."""
    rows = con.execute("SELECT cluster_id, record_id FROM truth_duplicates WHERE table_name = ?", [table]).fetchall()
    return cluster_pairs([(str(c), str(r)) for c, r in rows])
