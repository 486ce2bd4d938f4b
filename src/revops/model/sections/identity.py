"""`identity`: when two records are one company or one person, and what a merge keeps.

    identity:
      contacts:
        match_threshold: 0.9           # pairs at or above: the same person; merged by --apply
        review_threshold: 0.5          # pairs from here up to match_threshold: listed for review
        survivor: most_complete        # which record lives on (keeps its id)
        fields:                        # how each field of the survivor is filled
          default: most_complete       # the longest value any record of the cluster has
          title: most_recent           # the value of the most recently updated record having one
          phone: {source_priority: [crm, import, api]}   # by records.source, in this order
      leads: {match_threshold: 0.9}
      accounts: {match_threshold: 0.9}
      account_matching:                # lead-to-account matching (routing's account_match node)
        fuzzy_threshold: 0.92
        min_prefix_length: 4

docs/identity.md explains the weights, the levels and the merge record.
"""

from __future__ import annotations

from typing import Literal, Union

from pydantic import Field, model_validator

from revops.model.sections.base import Section

SurvivorRule = Literal["most_complete", "most_recent", "oldest"]
"""most_complete: the record with the most fields filled; most_recent: the most recently updated;
oldest: the first created (the id other systems have known longest)."""


class SourcePriority(Section):
    source_priority: list[str] = Field(min_length=1)
    """Values of the records' ``source`` column, most trusted first; a record whose source is not
    listed comes after the listed ones, the most recent first."""


FieldRule = Union[Literal["most_complete", "most_recent", "oldest"], SourcePriority]
"""most_complete: the longest value ("Robert" over "Bob", a full phone over a short one);
most_recent / oldest: the value of the most recently updated / first created record having
one; {source_priority: [...]}: the value of the most trusted source having one."""


class DedupeRules(Section):
    match_threshold: float = Field(0.9, gt=0, le=1)
    """Pairs whose match probability is at least this are the same entity: clustered, and merged
    by `revops dedupe --apply`."""
    review_threshold: float = Field(0.5, gt=0, le=1)
    """Pairs from this probability up to match_threshold are listed for a person to review, never
    merged."""
    survivor: SurvivorRule | SourcePriority = "most_complete"
    """Which record of a cluster survives the merge and keeps its id."""
    fields: dict[str, FieldRule] = Field(default_factory=lambda: {"default": "most_complete"})
    """How each field of the survivor is filled from the cluster; `default` for the fields not
    named."""
    min_records_to_train: int = Field(500, ge=10)
    """Tables with fewer records use the built-in prior weights instead of training by EM."""

    @model_validator(mode="after")
    def _review_below_match(self) -> DedupeRules:
        if self.review_threshold > self.match_threshold:
            raise ValueError(f"review_threshold ({self.review_threshold}) is above match_threshold "
                             f"({self.match_threshold}): review pairs are the ones just below a match")
        return self


class AccountMatching(Section):
    fuzzy_threshold: float = Field(0.92, gt=0.5, le=1)
    """Jaro-Winkler similarity of two normalised names from which they match, the last method tried."""
    min_prefix_length: int = Field(4, ge=2, le=20)
    """The shortest name that may match as the first part of a longer one ("Chevron" in
    "ChevronTexaco"); shorter names match only whole."""
    extra_free_mail_domains: list[str] = Field(default_factory=list)
    """More personal e-mail domains that never identify a company (gmail.com and ~50 others are built in)."""


class Identity(Section):
    contacts: DedupeRules = Field(default_factory=DedupeRules)
    leads: DedupeRules = Field(default_factory=DedupeRules)
    accounts: DedupeRules = Field(default_factory=DedupeRules)
    account_matching: AccountMatching = Field(default_factory=AccountMatching)

    def rules(self, table: str) -> DedupeRules:
        return getattr(self, table)
