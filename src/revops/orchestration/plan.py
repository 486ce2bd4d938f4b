"""Where a run is: run ids, step keys and positions in a workflow's tree of steps.

A position names a step by its path: ``"2"`` is the third top-level step, ``"2.then.0"`` the
first step under its ``then``. A step's key, ``RUN_ID:POSITION``, is its idempotency key: the
same step of the same run is done once, however often it is tried.
"""

from __future__ import annotations

import hashlib

from revops.model.sections.workflows import Step, Workflow


def run_id(workflow: str, trigger_key: str) -> str:
    """The run a trigger starts: the same workflow and trigger give the same run, once."""
    return "R" + hashlib.sha256(f"{workflow}|{trigger_key}".encode()).hexdigest()[:23]


def step_key(run: str, position: str) -> str:
    return f"{run}:{position}"


def derived_id(prefix: str, key: str) -> str:
    """The id of a record a step creates (task, opportunity, touch): fixed by the step's key."""
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:20]


def _parse(position: str) -> list[int | str]:
    return [int(p) if p.isdigit() else p for p in position.split(".")]


def step_at(workflow: Workflow, position: str) -> Step:
    """The step at ``position``; KeyError when the model no longer has it."""
    steps, step = workflow.steps, None
    parts = _parse(position)
    try:
        for i in range(0, len(parts), 2):
            step = steps[int(parts[i])]
            if i + 1 < len(parts):
                steps = step.then if parts[i + 1] == "then" else step.else_
    except (IndexError, ValueError, AttributeError):
        raise KeyError(f"workflow {workflow.key} has no step {position}") from None
    assert step is not None
    return step


def next_position(workflow: Workflow, position: str, branch: str | None = None) -> str | None:
    """The step after the one at ``position`` (for an `if`, into the ``branch`` it took);
    None when the run is done."""
    if branch is not None:
        step = step_at(workflow, position)
        if (step.then if branch == "then" else step.else_):
            return f"{position}.{branch}.0"
    parts = position.split(".")
    while parts:
        index = int(parts[-1]) + 1
        parent = parts[:-1]
        siblings = _siblings(workflow, parent)
        if index < len(siblings):
            return ".".join([*parent, str(index)])
        parts = parent[:-1]  # leave the branch: continue after the `if` that holds it
    return None


def _siblings(workflow: Workflow, parent: list[str]) -> list[Step]:
    if not parent:
        return workflow.steps
    step = step_at(workflow, ".".join(parent[:-1]))
    return step.then if parent[-1] == "then" else step.else_
