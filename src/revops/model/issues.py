"""Problems found in a revenue model, each with the file and line it is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
Path = tuple["str | int", ...]


@dataclass(frozen=True)
class ModelIssue:
    """One problem in revops.yaml, printed ``FILE:LINE: message``."""

    file: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "message": self.message, "severity": self.severity}


@dataclass(frozen=True)
class RuleIssue:
    """What a semantic rule found, addressed by its path in the model.

    The loader turns the path into a line. ``first`` is the path of an earlier definition
    the issue refers to (a duplicate's first occurrence), shown as "(first at line N)".
    """

    path: Path
    message: str
    severity: Severity = "error"
    first: Path | None = None


def error_summary(issues: list[ModelIssue]) -> str:
    errors = [i for i in issues if i.is_error]
    head = f"the revenue model has {len(errors)} error{'s' if len(errors) != 1 else ''}"
    return head + ":\n" + "\n".join(str(i) for i in issues)
