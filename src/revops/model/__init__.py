"""The revenue model as code: revops.yaml, typed, validated, with file:line errors.

    from revops.model import load_model
    model = load_model(Path("revops.yaml"))   # or None for the built-in default
    model.stage("proposal").probability        # 0.6

Names are imported lazily so that ``revops.model.expressions`` stays light to import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from revops.model.issues import ModelIssue
    from revops.model.schema import RevenueModel

__all__ = ["ModelIssue", "RevenueModel", "default_model_text", "load_model", "validate_file"]


def load_model(path: Path | str | None = None) -> RevenueModel:
    """The revenue model at ``path`` (None: the built-in default).

    Raises :class:`revops.errors.ModelError` listing every error as FILE:LINE: message;
    ``.issues`` holds them (and the warnings) as :class:`ModelIssue`.
    """
    from revops.errors import ModelError
    from revops.model.issues import error_summary
    from revops.model.loader import check

    model, issues = check(Path(path) if path is not None else None, trust_default=True)
    if model is None or any(i.is_error for i in issues):
        raise ModelError(error_summary(issues), issues)
    return model


def validate_file(path: Path | str | None) -> list[ModelIssue]:
    """Every problem (errors and warnings) in the model at ``path``; empty when clean."""
    from revops.model.loader import check

    return check(Path(path) if path is not None else None)[1]


def default_model_text() -> str:
    """The built-in revops.yaml, with comments explaining each definition."""
    from revops.model.schema import default_model_text as text

    return text()


def __getattr__(name: str) -> Any:
    if name == "RevenueModel":
        from revops.model.schema import RevenueModel

        return RevenueModel
    if name == "ModelIssue":
        from revops.model.issues import ModelIssue

        return ModelIssue
    raise AttributeError(f"module 'revops.model' has no attribute {name!r}")
