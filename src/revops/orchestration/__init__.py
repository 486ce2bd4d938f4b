"""Orchestration: workflows from revops.yaml started by signals, record changes and schedules,
their steps done exactly once, retried with backoff, dead-lettered and replayable."""
