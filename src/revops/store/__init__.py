"""The GTM data store: canonical tables in DuckDB, read through Ibis."""

from revops.store.store import Store, default_db_path

__all__ = ["Store", "default_db_path"]
