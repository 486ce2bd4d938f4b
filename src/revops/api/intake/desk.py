"""``IntakeDesk``: everything taking a lead needs, built once when the server starts.

The store (owned by the writer thread), the revenue model, the router with its in-memory
reps, caps and rotations, the scoring rulebook, the MQL criteria, the first-contact clock,
whether a predictive model is active, what the intake remembers about the store
(``IntakeMemory``) and the appenders it inserts with. Only the writer thread uses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from revops.api.intake.appenders import TableAppenders
from revops.api.intake.deadlines import FirstContactClock
from revops.api.intake.memory import IntakeMemory
from revops.api.intake.records import LeadColumns
from revops.engines.routing.router import Router
from revops.engines.scoring.combined import Blend, active_model_version
from revops.engines.scoring.rules import EVENT_TABLES, Rulebook
from revops.model.expressions import parse
from revops.orchestration.events import EventLog


class IntakeDesk:
    def __init__(self, store: Any, model: Any, now: datetime) -> None:
        self.store = store
        self.model = model
        self.router = Router.from_store(store, model, now)
        self.book = Rulebook.of(model.scoring)
        self.blend = Blend(model.scoring.predictive_weight)
        self.memory = IntakeMemory.load(store)
        self.columns = LeadColumns(store)
        self.clock = FirstContactClock(model)
        self.model_version = active_model_version(store)
        """The active predictive model when the server started (training needs the store,
        which the server holds: restart after `revops score train`)."""
        if self.model_version is not None:
            self._warm_up_predictions()
        self.reads_events = any(self.book.on(t) for t in EVENT_TABLES) or bool(
            self.book.lead_fields & {"last_activity_at", "days_since_last_activity"})
        self.mql = self._mql_criteria(model)
        self.events = EventLog(store.con)
        """Sequence numbers of the events POST /v1/events stores (revops.orchestration)."""
        self.appenders = TableAppenders(store.con)
        """Every insert of the group commits (``appenders``)."""

    def _warm_up_predictions(self) -> None:
        """Load the predictive model now: the first prediction reads and builds it (about half
        a second), which the first lead should not wait for."""
        import pandas as pd

        from revops.engines.scoring.combined import predict

        predict(self.store, pd.DataFrame([{"lead_id": "warm-up"}]), factors=False)

    @staticmethod
    def _mql_criteria(model: Any) -> Any:
        """The entry criteria of the MQL stage (``score >= mql_threshold`` when it has none)."""
        try:
            text = model.lifecycle.stage("mql").entry_criteria.strip()
        except (KeyError, AttributeError):
            text = ""
        return parse(text or f"score >= {model.scoring.mql_threshold:g}")

    @property
    def model_hash(self) -> str:
        return self.router.graph.model_hash
