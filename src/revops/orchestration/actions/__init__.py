"""What a workflow's steps do: local actions (written to the store in the step's own
transaction) and external ones (sent to another system with the step's idempotency key)."""

from revops.orchestration.actions.base import ActionError, Effect, RunInfo
from revops.orchestration.actions.external import send
from revops.orchestration.actions.local import apply_local

__all__ = ["ActionError", "Effect", "RunInfo", "apply_local", "send"]
