"""Plan files (YAML) read into typed models, every mistake reported as FILE:LINE: what.

    plan = load_plan_file(Path("capacity.yaml"), CapacityPlan)      # PlanError on a mistake
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from revops.errors import RevopsError

M = TypeVar("M", bound=BaseModel)


class PlanError(RevopsError):
    """A plan file or planning request that cannot be used: where, what, and what to do."""


def load_plan_file(path: Path, model: type[M]) -> M:
    from revops.model.loader import locate_line, parse_yaml

    path = Path(path)
    if not path.exists():
        raise PlanError(f"no plan file at {path}; write one (docs/planning.md has an example)")
    text = path.read_text(encoding="utf-8")
    tree, issues = parse_yaml(text, str(path))
    if issues:
        first = issues[0]
        raise PlanError(f"{path}:{first.line}: {first.message}")
    try:
        return model.model_validate(_plain(tree))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            line = locate_line(tree, loc)
            where = ".".join(str(p) for p in loc) or "the file"
            problems.append(f"{path}:{line}: {where}: {_message(err)}")
        raise PlanError("\n".join(problems)) from None


def _plain(node: Any) -> Any:
    """ruamel's round-trip nodes as plain dicts and lists (their line numbers stay on ``tree``)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _message(err: dict[str, Any]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return "not a setting of this plan (check the spelling; docs/planning.md lists them)"
    if err["type"] == "missing":
        return "required"
    return msg
