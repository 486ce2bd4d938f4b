"""One exception hierarchy for revops. Every error says what, where and what to do."""

from __future__ import annotations


class RevopsError(Exception):
    """Base of every error revops raises on purpose. The CLI prints it and exits 1."""

    exit_code = 1


class ModelError(RevopsError):
    """The revenue model (revops.yaml) is invalid. Carries the issues found."""

    def __init__(self, message: str, issues: list | None = None) -> None:
        super().__init__(message)
        self.issues = issues or []


class ExpressionError(RevopsError):
    """An expression in the model's expression language could not be parsed or checked."""

    def __init__(self, message: str, expression: str = "", position: int | None = None) -> None:
        super().__init__(message)
        self.expression = expression
        self.position = position


class StoreError(RevopsError):
    """The store cannot be opened or does not hold what was asked for."""


class IngestError(RevopsError):
    """A file cannot be ingested at all (as opposed to rows quarantined one by one)."""


class MetricError(RevopsError):
    """A metric cannot be computed as asked: unknown name, dimension, period or filter."""


class TrainingError(RevopsError):
    """A predictive model cannot be trained or loaded: too little history, no such version."""


class SlaError(RevopsError):
    """SLA clocks cannot be read as asked: unknown SLA, state or time, or an event the store cannot give."""


class DealError(RevopsError):
    """A deal cannot be moved or checked as asked: unknown deal, stage, rule, or a refused stage gate."""


class ForecastError(RevopsError):
    """A forecast, a forecast call or a pipeline flow cannot be given as asked: unknown period or user, an adjustment without a note."""


class AttributionError(RevopsError):
    """Attribution cannot be computed as asked: unknown model or option, a paths file that
    cannot be read (with file:line), or a store without the touches it needs."""
