"""`revops dedupe`: quality on the medium demo and speed on a million contacts (issue 8).

Targets: pairwise precision and recall of at least 0.95 each on the medium demo's injected
duplicate accounts and contacts (`truth_duplicates`); one million contacts deduplicated end to
end (`revops dedupe --table contacts --format json`: read, normalise, train, score, cluster,
print) in under 5 minutes.

The million contacts are synthetic, written here with their truth: people at 150,000 companies
(first and last names, e-mail styles and name stems from the demo's vocabulary, one mailbox per
address, unique company domains), 6% of them entered again by the demo's own duplicate
injector (nicknames, initials, typos, upper case, e-mail moved to gmail.com or padded, '.'
typed as '_'), with title, phone and account often missing on the copy.

Baseline, in the same run, on the same rows: duplicates as records sharing an e-mail address
(lower case, trimmed) in one DuckDB query, with its recall.

    IDENTITY_MEDIUM_DB=/path/medium.duckdb python benchmarks/run.py identity
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa

from benchmarks.common import WORK, BenchResult, revops_cmd, run_measured, timed

MILLION = 1_000_000
COMPANIES = 150_000
DUP_SHARE = 0.06
LIMIT_S = 300.0
MIN_SCORE = 0.95
SEED = 8


def medium_store() -> Path:
    given = os.environ.get("IDENTITY_MEDIUM_DB")
    if given:
        return Path(given)
    db = WORK / "demo_medium.duckdb"
    if not db.exists():
        WORK.mkdir(exist_ok=True)
        run_measured(revops_cmd("--db", str(db), "demo", "--scale", "medium"))
    return db


# -- a million contacts with known duplicates ---------------------------------------------------
def synthetic_contacts(n: int = MILLION, seed: int = SEED) -> tuple[pa.Table, pa.Table]:
    """(contacts, truth: cluster_id, record_id) with n rows in all, DUP_SHARE of them copies."""
    from revops.demo import duplicates as dup
    from revops.demo.vocabulary import COMPANY_ADJ, COMPANY_NOUN, COMPANY_TAIL, FIRST_NAMES, LAST_NAMES

    rng = np.random.default_rng(seed)
    originals = int(round(n / (1 + DUP_SHARE)))
    copies = n - originals
    adj, noun, tail = (np.array(list(w)) for w in (COMPANY_ADJ, COMPANY_NOUN, COMPANY_TAIL))
    codes = rng.choice(len(adj) * len(noun) * len(tail), COMPANIES, replace=False)
    a, b, c = np.unravel_index(codes, (len(adj), len(noun), len(tail)))
    stems = np.char.add(np.char.add(np.char.add(adj[a], " "), np.char.add(noun[b], " ")), tail[c])
    suffixes = rng.choice(np.array(["Inc", "LLC", "Ltd", "GmbH", "Corp", "SA", "BV", "Pty Ltd"]), COMPANIES)
    tlds = rng.choice(np.array(["com", "com", "com", "co.uk", "de", "fr", "nl", "io"]), COMPANIES)
    domains = np.char.add(np.char.add(np.char.lower(np.char.add(np.char.add(adj[a], noun[b]), tail[c])), "."), tlds)

    company = rng.integers(0, COMPANIES, originals)
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), originals)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), originals)]
    style = rng.choice(3, originals, p=[0.6, 0.25, 0.15])
    f_low, l_low = np.char.lower(first), np.char.lower(last)
    local = np.where(style == 0, np.char.add(np.char.add(f_low, "."), l_low),
                     np.where(style == 1, np.char.add(f_low.astype("<U1"), l_low), f_low))
    email = np.char.add(np.char.add(local, "@"), domains[company])
    email = _one_mailbox_per_address(email, local, domains[company])
    phone = np.where(rng.random(originals) < 0.75,
                     np.char.add("+1-", rng.integers(200_000_0000, 999_999_9999, originals).astype(str)), None)
    names = np.char.add(np.char.add(stems[company], " "), suffixes[company])

    picked = np.sort(rng.choice(originals, copies, replace=False))
    variants = [dup.person_variant(rng, f, l, e) for f, l, e in zip(first[picked], last[picked], email[picked])]
    copy_company = [dup.company_variant(rng, s, x) if rng.random() < 0.5 else f"{s} {x}"
                    for s, x in zip(stems[company[picked]], suffixes[company[picked]])]
    missing = rng.random((copies, 2)) < 0.4
    ids = np.char.add("con_", np.char.zfill(np.arange(n).astype(str), 8))
    account = np.char.add("acc_", np.char.zfill(company.astype(str), 7))
    copy_account = np.where(rng.random(copies) < 0.3, None, account[picked])
    contacts = pa.table({
        "contact_id": ids,
        "account_id": np.concatenate([account, copy_account]).tolist(),
        "email": np.concatenate([email, [v[2] for v in variants]]).tolist(),
        "first_name": np.concatenate([first, [v[0] for v in variants]]).tolist(),
        "last_name": np.concatenate([last, [v[1] for v in variants]]).tolist(),
        "phone": np.concatenate([phone, np.where(missing[:, 0], None, phone[picked])]).tolist(),
        "company": np.concatenate([names, copy_company]).tolist(),
    })
    truth = pa.table({"cluster_id": np.concatenate([ids[:originals], ids[picked]]), "record_id": ids})
    return contacts, truth


def _one_mailbox_per_address(email: np.ndarray, local: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """A mail server gives each address to one person: a second john@acme.com becomes john2@…"""
    order = np.argsort(email, kind="stable")
    sorted_email = email[order]
    rank = np.arange(len(email)) - np.searchsorted(sorted_email, sorted_email, side="left")
    nth = np.empty(len(email), dtype=int)
    nth[order] = rank
    suffix = np.where(nth > 0, (nth + 1).astype(str), "")
    return np.char.add(np.char.add(np.char.add(local, suffix), "@"), domain)


def million_store() -> tuple[Path, pa.Table]:
    from revops.store import Store

    WORK.mkdir(exist_ok=True)
    db = WORK / "identity_1m.duckdb"
    contacts, truth = synthetic_contacts()
    if db.exists():
        db.unlink()
    with Store(db) as store:
        store.append("contacts", contacts)
    return db, truth


# -- measuring -------------------------------------------------------------------------------------
def _score(rows: list[dict], truth_rows: list[tuple[str, str]]):
    from revops.engines.identity.evaluate import cluster_pairs, pairwise_score

    found = cluster_pairs([(r["cluster_id"], r["record_id"]) for r in rows])
    return pairwise_score(found, cluster_pairs(truth_rows))


def _dedupe(db: Path, table: str) -> tuple[float, int, list[dict]]:
    wall, peak, proc = run_measured(revops_cmd("--db", str(db), "dedupe", "--table", table, "--format", "json"))
    return wall, peak, json.loads(proc.stdout)


def _exact_email(con, truth_rows):
    from revops.engines.identity.evaluate import cluster_pairs, pairwise_score

    def baseline():
        return con.sql("SELECT min(contact_id) OVER (PARTITION BY lower(trim(email))) AS cluster_id, contact_id "
                       "FROM contacts WHERE email IS NOT NULL").fetchall()

    seconds, rows = timed(baseline)
    return seconds, pairwise_score(cluster_pairs(rows), cluster_pairs(truth_rows))


def run() -> list[BenchResult]:
    import duckdb

    results = []
    medium = medium_store()
    with duckdb.connect(str(medium), read_only=True) as con:
        truth = {t: [(str(c), str(r)) for c, r in con.execute(
            "SELECT cluster_id, record_id FROM truth_duplicates WHERE table_name = ?", [t]).fetchall()]
            for t in ("accounts", "contacts")}
        t_base, base = _exact_email(con, truth["contacts"])
    for table in ("accounts", "contacts"):
        wall, peak, rows = _dedupe(medium, table)
        score = _score(rows, truth[table])
        ok = score.precision >= MIN_SCORE and score.recall >= MIN_SCORE
        notes = [f"{table}: {score.true_pairs:,} true pairs, {score.found_pairs:,} found, "
                 f"{score.correct_pairs:,} correct; {wall:.1f} s, peak {peak / 2**20:,.0f} MiB"]
        baseline = (f"exact e-mail match: precision {base.precision:.3f}, recall {base.recall:.3f} in {t_base:.2f} s"
                    if table == "contacts" else "no baseline (accounts have no e-mail)")
        results.append(BenchResult(
            f"identity: {table} duplicates, medium demo", "precision and recall >= 0.95",
            f"precision {score.precision:.3f}, recall {score.recall:.3f}", baseline,
            (score.recall / base.recall) if table == "contacts" and base.recall else None, ok, notes))

    db, million_truth = million_store()
    truth_rows = list(zip(million_truth["cluster_id"].to_pylist(), million_truth["record_id"].to_pylist()))
    wall, peak, rows = _dedupe(db, "contacts")
    score = _score(rows, truth_rows)
    with duckdb.connect(str(db), read_only=True) as con:
        t_base, base = _exact_email(con, truth_rows)
    db.unlink(missing_ok=True)
    results.append(BenchResult(
        "identity: 1M contacts deduplicated end to end", "< 300 s",
        f"{wall:.0f} s (precision {score.precision:.3f}, recall {score.recall:.3f}; peak {peak / 2**30:.1f} GiB)",
        f"exact e-mail match in DuckDB: {t_base:.1f} s (precision {base.precision:.3f}, recall {base.recall:.3f})",
        wall / t_base if t_base else None, wall < LIMIT_S,
        [f"1M: {score.true_pairs:,} true pairs, {score.found_pairs:,} found, {score.correct_pairs:,} correct"]))
    return results
