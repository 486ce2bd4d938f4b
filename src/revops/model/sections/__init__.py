"""The sections of revops.yaml, one module each."""
