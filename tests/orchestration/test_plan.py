"""Where a run goes next: positions through nested if / then / else, and the ids fixed by them."""

from __future__ import annotations

import pytest

from revops.model.sections.workflows import Workflow
from revops.orchestration.plan import derived_id, next_position, run_id, step_at, step_key

# 0 log_touch
# 1 if
#   then: 1.then.0 update_field, 1.then.1 if
#                                   then: 1.then.1.then.0 wait
#                                   else: (none)
#   else: 1.else.0 add_to_list
# 2 webhook
NESTED = Workflow.model_validate({
    "key": "nested",
    "trigger": {"event": {"type": "signup", "subject": "account"}},
    "steps": [
        {"log_touch": {}},
        {"if": "employees >= 1000",
         "then": [{"update_field": {"field": "type", "value": "'target'"}},
                  {"if": "employees >= 5000", "then": [{"wait": "1d"}]}],
         "else": [{"add_to_list": {"list": "smb"}}]},
        {"webhook": {"url_env": "HOOK"}},
    ],
})


@pytest.mark.parametrize(("position", "branch", "after"), [
    ("0", None, "1"),
    ("1", "then", "1.then.0"),
    ("1", "else", "1.else.0"),
    ("1.then.0", None, "1.then.1"),
    ("1.then.1", "then", "1.then.1.then.0"),
    ("1.then.1", "else", "2"),            # an empty branch: on after the `if`
    ("1.then.1.then.0", None, "2"),       # the end of a nested branch: after the outer `if`
    ("1.else.0", None, "2"),
    ("2", None, None),                    # the last step: the run is done
])
def test_next_position_walks_into_the_branch_taken_and_back_out(position, branch, after):
    assert next_position(NESTED, position, branch) == after


def test_step_at_finds_nested_steps_and_refuses_steps_the_model_no_longer_has():
    assert step_at(NESTED, "1.then.1.then.0").wait == "1d"
    assert step_at(NESTED, "1.else.0").add_to_list.list == "smb"
    with pytest.raises(KeyError, match="no step 3"):
        step_at(NESTED, "3")
    with pytest.raises(KeyError):
        step_at(NESTED, "1.else.4")


def test_a_run_and_what_its_steps_create_have_ids_fixed_by_workflow_trigger_and_position():
    first, again, other = run_id("nested", "evt-1"), run_id("nested", "evt-1"), run_id("nested", "evt-2")
    assert first == again != other
    assert run_id("other_workflow", "evt-1") != first
    key = step_key(first, "1.then.0")
    assert key == f"{first}:1.then.0"
    assert derived_id("T", key) == derived_id("T", key) != derived_id("T", step_key(first, "1.else.0"))
