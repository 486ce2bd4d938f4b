"""Near-duplicate records, as CRMs accumulate them: the same company or person entered
again with case and punctuation changes, a different legal suffix, typos, nicknames,
personal e-mail addresses and missing fields, under a new id.

Every record (originals and copies) is written to ``truth_duplicates`` with the id of
the original as its cluster, so singletons are their own cluster.
"""

from __future__ import annotations

import numpy as np

from revops.demo.vocabulary import NICKNAMES

SUFFIXES = ("Inc", "Inc.", "LLC", "Ltd", "Corp", "Corp.", "Corporation", "Limited", "Co.")


def typo(rng: np.random.Generator, word: str) -> str:
    """Swap two neighbouring letters, drop one, or double one."""
    if len(word) < 4:
        return word + word[-1]
    i = int(rng.integers(1, len(word) - 2))
    kind = rng.integers(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def company_variant(rng: np.random.Generator, stem: str, suffix: str) -> str:
    """A messy re-entry of ``stem suffix``: one or two changes that keep it recognisable."""
    name_stem, name_suffix, sep = stem, suffix, " "
    changes = rng.choice(5, size=int(rng.integers(1, 3)), replace=False)
    for c in changes:
        if c == 0:
            name_stem = name_stem.upper() if rng.random() < 0.5 else name_stem.lower()
        elif c == 1:
            name_suffix = "" if rng.random() < 0.5 else str(rng.choice(SUFFIXES))
        elif c == 2:
            sep = ", "
            name_suffix = name_suffix if name_suffix.endswith(".") else name_suffix + "."
        elif c == 3:
            words = name_stem.split(" ")
            k = int(rng.integers(len(words)))
            words[k] = typo(rng, words[k])
            name_stem = " ".join(words)
        else:
            name_stem = name_stem.replace(" ", "", 1) if rng.random() < 0.5 else name_stem
    return f"{name_stem}{sep}{name_suffix}".strip().rstrip(",")


def domain_variant(rng: np.random.Generator, domain: str) -> str | None:
    u = rng.random()
    if u < 0.5:
        return domain
    if u < 0.65:
        return "www." + domain
    if u < 0.75:
        return "https://" + domain + "/"
    return None


def person_variant(rng: np.random.Generator, first: str, last: str, email: str) -> tuple[str, str, str]:
    """Same person: nickname or initial, typo'd or re-cased last name, e-mail changed."""
    changes = rng.choice(4, size=int(rng.integers(1, 3)), replace=False)
    f, l, e = first, last, email
    for c in changes:
        if c == 0:
            f = NICKNAMES.get(f, f[0] + ".") if rng.random() < 0.7 else f.upper()
        elif c == 1:
            l = typo(rng, l) if rng.random() < 0.6 else l.upper()
        elif c == 2:
            e = e.upper() if rng.random() < 0.4 else e.split("@")[0] + "@gmail.com"
        else:
            e = " " + e + " " if rng.random() < 0.3 else e.replace(".", "_", 1)
    return f, l, e
