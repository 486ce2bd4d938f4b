"""The identity engine's error (to join revops/errors.py's hierarchy when that file is next edited)."""

from __future__ import annotations

from revops.errors import RevopsError


class IdentityError(RevopsError):
    """Duplicates cannot be found or merged as asked: unknown table, merge or backend, or a merge
    that cannot be undone as asked."""
