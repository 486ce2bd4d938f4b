"""What every command shares: where the store is and which revenue model applies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from revops.store import Store, default_db_path


NO_STORE_HINT = ("build one with `revops demo` or `revops ingest`, or point --db / REVOPS_DB at an "
                 "existing file")


@dataclass
class AppContext:
    db: Path
    model_path: Path | None  # None: the built-in default model
    backend: str | None = None  # --backend / REVOPS_BACKEND URL metrics run on; None: the store

    def store(self, *, read_only: bool = False) -> Store:
        return Store(self.db, read_only=read_only)

    def require_store(self, hint: str = NO_STORE_HINT) -> None:
        """Refuse, with what to do, when there is no store file to read."""
        if not self.db.exists():
            from revops.errors import StoreError

            raise StoreError(f"no store at {self.db}; {hint}")

    def existing_store(self, *, read_only: bool = False, hint: str = NO_STORE_HINT) -> Store:
        """The store, which must exist already (commands that read never create one)."""
        self.require_store(hint)
        return self.store(read_only=read_only)

    @contextmanager
    def analytics(self) -> Iterator[Any]:
        """The Ibis backend analytics run on: --backend / REVOPS_BACKEND's when given, else
        the store's (read-only)."""
        if self.backend:
            from revops.engines.metrics.backends import connect

            yield connect(self.backend)
            return
        with self.existing_store(read_only=True) as store:
            yield store.ibis

    def model(self) -> Any:
        """The revenue model: --model, else ./revops.yaml if present, else the default."""
        from revops.model import load_model

        return load_model(self.model_path)

    @staticmethod
    def user() -> str:
        """Who runs the command, for the records it writes: $REVOPS_USER, else the login."""
        import getpass
        import os

        return os.environ.get("REVOPS_USER") or getpass.getuser()

    def model_source(self) -> str:
        """Who applied the model from where, for the definition history: 'revops.yaml by ana'."""
        return f"{self.model_path or 'built-in default'} by {self.user()}"

    def record_model(self, store: Store, model: Any) -> int | None:
        """Record ``model`` in the store's definition history if it changed."""
        from revops.model.history import record_model_version

        return record_model_version(store, model, self.model_source())


def resolve_model_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    local = Path("revops.yaml")
    return local if local.exists() else None


def app_context(ctx: typer.Context) -> AppContext:
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext(db=default_db_path(), model_path=resolve_model_path(None))
    return root.obj
