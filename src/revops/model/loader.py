"""Reading revops.yaml: YAML with line numbers, typed parse, semantic rules, file:line issues.

Stages, as in MetricFlow: (1) YAML syntax, duplicate keys; (2) typed parse with pydantic,
unknown keys rejected with a did-you-mean; (3) semantic rules (:mod:`revops.model.rules`)
that return issues. Every issue is located in the file by walking the YAML tree that
ruamel.yaml's round-trip loader keeps line and column numbers on.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from revops.model.issues import ModelIssue, RuleIssue
from revops.model.schema import DEFAULT_MODEL_FILE, RevenueModel, default_model_text


def default_model_path() -> str:
    return str(resources.files("revops.model").joinpath(DEFAULT_MODEL_FILE))


# -- locating paths in the YAML tree ---------------------------------------------------------
@dataclass
class ModelSource:
    """A parsed revops.yaml and the file it came from; sections it leaves out come from
    ``fallback`` (the built-in default)."""

    file: str
    tree: Any
    text: str = ""
    defaults_apply: bool = False  # sections it lacks come from the built-in default

    @property
    def fallback(self) -> ModelSource | None:
        return _default_source() if self.defaults_apply else None

    def locate(self, path: tuple) -> tuple[str, int]:
        """(file, line) of the deepest part of ``path`` present in the YAML."""
        if self.defaults_apply and path and (
            not hasattr(self.tree, "lc") or path[0] not in self.tree
        ) and path[0] in RevenueModel.model_fields:
            return self.fallback.locate(path)
        return self.file, locate_line(self.tree, path)

    def display(self, path: tuple) -> str:
        if path and not _has(self.tree, path[0]) and self.fallback is not None:
            return display_path(self.fallback.tree, path)
        return display_path(self.tree, path)


def _has(tree: Any, key: Any) -> bool:
    return isinstance(tree, dict) and key in tree


def locate_line(tree: Any, path: tuple) -> int:
    node = tree
    line = 1 if not hasattr(tree, "lc") else tree.lc.line + 1
    for seg in path:
        if isinstance(node, dict) and hasattr(node, "lc"):
            if seg in node:
                line = node.lc.key(seg)[0] + 1
                node = node[seg]
            # a segment the YAML lacks: a union tag (skip it) or a missing key (stay put)
        elif isinstance(node, list) and hasattr(node, "lc"):
            if isinstance(seg, int) and 0 <= seg < len(node):
                line = node.lc.item(seg)[0] + 1
                node = node[seg]
            else:
                break
        else:
            break
    return line


def display_path(tree: Any, path: tuple) -> str:
    """``pipeline.stages.proposal.probability``: list items shown by their key or name."""
    parts: list[str] = []
    node = tree
    for seg in path:
        if isinstance(seg, int):
            item = node[seg] if isinstance(node, list) and 0 <= seg < len(node) else None
            name = item.get("key", item.get("name")) if isinstance(item, dict) else None
            if isinstance(name, str) and name:
                parts.append(name)
            elif parts:
                parts[-1] += f"[{seg}]"
            else:
                parts.append(f"[{seg}]")
            node = item
        else:
            if isinstance(node, dict) and seg in node:
                parts.append(str(seg))
                node = node[seg]
            elif isinstance(node, dict) and "type" in node and seg == node.get("type"):
                continue  # a discriminated-union tag pydantic adds to the path
            else:
                parts.append(str(seg))
                node = None
    return ".".join(parts)


# -- reading ---------------------------------------------------------------------------------
def _yaml_error(file: str, text: str, exc: Exception) -> ModelIssue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if type(exc).__name__ == "DuplicateKeyError":
        key = problem.split('"')[1] if problem.count('"') >= 2 else "?"
        first = _first_occurrence(text, key, exc, mark)
        where = f" (first at line {first})" if first else ""
        return ModelIssue(file, line, f"duplicate key {key!r}{where}: a key may appear only once "
                                      "in a mapping; remove or rename one")
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return ModelIssue(file, line, f"YAML syntax error: {detail}")


def _first_occurrence(text: str, key: str, exc: Exception, mark: Any) -> int | None:
    """Line of the first ``key:`` in the mapping where ruamel found a duplicate."""
    ctx = getattr(exc, "context_mark", None)
    if ctx is None or mark is None:
        return None
    lines = text.splitlines()
    pattern = re.compile(r"^(?:[ -]*)" + re.escape(key) + r"\s*:")
    for n in range(ctx.line, mark.line):
        m = pattern.match(lines[n])
        if m and len(lines[n]) - len(lines[n].lstrip(" -")) == mark.column:
            return n + 1
    return None


def parse_yaml(text: str, file: str) -> tuple[Any, list[ModelIssue]]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except YAMLError as exc:
        return None, [_yaml_error(file, text, exc)]
    if tree is None:
        tree = _empty_map()
    if not isinstance(tree, dict):
        return None, [ModelIssue(file, 1, "the revenue model must be a YAML mapping of sections "
                                          "(company:, pipeline:, …)")]
    return tree, []


def _empty_map() -> Any:
    from ruamel.yaml.comments import CommentedMap

    return CommentedMap()


@lru_cache(maxsize=1)
def _default_source() -> ModelSource:
    tree, issues = parse_yaml(default_model_text(), default_model_path())
    assert not issues, issues
    return ModelSource(default_model_path(), tree, text=default_model_text())


def read_source(path: Path | None) -> tuple[ModelSource | None, list[ModelIssue]]:
    if path is None:
        return _default_source(), []
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [ModelIssue(file, 0, "no such file; create one with `revops init`")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ModelIssue(file, 0, f"cannot read the revenue model: {exc}")]
    tree, issues = parse_yaml(text, file)
    if issues:
        return None, issues
    return ModelSource(file, tree, text=text, defaults_apply=True), []


# -- typed parse -----------------------------------------------------------------------------
def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (str, int)) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def typed_parse(source: ModelSource) -> tuple[RevenueModel | None, list[ModelIssue]]:
    try:
        return RevenueModel.model_validate(_plain(source.tree)), []
    except ValidationError as exc:
        issues = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            if err["type"] == "union_tag_invalid":
                loc += ("type",)  # point at the type: line, not the node's first line
            file, line = source.locate(loc)
            issues.append(ModelIssue(file, line, _describe(source, err)))
        return None, _dedupe(issues)


def _describe(source: ModelSource, err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    where = source.display(loc)
    if kind == "extra_forbidden":
        parent = source.display(loc[:-1]) or "the top level"
        allowed = _allowed_keys(loc[:-1])
        match = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {match[0]!r}?" if match else (
            f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        return f"unknown key {loc[-1]!r} in {parent}{hint}"
    if kind == "missing":
        parent = source.display(loc[:-1]) or "the top level"
        return f"{parent}: missing required key {loc[-1]!r}"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return (f"{where}: unknown type {ctx.get('tag')!r}; "
                f"expected one of {ctx.get('expected_tags')}")
    if kind == "union_tag_not_found":
        return f"{where}: missing 'type' (one of {_node_types()})"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    value = err.get("input")
    shown = f" (got {value!r})" if kind.endswith("_type") or kind.endswith("_parsing") else ""
    return f"{where}: {msg}{shown}"


def _node_types() -> str:
    from revops.model.sections.routing import NODE_TYPES

    return ", ".join(NODE_TYPES)


def _dedupe(issues: list[ModelIssue]) -> list[ModelIssue]:
    seen: set[ModelIssue] = set()
    out = []
    for i in issues:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


def _unwrap(ann: Any) -> Any:
    while True:
        origin = get_origin(ann)
        if origin is typing.Annotated:
            ann = get_args(ann)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(ann) if a is not type(None)]
            if len(members) == 1:
                ann = members[0]
            else:
                return ann
        else:
            return ann


def _allowed_keys(loc: tuple) -> list[str]:
    """Keys the schema accepts at ``loc`` (for did-you-mean on an unknown key)."""
    ann: Any = RevenueModel
    for seg in loc:
        ann = _unwrap(ann)
        origin = get_origin(ann)
        if origin is list and isinstance(seg, int):
            ann = get_args(ann)[0]
        elif origin is dict:
            ann = get_args(ann)[1]
        elif origin in (Union, types.UnionType):
            ann = next((m for m in map(_unwrap, get_args(ann)) if _tag(m) == seg), None)
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            field = next((f for n, f in ann.model_fields.items() if (f.alias or n) == seg), None)
            if field is None:
                return []
            ann = field.annotation
        else:
            return []
        if ann is None:
            return []
    ann = _unwrap(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [f.alias or n for n, f in ann.model_fields.items()]
    return []


def _tag(model: Any) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel) and "type" in model.model_fields:
        args = get_args(model.model_fields["type"].annotation)
        return args[0] if args else None
    return None


# -- semantic rules --------------------------------------------------------------------------
def locate_rule_issues(source: ModelSource | None, found: list[RuleIssue]) -> list[ModelIssue]:
    issues = []
    for f in found:
        if source is None:
            issues.append(ModelIssue("<model>", 0, f.message, f.severity))
            continue
        file, line = source.locate(f.path)
        message = f"{source.display(f.path)}: {f.message}" if f.path else f.message
        if f.first is not None:
            first_file, first_line = source.locate(f.first)
            message += f" (first defined at {'' if first_file == file else first_file + ':'}line {first_line})"
        if file != source.file and f.path:
            message += (f" [{f.path[0]} comes from the built-in default model; add a {f.path[0]}: "
                        "section to your file to define your own]")
        issues.append(ModelIssue(file, line, message, f.severity))
    return issues


def check(path: Path | None, *, trust_default: bool = False) -> tuple[RevenueModel | None, list[ModelIssue]]:
    """Read, parse and check the model at ``path`` (None: the built-in default).

    With ``trust_default``, a model whose text is exactly the built-in default (``path``
    None, or an unedited ``revops init`` file) skips the semantic rules: the test suite
    runs them on the default (tests/model/test_model_default.py), and skipping them keeps
    the expression parser out of a plain ``revops validate`` or ``load_model(None)``.
    """
    source, issues = read_source(path)
    if source is None:
        return None, issues
    model, issues = typed_parse(source)
    if model is None:
        return None, issues
    if trust_default and source.text == default_model_text():
        return model, []
    from revops.model.rules import run_rules

    issues = locate_rule_issues(source, run_rules(model))
    issues.sort(key=lambda i: (i.file != source.file, i.file, i.line))
    return model, issues
