"""The RevOps audit the seeds prescribe before any new tool or hire: the data audit (where the
pipeline lives, how clean it is, whether everyone uses the model's definitions, whether the
CRM is current), the process audit (stages, exit criteria, SLAs, handoffs written, and how
well they are followed, measured from the data) and the technology audit (a tool inventory:
redundancy, adoption and the sunset list, integrations, cost of ownership, and the CRM
decision: complete, migrate or downshift).

    from revops.engines.audit import run_audit
    audit = run_audit(store, model, tools=load_inventory(Path("tools.csv")), as_of=now)
    audit["data"], audit["process"], audit["technology"]

docs/audit.md says how each finding is measured.
"""

from revops.engines.audit.run import run_audit
from revops.engines.audit.tools import InventoryError, load_inventory

__all__ = ["InventoryError", "load_inventory", "run_audit"]
