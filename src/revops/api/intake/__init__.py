"""Taking leads in real time: score, route and store each lead, many per commit.

    desk.py      what taking a lead needs (store, model, router, rulebook, clocks), built once
    memory.py    what the intake keeps in memory about the store (ids, keys, answers)
    records.py   payload merged over the stored lead; custom attributes typed like their columns
    batch.py     one group commit: idempotency, scoring, lifecycle, routing, one transaction
    appenders.py the group commit's inserts: one kept DuckDB appender per table
    deadlines.py the first-contact due time of the answer (sla_due_at)
    answers.py   answers, rejections and their JSON
    writer.py    LeadIntake: the queue and the single writer thread
"""

from revops.api.intake.answers import Answer, Rejection, Unavailable
from revops.api.intake.writer import LeadIntake

__all__ = ["Answer", "LeadIntake", "Rejection", "Unavailable"]
