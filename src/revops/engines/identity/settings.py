"""What the duplicate finder compares, per table: blocking rules (which pairs are looked at at
all), comparisons (how alike two records are, field by field, in levels) and the rules EM
trains the weights on.

The definitions are Splink's backend-neutral ``SettingsCreator``; they become DuckDB or Spark
SQL only when a linker is built (``train``). Each level carries a label in words, which is
what ``explain`` tells the analyst, and a prior m / u pair used when a table is too small to
train on (``min_records_to_train``).
"""

from __future__ import annotations

from dataclasses import dataclass

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

# (m, u) priors: how often the level is seen between two records of one entity, and between two
# different entities picked at random.
STRONG = (0.85, 0.0005)
MEDIUM = (0.08, 0.005)
WEAK = (0.04, 0.05)
NONE_ = (0.03, 0.9445)


def _level(creator, label: str, prior: tuple[float, float]):
    return creator.configure(label_for_charts=label, m_probability=prior[0], u_probability=prior[1])


def _fixed(creator, label: str, prior: tuple[float, float]):
    return creator.configure(label_for_charts=label, m_probability=prior[0], u_probability=prior[1],
                             fix_m_probability=True, fix_u_probability=True)


def _null(column: str, what: str):
    return cll.NullLevel(column).configure(label_for_charts=f"{what} missing on one side")


def _else(label: str):
    return _level(cll.ElseLevel(), label, NONE_)


def _exact(column: str, label: str, prior=STRONG):
    return _level(cll.ExactMatchLevel(column), label, prior)


def _custom(sql: str, label: str, prior=MEDIUM):
    return _level(cll.CustomLevel(sql), label, prior)


def email() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="email", comparison_levels=[
        _null("email_local", "e-mail"),
        _exact("email_key", "same e-mail address", (0.85, 0.00005)),
        # A mailbox name is mostly the person's name, which the name comparisons already count:
        # these levels have fixed, modest weights rather than ones EM would double-count.
        _fixed(cll.CustomLevel("email_local_l = email_local_r AND (email_domain_l IS NULL OR email_domain_r IS NULL)"),
               "same mailbox name, one of them at a free-mail provider", (0.3, 0.01)),
        _fixed(cll.ExactMatchLevel("email_local"), "same mailbox name at two companies' domains", (0.05, 0.01)),
        _level(cll.JaroWinklerLevel("email_local", 0.9), "similar mailbox names", WEAK),
        _else("different e-mail addresses"),
    ])


def first_name() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="first_name", comparison_levels=[
        _null("first_name", "first name"),
        _exact("first_name", "same first name (nicknames read as the full name)", (0.8, 0.01)),
        _custom("(length(first_name_l) = 1 OR length(first_name_r) = 1) AND "
                "substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)",
                "first name given as its initial", (0.08, 0.01)),
        _level(cll.JaroWinklerLevel("first_name", 0.88), "similar first names", (0.06, 0.02)),
        _else("different first names"),
    ])


def last_name() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="last_name", comparison_levels=[
        _null("last_name", "last name"),
        _exact("last_name", "same last name", (0.85, 0.005)),
        _level(cll.DamerauLevenshteinLevel("last_name", 1), "last names one typo apart", (0.1, 0.001)),
        _level(cll.JaroWinklerLevel("last_name", 0.88), "similar last names", (0.03, 0.01)),
        _else("different last names"),
    ])


def phone() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="phone", comparison_levels=[
        _null("phone", "phone"),
        _exact("phone", "same phone number", (0.9, 0.0001)),
        _else("different phone numbers"),
    ])


def company(with_account: bool) -> cl.CustomComparison:
    levels = [_null("company", "company")] if not with_account else [
        cll.And(cll.NullLevel("company"), cll.NullLevel("account_id")).configure(
            label_for_charts="company and account missing on one side")]
    if with_account:
        levels.append(_exact("account_id", "same account", (0.6, 0.0005)))
    levels += [
        _exact("company", "same company name", (0.3, 0.001)),
        _level(cll.DamerauLevenshteinLevel("company", 2), "company names a typo or two apart", (0.05, 0.0005)),
        _level(cll.JaroWinklerLevel("company", 0.9), "similar company names", (0.02, 0.01)),
        _else("different companies"),
    ]
    return cl.CustomComparison(output_column_name="company", comparison_levels=levels)


