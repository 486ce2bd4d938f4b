"""CRM connectors: HubSpot and Salesforce through their maintained Python clients.

    from revops.connectors import crm
    hubspot = crm("hubspot")                      # credentials from the environment
    hubspot.write_back("leads", "101", {"owner_id": "7", "score": 82, "lifecycle_stage": "mql"}, key="wf-1:s2")
    hubspot.create_task(subject="Call back", table="leads", record_id="101", key="wf-1:s3")

`revops sync hubspot|salesforce` pulls what changed into the store (``sync.run_sync``).
See docs/connectors.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from revops.connectors.errors import ConnectorError
from revops.connectors.retry import RetryPolicy

SYSTEMS = ("hubspot", "salesforce")

__all__ = ["SYSTEMS", "ConnectorError", "CrmConnector", "RetryPolicy", "crm"]


class CrmConnector(Protocol):
    """What workflows ask of a CRM: write fields back, make a task once per key."""

    system: str

    def write_back(self, table: str, record_id: str, fields: dict[str, Any], *, key: str) -> dict[str, Any]:
        """Set fields (canonical names: owner_id, score, lifecycle_stage…) on the record of
        ``table`` (leads, contacts, accounts, opportunities) whose store id (= CRM id) is
        ``record_id``; what the CRM answered: system, object, id, key, fields."""
        ...

    def create_task(self, *, subject: str, table: str, record_id: str, owner_id: str | None = None,
                    due_at: datetime | None = None, body: str | None = None, key: str) -> str:
        """A task on the record; the CRM's task id. The same ``key`` twice makes one task."""
        ...


def crm(system: str, env: Mapping[str, str] | None = None, **options: Any) -> CrmConnector:
    """The connector of ``system`` ("hubspot" or "salesforce"), with credentials from ``env``
    (default ``os.environ``). ``options`` go to the connector: ``policy`` (a RetryPolicy),
    ``timeout`` (seconds per call)."""
    env = os.environ if env is None else env
    if system == "hubspot":
        from revops.connectors.hubspot import connect
    elif system == "salesforce":
        from revops.connectors.salesforce import connect  # type: ignore[assignment]
    else:
        raise ConnectorError(f"unknown CRM {system!r}; connectors: {', '.join(SYSTEMS)}")
    return connect(env, **options)