def account_name() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="name", comparison_levels=[
        _null("name_compact", "name"),
        _exact("name_key", "same name (case, punctuation and legal form aside)", (0.6, 0.0001)),
        _exact("name_compact", "same name but for spaces", (0.15, 0.00001)),
        _level(cll.DamerauLevenshteinLevel("name_compact", 1), "names one typo apart", (0.15, 0.0002)),
        _level(cll.DamerauLevenshteinLevel("name_compact", 2), "names two typos apart", (0.05, 0.001)),
        # Companies that share the start of a name (and often a domain) are usually different
        # companies - a division, a sister brand: similar-but-not-close names weigh little.
        _fixed(cll.JaroWinklerLevel("name_compact", 0.9), "similar names", (0.02, 0.005)),
        _else("different names"),
    ])


def domain() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="domain", comparison_levels=[
        _null("domain", "web domain"),
        _exact("domain", "same web domain", (0.95, 0.0002)),
        _else("different web domains"),
    ])


def same_or_not(column: str, what: str, prior=(0.95, 0.1)) -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name=column, comparison_levels=[
        _null(column, what),
        _exact(column, f"same {what}", prior),
        _else(f"different {what}"),
    ])


def employees() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="employees", comparison_levels=[
        _null("employees", "employee count"),
        _exact("employees", "same employee count", (0.9, 0.01)),
        _level(cll.PercentageDifferenceLevel("employees", 0.2), "employee counts within 20%", (0.05, 0.1)),
        _else("different employee counts"),
    ])


@dataclass(frozen=True)
class TableSettings:
    """How one table is deduplicated: the Splink settings and the EM training rules."""

    table: str
    settings: SettingsCreator
    training_rules: tuple
    """Blocking rules EM trains the m probabilities on, one after the other."""
    sure_rules: tuple
    """Rules that admit (almost) only true duplicates, to estimate how many there are."""
    sure_recall: float
    """The share of all duplicates the sure rules are thought to find."""


def _moved_mailbox(*columns: str) -> CustomRule:
    same = " AND ".join(f"l.{c} = r.{c}" for c in columns)
    return CustomRule(f"{same} AND (l.email_domain IS NULL OR r.email_domain IS NULL)")


def _person(table: str) -> TableSettings:
    with_account = table == "contacts"
    blocking = [
        block_on("email_key"),
        # The same mailbox at a free-mail provider: a work address moved to gmail.com. (Between two
        # companies' domains a shared mailbox is mostly a shared name: too many pairs, little news.)
        _moved_mailbox("email_local", "last_name"),
        _moved_mailbox("email_named", "first_name"),
        block_on("phone"),
        block_on("email_domain", "last_name"),
        block_on("first_name", "last_name", "company"),
    ]
    comparisons = [email(), first_name(), last_name(), phone(), company(with_account)]
    settings = SettingsCreator(
        link_type="dedupe_only", comparisons=comparisons, blocking_rules_to_generate_predictions=blocking,
        probability_two_random_records_match=0.00002, retain_intermediate_calculation_columns=True,
        retain_matching_columns=True, max_iterations=20, unique_id_column_name="unique_id",
    )
    training = (block_on("email_key"), block_on("first_name", "last_name", "company"))
    sure = (block_on("email_key", "last_name"), block_on("first_name", "last_name", "phone"))
    return TableSettings(table, settings, training, sure, 0.7)


def _accounts() -> TableSettings:
    blocking = [
        block_on("domain"),
        block_on("name_compact"),
        block_on("name_first", "name_second"),
        block_on("name_first", "name_last"),
        block_on("name_second", "name_last"),
    ]
    comparisons = [account_name(), domain(), same_or_not("country", "country"),
                   same_or_not("industry", "industry", (0.9, 0.12)), employees(),
                   same_or_not("owner_id", "owner", (0.5, 0.02))]
    settings = SettingsCreator(
        link_type="dedupe_only", comparisons=comparisons, blocking_rules_to_generate_predictions=blocking,
        probability_two_random_records_match=0.00005, retain_intermediate_calculation_columns=True,
        retain_matching_columns=True, max_iterations=20, unique_id_column_name="unique_id",
    )
    training = (block_on("domain", "employees"), block_on("name_compact"))
    sure = (block_on("name_key", "domain"),)
    return TableSettings("accounts", settings, training, sure, 0.5)


def table_settings(table: str) -> TableSettings:
    """The settings of ``table`` (contacts, leads or accounts); a fresh object each call, as
    training writes into it."""
    return _accounts() if table == "accounts" else _person(table)
